/**
 * Rolling one-step-ahead VaR and CVaR forecasts and their backtests: does a VaR method, applied day after day
 * with only the data it would have had, lose more than its VaR as often as its level says, and not in clusters?
 *
 * Methods (each forecast for period t uses returns before t only):
 * - `historical`: the empirical quantile of the last `window` returns, read as R's type 6 (`weibull` in var.ts),
 *   whose exceedance probability is the level's for independent returns (type 7 would under-cover);
 * - `normal`, `cornish-fisher`: {@link parametricVaR} of the last `window` returns;
 * - `ewma`: RiskMetrics (J.P. Morgan/Reuters 1996): zero mean, normal, EWMA volatility with decay `lambda`;
 * - `filtered-historical`: Hull & White (1998) / Barone-Adesi et al. (1999): the returns of the last `window`
 *   periods divided by their own EWMA volatility forecast, their empirical quantile, rescaled by today's
 *   volatility forecast. It keeps the fat tails of historical simulation and the volatility clustering of
 *   EWMA.
 *
 * Tests: Kupiec (1995) proportion of failures (unconditional coverage), Christoffersen (1998) independence and
 * conditional coverage, the Basel Committee's (1996) traffic light for 99 % VaR over 250 days, and Acerbi &
 * Szekely's (2014) Z2 for the CVaR (expected shortfall).
 *
 * Written here: no maintained JavaScript package backtests VaR, and the domain core takes no dependencies.
 */
import { SortedWindow } from '../anomaly/math.ts';
import { chiSquareSurvival, normalQuantile } from '../stats/distributions.ts';
import { checkLevel, checkValues, RiskInputError } from './errors.ts';
import { type ParametricOptions, parametricCVaR, parametricVaR } from './var.ts';

export type VarMethod = 'historical' | 'normal' | 'cornish-fisher' | 'ewma' | 'filtered-historical';

export const VAR_METHODS: readonly VarMethod[] = [
  'historical',
  'normal',
  'cornish-fisher',
  'ewma',
  'filtered-historical',
];

export interface RollingVarOptions {
  readonly method: VarMethod;
  /** Confidence, e.g. 0.99. */
  readonly level: number;
  /** Past returns each forecast is made from (all methods but `ewma`). @default 250 */
  readonly window?: number;
  /** EWMA decay of `ewma` and `filtered-historical`. @default 0.94 (RiskMetrics, daily) */
  readonly lambda?: number;
}

export interface VarForecasts {
  readonly method: VarMethod;
  readonly level: number;
  /** Index of the first period forecast: `window` for every method, so methods share one test sample. */
  readonly start: number;
  /**
   * VaR (positive loss fraction) for periods start, start + 1, ..., n: the last entry is the forecast for the
   * next, not yet observed, period.
   */
  readonly var: Float64Array;
  /** CVaR for the same periods. */
  readonly cvar: Float64Array;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

function checkOptions(returns: readonly number[], options: RollingVarOptions) {
  if (!VAR_METHODS.includes(options.method)) {
    throw new RiskInputError(
      `method must be one of ${VAR_METHODS.join(', ')}, got ${String(options.method)}`,
    );
  }
  const level = checkLevel(options.level);
  const window = options.window ?? 250;
  if (!Number.isInteger(window) || window < 10) {
    throw new RiskInputError(`window must be an integer >= 10, got ${String(window)}`);
  }
  const lambda = options.lambda ?? 0.94;
  if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1)) {
    throw new RiskInputError(`lambda must be a number in (0, 1) such as 0.94, got ${String(lambda)}`);
  }
  checkValues('returns', returns, window);
  return { level, window, lambda };
}

/**
 * The EWMA variance forecast for every period 0..n (entry t uses returns before t), started, as
 * {@link ewmaVolatility}, from the mean square of the first min(n, 30) returns.
 */
function ewmaForecasts(returns: readonly number[], lambda: number): Float64Array {
  const n = returns.length;
  const out = new Float64Array(n + 1);
  const warm = Math.min(n, 30);
  let v = 0;
  for (let i = 0; i < warm; i++) v += (returns[i] as number) ** 2;
  v /= warm;
  out[0] = v;
  for (let t = 0; t < n; t++) {
    const r = returns[t] as number;
    v = lambda * v + (1 - lambda) * r * r;
    out[t + 1] = v;
  }
  return out;
}

/** Empirical VaR and CVaR of a window, as historicalVaR/historicalCVaR with `quantile: 'weibull'`. */
function windowTail(w: SortedWindow, alpha: number): [number, number] {
  const q = w.valueAt((w.size + 1) * alpha - 1);
  const { sum, count } = w.atOrBelow(q);
  return [-q, -sum / count];
}

/**
 * One-step-ahead VaR and CVaR of `returns` (fractions per period) by one method, for every period from
 * `window` on, each from the data before it.
 *
 * @example
 * const f = rollingVaR(dailyReturns, { method: 'filtered-historical', level: 0.99 });
 * backtestVaR(dailyReturns, f).kupiec.pValue; // > 0.05: the violation rate is consistent with 1 %
 */
export function rollingVaR(returns: readonly number[], options: RollingVarOptions): VarForecasts {
  const { level, window, lambda } = checkOptions(returns, options);
  const n = returns.length;
  const alpha = 1 - level;
  const size = n - window + 1;
  const out = new Float64Array(size);
  const cvar = new Float64Array(size);
  const method = options.method;
  if (method === 'historical' || method === 'filtered-historical') {
    const filtered = method === 'filtered-historical';
    const variance = filtered ? ewmaForecasts(returns, lambda) : undefined;
    // A return standardised by the volatility forecast made before it; the raw return for plain history.
    const value = (t: number): number =>
      variance ? (returns[t] as number) / Math.sqrt(variance[t] as number) : (returns[t] as number);
    const w = new SortedWindow(window);
    for (let t = 0; t < window; t++) w.push(value(t));
    for (let t = window; t <= n; t++) {
      const [v, c] = windowTail(w, alpha);
      const scale = variance ? Math.sqrt(variance[t] as number) : 1;
      out[t - window] = v * scale;
      cvar[t - window] = c * scale;
      if (t < n) w.push(value(t));
    }
  } else if (method === 'ewma') {
    const variance = ewmaForecasts(returns, lambda);
    const z = normalQuantile(alpha);
    const tail = Math.exp(-0.5 * z * z) / SQRT_2PI / alpha;
    for (let t = window; t <= n; t++) {
      const sd = Math.sqrt(variance[t] as number);
      out[t - window] = -z * sd;
      cvar[t - window] = tail * sd;
    }
  } else {
    const parametric: ParametricOptions = { distribution: method };
    for (let t = window; t <= n; t++) {
      const past = returns.slice(t - window, t);
      out[t - window] = parametricVaR(past, level, parametric);
      cvar[t - window] = parametricCVaR(past, level, parametric);
    }
  }
  return { method, level, start: window, var: out, cvar };
}

/** A likelihood-ratio test: the statistic and its p-value (small p rejects the VaR model). */
export interface LikelihoodRatio {
  readonly lr: number;
  readonly pValue: number;
}

export type BaselZone = 'green' | 'yellow' | 'red';

export interface VarBacktest {
  readonly method: VarMethod;
  readonly level: number;
  /** Periods tested: those with an observed return and a forecast made before it. */
  readonly observations: number;
  /** Periods whose loss exceeded the VaR (return < −VaR). */
  readonly violations: number;
  /** observations × (1 − level). */
  readonly expected: number;
  /** violations / observations; a correct model has 1 − level. */
  readonly rate: number;
  /** Kupiec's proportion of failures (χ², 1 df): is the violation rate 1 − level? */
  readonly kupiec: LikelihoodRatio;
  /** Christoffersen's independence test (χ², 1 df): does a violation make the next one likelier? */
  readonly independence: LikelihoodRatio;
  /** Christoffersen's conditional coverage, Kupiec + independence (χ², 2 df). */
  readonly conditionalCoverage: LikelihoodRatio;
  /**
   * Basel traffic light over the last 250 periods for 99 % VaR: green for at most 4 violations, yellow for
   * 5-9, red for 10 or more; absent for other levels or fewer than 250 periods.
   */
  readonly basel?: BaselZone;
  /**
   * Acerbi & Szekely's Z2 for the CVaR: 1 + Σ r_t·1{violation} / (T·(1 − level)·CVaR_t). Near 0 when the CVaR
   * is right; negative when losses beyond the VaR are larger or more frequent than the CVaR says.
   */
  readonly esZ2: number;
}

/** x·ln(y) with 0·ln(0) = 0: the likelihood terms of a count that is zero. */
const xlogy = (x: number, y: number): number => (x === 0 ? 0 : x * Math.log(y));

/** Kupiec's proportion-of-failures test for `violations` in `n` periods against the rate `p`. */
export function kupiecTest(violations: number, n: number, p: number): LikelihoodRatio {
  if (!Number.isInteger(n) || n < 1) throw new RiskInputError(`n must be an integer >= 1, got ${String(n)}`);
  if (!Number.isInteger(violations) || violations < 0 || violations > n) {
    throw new RiskInputError(`violations must be an integer in [0, n = ${n}], got ${String(violations)}`);
  }
  if (!(p > 0 && p < 1)) throw new RiskInputError(`p must be in (0, 1), got ${String(p)}`);
  const x = violations;
  const phat = x / n;
  const lr = Math.max(0, -2 * (xlogy(n - x, 1 - p) + xlogy(x, p) - xlogy(n - x, 1 - phat) - xlogy(x, phat)));
  return { lr, pValue: chiSquareSurvival(lr, 1) };
}

/** Christoffersen's independence test on a sequence of hits (1 = violation, 0 = none). */
export function independenceTest(hits: ArrayLike<number>): LikelihoodRatio {
  let n00 = 0;
  let n01 = 0;
  let n10 = 0;
  let n11 = 0;
  for (let t = 1; t < hits.length; t++) {
    const prev = hits[t - 1] === 1;
    const cur = hits[t] === 1;
    if (prev) {
      if (cur) n11++;
      else n10++;
    } else if (cur) n01++;
    else n00++;
  }
  const p01 = n00 + n01 > 0 ? n01 / (n00 + n01) : 0;
  const p11 = n10 + n11 > 0 ? n11 / (n10 + n11) : 0;
  const total = n00 + n01 + n10 + n11;
  const p = total > 0 ? (n01 + n11) / total : 0;
  const restricted = xlogy(n00 + n10, 1 - p) + xlogy(n01 + n11, p);
  const unrestricted = xlogy(n00, 1 - p01) + xlogy(n01, p01) + xlogy(n10, 1 - p11) + xlogy(n11, p11);
  const lr = Math.max(0, -2 * (restricted - unrestricted));
  return { lr, pValue: chiSquareSurvival(lr, 1) };
}

/** The Basel traffic-light zone of a count of 99 % VaR violations in 250 periods. */
export function baselZone(violations: number): BaselZone {
  return violations <= 4 ? 'green' : violations <= 9 ? 'yellow' : 'red';
}

/**
 * Backtests rolling forecasts against the returns they forecast (the periods start..n − 1; the last
 * forecast, for the unobserved next period, is not tested).
 *
 * @example
 * const f = rollingVaR(dailyReturns, { method: 'historical', level: 0.99, window: 500 });
 * const b = backtestVaR(dailyReturns, f); // { violations, rate, kupiec: { pValue }, basel, ... }
 */
export function backtestVaR(returns: readonly number[], forecasts: VarForecasts): VarBacktest {
  const { start, level } = forecasts;
  const n = returns.length;
  if (forecasts.var.length !== n - start + 1) {
    throw new RiskInputError(
      `forecasts must come from rollingVaR over the same returns: expected ${n - start + 1} forecasts, got ${forecasts.var.length}`,
    );
  }
  const tested = n - start;
  if (tested < 1)
    throw new RiskInputError('returns must extend past the forecasts window by at least 1 period');
  const alpha = 1 - level;
  const hits = new Uint8Array(tested);
  let violations = 0;
  let z2 = 0;
  for (let i = 0; i < tested; i++) {
    const r = returns[start + i] as number;
    if (r < -(forecasts.var[i] as number)) {
      hits[i] = 1;
      violations++;
      z2 += r / (forecasts.cvar[i] as number);
    }
  }
  const kupiec = kupiecTest(violations, tested, alpha);
  const independence = independenceTest(hits);
  const cc = kupiec.lr + independence.lr;
  let basel: BaselZone | undefined;
  if (Math.abs(level - 0.99) < 1e-12 && tested >= 250) {
    let recent = 0;
    for (let i = tested - 250; i < tested; i++) recent += hits[i] as number;
    basel = baselZone(recent);
  }
  return {
    method: forecasts.method,
    level,
    observations: tested,
    violations,
    expected: tested * alpha,
    rate: violations / tested,
    kupiec,
    independence,
    conditionalCoverage: { lr: cc, pValue: chiSquareSurvival(cc, 2) },
    ...(basel ? { basel } : {}),
    esZ2: 1 + z2 / (tested * alpha),
  };
}
