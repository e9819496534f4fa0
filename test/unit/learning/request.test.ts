import { describe, expect, it } from 'vitest';
import {
  parseTrainingRequest,
  TrainingRequestError,
  validateTrainingRequest,
} from '../../../src/core/learning/index.ts';

const WEEK = {
  model: 'week-movement-spy',
  task: 'classification',
  dataset: {
    source: 'week-movement',
    pricesUri: 's3://lake-bucket/prices/SPY.csv',
    vixUri: 's3://lake-bucket/prices/vix.csv',
    symbol: 'SPY',
  },
};

function errorsOf(body: unknown) {
  const r = parseTrainingRequest(body);
  if (r.ok) throw new Error('expected the request to be refused');
  return r.errors;
}

describe('validateTrainingRequest', () => {
  it('applies the defaults of a minimal week-movement request', () => {
    // Act
    const r = validateTrainingRequest(WEEK);
    // Assess
    expect(r.primaryMetric).toEqual({ name: 'macro_f1', direction: 'max' });
    expect(r.split).toEqual({ holdoutFraction: 0.2, folds: 5, purge: 1, embargo: 0 });
    expect(r.promotion).toEqual({
      margin: 0,
      minConfidence: 0.9,
      requireApproval: false,
      resamples: 1000,
      alias: 'champion',
    });
    expect(r.seed).toBe(0);
    expect(r.candidates.map((c) => c.algorithm)).toEqual([
      'logistic',
      'random-forest',
      'hist-gbm',
      'mlp',
      'naive-bayes',
    ]);
  });

  it('defaults regression to RMSE (lower is better) and the series purge to the horizon', () => {
    const r = validateTrainingRequest({
      model: 'latency-forecast',
      task: 'regression',
      dataset: {
        source: 'series',
        metric: 'latency_ms',
        component: 'trading-engine',
        from: '2025-01-01T00:00:00Z',
        to: 1_735_776_000_000,
        stepMs: 60_000,
        target: { horizon: 3, kind: 'value' },
      },
    });
    expect(r.primaryMetric).toEqual({ name: 'rmse', direction: 'min' });
    expect(r.split.purge).toBe(3);
    expect(r.dataset).toMatchObject({
      from: Date.parse('2025-01-01T00:00:00Z'),
      to: 1_735_776_000_000,
      lags: 5,
    });
  });

  it('names the field and the rule of every problem at once', () => {
    // Act
    const errors = errorsOf({
      model: 'Bad_Name',
      task: 'classification',
      dataset: { ...WEEK.dataset, pricesUri: 'http://x/y.csv' },
      split: { holdoutFraction: 0.9, folds: 1 },
      promotion: { minConfidence: 1.5 },
      seed: -1,
    });
    // Assess
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.rule]));
    expect(byPath).toMatchObject({
      model: 'pattern',
      'dataset.pricesUri': 'pattern',
      'split.holdoutFraction': 'max',
      'split.folds': 'min',
      'promotion.minConfidence': 'max',
      seed: 'min',
    });
  });

  it('throws a TrainingRequestError whose message names the field', () => {
    expect(() => validateTrainingRequest({ ...WEEK, task: 'clustering' })).toThrow(TrainingRequestError);
    expect(() => validateTrainingRequest({ ...WEEK, task: 'clustering' })).toThrow(/^task: must be one of/);
    expect(() => validateTrainingRequest({ task: 'classification', dataset: WEEK.dataset })).toThrow(
      /model: is required/,
    );
  });

  it('refuses an unknown data source, naming the sources', () => {
    const errors = errorsOf({ ...WEEK, dataset: { source: 'athena' } });
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'dataset.source',
        rule: 'enum',
        message: expect.stringMatching(/csv/),
      }),
    ]);
  });

  it('checks algorithms against the ml constructors and the task', () => {
    const errors = errorsOf({
      ...WEEK,
      candidates: [
        { algorithm: 'ridge' },
        { algorithm: 'random-forest', params: { nEstimators: 0 } },
        { algorithm: 'logistic', params: { C: 'big', depth: 3 } },
        { algorithm: 'mlp', params: { hiddenLayerSizes: [0] } },
      ],
    });
    expect(errors).toEqual([
      expect.objectContaining({ path: 'candidates.0.algorithm', rule: 'enum' }),
      expect.objectContaining({ path: 'candidates.1.params.nEstimators', rule: 'range' }),
      expect.objectContaining({ path: 'candidates.2.params.C', rule: 'type' }),
      expect.objectContaining({ path: 'candidates.2.params.depth', rule: 'unknown_key' }),
      expect.objectContaining({ path: 'candidates.3.params.hiddenLayerSizes[0]', rule: 'range' }),
    ]);
  });

  it('enforces cross-field rules: task vs data set, metric vs task, csv target', () => {
    expect(errorsOf({ ...WEEK, task: 'regression' })).toEqual([
      expect.objectContaining({ path: 'task', rule: 'dataset.task' }),
    ]);
    expect(
      errorsOf({
        model: 'csv-model',
        task: 'classification',
        primaryMetric: 'rmse',
        dataset: { source: 'csv', uri: 's3://bucket-a/d.csv', target: 'y', features: ['a', 'y'] },
      }).map((e) => `${e.path}/${e.rule}`),
    ).toEqual(['dataset.features/not_target', 'primaryMetric/task']);
    expect(
      errorsOf({
        model: 'series-model',
        task: 'regression',
        dataset: {
          source: 'series',
          metric: 'latency_ms',
          from: 'yesterday',
          to: 0,
          stepMs: 60_000,
          target: { horizon: 1, kind: 'direction' },
        },
      }).map((e) => `${e.path}/${e.rule}`),
    ).toEqual(['dataset.from/time.format', 'task/dataset.task']);
  });

  it('refuses unknown keys (a typo must not be dropped silently)', () => {
    const errors = errorsOf({ ...WEEK, promotion: { margn: 0.1 } });
    expect(errors).toEqual([expect.objectContaining({ path: 'promotion.margn', rule: 'unknown_key' })]);
  });
});
