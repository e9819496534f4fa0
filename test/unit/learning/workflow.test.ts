import { describe, expect, it } from 'vitest';
import {
  buildDataset,
  compareWithChampion,
  describeDataset,
  holdoutSplit,
  modelPromotedEvent,
  selectBest,
  tryTrainCandidate,
  validateTrainingRequest,
} from '../../../src/core/learning/index.ts';
import { syntheticMarket } from './helpers.ts';

function csvOf(rows: string[][]): string {
  return rows.map((r) => r.join(',')).join('\n');
}

describe('the training workflow steps, end to end on small data', () => {
  it('validates, builds the week-movement data set, trains, selects, compares and announces', () => {
    // Prepare: price and VIX CSVs as the handler would read them from S3.
    const { bars, vix } = syntheticMarket(500, 21);
    const pricesCsv = csvOf([
      ['Date', 'Open', 'High', 'Low', 'Close'],
      ...bars.map((b) => [b.date, `${b.open}`, `${b.high}`, `${b.low}`, `${b.close}`]),
    ]);
    const vixCsv = csvOf([['DATE', 'CLOSE'], ...vix.map((v) => [v.date, `${v.close}`])]);
    const request = validateTrainingRequest({
      model: 'week-movement-test',
      task: 'classification',
      dataset: {
        source: 'week-movement',
        pricesUri: 's3://lake-bucket/p.csv',
        vixUri: 's3://lake-bucket/v.csv',
        symbol: 'TEST',
      },
      candidates: [
        { algorithm: 'logistic', params: { C: 0.5 } },
        { algorithm: 'naive-bayes' },
        { algorithm: 'knn', params: { k: 100_000 } },
      ],
      split: { folds: 3 },
      seed: 4,
    });
    // Act
    const ds = buildDataset(request, { source: 'week-movement', pricesCsv, vixCsv });
    const results = request.candidates.map((c) => tryTrainCandidate(ds, c, request.split, request.seed));
    const best = selectBest(results, request.primaryMetric);
    const { holdout } = holdoutSplit(ds, request.split.holdoutFraction, request.split);
    const first = compareWithChampion({
      yHoldout: [...holdout.y],
      challenger: best.holdoutPredictions,
      champion: undefined,
      metric: request.primaryMetric,
      ...request.promotion,
      seed: request.seed,
    });
    const event = modelPromotedEvent(
      {
        model: request.model,
        version: 1,
        previousVersion: null,
        alias: request.promotion.alias,
        decision: 'first-version',
        confidence: first.confidence,
        metrics: best.holdoutMetrics,
        runId: 'run-1',
      },
      0,
    );
    // Assess
    expect(describeDataset(ds).rows).toBe(ds.X.length);
    expect(results[2]).toMatchObject({ status: 'failed', algorithm: 'knn' });
    expect(['logistic', 'naive-bayes']).toContain(best.algorithm);
    expect(first.decision).toBe('first-version');
    expect(event.detail).toMatchObject({ model: 'week-movement-test', decision: 'first-version' });
  });

  it('fails the dataset step once, naming split.folds, when the rows cannot hold the folds', () => {
    const request = validateTrainingRequest({
      model: 'tiny-csv',
      task: 'regression',
      dataset: { source: 'csv', uri: 's3://lake-bucket/tiny.csv', target: 'y' },
      split: { folds: 10 },
    });
    const text = csvOf([['x', 'y'], ...Array.from({ length: 20 }, (_, i) => [`${i}`, `${2 * i}`])]);
    expect(() => buildDataset(request, { source: 'csv', text })).toThrow(
      /^split\.folds: 10 walk-forward folds/,
    );
    expect(() => buildDataset(request, { source: 'series', points: [] })).toThrow(/input\.source/);
  });
});
