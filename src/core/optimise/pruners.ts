/**
 * Pruners: stop unpromising trials early from their intermediate values.
 * - MedianPruner: Optuna's rule — after warm-up, prune when the trial's best value so far is worse than the
 *   median of other complete trials' values at the same step.
 * - SuccessiveHalvingPruner: asynchronous successive halving (Li et al. 2020, as in Optuna): at rung
 *   steps minResource·η^(r+s), keep a trial only if it is in the top 1/η of the trials that reached the rung.
 * Both are stateless: decisions are recomputed from the trials' intermediate values.
 */
import type { Direction, Pruner, PrunerContext, TrialRecord } from './types.ts';

export interface MedianPrunerOptions {
  /** Complete trials needed before pruning starts. @default 5 */
  readonly nStartupTrials?: number;
  /** Steps of a trial that are never pruned. @default 0 */
  readonly nWarmupSteps?: number;
  /** Prune only every this many steps (from the warm-up). @default 1 */
  readonly intervalSteps?: number;
  /** Complete trials that reported at this step needed to compare. @default 1 */
  readonly nMinTrials?: number;
}

function valueAt(t: TrialRecord, step: number): number | undefined {
  for (const [s, v] of t.intermediate) if (s === step) return v;
  return undefined;
}

function lastStep(t: TrialRecord): [number, number] | undefined {
  let best: [number, number] | undefined;
  for (const e of t.intermediate) if (!best || e[0] > best[0]) best = e;
  return best;
}

/**
 * Median pruner.
 *
 * @example
 * const study = new Study({ space, pruner: new MedianPruner({ nWarmupSteps: 2 }) });
 * if (study.report(t.number, step, loss)) study.prune(t.number);
 */
export class MedianPruner implements Pruner {
  readonly name = 'median';
  private readonly nStartup: number;
  private readonly nWarmup: number;
  private readonly interval: number;
  private readonly nMin: number;

  constructor(opts: MedianPrunerOptions = {}) {
    this.nStartup = opts.nStartupTrials ?? 5;
    this.nWarmup = opts.nWarmupSteps ?? 0;
    this.interval = opts.intervalSteps ?? 1;
    this.nMin = opts.nMinTrials ?? 1;
    if (!(Number.isInteger(this.nStartup) && this.nStartup >= 0))
      throw new RangeError('nStartupTrials: must be an integer >= 0');
    if (!(Number.isInteger(this.nWarmup) && this.nWarmup >= 0))
      throw new RangeError('nWarmupSteps: must be an integer >= 0');
    if (!(Number.isInteger(this.interval) && this.interval >= 1))
      throw new RangeError('intervalSteps: must be an integer >= 1');
    if (!(Number.isInteger(this.nMin) && this.nMin >= 1))
      throw new RangeError('nMinTrials: must be an integer >= 1');
  }

  shouldPrune(ctx: PrunerContext): boolean {
    const last = lastStep(ctx.trial);
    if (!last) return false;
    const [step] = last;
    if (step < this.nWarmup) return false;
    if ((step - this.nWarmup) % this.interval !== 0) return false;
    const complete = ctx.trials.filter((t) => t.state === 'complete' && t.number !== ctx.trial.number);
    if (complete.length < this.nStartup) return false;
    const others = complete.map((t) => valueAt(t, step)).filter((v): v is number => v !== undefined);
    if (others.length < this.nMin || others.length === 0) return false;
    const sign = ctx.direction === 'maximize' ? -1 : 1;
    // The trial's best value up to this step, as Optuna compares.
    let best = Number.POSITIVE_INFINITY;
    for (const [s, v] of ctx.trial.intermediate) if (s <= step) best = Math.min(best, sign * v);
    return best > median(others.map((v) => sign * v));
  }
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : 0.5 * ((s[m - 1] as number) + (s[m] as number));
}

export interface SuccessiveHalvingOptions {
  /** Step of the first rung. @default 1 */
  readonly minResource?: number;
  /** η: the fraction 1/η of trials kept at each rung. @default 4 */
  readonly reductionFactor?: number;
  /** s: the first rung is at minResource·η^s. @default 0 */
  readonly minEarlyStoppingRate?: number;
}

/**
 * Asynchronous successive halving pruner.
 *
 * @example
 * new Study({ space, pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }) });
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'successive-halving';
  private readonly minResource: number;
  private readonly eta: number;
  private readonly s: number;

  constructor(opts: SuccessiveHalvingOptions = {}) {
    this.minResource = opts.minResource ?? 1;
    this.eta = opts.reductionFactor ?? 4;
    this.s = opts.minEarlyStoppingRate ?? 0;
    if (!(this.minResource > 0)) throw new RangeError('minResource: must be > 0');
    if (!(this.eta >= 2)) throw new RangeError('reductionFactor: must be >= 2');
    if (!(Number.isInteger(this.s) && this.s >= 0))
      throw new RangeError('minEarlyStoppingRate: must be an integer >= 0');
  }

  /** Step of rung r. */
  rungStep(r: number): number {
    return this.minResource * this.eta ** (r + this.s);
  }

  shouldPrune(ctx: PrunerContext): boolean {
    const last = lastStep(ctx.trial);
    if (!last) return false;
    const step = last[0];
    const sign = ctx.direction === 'maximize' ? -1 : 1;
    // Only the rung just reached is decided (earlier rungs were decided when they were reached).
    let rung = -1;
    while (this.rungStep(rung + 1) <= step) rung++;
    if (rung < 0) return false;
    const rs = this.rungStep(rung);
    const prevStepReached = ctx.trial.intermediate.some(([s]) => s >= rs && s < step);
    if (prevStepReached) return false;
    const mine = rungValue(ctx.trial, rs);
    if (mine === undefined) return false;
    const competing: number[] = [sign * mine];
    for (const t of ctx.trials) {
      if (t.state === 'failed' || t.number === ctx.trial.number) continue;
      const v = rungValue(t, rs);
      if (v !== undefined) competing.push(sign * v);
    }
    return !promotable(sign * mine, competing, this.eta);
  }
}

/** A trial's value at a rung: the value reported at the first step at or after the rung step. */
function rungValue(t: TrialRecord, rungStep: number): number | undefined {
  let at: [number, number] | undefined;
  for (const e of t.intermediate) if (e[0] >= rungStep && (!at || e[0] < at[0])) at = e;
  return at?.[1];
}

/** Optuna's rule: promotable when within the best ⌊n/η⌋ (the very best while fewer than η compete). */
function promotable(value: number, competing: number[], eta: number): boolean {
  let idx = Math.floor(competing.length / eta) - 1;
  if (idx < 0) idx = 0;
  const sorted = [...competing].sort((a, b) => a - b);
  return value <= (sorted[idx] as number);
}

export type { Direction };
