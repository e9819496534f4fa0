/**
 * From a walk-forward result to a parameter proposal with a confidence and the protocol's oversight tier
 * (design: >= 0.9 automatic, 0.8-0.9 supervised, 0.7-0.8 needs approval, < 0.7 a human decides).
 *
 * Confidence = P(beat) × (1 − PBO), where
 *   - P(beat) is the probability that the tuned procedure's OOS Sharpe exceeds the baseline's on the same
 *     weeks, by a paired circular block bootstrap over the stitched OOS weeks (blocks keep the weekly
 *     returns' short-range dependence; the pairing keeps the market common to both);
 *   - PBO is the mean per-window probability of backtest overfitting (CSCV over the IS trials): the chance
 *     that the in-sample selection picks a configuration that is worse than the median out of sample.
 * Treating the two as independent is an approximation; the product is deliberately conservative, because
 * a confidence >= 0.9 changes a live protocol without a human. The DSR is reported but not multiplied in:
 * it tests the IS Sharpe against zero skill, not the tuned procedure against the baseline.
 *
 * A proposal that does not beat the baseline out of sample (tuned OOS Sharpe <= baseline OOS Sharpe) is
 * never applied automatically: its tier is `human-decides` whatever the confidence, and its summary says so.
 */
import {
  BASELINE_PARAMS,
  type PerformanceMetrics,
  type ProtocolParams,
  withTrialParams,
} from '../backtest/index.ts';
import type { AccountType } from '../events/constants.ts';
import type { SpaceSpec } from '../optimise/index.ts';
import { mulberry32, randomInt } from '../random.ts';
import { TuningError } from './overfitting.ts';
import type { TuningSampler, WalkForwardResult } from './walk-forward.ts';

/** The protocol's oversight tiers, from most to least automatic. */
export const OVERSIGHT_TIERS = ['auto-apply', 'apply-and-notify', 'needs-approval', 'human-decides'] as const;
export type OversightTier = (typeof OVERSIGHT_TIERS)[number];

/** The product's stated goal: OOS risk-adjusted return (Sharpe) above the baseline's by more than this, %. */
export const IMPROVEMENT_GOAL_PCT = 15;

/**
 * The oversight tier of a confidence: >= 0.9 auto-apply, [0.8, 0.9) apply-and-notify, [0.7, 0.8)
 * needs-approval, < 0.7 human-decides.
 */
export function oversightTier(confidence: number): OversightTier {
  if (!(typeof confidence === 'number' && confidence >= 0 && confidence <= 1))
    throw new TuningError(`confidence must be a number in [0, 1], got ${String(confidence)}`);
  if (confidence >= 0.9) return 'auto-apply';
  if (confidence >= 0.8) return 'apply-and-notify';
  if (confidence >= 0.7) return 'needs-approval';
  return 'human-decides';
}

/** Options of {@link pairedBootstrap}. */
export interface BootstrapOptions {
  /** @default 2000 */
  readonly resamples?: number;
  /** Circular block length in weeks. @default max(1, round(T^(1/3))) */
  readonly blockLength?: number;
  /** @default 0 */
  readonly seed?: number;
}

function sharpeAt(x: readonly number[], idx: Int32Array): number {
  let s = 0;
  for (const i of idx) s += x[i] as number;
  const m = s / idx.length;
  let v = 0;
  for (const i of idx) v += ((x[i] as number) - m) ** 2;
  const sd = Math.sqrt(v / (idx.length - 1));
  return sd > 0 ? m / sd : 0;
}

/**
 * Probability that series `a` has a higher Sharpe ratio than series `b` (paired: the same weeks), by a
 * circular block bootstrap; ties count one half, so two identical series give exactly 0.5.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions = {},
): { probability: number; resamples: number; blockLength: number } {
  if (!Array.isArray(a) || a.length < 2)
    throw new TuningError(`a must hold at least 2 returns, got ${a?.length}`);
  if (!Array.isArray(b) || b.length !== a.length)
    throw new TuningError(`b must have the same length as a (${a.length}), got ${b?.length}`);
  for (const [i, v] of [...a, ...b].entries())
    if (!Number.isFinite(v))
      throw new TuningError(
        `${i < a.length ? `a[${i}]` : `b[${i - a.length}]`} must be a finite number, got ${v}`,
      );
  const t = a.length;
  const resamples = opts.resamples ?? 2000;
  if (!(Number.isInteger(resamples) && resamples >= 1))
    throw new TuningError(`resamples must be an integer >= 1, got ${resamples}`);
  const blockLength = opts.blockLength ?? Math.max(1, Math.round(t ** (1 / 3)));
  if (!(Number.isInteger(blockLength) && blockLength >= 1 && blockLength <= t))
    throw new TuningError(`blockLength must be an integer in [1, ${t}], got ${blockLength}`);
  const rng = mulberry32(opts.seed ?? 0);
  const idx = new Int32Array(t);
  let wins = 0;
  for (let r = 0; r < resamples; r++) {
    for (let k = 0; k < t; ) {
      const start = randomInt(rng, t);
      for (let j = 0; j < blockLength && k < t; j++, k++) idx[k] = (start + j) % t;
    }
    const d = sharpeAt(a, idx) - sharpeAt(b, idx);
    if (d > 0) wins += 1;
    else if (d === 0) wins += 0.5;
  }
  return { probability: wins / resamples, resamples, blockLength };
}

/** How the proposal's parameters are derived from the windows. */
export type ProposalRule = 'last-window' | 'consensus';

export interface ProposalOptions {
  /**
   * `last-window` (default): the most recent window's choice, tuned on the latest data, which is what the
   * walk-forward procedure would deploy next. `consensus`: per parameter, the median of every window's
   * choice snapped to the space's grid (deltaMax raised to deltaMin if they cross): steadier, but a
   * configuration no window actually tested.
   */
  readonly rule?: ProposalRule;
  readonly bootstrap?: BootstrapOptions;
}

/** A parameter change and its evidence, handled by the protocol's oversight tiers. */
export interface ParameterProposal {
  readonly account: AccountType;
  readonly rule: ProposalRule;
  readonly params: ProtocolParams;
  readonly baselineParams: ProtocolParams;
  /** Parameters whose proposed value differs from the baseline. */
  readonly changes: readonly { readonly name: string; readonly from: number; readonly to: number }[];
  readonly oos: {
    readonly from: string;
    readonly to: string;
    readonly weeks: number;
    readonly tuned: PerformanceMetrics;
    readonly baseline: PerformanceMetrics;
  };
  readonly improvement: {
    /** Tuned minus baseline OOS Sharpe (annualised). */
    readonly sharpeDelta: number;
    /** sharpeDelta / |baseline Sharpe| × 100; null when the baseline Sharpe is 0. */
    readonly sharpePct: number | null;
    /** sharpePct above {@link IMPROVEMENT_GOAL_PCT}. */
    readonly meetsGoal: boolean;
  };
  readonly evidence: {
    readonly pBeat: number;
    readonly pbo: number;
    readonly dsrMean: number;
    readonly isOosGapMean: number;
    readonly stabilityMean: number;
    readonly windows: number;
    readonly trialsPerWindow: number;
    readonly sampler: TuningSampler;
  };
  /** P(beat) × (1 − PBO), in [0, 1]. */
  readonly confidence: number;
  readonly tier: OversightTier;
  readonly beatsBaseline: boolean;
  /** One plain sentence; says so when the proposal does not beat the baseline. */
  readonly summary: string;
}

function snap(spec: SpaceSpec[string], v: number): number {
  if (spec.type === 'categorical') return v;
  const step = spec.type === 'int' ? (spec.step ?? 1) : spec.step;
  let x = step ? spec.low + Math.round((v - spec.low) / step) * step : v;
  if (spec.type === 'int') x = Math.round(x);
  return Math.min(spec.high, Math.max(spec.low, x));
}

function consensus(result: WalkForwardResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, spec] of Object.entries(result.space)) {
    const v = result.windows.map((w) => w.tuned[k] as number).sort((x, y) => x - y);
    const mid = Math.floor(v.length / 2);
    const med = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
    out[k] = snap(spec, med);
  }
  if (out.deltaMin !== undefined && out.deltaMax !== undefined && out.deltaMin > out.deltaMax)
    out.deltaMax = out.deltaMin;
  return out;
}

const f2 = (x: number) => x.toFixed(2);

/**
 * Turns a walk-forward result into a parameter proposal (see the module comment for the confidence and
 * the tier rules).
 *
 * @example
 * const p = proposeParameters(walkForward({ bars, vix, account: 'REV' }));
 * if (p.tier === 'auto-apply') apply(p.params);
 */
export function proposeParameters(result: WalkForwardResult, opts: ProposalOptions = {}): ParameterProposal {
  if (!result || !Array.isArray(result.windows) || result.windows.length === 0)
    throw new TuningError('result.windows must hold at least 1 window');
  const rule = opts.rule ?? 'last-window';
  if (rule !== 'last-window' && rule !== 'consensus')
    throw new TuningError(`rule must be 'last-window' or 'consensus', got ${String(rule)}`);
  const base = result.baselineParams ?? BASELINE_PARAMS[result.account];
  const last = result.windows[result.windows.length - 1] as WalkForwardResult['windows'][number];
  const params = rule === 'last-window' ? last.params : withTrialParams(base, consensus(result));
  const changes = Object.keys(base)
    .filter(
      (k) =>
        (params as unknown as Record<string, number>)[k] !== (base as unknown as Record<string, number>)[k],
    )
    .map((k) => ({
      name: k,
      from: (base as unknown as Record<string, number>)[k] as number,
      to: (params as unknown as Record<string, number>)[k] as number,
    }));
  const tuned = result.tunedMetrics;
  const baseline = result.baselineMetrics;
  const sharpeDelta = tuned.sharpe - baseline.sharpe;
  const sharpePct =
    Math.abs(baseline.sharpe) > 1e-12 ? (sharpeDelta / Math.abs(baseline.sharpe)) * 100 : null;
  const pBeat = pairedBootstrap(result.oos.tuned, result.oos.baseline, opts.bootstrap).probability;
  const pbo = result.diagnostics.pbo.mean;
  const confidence = Math.min(1, Math.max(0, pBeat * (1 - pbo)));
  const beatsBaseline = tuned.sharpe > baseline.sharpe;
  const tier = beatsBaseline ? oversightTier(confidence) : 'human-decides';
  const weeks = result.oos.tuned.length;
  const cmp = `Sharpe ${f2(tuned.sharpe)} vs ${f2(baseline.sharpe)} over ${weeks} OOS weeks`;
  const pct = sharpePct === null ? '' : `, ${sharpePct >= 0 ? '+' : ''}${sharpePct.toFixed(1)} %`;
  let summary: string;
  if (!beatsBaseline) {
    summary = `The walk-forward tuned parameters do not beat the baseline out of sample (${cmp}${pct}): keep the baseline; a human decides.`;
  } else if (changes.length === 0) {
    summary = `The tuning procedure beat the baseline out of sample (${cmp}${pct}), but its current choice equals the baseline: nothing to change.`;
  } else {
    summary = `The walk-forward tuned parameters beat the baseline out of sample (${cmp}${pct}); confidence ${f2(confidence)} (P(beat) ${f2(pBeat)}, PBO ${f2(pbo)}): ${tier}.`;
  }
  return {
    account: result.account,
    rule,
    params,
    baselineParams: base,
    changes,
    oos: { from: result.oos.from, to: result.oos.to, weeks, tuned, baseline },
    improvement: {
      sharpeDelta,
      sharpePct,
      meetsGoal: sharpePct !== null && sharpePct > IMPROVEMENT_GOAL_PCT,
    },
    evidence: {
      pBeat,
      pbo,
      dsrMean: result.diagnostics.dsr.mean,
      isOosGapMean: result.diagnostics.isOosGap.mean,
      stabilityMean: result.diagnostics.stability.mean,
      windows: result.windows.length,
      trialsPerWindow: result.trialsPerWindow,
      sampler: result.sampler,
    },
    confidence,
    tier,
    beatsBaseline,
    summary,
  };
}
