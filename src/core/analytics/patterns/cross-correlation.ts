/**
 * Lagged cross-correlation between two metrics sampled on the same steps: which one leads, by how much,
 * and whether the link stands out from noise.
 */
import { mean, normalQuantile } from '../forecast/stats.ts';
import { checkInteger, checkNumber, checkSeries, PatternInputError } from './errors.ts';

export interface CrossCorrelationOptions {
  /** Two-sided significance level of the white-noise band ±z(1 − alpha/2)/√n. @default 0.05 (±1.96/√n) */
  readonly alpha?: number;
}

export interface CrossCorrelationResult {
  /** −maxLag … maxLag. */
  readonly lags: readonly number[];
  /** correlation[i] = corr(a[t], b[t + lags[i]]). */
  readonly correlation: readonly number[];
  /** Lag of the largest |correlation|; positive: a leads b by that many steps; negative: b leads a. */
  readonly bestLag: number;
  readonly bestCorrelation: number;
  /** |r| beyond this is unlikely (at `alpha`) between independent white-noise series: z/√n. */
  readonly threshold: number;
  readonly significant: boolean;
  readonly n: number;
}

/**
 * Cross-correlation of `a` and `b` at lags −maxLag … maxLag, estimated as R's `ccf` does (full-series
 * means and standard deviations, denominator n), so it equals the autocorrelation when a = b.
 * The band assumes white noise: trending or strongly autocorrelated series give spurious peaks, so
 * difference them first (e.g. compare changes, not levels).
 * Throws {@link PatternInputError} for series of different lengths, fewer than 3 points, a constant series
 * or maxLag outside [0, n − 2].
 *
 * @example
 * const r = laggedCrossCorrelation(vix, latency, 10);
 * r.bestLag; // 3: latency follows vix three steps later
 */
export function laggedCrossCorrelation(
  a: readonly number[],
  b: readonly number[],
  maxLag: number,
  options: CrossCorrelationOptions = {},
): CrossCorrelationResult {
  checkSeries('a', a, 3);
  checkSeries('b', b, 3);
  if (a.length !== b.length) {
    throw new PatternInputError(`a and b must have the same length, got ${a.length} and ${b.length}`);
  }
  const n = a.length;
  checkInteger('maxLag', maxLag, 0, n - 2);
  const alpha = checkNumber('alpha', options.alpha ?? 0.05, 0, 1, { lo: true, hi: true });
  const ma = mean(a);
  const mb = mean(b);
  let va = 0;
  let vb = 0;
  for (let t = 0; t < n; t++) {
    va += ((a[t] as number) - ma) ** 2;
    vb += ((b[t] as number) - mb) ** 2;
  }
  if (va === 0) throw new PatternInputError('a must not be constant (its correlation is undefined)');
  if (vb === 0) throw new PatternInputError('b must not be constant (its correlation is undefined)');
  const denom = Math.sqrt(va * vb);
  const lags: number[] = [];
  const correlation: number[] = [];
  let bestLag = 0;
  let best = 0;
  for (let k = -maxLag; k <= maxLag; k++) {
    let c = 0;
    for (let t = Math.max(0, -k); t < n && t + k < n; t++) {
      c += ((a[t] as number) - ma) * ((b[t + k] as number) - mb);
    }
    const r = c / denom;
    lags.push(k);
    correlation.push(r);
    // Ties go to the smaller |lag|: the simpler explanation.
    if (Math.abs(r) > Math.abs(best) || (Math.abs(r) === Math.abs(best) && Math.abs(k) < Math.abs(bestLag))) {
      best = r;
      bestLag = k;
    }
  }
  const threshold = normalQuantile(1 - alpha / 2) / Math.sqrt(n);
  return {
    lags,
    correlation,
    bestLag,
    bestCorrelation: best,
    threshold,
    significant: Math.abs(best) > threshold,
    n,
  };
}
