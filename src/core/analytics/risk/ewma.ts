/** RiskMetrics exponentially weighted volatility (J.P. Morgan/Reuters, RiskMetrics Technical Document, 1996). */
import { checkValues, RiskInputError } from './errors.ts';

export interface EwmaOptions {
  /**
   * Variance before the first return. @default the mean of the squared first min(n, 30) returns
   * (a zero-mean sample variance, as RiskMetrics assumes zero mean returns)
   */
  readonly initialVariance?: number;
}

export interface EwmaResult {
  readonly lambda: number;
  /** variance[t] = λ·variance[t − 1] + (1 − λ)·returns[t]²: the forecast for period t + 1 made after period t. */
  readonly variance: readonly number[];
  /** √variance, per period (scale by √(periods per year) to annualise). */
  readonly volatility: readonly number[];
  /** The latest one-step-ahead volatility forecast. */
  readonly latest: number;
}

/**
 * EWMA volatility with decay `lambda` (0.94 is RiskMetrics' daily value, 0.97 its monthly one).
 * Throws {@link RiskInputError} for an empty or non-finite series, lambda outside (0, 1) or a negative
 * initial variance.
 *
 * @example
 * ewmaVolatility([0.01, -0.02], 0.94, { initialVariance: 0 }).variance // [0.000006, 0.00002964]
 */
export function ewmaVolatility(
  returns: readonly number[],
  lambda = 0.94,
  options: EwmaOptions = {},
): EwmaResult {
  checkValues('returns', returns, 1);
  if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1)) {
    throw new RiskInputError(`lambda must be a number in (0, 1) such as 0.94, got ${String(lambda)}`);
  }
  const warm = Math.min(returns.length, 30);
  let v = options.initialVariance ?? returns.slice(0, warm).reduce((s, r) => s + r * r, 0) / warm;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RiskInputError(`initialVariance must be a finite number >= 0, got ${String(v)}`);
  }
  const variance: number[] = [];
  for (const r of returns) {
    v = lambda * v + (1 - lambda) * r * r;
    variance.push(v);
  }
  const volatility = variance.map(Math.sqrt);
  return { lambda, variance, volatility, latest: volatility[volatility.length - 1] as number };
}
