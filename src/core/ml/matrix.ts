/**
 * Dense row-major matrices on Float64Array, label encoding and the input checks every model shares.
 * Flat typed arrays keep the hot loops of the algorithms free of pointer chasing and boxing.
 */

/** A dense row-major matrix: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** The error every ML function throws on bad input: `field` names the parameter, `rule` the broken rule. */
export class MlInputError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'MlInputError';
  }
}

/**
 * A matrix of `rows` x `cols`, zero-filled or over the given data (not copied).
 *
 * @example
 * const X = matrix(2, 3); // 2 rows, 3 columns of zeros
 */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0)
    throw new MlInputError('rows', 'integer', 'must be an integer >= 0');
  if (!Number.isInteger(cols) || cols < 0)
    throw new MlInputError('cols', 'integer', 'must be an integer >= 0');
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols)
    throw new MlInputError('data', 'length', `has ${d.length} values, expected rows*cols = ${rows * cols}`);
  return { rows, cols, data: d };
}

/**
 * A matrix from an array of rows; every row must have the same length.
 *
 * @example
 * const X = fromRows([[1, 2], [3, 4]]);
 */
export function fromRows(rows: readonly (readonly number[] | ArrayLike<number>)[]): Matrix {
  const n = rows.length;
  const d = n === 0 ? 0 : (rows[0] as ArrayLike<number>).length;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as ArrayLike<number>;
    if (r.length !== d)
      throw new MlInputError(`X[${i}]`, 'row-length', `has ${r.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) data[i * d + j] = r[j] as number;
  }
  return { rows: n, cols: d, data };
}

/** Row `i` as a view (no copy). */
export function rowView(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** A new matrix made of the rows at `indices`, in that order. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const d = m.cols;
  const out = new Float64Array(indices.length * d);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    out.set(m.data.subarray(i * d, i * d + d), k * d);
  }
  return { rows: indices.length, cols: d, data: out };
}

/** The values of `v` at `indices`. */
export function take(v: ArrayLike<number>, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = v[indices[k] as number] as number;
  return out;
}

/** Checks the feature matrix: not empty, the expected width, every value finite (unless `allowNaN`). */
export function checkX(
  X: Matrix,
  opts: { nFeatures?: number; allowNaN?: boolean; field?: string } = {},
): void {
  const field = opts.field ?? 'X';
  if (X.rows === 0) throw new MlInputError(field, 'empty', 'has no rows');
  if (X.cols === 0) throw new MlInputError(field, 'empty', 'has no columns');
  if (opts.nFeatures !== undefined && X.cols !== opts.nFeatures)
    throw new MlInputError(
      field,
      'feature-count',
      `has ${X.cols} features but the model was fitted with ${opts.nFeatures}`,
    );
  if (X.data.length !== X.rows * X.cols)
    throw new MlInputError(
      field,
      'shape',
      `data length ${X.data.length} is not rows*cols = ${X.rows * X.cols}`,
    );
  const data = X.data;
  for (let k = 0; k < data.length; k++) {
    const v = data[k] as number;
    if (!Number.isFinite(v) && !(opts.allowNaN && Number.isNaN(v))) {
      const i = Math.floor(k / X.cols);
      throw new MlInputError(
        `${field}[${i}][${k - i * X.cols}]`,
        'finite',
        `is ${v}; every feature value must be a finite number${opts.allowNaN ? ' or NaN (missing)' : ' (impute missing values first)'}`,
      );
    }
  }
}

/** Checks the target: one finite value per row of X. */
export function checkY(y: ArrayLike<number>, rows: number, field = 'y'): void {
  if (y.length !== rows)
    throw new MlInputError(field, 'length', `has ${y.length} values but X has ${rows} rows`);
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new MlInputError(`${field}[${i}]`, 'finite', `is ${v}; every target must be a finite number`);
  }
}

/** Class labels sorted ascending and each row's class index. */
export interface EncodedLabels {
  readonly classes: Float64Array;
  readonly codes: Int32Array;
}

/** Maps arbitrary numeric labels to 0..K-1 in ascending label order. */
export function encodeLabels(y: ArrayLike<number>): EncodedLabels {
  const uniq = Float64Array.from(new Set(Array.from(y))).sort();
  const index = new Map<number, number>();
  uniq.forEach((c, k) => {
    index.set(c, k);
  });
  const codes = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) codes[i] = index.get(y[i] as number) as number;
  return { classes: uniq, codes };
}

/** Checks a classification target and requires at least two classes. */
export function checkClassTarget(y: ArrayLike<number>, rows: number): EncodedLabels {
  checkY(y, rows);
  const enc = encodeLabels(y);
  if (enc.classes.length < 2)
    throw new MlInputError('y', 'classes', `has ${enc.classes.length} class; a classifier needs at least 2`);
  return enc;
}

/** Row-wise arg-max of a probability matrix, mapped back to class labels. */
export function argmaxLabels(P: Matrix, classes: Float64Array): Float64Array {
  const out = new Float64Array(P.rows);
  const k = P.cols;
  for (let i = 0; i < P.rows; i++) {
    let best = 0;
    let bv = P.data[i * k] as number;
    for (let c = 1; c < k; c++) {
      const v = P.data[i * k + c] as number;
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = classes[best] as number;
  }
  return out;
}

/** Checks that a numeric hyperparameter is finite and within [min, max]. */
export function checkParam(
  name: string,
  v: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
  integer = false,
) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw new MlInputError(
      name,
      'range',
      `is ${v}; must be ${integer ? 'an integer ' : 'a number '}in [${min}, ${max === Number.POSITIVE_INFINITY ? '∞' : max}]`,
    );
}
