/**
 * Regime classification of a series, window by window, into trending / ranging / volatile from two
 * features an operator can check by hand:
 *
 * - **efficiency ratio** (Kaufman): |x_end − x_start| / Σ|Δx| over the window, in [0, 1]. A straight line
 *   scores 1; noise around a level scores about 1/w; a random walk about 1/√w.
 * - **realised volatility**: the standard deviation of the window's changes (demeaned, so a steady trend
 *   does not count as volatility), compared with the other windows of the same series by its percentile
 *   rank and by its ratio to the median window.
 *
 * A window is volatile when its volatility is both high in rank (percentile ≥ `volatilePercentile`) and
 * high in size (≥ `volatilityRatio` × the median window), so a homogeneous series has no volatile window
 * just because some window must rank highest. Otherwise it is trending when the efficiency ratio reaches
 * `trendThreshold`, else ranging.
 */
import { linearFit } from '../forecast/stats.ts';
import { checkInteger, checkNumber, checkSeries, PatternInputError } from './errors.ts';

export const REGIMES = ['trending', 'ranging', 'volatile'] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeOptions {
  /** Points per window. @default 20 */
  readonly window?: number;
  /** Points between window starts; less than `window` gives overlapping windows. @default window */
  readonly step?: number;
  /** Efficiency ratio at or above which a window is trending. @default 0.3 */
  readonly trendThreshold?: number;
  /**
   * Percentile rank (0-1) of a window's volatility among all windows needed to be volatile. The ratio does
   * most of the work; this only keeps volatile windows in the upper half. @default 0.5
   */
  readonly volatilePercentile?: number;
  /** Ratio of a window's volatility to the median window's needed to be volatile. @default 1.5 */
  readonly volatilityRatio?: number;
  /** `diff`: changes are x[t] − x[t−1]; `log`: log(x[t] / x[t−1]), for prices (values must be > 0). @default 'diff' */
  readonly changes?: 'diff' | 'log';
}

export interface RegimeWindow {
  /** Index of the window's first point. */
  readonly start: number;
  /** Index one past the window's last point. */
  readonly end: number;
  readonly regime: Regime;
  /** Sign of the least-squares slope over the window. */
  readonly direction: 'up' | 'down' | 'flat';
  readonly efficiencyRatio: number;
  /** Standard deviation of the window's changes. */
  readonly volatility: number;
  /** Mid-rank of the volatility among all windows, in [0, 1]. */
  readonly volatilityPercentile: number;
  /** Volatility over the median window's volatility (over the mean window's when the median is 0). */
  readonly volatilityRatio: number;
  /** Least-squares slope per step. */
  readonly slope: number;
  /** The rule that decided the label, in words. */
  readonly reason: string;
}

export interface RegimeResult {
  readonly windows: readonly RegimeWindow[];
  /** Windows per regime. */
  readonly counts: Readonly<Record<Regime, number>>;
  /** The thresholds used, so a stored result explains itself. */
  readonly thresholds: Required<Omit<RegimeOptions, 'changes'>> & { readonly changes: 'diff' | 'log' };
}

const r3 = (x: number): string => String(Number(x.toPrecision(3)));

/**
 * Labels each window of `values` as trending, ranging or volatile (see the module comment for the rules).
 * Throws {@link PatternInputError} for fewer than one window of finite values or an out-of-range option.
 *
 * @example
 * const { windows } = classifyRegimes(prices, { window: 20, changes: 'log' });
 * windows[0]; // { start: 0, end: 20, regime: 'trending', efficiencyRatio: 0.71, reason: '...' , ... }
 */
export function classifyRegimes(values: readonly number[], options: RegimeOptions = {}): RegimeResult {
  const window = checkInteger('window', options.window ?? 20, 3);
  const step = checkInteger('step', options.step ?? window, 1);
  const trendThreshold = checkNumber('trendThreshold', options.trendThreshold ?? 0.3, 0, 1, { lo: true });
  const volatilePercentile = checkNumber('volatilePercentile', options.volatilePercentile ?? 0.5, 0, 1);
  const volatilityRatio = checkNumber('volatilityRatio', options.volatilityRatio ?? 1.5, 1, Number.MAX_VALUE);
  const changes = options.changes ?? 'diff';
  if (changes !== 'diff' && changes !== 'log') {
    throw new PatternInputError(`changes must be 'diff' or 'log', got ${String(changes)}`);
  }
  checkSeries('values', values, window);
  if (changes === 'log') {
    const i = values.findIndex((v) => v <= 0);
    if (i >= 0) throw new PatternInputError(`values[${i}] must be > 0 with changes 'log', got ${values[i]}`);
  }
  const x = changes === 'log' ? values.map(Math.log) : values;

  const raw: { start: number; er: number; vol: number; slope: number }[] = [];
  for (let start = 0; start + window <= x.length; start += step) {
    let path = 0;
    for (let t = start + 1; t < start + window; t++)
      path += Math.abs((x[t] as number) - (x[t - 1] as number));
    const k = window - 1;
    const net = (x[start + window - 1] as number) - (x[start] as number);
    const er = path === 0 ? 0 : Math.abs(net) / path;
    // Two passes (the mean change is net / k): one-pass sums cancel badly when changes are nearly equal.
    let ss = 0;
    for (let t = start + 1; t < start + window; t++) {
      ss += ((x[t] as number) - (x[t - 1] as number) - net / k) ** 2;
    }
    const vol = Math.sqrt(ss / (k - 1));
    raw.push({ start, er, vol, slope: linearFit(x.slice(start, start + window)).slope });
  }

  const vols = raw.map((w) => w.vol).sort((a, b) => a - b);
  const median =
    vols.length % 2 === 1
      ? (vols[vols.length >> 1] as number)
      : ((vols[vols.length / 2 - 1] as number) + (vols[vols.length / 2] as number)) / 2;
  // The mean stands in when more than half the windows are flat, so the ratio stays finite (JSON-safe).
  const reference = median > 0 ? median : vols.reduce((a, b) => a + b, 0) / vols.length;
  const counts: Record<Regime, number> = { trending: 0, ranging: 0, volatile: 0 };
  const windows = raw.map((w): RegimeWindow => {
    // Mid-rank percentile: ties share a rank, and one window alone sits at 0.5, never "top".
    let below = 0;
    let equal = 0;
    for (const v of vols) {
      if (v < w.vol) below++;
      else if (v === w.vol) equal++;
    }
    const percentile = vols.length === 1 ? 0.5 : (below + (equal - 1) / 2) / (vols.length - 1);
    const ratio = reference > 0 ? w.vol / reference : 0;
    let regime: Regime;
    let reason: string;
    if (percentile >= volatilePercentile && ratio >= volatilityRatio) {
      regime = 'volatile';
      reason = `volatility ${r3(w.vol)} is ${r3(ratio)}x the median window (>= ${volatilityRatio}) at percentile ${r3(percentile)} (>= ${volatilePercentile})`;
    } else if (w.er >= trendThreshold) {
      regime = 'trending';
      reason = `efficiency ratio ${r3(w.er)} >= ${trendThreshold}: the net move is ${r3(w.er * 100)} % of the path travelled`;
    } else {
      regime = 'ranging';
      reason = `efficiency ratio ${r3(w.er)} < ${trendThreshold} and volatility not exceptional (${r3(ratio)}x the median window)`;
    }
    counts[regime]++;
    const direction = w.slope > 0 ? 'up' : w.slope < 0 ? 'down' : 'flat';
    return {
      start: w.start,
      end: w.start + window,
      regime,
      direction,
      efficiencyRatio: w.er,
      volatility: w.vol,
      volatilityPercentile: percentile,
      volatilityRatio: ratio,
      slope: w.slope,
      reason,
    };
  });
  return {
    windows,
    counts,
    thresholds: { window, step, trendThreshold, volatilePercentile, volatilityRatio, changes },
  };
}
