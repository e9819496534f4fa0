/**
 * Mann-Kendall trend test and Sen's slope (Theil-Sen estimator) with its confidence interval.
 *
 * Follows Gilbert (1987), "Statistical Methods for Environmental Pollution Monitoring", ch. 16, as R's
 * `trend::mk.test` and `trend::sens.slope` implement it: S with the tie-corrected variance, Z with the
 * continuity correction, the normal two-sided p-value, and Sen's interval from the order statistics of the
 * pairwise slopes at ranks round((N ∓ C)/2) (+1 for the upper), C = z · sqrt(Var S). Kendall's tau is
 * S / sqrt((N − Σ t(t−1)/2) · N), N = n(n−1)/2, as R's `Kendall::MannKendall` reports it.
 *
 * S costs O(n log n) (a Fenwick tree over value ranks), so the test runs on long series; Sen's slope
 * enumerates the N slopes up to n = 2000 and beyond that selects order statistics by bisection on the slope
 * with an O(n log n) count of pairs below it (to 1e-12 of the slope range), so memory stays O(n).
 */
import { normalCdf, normalQuantile } from '../stats/distributions.ts';
import { checkLevel, checkSeries } from './validate.ts';

/** Result of {@link mannKendall}. */
export interface MannKendallResult {
  readonly n: number;
  /** Σ_{i<j} sign(x_j − x_i). */
  readonly s: number;
  /** Var(S) with the tie correction. */
  readonly varS: number;
  /** (S − sign S) / sqrt(Var S); 0 when S = 0. */
  readonly z: number;
  /** Two-sided p-value from the normal approximation. */
  readonly pValue: number;
  /** Kendall's tau-b against time. */
  readonly tau: number;
  /** `increasing` / `decreasing` when pValue < 1 − level, else `none`. */
  readonly trend: 'increasing' | 'decreasing' | 'none';
  /** Sen's slope: median of the pairwise slopes, value per time unit (per step without `times`). */
  readonly senSlope: number;
  /** Median of values − senSlope · times (Conover's intercept), at time 0. */
  readonly senIntercept: number;
  readonly level: number;
  readonly senInterval: readonly [number, number];
}

/** Options of {@link mannKendall}. */
export interface MannKendallOptions {
  /** Confidence level of Sen's interval and of the `trend` verdict. @default 0.95 */
  readonly level?: number;
  /** Strictly increasing observation times for Sen's slope; default 0, 1, 2, … */
  readonly times?: readonly number[];
}

/** R's round(): half to even, so ranks match trend::sens.slope. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** S and the tie groups' sizes, in O(n log n). */
function kendallS(values: readonly number[]): { s: number; ties: number[] } {
  const n = values.length;
  const sorted = values.slice().sort((a, b) => a - b);
  const distinct: number[] = [];
  const ties: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && sorted[j] === sorted[i]) j++;
    distinct.push(sorted[i] as number);
    if (j - i > 1) ties.push(j - i);
    i = j;
  }
  const rankOf = (v: number): number => {
    let lo = 0;
    let hi = distinct.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((distinct[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const tree = new Float64Array(distinct.length + 1);
  const prefix = (i: number): number => {
    let c = 0;
    for (let k = i; k > 0; k -= k & -k) c += tree[k] as number;
    return c;
  };
  let s = 0;
  for (let j = 0; j < n; j++) {
    const r = rankOf(values[j] as number);
    const below = prefix(r - 1);
    const atOrBelow = prefix(r);
    s += below - (j - atOrBelow);
    for (let k = r; k < tree.length; k += k & -k) tree[k] = (tree[k] as number) + 1;
  }
  return { s, ties };
}

/**
 * Counts pairs i < j with slope (y_j − y_i)/(x_j − x_i) ≤ t for strictly increasing x: that is
 * r_j ≤ r_i with r = y − t·x, the (non-strict) inversions of r, counted by merge sort.
 */
function countSlopesAtMost(
  x: readonly number[],
  y: readonly number[],
  t: number,
  a: Float64Array,
  b: Float64Array,
): number {
  const n = x.length;
  for (let i = 0; i < n; i++) a[i] = (y[i] as number) - t * (x[i] as number);
  let count = 0;
  let src = a;
  let dst = b;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // Left run holds earlier indices: a right element not above a left one is a pair with slope ≤ t.
        if ((src[j] as number) <= (src[i] as number)) {
          count += mid - i;
          dst[k++] = src[j++] as number;
        } else dst[k++] = src[i++] as number;
      }
      while (i < mid) dst[k++] = src[i++] as number;
      while (j < hi) dst[k++] = src[j++] as number;
    }
    const tmp = src;
    src = dst;
    dst = tmp;
  }
  return count;
}

/**
 * The order statistics (1-based ranks) of the pairwise slopes. `method` is for tests; the default picks
 * enumeration when there are at most 2e6 slopes and bisection otherwise.
 */
export function slopeOrderStatistics(
  x: readonly number[],
  y: readonly number[],
  ranks: readonly number[],
  method: 'auto' | 'enumerate' | 'bisect' = 'auto',
): number[] {
  const n = x.length;
  const pairs = (n * (n - 1)) / 2;
  if (method === 'enumerate' || (method === 'auto' && pairs <= 2_000_000)) {
    const d = new Float64Array(pairs);
    let k = 0;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++)
        d[k++] = ((y[j] as number) - (y[i] as number)) / ((x[j] as number) - (x[i] as number));
    }
    d.sort();
    return ranks.map((r) => d[r - 1] as number);
  }
  let minDx = Number.POSITIVE_INFINITY;
  for (let i = 1; i < n; i++) minDx = Math.min(minDx, (x[i] as number) - (x[i - 1] as number));
  let yLo = Number.POSITIVE_INFINITY;
  let yHi = Number.NEGATIVE_INFINITY;
  for (const v of y) {
    if (v < yLo) yLo = v;
    if (v > yHi) yHi = v;
  }
  const bound = (yHi - yLo) / minDx;
  if (bound === 0) return ranks.map(() => 0);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  return ranks.map((rank) => {
    let lo = -2 * bound; // count(≤ lo) = 0 < rank
    let hi = 2 * bound; // count(≤ hi) = pairs ≥ rank
    for (let it = 0; it < 200 && hi - lo > 1e-12 * bound; it++) {
      const mid = 0.5 * (lo + hi);
      if (countSlopesAtMost(x, y, mid, a, b) >= rank) hi = mid;
      else lo = mid;
    }
    return hi;
  });
}

/**
 * Mann-Kendall test for a monotonic trend, with Kendall's tau and Sen's slope and interval.
 *
 * @example
 * const r = mannKendall([1, 2, 3, 4, 5]);
 * r.s; // 10
 * r.pValue; // 0.0275
 * r.senSlope; // 1
 */
export function mannKendall(values: readonly number[], options: MannKendallOptions = {}): MannKendallResult {
  checkSeries('values', values, 3);
  const level = checkLevel(options.level ?? 0.95);
  const n = values.length;
  const times = options.times ?? Array.from({ length: n }, (_, i) => i);
  checkSeries('times', times, 3);
  if (times.length !== n)
    throw new RangeError(`times and values must have the same length, got ${times.length} and ${n}`);
  for (let i = 1; i < n; i++) {
    if (!((times[i] as number) > (times[i - 1] as number)))
      throw new RangeError(`times must be strictly increasing, but times[${i}] <= times[${i - 1}]`);
  }
  const { s, ties } = kendallS(values);
  const pairs = (n * (n - 1)) / 2;
  let tieVar = 0;
  let tiePairs = 0;
  for (const t of ties) {
    tieVar += t * (t - 1) * (2 * t + 5);
    tiePairs += (t * (t - 1)) / 2;
  }
  const varS = (n * (n - 1) * (2 * n + 5) - tieVar) / 18;
  const z = varS === 0 || s === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(varS);
  const pValue = Math.min(1, 2 * normalCdf(-Math.abs(z)));
  const denom = Math.sqrt((pairs - tiePairs) * pairs);
  const tau = denom === 0 ? 0 : s / denom;
  const c = normalQuantile(1 - (1 - level) / 2) * Math.sqrt(varS);
  const clamp = (r: number): number => Math.min(pairs, Math.max(1, r));
  const lowRank = clamp(roundHalfEven((pairs - c) / 2));
  const highRank = clamp(roundHalfEven((pairs + c) / 2 + 1));
  const mid = pairs % 2 === 1 ? [(pairs + 1) / 2, (pairs + 1) / 2] : [pairs / 2, pairs / 2 + 1];
  const [m1, m2, lo, hi] = slopeOrderStatistics(times, values, [
    mid[0] as number,
    mid[1] as number,
    lowRank,
    highRank,
  ]) as [number, number, number, number];
  const senSlope = 0.5 * (m1 + m2);
  const residuals = values.map((v, i) => v - senSlope * (times[i] as number)).sort((p, q) => p - q);
  const h = n >> 1;
  const senIntercept =
    n % 2 === 1 ? (residuals[h] as number) : 0.5 * ((residuals[h - 1] as number) + (residuals[h] as number));
  const significant = pValue < 1 - level;
  return {
    n,
    s,
    varS,
    z,
    pValue,
    tau,
    trend: significant ? (s > 0 ? 'increasing' : 'decreasing') : 'none',
    senSlope,
    senIntercept,
    level,
    senInterval: [lo, hi],
  };
}
