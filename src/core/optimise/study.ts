/**
 * An ask/tell study: the optimisation loop with the objective outside it. `ask` proposes parameters,
 * `tell` records the outcome, `report` feeds intermediate values to the pruner. The study is plain data
 * (`toJSON`/`Study.fromJSON`), so a Step Functions run can store it between steps and resume it, and a
 * new study can be warm-started from an earlier one's trials.
 */
import { mulberry32 } from '../random.ts';
import { compareSingle, losses, nonDominatedSort, violation } from './rank.ts';
import { RandomSampler } from './samplers/random.ts';
import { TpeSampler } from './samplers/tpe.ts';
import { type Params, SearchSpace, SpaceError, type SpaceSpec } from './space.ts';
import type { Direction, Json, Pruner, Sampler, TrialRecord } from './types.ts';

/** Raised for a misuse of a study (unknown trial, wrong number of values, trial already finished). */
export class StudyError extends Error {
  override readonly name = 'StudyError';
}

export interface StudyOptions {
  readonly space: SearchSpace | SpaceSpec;
  /** One direction per objective. @default ['minimize'] */
  readonly directions?: readonly Direction[];
  /** @default TPE for one objective, random for several (pass an NSGA-II sampler for multi-objective work) */
  readonly sampler?: Sampler;
  readonly pruner?: Pruner;
  /** @default 0 */
  readonly seed?: number;
  readonly name?: string;
}

/** The outcome of a trial given to `tell`. */
export type TellResult =
  | number
  | readonly number[]
  | { readonly values: readonly number[]; readonly constraints?: readonly number[] };

/** Serialised study (version 1). */
export interface StudySnapshot {
  readonly version: 1;
  readonly name: string;
  readonly seed: number;
  readonly directions: readonly Direction[];
  readonly space: SpaceSpec;
  readonly sampler: string;
  readonly trials: readonly TrialRecord[];
}

/** A proposed trial handed to the objective. */
export interface AskedTrial {
  readonly number: number;
  readonly params: Params;
}

/** Mixes a study seed and a trial number into an independent 32-bit seed (splitmix-style finaliser). */
export function trialSeed(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * An optimisation study.
 *
 * @example
 * const study = new Study({ space: { x: { type: 'float', low: -5, high: 5 } }, seed: 1 });
 * for (let i = 0; i < 50; i++) {
 *   const t = study.ask();
 *   study.tell(t.number, (t.params.x as number) ** 2);
 * }
 * study.bestTrial?.params; // near { x: 0 }
 */
export class Study {
  readonly space: SearchSpace;
  readonly directions: readonly Direction[];
  readonly sampler: Sampler;
  readonly pruner: Pruner | undefined;
  readonly seed: number;
  readonly name: string;
  private readonly records: TrialRecord[] = [];
  private readonly queue: Params[] = [];

  constructor(opts: StudyOptions) {
    this.space = opts.space instanceof SearchSpace ? opts.space : new SearchSpace(opts.space);
    const directions = opts.directions ?? ['minimize'];
    if (directions.length === 0) throw new StudyError('directions: must name at least one objective');
    for (const d of directions) {
      if (d !== 'minimize' && d !== 'maximize') {
        throw new StudyError(`directions: ${JSON.stringify(d)} must be "minimize" or "maximize"`);
      }
    }
    this.directions = [...directions];
    const seed = opts.seed ?? 0;
    if (!Number.isInteger(seed)) throw new StudyError('seed: must be an integer');
    this.seed = seed >>> 0;
    this.sampler = opts.sampler ?? (directions.length === 1 ? new TpeSampler() : new RandomSampler());
    this.pruner = opts.pruner;
    this.name = opts.name ?? 'study';
  }

  /** Every trial, in number order (read-only view). */
  get trials(): readonly TrialRecord[] {
    return this.records;
  }

  /** Parameters to try next, before the sampler is consulted (e.g. a known good configuration). */
  enqueue(params: Params): void {
    this.space.validate(params);
    this.queue.push({ ...params });
  }

  /** Proposes the next trial and records it as running. */
  ask(): AskedTrial {
    const number = this.records.length;
    let params: Params;
    let attrs: Record<string, Json> = {};
    const queued = this.queue.shift();
    if (queued) {
      params = queued;
      attrs = { origin: 'enqueued' };
    } else {
      const s = this.sampler.sample({
        space: this.space,
        directions: this.directions,
        trials: this.records,
        number,
        rng: mulberry32(trialSeed(this.seed, number)),
        seed: this.seed,
      });
      params = s.params;
      attrs = { ...(s.attrs ?? {}) };
    }
    this.records.push({ number, state: 'running', params, intermediate: [], attrs });
    return { number, params: { ...params } };
  }

  /** Records the outcome of a running trial. Values must be finite numbers, one per direction. */
  tell(number: number, result: TellResult): TrialRecord {
    const t = this.running(number);
    const { values, constraints } = normaliseResult(result);
    if (values.length !== this.directions.length) {
      throw new StudyError(
        `tell(${number}).values: expected ${this.directions.length} value(s), got ${values.length}`,
      );
    }
    for (const v of values) {
      if (!Number.isFinite(v))
        throw new StudyError(`tell(${number}).values: ${v} is not a finite number (use fail())`);
    }
    if (constraints) {
      for (const c of constraints) {
        if (Number.isNaN(c)) throw new StudyError(`tell(${number}).constraints: NaN is not allowed`);
      }
      t.constraints = [...constraints];
    }
    t.values = [...values];
    t.state = 'complete';
    return t;
  }

  /** Marks a running trial as failed (the objective threw or returned no usable value). */
  fail(number: number, reason?: string): TrialRecord {
    const t = this.running(number);
    t.state = 'failed';
    if (reason !== undefined) t.error = reason;
    return t;
  }

  /**
   * Records an intermediate value of a running trial and returns whether the pruner says to stop it.
   * The trial stays running: call `prune(number)` to record the decision.
   */
  report(number: number, step: number, value: number): boolean {
    const t = this.running(number);
    if (!Number.isInteger(step) || step < 0)
      throw new StudyError(`report(${number}).step: must be an integer >= 0`);
    if (!Number.isFinite(value)) throw new StudyError(`report(${number}).value: must be a finite number`);
    if (this.directions.length !== 1) throw new StudyError('report: pruning needs a single-objective study');
    const i = t.intermediate.findIndex(([s]) => s === step);
    if (i >= 0) t.intermediate[i] = [step, value];
    else t.intermediate.push([step, value]);
    if (!this.pruner) return false;
    return this.pruner.shouldPrune({
      trial: t,
      trials: this.records,
      direction: this.directions[0] as Direction,
    });
  }

  /** Marks a running trial as pruned (stopped early on its intermediate values). */
  prune(number: number): TrialRecord {
    const t = this.running(number);
    t.state = 'pruned';
    return t;
  }

  /** The best complete trial of a single-objective study (feasible first), or undefined. */
  get bestTrial(): TrialRecord | undefined {
    if (this.directions.length !== 1)
      throw new StudyError('bestTrial: multi-objective study; use paretoFront');
    const done = this.records.filter((t) => t.state === 'complete');
    if (done.length === 0) return undefined;
    const dir = this.directions[0] as Direction;
    return done.reduce((best, t) => (compareSingle(t, best, dir) < 0 ? t : best));
  }

  /** Complete trials not dominated by any other (constrained domination: feasible trials first). */
  get paretoFront(): TrialRecord[] {
    const done = this.records.filter((t) => t.state === 'complete');
    if (done.length === 0) return [];
    const points = done.map((t) => losses(t, this.directions));
    const v = done.map((t) => violation(t));
    const first = nonDominatedSort(points, v)[0] ?? [];
    return first.map((i) => done[i] as TrialRecord).sort((a, b) => a.number - b.number);
  }

  /**
   * Copies finished trials from an earlier study (its `trials` or a snapshot's) into this one, so the
   * sampler starts from what is already known. Running trials are skipped; sampler bookkeeping is
   * dropped (it belonged to the earlier run). Parameters must fit this study's space.
   */
  warmStart(trials: readonly TrialRecord[]): number {
    let added = 0;
    for (const t of trials) {
      if (t.state === 'running') continue;
      try {
        this.space.validate(t.params);
      } catch (e) {
        throw new StudyError(`warmStart: trial ${t.number}: ${(e as Error).message}`);
      }
      if (t.state === 'complete' && (t.values?.length ?? 0) !== this.directions.length) {
        throw new StudyError(`warmStart: trial ${t.number}: expected ${this.directions.length} value(s)`);
      }
      const copy: TrialRecord = {
        number: this.records.length,
        state: t.state,
        params: { ...t.params },
        intermediate: t.intermediate.map(([s, v]) => [s, v]),
        attrs: { origin: 'warm-start', sourceNumber: t.number },
      };
      if (t.values) copy.values = [...t.values];
      if (t.constraints) copy.constraints = [...t.constraints];
      if (t.error !== undefined) copy.error = t.error;
      this.records.push(copy);
      added++;
    }
    return added;
  }

  /** Plain-data snapshot; `Study.fromJSON` restores it. */
  toJSON(): StudySnapshot {
    return {
      version: 1,
      name: this.name,
      seed: this.seed,
      directions: [...this.directions],
      space: this.space.spec,
      sampler: this.sampler.name,
      trials: structuredClone(this.records),
    };
  }

  /**
   * Restores a study from `toJSON()` output (after JSON.stringify/parse). Pass the same kind of
   * sampler to continue exactly as the original would have.
   */
  static fromJSON(snapshot: StudySnapshot, opts: { sampler?: Sampler; pruner?: Pruner } = {}): Study {
    if (snapshot?.version !== 1) throw new StudyError('snapshot.version: must be 1');
    if (!Array.isArray(snapshot.trials)) throw new StudyError('snapshot.trials: must be an array');
    const study = new Study({
      space: snapshot.space,
      directions: snapshot.directions,
      seed: snapshot.seed,
      name: snapshot.name,
      ...(opts.sampler ? { sampler: opts.sampler } : {}),
      ...(opts.pruner ? { pruner: opts.pruner } : {}),
    });
    snapshot.trials.forEach((t, i) => {
      if (t.number !== i) throw new StudyError(`snapshot.trials[${i}].number: must be ${i}`);
      try {
        study.space.validate(t.params);
      } catch (e) {
        if (e instanceof SpaceError) throw new StudyError(`snapshot.trials[${i}].params: ${e.message}`);
        throw e;
      }
      study.records.push(structuredClone(t));
    });
    return study;
  }

  private running(number: number): TrialRecord {
    const t = this.records[number];
    if (!t) throw new StudyError(`trial ${number}: no such trial`);
    if (t.state !== 'running') throw new StudyError(`trial ${number}: already ${t.state}`);
    return t;
  }
}

function normaliseResult(r: TellResult): { values: readonly number[]; constraints?: readonly number[] } {
  if (typeof r === 'number') return { values: [r] };
  if (Array.isArray(r)) return { values: r as readonly number[] };
  const o = r as { values: readonly number[]; constraints?: readonly number[] };
  if (!o || !Array.isArray(o.values))
    throw new StudyError('tell: result must be a number, an array or { values }');
  return o.constraints ? { values: o.values, constraints: o.constraints } : { values: o.values };
}
