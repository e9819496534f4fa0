/**
 * Logistic regression with L2 penalty, fitted by L-BFGS: binary (one weight vector, sigmoid) for two
 * classes, multinomial (softmax) for more, as scikit-learn's LogisticRegression(solver='lbfgs').
 * Minimises mean log-loss + ||W||² / (2·C·n); the intercept is not penalised.
 */
import { lbfgs } from './lbfgs.ts';
import { argmaxLabels, checkClassTarget, checkParam, checkX, type Matrix } from './matrix.ts';
import {
  artifact,
  type Classifier,
  checkArtifact,
  f64,
  type ModelArtifact,
  notFitted,
  num,
} from './model.ts';

/** Options of {@link LogisticRegression}. */
export interface LogisticOptions {
  /** Inverse regularisation strength. @default 1 */
  readonly C?: number;
  /** @default 1000 */
  readonly maxIter?: number;
  /** Stop when the largest gradient component is below this. @default 1e-4 */
  readonly tol?: number;
}

/**
 * Multinomial / binary logistic regression.
 *
 * @example
 * const m = new LogisticRegression({ C: 1 }).fit(X, y); m.predictProba(X);
 */
export class LogisticRegression implements Classifier {
  readonly kind = 'logistic_regression';
  readonly task = 'classification' as const;
  readonly C: number;
  readonly maxIter: number;
  readonly tol: number;
  classes: Float64Array = new Float64Array(0);
  /** One row of `d` weights per output (1 output for two classes, K otherwise). */
  coef?: Float64Array;
  intercept?: Float64Array;
  nFeatures = 0;
  nIter = 0;

  constructor(opts: LogisticOptions = {}) {
    this.C = opts.C ?? 1;
    this.maxIter = opts.maxIter ?? 1000;
    this.tol = opts.tol ?? 1e-4;
    checkParam('C', this.C, Number.MIN_VALUE);
    checkParam('maxIter', this.maxIter, 1, Number.MAX_SAFE_INTEGER, true);
    checkParam('tol', this.tol, 0);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    const { classes, codes } = checkClassTarget(y, X.rows);
    const n = X.rows;
    const d = X.cols;
    const K = classes.length;
    const outs = K === 2 ? 1 : K;
    const stride = d + 1;
    const lam = 1 / (this.C * n);
    const data = X.data;
    const z = new Float64Array(outs);
    const obj = (w: Float64Array, g: Float64Array): number => {
      g.fill(0);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const xo = i * d;
        const c = codes[i] as number;
        for (let k = 0; k < outs; k++) {
          const wo = k * stride;
          let s = w[wo + d] as number;
          for (let j = 0; j < d; j++) s += (w[wo + j] as number) * (data[xo + j] as number);
          z[k] = s;
        }
        if (outs === 1) {
          const t = c === 1 ? 1 : 0;
          const s = z[0] as number;
          // log(1 + e^s) - t s, computed stably.
          loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - t * s;
          const r = 1 / (1 + Math.exp(-s)) - t;
          for (let j = 0; j < d; j++) g[j] = (g[j] as number) + r * (data[xo + j] as number);
          g[d] = (g[d] as number) + r;
        } else {
          let mx = Number.NEGATIVE_INFINITY;
          for (let k = 0; k < outs; k++) mx = Math.max(mx, z[k] as number);
          let sum = 0;
          for (let k = 0; k < outs; k++) {
            const e = Math.exp((z[k] as number) - mx);
            z[k] = e;
            sum += e;
          }
          loss += Math.log(sum) - Math.log(z[c] as number);
          for (let k = 0; k < outs; k++) {
            const r = (z[k] as number) / sum - (k === c ? 1 : 0);
            const wo = k * stride;
            for (let j = 0; j < d; j++) g[wo + j] = (g[wo + j] as number) + r * (data[xo + j] as number);
            g[wo + d] = (g[wo + d] as number) + r;
          }
        }
      }
      let pen = 0;
      for (let k = 0; k < outs; k++)
        for (let j = 0; j < d; j++) {
          const v = w[k * stride + j] as number;
          pen += v * v;
          g[k * stride + j] = (g[k * stride + j] as number) / n + lam * v;
        }
      for (let k = 0; k < outs; k++) g[k * stride + d] = (g[k * stride + d] as number) / n;
      return loss / n + 0.5 * lam * pen;
    };
    const res = lbfgs(obj, new Float64Array(outs * stride), { maxIter: this.maxIter, gtol: this.tol });
    const coef = new Float64Array(outs * d);
    const intercept = new Float64Array(outs);
    for (let k = 0; k < outs; k++) {
      coef.set(res.x.subarray(k * stride, k * stride + d), k * d);
      intercept[k] = res.x[k * stride + d] as number;
    }
    this.coef = coef;
    this.intercept = intercept;
    this.classes = classes;
    this.nFeatures = d;
    this.nIter = res.iterations;
    return this;
  }

  predictProba(X: Matrix): Matrix {
    const { coef, intercept } = this;
    if (!coef || !intercept) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures });
    const d = this.nFeatures;
    const K = this.classes.length;
    const outs = intercept.length;
    const out = new Float64Array(X.rows * K);
    for (let i = 0; i < X.rows; i++) {
      const xo = i * d;
      if (outs === 1) {
        let s = intercept[0] as number;
        for (let j = 0; j < d; j++) s += (coef[j] as number) * (X.data[xo + j] as number);
        const p = 1 / (1 + Math.exp(-s));
        out[i * 2] = 1 - p;
        out[i * 2 + 1] = p;
      } else {
        let mx = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) {
          let s = intercept[k] as number;
          for (let j = 0; j < d; j++) s += (coef[k * d + j] as number) * (X.data[xo + j] as number);
          out[i * K + k] = s;
          mx = Math.max(mx, s);
        }
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp((out[i * K + k] as number) - mx);
          out[i * K + k] = e;
          sum += e;
        }
        for (let k = 0; k < K; k++) out[i * K + k] = (out[i * K + k] as number) / sum;
      }
    }
    return { rows: X.rows, cols: K, data: out };
  }

  predict(X: Matrix): Float64Array {
    return argmaxLabels(this.predictProba(X), this.classes);
  }

  toArtifact(): ModelArtifact {
    if (!this.coef || !this.intercept) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.nFeatures,
      { C: this.C, maxIter: this.maxIter, tol: this.tol },
      {
        classes: Array.from(this.classes),
        coef: Array.from(this.coef),
        intercept: Array.from(this.intercept),
      },
    );
  }

  static fromArtifact(a: ModelArtifact): LogisticRegression {
    checkArtifact(a, 'logistic_regression');
    const m = new LogisticRegression(a.params as LogisticOptions);
    m.classes = f64(a.state, 'classes');
    m.coef = f64(a.state, 'coef');
    m.intercept = f64(a.state, 'intercept');
    m.nFeatures = num({ n: a.nFeatures }, 'n');
    return m;
  }
}
