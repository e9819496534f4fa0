/**
 * Performance metrics of a weekly strategy. Conventions (stated because they change the figures):
 *   - Sharpe = mean(r − rf_w) / sd(r) × √52, sd with n − 1; rf_w = (1 + rf)^(1/52) − 1, rf default 0.
 *   - Sortino = mean(r − rf_w) / DD × √52, DD = √(Σ min(0, r − rf_w)² / n) over all n weeks.
 *   - CAGR = (final / initial)^(1 / years) − 1, years = weeks / 52.
 *   - Max drawdown = the largest peak-to-trough fall of the equity series given (daily in the backtester),
 *     including the initial capital as the first peak; Calmar = CAGR / max drawdown.
 */
import { WEEK_TYPES, type WeekType } from '../events/constants.ts';

export interface PerformanceMetrics {
  readonly weeks: number;
  readonly cagr: number;
  readonly sharpe: number;
  readonly sortino: number;
  readonly calmar: number;
  readonly maxDrawdown: number;
  readonly positiveWeeksShare: number;
  readonly meanWeeklyReturn: number;
  readonly medianWeeklyReturn: number;
  readonly totalReturn: number;
}

function mean(x: readonly number[]): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}

/** Largest peak-to-trough fall as a positive fraction (0 when the series never falls). */
export function maxDrawdown(equity: readonly number[], initial?: number): number {
  let peak = initial ?? equity[0] ?? 0;
  let dd = 0;
  for (const e of equity) {
    if (e > peak) peak = e;
    if (peak > 0) dd = Math.max(dd, (peak - e) / peak);
  }
  return dd;
}

/**
 * Metrics of a weekly return series; `equity` (any frequency, default the compounded weekly returns) is
 * used for the maximum drawdown.
 *
 * @example
 * computeMetrics([0.01, -0.005, 0.02]).sharpe;
 */
export function computeMetrics(
  weeklyReturns: readonly number[],
  opts: { equity?: readonly number[]; initial?: number; riskFreeAnnual?: number } = {},
): PerformanceMetrics {
  const n = weeklyReturns.length;
  if (n < 2) throw new RangeError(`computeMetrics: weeklyReturns needs at least 2 weeks, got ${n}`);
  for (const [i, r] of weeklyReturns.entries()) {
    if (!Number.isFinite(r) || r <= -1)
      throw new RangeError(`computeMetrics: weeklyReturns[${i}] must be a finite number > -1, got ${r}`);
  }
  const rfW = (1 + (opts.riskFreeAnnual ?? 0)) ** (1 / 52) - 1;
  const ex = weeklyReturns.map((r) => r - rfW);
  const m = mean(ex);
  const sd = Math.sqrt(ex.reduce((a, r) => a + (r - m) ** 2, 0) / (n - 1));
  const dd = Math.sqrt(ex.reduce((a, r) => a + Math.min(0, r) ** 2, 0) / n);
  const growth = weeklyReturns.reduce((g, r) => g * (1 + r), 1);
  const cagr = growth ** (52 / n) - 1;
  const initial = opts.initial ?? 1;
  let equity = opts.equity;
  if (!equity) {
    const e: number[] = [];
    let v = initial;
    for (const r of weeklyReturns) {
      v *= 1 + r;
      e.push(v);
    }
    equity = e;
  }
  const mdd = maxDrawdown(equity, initial);
  const sorted = [...weeklyReturns].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  return {
    weeks: n,
    cagr,
    sharpe: sd > 0 ? (m / sd) * Math.sqrt(52) : 0,
    sortino: dd > 0 ? (m / dd) * Math.sqrt(52) : m > 0 ? Number.POSITIVE_INFINITY : 0,
    calmar: mdd > 0 ? cagr / mdd : cagr > 0 ? Number.POSITIVE_INFINITY : 0,
    maxDrawdown: mdd,
    positiveWeeksShare: weeklyReturns.filter((r) => r > 0).length / n,
    meanWeeklyReturn: mean(weeklyReturns),
    medianWeeklyReturn:
      n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2,
    totalReturn: growth - 1,
  };
}

/** Share of weeks per week type (every type present, 0 when absent). */
export function weekTypeFrequencies(types: readonly WeekType[]): Record<WeekType, number> {
  const out = Object.fromEntries(WEEK_TYPES.map((t) => [t, 0])) as Record<WeekType, number>;
  for (const t of types) out[t] += 1;
  if (types.length > 0) for (const t of WEEK_TYPES) out[t] /= types.length;
  return out;
}

/**
 * Observed minus expected share per week type. The design gives no expected frequencies; callers that
 * have them (from the protocol's live records) pass them here. Missing types count as expected 0.
 */
export function compareWeekTypeFrequencies(
  observed: Readonly<Record<WeekType, number>>,
  expected: Readonly<Partial<Record<WeekType, number>>>,
): Record<WeekType, number> {
  const out = {} as Record<WeekType, number>;
  for (const t of WEEK_TYPES) out[t] = observed[t] - (expected[t] ?? 0);
  return out;
}

/** A strategy's metrics against the account's targets. */
export interface TargetCheck {
  readonly weeklyTarget: number;
  readonly meanWeeklyReturn: number;
  /** Share of weeks at or above the weekly target. */
  readonly weeksAtTarget: number;
  readonly meetsWeeklyTarget: boolean;
  readonly maxDrawdownLimit: number;
  readonly maxDrawdown: number;
  readonly withinDrawdownLimit: boolean;
}

/** Compares mean weekly return and maximum drawdown with an account's targets. */
export function checkTargets(
  weeklyReturns: readonly number[],
  m: PerformanceMetrics,
  target: { weeklyReturn: number; maxDrawdown: number },
): TargetCheck {
  return {
    weeklyTarget: target.weeklyReturn,
    meanWeeklyReturn: m.meanWeeklyReturn,
    weeksAtTarget: weeklyReturns.filter((r) => r >= target.weeklyReturn).length / weeklyReturns.length,
    meetsWeeklyTarget: m.meanWeeklyReturn >= target.weeklyReturn,
    maxDrawdownLimit: target.maxDrawdown,
    maxDrawdown: m.maxDrawdown,
    withinDrawdownLimit: m.maxDrawdown <= target.maxDrawdown,
  };
}
