import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  fromRows,
  GaussianNB,
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  KMeans,
  KNeighborsClassifier,
  Lasso,
  LinearRegression,
  LogisticRegression,
  MLPClassifier,
  MLPRegressor,
  RandomForestClassifier,
  RandomForestRegressor,
  Ridge,
  r2,
} from '../../../src/core/ml/index.ts';
import { blobs, uniformData } from './helpers.ts';

describe('linear models', () => {
  it('OLS recovers the coefficients of exactly linear data', () => {
    const { X, y } = uniformData(30, 2, (x) => 1 + 2 * (x[0] as number) - 3 * (x[1] as number));
    const m = new LinearRegression().fit(X, y);
    expect(m.coef?.[0]).toBeCloseTo(2, 9);
    expect(m.coef?.[1]).toBeCloseTo(-3, 9);
    expect(m.intercept).toBeCloseTo(1, 9);
  });

  it('ridge matches its closed form on a tiny case', () => {
    // Centred x = (-1, 0, 1), centred y = (-1, 0, 1): w = Σxy / (Σx² + α) = 2 / 3; b = 2 - 2·w.
    const m = new Ridge({ alpha: 1 }).fit(fromRows([[1], [2], [3]]), [1, 2, 3]);
    expect(m.coef?.[0]).toBeCloseTo(2 / 3, 12);
    expect(m.intercept).toBeCloseTo(2 / 3, 12);
  });

  it('lasso sets irrelevant features exactly to zero', () => {
    const { X, y } = uniformData(200, 4, (x) => 5 * (x[0] as number));
    const m = new Lasso({ alpha: 0.05 }).fit(X, y);
    expect(m.coef?.[1]).toBe(0);
    expect(m.coef?.[2]).toBe(0);
    expect(m.coef?.[3]).toBe(0);
    // Soft-thresholding shrinks the relevant coefficient by alpha / var(x0) ≈ 0.05 · 12.
    expect(m.coef?.[0]).toBeGreaterThan(4);
    expect(m.coef?.[0]).toBeLessThan(5);
  });
});

describe('classifiers', () => {
  it('a decision tree fits XOR exactly', () => {
    const X = fromRows([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const t = new DecisionTreeClassifier().fit(X, [0, 1, 1, 0]);
    expect(Array.from(t.predict(X))).toEqual([0, 1, 1, 0]);
    expect(t.depth).toBe(2);
  });

  it('logistic regression separates separable data with monotone probabilities', () => {
    const X = fromRows([[-2], [-1], [1], [2]]);
    const m = new LogisticRegression({ C: 10 }).fit(X, [0, 0, 1, 1]);
    expect(Array.from(m.predict(X))).toEqual([0, 0, 1, 1]);
    const p = m.predictProba(fromRows([[-3], [0], [3]]));
    expect(p.data[1]).toBeLessThan(0.1);
    expect(p.data[3]).toBeCloseTo(0.5, 6); // symmetric data: P(1 | x = 0) = 1/2
    expect(p.data[5]).toBeGreaterThan(0.9);
  });

  it('multinomial logistic regression labels well-separated blobs and its probabilities sum to 1', () => {
    const { X, y } = blobs(
      [
        [0, 0],
        [6, 0],
        [0, 6],
      ],
      20,
      0.5,
    );
    const m = new LogisticRegression().fit(X, y);
    expect(Array.from(m.predict(X))).toEqual(Array.from(y));
    const P = m.predictProba(X);
    for (let i = 0; i < P.rows; i++)
      expect(P.data[i * 3]! + P.data[i * 3 + 1]! + P.data[i * 3 + 2]!).toBeCloseTo(1, 12);
  });

  it('Gaussian naive Bayes matches a hand-computed posterior', () => {
    // Class 0 at {0, 2} (mean 1, var 1), class 1 at {4, 6} (mean 5, var 1), equal priors.
    const m = new GaussianNB({ varSmoothing: 0 }).fit(fromRows([[0], [2], [4], [6]]), [0, 0, 1, 1]);
    const P = m.predictProba(fromRows([[3], [1]]));
    expect(P.data[0]).toBeCloseTo(0.5, 12); // midway
    // At x = 1: log-odds of class 1 = -0.5·(1-5)² + 0.5·0 = -8.
    expect(P.data[3]).toBeCloseTo(1 / (1 + Math.exp(8)), 12);
  });

  it('k-nearest neighbours votes among the k closest rows', () => {
    const X = fromRows([[0], [1], [2], [10], [11]]);
    const m = new KNeighborsClassifier({ k: 3 }).fit(X, [0, 0, 1, 1, 1]);
    const P = m.predictProba(fromRows([[0.4], [10.5]]));
    expect(Array.from(P.data).map((v) => Math.round(v * 3))).toEqual([2, 1, 0, 3]);
    expect(() => new KNeighborsClassifier({ k: 9 }).fit(X, [0, 0, 1, 1, 1])).toThrow(/k/);
  });

  it('a random forest is deterministic for a seed and labels separated blobs', () => {
    const { X, y } = blobs(
      [
        [0, 0],
        [4, 4],
        [-4, 4],
      ],
      30,
      0.8,
    );
    const a = new RandomForestClassifier({ nEstimators: 20, seed: 7 }).fit(X, y);
    const b = new RandomForestClassifier({ nEstimators: 20, seed: 7 }).fit(X, y);
    expect(Array.from(a.predictProba(X).data)).toEqual(Array.from(b.predictProba(X).data));
    expect(Array.from(a.predict(X))).toEqual(Array.from(y));
  });

  it('histogram gradient boosting learns binary and multiclass tasks', () => {
    const bin = uniformData(400, 3, (x) => ((x[0] as number) + (x[1] as number) > 1 ? 1 : 0));
    const m = new HistGradientBoostingClassifier({ maxIter: 40 }).fit(bin.X, bin.y);
    const acc = Array.from(m.predict(bin.X)).filter((p, i) => p === bin.y[i]).length / 400;
    expect(acc).toBeGreaterThan(0.95);
    const { X, y } = blobs(
      [
        [0, 0],
        [5, 0],
        [0, 5],
      ],
      40,
      0.7,
    );
    const mc = new HistGradientBoostingClassifier({ maxIter: 30, minSamplesLeaf: 5 }).fit(X, y);
    expect(Array.from(mc.predict(X))).toEqual(Array.from(y));
    expect(mc.nIter).toBe(30);
  });

  it('the MLP classifier learns XOR-like data and is reproducible for a seed', () => {
    const { X, y } = uniformData(
      300,
      2,
      (x) => ((x[0] as number) > 0.5 !== (x[1] as number) > 0.5 ? 1 : 0),
      5,
    );
    const opts = { hiddenLayerSizes: [16, 16], maxIter: 300, learningRate: 0.01, seed: 3 };
    const m = new MLPClassifier(opts).fit(X, y);
    const acc = Array.from(m.predict(X)).filter((p, i) => p === y[i]).length / y.length;
    expect(acc).toBeGreaterThan(0.9);
    const again = new MLPClassifier(opts).fit(X, y);
    expect(Array.from(again.predictProba(X).data)).toEqual(Array.from(m.predictProba(X).data));
  });
});

describe('regressors and clustering', () => {
  it('trees, forests, boosting and the MLP fit a smooth function', () => {
    const f = (x: number[]) => Math.sin(3 * (x[0] as number)) + 2 * (x[1] as number);
    const train = uniformData(600, 3, f, 11);
    const test = uniformData(200, 3, f, 12);
    const score = (pred: Float64Array) => r2(test.y, pred);
    expect(
      score(new DecisionTreeRegressor({ minSamplesLeaf: 5 }).fit(train.X, train.y).predict(test.X)),
    ).toBeGreaterThan(0.85);
    expect(
      score(new RandomForestRegressor({ nEstimators: 20 }).fit(train.X, train.y).predict(test.X)),
    ).toBeGreaterThan(0.9);
    expect(
      score(new HistGradientBoostingRegressor({ maxIter: 60 }).fit(train.X, train.y).predict(test.X)),
    ).toBeGreaterThan(0.9);
    const mlp = new MLPRegressor({ hiddenLayerSizes: [32, 16], maxIter: 300, learningRate: 0.01, seed: 1 });
    expect(score(mlp.fit(train.X, train.y).predict(test.X))).toBeGreaterThan(0.9);
  });

  it('a regression tree reproduces the training targets when grown fully', () => {
    const X = fromRows([[1], [2], [3], [4]]);
    expect(Array.from(new DecisionTreeRegressor().fit(X, [5, 1, 7, 3]).predict(X))).toEqual([5, 1, 7, 3]);
  });

  it('k-means finds well-separated blobs', () => {
    const { X, y } = blobs(
      [
        [0, 0],
        [10, 10],
        [-10, 10],
      ],
      30,
      0.5,
      4,
    );
    const km = new KMeans({ k: 3, seed: 0 }).fit(X);
    expect(adjustedRandIndex(y, km.labels)).toBe(1);
    expect(Array.from(km.predict(X))).toEqual(Array.from(km.labels));
  });
});
