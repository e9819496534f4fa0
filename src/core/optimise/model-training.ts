/**
 * The `model-training` objective: hyperparameter tuning of one algorithm of the learning core
 * (src/core/learning/candidates.ts ALGORITHMS) on a training data set stored by the training workflow.
 * A trial's parameters become a candidate (`median imputer -> standard scaler -> model`, exactly as a
 * training run builds it); its score is the walk-forward cross-validation mean of one metric, computed
 * only on the rows before the hold-out, so the hold-out stays untouched for the champion comparison of
 * the training run that later trains the tuned candidate.
 *
 * The objective does no I/O: the handler supplies `context.services.loadDataset(uri)`.
 *
 * Configuration (`objectiveConfig` of the study):
 * ```
 * { datasetUri: 's3://bucket/key',           a Dataset stored as JSON (the training workflow's datasets/ prefix)
 *   algorithm: string,                       a key of ALGORITHMS
 *   task?: 'classification' | 'regression',  needed only when neither the algorithm nor the metric implies it
 *   metric?: string,                         a METRICS name; default macro_f1 (classification) or rmse (regression)
 *   split?: { folds = 5, purge = 0, embargo = 0, holdoutFraction = 0.2 },
 *   fixedParams?: { ... } }                  parameters of the algorithm that are not tuned
 * ```
 */
import {
  ALGORITHMS,
  type Candidate,
  candidateIssues,
  fitCandidate,
  type ParamValue as LearningParamValue,
  predictRows,
} from '../learning/candidates.ts';
import {
  checkDataset,
  type Dataset,
  holdoutSplit,
  type LearningTask,
  sliceDataset,
} from '../learning/dataset.ts';
import { METRICS, type MetricName, scoreMetric } from '../learning/metrics.ts';
import { MlInputError, walkForward } from '../ml/index.ts';
import { type JsonObject, type Objective, ObjectiveError } from './objectives.ts';
import type { Params, SearchSpace, SpaceSpec } from './space.ts';
import type { Direction } from './types.ts';

/** The registered name of the objective. */
export const MODEL_TRAINING_OBJECTIVE = 'model-training';

/** What `context.services.loadDataset` must be: reads a stored Dataset (JSON) from its URI. */
export type DatasetLoader = (uri: string) => Promise<Dataset>;

/** The rows split of a tuning study. */
export interface ModelTrainingSplit {
  /** Walk-forward folds over the rows before the hold-out (2..20). */
  readonly folds: number;
  /** Rows dropped before each test window (the label horizon). */
  readonly purge: number;
  readonly embargo: number;
  /** The latest share of rows never looked at; use the training run's value (0.05..0.5). */
  readonly holdoutFraction: number;
}

/** Configuration of model-training after validation (every default resolved). */
export interface ModelTrainingConfig {
  readonly datasetUri: string;
  readonly algorithm: string;
  readonly task: LearningTask;
  readonly metric: MetricName;
  readonly split: ModelTrainingSplit;
  readonly fixedParams: Readonly<Record<string, LearningParamValue>>;
}

/** Defaults of the split, the same as a training request's (src/core/learning/request.ts). */
export const MODEL_TRAINING_SPLIT_DEFAULTS: ModelTrainingSplit = {
  folds: 5,
  purge: 0,
  embargo: 0,
  holdoutFraction: 0.2,
};

const DEFAULT_METRIC: Readonly<Record<LearningTask, MetricName>> = {
  classification: 'macro_f1',
  regression: 'rmse',
};

const CONFIG_KEYS = ['datasetUri', 'algorithm', 'task', 'metric', 'split', 'fixedParams'];
const SPLIT_LIMITS: Readonly<Record<keyof ModelTrainingSplit, readonly [number, number, boolean]>> = {
  folds: [2, 20, true],
  purge: [0, 10_000, true],
  embargo: [0, 10_000, true],
  holdoutFraction: [0.05, 0.5, false],
};
// The rule of parseS3Uri in src/adapters/s3-artifact-store.ts, so a URI accepted here can be read there.
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/;

/**
 * MLP search-space aliases: a space holds scalars, hiddenLayerSizes is an array. `hiddenUnits` (units per
 * layer, default 100) and `hiddenLayers` (layer count, default 1) give `hiddenLayers` equal layers.
 */
const MLP_ALIASES = ['hiddenUnits', 'hiddenLayers'] as const;

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

const hasAlgorithm = (name: unknown): name is string =>
  typeof name === 'string' && Object.hasOwn(ALGORITHMS, name);

/** Validates a model-training configuration and fills in its defaults; errors name the field and the rule. */
export function validateModelTrainingConfig(config: unknown): ModelTrainingConfig {
  if (!isObject(config)) {
    throw new ObjectiveError(
      'objectiveConfig: model-training needs an object with at least datasetUri and algorithm',
    );
  }
  for (const k of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(k)) {
      throw new ObjectiveError(`${k}: not a setting of model-training (${CONFIG_KEYS.join(', ')})`, k);
    }
  }
  const { datasetUri, algorithm } = config;
  if (typeof datasetUri !== 'string' || !S3_URI.test(datasetUri)) {
    throw new ObjectiveError(
      'datasetUri: must be s3://<bucket>/<key> (a lower-case bucket name and a key)',
      'datasetUri',
    );
  }
  if (!hasAlgorithm(algorithm)) {
    throw new ObjectiveError(`algorithm: must be one of ${Object.keys(ALGORITHMS).join(', ')}`, 'algorithm');
  }
  const spec = ALGORITHMS[algorithm] as (typeof ALGORITHMS)[string];

  let task: LearningTask | undefined;
  if (config.task !== undefined) {
    if (config.task !== 'classification' && config.task !== 'regression') {
      throw new ObjectiveError("task: must be 'classification' or 'regression'", 'task');
    }
    if (!spec.tasks.includes(config.task)) {
      throw new ObjectiveError(`task: ${algorithm} does ${spec.tasks.join(' and ')} only`, 'task');
    }
    task = config.task;
  }
  let metric: MetricName | undefined;
  if (config.metric !== undefined) {
    if (typeof config.metric !== 'string' || !Object.hasOwn(METRICS, config.metric)) {
      throw new ObjectiveError(`metric: must be one of ${Object.keys(METRICS).join(', ')}`, 'metric');
    }
    metric = config.metric as MetricName;
    const metricTask = METRICS[metric].task;
    if (task !== undefined && metricTask !== task) {
      throw new ObjectiveError(`metric: ${metric} is a ${metricTask} metric, but task is ${task}`, 'metric');
    }
    if (!spec.tasks.includes(metricTask)) {
      throw new ObjectiveError(
        `metric: ${metric} is a ${metricTask} metric, but ${algorithm} does ${spec.tasks.join(' and ')} only`,
        'metric',
      );
    }
    task = metricTask;
  }
  if (task === undefined && spec.tasks.length === 1) task = spec.tasks[0] as LearningTask;
  if (task === undefined) {
    // The study's direction must be known when it is created, before any data is read.
    throw new ObjectiveError(
      `metric: required for ${algorithm}, which does both classification and regression (or give task): the study needs its direction before reading the data`,
      'metric',
    );
  }
  metric ??= DEFAULT_METRIC[task];

  const split = validateSplit(config.split);
  const fixedParams = validateFixedParams(config.fixedParams, algorithm, task);
  return { datasetUri, algorithm, task, metric, split, fixedParams };
}

function validateSplit(raw: unknown): ModelTrainingSplit {
  if (raw === undefined) return MODEL_TRAINING_SPLIT_DEFAULTS;
  if (!isObject(raw)) {
    throw new ObjectiveError(
      'split: must be an object { folds?, purge?, embargo?, holdoutFraction? }',
      'split',
    );
  }
  const out: Record<string, number> = { ...MODEL_TRAINING_SPLIT_DEFAULTS };
  for (const [k, v] of Object.entries(raw)) {
    const limits = Object.hasOwn(SPLIT_LIMITS, k) ? SPLIT_LIMITS[k as keyof ModelTrainingSplit] : undefined;
    if (!limits) {
      throw new ObjectiveError(
        `split.${k}: not a field of split (${Object.keys(SPLIT_LIMITS).join(', ')})`,
        `split.${k}`,
      );
    }
    const [low, high, integer] = limits;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (integer && !Number.isInteger(v)) ||
      v < low ||
      v > high
    ) {
      throw new ObjectiveError(
        `split.${k}: must be ${integer ? 'an integer' : 'a number'} in [${low}, ${high}]`,
        `split.${k}`,
      );
    }
    out[k] = v;
  }
  return out as unknown as ModelTrainingSplit;
}

function validateFixedParams(
  raw: unknown,
  algorithm: string,
  task: LearningTask,
): Record<string, LearningParamValue> {
  if (raw === undefined) return {};
  if (!isObject(raw))
    throw new ObjectiveError('fixedParams: must be an object of parameter values', 'fixedParams');
  const issue = candidateIssues(task, { algorithm, params: raw })[0];
  if (issue) {
    const field = `fixedParams${issue.path.replace(/^params/, '')}`;
    throw new ObjectiveError(`${field}: ${issue.message} (${issue.rule})`, field);
  }
  return { ...(raw as Record<string, LearningParamValue>) };
}

/**
 * The default search space of an algorithm, in the option names of its src/core/ml constructor. Ranges
 * are the usual ones for small tabular data, chosen a priori (not tuned on a benchmark); log scales where
 * the effect is multiplicative. MLP layers are tuned through the aliases `hiddenUnits` and `hiddenLayers`.
 */
export function defaultModelSpace(algorithm: string, task: LearningTask): SpaceSpec {
  const logFloat = (low: number, high: number) => ({ type: 'float', low, high, log: true }) as const;
  const int = (low: number, high: number, log = false) => ({ type: 'int', low, high, log }) as const;
  switch (algorithm) {
    case 'logistic':
      return { C: logFloat(1e-3, 1e2) };
    case 'random-forest':
      return {
        nEstimators: int(20, 200, true),
        maxDepth: int(2, 16),
        minSamplesLeaf: int(1, 20, true),
        maxFeatures: { type: 'categorical', choices: ['sqrt', 'log2', 0.5, 'all'] },
      };
    case 'hist-gbm':
      return {
        learningRate: logFloat(0.01, 0.3),
        maxIter: int(20, 300, true),
        maxLeafNodes: int(4, 64, true),
        minSamplesLeaf: int(2, 50, true),
        l2Regularization: logFloat(1e-4, 10),
      };
    case 'mlp':
      return {
        hiddenUnits: int(8, 128, true),
        hiddenLayers: int(1, 2),
        alpha: logFloat(1e-6, 1e-1),
        learningRate: logFloat(1e-4, 1e-1),
      };
    case 'naive-bayes':
      return { varSmoothing: logFloat(1e-12, 1e-3) };
    case 'knn':
      return { k: int(1, 50, true) };
    case 'decision-tree':
      return {
        maxDepth: int(2, 16),
        minSamplesLeaf: int(1, 20, true),
        ...(task === 'classification'
          ? { criterion: { type: 'categorical', choices: ['gini', 'entropy'] } as const }
          : {}),
      };
    case 'ridge':
      return { alpha: logFloat(1e-4, 1e3) };
    case 'lasso':
      return { alpha: logFloat(1e-5, 10) };
    case 'linear':
      return { fitIntercept: { type: 'categorical', choices: [true, false] } };
    default:
      throw new ObjectiveError(
        `algorithm: must be one of ${Object.keys(ALGORITHMS).join(', ')}`,
        'algorithm',
      );
  }
}

/** Names a space may tune for an algorithm: its parameters, and the MLP aliases. */
function tunableNames(algorithm: string): string[] {
  const names = Object.keys(ALGORITHMS[algorithm]?.params ?? {});
  return algorithm === 'mlp' ? [...names, ...MLP_ALIASES] : names;
}

function parseLayerSizes(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'string' && /^\s*\d+(\s*[,x]\s*\d+)*\s*$/.test(v)) return v.split(/[,x]/).map(Number);
  throw new ObjectiveError(
    `params.hiddenLayerSizes: ${JSON.stringify(v)} must be a number of units or a string such as "64,32"`,
    'params.hiddenLayerSizes',
  );
}

/**
 * The candidate a trial's parameters describe: the MLP aliases turned into `hiddenLayerSizes`, merged with
 * the fixed parameters, checked like a training request's candidate.
 * @throws {ObjectiveError} naming the parameter (`params.<name>`) and the rule.
 */
export function candidateFromParams(params: Params, config: ModelTrainingConfig): Candidate {
  const tuned: Record<string, LearningParamValue> = {};
  for (const [k, v] of Object.entries(params)) {
    if (Object.hasOwn(config.fixedParams, k)) {
      throw new ObjectiveError(`params.${k}: is fixed by fixedParams and cannot be tuned too`, `params.${k}`);
    }
    if (!(MLP_ALIASES as readonly string[]).includes(k) || config.algorithm !== 'mlp') tuned[k] = v;
  }
  if (config.algorithm === 'mlp') {
    const usesAliases = MLP_ALIASES.some((a) => a in params);
    if (usesAliases && ('hiddenLayerSizes' in params || 'hiddenLayerSizes' in config.fixedParams)) {
      throw new ObjectiveError(
        'params.hiddenLayerSizes: give either hiddenLayerSizes or hiddenUnits/hiddenLayers, not both',
        'params.hiddenLayerSizes',
      );
    }
    for (const a of MLP_ALIASES) {
      const v = params[a];
      if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) {
        throw new ObjectiveError(
          `params.${a}: must be an integer >= 1, got ${JSON.stringify(v)}`,
          `params.${a}`,
        );
      }
    }
    if (usesAliases) {
      const units = (params.hiddenUnits as number | undefined) ?? 100;
      const layers = (params.hiddenLayers as number | undefined) ?? 1;
      if (layers > 10) {
        throw new ObjectiveError(
          `params.hiddenLayers: must be at most 10, got ${layers}`,
          'params.hiddenLayers',
        );
      }
      tuned.hiddenLayerSizes = Array.from({ length: layers }, () => units);
    } else if ('hiddenLayerSizes' in params) {
      tuned.hiddenLayerSizes = parseLayerSizes(params.hiddenLayerSizes);
    }
  }
  const candidate: Candidate = { algorithm: config.algorithm, params: { ...config.fixedParams, ...tuned } };
  const issue = candidateIssues(config.task, candidate)[0];
  if (issue) throw new ObjectiveError(`${issue.path}: ${issue.message} (${issue.rule})`, issue.path);
  return candidate;
}

function checkSpace(space: SearchSpace, config: ModelTrainingConfig): void {
  const allowed = tunableNames(config.algorithm);
  for (const d of space.dims) {
    if (!allowed.includes(d.name)) {
      throw new ObjectiveError(
        `space.${d.name}: not a parameter of ${config.algorithm} (${allowed.join(', ')})`,
        `space.${d.name}`,
      );
    }
    if (Object.hasOwn(config.fixedParams, d.name)) {
      throw new ObjectiveError(`space.${d.name}: is fixed by fixedParams`, `space.${d.name}`);
    }
  }
  // Each parameter's extremes (every choice of a categorical) alone with the fixed parameters: a range
  // the constructor refuses fails here, at creation, instead of failing trials one by one.
  for (const d of space.dims) {
    const s = d.spec;
    const values = s.type === 'categorical' ? s.choices : [s.low, s.high];
    for (const v of values) {
      try {
        candidateFromParams({ [d.name]: v }, config);
      } catch (e) {
        if (!(e instanceof ObjectiveError)) throw e;
        throw new ObjectiveError(
          `space.${d.name}: ${JSON.stringify(v)} is not accepted (${e.message})`,
          `space.${d.name}`,
        );
      }
    }
  }
}

/** Lets a timer (the evaluation's timeout) run between folds: fitting is synchronous. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The objective. `evaluate` reads the data set through `context.services.loadDataset`, keeps the rows
 * before the hold-out (holdoutSplit with `split.holdoutFraction`, default 0.2, and the purge/embargo gap:
 * the same rows a training run cross-validates on, so the hold-out stays untouched for the champion
 * comparison), runs walk-forward cross-validation there with `context.seed`, reports the running mean of
 * the metric after each fold (step = fold index) and stops with `{ pruned: true }` when the pruner says so.
 * The value is the mean over folds, equal to crossValidate's mean for the same candidate and seed.
 *
 * @example
 * defaultObjectives().register(modelTrainingObjective());
 */
export function modelTrainingObjective(): Objective {
  const cfg = (config: JsonObject) => config as unknown as ModelTrainingConfig;
  return {
    name: MODEL_TRAINING_OBJECTIVE,
    description:
      'Hyperparameter tuning of one algorithm of the learning core on a stored data set: walk-forward CV mean of one metric on the rows before the hold-out',
    validateConfig: (config) => validateModelTrainingConfig(config) as unknown as JsonObject,
    space(config) {
      const c = cfg(config);
      const fixed = new Set(Object.keys(c.fixedParams));
      if (c.algorithm === 'mlp' && fixed.has('hiddenLayerSizes')) for (const a of MLP_ALIASES) fixed.add(a);
      const space = Object.fromEntries(
        Object.entries(defaultModelSpace(c.algorithm, c.task)).filter(([k]) => !fixed.has(k)),
      );
      if (Object.keys(space).length === 0) {
        throw new ObjectiveError(
          `fixedParams: fixes every parameter of the default ${c.algorithm} space; give the study a space`,
          'fixedParams',
        );
      }
      return space;
    },
    directions: (config): Direction[] => [
      METRICS[cfg(config).metric].direction === 'max' ? 'maximize' : 'minimize',
    ],
    validateSpace: (space, config) => checkSpace(space, cfg(config)),
    async evaluate(params, config, context) {
      const c = cfg(config);
      const candidate = candidateFromParams(params, c);
      const load = context.services?.loadDataset;
      if (typeof load !== 'function') {
        throw new Error(
          'model-training: context.services.loadDataset is missing (the handler must supply the data set loader)',
        );
      }
      const ds = await (load as DatasetLoader)(c.datasetUri);
      checkDataset(ds);
      if (ds.task !== c.task) {
        throw new ObjectiveError(
          `task: ${c.datasetUri} holds a ${ds.task} data set, but the study scores ${c.metric} (${c.task})`,
          'task',
        );
      }
      const { train } = holdoutSplit(ds, c.split.holdoutFraction, c.split);
      let splits: ReturnType<typeof walkForward>;
      try {
        // The options of crossValidate (src/core/learning/candidates.ts), so the folds are the same.
        splits = walkForward(train.X.length, {
          nSplits: c.split.folds,
          purge: c.split.purge,
          embargo: c.split.embargo,
          minTrainSize: 2,
        });
      } catch (e) {
        if (!(e instanceof MlInputError)) throw e;
        if (e.field === 'testSize') {
          throw new ObjectiveError(
            `split.folds: ${c.split.folds} folds over the ${train.X.length} rows before the hold-out leave empty test windows`,
            'split.folds',
          );
        }
        const field = `split.${e.field === 'nSplits' ? 'folds' : e.field}`;
        throw new ObjectiveError(`${field}: ${e.message.replace(/^[^:]*: /, '')}`, field);
      }
      let sum = 0;
      for (const [f, s] of splits.entries()) {
        if (context.signal?.aborted) throw context.signal.reason ?? new Error('model-training: aborted');
        const trainEnd = (s.train[s.train.length - 1] as number) + 1;
        const testFrom = s.test[0] as number;
        const testTo = (s.test[s.test.length - 1] as number) + 1;
        let score: number;
        try {
          const model = fitCandidate(sliceDataset(train, 0, trainEnd), candidate, context.seed);
          const test = sliceDataset(train, testFrom, testTo);
          score = scoreMetric(c.metric, [...test.y], predictRows(model, test));
        } catch (e) {
          // A constructor accepts a value a fit refuses (k above the training rows): name the parameter.
          if (e instanceof MlInputError && e.field in candidate.params) {
            throw new ObjectiveError(
              `params.${e.message} (fold ${f}, ${trainEnd} training rows)`,
              `params.${e.field}`,
            );
          }
          // Otherwise the fold's rows cannot train the model (one class only): say which fold.
          if (e instanceof MlInputError || (e as Error).name === 'LearningError') {
            throw new Error(
              `model-training: fold ${f} (${trainEnd} training rows): ${(e as Error).message}; fewer folds give each more rows`,
              { cause: e },
            );
          }
          throw e;
        }
        if (!Number.isFinite(score)) {
          throw new Error(`model-training: ${c.metric} of fold ${f} is ${score}, not a finite number`);
        }
        sum += score;
        if (context.report(f, sum / (f + 1))) return { pruned: true };
        await yieldToEventLoop();
      }
      return { values: [sum / splits.length] };
    },
  };
}
