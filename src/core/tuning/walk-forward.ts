/**
 * Walk-forward tuning of the ALL-USE protocol parameters.
 *
 * The usable weeks (after the backtester's indicator warm-up) are cut into windows: an in-sample (IS) run of
 * `isWeeks` weeks, tuned through the optimiser (src/core/optimise Study) on IS data only, followed by an
 * out-of-sample (OOS) run of `oosWeeks` weeks on which the chosen parameters are then simulated. Windows
 * advance by `oosWeeks`, so the OOS segments tile the tail of the data without gap or overlap and stitch
 * into one OOS series. `rolling` keeps the IS length fixed; `anchored` keeps its start at the first usable
 * week (the IS grows).
 *
 * Look-ahead: every simulation is given only the bars up to the last day of the weeks it scores (plus the
 * warm-up bars before them, which are past data), so the tuning of a window never sees a bar after its IS.
 *
 * State between OOS segments: each segment starts from the equity at the end of the previous segment (the
 * stitched equity curve is continuous and compounds). Positions: by default (`oosState: 'warm'`) each
 * segment's parameters are simulated from the window's IS start and the run is cut at the OOS start, so
 * the segment opens with the position those parameters would hold at that date (built from past bars
 * only; the IS part of that run is discarded). The alternative, `oosState: 'flat'`, marks the open option
 * or shares to market at the segment's end and starts the next segment in cash. Flat is not the default
 * because the restart is not neutral for the wheel: it sells puts where a continuous run would still hold
 * assigned shares and sell calls, so every 26 weeks it drops the stock exposure; on the shared 2013-2023
 * data the flat-restarted baseline lost up to 0.56 Sharpe against the unsegmented baseline (COM AAPL 0.30 vs
 * 0.86), which makes "tuned beats baseline" mostly a statement about restarts. Warm's own bias is smaller:
 * at each boundary the position is the one the new parameters would hold, not the one the account holds.
 * The baseline always runs on the same segmentation as the tuned parameters, so the comparison is like for
 * like; `baselineContinuous` gives the unsegmented baseline over the same weeks.
 */

import { dayToIso, mondayOf } from '../backtest/data.ts';
import {
  ACCOUNT_TARGETS,
  BASELINE_PARAMS,
  type Bar,
  computeIndicators,
  computeMetrics,
  DEFAULT_MARKET,
  type MarketModel,
  PARAM_SPACE,
  ParamsError,
  type PerformanceMetrics,
  type ProtocolParams,
  runBacktest,
  withTrialParams,
} from '../backtest/index.ts';
import { ACCOUNT_TYPES, type AccountType } from '../events/constants.ts';
import {
  Nsga2Sampler,
  type Params,
  RandomSampler,
  type Sampler,
  type SpaceSpec,
  Study,
  TpeSampler,
  type TrialRecord,
  trialSeed,
} from '../optimise/index.ts';
import {
  deflatedSharpe,
  moments,
  parameterStability,
  probabilityOfBacktestOverfitting,
  TuningError,
} from './overfitting.ts';

/** Samplers the walk-forward can use. */
export type TuningSampler = 'tpe' | 'nsga2' | 'random';
/** Single-objective in-sample score (maximised). */
export type TuningObjective = 'sharpe' | 'sortino' | 'calmar';
/** How windows advance: fixed-length IS (`rolling`) or IS from the first usable week (`anchored`). */
export type WindowMode = 'rolling' | 'anchored';

/** Progress after each window, for long runs (the bench prints it to stderr). */
export interface WalkForwardProgress {
  /** 1-based number of the window just finished. */
  readonly window: number;
  readonly windows: number;
  readonly isSharpe: number;
  readonly oosSharpe: number;
  readonly baselineOosSharpe: number;
}

export interface WalkForwardInput {
  /** Daily bars, sorted, as runBacktest takes them. */
  readonly bars: readonly Bar[];
  /** One VIX close per bar (alignVix). */
  readonly vix: readonly number[];
  readonly account: AccountType;
  /** The simulated market (not tuned). */
  readonly market?: Partial<MarketModel>;
  /** Parameters not in the space are held at these; also the comparison baseline. @default BASELINE_PARAMS[account] */
  readonly baseline?: ProtocolParams;
  /** Search space over ProtocolParams fields. @default accountSpace(account) */
  readonly space?: SpaceSpec;
  /** In-sample weeks per window (the first window's, when anchored). @default 104 */
  readonly isWeeks?: number;
  /** Out-of-sample weeks per window, and the step between windows. @default 26 */
  readonly oosWeeks?: number;
  /** @default 'rolling' */
  readonly mode?: WindowMode;
  /**
   * Position state at the start of each OOS segment (equity is carried either way). `warm` (default):
   * the position the segment's own parameters would hold, from a simulation started at the window's IS
   * start (past bars only). `flat`: in cash, the previous segment's position marked to market.
   * @default 'warm'
   */
  readonly oosState?: 'flat' | 'warm';
  /** Trials per window, including the enqueued baseline and previous choice. @default 60 */
  readonly trials?: number;
  /**
   * `tpe` (default) and `random` maximise `objective`; `nsga2` maximises IS CAGR and minimises IS max
   * drawdown, then picks from the Pareto front the highest IS Sharpe among the points within the account's
   * drawdown limit (ACCOUNT_TARGETS), or the smallest drawdown when none is within it.
   */
  readonly sampler?: TuningSampler;
  /** @default 'sharpe' */
  readonly objective?: TuningObjective;
  /** @default 0 */
  readonly seed?: number;
  /** CSCV blocks for the per-window PBO (reduced when the IS is short). @default 16 */
  readonly pboPartitions?: number;
  readonly onProgress?: (p: WalkForwardProgress) => void;
}

/** One walk-forward window. Dates are ISO: the Monday of the first week and the last trading day. */
export interface WalkForwardWindow {
  readonly index: number;
  readonly isFrom: string;
  readonly isTo: string;
  readonly oosFrom: string;
  readonly oosTo: string;
  readonly isWeeks: number;
  readonly oosWeeks: number;
  /** The chosen values of the space's parameters. */
  readonly tuned: Readonly<Record<string, number>>;
  /** The full parameter set simulated out of sample. */
  readonly params: ProtocolParams;
  readonly chosenTrial: number;
  readonly completeTrials: number;
  /** Trials whose parameters were invalid together (e.g. deltaMin > deltaMax). */
  readonly failedTrials: number;
  /** The chosen trial's IS objective value (nsga2: its IS Sharpe). */
  readonly isScore: number;
  /** Annualised Sharpe of the chosen parameters in sample and out of sample. */
  readonly isSharpe: number;
  readonly oosSharpe: number;
  readonly baselineIsSharpe: number;
  readonly baselineOosSharpe: number;
  /** isSharpe − oosSharpe. */
  readonly gap: number;
  /** Deflated Sharpe ratio of the chosen IS trial against the window's trials. */
  readonly dsr: number;
  /** Probability of backtest overfitting of the window's IS trial-by-week matrix (CSCV). */
  readonly pbo: number;
  readonly oosReturns: readonly number[];
  readonly baselineOosReturns: readonly number[];
}

export interface WalkForwardResult {
  readonly account: AccountType;
  readonly sampler: TuningSampler;
  readonly objective: TuningObjective;
  readonly mode: WindowMode;
  readonly oosState: 'flat' | 'warm';
  readonly isWeeks: number;
  readonly oosWeeks: number;
  readonly trialsPerWindow: number;
  readonly seed: number;
  readonly space: SpaceSpec;
  readonly baselineParams: ProtocolParams;
  readonly windows: readonly WalkForwardWindow[];
  /** The stitched out-of-sample weeks. */
  readonly oos: {
    readonly from: string;
    readonly to: string;
    /** Monday of each OOS week. */
    readonly weeks: readonly string[];
    readonly tuned: readonly number[];
    readonly baseline: readonly number[];
    readonly tunedEquity: readonly number[];
    readonly baselineEquity: readonly number[];
  };
  readonly tunedMetrics: PerformanceMetrics;
  readonly baselineMetrics: PerformanceMetrics;
  /** The baseline run once over the same OOS weeks, without restarts. */
  readonly baselineContinuous: PerformanceMetrics;
  readonly diagnostics: {
    readonly isOosGap: { readonly mean: number; readonly perWindow: readonly number[] };
    readonly stability: { readonly mean: number; readonly perParam: Readonly<Record<string, number>> };
    readonly dsr: { readonly mean: number; readonly perWindow: readonly number[] };
    readonly pbo: { readonly mean: number; readonly perWindow: readonly number[] };
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * PARAM_SPACE with the delta range narrowed to the account's baseline ± `width` (within PARAM_SPACE's
 * bounds): the delta range is what makes GEN, REV and COM different accounts, so a study for one account
 * tunes around its range rather than turning REV into GEN.
 */
export function accountSpace(account: AccountType, width = 0.1): SpaceSpec {
  if (!(ACCOUNT_TYPES as readonly string[]).includes(account))
    throw new TuningError(`account must be one of ${ACCOUNT_TYPES.join(', ')}, got ${String(account)}`);
  if (!(width > 0 && Number.isFinite(width))) throw new TuningError(`width must be > 0, got ${width}`);
  const b = BASELINE_PARAMS[account];
  const out: Record<string, SpaceSpec[string]> = { ...PARAM_SPACE };
  for (const k of ['deltaMin', 'deltaMax'] as const) {
    const s = PARAM_SPACE[k];
    if (s?.type !== 'float') continue;
    out[k] = {
      ...s,
      low: round2(Math.max(s.low, b[k] - width)),
      high: round2(Math.min(s.high, b[k] + width)),
    };
  }
  return out;
}

function intField(v: unknown, field: string, min: number): number {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min))
    throw new TuningError(`${field} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(v))
    throw new TuningError(`${field} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  return v as T;
}

interface TrialRun {
  readonly weekly: number[];
  readonly metrics: PerformanceMetrics;
}

/** Finite stand-in for an infinite score (Sortino/Calmar without a loss): the study accepts finite values only. */
const SCORE_CAP = 1e6;

/**
 * Runs walk-forward tuning (see the module comment for the window layout, the state carried between OOS
 * segments and the look-ahead guarantee). Each window's study enqueues the baseline (projected on the
 * space) and the previous window's choice as its first trials, so the tuner always weighs "no change";
 * study seeds are derived from `seed` and the window number. Deterministic for a given input.
 *
 * @example
 * const wf = walkForward({ bars, vix, account: 'REV', isWeeks: 104, oosWeeks: 26, trials: 60, seed: 1 });
 * wf.tunedMetrics.sharpe; wf.baselineMetrics.sharpe;
 */
export function walkForward(input: WalkForwardInput): WalkForwardResult {
  const account = oneOf(input.account, 'account', ACCOUNT_TYPES);
  const isWeeks = intField(input.isWeeks ?? 104, 'isWeeks', 4);
  const oosWeeks = intField(input.oosWeeks ?? 26, 'oosWeeks', 2);
  const trials = intField(input.trials ?? 60, 'trials', 2);
  const seed = intField(input.seed ?? 0, 'seed', 0);
  const pboPartitions = intField(input.pboPartitions ?? 16, 'pboPartitions', 2);
  if (pboPartitions % 2 !== 0) throw new TuningError(`pboPartitions must be even, got ${pboPartitions}`);
  const mode = oneOf(input.mode ?? 'rolling', 'mode', ['rolling', 'anchored'] as const);
  const oosState = oneOf(input.oosState ?? 'warm', 'oosState', ['flat', 'warm'] as const);
  const samplerName = oneOf(input.sampler ?? 'tpe', 'sampler', ['tpe', 'nsga2', 'random'] as const);
  const objective = oneOf(input.objective ?? 'sharpe', 'objective', ['sharpe', 'sortino', 'calmar'] as const);
  const { bars, vix } = input;
  if (!Array.isArray(bars)) throw new TuningError('bars must be an array of daily bars');
  if (!Array.isArray(vix) || vix.length !== bars.length)
    throw new TuningError(`vix must have one value per bar (${bars.length}), got ${vix?.length}`);
  const baseline = input.baseline ?? BASELINE_PARAMS[account];
  const spaceSpec = input.space ?? accountSpace(account);
  for (const k of Object.keys(spaceSpec))
    if (!(k in baseline)) throw new TuningError(`space.${k} is not a protocol parameter`);
  const market: MarketModel = { ...DEFAULT_MARKET, ...input.market };
  const capital = market.initialCapital;
  const ready = computeIndicators([], [], market).ready;

  // First bar of each usable week: the backtester starts at bar `ready` of its slice on a week boundary,
  // so a slice that begins `ready` bars before a week's first bar simulates from exactly that week.
  const weekStart: number[] = [];
  for (let i = Math.max(1, ready); i < bars.length; i++) {
    if (mondayOf((bars[i] as Bar).day) !== mondayOf((bars[i - 1] as Bar).day)) weekStart.push(i);
  }
  const usable = weekStart.length;
  if (usable < isWeeks + 2) {
    throw new TuningError(
      `bars: ${usable} usable weeks after the ${ready}-day warm-up, need at least isWeeks + 2 = ${isWeeks + 2}`,
    );
  }
  const run = (params: ProtocolParams, from: number, to: number, initialCapital: number) => {
    const lo = (weekStart[from] as number) - ready;
    const hi = to < usable ? (weekStart[to] as number) : bars.length;
    const r = runBacktest({
      bars: bars.slice(lo, hi),
      vix: vix.slice(lo, hi),
      params,
      market: { ...market, initialCapital },
    });
    if (r.weeks.length !== to - from)
      throw new Error(`walkForward: expected ${to - from} weeks, simulated ${r.weeks.length}`);
    return r;
  };
  const metricsOf = (r: ReturnType<typeof runBacktest>): TrialRun => {
    const weekly = r.weeks.map((w) => w.return);
    return { weekly, metrics: computeMetrics(weekly, { equity: r.equity, initial: r.initialCapital }) };
  };

  /**
   * One OOS segment scaled to start at `cap`. flat: simulated from the OOS start in cash. warm: simulated
   * from the IS start with the same parameters and cut at the OOS start, so the segment opens with the
   * position those parameters would hold (built from past bars only).
   */
  const oosSegment = (
    params: ProtocolParams,
    win: { isStart: number; isEnd: number; oosEnd: number },
    cap: number,
  ) => {
    const from = oosState === 'flat' ? win.isEnd : win.isStart;
    const r = run(params, from, win.oosEnd, oosState === 'flat' ? cap : capital);
    const skipWeeks = win.isEnd - from;
    const skipBars = (weekStart[win.isEnd] as number) - (weekStart[from] as number);
    const weeks = r.weeks.slice(skipWeeks);
    const startEq = (weeks[0] as (typeof weeks)[number]).equityStart;
    const equity = r.equity.slice(skipBars).map((e) => (e / startEq) * cap);
    const weekly = weeks.map((w) => w.return);
    return {
      weekly,
      equity,
      weeks: weeks.map((w) => w.week),
      endDate: r.endDate,
      finalEquity: equity[equity.length - 1] as number,
      metrics: computeMetrics(weekly, { equity, initial: cap }),
    };
  };

  // Window layout: [isStart, isEnd) in sample, [isEnd, oosEnd) out of sample, in usable-week indices.
  const layout: Array<{ isStart: number; isEnd: number; oosEnd: number }> = [];
  for (let w = 0; ; w++) {
    const isEnd = isWeeks + w * oosWeeks;
    if (isEnd + 2 > usable) break;
    layout.push({
      isStart: mode === 'rolling' ? w * oosWeeks : 0,
      isEnd,
      oosEnd: Math.min(isEnd + oosWeeks, usable),
    });
  }

  const windows: WalkForwardWindow[] = [];
  const tunedRet: number[] = [];
  const baseRet: number[] = [];
  const tunedEq: number[] = [];
  const baseEq: number[] = [];
  const oosWeekDates: string[] = [];
  let tunedCapital = capital;
  let baseCapital = capital;
  let previous: Params | undefined;

  for (const [index, win] of layout.entries()) {
    const sampler: Sampler =
      samplerName === 'tpe'
        ? new TpeSampler()
        : samplerName === 'random'
          ? new RandomSampler()
          : new Nsga2Sampler({ populationSize: Math.min(50, Math.max(8, Math.round(trials / 4))) });
    const multi = samplerName === 'nsga2';
    const study = new Study({
      space: spaceSpec,
      directions: multi ? ['maximize', 'minimize'] : ['maximize'],
      sampler,
      seed: trialSeed(seed, index),
      name: `walk-forward-${account}-${index}`,
    });
    const basePoint = project(baseline, spaceSpec);
    tryEnqueue(study, basePoint);
    if (previous && !sameParams(previous, basePoint)) tryEnqueue(study, previous);

    const runs = new Map<number, TrialRun>();
    for (let k = 0; k < trials; k++) {
      const t = study.ask();
      let params: ProtocolParams;
      try {
        params = withTrialParams(baseline, t.params);
      } catch (e) {
        if (e instanceof ParamsError) {
          study.fail(t.number, e.message);
          continue;
        }
        throw e;
      }
      const tr = metricsOf(run(params, win.isStart, win.isEnd, capital));
      runs.set(t.number, tr);
      if (multi) study.tell(t.number, [tr.metrics.cagr, tr.metrics.maxDrawdown]);
      else study.tell(t.number, capScore(tr.metrics[objective]));
    }
    const chosen = multi
      ? pickParetoPoint(
          study.paretoFront,
          (t) => (runs.get(t.number) as TrialRun).metrics,
          ACCOUNT_TARGETS[account].maxDrawdown,
        )
      : study.bestTrial;
    if (!chosen)
      throw new TuningError(`window ${index}: no trial completed (every trial's parameters were invalid)`);
    const chosenRun = runs.get(chosen.number) as TrialRun;
    const params = withTrialParams(baseline, chosen.params);
    previous = { ...chosen.params };

    const baseIs = metricsOf(run(baseline, win.isStart, win.isEnd, capital));
    const tunedOosRun = oosSegment(params, win, tunedCapital);
    const baseOosRun = oosSegment(baseline, win, baseCapital);
    const tunedOos = tunedOosRun;
    const baseOos = baseOosRun;
    tunedCapital = tunedOosRun.finalEquity;
    baseCapital = baseOosRun.finalEquity;
    tunedRet.push(...tunedOos.weekly);
    baseRet.push(...baseOos.weekly);
    tunedEq.push(...tunedOosRun.equity);
    baseEq.push(...baseOosRun.equity);
    oosWeekDates.push(...tunedOosRun.weeks);

    // Selection diagnostics over the window's complete trials (per-week Sharpe ratios for the DSR).
    const matrix = [...runs.values()].map((r) => r.weekly);
    const perWeekSharpes = matrix.map((w) => {
      const m = moments(w);
      return m.sd > 0 ? m.mean / m.sd : 0;
    });
    const mom = moments(chosenRun.weekly);
    const srMean = perWeekSharpes.reduce((a, b) => a + b, 0) / perWeekSharpes.length;
    const srVar =
      perWeekSharpes.length > 1
        ? perWeekSharpes.reduce((a, b) => a + (b - srMean) ** 2, 0) / (perWeekSharpes.length - 1)
        : 0;
    const dsr = deflatedSharpe(
      {
        sharpe: mom.sd > 0 ? mom.mean / mom.sd : 0,
        observations: mom.n,
        skew: mom.skew,
        kurtosis: Math.max(1, mom.kurtosis),
      },
      matrix.length,
      srVar,
    ).dsr;
    const isLen = win.isEnd - win.isStart;
    const partitions = Math.max(2, Math.min(pboPartitions, 2 * Math.floor(isLen / 4)));
    const pbo =
      matrix.length >= 2
        ? probabilityOfBacktestOverfitting(matrix, { partitions, seed: trialSeed(seed, index) }).pbo
        : 1;

    const tunedValues: Record<string, number> = {};
    for (const [k, v] of Object.entries(chosen.params)) tunedValues[k] = v as number;
    const window: WalkForwardWindow = {
      index,
      isFrom: dayToIso(mondayOf((bars[weekStart[win.isStart] as number] as Bar).day)),
      isTo: (bars[(win.isEnd < usable ? (weekStart[win.isEnd] as number) : bars.length) - 1] as Bar).date,
      oosFrom: tunedOosRun.weeks[0] ?? '',
      oosTo: tunedOosRun.endDate,
      isWeeks: isLen,
      oosWeeks: win.oosEnd - win.isEnd,
      tuned: tunedValues,
      params,
      chosenTrial: chosen.number,
      completeTrials: runs.size,
      failedTrials: study.trials.filter((t) => t.state === 'failed').length,
      isScore: multi ? chosenRun.metrics.sharpe : capScore(chosenRun.metrics[objective]),
      isSharpe: chosenRun.metrics.sharpe,
      oosSharpe: tunedOos.metrics.sharpe,
      baselineIsSharpe: baseIs.metrics.sharpe,
      baselineOosSharpe: baseOos.metrics.sharpe,
      gap: chosenRun.metrics.sharpe - tunedOos.metrics.sharpe,
      dsr,
      pbo,
      oosReturns: tunedOos.weekly,
      baselineOosReturns: baseOos.weekly,
    };
    windows.push(window);
    input.onProgress?.({
      window: index + 1,
      windows: layout.length,
      isSharpe: window.isSharpe,
      oosSharpe: window.oosSharpe,
      baselineOosSharpe: window.baselineOosSharpe,
    });
  }

  const first = layout[0] as { isEnd: number };
  const last = layout[layout.length - 1] as { oosEnd: number };
  const cont = metricsOf(run(baseline, first.isEnd, last.oosEnd, capital));
  const ranges: Record<string, { low: number; high: number }> = {};
  for (const [k, s] of Object.entries(spaceSpec))
    if (s.type !== 'categorical' && s.high > s.low) ranges[k] = { low: s.low, high: s.high };
  const stability = parameterStability(
    windows.map((w) => w.tuned),
    ranges,
  );
  const meanOf = (x: readonly number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  return {
    account,
    sampler: samplerName,
    objective,
    mode,
    oosState,
    isWeeks,
    oosWeeks,
    trialsPerWindow: trials,
    seed,
    space: spaceSpec,
    baselineParams: baseline,
    windows,
    oos: {
      from: oosWeekDates[0] ?? '',
      to: windows[windows.length - 1]?.oosTo ?? '',
      weeks: oosWeekDates,
      tuned: tunedRet,
      baseline: baseRet,
      tunedEquity: tunedEq,
      baselineEquity: baseEq,
    },
    tunedMetrics: computeMetrics(tunedRet, { equity: tunedEq, initial: capital }),
    baselineMetrics: computeMetrics(baseRet, { equity: baseEq, initial: capital }),
    baselineContinuous: cont.metrics,
    diagnostics: {
      isOosGap: { mean: meanOf(windows.map((w) => w.gap)), perWindow: windows.map((w) => w.gap) },
      stability: { mean: stability.mean, perParam: stability.perParam },
      dsr: { mean: meanOf(windows.map((w) => w.dsr)), perWindow: windows.map((w) => w.dsr) },
      pbo: { mean: meanOf(windows.map((w) => w.pbo)), perWindow: windows.map((w) => w.pbo) },
    },
  };
}

function capScore(v: number): number {
  if (Number.isFinite(v)) return v;
  return v > 0 ? SCORE_CAP : -SCORE_CAP;
}

/** The baseline's values of the space's parameters. */
function project(p: ProtocolParams, space: SpaceSpec): Params {
  const out: Params = {};
  for (const k of Object.keys(space)) out[k] = (p as unknown as Record<string, number>)[k] as number;
  return out;
}

function sameParams(a: Params, b: Params): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Enqueues a known configuration when it fits the space (a custom space may exclude the baseline). */
function tryEnqueue(study: Study, params: Params): void {
  try {
    study.enqueue(params);
  } catch {
    // Outside the space: the study explores without it.
  }
}

/**
 * The documented NSGA-II pick: among Pareto trials whose IS max drawdown is within the account's limit,
 * the highest IS Sharpe; when none is within it, the smallest drawdown (ties: the lower trial number).
 * `metricsOf` gives a trial's IS metrics.
 */
export function pickParetoPoint(
  front: readonly TrialRecord[],
  metricsOf: (t: TrialRecord) => Pick<PerformanceMetrics, 'sharpe' | 'maxDrawdown'>,
  maxDrawdown: number,
): TrialRecord | undefined {
  const m = metricsOf;
  const within = front.filter((t) => m(t).maxDrawdown <= maxDrawdown);
  if (within.length > 0) return within.reduce((b, t) => (m(t).sharpe > m(b).sharpe ? t : b));
  return front.reduce<TrialRecord | undefined>(
    (b, t) => (b === undefined || m(t).maxDrawdown < m(b).maxDrawdown ? t : b),
    undefined,
  );
}
