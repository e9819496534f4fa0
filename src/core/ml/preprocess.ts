/**
 * Preprocessing steps of a pipeline: missing-value imputation, standard scaling and one-hot encoding.
 * Each step is fitted on training rows only (so no statistic leaks from a test fold) and serialises with
 * the model. Missing values are NaN.
 */
import { checkParam, checkX, type Matrix, MlInputError } from './matrix.ts';
import { f64, num } from './model.ts';

/** A fitted step as JSON (embedded in the pipeline's artifact). */
export interface StepArtifact {
  readonly kind: string;
  readonly nFeatures: number;
  readonly params: Record<string, unknown>;
  readonly state: Record<string, unknown>;
}

/** A preprocessing step: learns from X, then maps matrices of the same width. */
export interface Transformer {
  readonly kind: string;
  fit(X: Matrix): this;
  transform(X: Matrix): Matrix;
  toArtifact(): StepArtifact;
}

function notFittedStep(kind: string): never {
  throw new MlInputError('step', 'fitted', `${kind} is not fitted; call fit() first`);
}

/**
 * Centres each column on its mean and divides by its population standard deviation; constant columns keep
 * scale 1 (they become all zeros), as scikit-learn's StandardScaler does.
 *
 * @example
 * const Z = new StandardScaler().fit(X).transform(X);
 */
export class StandardScaler implements Transformer {
  readonly kind = 'standard_scaler';
  mean?: Float64Array;
  scale?: Float64Array;

  fit(X: Matrix): this {
    checkX(X);
    const { rows: n, cols: d, data } = X;
    const mean = new Float64Array(d);
    const m2 = new Float64Array(d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (data[i * d + j] as number);
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const z = (data[i * d + j] as number) - (mean[j] as number);
        m2[j] = (m2[j] as number) + z * z;
      }
    const scale = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const sd = Math.sqrt((m2[j] as number) / n);
      // Relative threshold: a column whose spread is rounding noise around its mean is constant.
      scale[j] = sd < 10 * Number.EPSILON * Math.max(1, Math.abs(mean[j] as number)) ? 1 : sd;
    }
    this.mean = mean;
    this.scale = scale;
    return this;
  }

  transform(X: Matrix): Matrix {
    const { mean, scale } = this;
    if (!mean || !scale) return notFittedStep(this.kind);
    checkX(X, { nFeatures: mean.length });
    const { rows: n, cols: d, data } = X;
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++)
        out[i * d + j] = ((data[i * d + j] as number) - (mean[j] as number)) / (scale[j] as number);
    return { rows: n, cols: d, data: out };
  }

  toArtifact(): StepArtifact {
    if (!this.mean || !this.scale) return notFittedStep(this.kind);
    return {
      kind: this.kind,
      nFeatures: this.mean.length,
      params: {},
      state: { mean: Array.from(this.mean), scale: Array.from(this.scale) },
    };
  }

  static fromArtifact(a: StepArtifact): StandardScaler {
    const s = new StandardScaler();
    s.mean = f64(a.state, 'mean');
    s.scale = f64(a.state, 'scale');
    return s;
  }
}

/** How {@link SimpleImputer} fills a missing value. */
export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

/**
 * Replaces NaN by a per-column statistic of the training rows (mean, median, most frequent) or a constant.
 * A column with no observed value at all is filled with `fillValue` (default 0).
 *
 * @example
 * const filled = new SimpleImputer({ strategy: 'median' }).fit(X).transform(X);
 */
export class SimpleImputer implements Transformer {
  readonly kind = 'simple_imputer';
  readonly strategy: ImputeStrategy;
  readonly fillValue: number;
  statistics?: Float64Array;

  constructor(opts: { strategy?: ImputeStrategy; fillValue?: number } = {}) {
    this.strategy = opts.strategy ?? 'mean';
    if (!['mean', 'median', 'most_frequent', 'constant'].includes(this.strategy))
      throw new MlInputError(
        'strategy',
        'enum',
        `is "${this.strategy}"; use mean, median, most_frequent or constant`,
      );
    this.fillValue = opts.fillValue ?? 0;
    checkParam('fillValue', this.fillValue, Number.NEGATIVE_INFINITY);
  }

  fit(X: Matrix): this {
    checkX(X, { allowNaN: true });
    const { rows: n, cols: d, data } = X;
    const stats = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const vals: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = data[i * d + j] as number;
        if (!Number.isNaN(v)) vals.push(v);
      }
      if (vals.length === 0 || this.strategy === 'constant') {
        stats[j] = this.fillValue;
        continue;
      }
      if (this.strategy === 'mean') stats[j] = vals.reduce((a, b) => a + b, 0) / vals.length;
      else {
        const s = Float64Array.from(vals).sort();
        if (this.strategy === 'median') {
          const m = s.length >> 1;
          stats[j] = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
        } else {
          // Most frequent; ties go to the smallest value (sorted scan keeps the first maximum).
          let best = s[0] as number;
          let bestCount = 0;
          for (let a = 0; a < s.length; ) {
            let b = a;
            while (b < s.length && s[b] === s[a]) b++;
            if (b - a > bestCount) {
              bestCount = b - a;
              best = s[a] as number;
            }
            a = b;
          }
          stats[j] = best;
        }
      }
    }
    this.statistics = stats;
    return this;
  }

  transform(X: Matrix): Matrix {
    const stats = this.statistics;
    if (!stats) return notFittedStep(this.kind);
    checkX(X, { nFeatures: stats.length, allowNaN: true });
    const d = X.cols;
    const out = Float64Array.from(X.data);
    for (let k = 0; k < out.length; k++) if (Number.isNaN(out[k])) out[k] = stats[k % d] as number;
    return { rows: X.rows, cols: d, data: out };
  }

  toArtifact(): StepArtifact {
    if (!this.statistics) return notFittedStep(this.kind);
    return {
      kind: this.kind,
      nFeatures: this.statistics.length,
      params: { strategy: this.strategy, fillValue: this.fillValue },
      state: { statistics: Array.from(this.statistics) },
    };
  }

  static fromArtifact(a: StepArtifact): SimpleImputer {
    const s = new SimpleImputer(a.params as { strategy?: ImputeStrategy; fillValue?: number });
    s.statistics = f64(a.state, 'statistics');
    return s;
  }
}

/**
 * One-hot encodes the given columns (numeric category codes). Output: the other columns in their original
 * order, then one indicator block per encoded column, categories in ascending order. A category unseen in
 * training gives an all-zero block (`handleUnknown: 'ignore'`, the default) or an error (`'error'`).
 *
 * @example
 * const enc = new OneHotEncoder({ columns: [2] }).fit(X); // column 2 holds codes like 0, 1, 2
 */
export class OneHotEncoder implements Transformer {
  readonly kind = 'one_hot_encoder';
  readonly columns: readonly number[];
  readonly handleUnknown: 'ignore' | 'error';
  categories?: Float64Array[];
  nIn?: number;

  constructor(opts: { columns: readonly number[]; handleUnknown?: 'ignore' | 'error' }) {
    if (!Array.isArray(opts?.columns) || opts.columns.length === 0)
      throw new MlInputError('columns', 'required', 'must list at least one column index to encode');
    opts.columns.forEach((c, i) => {
      checkParam(`columns[${i}]`, c, 0, Number.MAX_SAFE_INTEGER, true);
    });
    if (new Set(opts.columns).size !== opts.columns.length)
      throw new MlInputError('columns', 'unique', 'lists a column twice');
    this.columns = [...opts.columns];
    this.handleUnknown = opts.handleUnknown ?? 'ignore';
  }

  fit(X: Matrix): this {
    checkX(X);
    for (const c of this.columns)
      if (c >= X.cols)
        throw new MlInputError('columns', 'range', `column ${c} does not exist; X has ${X.cols}`);
    this.categories = this.columns.map((c) => {
      const set = new Set<number>();
      for (let i = 0; i < X.rows; i++) set.add(X.data[i * X.cols + c] as number);
      return Float64Array.from(set).sort();
    });
    this.nIn = X.cols;
    return this;
  }

  /** Number of output columns. */
  get nOut(): number {
    if (!this.categories || this.nIn === undefined) return notFittedStep(this.kind);
    return this.nIn - this.columns.length + this.categories.reduce((s, c) => s + c.length, 0);
  }

  transform(X: Matrix): Matrix {
    const cats = this.categories;
    if (!cats || this.nIn === undefined) return notFittedStep(this.kind);
    checkX(X, { nFeatures: this.nIn });
    const encoded = new Set(this.columns);
    const keep: number[] = [];
    for (let j = 0; j < X.cols; j++) if (!encoded.has(j)) keep.push(j);
    const lookups = cats.map((c) => new Map(Array.from(c, (v, k) => [v, k] as const)));
    const w = this.nOut;
    const out = new Float64Array(X.rows * w);
    for (let i = 0; i < X.rows; i++) {
      const base = i * w;
      let o = 0;
      for (const j of keep) out[base + o++] = X.data[i * X.cols + j] as number;
      for (let e = 0; e < this.columns.length; e++) {
        const v = X.data[i * X.cols + (this.columns[e] as number)] as number;
        const k = (lookups[e] as Map<number, number>).get(v);
        if (k !== undefined) out[base + o + k] = 1;
        else if (this.handleUnknown === 'error')
          throw new MlInputError(
            `X[${i}][${this.columns[e]}]`,
            'category',
            `value ${v} was not seen in training (handleUnknown: 'error')`,
          );
        o += (cats[e] as Float64Array).length;
      }
    }
    return { rows: X.rows, cols: w, data: out };
  }

  toArtifact(): StepArtifact {
    if (!this.categories || this.nIn === undefined) return notFittedStep(this.kind);
    return {
      kind: this.kind,
      nFeatures: this.nIn,
      params: { columns: [...this.columns], handleUnknown: this.handleUnknown },
      state: { categories: this.categories.map((c) => Array.from(c)) },
    };
  }

  static fromArtifact(a: StepArtifact): OneHotEncoder {
    const e = new OneHotEncoder(a.params as { columns: number[]; handleUnknown?: 'ignore' | 'error' });
    const cats = a.state.categories;
    if (!Array.isArray(cats))
      throw new MlInputError('artifact.state.categories', 'array', 'must be an array');
    e.categories = cats.map((_, k) => f64(cats as unknown as Record<string, unknown>, String(k)));
    e.nIn = a.nFeatures;
    num({ n: a.nFeatures }, 'n');
    return e;
  }
}

/** Rebuilds a fitted step from its artifact. */
export function stepFromArtifact(a: StepArtifact): Transformer {
  switch (a?.kind) {
    case 'standard_scaler':
      return StandardScaler.fromArtifact(a);
    case 'simple_imputer':
      return SimpleImputer.fromArtifact(a);
    case 'one_hot_encoder':
      return OneHotEncoder.fromArtifact(a);
    default:
      throw new MlInputError(
        'artifact.steps[].kind',
        'kind',
        `unknown preprocessing step "${String(a?.kind)}"`,
      );
  }
}
