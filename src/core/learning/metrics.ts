/**
 * The metrics a training request may rank by, their direction, and predictions in a JSON-able form that
 * the champion comparison can re-score row by row. Definitions are those of src/core/ml/metrics.ts
 * (scikit-learn's); log-loss additionally aligns classes by label, because a champion trained on older
 * data may know a different set of classes than the hold-out holds.
 */
import { accuracy, macroF1, mae, r2, rmse } from '../ml/index.ts';
import { LearningError } from './errors.ts';

/** Metric name -> the task it applies to and whether larger is better. */
export const METRICS = {
  accuracy: { task: 'classification', direction: 'max' },
  macro_f1: { task: 'classification', direction: 'max' },
  log_loss: { task: 'classification', direction: 'min' },
  rmse: { task: 'regression', direction: 'min' },
  mae: { task: 'regression', direction: 'min' },
  r2: { task: 'regression', direction: 'max' },
} as const;

export type MetricName = keyof typeof METRICS;

/** The metric that ranks candidates and decides promotion. */
export interface PrimaryMetric {
  readonly name: MetricName;
  readonly direction: 'max' | 'min';
}

/** The metric object of a name. */
export function primaryMetric(name: MetricName): PrimaryMetric {
  return { name, direction: METRICS[name].direction };
}

/**
 * Predictions for a set of rows: class probabilities (columns in the order of `classes`) for classifiers,
 * values for regressors.
 */
export type Predictions =
  | {
      readonly kind: 'proba';
      readonly classes: readonly number[];
      readonly proba: readonly (readonly number[])[];
    }
  | { readonly kind: 'value'; readonly values: readonly number[] };

/** Number of rows of a prediction set. */
export function predictionRows(p: Predictions): number {
  return p.kind === 'proba' ? p.proba.length : p.values.length;
}

/** The predicted label (arg-max, first class on ties, as the models' predict) or value per row. */
export function pointPredictions(p: Predictions): number[] {
  if (p.kind === 'value') return [...p.values];
  return p.proba.map((row) => {
    let best = 0;
    for (let k = 1; k < row.length; k++) if ((row[k] as number) > (row[best] as number)) best = k;
    return p.classes[best] as number;
  });
}

const EPS = Number.EPSILON;

/**
 * Per-row negative log-likelihood of the true label. Probabilities are clipped to [eps, 1-eps] and the
 * row renormalised (as ml/metrics.ts logLoss); a label the model does not know gets probability eps.
 */
export function rowLogLosses(yTrue: readonly number[], p: Predictions & { kind: 'proba' }): Float64Array {
  const idx = new Map(p.classes.map((c, k) => [c, k] as const));
  const out = new Float64Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) {
    const row = p.proba[i] as readonly number[];
    let sum = 0;
    for (const v of row) sum += Math.min(Math.max(v, EPS), 1 - EPS);
    const k = idx.get(yTrue[i] as number);
    const pk = k === undefined ? EPS : Math.min(Math.max(row[k] as number, EPS), 1 - EPS);
    out[i] = -Math.log(pk / sum);
  }
  return out;
}

/**
 * One metric of predictions against the truth, optionally over a subset of rows (`rows`, repeats allowed:
 * the bootstrap passes resampled indices). `labels` fixes the class set of macro-F1 (default: labels in
 * truth or prediction).
 */
export function scoreMetric(
  name: MetricName,
  yTrue: readonly number[],
  p: Predictions,
  opts: { rows?: ArrayLike<number>; labels?: readonly number[]; points?: readonly number[] } = {},
): number {
  const n = yTrue.length;
  if (predictionRows(p) !== n)
    throw new LearningError('predictions', 'length', `has ${predictionRows(p)} rows for ${n} true values`);
  if (METRICS[name].task === 'classification' && p.kind !== 'proba')
    throw new LearningError('predictions', 'kind', `${name} needs class probabilities`);
  if (METRICS[name].task === 'regression' && p.kind !== 'value')
    throw new LearningError('predictions', 'kind', `${name} needs predicted values`);
  const rows = opts.rows ?? Int32Array.from({ length: n }, (_, i) => i);
  const y = Array.from(rows, (i) => yTrue[i] as number);
  if (name === 'log_loss') {
    const l = rowLogLosses(yTrue, p as Predictions & { kind: 'proba' });
    let s = 0;
    for (let k = 0; k < rows.length; k++) s += l[rows[k] as number] as number;
    return s / rows.length;
  }
  const all = opts.points ?? pointPredictions(p);
  const pred = Array.from(rows, (i) => all[i] as number);
  switch (name) {
    case 'accuracy':
      return accuracy(y, pred);
    case 'macro_f1':
      return macroF1(y, pred, opts.labels);
    case 'rmse':
      return rmse(y, pred);
    case 'mae':
      return mae(y, pred);
    case 'r2':
      return r2(y, pred);
  }
}

/** The metrics of a task: accuracy, macro_f1, log_loss; or rmse, mae, r2. */
export function metricsOfTask(task: 'classification' | 'regression'): MetricName[] {
  return (Object.keys(METRICS) as MetricName[]).filter((m) => METRICS[m].task === task);
}

/** Every metric of the task, on all rows. */
export function scoreAll(
  task: 'classification' | 'regression',
  yTrue: readonly number[],
  p: Predictions,
): Record<MetricName, number> {
  const points = pointPredictions(p);
  const out: Partial<Record<MetricName, number>> = {};
  for (const m of metricsOfTask(task)) out[m] = scoreMetric(m, yTrue, p, { points });
  return out as Record<MetricName, number>;
}
