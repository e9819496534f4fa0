/**
 * k-nearest neighbours (brute force, Euclidean, uniform weights), as scikit-learn's KNeighborsClassifier /
 * KNeighborsRegressor with the default algorithm on small data. The model is the training set itself, so the
 * artifact carries it; scale features first (a pipeline with a StandardScaler).
 */
import { argmaxLabels, checkClassTarget, checkParam, checkX, checkY, type Matrix } from './matrix.ts';
import {
  artifact,
  type Classifier,
  checkArtifact,
  f64,
  i32,
  type Model,
  type ModelArtifact,
  notFitted,
} from './model.ts';

/** Indices of the k nearest training rows of each query row (nearest first; ties keep the lower index). */
function neighbours(train: Matrix, X: Matrix, k: number): Int32Array {
  const d = train.cols;
  const n = train.rows;
  const out = new Int32Array(X.rows * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const t = train.data;
  for (let q = 0; q < X.rows; q++) {
    bestD.fill(Number.POSITIVE_INFINITY);
    bestI.fill(-1);
    const qo = q * d;
    const xq = X.data;
    let worst = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let s = 0;
      for (let j = 0; j < d && s < worst; j++) {
        const z = (t[o + j] as number) - (xq[qo + j] as number);
        s += z * z;
      }
      if (s >= worst) continue;
      // Insert into the sorted top-k.
      let p = k - 1;
      while (p > 0 && (bestD[p - 1] as number) > s) {
        bestD[p] = bestD[p - 1] as number;
        bestI[p] = bestI[p - 1] as number;
        p--;
      }
      bestD[p] = s;
      bestI[p] = i;
      worst = bestD[k - 1] as number;
    }
    out.set(bestI, q * k);
  }
  return out;
}

abstract class KnnBase {
  readonly k: number;
  train?: Matrix;
  constructor(opts: { k?: number }) {
    this.k = opts.k ?? 5;
    checkParam('k', this.k, 1, Number.MAX_SAFE_INTEGER, true);
  }
  protected store(X: Matrix) {
    checkX(X);
    checkParam('k', this.k, 1, X.rows, true);
    this.train = { rows: X.rows, cols: X.cols, data: Float64Array.from(X.data) };
  }
  protected query(X: Matrix, kind: string): Int32Array {
    const train = this.train;
    if (!train) return notFitted(kind);
    checkX(X, { nFeatures: train.cols });
    return neighbours(train, X, this.k);
  }
}

/**
 * k-nearest-neighbour classifier: the class shares among the k nearest training rows.
 *
 * @example
 * new KNeighborsClassifier({ k: 5 }).fit(X, y).predict(Xnew);
 */
export class KNeighborsClassifier extends KnnBase implements Classifier {
  readonly kind = 'k_neighbors_classifier';
  readonly task = 'classification' as const;
  classes: Float64Array = new Float64Array(0);
  codes: Int32Array = new Int32Array(0);

  constructor(opts: { k?: number } = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    const enc = checkClassTarget(y, X.rows);
    this.store(X);
    this.classes = enc.classes;
    this.codes = enc.codes;
    return this;
  }

  predictProba(X: Matrix): Matrix {
    const nb = this.query(X, this.kind);
    const K = this.classes.length;
    const out = new Float64Array(X.rows * K);
    for (let q = 0; q < X.rows; q++)
      for (let a = 0; a < this.k; a++)
        out[q * K + (this.codes[nb[q * this.k + a] as number] as number)] =
          (out[q * K + (this.codes[nb[q * this.k + a] as number] as number)] as number) + 1 / this.k;
    return { rows: X.rows, cols: K, data: out };
  }

  predict(X: Matrix): Float64Array {
    return argmaxLabels(this.predictProba(X), this.classes);
  }

  toArtifact(): ModelArtifact {
    if (!this.train) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.train.cols,
      { k: this.k },
      {
        classes: Array.from(this.classes),
        codes: Array.from(this.codes),
        rows: this.train.rows,
        X: Array.from(this.train.data),
      },
    );
  }

  static fromArtifact(a: ModelArtifact): KNeighborsClassifier {
    checkArtifact(a, 'k_neighbors_classifier');
    const m = new KNeighborsClassifier(a.params as { k?: number });
    m.classes = f64(a.state, 'classes');
    m.codes = i32(a.state, 'codes');
    m.train = { rows: m.codes.length, cols: a.nFeatures, data: f64(a.state, 'X') };
    return m;
  }
}

/** k-nearest-neighbour regressor: the mean target of the k nearest training rows. */
export class KNeighborsRegressor extends KnnBase implements Model {
  readonly kind = 'k_neighbors_regressor';
  readonly task = 'regression' as const;
  y: Float64Array = new Float64Array(0);

  constructor(opts: { k?: number } = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    checkY(y, X.rows);
    this.store(X);
    this.y = Float64Array.from(y);
    return this;
  }

  predict(X: Matrix): Float64Array {
    const nb = this.query(X, this.kind);
    const out = new Float64Array(X.rows);
    for (let q = 0; q < X.rows; q++) {
      let s = 0;
      for (let a = 0; a < this.k; a++) s += this.y[nb[q * this.k + a] as number] as number;
      out[q] = s / this.k;
    }
    return out;
  }

  toArtifact(): ModelArtifact {
    if (!this.train) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.train.cols,
      { k: this.k },
      {
        y: Array.from(this.y),
        X: Array.from(this.train.data),
      },
    );
  }

  static fromArtifact(a: ModelArtifact): KNeighborsRegressor {
    checkArtifact(a, 'k_neighbors_regressor');
    const m = new KNeighborsRegressor(a.params as { k?: number });
    m.y = f64(a.state, 'y');
    m.train = { rows: m.y.length, cols: a.nFeatures, data: f64(a.state, 'X') };
    return m;
  }
}
