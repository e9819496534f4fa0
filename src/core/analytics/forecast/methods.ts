/**
 * The forecasting methods of the M4 benchmark set (Naive, sNaive, Naive2, SES, Holt, Damped, Theta, Comb) as
 * M4's "Benchmarks and Evaluation.R" defines them, plus automatic ETS and combinations, all with prediction
 * intervals. Each method has the signature of {@link Forecaster}.
 */
import { autoEts, type EtsFit, type EtsSpec, fitEts, forecastEts } from './ets.ts';
import { mase, smape } from './metrics.ts';
import { type SeasonalAdjustment, seasonalAdjustment } from './seasonality.ts';
import { linearFit, zForLevel } from './stats.ts';

/** Options every forecaster takes. */
export interface ForecastOptions {
  /** Seasonal period (24 for hourly data with a daily cycle, 1 for none). @default 1 */
  readonly season?: number;
  /** Central prediction-interval levels in percent. @default [80, 95] */
  readonly level?: readonly number[];
  /**
   * Further seasonal periods (e.g. 168 for the weekly cycle of hourly data) that the `auto` method may use
   * as multiplicative adjustments. @default none
   */
  readonly seasons?: readonly number[];
}

/** Point forecasts, interval bounds keyed by level (percent), and the model that produced them. */
export interface ForecastResult {
  readonly mean: number[];
  readonly lower: Record<number, number[]>;
  readonly upper: Record<number, number[]>;
  readonly model: string;
}

/** A forecasting method; arguments are validated by the caller ({@link forecast} in index.ts). */
export type Forecaster = (
  y: readonly number[],
  horizon: number,
  season: number,
  levels: readonly number[],
  extraSeasons?: readonly number[],
) => ForecastResult;

/** Normal intervals around `mean` with standard deviation sd[k]. */
function normalBands(
  meanF: readonly number[],
  sd: readonly number[],
  levels: readonly number[],
): Pick<ForecastResult, 'lower' | 'upper'> {
  const lower: Record<number, number[]> = {};
  const upper: Record<number, number[]> = {};
  for (const level of levels) {
    const z = zForLevel(level);
    lower[level] = meanF.map((v, i) => v - z * (sd[i] as number));
    upper[level] = meanF.map((v, i) => v + z * (sd[i] as number));
  }
  return { lower, upper };
}

/** Root mean square of lag-`lag` differences: the one-step residual scale of a (seasonal) random walk. */
function walkSigma(y: readonly number[], lag: number): number {
  let s = 0;
  let c = 0;
  for (let t = lag; t < y.length; t++) {
    s += ((y[t] as number) - (y[t - lag] as number)) ** 2;
    c++;
  }
  return c > 0 ? Math.sqrt(s / c) : 0;
}

/** Random walk: the last value, intervals sigma * sqrt(k). */
export const naive: Forecaster = (y, h, _season, levels) => {
  const last = y[y.length - 1] as number;
  const meanF = new Array<number>(h).fill(last);
  const sigma = walkSigma(y, 1);
  const sd = meanF.map((_, i) => sigma * Math.sqrt(i + 1));
  return { mean: meanF, ...normalBands(meanF, sd, levels), model: 'Naive' };
};

/** Seasonal random walk: the last cycle repeated (naive when season = 1 or the series is shorter than a cycle). */
export const seasonalNaive: Forecaster = (y, h, season, levels) => {
  const n = y.length;
  if (season <= 1 || n < season) return { ...naive(y, h, 1, levels), model: 'sNaive' };
  const meanF = Array.from({ length: h }, (_, i) => y[n - season + (i % season)] as number);
  const sigma = walkSigma(y, season);
  const sd = meanF.map((_, i) => sigma * Math.sqrt(Math.floor(i / season) + 1));
  return { mean: meanF, ...normalBands(meanF, sd, levels), model: 'sNaive' };
};

/** Runs `inner` on the M4-seasonally-adjusted series and re-seasonalises its output (bounds included). */
export function onAdjusted(
  y: readonly number[],
  _h: number,
  season: number,
  levels: readonly number[],
  inner: (x: readonly number[]) => ForecastResult,
  adjustment?: SeasonalAdjustment,
): ForecastResult {
  const adj = adjustment ?? seasonalAdjustment(y, season);
  const r = inner(adj.adjusted);
  if (!adj.seasonal) return r;
  const back = (xs: readonly number[]): number[] => xs.map((v, i) => adj.restore(v, i + 1));
  const lower: Record<number, number[]> = {};
  const upper: Record<number, number[]> = {};
  for (const level of levels) {
    lower[level] = back(r.lower[level] ?? []);
    upper[level] = back(r.upper[level] ?? []);
  }
  return { mean: back(r.mean), lower, upper, model: `${r.model}+season(${season},${adj.type})` };
}

/** M4's Naive2: naive on the classically (multiplicatively) deseasonalised series when the 90 % ACF test says seasonal. */
export const naive2: Forecaster = (y, h, season, levels) =>
  renamed(
    onAdjusted(y, h, season, levels, (x) => naive(x, h, 1, levels)),
    'Naive2',
  );

function renamed(r: ForecastResult, model: string): ForecastResult {
  return { ...r, model: r.model.replace(/^[^+]*/, model) };
}

function etsResult(fit: EtsFit, h: number, levels: readonly number[]): ForecastResult {
  const f = forecastEts(fit, h, levels);
  return { ...f, model: fit.name };
}

function fixedEts(spec: Omit<EtsSpec, 'm'>, label: string): Forecaster {
  return (y, h, season, levels) =>
    renamed(
      onAdjusted(y, h, season, levels, (x) => etsResult(fitEts(x, { ...spec, m: 1 }), h, levels)),
      label,
    );
}

/** M4's SES: ETS(A,N,N) on the deseasonalised series. */
export const ses: Forecaster = fixedEts({ error: 'A', trend: 'N', season: 'N' }, 'SES');
/** M4's Holt: ETS(A,A,N) on the deseasonalised series. */
export const holt: Forecaster = fixedEts({ error: 'A', trend: 'A', season: 'N' }, 'Holt');
/** M4's Damped: ETS(A,Ad,N) on the deseasonalised series. */
export const damped: Forecaster = fixedEts({ error: 'A', trend: 'Ad', season: 'N' }, 'Damped');

/**
 * Classic Theta (Assimakopoulos & Nikolopoulos 2000) as M4's Theta.classic: the mean of the linear trend line
 * and SES on the theta=2 line; negative forecasts become 0. Intervals: SES-with-drift variance
 * sigma^2 (1 + alpha^2 (k-1)) (Hyndman & Billah 2003) with sigma from the in-sample one-step residuals.
 */
export function thetaClassic(x: readonly number[], h: number, levels: readonly number[]): ForecastResult {
  const n = x.length;
  const line = linearFit(x);
  const line0In = x.map((_, t) => line.intercept + line.slope * (t + 1));
  const thetaLine = x.map((v, t) => 2 * v - (line0In[t] as number));
  const fit = fitEts(thetaLine, { error: 'A', trend: 'N', season: 'N', m: 1 });
  const sesMean = forecastEts(fit, h, []).mean;
  const meanF = sesMean.map((v, i) =>
    Math.max(0, 0.5 * v + 0.5 * (line.intercept + line.slope * (n + i + 1))),
  );
  let sse = 0;
  for (let t = 0; t < n; t++) {
    const f = 0.5 * (fit.fitted[t] as number) + 0.5 * (line0In[t] as number);
    sse += ((x[t] as number) - f) ** 2;
  }
  const sigma = Math.sqrt(sse / Math.max(1, n - 3));
  const sd = meanF.map((_, i) => sigma * Math.sqrt(1 + fit.alpha * fit.alpha * i));
  return { mean: meanF, ...normalBands(meanF, sd, levels), model: 'Theta' };
}

/** M4's Theta: classic Theta on the deseasonalised series. */
export const theta: Forecaster = (y, h, season, levels) =>
  onAdjusted(y, h, season, levels, (x) => thetaClassic(x, h, levels));

/**
 * Mean of several forecasts; interval bounds are the means of the members' bounds (quantile averaging, which
 * Lichtendahl, Grushka-Cockayne & Winkler 2013 show is well calibrated when members are).
 */
export function combine(
  results: readonly ForecastResult[],
  levels: readonly number[],
  model: string,
): ForecastResult {
  const h = (results[0] as ForecastResult).mean.length;
  const avg = (pick: (r: ForecastResult) => readonly number[] | undefined): number[] =>
    Array.from({ length: h }, (_, i) => {
      let s = 0;
      for (const r of results) s += (pick(r) as readonly number[])[i] as number;
      return s / results.length;
    });
  const lower: Record<number, number[]> = {};
  const upper: Record<number, number[]> = {};
  for (const level of levels) {
    lower[level] = avg((r) => r.lower[level]);
    upper[level] = avg((r) => r.upper[level]);
  }
  return { mean: avg((r) => r.mean), lower, upper, model };
}

/** M4's Comb benchmark: the mean of SES, Holt and Damped. */
export const comb: Forecaster = (y, h, season, levels) => {
  const adj = seasonalAdjustment(y, season);
  const parts = [ses, holt, damped].map((f) => f(y, h, season, levels));
  return combine(parts, levels, `Comb(SES,Holt,Damped)${adj.seasonal ? `+season(${season})` : ''}`);
};

/** Mean of SES, Damped and Theta (the combination the peers measured). */
export const combSdt: Forecaster = (y, h, season, levels) =>
  combine(
    [ses, damped, theta].map((f) => f(y, h, season, levels)),
    levels,
    'Comb(SES,Damped,Theta)',
  );

/** Automatic ETS on the raw series: every admissible (error, trend, season) variant, chosen by AICc. */
export const ets: Forecaster = (y, h, season, levels) => etsResult(autoEts(y, season), h, levels);

/** Automatic ETS restricted to no-trend variants when seasonal (trended seasonal fits over-react on long hourly series). */
function etsNoTrendSeasonal(
  y: readonly number[],
  h: number,
  season: number,
  levels: readonly number[],
): ForecastResult {
  const fit = season > 1 ? autoEts(y, season, { trends: ['N'] }) : autoEts(y, 1);
  return etsResult(fit, h, levels);
}

/** `inner` on the series adjusted by a multiplicative decomposition at `period` (no test: the caller asked for it). */
function onPeriod(
  y: readonly number[],
  h: number,
  period: number,
  levels: readonly number[],
  inner: (x: readonly number[]) => ForecastResult,
): ForecastResult {
  const adj = seasonalAdjustment(y, period, { force: true });
  return onAdjusted(y, h, period, levels, inner, adj);
}

/** The candidate methods of {@link auto} for a season and optional extra periods. */
function candidates(season: number, extra: readonly number[], n: number): [string, Forecaster][] {
  const out: [string, Forecaster][] = [
    ['Naive', naive],
    ['SES', ses],
    ['Damped', damped],
    ['Theta', theta],
    ['ETS', (y, h, _s, lv) => etsNoTrendSeasonal(y, h, season, lv)],
  ];
  if (season > 1) out.push(['sNaive', seasonalNaive]);
  for (const p of extra) {
    if (p <= 1 || n < 2 * p) continue;
    out.push([`sNaive(${p})`, (y, h, _s, lv) => seasonalNaive(y, h, p, lv)]);
    out.push([`SES/season(${p})`, (y, h, _s, lv) => onPeriod(y, h, p, lv, (x) => ses(x, h, 1, lv))]);
    if (season > 1 && p % season === 0) {
      out.push([
        `ETS/season(${p})`,
        (y, h, _s, lv) => onPeriod(y, h, p, lv, (x) => etsNoTrendSeasonal(x, h, season, lv)),
      ]);
    }
  }
  return out;
}

/**
 * Per-series model selection on a holdout: every candidate forecasts the last `horizon` observations from the
 * rest, is scored by its own OWA (sMAPE and MASE relative to Naive2 on that holdout, M4's criterion), and the
 * winner is refitted on the whole series. Candidates: Naive, SES, Damped, Theta, ETS (AICc), sNaive, and for
 * each extra period p: sNaive(p), SES and ETS on the series adjusted at p. Too short a series gets ETS.
 */
export const auto: Forecaster = (y, h, season, levels, extraSeasons = []) => {
  const n = y.length;
  const cands = candidates(season, extraSeasons, n - h);
  const longest = Math.max(season, ...extraSeasons.filter((p) => n - h >= 2 * p));
  if (n - h < Math.max(2 * longest + 1, 10)) return ets(y, h, season, levels);
  const fit = y.slice(0, n - h);
  const hold = y.slice(n - h);
  const ref = naive2(fit, h, season, []).mean;
  const refS = smape(hold, ref);
  const refM = mase(fit, hold, ref, season);
  let best: [string, Forecaster] = cands[0] as [string, Forecaster];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of cands) {
    const f = c[1](fit, h, season, []).mean;
    const score = (refS > 0 ? smape(hold, f) / refS : 0) + (refM > 0 ? mase(fit, hold, f, season) / refM : 0);
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  const r = best[1](y, h, season, levels);
  return { ...r, model: `auto:${best[0]}=${r.model}` };
};
