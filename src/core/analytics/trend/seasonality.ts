/**
 * Seasonality detection: which periods a series repeats with, and how strongly.
 *
 * Candidates are the local peaks of the autocorrelation (the forecast module's `acf`) of the linearly
 * detrended series that pass M4's seasonality test (the same limit as the forecast module's
 * `seasonalityTest`, Bartlett's 90 % limit, evaluated on the ACF computed once). Each candidate gets a classical additive decomposition (the forecast module's `decompose`)
 * and two measures on the detrended part, seasonal + remainder:
 * - strength F_S = max(0, 1 − Var(R) / Var(S + R)) (Wang, Smith & Hyndman 2006; Hyndman & Athanasopoulos,
 *   FPP3 §4.3): 0 = no season, 1 = all of the detrended variation is seasonal;
 * - a one-way ANOVA F test of "the cycle positions have equal means", Bonferroni-corrected over every lag
 *   examined (the candidates are the lags that look most seasonal, so correcting over the peaks alone is
 *   not enough), and the ANOVA's adjusted R², because F_S alone rises by chance to about m/n for a long
 *   period m on white noise. Decisions (threshold, harmonics) use the adjusted strength.
 */
import { acf, decompose } from '../forecast/seasonality.ts';
import { incompleteBeta } from '../stats/distributions.ts';
import { checkSeries } from './validate.ts';

/** One candidate period. */
export interface SeasonalCandidate {
  readonly period: number;
  /** Autocorrelation of the detrended series at this lag. */
  readonly acf: number;
  /** F_S in [0, 1]. */
  readonly strength: number;
  /** F_S corrected for the m − 1 parameters of the seasonal figure (adjusted R² of the ANOVA), in [0, 1]. */
  readonly adjustedStrength: number;
  /** ANOVA p-value of the seasonal figure, Bonferroni-corrected over the lags examined. */
  readonly pValue: number;
  /** Seasonal figure per cycle position (position 0 = the first observation's), mean 0. */
  readonly figure: readonly number[];
  /** Set when this period is a multiple of the detected period (its peak is an echo of that one). */
  readonly multipleOf?: number;
}

/** Result of {@link detectSeasonality}. */
export interface SeasonalityResult {
  /** Detected period, or undefined when no candidate is both significant and strong enough. */
  readonly period: number | undefined;
  /** F_S of the detected period (0 without one). */
  readonly strength: number;
  /** Adjusted strength of the detected period (0 without one). */
  readonly adjustedStrength: number;
  /** Trend strength F_T = max(0, 1 − Var(R) / Var(T + R)) under the detected (or no) season. */
  readonly trendStrength: number;
  /** Every candidate (significant ACF peak), strongest (adjusted) first. */
  readonly candidates: readonly SeasonalCandidate[];
}

/** Options of {@link detectSeasonality}. */
export interface SeasonalityOptions {
  /** Longest period considered; at most n/3 (three cycles). @default floor(n / 3) */
  readonly maxPeriod?: number;
  /** Shortest period considered. @default 2 */
  readonly minPeriod?: number;
  /** Smallest adjusted strength that counts as seasonal. @default 0.3 */
  readonly minStrength?: number;
  /** Significance of the ANOVA test after the Bonferroni correction. @default 0.01 */
  readonly alpha?: number;
  /** A divisor of the strongest period wins if its strength is at least this share of the best. @default 0.9 */
  readonly harmonicRatio?: number;
}

function variance(x: readonly number[]): number {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  return s / x.length;
}

function linearResiduals(y: readonly number[]): number[] {
  const n = y.length;
  const xm = (n - 1) / 2;
  let ym = 0;
  for (const v of y) ym += v;
  ym /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (i - xm) * (i - xm);
    sxy += (i - xm) * ((y[i] as number) - ym);
  }
  const b = sxy / sxx;
  return y.map((v, i) => v - ym - b * (i - xm));
}

/** P(F > f) for the F distribution with (d1, d2) degrees of freedom. */
function fTail(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

function measure(
  y: readonly number[],
  m: number,
): {
  strength: number;
  adjustedStrength: number;
  trendStrength: number;
  f: number;
  d1: number;
  d2: number;
  figure: number[];
} {
  const { trend, seasonal, figure } = decompose(y, m, 'additive');
  const detrended: number[] = [];
  const remainder: number[] = [];
  const trendPlusRemainder: number[] = [];
  const sums = new Array<number>(m).fill(0);
  const counts = new Array<number>(m).fill(0);
  for (let t = 0; t < y.length; t++) {
    const tr = trend[t] as number;
    if (Number.isNaN(tr)) continue;
    const d = (y[t] as number) - tr;
    const r = d - (seasonal[t] as number);
    detrended.push(d);
    remainder.push(r);
    trendPlusRemainder.push(tr + r);
    sums[t % m] = (sums[t % m] as number) + d;
    counts[t % m] = (counts[t % m] as number) + 1;
  }
  const vr = variance(remainder);
  const vsr = variance(detrended);
  const vtr = variance(trendPlusRemainder);
  // One-way ANOVA of the detrended values grouped by cycle position.
  let grand = 0;
  for (const v of detrended) grand += v;
  grand /= detrended.length;
  let between = 0;
  for (let p = 0; p < m; p++) {
    const c = counts[p] as number;
    if (c > 0) between += c * ((sums[p] as number) / c - grand) ** 2;
  }
  let within = 0;
  let idx = 0;
  for (let t = 0; t < y.length; t++) {
    if (Number.isNaN(trend[t] as number)) continue;
    const c = counts[t % m] as number;
    within += ((detrended[idx] as number) - (sums[t % m] as number) / c) ** 2;
    idx++;
  }
  const d1 = m - 1;
  const d2 = detrended.length - m;
  const f = within === 0 ? (between > 0 ? Number.POSITIVE_INFINITY : 0) : between / d1 / (within / d2);
  const sst = between + within;
  return {
    strength: vsr === 0 ? 0 : Math.max(0, 1 - vr / vsr),
    adjustedStrength: sst === 0 ? 0 : Math.max(0, 1 - within / d2 / (sst / (detrended.length - 1))),
    trendStrength: vtr === 0 ? 0 : Math.max(0, 1 - vr / vtr),
    f,
    d1,
    d2,
    figure,
  };
}

/**
 * Finds the seasonal periods of a regularly spaced series and measures their strength.
 *
 * @example
 * const y = Array.from({ length: 240 }, (_, i) => 10 + Math.sin((2 * Math.PI * i) / 24) + 0.1 * noise());
 * detectSeasonality(y, { maxPeriod: 60 }).period; // 24
 */
export function detectSeasonality(
  values: readonly number[],
  options: SeasonalityOptions = {},
): SeasonalityResult {
  checkSeries('values', values, 6);
  const n = values.length;
  const minPeriod = options.minPeriod ?? 2;
  const maxPeriod = options.maxPeriod ?? Math.floor(n / 3);
  if (!Number.isInteger(minPeriod) || minPeriod < 2)
    throw new RangeError(`minPeriod must be an integer >= 2, got ${String(minPeriod)}`);
  if (!Number.isInteger(maxPeriod) || maxPeriod < minPeriod)
    throw new RangeError(
      `maxPeriod must be an integer >= minPeriod (${minPeriod}), got ${String(maxPeriod)}`,
    );
  if (maxPeriod > Math.floor(n / 3))
    throw new RangeError(
      `maxPeriod must be at most n/3 = ${Math.floor(n / 3)} (three cycles of data), got ${maxPeriod}`,
    );
  const minStrength = options.minStrength ?? 0.3;
  const alpha = options.alpha ?? 0.01;
  const harmonicRatio = options.harmonicRatio ?? 0.9;
  if (!(minStrength >= 0 && minStrength <= 1))
    throw new RangeError(`minStrength must be in [0, 1], got ${String(minStrength)}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${String(alpha)}`);
  if (!(harmonicRatio > 0 && harmonicRatio <= 1))
    throw new RangeError(`harmonicRatio must be in (0, 1], got ${String(harmonicRatio)}`);

  const resid = linearResiduals(values);
  const r = acf(resid, Math.min(maxPeriod + 1, n - 1));
  const at = (lag: number): number => (lag >= 1 && lag <= r.length ? (r[lag - 1] as number) : Number.NaN);
  // squares[k] = Σ_{j=1..k} acf_j², for Bartlett's limit at lag k + 1.
  const squares = new Float64Array(r.length + 1);
  for (let k = 1; k <= r.length; k++) squares[k] = (squares[k - 1] as number) + (r[k - 1] as number) ** 2;
  const peaks: number[] = [];
  for (let lag = minPeriod; lag <= maxPeriod; lag++) {
    const a = at(lag);
    if (!(a > 0)) continue;
    const before = at(lag - 1);
    const after = at(lag + 1);
    if (!(Number.isNaN(before) || a > before) || !(Number.isNaN(after) || a >= after)) continue;
    // M4's test (forecast's seasonalityTest, Bartlett's 90 % limit) from the ACF already in hand: calling
    // seasonalityTest per lag would recompute the ACF, O(n·m) per candidate.
    const limit = (1.645 / Math.sqrt(n)) * Math.sqrt(1 + 2 * (squares[lag - 1] as number));
    if (!(Math.abs(a) > limit)) continue;
    peaks.push(lag);
  }
  const tested = peaks.map((m) => {
    const s = measure(values, m);
    const p = Math.min(1, fTail(s.f, s.d1, s.d2) * (maxPeriod - minPeriod + 1));
    return {
      period: m,
      acf: at(m),
      strength: s.strength,
      adjustedStrength: s.adjustedStrength,
      pValue: p,
      figure: s.figure,
    };
  });
  const accepted = tested.filter((c) => c.pValue < alpha && c.adjustedStrength >= minStrength);
  let period: number | undefined;
  let strength = 0;
  let adjustedStrength = 0;
  if (accepted.length > 0) {
    const best = accepted.reduce((a, b) => (b.adjustedStrength > a.adjustedStrength ? b : a));
    const divisor = accepted
      .filter(
        (c) => best.period % c.period === 0 && c.adjustedStrength >= harmonicRatio * best.adjustedStrength,
      )
      .sort((a, b) => a.period - b.period)[0];
    const chosen = divisor ?? best;
    period = chosen.period;
    strength = chosen.strength;
    adjustedStrength = chosen.adjustedStrength;
  }
  const candidates = tested
    .map(
      (c): SeasonalCandidate =>
        period !== undefined && c.period !== period && c.period % period === 0
          ? { ...c, multipleOf: period }
          : c,
    )
    .sort((a, b) => b.adjustedStrength - a.adjustedStrength);
  let trendStrength: number;
  if (period !== undefined) trendStrength = measure(values, period).trendStrength;
  else {
    // Without a season: F_T of a linear trend, Var(R) / Var(T + R) with T the fitted line.
    const vr = variance(resid);
    const vy = variance(values);
    trendStrength = vy === 0 ? 0 : Math.max(0, 1 - vr / vy);
  }
  return { period, strength, adjustedStrength, trendStrength, candidates };
}
