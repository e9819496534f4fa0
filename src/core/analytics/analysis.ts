/**
 * On-demand analyses over stored series (`POST /v1/analyses`): the request's validation and the analysis
 * itself, pure. The handler reads the series through the time-series port and stores the result.
 *
 * Kinds so far: `anomaly` (a causal detector over each matching series, anomalies with a score and an
 * explanation) and `forecast` (point forecasts with prediction intervals). The series an analysis sees is
 * the per-step average of the stored points (the `step` of the request).
 */

import { ACCOUNT_TYPES, type AccountType } from '../events/constants.ts';
import type { ValidationIssue, WeekData } from '../events/index.ts';
import type { AggregatePoint, SeriesResult } from '../ports.ts';
import {
  COMPONENT_SELECTOR,
  METRIC_SELECTOR,
  mergePartials,
  type PartialAggregate,
  parseDuration,
  parseInstant,
} from '../series/index.ts';
import { createDetector, detectorNames } from './anomaly/index.ts';
import { detectChangePoints } from './changepoint/index.ts';
import { forecast, type MethodName, methodNames } from './forecast/index.ts';
import { classifyRegimes, laggedCrossCorrelation, matrixProfile, type Regime } from './patterns/index.ts';
import {
  type AttributionResult,
  type BaselZone,
  backtestVaR,
  drawdowns,
  ewmaVolatility,
  historicalCVaR,
  historicalVaR,
  parametricCVaR,
  parametricVaR,
  rollingVaR,
  type VarBacktest,
  type VarForecasts,
  type VarMethod,
  type WeekRecord,
  weekRecordFromEvent,
  weekTypeAttribution,
} from './risk/index.ts';
import { StreamingStats } from './stats/index.ts';
import { detectSeasonality, linearTrend, mannKendall } from './trend/index.ts';

/** An account id as week events carry it (schemas.ts: 1-64 of A-Z a-z 0-9 . _ : -). */
const ACCOUNT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export const ANALYSIS_KINDS = [
  'anomaly',
  'forecast',
  'regimes',
  'risk',
  'stats',
  'trend',
  'seasonality',
  'changepoints',
  'motifs',
  'correlation',
  'attribution',
] as const;
export type AnalysisKind = (typeof ANALYSIS_KINDS)[number];

/** Bounds of one request: they keep an analysis inside one API call's time and memory. */
export const ANALYSIS_LIMITS = {
  /** Steps of the requested range (= points per series the analysis sees). */
  maxPoints: 100_000,
  maxSeries: 50,
  maxHorizon: 1_000,
  /** Points a forecast needs at least. */
  minForecastPoints: 4,
  /** Steps of a motifs analysis: the exact matrix profile is O(n²) (~1 s at 10,000 points). */
  maxMotifPoints: 20_000,
  /** Week records an attribution reads (about 100 accounts over four years). */
  maxWeeks: 20_000,
} as const;

export interface AnomalyParams {
  /** A detector preset name (see `detectorNames()`); default `ensemble`. */
  readonly detector: string;
  /** Scores at or above this are reported as anomalies; default 0.5. */
  readonly threshold: number;
}

export interface ForecastParams {
  readonly horizon: number;
  readonly method: MethodName;
  readonly season: number;
  readonly levels: readonly number[];
}

export interface RegimeParams {
  /** Points per window; default 20. */
  readonly window: number;
  /** Efficiency ratio at or above which a window is trending; default 0.3. */
  readonly trendThreshold: number;
  /** Volatility against the median window's above which a window is volatile; default 1.5. */
  readonly volatilityRatio: number;
}

export interface RiskParams {
  /** How to read the series: an equity curve (default) or per-step returns (fractions). */
  readonly input: 'equity' | 'returns';
  /** VaR/CVaR confidence levels; default [0.95, 0.99]. */
  readonly levels: readonly number[];
  /** RiskMetrics decay of the EWMA volatility; default 0.94. */
  readonly lambda: number;
  /** A drawdown limit (fraction); a series past it raises RiskLimitBreached. */
  readonly maxDrawdown?: number;
  /** Returns each rolling VaR forecast is made from (filtered historical, and the backtests); default 250. */
  readonly window: number;
}

export interface StatsParams {
  readonly quantiles: readonly number[];
}

export interface TrendParams {
  readonly level: number;
}

export interface SeasonalityParams {
  readonly maxPeriod?: number;
  readonly minStrength: number;
}

export interface MotifParams {
  /** Subsequence length in steps. */
  readonly m: number;
  /** How many motifs and discords to return. */
  readonly k: number;
}

export interface CorrelationParams {
  /** The second series: the first series matching this selector is compared with each of the request's. */
  readonly with: { readonly metric: string; readonly component?: string };
  /** Largest lag, in steps, tried each way. */
  readonly maxLag: number;
  /** Compare step-to-step changes instead of levels (default true: levels of trending series correlate spuriously). */
  readonly difference: boolean;
}

export interface ChangePointParams {
  readonly method: 'auto' | 'pelt' | 'binseg';
  readonly cost: 'meanvar' | 'mean';
  readonly penalty: 'mbic' | 'bic' | 'aic' | number;
}

/** ALL-USE week-type attribution over the stored `week` records whose event time is in the range. */
export interface AttributionParams {
  /** Only this account type (GEN, REV, COM); default all. */
  readonly account?: AccountType;
  /** Only this account. */
  readonly accountId?: string;
  /** Weeks an account type needs before missing its weekly target is a breach; default 4. */
  readonly minWeeksForTarget: number;
  /** Share of the drawdown limit from which an account's status is `warning`; default 0.8. */
  readonly warningFraction: number;
}

export type AnalysisRequest = {
  readonly metric: string;
  readonly component?: string;
  readonly from: number;
  readonly to: number;
  readonly stepMs: number;
} & (
  | { readonly kind: 'anomaly'; readonly params: AnomalyParams }
  | { readonly kind: 'forecast'; readonly params: ForecastParams }
  | { readonly kind: 'regimes'; readonly params: RegimeParams }
  | { readonly kind: 'risk'; readonly params: RiskParams }
  | { readonly kind: 'stats'; readonly params: StatsParams }
  | { readonly kind: 'trend'; readonly params: TrendParams }
  | { readonly kind: 'seasonality'; readonly params: SeasonalityParams }
  | { readonly kind: 'changepoints'; readonly params: ChangePointParams }
  | { readonly kind: 'motifs'; readonly params: MotifParams }
  | { readonly kind: 'correlation'; readonly params: CorrelationParams }
  | { readonly kind: 'attribution'; readonly params: AttributionParams }
);

function unknownParams(
  params: Record<string, unknown>,
  allowed: readonly string[],
  kind: string,
  errors: ValidationIssue[],
): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key))
      errors.push({
        path: `params.${key}`,
        rule: 'unknown_key',
        message: `${kind} params are: ${allowed.join(', ')}`,
      });
  }
}

function parseTime(value: unknown, path: string, errors: ValidationIssue[]): number | undefined {
  const ms = parseInstant(value);
  if (ms !== undefined) return ms;
  errors.push({ path, rule: 'time', message: 'must be epoch milliseconds or ISO-8601 with a timezone' });
  return undefined;
}

function parseStep(value: unknown, errors: ValidationIssue[]): number | undefined {
  if (value === undefined) return 60_000;
  const ms = typeof value === 'string' ? parseDuration(value) : value;
  if (typeof ms === 'number' && Number.isSafeInteger(ms) && ms > 0) return ms;
  errors.push({
    path: 'step',
    rule: 'duration',
    message: 'must be a positive duration such as 30s, 5m, 1h, or milliseconds',
  });
  return undefined;
}

function numberIn(
  value: unknown,
  path: string,
  lo: number,
  hi: number,
  fallback: number,
  errors: ValidationIssue[],
  integer = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    errors.push({ path, rule: 'type', message: `must be ${integer ? 'an integer' : 'a finite number'}` });
    return fallback;
  }
  if (value < lo || value > hi)
    errors.push({ path, rule: 'range', message: `must be between ${lo} and ${hi}` });
  return value;
}

/**
 * Validates a `POST /v1/analyses` body and reports every problem at once, each with its path and rule.
 *
 * @example
 * parseAnalysisRequest({ kind: 'anomaly', metric: 'latency_ms', from: '2026-11-24T00:00:00Z', to: '2026-11-24T06:00:00Z', step: '1m' })
 */
export function parseAnalysisRequest(
  body: unknown,
  now: number = Date.now(),
): { ok: true; request: AnalysisRequest } | { ok: false; errors: ValidationIssue[] } {
  const errors: ValidationIssue[] = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      errors: [{ path: '(root)', rule: 'type', message: 'the body must be a JSON object' }],
    };
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!['kind', 'metric', 'component', 'from', 'to', 'step', 'params'].includes(key)) {
      errors.push({ path: key, rule: 'unknown_key', message: 'is not a field of an analysis request' });
    }
  }
  const kind = b.kind;
  if (kind === undefined)
    errors.push({
      path: 'kind',
      rule: 'required',
      message: `is required (one of: ${ANALYSIS_KINDS.join(', ')})`,
    });
  else if (!ANALYSIS_KINDS.includes(kind as AnalysisKind)) {
    errors.push({ path: 'kind', rule: 'enum', message: `must be one of: ${ANALYSIS_KINDS.join(', ')}` });
  }
  if (kind === 'attribution') {
    // It reads week records, not a series: the selector fields have nothing to select.
    if (b.metric !== undefined && b.metric !== 'week')
      errors.push({
        path: 'metric',
        rule: 'enum',
        message: "an attribution reads week records: omit it or give 'week'",
      });
    if (b.component !== undefined)
      errors.push({
        path: 'component',
        rule: 'unknown_key',
        message: 'an attribution selects accounts with params.account / params.accountId',
      });
  } else if (b.metric === undefined)
    errors.push({ path: 'metric', rule: 'required', message: 'is required' });
  else if (typeof b.metric !== 'string' || !METRIC_SELECTOR.test(b.metric)) {
    errors.push({ path: 'metric', rule: 'pattern', message: 'must match [a-z][a-z0-9_.]{0,63}' });
  }
  if (
    b.component !== undefined &&
    (typeof b.component !== 'string' || !COMPONENT_SELECTOR.test(b.component))
  ) {
    errors.push({ path: 'component', rule: 'pattern', message: 'must match [a-z0-9][a-z0-9._:/-]{0,63}' });
  }
  const to = b.to === undefined ? now : parseTime(b.to, 'to', errors);
  // Week records come once a week: an attribution looks back 12 weeks by default, the others a day.
  const lookback = kind === 'attribution' ? 84 * 86_400_000 : 24 * 3_600_000;
  const from = b.from === undefined ? (to ?? now) - lookback : parseTime(b.from, 'from', errors);
  const stepMs = parseStep(b.step, errors);
  if (from !== undefined && to !== undefined && stepMs !== undefined) {
    if (from >= to)
      errors.push({ path: 'from', rule: 'range', message: 'must be before to (the range is empty)' });
    else if (kind !== 'attribution' && Math.ceil((to - from) / stepMs) > ANALYSIS_LIMITS.maxPoints) {
      errors.push({
        path: 'step',
        rule: 'max_points',
        message: `the range holds ${Math.ceil((to - from) / stepMs)} steps; at most ${ANALYSIS_LIMITS.maxPoints}: use a larger step or a shorter range`,
      });
    }
  }
  const p = b.params ?? {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) {
    errors.push({ path: 'params', rule: 'type', message: 'must be an object' });
  }
  const params = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
  let parsed: AnalysisRequest['params'] | undefined;
  if (kind === 'anomaly') {
    const allowed = ['detector', 'threshold'];
    for (const key of Object.keys(params)) {
      if (!allowed.includes(key))
        errors.push({
          path: `params.${key}`,
          rule: 'unknown_key',
          message: `anomaly params are: ${allowed.join(', ')}`,
        });
    }
    const detector = params.detector ?? 'ensemble';
    if (typeof detector !== 'string' || !detectorNames().includes(detector)) {
      errors.push({
        path: 'params.detector',
        rule: 'enum',
        message: `must be one of: ${detectorNames().join(', ')}`,
      });
    }
    const threshold = numberIn(params.threshold, 'params.threshold', 0, 1, 0.5, errors);
    parsed = { detector: String(detector), threshold };
  } else if (kind === 'forecast') {
    const allowed = ['horizon', 'method', 'season', 'levels'];
    for (const key of Object.keys(params)) {
      if (!allowed.includes(key))
        errors.push({
          path: `params.${key}`,
          rule: 'unknown_key',
          message: `forecast params are: ${allowed.join(', ')}`,
        });
    }
    const method = params.method ?? 'auto';
    if (typeof method !== 'string' || !(methodNames as readonly string[]).includes(method)) {
      errors.push({
        path: 'params.method',
        rule: 'enum',
        message: `must be one of: ${methodNames.join(', ')}`,
      });
    }
    const levels = params.levels ?? [80, 95];
    if (
      !Array.isArray(levels) ||
      levels.length === 0 ||
      levels.length > 5 ||
      !levels.every((l) => typeof l === 'number' && l > 0 && l < 100)
    ) {
      errors.push({
        path: 'params.levels',
        rule: 'type',
        message: 'must be 1-5 numbers between 0 and 100 (exclusive)',
      });
    }
    parsed = {
      horizon: numberIn(params.horizon, 'params.horizon', 1, ANALYSIS_LIMITS.maxHorizon, 24, errors, true),
      method: method as MethodName,
      season: numberIn(params.season, 'params.season', 1, 10_000, 1, errors, true),
      levels: Array.isArray(levels) ? (levels as number[]) : [80, 95],
    };
  } else if (kind === 'regimes') {
    const allowed = ['window', 'trendThreshold', 'volatilityRatio'];
    for (const key of Object.keys(params)) {
      if (!allowed.includes(key))
        errors.push({
          path: `params.${key}`,
          rule: 'unknown_key',
          message: `regimes params are: ${allowed.join(', ')}`,
        });
    }
    parsed = {
      window: numberIn(params.window, 'params.window', 3, 10_000, 20, errors, true),
      trendThreshold: numberIn(params.trendThreshold, 'params.trendThreshold', 0, 1, 0.3, errors),
      volatilityRatio: numberIn(params.volatilityRatio, 'params.volatilityRatio', 1, 100, 1.5, errors),
    };
  } else if (kind === 'risk') {
    const allowed = ['input', 'levels', 'lambda', 'maxDrawdown', 'window'];
    for (const key of Object.keys(params)) {
      if (!allowed.includes(key))
        errors.push({
          path: `params.${key}`,
          rule: 'unknown_key',
          message: `risk params are: ${allowed.join(', ')}`,
        });
    }
    const input = params.input ?? 'equity';
    if (input !== 'equity' && input !== 'returns') {
      errors.push({ path: 'params.input', rule: 'enum', message: 'must be one of: equity, returns' });
    }
    const levels = params.levels ?? [0.95, 0.99];
    if (
      !Array.isArray(levels) ||
      levels.length === 0 ||
      levels.length > 5 ||
      !levels.every((l) => typeof l === 'number' && l >= 0.5 && l < 1)
    ) {
      errors.push({ path: 'params.levels', rule: 'type', message: 'must be 1-5 numbers in [0.5, 1)' });
    }
    parsed = {
      input: input as RiskParams['input'],
      levels: Array.isArray(levels) ? (levels as number[]) : [0.95, 0.99],
      lambda: numberIn(params.lambda, 'params.lambda', 0.5, 0.9999, 0.94, errors),
      window: numberIn(params.window, 'params.window', 20, 5000, 250, errors, true),
      ...(params.maxDrawdown === undefined
        ? {}
        : { maxDrawdown: numberIn(params.maxDrawdown, 'params.maxDrawdown', 0, 1, 1, errors) }),
    };
  } else if (kind === 'stats') {
    unknownParams(params, ['quantiles'], 'stats', errors);
    const quantiles = params.quantiles ?? [0.5, 0.9, 0.95, 0.99];
    if (
      !Array.isArray(quantiles) ||
      quantiles.length === 0 ||
      quantiles.length > 10 ||
      !quantiles.every((q) => typeof q === 'number' && q >= 0 && q <= 1)
    ) {
      errors.push({ path: 'params.quantiles', rule: 'type', message: 'must be 1-10 numbers in [0, 1]' });
    }
    parsed = { quantiles: Array.isArray(quantiles) ? (quantiles as number[]) : [0.5] };
  } else if (kind === 'trend') {
    unknownParams(params, ['level'], 'trend', errors);
    parsed = { level: numberIn(params.level, 'params.level', 0.5, 0.999, 0.95, errors) };
  } else if (kind === 'seasonality') {
    unknownParams(params, ['maxPeriod', 'minStrength'], 'seasonality', errors);
    parsed = {
      ...(params.maxPeriod === undefined
        ? {}
        : { maxPeriod: numberIn(params.maxPeriod, 'params.maxPeriod', 2, 1_000, 2, errors, true) }),
      minStrength: numberIn(params.minStrength, 'params.minStrength', 0, 1, 0.3, errors),
    };
  } else if (kind === 'changepoints') {
    unknownParams(params, ['method', 'cost', 'penalty'], 'changepoints', errors);
    const method = params.method ?? 'auto';
    if (!['auto', 'pelt', 'binseg'].includes(method as string)) {
      errors.push({ path: 'params.method', rule: 'enum', message: 'must be one of: auto, pelt, binseg' });
    }
    const cost = params.cost ?? 'meanvar';
    if (cost !== 'meanvar' && cost !== 'mean')
      errors.push({ path: 'params.cost', rule: 'enum', message: 'must be one of: meanvar, mean' });
    const penalty = params.penalty ?? 'mbic';
    if (
      !(
        penalty === 'mbic' ||
        penalty === 'bic' ||
        penalty === 'aic' ||
        (typeof penalty === 'number' && Number.isFinite(penalty) && penalty >= 0)
      )
    ) {
      errors.push({
        path: 'params.penalty',
        rule: 'type',
        message: 'must be mbic, bic, aic or a number >= 0',
      });
    }
    parsed = {
      method: method as ChangePointParams['method'],
      cost: cost as ChangePointParams['cost'],
      penalty: penalty as ChangePointParams['penalty'],
    };
  } else if (kind === 'motifs') {
    unknownParams(params, ['m', 'k'], 'motifs', errors);
    if (params.m === undefined) {
      errors.push({
        path: 'params.m',
        rule: 'required',
        message: 'is required: the subsequence length in steps',
      });
    }
    parsed = {
      m: numberIn(params.m, 'params.m', 4, 1_000, 4, errors, true),
      k: numberIn(params.k, 'params.k', 1, 10, 3, errors, true),
    };
    if (
      from !== undefined &&
      to !== undefined &&
      stepMs !== undefined &&
      Math.ceil((to - from) / stepMs) > ANALYSIS_LIMITS.maxMotifPoints
    ) {
      errors.push({
        path: 'step',
        rule: 'max_points',
        message: `a motifs analysis covers at most ${ANALYSIS_LIMITS.maxMotifPoints} steps: use a larger step or a shorter range`,
      });
    }
  }
  if (kind === 'attribution') {
    unknownParams(
      params,
      ['account', 'accountId', 'minWeeksForTarget', 'warningFraction'],
      'attribution',
      errors,
    );
    if (params.account !== undefined && !(ACCOUNT_TYPES as readonly unknown[]).includes(params.account))
      errors.push({
        path: 'params.account',
        rule: 'enum',
        message: `must be one of: ${ACCOUNT_TYPES.join(', ')}`,
      });
    if (
      params.accountId !== undefined &&
      (typeof params.accountId !== 'string' || !ACCOUNT_ID.test(params.accountId))
    )
      errors.push({ path: 'params.accountId', rule: 'pattern', message: `must match ${ACCOUNT_ID.source}` });
    parsed = {
      ...(params.account === undefined ? {} : { account: params.account as AccountType }),
      ...(params.accountId === undefined ? {} : { accountId: params.accountId as string }),
      minWeeksForTarget: numberIn(
        params.minWeeksForTarget,
        'params.minWeeksForTarget',
        1,
        520,
        4,
        errors,
        true,
      ),
      warningFraction: numberIn(params.warningFraction, 'params.warningFraction', 0.01, 1, 0.8, errors),
    };
  }
  if (kind === 'correlation') {
    unknownParams(params, ['with', 'maxLag', 'difference'], 'correlation', errors);
    const w = params.with as Record<string, unknown> | undefined;
    if (!w || typeof w !== 'object' || Array.isArray(w)) {
      errors.push({
        path: 'params.with',
        rule: 'required',
        message: 'is required: { metric, component? } of the second series',
      });
    } else {
      if (typeof w.metric !== 'string' || !METRIC_SELECTOR.test(w.metric)) {
        errors.push({
          path: 'params.with.metric',
          rule: 'pattern',
          message: 'must match [a-z][a-z0-9_.]{0,63}',
        });
      }
      if (
        w.component !== undefined &&
        (typeof w.component !== 'string' || !COMPONENT_SELECTOR.test(w.component))
      ) {
        errors.push({
          path: 'params.with.component',
          rule: 'pattern',
          message: 'must match [a-z0-9][a-z0-9._:/-]{0,63}',
        });
      }
    }
    if (params.difference !== undefined && typeof params.difference !== 'boolean') {
      errors.push({ path: 'params.difference', rule: 'type', message: 'must be true or false' });
    }
    parsed = {
      with: {
        metric: String(w?.metric),
        ...(typeof w?.component === 'string' ? { component: w.component } : {}),
      },
      maxLag: numberIn(params.maxLag, 'params.maxLag', 0, 1_000, 10, errors, true),
      difference: params.difference !== false,
    };
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    request: {
      kind,
      metric: kind === 'attribution' ? 'week' : (b.metric as string),
      ...(b.component === undefined ? {} : { component: b.component as string }),
      from: from!,
      to: to!,
      stepMs: stepMs!,
      params: parsed,
    } as AnalysisRequest,
  };
}

export interface Anomaly {
  readonly time: number;
  readonly value: number;
  readonly score: number;
  /** Why it stands out, in words: how far the value is from what came just before it. */
  readonly explanation: string;
}

export interface SeriesAnalysis {
  readonly component: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly points: number;
  readonly anomalies?: readonly Anomaly[];
  readonly maxScore?: number;
  readonly forecast?: {
    readonly model: string;
    readonly times: readonly number[];
    readonly mean: readonly number[];
    readonly lower: Readonly<Record<string, readonly number[]>>;
    readonly upper: Readonly<Record<string, readonly number[]>>;
  };
  readonly regimes?: {
    readonly counts: Readonly<Record<Regime, number>>;
    readonly windows: readonly {
      readonly from: number;
      readonly to: number;
      readonly regime: Regime;
      readonly direction: 'up' | 'down' | 'flat';
      readonly efficiencyRatio: number;
      readonly volatilityRatio: number;
      readonly reason: string;
    }[];
  };
  readonly risk?: {
    readonly var: Readonly<
      Record<
        string,
        {
          readonly historical: number;
          readonly historicalCVaR: number;
          readonly normal: number;
          readonly normalCVaR: number;
          /**
           * The next step's VaR forecast by RiskMetrics (zero-mean normal with the EWMA volatility): null with
           * fewer than 10 returns.
           */
          readonly ewma: number | null;
          readonly ewmaCVaR: number | null;
          /**
           * The next step's VaR forecast by filtered historical simulation (the last `window` returns scaled
           * by their EWMA volatility, rescaled by today's): null with fewer than 20 returns.
           */
          readonly filteredHistorical: number | null;
          readonly filteredHistoricalCVaR: number | null;
        }
      >
    >;
    /**
     * Per level and method: how the method's rolling one-step forecasts over this series fared (violation
     * rate, Kupiec and Christoffersen p-values, Basel zone at 99 %, ES Z2); null when the series has fewer
     * than `window` + 100 returns.
     */
    readonly backtest: Readonly<Record<string, Readonly<Record<string, RiskBacktestSummary>>>> | null;
    /** Why `backtest` is null. */
    readonly backtestSkipped?: string;
    readonly ewmaVolatility: number;
    readonly maxDrawdown: number;
    readonly currentDrawdown: number;
    readonly drawdownEpisodes: number;
    readonly maxEpisode: {
      readonly peak: number;
      readonly trough: number;
      readonly recovery: number | null;
      readonly depth: number;
    } | null;
  };
  readonly stats?: {
    /** Over the per-step averages the analysis sees (quantiles within 1 % relative error). */
    readonly overSteps: ReturnType<StreamingStats['summary']>;
    /** Exact over the raw stored points, from the step aggregates (variance combined step by step). */
    readonly raw: {
      readonly count: number;
      readonly mean: number;
      readonly min: number;
      readonly max: number;
      /** Sample variance (n − 1) of the raw points; NaN below 2 points. */
      readonly variance: number;
      readonly stdDev: number;
    };
  };
  readonly trend?: {
    readonly direction: 'increasing' | 'decreasing' | 'none';
    readonly level: number;
    readonly linear: {
      readonly slopePerStep: number;
      readonly slopeIntervalPerStep: readonly [number, number];
      readonly rSquared: number;
      readonly pValue: number;
    };
    readonly mannKendall: {
      readonly s: number;
      readonly z: number;
      readonly pValue: number;
      readonly tau: number;
      readonly senSlopePerStep: number;
    };
  };
  readonly seasonality?: {
    readonly period?: number;
    readonly periodMs?: number;
    readonly strength: number;
    readonly trendStrength: number;
    readonly candidates: readonly {
      readonly period: number;
      readonly periodMs: number;
      readonly strength: number;
      readonly pValue: number;
    }[];
  };
  readonly changepoints?: {
    readonly changePoints: readonly { readonly time: number }[];
    readonly segments: readonly {
      readonly from: number;
      readonly to: number;
      readonly points: number;
      readonly mean: number;
      readonly stdDev: number;
    }[];
    readonly method: string;
  };
  readonly motifs?: {
    readonly m: number;
    /** Pairs of the most alike subsequences (z-normalised distance), earliest first in each pair. */
    readonly motifs: readonly {
      readonly time: number;
      readonly neighborTime: number;
      readonly distance: number;
    }[];
    /** The subsequences least like anything else in the series. */
    readonly discords: readonly {
      readonly time: number;
      readonly neighborTime: number;
      readonly distance: number;
    }[];
  };
  readonly correlation?: {
    /** The series compared with this one. */
    readonly with: {
      readonly component: string;
      readonly metric: string;
      readonly dimensions: Readonly<Record<string, string>>;
    };
    /** Steps present in both series. */
    readonly n: number;
    readonly lags: readonly number[];
    readonly correlation: readonly number[];
    /** Positive: this series leads the other by that many steps; negative: it follows. */
    readonly bestLag: number;
    readonly bestLagMs: number;
    readonly bestCorrelation: number;
    readonly threshold: number;
    readonly significant: boolean;
  };
  /** Set when this series could not be analysed (e.g. too short to forecast); the others still are. */
  readonly skipped?: string;
}

export interface AnalysisOutcome {
  readonly series: readonly SeriesAnalysis[];
  /** Series the selector matched but the limits left out. */
  readonly truncatedSeries: number;
  /** The `attribution` kind's result (its `series` is empty). */
  readonly attribution?: WeekAttribution;
}

/** Week-type attribution of the week records in the range, with what was left out and why. */
export interface WeekAttribution extends AttributionResult {
  /** Week records attributed. */
  readonly weeks: number;
  /** Records in the range whose actual return is not known yet (predictions only): not attributed. */
  readonly pendingWeeks: number;
  /** Set when the range held more than ANALYSIS_LIMITS.maxWeeks records: only the oldest were read. */
  readonly truncated: boolean;
}

/**
 * Attributes the `week` events (their documents' bodies, as ingest stored them) of an `attribution` request:
 * filters them to the request's account, drops those without an actual return yet, and runs
 * {@link weekTypeAttribution}. Its breaches become RiskLimitBreached events (see service.ts).
 */
export function runAttribution(
  params: AttributionParams,
  events: readonly { readonly data: WeekData }[],
  truncated: boolean,
): AnalysisOutcome {
  const records: WeekRecord[] = [];
  let pending = 0;
  for (const { data } of events) {
    if (params.account !== undefined && data.account !== params.account) continue;
    if (params.accountId !== undefined && data.accountId !== params.accountId) continue;
    const record = weekRecordFromEvent(data);
    if (record) records.push(record);
    else pending++;
  }
  const result = weekTypeAttribution(records, {
    minWeeksForTarget: params.minWeeksForTarget,
    warningFraction: params.warningFraction,
  });
  return {
    series: [],
    truncatedSeries: 0,
    attribution: { ...result, weeks: records.length, pendingWeeks: pending, truncated },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** A plain-words account of a point against the window before it (median and MAD: robust to past spikes). */
function explain(values: readonly number[], i: number, window = 60): string {
  const before = values.slice(Math.max(0, i - window), i);
  const value = values[i]!;
  if (before.length < 3) return `value ${value} at the start of the series`;
  const m = median(before);
  const mad = median(before.map((x) => Math.abs(x - m))) * 1.4826;
  const direction = value >= m ? 'above' : 'below';
  if (mad === 0)
    return `value ${value} is ${direction} the constant ${m} of the previous ${before.length} points`;
  const z = Math.abs(value - m) / mad;
  return `value ${value} is ${z.toFixed(1)} robust standard deviations ${direction} the median ${Number(m.toPrecision(6))} of the previous ${before.length} points`;
}

function analyseAnomalies(
  points: readonly AggregatePoint[],
  params: AnomalyParams,
): Pick<SeriesAnalysis, 'anomalies' | 'maxScore'> {
  const detector = createDetector(params.detector);
  const values = points.map((p) => p.avg);
  const anomalies: Anomaly[] = [];
  let maxScore = 0;
  points.forEach((p, i) => {
    const score = detector.update(p.time, p.avg);
    if (score > maxScore) maxScore = score;
    if (score >= params.threshold)
      anomalies.push({ time: p.time, value: p.avg, score, explanation: explain(values, i) });
  });
  return { anomalies, maxScore };
}

function analyseForecast(
  points: readonly AggregatePoint[],
  params: ForecastParams,
  stepMs: number,
): Pick<SeriesAnalysis, 'forecast' | 'skipped'> {
  if (points.length < ANALYSIS_LIMITS.minForecastPoints) {
    return { skipped: `needs at least ${ANALYSIS_LIMITS.minForecastPoints} points, has ${points.length}` };
  }
  const result = forecast(
    points.map((p) => p.avg),
    params.horizon,
    { method: params.method, season: params.season, level: [...params.levels] },
  );
  const last = points[points.length - 1]!.time;
  const lower: Record<string, number[]> = {};
  const upper: Record<string, number[]> = {};
  for (const level of params.levels) {
    lower[String(level)] = [...(result.lower[level] ?? [])];
    upper[String(level)] = [...(result.upper[level] ?? [])];
  }
  return {
    forecast: {
      model: result.model,
      times: result.mean.map((_, k) => last + (k + 1) * stepMs),
      mean: [...result.mean],
      lower,
      upper,
    },
  };
}

function analyseRegimes(
  points: readonly AggregatePoint[],
  params: RegimeParams,
): Pick<SeriesAnalysis, 'regimes' | 'skipped'> {
  if (points.length < params.window)
    return { skipped: `needs at least ${params.window} points (one window), has ${points.length}` };
  const result = classifyRegimes(
    points.map((p) => p.avg),
    { window: params.window, trendThreshold: params.trendThreshold, volatilityRatio: params.volatilityRatio },
  );
  return {
    regimes: {
      counts: result.counts,
      windows: result.windows.map((w) => ({
        from: points[w.start]!.time,
        to: points[w.end - 1]!.time,
        regime: w.regime,
        direction: w.direction,
        efficiencyRatio: w.efficiencyRatio,
        volatilityRatio: w.volatilityRatio,
        reason: w.reason,
      })),
    },
  };
}

/** One method's backtest over a series, as the risk analysis reports it. */
export interface RiskBacktestSummary {
  readonly observations: number;
  readonly violations: number;
  readonly expected: number;
  readonly rate: number;
  readonly kupiecPValue: number;
  readonly conditionalCoveragePValue: number;
  readonly basel?: BaselZone;
  readonly esZ2: number;
}

/** The methods the risk analysis backtests, by the names it reports them under. */
const BACKTESTED: readonly [string, VarMethod][] = [
  ['historical', 'historical'],
  ['normal', 'normal'],
  ['ewma', 'ewma'],
  ['filteredHistorical', 'filtered-historical'],
];

function summarise(b: VarBacktest): RiskBacktestSummary {
  return {
    observations: b.observations,
    violations: b.violations,
    expected: b.expected,
    rate: b.rate,
    kupiecPValue: b.kupiec.pValue,
    conditionalCoveragePValue: b.conditionalCoverage.pValue,
    ...(b.basel ? { basel: b.basel } : {}),
    esZ2: b.esZ2,
  };
}

/**
 * One level's rolling forecasts, each method's computed once: the next step's EWMA and filtered-historical
 * VaR/CVaR are their last entries, and with at least `window` + 100 returns every method is also backtested.
 */
function riskAtLevel(returns: readonly number[], level: number, params: RiskParams) {
  const n = returns.length;
  const rolling = (method: VarMethod, window: number) =>
    rollingVaR(returns, { method, level, window, lambda: params.lambda });
  const backtests = n >= params.window + 100;
  const forecasts = new Map<VarMethod, VarForecasts>();
  if (backtests) for (const [, method] of BACKTESTED) forecasts.set(method, rolling(method, params.window));
  // The EWMA forecast uses every return whatever the window; the window only bounds filtered history.
  const ewma = forecasts.get('ewma') ?? (n >= 10 ? rolling('ewma', 10) : undefined);
  const window = Math.min(params.window, n);
  const fhs =
    forecasts.get('filtered-historical') ??
    (window >= 20 ? rolling('filtered-historical', window) : undefined);
  const last = (xs: Float64Array | undefined): number | null => (xs ? (xs[xs.length - 1] as number) : null);
  return {
    next: {
      ewma: last(ewma?.var),
      ewmaCVaR: last(ewma?.cvar),
      filteredHistorical: last(fhs?.var),
      filteredHistoricalCVaR: last(fhs?.cvar),
    },
    backtest: backtests
      ? Object.fromEntries(
          BACKTESTED.map(([name, method]) => [
            name,
            summarise(backtestVaR(returns, forecasts.get(method) as VarForecasts)),
          ]),
        )
      : null,
  };
}

function analyseRisk(
  points: readonly AggregatePoint[],
  params: RiskParams,
): Pick<SeriesAnalysis, 'risk' | 'skipped'> {
  const values = points.map((p) => p.avg);
  if (values.length < 3) return { skipped: `needs at least 3 points, has ${values.length}` };
  let returns: number[];
  if (params.input === 'returns') returns = values;
  else {
    const bad = values.findIndex((v) => v <= 0);
    if (bad >= 0) return { skipped: `an equity curve must stay above 0; point ${bad} is ${values[bad]}` };
    returns = values.slice(1).map((v, i) => v / values[i]! - 1);
  }
  const dd = drawdowns(values, { input: params.input });
  const at = (i: number) =>
    points[Math.min(Math.max(i - (params.input === 'returns' ? 1 : 0), 0), points.length - 1)]!.time;
  const perLevel = params.levels.map((level) => ({ level, ...riskAtLevel(returns, level, params) }));
  const backtested = perLevel.every((l) => l.backtest !== null);
  return {
    risk: {
      var: Object.fromEntries(
        perLevel.map(({ level, next }) => [
          String(level),
          {
            historical: historicalVaR(returns, level),
            historicalCVaR: historicalCVaR(returns, level),
            normal: parametricVaR(returns, level),
            normalCVaR: parametricCVaR(returns, level),
            ...next,
          },
        ]),
      ),
      backtest: backtested
        ? Object.fromEntries(perLevel.map(({ level, backtest }) => [String(level), backtest ?? {}]))
        : null,
      ...(!backtested
        ? {
            backtestSkipped: `the backtests need at least window + 100 = ${params.window + 100} returns, the series has ${returns.length}`,
          }
        : {}),
      ewmaVolatility: ewmaVolatility(returns, params.lambda).latest,
      maxDrawdown: dd.maxDrawdown,
      currentDrawdown: dd.currentDrawdown,
      drawdownEpisodes: dd.episodes.length,
      maxEpisode: dd.maxEpisode
        ? {
            peak: at(dd.maxEpisode.peak),
            trough: at(dd.maxEpisode.trough),
            recovery: dd.maxEpisode.recovery === null ? null : at(dd.maxEpisode.recovery),
            depth: dd.maxEpisode.depth,
          }
        : null,
    },
  };
}

function analyseStats(points: readonly AggregatePoint[], params: StatsParams): Pick<SeriesAnalysis, 'stats'> {
  const summary = new StreamingStats().addAll(points.map((p) => p.avg)).summary([...params.quantiles]);
  let total: PartialAggregate | undefined;
  for (const p of points) total = total ? mergePartials(total, p) : { ...p };
  const count = total?.count ?? 0;
  const variance = count > 1 ? (total as PartialAggregate).m2 / (count - 1) : Number.NaN;
  return {
    stats: {
      overSteps: summary,
      raw: {
        count,
        mean: total ? total.sum / count : Number.NaN,
        min: total?.min ?? Number.POSITIVE_INFINITY,
        max: total?.max ?? Number.NEGATIVE_INFINITY,
        variance,
        stdDev: Math.sqrt(variance),
      },
    },
  };
}

function analyseTrend(
  points: readonly AggregatePoint[],
  params: TrendParams,
  stepMs: number,
): Pick<SeriesAnalysis, 'trend' | 'skipped'> {
  if (points.length < 3) return { skipped: `needs at least 3 points, has ${points.length}` };
  const times = points.map((p) => p.time);
  const values = points.map((p) => p.avg);
  const lin = linearTrend(times, values, params.level);
  const mk = mannKendall(values, { times, level: params.level });
  return {
    trend: {
      direction: mk.trend,
      level: params.level,
      linear: {
        slopePerStep: lin.slope * stepMs,
        slopeIntervalPerStep: [lin.slopeInterval[0] * stepMs, lin.slopeInterval[1] * stepMs],
        rSquared: lin.rSquared,
        pValue: lin.pValue,
      },
      mannKendall: {
        s: mk.s,
        z: mk.z,
        pValue: mk.pValue,
        tau: mk.tau,
        senSlopePerStep: mk.senSlope * stepMs,
      },
    },
  };
}

function analyseSeasonality(
  points: readonly AggregatePoint[],
  params: SeasonalityParams,
  stepMs: number,
): Pick<SeriesAnalysis, 'seasonality' | 'skipped'> {
  if (points.length < 6) return { skipped: `needs at least 6 points, has ${points.length}` };
  const cap = Math.min(Math.floor(points.length / 3), 1_000);
  const r = detectSeasonality(
    points.map((p) => p.avg),
    { maxPeriod: Math.max(2, Math.min(params.maxPeriod ?? cap, cap)), minStrength: params.minStrength },
  );
  return {
    seasonality: {
      ...(r.period === undefined ? {} : { period: r.period, periodMs: r.period * stepMs }),
      strength: r.strength,
      trendStrength: r.trendStrength,
      candidates: r.candidates.map((c) => ({
        period: c.period,
        periodMs: c.period * stepMs,
        strength: c.strength,
        pValue: c.pValue,
      })),
    },
  };
}

function analyseChangePoints(
  points: readonly AggregatePoint[],
  params: ChangePointParams,
): Pick<SeriesAnalysis, 'changepoints' | 'skipped'> {
  const minSegment = params.cost === 'meanvar' ? 5 : 2;
  if (points.length < 2 * minSegment)
    return { skipped: `needs at least ${2 * minSegment} points, has ${points.length}` };
  const r = detectChangePoints(
    points.map((p) => p.avg),
    { method: params.method, cost: params.cost, penalty: params.penalty },
  );
  return {
    changepoints: {
      method: r.method,
      changePoints: r.changePoints.map((i) => ({ time: points[i]!.time })),
      segments: r.segments.map((g) => ({
        from: points[g.start]!.time,
        to: points[g.end - 1]!.time,
        points: g.end - g.start,
        mean: g.mean,
        stdDev: g.stdDev,
      })),
    },
  };
}

function analyseMotifs(
  points: readonly AggregatePoint[],
  params: MotifParams,
): Pick<SeriesAnalysis, 'motifs' | 'skipped'> {
  if (points.length < 2 * params.m + 1)
    return { skipped: `needs at least ${2 * params.m + 1} points for m = ${params.m}, has ${points.length}` };
  const r = matrixProfile(
    points.map((p) => p.avg),
    params.m,
    { k: params.k },
  );
  const timed = (x: { index: number; neighbor: number; distance: number }) => ({
    time: points[x.index]!.time,
    neighborTime: points[x.neighbor]!.time,
    distance: x.distance,
  });
  return { motifs: { m: r.m, motifs: r.motifs.map(timed), discords: r.discords.map(timed) } };
}

function analyseCorrelation(
  points: readonly AggregatePoint[],
  params: CorrelationParams,
  stepMs: number,
  other: SeriesResult['series'][number] | undefined,
): Pick<SeriesAnalysis, 'correlation' | 'skipped'> {
  if (!other)
    return {
      skipped: `no series matches ${params.with.metric}${params.with.component ? ` of ${params.with.component}` : ''}`,
    };
  // Align on the steps both series hold; a gap in either drops the step from both.
  const theirs = new Map(other.points.map((p) => [p.time, p.avg]));
  const a: number[] = [];
  const b: number[] = [];
  for (const p of points) {
    const v = theirs.get(p.time);
    if (v !== undefined) {
      a.push(p.avg);
      b.push(v);
    }
  }
  const diff = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
  const x = params.difference ? diff(a) : a;
  const y = params.difference ? diff(b) : b;
  const maxLag = Math.min(params.maxLag, x.length - 2);
  if (x.length < 3 || maxLag < 0)
    return { skipped: `needs at least ${params.difference ? 4 : 3} shared steps, has ${a.length}` };
  try {
    const r = laggedCrossCorrelation(x, y, maxLag);
    return {
      correlation: {
        with: { component: other.component, metric: other.metric, dimensions: other.dimensions },
        n: r.n,
        lags: r.lags,
        correlation: r.correlation,
        bestLag: r.bestLag,
        bestLagMs: r.bestLag * stepMs,
        bestCorrelation: r.bestCorrelation,
        threshold: r.threshold,
        significant: r.significant,
      },
    };
  } catch (error) {
    // A constant series has no correlation to speak of; say so for this series and go on.
    return { skipped: (error as Error).message };
  }
}

/**
 * Runs an analysis over the series the store returned for the request's selector and step.
 * Gaps (steps without points) are skipped: the detectors and forecasts see the steps that hold data.
 */
export function runAnalysis(
  request: AnalysisRequest,
  data: SeriesResult,
  other?: SeriesResult,
): AnalysisOutcome {
  const selected = data.series.slice(0, ANALYSIS_LIMITS.maxSeries);
  const series = selected.map((s): SeriesAnalysis => {
    const base = { component: s.component, dimensions: s.dimensions, points: s.points.length };
    switch (request.kind) {
      case 'anomaly':
        return { ...base, ...analyseAnomalies(s.points, request.params) };
      case 'forecast':
        return { ...base, ...analyseForecast(s.points, request.params, request.stepMs) };
      case 'regimes':
        return { ...base, ...analyseRegimes(s.points, request.params) };
      case 'risk':
        return { ...base, ...analyseRisk(s.points, request.params) };
      case 'stats':
        return { ...base, ...analyseStats(s.points, request.params) };
      case 'trend':
        return { ...base, ...analyseTrend(s.points, request.params, request.stepMs) };
      case 'seasonality':
        return { ...base, ...analyseSeasonality(s.points, request.params, request.stepMs) };
      case 'changepoints':
        return { ...base, ...analyseChangePoints(s.points, request.params) };
      case 'motifs':
        return { ...base, ...analyseMotifs(s.points, request.params) };
      case 'correlation':
        return { ...base, ...analyseCorrelation(s.points, request.params, request.stepMs, other?.series[0]) };
      case 'attribution':
        throw new Error('an attribution reads week records: use runAttribution');
      default: {
        const unknown: never = request;
        throw new Error(`unknown analysis kind ${(unknown as { kind: string }).kind}`);
      }
    }
  });
  return { series, truncatedSeries: data.series.length - selected.length };
}

/** The input an EventBridge schedule passes: an analysis over the last `window` before each run. */
export interface ScheduledAnalysisInput {
  readonly schedule: string;
  readonly request: AnalysisRequest;
}

/**
 * Validates a schedule's input (`{ kind, metric, component?, window, step, params }`) into the analysis
 * request for a run at `now`: the range is `[now - window, now)`. Errors name the field and the rule; the
 * CDK app calls this at synth time so a bad schedule never deploys.
 *
 * @example
 * parseScheduledAnalysis('latency-anomalies', { kind: 'anomaly', metric: 'latency_ms', window: '6h', step: '1m' }, Date.now())
 */
export function parseScheduledAnalysis(
  schedule: string,
  input: unknown,
  now: number,
): { ok: true; value: ScheduledAnalysisInput } | { ok: false; errors: ValidationIssue[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      errors: [{ path: '(root)', rule: 'type', message: 'the schedule input must be an object' }],
    };
  }
  const { window, ...rest } = input as Record<string, unknown>;
  const errors: ValidationIssue[] = [];
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(schedule)) {
    errors.push({ path: 'schedule', rule: 'pattern', message: 'must match [a-z0-9][a-z0-9-]{0,63}' });
  }
  let windowMs: number | undefined;
  if (window === undefined)
    errors.push({ path: 'window', rule: 'required', message: 'is required, e.g. 6h' });
  else {
    windowMs = typeof window === 'string' ? parseDuration(window) : undefined;
    if (!windowMs)
      errors.push({
        path: 'window',
        rule: 'duration',
        message: 'must be a positive duration such as 30m, 6h, 1d',
      });
  }
  if ('from' in rest || 'to' in rest) {
    errors.push({ path: 'from', rule: 'unknown_key', message: 'a schedule gives window, not from/to' });
  }
  const parsed = parseAnalysisRequest({ ...rest, from: now - (windowMs ?? 1), to: now }, now);
  if (!parsed.ok) errors.push(...parsed.errors);
  if (errors.length > 0 || !parsed.ok) return { ok: false, errors };
  return { ok: true, value: { schedule, request: parsed.request } };
}
