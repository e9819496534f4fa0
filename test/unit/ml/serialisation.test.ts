import { describe, expect, it } from 'vitest';
import {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  fromRows,
  GaussianNB,
  HistGradientBoostingClassifier,
  HistGradientBoostingRegressor,
  isClassifier,
  KMeans,
  KNeighborsClassifier,
  KNeighborsRegressor,
  Lasso,
  LinearRegression,
  LogisticRegression,
  loadModel,
  MLPClassifier,
  MLPRegressor,
  MlInputError,
  type Model,
  OneHotEncoder,
  Pipeline,
  RandomForestClassifier,
  RandomForestRegressor,
  Ridge,
  SimpleImputer,
  StandardScaler,
} from '../../../src/core/ml/index.ts';
import { blobs, uniformData } from './helpers.ts';

const clf = blobs(
  [
    [0, 0, 0],
    [3, 0, 1],
    [0, 3, 2],
  ],
  25,
  1.0,
  9,
);
const reg = uniformData(120, 3, (x) => (x[0] as number) * 3 + Math.sin(5 * (x[1] as number)), 8);

const models: [string, () => Model, 'c' | 'r'][] = [
  ['linear', () => new LinearRegression(), 'r'],
  ['ridge', () => new Ridge({ alpha: 0.5 }), 'r'],
  ['lasso', () => new Lasso({ alpha: 0.01 }), 'r'],
  ['logistic', () => new LogisticRegression(), 'c'],
  ['tree c', () => new DecisionTreeClassifier({ maxDepth: 4 }), 'c'],
  ['tree r', () => new DecisionTreeRegressor(), 'r'],
  ['forest c', () => new RandomForestClassifier({ nEstimators: 5 }), 'c'],
  ['forest r', () => new RandomForestRegressor({ nEstimators: 5 }), 'r'],
  ['hgb c', () => new HistGradientBoostingClassifier({ maxIter: 10 }), 'c'],
  ['hgb r', () => new HistGradientBoostingRegressor({ maxIter: 10 }), 'r'],
  ['knn c', () => new KNeighborsClassifier(), 'c'],
  ['knn r', () => new KNeighborsRegressor(), 'r'],
  ['nb', () => new GaussianNB(), 'c'],
  ['mlp c', () => new MLPClassifier({ hiddenLayerSizes: [8, 4], maxIter: 20 }), 'c'],
  ['mlp r', () => new MLPRegressor({ hiddenLayerSizes: [8], maxIter: 20 }), 'r'],
  ['kmeans', () => new KMeans({ k: 3, nInit: 2 }), 'r'],
];

describe('artifact round trip', () => {
  it.each(models)('%s predicts identically after JSON serialisation', (_, make, task) => {
    // Prepare
    const { X, y } = task === 'c' ? clf : reg;
    const m = make().fit(X, y);
    // Act
    const json = JSON.stringify(m.toArtifact());
    const back = loadModel(JSON.parse(json));
    // Assess
    expect(back.kind).toBe(m.kind);
    expect(Array.from(back.predict(X))).toEqual(Array.from(m.predict(X)));
    if (isClassifier(m) && isClassifier(back))
      expect(Array.from(back.predictProba(X).data)).toEqual(Array.from(m.predictProba(X).data));
    expect(JSON.parse(json)).toMatchObject({ format: 'all-use.ml', version: 1, nFeatures: X.cols });
  });

  it('a pipeline (imputer, one-hot, scaler, model) serialises with its steps', () => {
    // Prepare: column 2 is a category code, a few values are missing.
    const X = fromRows(
      clf.X.rows === 0
        ? []
        : Array.from({ length: clf.X.rows }, (_, i) => [
            i % 7 === 0 ? Number.NaN : (clf.X.data[i * 3] as number),
            clf.X.data[i * 3 + 1] as number,
            i % 3,
          ]),
    );
    const p = new Pipeline(
      [new SimpleImputer({ strategy: 'median' }), new OneHotEncoder({ columns: [2] }), new StandardScaler()],
      new LogisticRegression(),
    ).fit(X, clf.y);
    // Act
    const back = loadModel(JSON.parse(JSON.stringify(p.toArtifact())));
    // Assess
    expect(Array.from(back.predict(X))).toEqual(Array.from(p.predict(X)));
    expect(p.transform(X).cols).toBe(2 + 3);
  });

  it('refuses artifacts of another format, version or kind', () => {
    const a = new GaussianNB().fit(clf.X, clf.y).toArtifact();
    expect(() => loadModel({ ...a, version: 2 })).toThrow(/version/);
    expect(() => loadModel({ ...a, format: 'x' })).toThrow(/format/);
    expect(() => loadModel({ ...a, kind: 'nope' })).toThrow(/unknown model kind/);
    expect(() => loadModel(null)).toThrow(MlInputError);
  });
});

describe('bad input', () => {
  it('names the wrong feature count', () => {
    const m = new LinearRegression().fit(reg.X, reg.y);
    expect(() => m.predict(fromRows([[1, 2]]))).toThrow(/X: has 2 features but the model was fitted with 3/);
  });

  it('names the non-finite value and where it is', () => {
    const X = fromRows([
      [1, 2],
      [3, Number.NaN],
    ]);
    try {
      new RandomForestClassifier({ nEstimators: 2 }).fit(X, [0, 1]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MlInputError);
      expect((e as MlInputError).field).toBe('X[1][1]');
      expect((e as MlInputError).rule).toBe('finite');
    }
    expect(() => new Ridge().fit(fromRows([[1], [2]]), [1, Number.POSITIVE_INFINITY])).toThrow(/y\[1\]/);
  });

  it('refuses empty data, mismatched targets, one class and bad hyperparameters', () => {
    expect(() => new LinearRegression().fit(fromRows([]), [])).toThrow(/empty|no rows/);
    expect(() => new GaussianNB().fit(fromRows([[1], [2]]), [1])).toThrow(/y: has 1 values but X has 2 rows/);
    expect(() => new LogisticRegression().fit(fromRows([[1], [2]]), [1, 1])).toThrow(/at least 2/);
    expect(() => new Ridge({ alpha: -1 })).toThrow(/alpha/);
    expect(() => new RandomForestClassifier({ nEstimators: 0 })).toThrow(/nEstimators/);
    expect(() => new MLPClassifier({ hiddenLayerSizes: [0] })).toThrow(/hiddenLayerSizes\[0\]/);
    expect(() => new LinearRegression().predict(fromRows([[1]]))).toThrow(/not fitted/);
  });

  it('preprocessing steps check their input too', () => {
    expect(() => new OneHotEncoder({ columns: [] })).toThrow(/columns/);
    const enc = new OneHotEncoder({ columns: [0], handleUnknown: 'error' }).fit(fromRows([[1], [2]]));
    expect(() => enc.transform(fromRows([[3]]))).toThrow(/not seen in training/);
    expect(
      Array.from(new StandardScaler().fit(fromRows([[5], [5]])).transform(fromRows([[5]])).data),
    ).toEqual([0]);
    expect(() => new SimpleImputer({ strategy: 'mode' as 'mean' })).toThrow(/strategy/);
  });
});
