/** Ordinary least-squares trend with Student-t inference on the slope. */
import { studentTQuantile, studentTTwoSided } from '../stats/distributions.ts';
import { checkLevel, checkSeries } from './validate.ts';

/** Result of {@link linearTrend}. Slope units: value per time unit of `times`. */
export interface LinearTrend {
  readonly n: number;
  readonly slope: number;
  /** Value of the line at time 0. For epoch times prefer `meanValue` at `meanTime`, which the line passes through. */
  readonly intercept: number;
  readonly meanTime: number;
  readonly meanValue: number;
  readonly slopeStdError: number;
  readonly interceptStdError: number;
  /** Residual standard error, sqrt(RSS / (n − 2)). */
  readonly residualStdError: number;
  readonly level: number;
  /** Central confidence interval of the slope at `level`: slope ± t(df, (1 + level)/2) · SE. */
  readonly slopeInterval: readonly [number, number];
  readonly rSquared: number;
  /** Two-sided p-value of H0: slope = 0 (t test, n − 2 degrees of freedom). */
  readonly pValue: number;
  readonly df: number;
}

/**
 * Least-squares line through (times, values) with the slope's standard error, confidence interval,
 * r² and p-value, as R's `summary(lm(values ~ times))` and `confint`. Times are centred before
 * squaring, so epoch milliseconds do not lose precision.
 *
 * @example
 * const t = linearTrend([1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 7.8, 10.1]);
 * t.slope; // 1.99
 * t.slopeInterval; // [1.7, 2.28] at 95 %
 */
export function linearTrend(times: readonly number[], values: readonly number[], level = 0.95): LinearTrend {
  checkSeries('times', times, 3);
  checkSeries('values', values, 3);
  checkLevel(level);
  const n = values.length;
  if (times.length !== n)
    throw new RangeError(`times and values must have the same length, got ${times.length} and ${n}`);
  let xm = 0;
  let ym = 0;
  for (let i = 0; i < n; i++) {
    xm += times[i] as number;
    ym += values[i] as number;
  }
  xm /= n;
  ym /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (times[i] as number) - xm;
    const dy = (values[i] as number) - ym;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0)
    throw new RangeError('times must not all be equal: a slope needs at least two distinct times');
  const slope = sxy / sxx;
  const intercept = ym - slope * xm;
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const r = (values[i] as number) - (ym + slope * ((times[i] as number) - xm));
    rss += r * r;
  }
  const df = n - 2;
  const s2 = rss / df;
  const se = Math.sqrt(s2 / sxx);
  const seIntercept = Math.sqrt(s2 * (1 / n + (xm * xm) / sxx));
  const q = studentTQuantile((1 + level) / 2, df);
  // Exact fits: a non-zero slope is certain, a flat one carries no evidence.
  const pValue = se === 0 ? (slope === 0 ? 1 : 0) : studentTTwoSided(slope / se, df);
  return {
    n,
    slope,
    intercept,
    meanTime: xm,
    meanValue: ym,
    slopeStdError: se,
    interceptStdError: seIntercept,
    residualStdError: Math.sqrt(s2),
    level,
    slopeInterval: [slope - q * se, slope + q * se],
    rSquared: syy === 0 ? 0 : Math.max(0, 1 - rss / syy),
    pValue,
    df,
  };
}
