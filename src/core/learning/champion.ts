/**
 * Challenger against champion on the same hold-out rows: the scores, their difference in the metric's
 * better direction, and the confidence that the challenger is better by the margin, from a paired, seeded
 * bootstrap over the hold-out rows (both models are scored on the same resampled rows each time, so the
 * rows' difficulty cancels out). The decision follows the promotion rule of the training workflow.
 */
import { loadModel } from '../ml/index.ts';
import { mulberry32, randomInt } from '../random.ts';
import { predictRows } from './candidates.ts';
import type { Dataset } from './dataset.ts';
import { LearningError } from './errors.ts';
import {
  METRICS,
  type MetricName,
  type Predictions,
  type PrimaryMetric,
  pointPredictions,
  predictionRows,
  rowLogLosses,
} from './metrics.ts';

/** What the comparison decides. `first-version` promotes (there is nothing to beat). */
export type PromotionDecision = 'promote' | 'needs-approval' | 'first-version';

/** Input of {@link compareWithChampion}. */
export interface ComparisonInput {
  /** True targets of the hold-out rows. */
  readonly yHoldout: readonly number[];
  /** The challenger's predictions for those rows (from trainCandidate's holdoutPredictions). */
  readonly challenger: Predictions;
  /** The champion's predictions for the same rows ({@link scoreChampion}); undefined when there is none. */
  readonly champion: Predictions | undefined;
  readonly metric: PrimaryMetric;
  /** Required improvement, in metric units (>= 0). @default 0 */
  readonly margin?: number;
  /** @default 0.9 */
  readonly minConfidence?: number;
  /** Always ask a human. @default false */
  readonly requireApproval?: boolean;
  /** @default 0 */
  readonly seed?: number;
  /** Bootstrap resamples. @default 1000 */
  readonly resamples?: number;
}

/** Result of {@link compareWithChampion}. */
export interface Comparison {
  readonly decision: PromotionDecision;
  /**
   * Share of bootstrap resamples in which the challenger beats the champion by more than the margin (ties
   * count one half); 1 when there is no champion.
   */
  readonly confidence: number;
  readonly challengerScore: number;
  /** null when there is no champion. */
  readonly championScore: number | null;
  /** Improvement on the whole hold-out in the better direction (challenger - champion, or reversed for
   * metrics where lower is better); null when there is no champion. */
  readonly delta: number | null;
  readonly margin: number;
  readonly minConfidence: number;
  readonly resamples: number;
  /** One sentence for the approval request and the logs. */
  readonly reason: string;
}

/** A metric over a multiset of rows, with per-row work done once up front. */
type RowScorer = (rows: ArrayLike<number>) => number;

function scorer(
  name: MetricName,
  y: readonly number[],
  p: Predictions,
  labels: readonly number[],
): RowScorer {
  switch (name) {
    case 'log_loss': {
      const l = rowLogLosses(y, p as Predictions & { kind: 'proba' });
      return (rows) => {
        let s = 0;
        for (let k = 0; k < rows.length; k++) s += l[rows[k] as number] as number;
        return s / rows.length;
      };
    }
    case 'accuracy': {
      const pts = pointPredictions(p);
      return (rows) => {
        let s = 0;
        for (let k = 0; k < rows.length; k++) if (pts[rows[k] as number] === y[rows[k] as number]) s++;
        return s / rows.length;
      };
    }
    case 'macro_f1': {
      const pts = pointPredictions(p);
      const idx = new Map(labels.map((c, k) => [c, k] as const));
      const K = labels.length;
      const t = Int32Array.from(y, (v) => idx.get(v) as number);
      const q = Int32Array.from(pts, (v) => idx.get(v) as number);
      const tp = new Float64Array(K);
      const fp = new Float64Array(K);
      const fn = new Float64Array(K);
      return (rows) => {
        tp.fill(0);
        fp.fill(0);
        fn.fill(0);
        for (let k = 0; k < rows.length; k++) {
          const i = rows[k] as number;
          const a = t[i] as number;
          const b = q[i] as number;
          if (a === b) tp[a] = (tp[a] as number) + 1;
          else {
            fp[b] = (fp[b] as number) + 1;
            fn[a] = (fn[a] as number) + 1;
          }
        }
        let s = 0;
        for (let c = 0; c < K; c++) {
          const den = 2 * (tp[c] as number) + (fp[c] as number) + (fn[c] as number);
          s += den === 0 ? 0 : (2 * (tp[c] as number)) / den;
        }
        return s / K;
      };
    }
    case 'rmse':
    case 'mae':
    case 'r2': {
      const v = (p as Predictions & { kind: 'value' }).values;
      return (rows) => {
        let se = 0;
        let ae = 0;
        let sy = 0;
        let syy = 0;
        for (let k = 0; k < rows.length; k++) {
          const i = rows[k] as number;
          const e = (y[i] as number) - (v[i] as number);
          se += e * e;
          ae += Math.abs(e);
          sy += y[i] as number;
          syy += (y[i] as number) ** 2;
        }
        const n = rows.length;
        if (name === 'rmse') return Math.sqrt(se / n);
        if (name === 'mae') return ae / n;
        const ssTot = syy - (sy * sy) / n;
        // As ml/metrics r2: a constant truth scores 1 when matched exactly, else 0.
        if (ssTot <= 1e-12 * Math.max(1, syy)) return se === 0 ? 1 : 0;
        return 1 - se / ssTot;
      };
    }
  }
}

function checkPredictions(p: Predictions, n: number, name: MetricName, field: string): void {
  if (predictionRows(p) !== n)
    throw new LearningError(field, 'length', `has ${predictionRows(p)} rows; the hold-out has ${n}`);
  const want = METRICS[name].task === 'classification' ? 'proba' : 'value';
  if (p.kind !== want)
    throw new LearningError(field, 'kind', `holds ${p.kind} predictions; ${name} needs ${want} predictions`);
}

/**
 * Compares a challenger with the champion on the same hold-out rows and applies the promotion rule:
 *   - no champion: `first-version` (promote);
 *   - confidence >= minConfidence and delta >= margin: `promote`;
 *   - otherwise `needs-approval` (a human decides);
 *   - `requireApproval`: `needs-approval` always.
 * Deterministic for a seed.
 *
 * @example
 * compareWithChampion({ yHoldout, challenger: best.holdoutPredictions, champion, metric: primaryMetric('macro_f1'), margin: 0.01, seed: 1 });
 */
export function compareWithChampion(input: ComparisonInput): Comparison {
  const n = input.yHoldout.length;
  const margin = input.margin ?? 0;
  const minConfidence = input.minConfidence ?? 0.9;
  const resamples = input.resamples ?? 1000;
  const name = input.metric.name;
  if (n === 0) throw new LearningError('yHoldout', 'empty', 'the hold-out has no rows');
  if (!(margin >= 0 && Number.isFinite(margin)))
    throw new LearningError('margin', 'range', `is ${margin}; must be a finite number >= 0`);
  if (!(minConfidence >= 0 && minConfidence <= 1))
    throw new LearningError('minConfidence', 'range', `is ${minConfidence}; must be in [0, 1]`);
  if (!Number.isInteger(resamples) || resamples < 10 || resamples > 100_000)
    throw new LearningError('resamples', 'range', `is ${resamples}; must be an integer in [10, 100000]`);
  checkPredictions(input.challenger, n, name, 'challenger');
  const sign = input.metric.direction === 'max' ? 1 : -1;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const labelSet = new Set<number>(input.yHoldout);
  const preds = [input.challenger, ...(input.champion ? [input.champion] : [])];
  if (METRICS[name].task === 'classification')
    for (const p of preds) for (const v of pointPredictions(p)) labelSet.add(v);
  const labels = [...labelSet].sort((a, b) => a - b);
  const challengerScorer = scorer(name, input.yHoldout, input.challenger, labels);
  const challengerScore = challengerScorer(all);
  const approval = input.requireApproval === true;

  if (input.champion === undefined) {
    return {
      decision: approval ? 'needs-approval' : 'first-version',
      confidence: 1,
      challengerScore,
      championScore: null,
      delta: null,
      margin,
      minConfidence,
      resamples: 0,
      reason: approval
        ? 'first version of the model; the request requires approval'
        : 'first version of the model: nothing to compare with',
    };
  }
  checkPredictions(input.champion, n, name, 'champion');
  const championScorer = scorer(name, input.yHoldout, input.champion, labels);
  const championScore = championScorer(all);
  const delta = sign * (challengerScore - championScore);

  const rng = mulberry32(input.seed ?? 0);
  const rows = new Int32Array(n);
  let wins = 0;
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < n; k++) rows[k] = randomInt(rng, n);
    const d = sign * (challengerScorer(rows) - championScorer(rows));
    // Identical predictions give exactly equal scores; rounding noise must not turn ties into wins.
    const tol = 1e-12 * Math.max(1, Math.abs(d), margin);
    if (d - margin > tol) wins += 1;
    else if (Math.abs(d - margin) <= tol) wins += 0.5;
  }
  const confidence = wins / resamples;
  const better = confidence >= minConfidence && delta >= margin;
  const fmt = (x: number) => Number(x.toPrecision(4));
  const facts = `${name} ${fmt(challengerScore)} vs champion ${fmt(championScore)} (delta ${fmt(delta)}, margin ${margin}), confidence ${fmt(confidence)} (min ${minConfidence})`;
  return {
    decision: approval ? 'needs-approval' : better ? 'promote' : 'needs-approval',
    confidence,
    challengerScore,
    championScore,
    delta,
    margin,
    minConfidence,
    resamples,
    reason: approval
      ? `${facts}; the request requires approval`
      : better
        ? `${facts}: better by the margin with enough confidence`
        : `${facts}: not clearly better; a human decides`,
  };
}

/**
 * The champion's predictions for the hold-out rows, from its stored artifact (loadModel + predictProba or
 * predict), so the comparison scores both models on exactly the same rows.
 *
 * @throws {LearningError} champion/task or champion/feature-count when the champion cannot score these
 * rows (a different task or feature set): the workflow should then ask a human rather than compare.
 */
export function scoreChampion(
  artifact: unknown,
  holdout: Pick<Dataset, 'X' | 'featureNames' | 'task'>,
): Predictions {
  const model = loadModel(artifact);
  if (model.task !== holdout.task)
    throw new LearningError('champion', 'task', `is a ${model.task} model; the run trains ${holdout.task}`);
  const nFeatures = (artifact as { nFeatures?: number }).nFeatures;
  if (nFeatures !== holdout.featureNames.length)
    throw new LearningError(
      'champion',
      'feature-count',
      `was fitted on ${nFeatures} features; this data set has ${holdout.featureNames.length}`,
    );
  return predictRows(model, holdout);
}
