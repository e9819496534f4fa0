/**
 * Evaluation metrics, defined as scikit-learn defines them so figures compare one to one:
 * accuracy, macro-F1, log-loss (probabilities clipped to [eps, 1-eps], rows renormalised), ROC-AUC (ties get
 * half credit; one-vs-rest macro for several classes), RMSE, MAE, R², and the adjusted Rand index for
 * clusterings.
 */
import { type Matrix, MlInputError } from './matrix.ts';

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>, na: string, nb: string): number {
  if (a.length !== b.length)
    throw new MlInputError(nb, 'length', `has ${b.length} values but ${na} has ${a.length}`);
  if (a.length === 0) throw new MlInputError(na, 'empty', 'has no values');
  return a.length;
}

/** Share of rows where the prediction equals the truth. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameLength(yTrue, yPred, 'yTrue', 'yPred');
  let ok = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / n;
}

/**
 * Unweighted mean of per-class F1 over every label in truth or prediction (or the given `labels`); a class
 * with no true and no predicted rows scores 0, as scikit-learn's `zero_division` default does.
 */
export function macroF1(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labels?: ArrayLike<number>,
): number {
  const n = sameLength(yTrue, yPred, 'yTrue', 'yPred');
  const labs = labels
    ? Array.from(labels)
    : Array.from(new Set([...Array.from(yTrue), ...Array.from(yPred)])).sort((a, b) => a - b);
  const idx = new Map(labs.map((l, k) => [l, k] as const));
  const tp = new Float64Array(labs.length);
  const fp = new Float64Array(labs.length);
  const fn = new Float64Array(labs.length);
  for (let i = 0; i < n; i++) {
    const t = idx.get(yTrue[i] as number);
    const p = idx.get(yPred[i] as number);
    if (t !== undefined && t === p) tp[t] = (tp[t] as number) + 1;
    else {
      if (p !== undefined) fp[p] = (fp[p] as number) + 1;
      if (t !== undefined) fn[t] = (fn[t] as number) + 1;
    }
  }
  let sum = 0;
  for (let k = 0; k < labs.length; k++) {
    const den = 2 * (tp[k] as number) + (fp[k] as number) + (fn[k] as number);
    sum += den === 0 ? 0 : (2 * (tp[k] as number)) / den;
  }
  return sum / labs.length;
}

/**
 * Mean negative log-likelihood of the true class. `proba` has one column per entry of `classes`;
 * probabilities are clipped to [2.22e-16, 1 - 2.22e-16] and rows renormalised (scikit-learn 1.2, eps='auto').
 */
export function logLoss(yTrue: ArrayLike<number>, proba: Matrix, classes: ArrayLike<number>): number {
  const n = sameLength(yTrue, { length: proba.rows }, 'yTrue', 'proba');
  if (proba.cols !== classes.length)
    throw new MlInputError('proba', 'shape', `has ${proba.cols} columns for ${classes.length} classes`);
  const idx = new Map(Array.from(classes, (c, k) => [c, k] as const));
  const eps = Number.EPSILON;
  const K = proba.cols;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = idx.get(yTrue[i] as number);
    if (t === undefined)
      throw new MlInputError(`yTrue[${i}]`, 'class', `label ${yTrue[i]} is not among classes`);
    let rowSum = 0;
    for (let k = 0; k < K; k++) rowSum += Math.min(Math.max(proba.data[i * K + k] as number, eps), 1 - eps);
    const p = Math.min(Math.max(proba.data[i * K + t] as number, eps), 1 - eps) / rowSum;
    sum -= Math.log(p);
  }
  return sum / n;
}

/**
 * Area under the ROC curve of `scores` for the positive rows (`yTrue === positive`, default 1), by the
 * Mann-Whitney statistic with average ranks, so tied scores count one half.
 *
 * @example
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>, positive = 1): number {
  const n = sameLength(yTrue, scores, 'yTrue', 'scores');
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let nPos = 0;
  let rankSumPos = 0;
  for (let a = 0; a < n; ) {
    let b = a;
    while (b < n && scores[order[b] as number] === scores[order[a] as number]) b++;
    const avgRank = (a + 1 + b) / 2; // ranks a+1..b
    for (let k = a; k < b; k++)
      if (yTrue[order[k] as number] === positive) {
        nPos++;
        rankSumPos += avgRank;
      }
    a = b;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0)
    throw new MlInputError(
      'yTrue',
      'both-classes',
      'ROC-AUC needs at least one positive and one negative row',
    );
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** One-vs-rest ROC-AUC averaged over classes (macro), from a probability matrix. */
export function rocAucOvr(yTrue: ArrayLike<number>, proba: Matrix, classes: ArrayLike<number>): number {
  if (proba.cols !== classes.length)
    throw new MlInputError('proba', 'shape', `has ${proba.cols} columns for ${classes.length} classes`);
  let sum = 0;
  const col = new Float64Array(proba.rows);
  for (let k = 0; k < classes.length; k++) {
    for (let i = 0; i < proba.rows; i++) col[i] = proba.data[i * proba.cols + k] as number;
    sum += rocAuc(yTrue, col, classes[k] as number);
  }
  return sum / classes.length;
}

/** Root mean squared error. */
export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameLength(yTrue, yPred, 'yTrue', 'yPred');
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = (yTrue[i] as number) - (yPred[i] as number);
    s += e * e;
  }
  return Math.sqrt(s / n);
}

/** Mean absolute error. */
export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameLength(yTrue, yPred, 'yTrue', 'yPred');
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs((yTrue[i] as number) - (yPred[i] as number));
  return s / n;
}

/** Coefficient of determination, 1 - SSres/SStot (1 for a perfect fit; 0 when the truth is constant and matched). */
export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameLength(yTrue, yPred, 'yTrue', 'yPred');
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i] as number;
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i] as number;
    ssRes += (t - (yPred[i] as number)) ** 2;
    ssTot += (t - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Adjusted Rand index of two labelings (1 = identical partitions, ~0 = chance agreement). */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = sameLength(a, b, 'labelsTrue', 'labelsPred');
  const codesOf = (labels: ArrayLike<number>, index: Map<number, number>) =>
    Int32Array.from(Array.from(labels), (v) => {
      let c = index.get(v);
      if (c === undefined) {
        c = index.size;
        index.set(v, c);
      }
      return c;
    });
  const ia = new Map<number, number>();
  const ib = new Map<number, number>();
  const ca = codesOf(a, ia);
  const cb = codesOf(b, ib);
  const table = new Float64Array(ia.size * ib.size);
  for (let i = 0; i < n; i++)
    table[(ca[i] as number) * ib.size + (cb[i] as number)] =
      (table[(ca[i] as number) * ib.size + (cb[i] as number)] as number) + 1;
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let sumCells = 0;
  for (const v of table) sumCells += c2(v);
  const rowSums = new Float64Array(ia.size);
  const colSums = new Float64Array(ib.size);
  for (let r = 0; r < ia.size; r++)
    for (let c = 0; c < ib.size; c++) {
      const v = table[r * ib.size + c] as number;
      rowSums[r] = (rowSums[r] as number) + v;
      colSums[c] = (colSums[c] as number) + v;
    }
  let sumA = 0;
  let sumB = 0;
  for (const v of rowSums) sumA += c2(v);
  for (const v of colSums) sumB += c2(v);
  const expected = (sumA * sumB) / c2(n);
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1;
  return (sumCells - expected) / (max - expected);
}
