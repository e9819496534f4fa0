/**
 * Shared types of the optimiser: trials, sampler and pruner contracts.
 */
import type { Rng } from '../random.ts';
import type { Params, SearchSpace } from './space.ts';

export type Direction = 'minimize' | 'maximize';
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

/** A JSON value, for sampler bookkeeping kept on a trial (so a study serialises with it). */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** One trial as the study records it. Plain data: it serialises to JSON as is. */
export interface TrialRecord {
  readonly number: number;
  state: TrialState;
  readonly params: Params;
  /** Objective values, one per direction (complete trials). */
  values?: number[];
  /** Constraint values: feasible when every one is <= 0. */
  constraints?: number[];
  /** Intermediate values reported for pruning, as [step, value] in report order. */
  intermediate: Array<[number, number]>;
  /** Sampler bookkeeping (e.g. NSGA-II generation), and `origin` for warm-started trials. */
  attrs: Record<string, Json>;
  error?: string;
}

/** What a sampler sees when asked for a new trial. */
export interface SamplerContext {
  readonly space: SearchSpace;
  readonly directions: readonly Direction[];
  /** Every trial so far, in number order (the new one is not included). */
  readonly trials: readonly TrialRecord[];
  /** Number of the trial being sampled. */
  readonly number: number;
  /** Generator seeded from (study seed, trial number): a sampler using only this and `trials` is reproducible. */
  readonly rng: Rng;
  readonly seed: number;
}

export interface Suggestion {
  readonly params: Params;
  readonly attrs?: Record<string, Json>;
}

/**
 * A sampler proposes the parameters of the next trial. Its output must depend only on the context
 * (caches are allowed but must be rebuilt from `trials` when they do not match), so that a study
 * restored from JSON continues exactly as the uninterrupted study would.
 */
export interface Sampler {
  readonly name: string;
  sample(ctx: SamplerContext): Suggestion;
}

export interface PrunerContext {
  readonly trial: TrialRecord;
  readonly trials: readonly TrialRecord[];
  readonly direction: Direction;
}

/** A pruner decides, after each intermediate report, whether a running trial should stop. */
export interface Pruner {
  readonly name: string;
  shouldPrune(ctx: PrunerContext): boolean;
}
