/**
 * Cross-validation splits. Rows are indices into the data set; every split is `{ train, test }` with indices
 * ascending. For time-ordered data use {@link walkForward} (or {@link purgedKFold}): a shuffled or plain k-fold
 * split would train on the future, so `kFold` and `stratifiedKFold` refuse `timeOrdered: true`.
 */
import { mulberry32, randomInt } from '../random.ts';
import { checkParam, MlInputError } from './matrix.ts';

/** One train/test split of row indices. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** Options common to the i.i.d. splitters. */
export interface KFoldOptions {
  /** Shuffle rows before assigning folds. @default false */
  readonly shuffle?: boolean;
  /** Seed of the shuffle. @default 0 */
  readonly seed?: number;
  /** Set when rows are ordered in time: the i.i.d. splitters then refuse, naming the alternative. */
  readonly timeOrdered?: boolean;
}

function refuseTimeOrdered(opts: KFoldOptions, name: string) {
  if (opts.timeOrdered)
    throw new MlInputError(
      'timeOrdered',
      'no-random-split',
      `${name} would train on the future of time-ordered rows; use walkForward (or purgedKFold) instead`,
    );
}

function permutation(n: number, seed: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

function splitsFromAssignment(fold: Int32Array, k: number): Split[] {
  const out: Split[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < fold.length; i++) (fold[i] === f ? test : train).push(i);
    out.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return out;
}

/**
 * k folds of (nearly) equal size: the first `n % k` folds get one extra row, as scikit-learn's KFold.
 *
 * @example
 * for (const { train, test } of kFold(100, 5, { shuffle: true, seed: 1 })) { ... }
 */
export function kFold(n: number, k: number, opts: KFoldOptions = {}): Split[] {
  refuseTimeOrdered(opts, 'kFold');
  checkParam('k', k, 2, Number.MAX_SAFE_INTEGER, true);
  checkParam('n', n, k, Number.MAX_SAFE_INTEGER, true);
  const order = opts.shuffle ? permutation(n, opts.seed ?? 0) : Int32Array.from({ length: n }, (_, i) => i);
  const fold = new Int32Array(n);
  let pos = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    for (let s = 0; s < size; s++) fold[order[pos++] as number] = f;
  }
  return splitsFromAssignment(fold, k);
}

/**
 * k folds that keep each class's share: the rows of every class are dealt round-robin over the folds (after
 * an optional shuffle), so per-fold class counts differ by at most one.
 */
export function stratifiedKFold(y: ArrayLike<number>, k: number, opts: KFoldOptions = {}): Split[] {
  refuseTimeOrdered(opts, 'stratifiedKFold');
  checkParam('k', k, 2, Number.MAX_SAFE_INTEGER, true);
  const n = y.length;
  if (n < k) throw new MlInputError('y', 'length', `has ${n} rows, fewer than k = ${k} folds`);
  const order = opts.shuffle ? permutation(n, opts.seed ?? 0) : Int32Array.from({ length: n }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  for (const i of order) {
    const c = y[i] as number;
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  }
  const fold = new Int32Array(n);
  // Continue the round-robin across classes so fold sizes also stay balanced.
  let next = 0;
  for (const c of Array.from(byClass.keys()).sort((a, b) => a - b))
    for (const i of byClass.get(c) as number[]) {
      fold[i] = next;
      next = (next + 1) % k;
    }
  return splitsFromAssignment(fold, k);
}

/** Splits from a precomputed fold column (fold id per row, 0..k-1): fold f is the test set of split f. */
export function foldsFromColumn(fold: ArrayLike<number>): Split[] {
  const f = Int32Array.from(fold as ArrayLike<number>);
  let k = 0;
  for (let i = 0; i < f.length; i++) {
    const v = f[i] as number;
    if (v < 0 || v !== fold[i]) throw new MlInputError(`fold[${i}]`, 'integer', 'must be an integer >= 0');
    k = Math.max(k, v + 1);
  }
  return splitsFromAssignment(f, k);
}

/** Options of {@link walkForward}. */
export interface WalkForwardOptions {
  /** Number of successive test windows. */
  readonly nSplits: number;
  /** Rows per test window. @default floor(n / (nSplits + 1)) */
  readonly testSize?: number;
  /**
   * Rows dropped from the end of the training window because their labels reach into the test window
   * (label horizon, in rows). @default 0
   */
  readonly purge?: number;
  /**
   * A further gap between training and test for serial correlation of features (in rows). Walk-forward never
   * trains on rows after a test window, so the embargo sits before it, after the purge. @default 0
   */
  readonly embargo?: number;
  /** Rolling window: keep at most this many training rows (most recent). @default unlimited (expanding) */
  readonly maxTrainSize?: number;
  /** Refuse splits whose training window is shorter than this. @default 1 */
  readonly minTrainSize?: number;
}

/**
 * Walk-forward splits for time-ordered rows: each test window follows the previous one, the last ends at the
 * last row, and training uses only rows before `testStart - purge - embargo`. No split trains on the future.
 *
 * @example
 * walkForward(100, { nSplits: 4, testSize: 10, purge: 2, embargo: 1 });
 * // split 0: train 0..56, test 60..69; ... split 3: train 0..86, test 90..99
 */
export function walkForward(n: number, opts: WalkForwardOptions): Split[] {
  checkParam('nSplits', opts.nSplits, 1, Number.MAX_SAFE_INTEGER, true);
  checkParam('n', n, 2, Number.MAX_SAFE_INTEGER, true);
  const purge = opts.purge ?? 0;
  const embargo = opts.embargo ?? 0;
  checkParam('purge', purge, 0, n, true);
  checkParam('embargo', embargo, 0, n, true);
  const testSize = opts.testSize ?? Math.floor(n / (opts.nSplits + 1));
  checkParam('testSize', testSize, 1, n, true);
  const minTrain = opts.minTrainSize ?? 1;
  checkParam('minTrainSize', minTrain, 1, n, true);
  if (opts.maxTrainSize !== undefined) checkParam('maxTrainSize', opts.maxTrainSize, 1, n, true);
  const firstTest = n - opts.nSplits * testSize;
  const out: Split[] = [];
  for (let s = 0; s < opts.nSplits; s++) {
    const testStart = firstTest + s * testSize;
    const trainEnd = testStart - purge - embargo;
    const trainStart = opts.maxTrainSize === undefined ? 0 : Math.max(0, trainEnd - opts.maxTrainSize);
    if (trainEnd - trainStart < minTrain)
      throw new MlInputError(
        'nSplits',
        'train-size',
        `split ${s} would train on ${Math.max(0, trainEnd - trainStart)} rows (< minTrainSize ${minTrain}); use fewer splits, a smaller testSize, purge or embargo`,
      );
    out.push({
      train: Int32Array.from({ length: trainEnd - trainStart }, (_, i) => trainStart + i),
      test: Int32Array.from({ length: testSize }, (_, i) => testStart + i),
    });
  }
  return out;
}

/**
 * Purged k-fold with embargo (López de Prado, Advances in Financial Machine Learning, ch. 7): contiguous
 * test blocks in time order; training is every other row except the `purge` rows before the block (their
 * labels overlap it) and the `embargo` rows after it (their features overlap it). It does train on rows
 * after the test block; use {@link walkForward} when that is not acceptable.
 */
export function purgedKFold(n: number, k: number, opts: { purge?: number; embargo?: number } = {}): Split[] {
  checkParam('k', k, 2, Number.MAX_SAFE_INTEGER, true);
  checkParam('n', n, k, Number.MAX_SAFE_INTEGER, true);
  const purge = opts.purge ?? 0;
  const embargo = opts.embargo ?? 0;
  checkParam('purge', purge, 0, n, true);
  checkParam('embargo', embargo, 0, n, true);
  const out: Split[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const end = start + size;
    const train: number[] = [];
    for (let i = 0; i < n; i++) if (i < start - purge || i >= end + embargo) train.push(i);
    out.push({ train: Int32Array.from(train), test: Int32Array.from({ length: size }, (_, i) => start + i) });
    start = end;
  }
  return out;
}
