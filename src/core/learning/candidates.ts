/**
 * Candidates of a training run: the algorithms a request may name (each a constructor of src/core/ml),
 * their default lists per task, and training one candidate: walk-forward cross-validation on the rows
 * before the hold-out, a final fit on those rows, the hold-out metrics and predictions, and the artifact.
 *
 * Every candidate is a pipeline `median imputer -> standard scaler -> model`: missing feature values
 * (null) need filling for every model, and scaling is needed by logistic regression, MLP and k-NN and
 * harmless for trees. The pipeline is serialised with the model, so serving applies the same steps.
 */
import {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  GaussianNB,
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  isClassifier,
  KNeighborsClassifier,
  KNeighborsRegressor,
  Lasso,
  LinearRegression,
  LogisticRegression,
  MLPClassifier,
  MLPRegressor,
  MlInputError,
  type Model,
  type ModelArtifact,
  Pipeline,
  RandomForestClassifier,
  RandomForestRegressor,
  Ridge,
  SimpleImputer,
  StandardScaler,
  walkForward,
} from '../ml/index.ts';
import { type Dataset, holdoutSplit, type LearningTask, sliceDataset, toMatrix } from './dataset.ts';
import { LearningError } from './errors.ts';
import { type MetricName, type Predictions, type PrimaryMetric, scoreAll } from './metrics.ts';

/** A JSON parameter value of a candidate. */
export type ParamValue = number | boolean | string | readonly number[];

/** One candidate of a request: an algorithm of {@link ALGORITHMS} and its hyperparameters. */
export interface Candidate {
  readonly algorithm: string;
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** How the rows are split (all in rows). */
export interface SplitSpec {
  /** Share of the latest rows held out for the final comparison. */
  readonly holdoutFraction: number;
  /** Walk-forward folds over the rows before the hold-out. */
  readonly folds: number;
  readonly purge: number;
  readonly embargo: number;
}

type Check = (v: unknown) => string | undefined;
const num: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a finite number';
const int: Check = (v) => (Number.isInteger(v) ? undefined : 'must be an integer');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean');
const oneOf =
  (...options: readonly (string | boolean)[]): Check =>
  (v) =>
    options.includes(v as string) ? undefined : `must be one of: ${options.join(', ')}`;
const either =
  (a: Check, b: Check): Check =>
  (v) =>
    a(v) === undefined || b(v) === undefined ? undefined : `${a(v)}, or ${b(v)?.replace(/^must be /, '')}`;
const intArray: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.length <= 10 && v.every((x) => Number.isInteger(x))
    ? undefined
    : 'must be an array of 1 to 10 integers';

const TREE = { maxDepth: int, minSamplesSplit: int, minSamplesLeaf: int, seed: int };
const MAX_FEATURES = either(num, oneOf('sqrt', 'log2', 'all'));
const HGB = {
  learningRate: num,
  maxIter: int,
  maxLeafNodes: int,
  maxDepth: int,
  minSamplesLeaf: int,
  l2Regularization: num,
  maxBins: int,
  earlyStopping: either(bool, oneOf('auto')),
  validationFraction: num,
  nIterNoChange: int,
  tol: num,
  seed: int,
};
const MLP = {
  hiddenLayerSizes: intArray,
  learningRate: num,
  alpha: num,
  batchSize: int,
  maxIter: int,
  earlyStopping: bool,
  validationFraction: num,
  nIterNoChange: int,
  tol: num,
  seed: int,
};

/** One algorithm a request may name. */
export interface AlgorithmSpec {
  readonly tasks: readonly LearningTask[];
  /** Accepted parameters and their type checks (unknown keys are refused). */
  readonly params: Readonly<Record<string, Check>>;
  /** Whether the model takes a seed (the request's seed is passed unless params give one). */
  readonly seeded: boolean;
  readonly make: (task: LearningTask, params: Record<string, unknown>) => Model;
}

// The ml constructors take typed option objects; params were checked against `params` before `make`.
// biome-ignore lint/suspicious/noExplicitAny: the checked params are passed through as the options object
type AnyOpts = any;

/** The algorithms of a training request, by name, mapped to the constructors of src/core/ml. */
export const ALGORITHMS: Readonly<Record<string, AlgorithmSpec>> = {
  logistic: {
    tasks: ['classification'],
    params: { C: num, maxIter: int, tol: num },
    seeded: false,
    make: (_, p) => new LogisticRegression(p as AnyOpts),
  },
  'random-forest': {
    tasks: ['classification', 'regression'],
    params: {
      ...TREE,
      nEstimators: int,
      maxFeatures: MAX_FEATURES,
      bootstrap: bool,
      criterion: oneOf('gini', 'entropy'),
    },
    seeded: true,
    make: (t, p) =>
      t === 'classification'
        ? new RandomForestClassifier(p as AnyOpts)
        : new RandomForestRegressor(p as AnyOpts),
  },
  'hist-gbm': {
    tasks: ['classification', 'regression'],
    params: HGB,
    seeded: true,
    make: (t, p) =>
      t === 'classification'
        ? new HistGradientBoostingClassifier(p as AnyOpts)
        : new HistGradientBoostingRegressor(p as AnyOpts),
  },
  mlp: {
    tasks: ['classification', 'regression'],
    params: MLP,
    seeded: true,
    make: (t, p) =>
      t === 'classification' ? new MLPClassifier(p as AnyOpts) : new MLPRegressor(p as AnyOpts),
  },
  'naive-bayes': {
    tasks: ['classification'],
    params: { varSmoothing: num },
    seeded: false,
    make: (_, p) => new GaussianNB(p as AnyOpts),
  },
  knn: {
    tasks: ['classification', 'regression'],
    params: { k: int },
    seeded: false,
    make: (t, p) =>
      t === 'classification' ? new KNeighborsClassifier(p as AnyOpts) : new KNeighborsRegressor(p as AnyOpts),
  },
  'decision-tree': {
    tasks: ['classification', 'regression'],
    params: { ...TREE, maxFeatures: MAX_FEATURES, criterion: oneOf('gini', 'entropy') },
    seeded: true,
    make: (t, p) =>
      t === 'classification'
        ? new DecisionTreeClassifier(p as AnyOpts)
        : new DecisionTreeRegressor(p as AnyOpts),
  },
  ridge: {
    tasks: ['regression'],
    params: { alpha: num, fitIntercept: bool },
    seeded: false,
    make: (_, p) => new Ridge(p as AnyOpts),
  },
  linear: {
    tasks: ['regression'],
    params: { fitIntercept: bool },
    seeded: false,
    make: (_, p) => new LinearRegression(p as AnyOpts),
  },
  lasso: {
    tasks: ['regression'],
    params: { alpha: num, maxIter: int, tol: num, fitIntercept: bool },
    seeded: false,
    make: (_, p) => new Lasso(p as AnyOpts),
  },
};

/**
 * The candidates used when a request names none. Chosen once, a priori, as sensible small-data settings
 * (regularised, shallow boosting, leaves of at least 5 rows so forest probabilities are not 0/1), not
 * tuned on any benchmark.
 */
export const DEFAULT_CANDIDATES: Readonly<Record<LearningTask, readonly Candidate[]>> = {
  classification: [
    { algorithm: 'logistic', params: { C: 1 } },
    { algorithm: 'random-forest', params: { nEstimators: 200, minSamplesLeaf: 5 } },
    { algorithm: 'hist-gbm', params: { maxIter: 100, learningRate: 0.05, maxDepth: 3 } },
    { algorithm: 'mlp', params: { hiddenLayerSizes: [32], alpha: 0.001, maxIter: 300, earlyStopping: true } },
    { algorithm: 'naive-bayes', params: {} },
  ],
  regression: [
    { algorithm: 'ridge', params: { alpha: 1 } },
    { algorithm: 'random-forest', params: { nEstimators: 200, minSamplesLeaf: 5 } },
    { algorithm: 'hist-gbm', params: { maxIter: 100, learningRate: 0.05, maxDepth: 3 } },
    { algorithm: 'mlp', params: { hiddenLayerSizes: [32], alpha: 0.001, maxIter: 300, earlyStopping: true } },
  ],
};

/**
 * Checks a candidate for a task; returns the problems as `[path under params, rule, message]`, empty when
 * it is valid. Parameters are checked by type, then by building the model (the constructors check ranges).
 */
export function candidateIssues(
  task: LearningTask,
  candidate: { algorithm: unknown; params?: unknown },
): { path: string; rule: string; message: string }[] {
  const spec = typeof candidate.algorithm === 'string' ? ALGORITHMS[candidate.algorithm] : undefined;
  const names = Object.keys(ALGORITHMS).filter((a) => ALGORITHMS[a]?.tasks.includes(task));
  if (!spec?.tasks.includes(task))
    return [
      {
        path: 'algorithm',
        rule: 'enum',
        message: `must be one of: ${names.join(', ')} for ${task} (got ${JSON.stringify(candidate.algorithm)})`,
      },
    ];
  const params = candidate.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return [{ path: 'params', rule: 'type', message: 'must be an object' }];
  const issues: { path: string; rule: string; message: string }[] = [];
  for (const [k, v] of Object.entries(params)) {
    const check = spec.params[k];
    if (!check) {
      issues.push({
        path: `params.${k}`,
        rule: 'unknown_key',
        message: `unknown parameter of ${String(candidate.algorithm)}; allowed: ${Object.keys(spec.params).join(', ')}`,
      });
      continue;
    }
    const problem = check(v);
    if (problem) issues.push({ path: `params.${k}`, rule: 'type', message: problem });
  }
  if (issues.length > 0) return issues;
  try {
    spec.make(task, { ...params });
  } catch (e) {
    if (e instanceof MlInputError)
      return [{ path: `params.${e.field}`, rule: e.rule, message: e.message.replace(/^[^:]*: /, '') }];
    throw e;
  }
  return [];
}

/** A fresh unfitted pipeline for a candidate (seed injected unless the params give one). */
export function buildPipeline(task: LearningTask, candidate: Candidate, seed: number): Pipeline {
  const spec = ALGORITHMS[candidate.algorithm];
  if (!spec?.tasks.includes(task))
    throw new LearningError('algorithm', 'enum', `"${candidate.algorithm}" is not an algorithm for ${task}`);
  const params: Record<string, unknown> = { ...candidate.params };
  if (spec.seeded && params.seed === undefined) params.seed = seed;
  return new Pipeline(
    [new SimpleImputer({ strategy: 'median' }), new StandardScaler()],
    spec.make(task, params),
  );
}

/** Predictions of a fitted pipeline for some rows. */
export function predictRows(model: Model, ds: Pick<Dataset, 'X' | 'featureNames'>): Predictions {
  const X = toMatrix(ds.X, ds.featureNames.length);
  if (model.task === 'classification') {
    if (!isClassifier(model) || (model instanceof Pipeline && !isClassifier(model.model)))
      throw new LearningError('model', 'classifier', `${model.kind} gives no class probabilities`);
    const P = model.predictProba(X);
    const proba: number[][] = [];
    for (let i = 0; i < P.rows; i++) proba.push(Array.from(P.data.subarray(i * P.cols, (i + 1) * P.cols)));
    return { kind: 'proba', classes: Array.from(model.classes), proba };
  }
  return { kind: 'value', values: Array.from(model.predict(X)) };
}

/** Fits a fresh pipeline of the candidate on a data set. */
export function fitCandidate(ds: Dataset, candidate: Candidate, seed: number): Pipeline {
  const p = buildPipeline(ds.task, candidate, seed);
  return p.fit(toMatrix(ds.X, ds.featureNames.length), ds.y);
}

/** Metrics of one walk-forward fold. */
export interface FoldResult {
  readonly fold: number;
  readonly trainRows: number;
  readonly testFrom: number;
  readonly testTo: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Cross-validation metrics: the mean over folds and each fold. */
export interface CvMetrics {
  readonly mean: Readonly<Record<string, number>>;
  readonly folds: readonly FoldResult[];
}

/** Mean of each metric over folds. */
export function meanMetrics(
  folds: readonly { metrics: Readonly<Record<string, number>> }[],
): Record<string, number> {
  const out: Record<string, number> = {};
  const names = Object.keys(folds[0]?.metrics ?? {});
  for (const m of names) out[m] = folds.reduce((s, f) => s + (f.metrics[m] as number), 0) / folds.length;
  return out;
}

/**
 * Walk-forward cross-validation of a candidate on a data set: `folds` successive test windows, each model
 * trained only on rows before `testStart - purge - embargo`.
 */
export function crossValidate(
  ds: Dataset,
  candidate: Candidate,
  split: Pick<SplitSpec, 'folds' | 'purge' | 'embargo'>,
  seed: number,
): CvMetrics {
  let splits: ReturnType<typeof walkForward>;
  try {
    splits = walkForward(ds.X.length, {
      nSplits: split.folds,
      purge: split.purge,
      embargo: split.embargo,
      minTrainSize: 2,
    });
  } catch (e) {
    if (e instanceof MlInputError)
      throw new LearningError(
        `split.${e.field === 'nSplits' ? 'folds' : e.field}`,
        e.rule,
        e.message.replace(/^[^:]*: /, ''),
      );
    throw e;
  }
  const folds = splits.map((s, f) => {
    const trainEnd = (s.train[s.train.length - 1] as number) + 1;
    const testFrom = s.test[0] as number;
    const testTo = (s.test[s.test.length - 1] as number) + 1;
    const model = fitCandidate(sliceDataset(ds, 0, trainEnd), candidate, seed);
    const test = sliceDataset(ds, testFrom, testTo);
    return {
      fold: f,
      trainRows: trainEnd,
      testFrom,
      testTo,
      metrics: scoreAll(ds.task, [...test.y], predictRows(model, test)),
    };
  });
  return { mean: meanMetrics(folds), folds };
}

/** What training one candidate gives. */
export interface CandidateResult {
  readonly status: 'ok';
  readonly algorithm: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly cvMetrics: CvMetrics;
  readonly holdoutMetrics: Readonly<Record<string, number>>;
  /** For the hold-out rows, in order: the comparison with the champion re-scores these. */
  readonly holdoutPredictions: Predictions;
  /** The pipeline fitted on every row before the hold-out gap. */
  readonly artifact: ModelArtifact;
  /** Wall time of cross-validation plus the final fit, ms. */
  readonly fitMs: number;
}

/** A candidate that could not be trained. */
export interface FailedCandidate {
  readonly status: 'failed';
  readonly algorithm: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly error: string;
}

/**
 * Trains one candidate: walk-forward CV on the rows before the hold-out, then one fit on all of them
 * (the rows in the purge/embargo gap excluded, so the hold-out metrics stay out-of-sample), the hold-out
 * metrics and predictions, and the artifact. Deterministic for a seed. Throws {@link LearningError} or
 * the model's MlInputError; {@link tryTrainCandidate} returns a {@link FailedCandidate} instead.
 *
 * @example
 * trainCandidate(ds, { algorithm: 'logistic', params: { C: 1 } }, { holdoutFraction: 0.2, folds: 5, purge: 1, embargo: 0 }, 7);
 */
export function trainCandidate(
  ds: Dataset,
  candidate: Candidate,
  split: SplitSpec,
  seed: number,
  clock: () => number = () => performance.now(),
): CandidateResult {
  const t0 = clock();
  const { train, holdout } = holdoutSplit(ds, split.holdoutFraction, split);
  const cvMetrics = crossValidate(train, candidate, split, seed);
  const model = fitCandidate(train, candidate, seed);
  const fitMs = clock() - t0;
  const holdoutPredictions = predictRows(model, holdout);
  return {
    status: 'ok',
    algorithm: candidate.algorithm,
    params: candidate.params,
    cvMetrics,
    holdoutMetrics: scoreAll(ds.task, [...holdout.y], holdoutPredictions),
    holdoutPredictions,
    artifact: model.toArtifact(),
    fitMs,
  };
}

/** {@link trainCandidate}, but a failure becomes a {@link FailedCandidate} naming the error. */
export function tryTrainCandidate(
  ds: Dataset,
  candidate: Candidate,
  split: SplitSpec,
  seed: number,
  clock?: () => number,
): CandidateResult | FailedCandidate {
  try {
    return trainCandidate(ds, candidate, split, seed, clock);
  } catch (e) {
    return {
      status: 'failed',
      algorithm: candidate.algorithm,
      params: candidate.params,
      error: e instanceof Error ? e.message : String(e),
    };
  }
}

/**
 * The best candidate by the primary metric's cross-validation mean (not the hold-out: the hold-out decides
 * the champion comparison, and picking on it would bias that comparison in the challenger's favour).
 * Failed candidates and non-finite scores are skipped; ties go to the better hold-out score, then to the
 * algorithm name and parameters in lexical order, so the choice is deterministic.
 *
 * @throws {LearningError} candidates/all-failed when no candidate has a finite score, listing the errors.
 */
export function selectBest(
  results: readonly (CandidateResult | FailedCandidate)[],
  metric: PrimaryMetric,
): CandidateResult {
  const sign = metric.direction === 'max' ? 1 : -1;
  const ok = results.filter(
    (r): r is CandidateResult => r.status === 'ok' && Number.isFinite(r.cvMetrics.mean[metric.name]),
  );
  if (ok.length === 0) {
    const reasons = results.map((r) =>
      r.status === 'failed' ? `${r.algorithm}: ${r.error}` : `${r.algorithm}: ${metric.name} is not finite`,
    );
    throw new LearningError(
      'candidates',
      'all-failed',
      `no candidate could be trained${reasons.length ? ` (${reasons.join('; ')})` : ' (none given)'}`,
    );
  }
  const key = (r: CandidateResult) => `${r.algorithm} ${JSON.stringify(r.params)}`;
  const score = (m: Readonly<Record<string, number>>) => {
    const v = m[metric.name as MetricName];
    return Number.isFinite(v) ? sign * (v as number) : Number.NEGATIVE_INFINITY;
  };
  return [...ok].sort(
    (a, b) =>
      score(b.cvMetrics.mean) - score(a.cvMetrics.mean) ||
      score(b.holdoutMetrics) - score(a.holdoutMetrics) ||
      (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0),
  )[0] as CandidateResult;
}
