import { describe, expect, it } from 'vitest';
import {
  type Dataset,
  datasetFromCsv,
  datasetFromSeries,
  fingerprintDataset,
  holdoutSplit,
  LearningError,
} from '../../../src/core/learning/index.ts';

describe('datasetFromCsv', () => {
  it('reads features, sorts by the time column (stably) and codes text labels', () => {
    // Prepare
    const csv = ['t,a,b,label', '2024-01-03,3,,up', '2024-01-01,1,10,down', '"2024-01-02",2,"20",up'].join(
      '\r\n',
    );
    // Act
    const ds = datasetFromCsv(csv, { task: 'classification', target: 'label', timeColumn: 't' });
    // Assess
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(ds.X).toEqual([
      [1, 10],
      [2, 20],
      [3, null],
    ]);
    expect(ds.y).toEqual([0, 1, 1]);
    expect(ds.classNames).toEqual(['down', 'up']);
    expect(ds.times).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)]);
  });

  it('uses file order when there is no time column, and the listed features only', () => {
    const ds = datasetFromCsv('a,b,y\n1,2,0.5\n3,4,1.5', {
      task: 'regression',
      target: 'y',
      features: ['b'],
    });
    expect(ds).toMatchObject({ X: [[2], [4]], y: [0.5, 1.5], times: [0, 1] });
  });

  it('names the row and the column of a bad cell', () => {
    expect(() => datasetFromCsv('a,y\n1,0\nx,1', { task: 'classification', target: 'y' })).toThrow(
      /csv row 3 column a: "x" is not a number/,
    );
    expect(() => datasetFromCsv('a,y\n1,0', { task: 'classification', target: 'z' })).toThrow(
      /target: column "z" is not in the header/,
    );
    expect(() => datasetFromCsv('a,y\n1,up', { task: 'regression', target: 'y' })).toThrow(LearningError);
  });
});

describe('datasetFromSeries', () => {
  it('builds lagged features on the step grid and the target horizon steps ahead', () => {
    // Prepare: steps 0..5 with values 10, 11, (missing), 13, 14, 15.
    const pts = [10, 11, Number.NaN, 13, 14, 15]
      .map((avg, k) => ({ time: 1000 + k * 100, avg }))
      .filter((p) => !Number.isNaN(p.avg));
    // Act
    const ds = datasetFromSeries(pts, {
      from: 1000,
      to: 1600,
      stepMs: 100,
      lags: 2,
      target: { horizon: 1, kind: 'value' },
    });
    // Assess: row t has [v_t, v_{t-1}] -> v_{t+1}; the row whose target (step 2) is missing is dropped.
    expect(ds.X).toEqual([
      [null, 11],
      [13, null],
      [14, 13],
    ]);
    expect(ds.y).toEqual([13, 14, 15]);
    expect(ds.times).toEqual([1200, 1300, 1400]);
  });

  it('direction targets make a classification set', () => {
    const pts = [1, 3, 2, 4].map((avg, k) => ({ time: k, avg }));
    const ds = datasetFromSeries(pts, {
      from: 0,
      to: 4,
      stepMs: 1,
      lags: 1,
      target: { horizon: 1, kind: 'direction' },
    });
    expect(ds).toMatchObject({ task: 'classification', y: [1, 0, 1], classes: [0, 1] });
  });
});

describe('fingerprintDataset', () => {
  const ds: Dataset = { task: 'regression', featureNames: ['a'], X: [[1], [null]], y: [1, 2], times: [0, 1] };

  it('is a stable SHA-256 of the content', () => {
    const fp = fingerprintDataset(ds);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintDataset(JSON.parse(JSON.stringify(ds)))).toBe(fp);
  });

  it('changes when any value, name or order changes', () => {
    const fp = fingerprintDataset(ds);
    expect(fingerprintDataset({ ...ds, y: [1, 2.0000001] })).not.toBe(fp);
    expect(fingerprintDataset({ ...ds, X: [[1], [0]] })).not.toBe(fp);
    expect(fingerprintDataset({ ...ds, featureNames: ['b'] })).not.toBe(fp);
    expect(fingerprintDataset({ ...ds, times: [0, 2] })).not.toBe(fp);
  });
});

describe('holdoutSplit', () => {
  const n = 100;
  const ds: Dataset = {
    task: 'regression',
    featureNames: ['i'],
    X: Array.from({ length: n }, (_, i) => [i]),
    y: Array.from({ length: n }, (_, i) => i),
    times: Array.from({ length: n }, (_, i) => i * 1000),
  };

  it('holds out the latest rows and leaves the purge + embargo gap before them', () => {
    // Act
    const s = holdoutSplit(ds, 0.2, { purge: 2, embargo: 1 });
    // Assess
    expect(s.holdoutStart).toBe(80);
    expect(s.holdout.y).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect(s.trainEnd).toBe(77);
    expect(s.train.y.at(-1)).toBe(76);
    expect(Math.max(...s.train.times)).toBeLessThan(Math.min(...s.holdout.times));
  });

  it('refuses fractions outside (0, 1) and splits that leave no training rows', () => {
    expect(() => holdoutSplit(ds, 1)).toThrow(/holdoutFraction: is 1/);
    expect(() => holdoutSplit(ds, 0.5, { purge: 49 })).toThrow(/train-size|training rows/);
    expect(() => holdoutSplit(ds, 0.2, { embargo: -1 })).toThrow(/embargo/);
  });
});
