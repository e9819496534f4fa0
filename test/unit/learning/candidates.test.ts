import { describe, expect, it } from 'vitest';
import {
  type CandidateResult,
  holdoutSplit,
  predictRows,
  primaryMetric,
  selectBest,
  trainCandidate,
  tryTrainCandidate,
} from '../../../src/core/learning/index.ts';
import { loadModel } from '../../../src/core/ml/index.ts';
import { toyClassification } from './helpers.ts';

const split = { holdoutFraction: 0.25, folds: 3, purge: 1, embargo: 1 };

describe('trainCandidate', () => {
  const ds = toyClassification(160);

  it('is deterministic for a seed, and its artifact predicts the hold-out identically after JSON', () => {
    // Act
    const forest = { algorithm: 'random-forest', params: { nEstimators: 15, minSamplesLeaf: 3 } };
    const a = trainCandidate(ds, forest, split, 42, () => 0);
    const b = trainCandidate(ds, forest, split, 42, () => 0);
    const c = trainCandidate(ds, forest, split, 43, () => 0);
    // Assess
    expect(a).toEqual(b);
    expect(c.artifact).not.toEqual(a.artifact);
    const reloaded = loadModel(JSON.parse(JSON.stringify(a.artifact)));
    const { holdout } = holdoutSplit(ds, split.holdoutFraction, split);
    expect(predictRows(reloaded, holdout)).toEqual(a.holdoutPredictions);
  });

  it('cross-validates walk-forward on the rows before the hold-out only', () => {
    const r = trainCandidate(ds, { algorithm: 'logistic', params: {} }, split, 0);
    // 160 rows: hold-out 40 (rows 120..159), training rows 0..117 (gap of 2). Walk-forward on those 118:
    // test windows of floor(118/4) = 29 rows from row 31; each trains on rows before testFrom - 2.
    expect(r.cvMetrics.folds.map((f) => [f.trainRows, f.testFrom, f.testTo])).toEqual([
      [29, 31, 60],
      [58, 60, 89],
      [87, 89, 118],
    ]);
    expect(r.cvMetrics.mean.accuracy).toBeCloseTo(
      r.cvMetrics.folds.reduce((s, f) => s + f.metrics.accuracy!, 0) / 3,
      12,
    );
    expect(r.holdoutPredictions.kind).toBe('proba');
    expect(r.holdoutMetrics.accuracy).toBeGreaterThan(0.75);
    expect(Object.keys(r.holdoutMetrics).sort()).toEqual(['accuracy', 'log_loss', 'macro_f1']);
  });

  it('trains regressors with RMSE, MAE and R²', () => {
    const reg = { ...ds, task: 'regression' as const, y: ds.X.map((x) => 2 * (x[0] as number) + 1) };
    const { classes: _c, ...plain } = reg;
    const r = trainCandidate(plain, { algorithm: 'ridge', params: { alpha: 0.01 } }, split, 0);
    expect(r.holdoutMetrics.rmse).toBeLessThan(0.05);
    expect(r.holdoutMetrics.r2).toBeGreaterThan(0.99);
  });

  it('reports a failure instead of throwing when asked to', () => {
    const oneClass = { ...ds, y: ds.y.map(() => 1), classes: [1] };
    const r = tryTrainCandidate(oneClass, { algorithm: 'logistic', params: {} }, split, 0);
    expect(r).toMatchObject({
      status: 'failed',
      algorithm: 'logistic',
      error: expect.stringMatching(/class/),
    });
  });
});

describe('selectBest', () => {
  const fake = (algorithm: string, cv: number, holdout: number): CandidateResult =>
    ({
      status: 'ok',
      algorithm,
      params: {},
      cvMetrics: { mean: { macro_f1: cv, log_loss: 1 - cv }, folds: [] },
      holdoutMetrics: { macro_f1: holdout, log_loss: 1 - holdout },
    }) as unknown as CandidateResult;

  it("picks the best cross-validation score in the metric's direction", () => {
    const rs = [fake('a', 0.5, 0.9), fake('b', 0.6, 0.1), fake('c', 0.4, 0.5)];
    expect(selectBest(rs, primaryMetric('macro_f1')).algorithm).toBe('b');
    expect(selectBest(rs, primaryMetric('log_loss')).algorithm).toBe('b');
  });

  it('breaks ties by hold-out score, then by name, whatever the input order', () => {
    expect(selectBest([fake('z', 0.5, 0.2), fake('y', 0.5, 0.3)], primaryMetric('macro_f1')).algorithm).toBe(
      'y',
    );
    const tied = [fake('m', 0.5, 0.5), fake('k', 0.5, 0.5)];
    expect(selectBest(tied, primaryMetric('macro_f1')).algorithm).toBe('k');
    expect(selectBest([...tied].reverse(), primaryMetric('macro_f1')).algorithm).toBe('k');
  });

  it('skips failed candidates and explains when all failed', () => {
    const failed = { status: 'failed', algorithm: 'mlp', params: {}, error: 'boom' } as const;
    expect(selectBest([failed, fake('a', 0.1, 0.1)], primaryMetric('macro_f1')).algorithm).toBe('a');
    expect(() => selectBest([failed], primaryMetric('macro_f1'))).toThrow(
      /candidates: no candidate could be trained \(mlp: boom\)/,
    );
    expect(() => selectBest([], primaryMetric('macro_f1'))).toThrow(/none given/);
  });
});
