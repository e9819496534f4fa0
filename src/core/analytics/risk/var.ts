/**
 * Value at Risk and Conditional Value at Risk (expected shortfall) of a return series.
 *
 * Conventions, the same in every function here:
 * - returns are fractions per period (0.01 = 1 %); VaR and CVaR are **losses, reported as positive
 *   fractions** (VaR 0.03 = a 3 % loss), negative only when even the tail is a gain;
 * - `level` is the confidence, e.g. 0.95: VaR is the loss exceeded with probability 1 − level.
 * - historical quantiles interpolate linearly between order statistics by default, as numpy's default
 *   (`method='linear'`) and R's type 7: the p-quantile of sorted x is x[h] interpolated at h = (n − 1)·p;
 *   `quantile: 'lower'` takes x[floor(h)] instead (numpy's `method='lower'`), never an unseen value;
 *   `quantile: 'weibull'` interpolates at h = (n + 1)·p − 1 (R's type 6, numpy's `method='weibull'`), clamped to
 *   the sample: for independent returns the next one falls below it with probability p exactly, so it is the
 *   choice for a VaR *forecast* (type 7's p-quantile of 250 returns is exceeded 1.39 % of the time at p = 1 %).
 */
import { mean, normalQuantile, sortedQuantile } from '../forecast/stats.ts';
import { checkLevel, checkValues, RiskInputError } from './errors.ts';

export interface HistoricalOptions {
  /** How the empirical quantile is read between order statistics. @default 'linear' */
  readonly quantile?: 'linear' | 'lower' | 'weibull';
}

export interface ParametricOptions {
  /**
   * `normal`: mean and standard deviation only. `cornish-fisher`: the normal quantile corrected for the
   * sample's skewness and excess kurtosis (Favre & Galeano 2002), reliable for moderate non-normality.
   * @default 'normal'
   */
  readonly distribution?: 'normal' | 'cornish-fisher';
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const phi = (z: number): number => Math.exp(-0.5 * z * z) / SQRT_2PI;

function tailQuantile(returns: readonly number[], level: number, options: HistoricalOptions): number {
  checkValues('returns', returns, 1);
  checkLevel(level);
  const method = options.quantile ?? 'linear';
  if (method !== 'linear' && method !== 'lower' && method !== 'weibull') {
    throw new RiskInputError(`quantile must be 'linear', 'lower' or 'weibull', got ${String(method)}`);
  }
  const sorted = Float64Array.from(returns).sort();
  const p = 1 - level;
  if (method === 'linear') return sortedQuantile(sorted, p);
  if (method === 'lower') return sorted[Math.floor((sorted.length - 1) * p)] as number;
  return weibullQuantile(sorted, p);
}

/** R's type-6 quantile of sorted values: interpolated at the 0-based position (n + 1)·p − 1, clamped. */
export function weibullQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const h = Math.min(Math.max((n + 1) * p - 1, 0), n - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const vl = sorted[lo] as number;
  return vl + (h - lo) * ((sorted[hi] as number) - vl);
}

/**
 * Historical VaR: minus the (1 − level) empirical quantile of `returns`.
 *
 * @example
 * historicalVaR([-0.05, -0.02, 0.01, 0.02, 0.03], 0.8) // 0.026: h = 4·0.2 = 0.8, -(-0.05 + 0.8·0.03)
 */
export function historicalVaR(
  returns: readonly number[],
  level = 0.95,
  options: HistoricalOptions = {},
): number {
  return -tailQuantile(returns, level, options);
}

/**
 * Historical CVaR: minus the mean of the returns at or below the VaR quantile (never empty: the smallest
 * return is always there), so CVaR ≥ VaR.
 *
 * @example
 * historicalCVaR([-0.05, -0.02, 0.01, 0.02, 0.03], 0.6) // 0.035: quantile -0.002, tail {-0.05, -0.02}
 */
export function historicalCVaR(
  returns: readonly number[],
  level = 0.95,
  options: HistoricalOptions = {},
): number {
  const q = tailQuantile(returns, level, options);
  let s = 0;
  let c = 0;
  for (const r of returns) {
    if (r <= q) {
      s += r;
      c++;
    }
  }
  return -s / c;
}

/** Sample moments the parametric estimates use: mean, standard deviation (n − 1), skewness and excess kurtosis (moment estimators). */
export interface Moments {
  readonly mean: number;
  readonly sd: number;
  readonly skewness: number;
  readonly excessKurtosis: number;
}

/** Sample moments of `returns` (at least 2 values); skewness and kurtosis are 0 for a constant series. */
export function moments(returns: readonly number[]): Moments {
  checkValues('returns', returns, 2);
  const n = returns.length;
  const mu = mean(returns);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mu;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {
    mean: mu,
    sd: Math.sqrt((m2 * n) / (n - 1)),
    skewness: m2 > 0 ? m3 / m2 ** 1.5 : 0,
    excessKurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : 0,
  };
}

function parametric(returns: readonly number[], level: number, options: ParametricOptions) {
  checkLevel(level);
  const distribution = options.distribution ?? 'normal';
  if (distribution !== 'normal' && distribution !== 'cornish-fisher') {
    throw new RiskInputError(
      `distribution must be 'normal' or 'cornish-fisher', got ${String(distribution)}`,
    );
  }
  const mo = moments(returns);
  const alpha = 1 - level;
  const z = normalQuantile(alpha);
  const s = distribution === 'normal' ? 0 : mo.skewness;
  const k = distribution === 'normal' ? 0 : mo.excessKurtosis;
  return { mo, alpha, z, s, k };
}

/**
 * Parametric VaR: −(μ + z·σ), with z the normal (1 − level) quantile, or its Cornish-Fisher expansion
 * z + (z² − 1)S/6 + (z³ − 3z)K/24 − (2z³ − 5z)S²/36.
 *
 * @example
 * parametricVaR(weeklyReturns, 0.99); // ≈ 2.326·σ − μ
 */
export function parametricVaR(
  returns: readonly number[],
  level = 0.95,
  options: ParametricOptions = {},
): number {
  const { mo, z, s, k } = parametric(returns, level, options);
  const zcf = z + ((z * z - 1) * s) / 6 + ((z ** 3 - 3 * z) * k) / 24 - ((2 * z ** 3 - 5 * z) * s * s) / 36;
  return -(mo.mean + zcf * mo.sd);
}

/**
 * Parametric CVaR: the mean loss beyond the VaR of the fitted distribution. Normal: σ·φ(z)/(1 − level) − μ.
 * Cornish-Fisher: the tail mean of the expanded quantile function, in closed form from the truncated
 * normal moments E[Zʲ; Z < z] (j ≤ 3).
 *
 * @example
 * parametricCVaR(weeklyReturns, 0.95); // ≈ 2.063·σ − μ
 */
export function parametricCVaR(
  returns: readonly number[],
  level = 0.95,
  options: ParametricOptions = {},
): number {
  const { mo, alpha, z, s, k } = parametric(returns, level, options);
  const f = phi(z);
  const i0 = alpha;
  const i1 = -f;
  const i2 = alpha - z * f;
  const i3 = -(z * z + 2) * f;
  const tail = i1 + (s * (i2 - i0)) / 6 + (k * (i3 - 3 * i1)) / 24 - (s * s * (2 * i3 - 5 * i1)) / 36;
  return -(mo.mean + (mo.sd * tail) / alpha);
}
