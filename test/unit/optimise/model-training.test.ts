/**
 * The model-training objective (src/core/optimise/model-training.ts): configuration, default spaces,
 * evaluation against the learning core's cross-validation, the pruning hook, and a tuning study driven
 * through the study service on the in-memory store.
 */
import { describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  crossValidate,
  type Dataset,
  holdoutSplit,
  type LearningTask,
} from '../../../src/core/learning/index.ts';
import {
  candidateFromParams,
  type DatasetLoader,
  defaultModelSpace,
  MODEL_TRAINING_OBJECTIVE,
  type ModelTrainingConfig,
  modelTrainingObjective,
  validateModelTrainingConfig,
} from '../../../src/core/optimise/model-training.ts';
import {
  defaultObjectives,
  type ObjectiveContext,
  ObjectiveError,
} from '../../../src/core/optimise/objectives.ts';
import {
  askBatch,
  createStudy,
  evaluateTrial,
  loadTrials,
  report,
  type StudyServiceDeps,
  tellBatch,
} from '../../../src/core/optimise/service.ts';
import { SearchSpace } from '../../../src/core/optimise/space.ts';
import { StudyStoreError } from '../../../src/core/optimise/store.ts';
import { InMemoryStudyStore } from '../../../src/core/optimise/store-memory.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const URI = 's3://lake-bucket/datasets/week-move/run-1.json';

/**
 * Three features, a linear rule with noise, about 31 % positives: heavy regularisation (tiny C) leaves
 * the intercept to predict the majority class, so its macro-F1 is near 0.42 while C around 1 gives 0.88.
 */
function classification(n: number, seed = 5): Dataset {
  const rng = mulberry32(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [normal(rng), normal(rng), normal(rng)];
    X.push(x);
    y.push(1.5 * (x[0] as number) - (x[1] as number) + normal(rng, 0, 0.5) > 1 ? 1 : 0);
  }
  return {
    task: 'classification',
    featureNames: ['a', 'b', 'c'],
    X,
    y,
    times: X.map((_, i) => i),
    classes: [0, 1],
  };
}

function regression(n: number, seed = 8): Dataset {
  const rng = mulberry32(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [normal(rng), normal(rng)];
    X.push(x);
    y.push(2 * (x[0] as number) - (x[1] as number) + normal(rng, 0, 0.3));
  }
  return { task: 'regression', featureNames: ['a', 'b'], X, y, times: X.map((_, i) => i) };
}

const CLS = classification(300);
const REG = regression(200);

function loaderOf(datasets: Record<string, Dataset>): DatasetLoader & { calls: string[] } {
  const calls: string[] = [];
  const load = async (uri: string) => {
    calls.push(uri);
    const ds = datasets[uri];
    if (!ds) throw new Error(`no data set at ${uri}`);
    return ds;
  };
  return Object.assign(load, { calls });
}

function contextOf(
  opts: { seed?: number; prune?: (step: number) => boolean; loadDataset?: unknown } = {},
): ObjectiveContext & { reports: Array<[number, number]> } {
  const reports: Array<[number, number]> = [];
  return {
    trialNumber: 0,
    seed: opts.seed ?? 1,
    reports,
    report(step, value) {
      reports.push([step, value]);
      return opts.prune?.(step) ?? false;
    },
    services: { loadDataset: 'loadDataset' in opts ? opts.loadDataset : loaderOf({ [URI]: CLS }) },
  };
}

const objective = modelTrainingObjective();
const configOf = (raw: unknown) => objective.validateConfig(raw);

describe('model-training configuration', () => {
  it('resolves the task and the default metric from the algorithm, and the split defaults', () => {
    // Act
    const logistic = validateModelTrainingConfig({ datasetUri: URI, algorithm: 'logistic' });
    const ridge = validateModelTrainingConfig({ datasetUri: URI, algorithm: 'ridge' });

    // Assess
    expect(logistic).toEqual({
      datasetUri: URI,
      algorithm: 'logistic',
      task: 'classification',
      metric: 'macro_f1',
      split: { folds: 5, purge: 0, embargo: 0, holdoutFraction: 0.2 },
      fixedParams: {},
    });
    expect(ridge).toMatchObject({ task: 'regression', metric: 'rmse' });
  });

  it('takes the task of a two-task algorithm from the metric or from task, and the direction from the metric', () => {
    // Act
    const byMetric = configOf({ datasetUri: URI, algorithm: 'random-forest', metric: 'r2' });
    const byTask = configOf({ datasetUri: URI, algorithm: 'hist-gbm', task: 'regression' });
    const logLoss = configOf({ datasetUri: URI, algorithm: 'logistic', metric: 'log_loss' });

    // Assess
    expect(byMetric).toMatchObject({ task: 'regression', metric: 'r2' });
    expect(objective.directions(byMetric)).toEqual(['maximize']);
    expect(byTask).toMatchObject({ task: 'regression', metric: 'rmse' });
    expect(objective.directions(byTask)).toEqual(['minimize']);
    expect(objective.directions(logLoss)).toEqual(['minimize']);
    expect(objective.directions(configOf({ datasetUri: URI, algorithm: 'logistic' }))).toEqual(['maximize']);
  });

  it('keeps a partial split and valid fixed parameters', () => {
    // Act
    const c = validateModelTrainingConfig({
      datasetUri: URI,
      algorithm: 'random-forest',
      task: 'classification',
      split: { folds: 3, purge: 1 },
      fixedParams: { nEstimators: 10, bootstrap: false },
    });

    // Assess
    expect(c.split).toEqual({ folds: 3, purge: 1, embargo: 0, holdoutFraction: 0.2 });
    expect(c.fixedParams).toEqual({ nEstimators: 10, bootstrap: false });
  });

  it.each([
    [undefined, 'objectiveConfig', /datasetUri and algorithm/],
    [[], 'objectiveConfig', /needs an object/],
    [{ datasetUri: URI, algorithm: 'logistic', seed: 1 }, 'seed', /^seed: not a setting/],
    [{ algorithm: 'logistic' }, 'datasetUri', /^datasetUri: must be s3:\/\//],
    [{ datasetUri: 'https://x/y.json', algorithm: 'logistic' }, 'datasetUri', /^datasetUri:/],
    [{ datasetUri: URI, algorithm: 'svm' }, 'algorithm', /^algorithm: must be one of logistic/],
    [{ datasetUri: URI, algorithm: 'toString' }, 'algorithm', /^algorithm:/],
    [{ datasetUri: URI, algorithm: 'logistic', metric: 'auc' }, 'metric', /^metric: must be one of/],
    [{ datasetUri: URI, algorithm: 'logistic', metric: 'rmse' }, 'metric', /rmse is a regression metric/],
    [{ datasetUri: URI, algorithm: 'random-forest' }, 'metric', /^metric: required for random-forest/],
    [{ datasetUri: URI, algorithm: 'knn', task: 'ranking' }, 'task', /^task: must be/],
    [{ datasetUri: URI, algorithm: 'ridge', task: 'classification' }, 'task', /ridge does regression only/],
    [
      { datasetUri: URI, algorithm: 'knn', task: 'classification', metric: 'mae' },
      'metric',
      /mae is a regression metric, but task is classification/,
    ],
    [{ datasetUri: URI, algorithm: 'logistic', split: 5 }, 'split', /^split: must be an object/],
    [{ datasetUri: URI, algorithm: 'logistic', split: { folds: 1 } }, 'split.folds', /integer in \[2, 20\]/],
    [{ datasetUri: URI, algorithm: 'logistic', split: { folds: 2.5 } }, 'split.folds', /integer/],
    [{ datasetUri: URI, algorithm: 'logistic', split: { purge: -1 } }, 'split.purge', /\[0, 10000\]/],
    [
      { datasetUri: URI, algorithm: 'logistic', split: { holdoutFraction: 0.9 } },
      'split.holdoutFraction',
      /number in \[0.05, 0.5\]/,
    ],
    [{ datasetUri: URI, algorithm: 'logistic', split: { gap: 1 } }, 'split.gap', /not a field of split/],
    [{ datasetUri: URI, algorithm: 'logistic', fixedParams: [1] }, 'fixedParams', /must be an object/],
    [{ datasetUri: URI, algorithm: 'logistic', fixedParams: { C: -1 } }, 'fixedParams.C', /^fixedParams.C: /],
    [
      { datasetUri: URI, algorithm: 'logistic', fixedParams: { alpha: 1 } },
      'fixedParams.alpha',
      /unknown parameter of logistic/,
    ],
    [
      { datasetUri: URI, algorithm: 'logistic', fixedParams: { maxIter: 'many' } },
      'fixedParams.maxIter',
      /must be an integer/,
    ],
  ])('refuses %j, naming %s', (raw, field, message) => {
    // Act
    let error: unknown;
    try {
      validateModelTrainingConfig(raw);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ObjectiveError);
    expect((error as ObjectiveError).field ?? 'objectiveConfig').toBe(field);
    expect((error as Error).message).toMatch(message);
  });
});

describe('model-training spaces', () => {
  const tasksOf = (a: string) => ALGORITHMS[a]?.tasks ?? [];
  const pairs = Object.keys(ALGORITHMS).flatMap((a) =>
    tasksOf(a).map((t) => [a, t] as [string, LearningTask]),
  );

  it.each(pairs)(
    '%s (%s): the default space is valid, and 20 random points of it are valid candidates',
    (algorithm, task) => {
      // Prepare
      const config = configOf({ datasetUri: URI, algorithm, task });
      const space = new SearchSpace(objective.space(config));
      const rng = mulberry32(17);

      // Act and assess
      expect(() => objective.validateSpace?.(space, config)).not.toThrow();
      for (let i = 0; i < 20; i++) {
        const params = space.build({}, (d) => d.low + rng() * (d.high - d.low));
        expect(() => candidateFromParams(params, config as unknown as ModelTrainingConfig)).not.toThrow();
      }
    },
  );

  it('uses the real option names of the ml constructors', () => {
    // Act and assess
    expect(Object.keys(defaultModelSpace('logistic', 'classification'))).toEqual(['C']);
    expect(defaultModelSpace('logistic', 'classification').C).toEqual({
      type: 'float',
      low: 1e-3,
      high: 100,
      log: true,
    });
    expect(Object.keys(defaultModelSpace('knn', 'regression'))).toEqual(['k']);
    expect(Object.keys(defaultModelSpace('hist-gbm', 'classification'))).toEqual([
      'learningRate',
      'maxIter',
      'maxLeafNodes',
      'minSamplesLeaf',
      'l2Regularization',
    ]);
    expect(defaultModelSpace('decision-tree', 'regression').criterion).toBeUndefined();
  });

  it('leaves fixed parameters out of the default space, and refuses to fix all of them', () => {
    // Prepare
    const forest = configOf({
      datasetUri: URI,
      algorithm: 'random-forest',
      task: 'classification',
      fixedParams: { nEstimators: 50, maxFeatures: 'sqrt' },
    });
    const mlp = configOf({
      datasetUri: URI,
      algorithm: 'mlp',
      task: 'classification',
      fixedParams: { hiddenLayerSizes: [8] },
    });
    const allFixed = configOf({ datasetUri: URI, algorithm: 'logistic', fixedParams: { C: 1 } });

    // Act and assess
    expect(Object.keys(objective.space(forest))).toEqual(['maxDepth', 'minSamplesLeaf']);
    expect(Object.keys(objective.space(mlp))).toEqual(['alpha', 'learningRate']);
    expect(() => objective.space(allFixed)).toThrow(
      /^fixedParams: fixes every parameter of the default logistic space/,
    );
  });

  it.each([
    [
      { gamma: { type: 'float', low: 0, high: 1 } },
      /^space.gamma: not a parameter of logistic \(C, maxIter, tol\)/,
    ],
    [{ C: { type: 'float', low: 0, high: 1 } }, /^space.C: 0 is not accepted/],
    [{ maxIter: { type: 'int', low: 10, high: 100 } }, /^space.maxIter: is fixed by fixedParams/],
  ])('refuses a study space %j', (space, message) => {
    // Prepare
    const config = configOf({ datasetUri: URI, algorithm: 'logistic', fixedParams: { maxIter: 200 } });

    // Act and assess
    expect(() => objective.validateSpace?.(new SearchSpace(space as never), config)).toThrow(message);
  });
});

describe('model-training candidates', () => {
  const mlp = validateModelTrainingConfig({ datasetUri: URI, algorithm: 'mlp', task: 'classification' });

  it('turns the MLP aliases and layer strings into hiddenLayerSizes and merges the fixed parameters', () => {
    // Prepare
    const fixed = validateModelTrainingConfig({
      datasetUri: URI,
      algorithm: 'mlp',
      task: 'regression',
      fixedParams: { maxIter: 50 },
    });

    // Act and assess
    expect(candidateFromParams({ hiddenUnits: 16, hiddenLayers: 2, alpha: 0.01 }, mlp).params).toEqual({
      hiddenLayerSizes: [16, 16],
      alpha: 0.01,
    });
    expect(candidateFromParams({ hiddenLayers: 2 }, mlp).params).toEqual({ hiddenLayerSizes: [100, 100] });
    expect(candidateFromParams({ hiddenLayerSizes: '64,32' }, fixed).params).toEqual({
      maxIter: 50,
      hiddenLayerSizes: [64, 32],
    });
    expect(candidateFromParams({ hiddenLayerSizes: 12 }, mlp).params).toEqual({ hiddenLayerSizes: [12] });
  });

  it.each([
    [{ hiddenUnits: 8, hiddenLayerSizes: '8' }, /^params.hiddenLayerSizes: give either/],
    [{ hiddenLayerSizes: 'wide' }, /^params.hiddenLayerSizes: "wide" must be/],
    [{ hiddenUnits: 0 }, /^params.hiddenUnits: must be an integer >= 1/],
    [{ alpha: -1 }, /^params.alpha: /],
    [{ momentum: 0.9 }, /^params.momentum: unknown parameter of mlp/],
  ])('refuses %j, naming the parameter', (params, message) => {
    // Act and assess
    expect(() => candidateFromParams(params, mlp)).toThrow(message);
  });
});

describe('model-training evaluation', () => {
  const logistic = configOf({ datasetUri: URI, algorithm: 'logistic' });

  it('returns the walk-forward CV mean on the rows before the hold-out, as crossValidate computes it', async () => {
    // Prepare
    const ctx = contextOf();
    const split = { folds: 5, purge: 0, embargo: 0 };
    const expected = crossValidate(
      holdoutSplit(CLS, 0.2, split).train,
      { algorithm: 'logistic', params: { C: 1 } },
      split,
      1,
    );

    // Act
    const out = await objective.evaluate({ C: 1 }, logistic, ctx);

    // Assess
    expect(out).toEqual({ values: [expected.mean.macro_f1] });
    expect(expected.mean.macro_f1).toBeGreaterThan(0.8);
  });

  it('reports the running mean once per fold (steps 0..folds-1), the last one being the value', async () => {
    // Prepare
    const ctx = contextOf();
    const split = { folds: 4, purge: 2, embargo: 1 };
    const config = configOf({ datasetUri: URI, algorithm: 'logistic', metric: 'log_loss', split });
    const cv = crossValidate(
      holdoutSplit(CLS, 0.2, split).train,
      { algorithm: 'logistic', params: { C: 0.5 } },
      split,
      1,
    );

    // Act
    const out = await objective.evaluate({ C: 0.5 }, config, ctx);

    // Assess
    expect(ctx.reports.map(([s]) => s)).toEqual([0, 1, 2, 3]);
    const folds = cv.folds.map((f) => f.metrics.log_loss as number);
    ctx.reports.forEach(([s, v]) => {
      const head = folds.slice(0, s + 1);
      expect(v).toBeCloseTo(head.reduce((a, b) => a + b, 0) / head.length, 12);
    });
    expect(out).toEqual({ values: [ctx.reports[3]?.[1]] });
    expect(out).toEqual({ values: [cv.mean.log_loss] });
  });

  it('never reads the hold-out: changing its rows changes nothing', async () => {
    // Prepare: the latest 20 % (60 rows) get random features and flipped labels.
    const rng = mulberry32(99);
    const spoiled: Dataset = {
      ...CLS,
      X: CLS.X.map((x, i) => (i >= 240 ? [normal(rng), normal(rng), normal(rng)] : x)),
      y: CLS.y.map((y, i) => (i >= 240 ? 1 - y : y)),
    };
    const spoiledUri = 's3://lake-bucket/datasets/spoiled.json';
    const config = configOf({ datasetUri: spoiledUri, algorithm: 'logistic' });

    // Act
    const clean = await objective.evaluate({ C: 1 }, logistic, contextOf());
    const other = await objective.evaluate(
      { C: 1 },
      config,
      contextOf({ loadDataset: loaderOf({ [spoiledUri]: spoiled }) }),
    );

    // Assess
    expect(other).toEqual(clean);
  });

  it('stops with pruned when the report says so, after the fold that was reported', async () => {
    // Prepare
    const ctx = contextOf({ prune: (step) => step === 1 });

    // Act
    const out = await objective.evaluate({ C: 1 }, logistic, ctx);

    // Assess
    expect(out).toEqual({ pruned: true });
    expect(ctx.reports.map(([s]) => s)).toEqual([0, 1]);
  });

  it('is deterministic for a seed, and the seed reaches seeded models', async () => {
    // Prepare
    const config = configOf({
      datasetUri: URI,
      algorithm: 'random-forest',
      metric: 'log_loss',
      fixedParams: { nEstimators: 8 },
    });
    const params = { maxDepth: 4, minSamplesLeaf: 3, maxFeatures: 'sqrt' };

    // Act
    const a = await objective.evaluate(params, config, contextOf({ seed: 11 }));
    const b = await objective.evaluate(params, config, contextOf({ seed: 11 }));
    const c = await objective.evaluate(params, config, contextOf({ seed: 12 }));

    // Assess
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('scores a regression data set with rmse', async () => {
    // Prepare
    const config = configOf({ datasetUri: URI, algorithm: 'ridge' });
    const ctx = contextOf({ loadDataset: loaderOf({ [URI]: REG }) });

    // Act
    const out = (await objective.evaluate({ alpha: 0.1 }, config, ctx)) as { values: number[] };

    // Assess: the noise sd is 0.3, so a linear model's rmse is close to it.
    expect(out.values[0]).toBeGreaterThan(0.2);
    expect(out.values[0]).toBeLessThan(0.45);
  });

  it.each([
    [{ C: -1 }, /^params.C: /],
    [{ C: 1, penalty: 'l1' }, /^params.penalty: unknown parameter of logistic/],
  ])('throws for invalid params %j, naming the parameter', async (params, message) => {
    // Act and assess
    await expect(objective.evaluate(params, logistic, contextOf())).rejects.toThrow(message);
  });

  it('names k when k-NN asks for more neighbours than a fold has training rows', async () => {
    // Prepare: 60 rows, 48 before the hold-out, 5 folds of 8: the first fold trains on 8 rows.
    const small = classification(60);
    const config = configOf({ datasetUri: URI, algorithm: 'knn', task: 'classification' });

    // Act and assess
    await expect(
      objective.evaluate({ k: 20 }, config, contextOf({ loadDataset: loaderOf({ [URI]: small }) })),
    ).rejects.toThrow(/^params.k: .*\(fold 0, 8 training rows\)/);
  });

  it('fails clearly without the loader, for a data set of the wrong task, and for too many folds', async () => {
    // Prepare: 30 rows leave 24 before the hold-out; 20 folds of one row, the first training on 4 rows
    // (one class only), or on none once 2 rows are purged; 5 purged rows leave fewer rows than folds + 1.
    const twenty = configOf({ datasetUri: URI, algorithm: 'logistic', split: { folds: 20 } });
    const purged = configOf({ datasetUri: URI, algorithm: 'logistic', split: { folds: 20, purge: 2 } });
    const starved = configOf({ datasetUri: URI, algorithm: 'logistic', split: { folds: 20, purge: 5 } });
    const tiny = classification(30);

    // Act and assess
    await expect(
      objective.evaluate({ C: 1 }, logistic, contextOf({ loadDataset: undefined })),
    ).rejects.toThrow(/context.services.loadDataset is missing/);
    await expect(
      objective.evaluate({ C: 1 }, logistic, contextOf({ loadDataset: loaderOf({ [URI]: REG }) })),
    ).rejects.toThrow(
      /^task: .* holds a regression data set, but the study scores macro_f1 \(classification\)/,
    );
    await expect(
      objective.evaluate({ C: 1 }, twenty, contextOf({ loadDataset: loaderOf({ [URI]: tiny }) })),
    ).rejects.toThrow(/^model-training: fold 0 \(4 training rows\): y: has 1 class.*fewer folds/);
    await expect(
      objective.evaluate({ C: 1 }, purged, contextOf({ loadDataset: loaderOf({ [URI]: tiny }) })),
    ).rejects.toThrow(/^split.folds: split 0 would train on 0 rows/);
    await expect(
      objective.evaluate({ C: 1 }, starved, contextOf({ loadDataset: loaderOf({ [URI]: tiny }) })),
    ).rejects.toThrow(/^split.folds: 20 folds over the 19 rows before the hold-out leave empty test windows/);
  });
});

describe('a model-training study', () => {
  const T0 = Date.UTC(2024, 0, 2, 10, 0, 0);

  function setup(): StudyServiceDeps & { loader: ReturnType<typeof loaderOf> } {
    let t = T0;
    const objectives = defaultObjectives();
    return {
      store: new InMemoryStudyStore(),
      objectives,
      now: () => {
        t += 1000;
        return t;
      },
      loader: loaderOf({ [URI]: CLS }),
    };
  }

  /** The workflow's loop: ask, evaluate each trial, tell, until the ask says done; then report. */
  async function drive(deps: ReturnType<typeof setup>, id: string) {
    for (let step = 0; step < 100; step++) {
      const ask = await askBatch(deps, id, { workerId: 'w', askId: `w#${step}` });
      if (ask.done) return report(deps, id);
      const { definition } = await deps.store.getStudy(id);
      const peers = definition.pruner ? await loadTrials(deps.store, id, 'complete') : [];
      const results = await Promise.all(
        ask.trials.map(async (t) => ({
          number: t.number,
          result: await evaluateTrial(deps.objectives, definition, t, {
            context: { services: { loadDataset: deps.loader } },
            peers,
          }),
        })),
      );
      await tellBatch(deps, id, results);
    }
    throw new Error('the study did not finish in 100 steps');
  }

  const body = {
    name: 'tune logistic C',
    objective: MODEL_TRAINING_OBJECTIVE,
    objectiveConfig: { datasetUri: URI, algorithm: 'logistic' },
    budget: { maxTrials: 12 },
    batchSize: 4,
    seed: 7,
  };

  it('tunes logistic C to a better CV macro-F1 than a deliberately bad C, every trial reporting each fold', async () => {
    // Prepare
    const deps = setup();
    await createStudy(deps, body, { id: 's1' });
    const bad = (await objective.evaluate({ C: 1e-3 }, configOf(body.objectiveConfig), contextOf())) as {
      values: number[];
    };

    // Act
    const r = await drive(deps, 's1');

    // Assess
    expect(r).toMatchObject({ status: 'completed', reason: 'budget', directions: ['maximize'] });
    expect(r.counts).toMatchObject({ complete: 12, failed: 0 });
    const best = r.best?.values[0] as number;
    expect(bad.values[0]).toBeLessThan(0.5);
    expect(best).toBeGreaterThan(0.85);
    expect(best - (bad.values[0] as number)).toBeGreaterThan(0.3);
    expect(r.best?.params.C as number).toBeGreaterThan(0.05);
    const trials = await loadTrials(deps.store, 's1');
    for (const t of trials) expect(t.intermediate.map(([s]) => s)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(deps.loader.calls)).toEqual(new Set([URI]));
  });

  it('is deterministic for a seed: two studies try the same C values and score them equally', async () => {
    // Prepare
    const a = setup();
    const b = setup();
    await createStudy(a, body, { id: 'one' });
    await createStudy(b, body, { id: 'two' });

    // Act
    await drive(a, 'one');
    await drive(b, 'two');

    // Assess
    const pick = (ts: Awaited<ReturnType<typeof loadTrials>>) => ts.map((t) => [t.params, t.values]);
    expect(pick(await loadTrials(a.store, 'one'))).toEqual(pick(await loadTrials(b.store, 'two')));
  });

  it('prunes with a median pruner: pruned trials stop at the fold where they fell behind', async () => {
    // Prepare: a space reaching far into over-regularisation, so some trials trail the median early.
    const deps = setup();
    await createStudy(
      deps,
      {
        ...body,
        space: { C: { type: 'float', low: 1e-4, high: 100, log: true } },
        sampler: 'random',
        pruner: { type: 'median', nStartupTrials: 3 },
        budget: { maxTrials: 16 },
      },
      { id: 'p1' },
    );

    // Act
    const r = await drive(deps, 'p1');

    // Assess
    const trials = await loadTrials(deps.store, 'p1');
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(r.counts.complete + r.counts.pruned).toBe(16);
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) expect(t.intermediate.length).toBeLessThan(5);
    for (const t of trials.filter((x) => x.state === 'complete')) expect(t.intermediate).toHaveLength(5);
  });

  it('refuses a bad configuration at creation, naming the field under objectiveConfig', async () => {
    // Prepare
    const deps = setup();

    // Act
    const error = await createStudy(
      deps,
      { ...body, objectiveConfig: { datasetUri: URI, algorithm: 'logistic', metric: 'rmse' } },
      { id: 'bad' },
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StudyStoreError);
    expect((error as StudyStoreError).field).toBe('objectiveConfig.metric');
    expect((error as Error).message).toMatch(/rmse is a regression metric/);
  });

  it('records a failed trial, not a crash, when the handler gives no loader', async () => {
    // Prepare
    const deps = setup();
    const { study } = await createStudy(deps, body, { id: 'nl' });

    // Act
    const result = await evaluateTrial(deps.objectives, study.definition, { number: 0, params: { C: 1 } });

    // Assess
    expect(result).toEqual({
      state: 'failed',
      error: expect.stringMatching(/^model-training: Error: .*services.loadDataset is missing/),
    });
  });
});
