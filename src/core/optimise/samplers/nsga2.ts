/**
 * NSGA-II (Deb et al. 2002) as an ask/tell sampler: generations of `populationSize` trials; parents chosen
 * by non-dominated rank and crowding distance under Deb's constrained domination (feasible beats
 * infeasible, smaller violation beats larger); children by binary tournament, crossover and mutation.
 *
 * Numeric crossover defaults to uniform crossover (swapping probability 0.5, as Optuna 3.1's default);
 * simulated binary crossover (jMetal's bounded form) is an option. On ZDT1-3 and DTLZ2 at 1,000 and
 * 5,000 evaluations uniform crossover gave a higher median hypervolume on every problem and budget
 * (ZDT2 at 5,000: ~0.84 vs ~0.50 of the front over 10 seeds) because it keeps whole genes of
 * non-dominated parents instead of pulling every gene towards the parents' midpoint, which on the concave
 * ZDT2 front let the population crowd onto the f1 = 0 end. Mutation defaults to polynomial mutation
 * (Optuna resamples the gene uniformly instead: `mutation: 'uniform'`, which was worse here); categorical
 * parameters always use uniform crossover and a uniform reset.
 *
 * Each trial carries its generation in `attrs.nsga`; the parent population is rebuilt from the trials, so a
 * restored study continues exactly. Finished trials without a generation (warm start) seed the first
 * parent population.
 */
import type { Rng } from '../../random.ts';
import { constrainedDominates, crowdingDistance, losses, nonDominatedSort, violation } from '../rank.ts';
import type { Dimension, Params } from '../space.ts';
import type { Json, Sampler, SamplerContext, Suggestion, TrialRecord } from '../types.ts';
import { randomParams, uniform } from './common.ts';

export interface Nsga2Options {
  /** @default 50 */
  readonly populationSize?: number;
  /** Probability that a child is a crossover of two parents (else a copy of one). @default 0.9 */
  readonly crossoverProb?: number;
  /** SBX distribution index (used when `crossover` is 'sbx'). @default 20 */
  readonly etaCrossover?: number;
  /** Per-parameter mutation probability. @default 1 / number of parameters */
  readonly mutationProb?: number;
  /** Polynomial-mutation distribution index. @default 20 */
  readonly etaMutation?: number;
  /** Numeric crossover: uniform (gene-wise swap) or simulated binary crossover. @default 'uniform' */
  readonly crossover?: 'sbx' | 'uniform';
  /** Per-parameter probability that uniform crossover takes the second parent's gene. @default 0.5 */
  readonly swappingProb?: number;
  /** Numeric mutation: polynomial perturbation or a uniform resample within the bounds. @default 'polynomial' */
  readonly mutation?: 'polynomial' | 'uniform';
  /** Parent tournament: rank then crowding, or Pareto domination only (Optuna 3.1). @default 'crowded' */
  readonly tournament?: 'crowded' | 'dominance';
}

interface Member {
  readonly trial: TrialRecord;
  rank: number;
  crowding: number;
  loss: number[];
  viol: number;
}

interface Cache {
  gen: number;
  parents: Member[];
  scanned: number;
  byGen: Map<number, TrialRecord[]>;
  seeded: boolean;
}

/**
 * NSGA-II sampler for multi-objective (and constrained) studies.
 *
 * @example
 * new Study({ space, directions: ['minimize', 'minimize'], sampler: new Nsga2Sampler(), seed: 1 });
 */
export class Nsga2Sampler implements Sampler {
  readonly name = 'nsga2';
  readonly populationSize: number;
  private readonly pc: number;
  private readonly etaC: number;
  private readonly pm: number | undefined;
  private readonly etaM: number;
  private readonly crossover: 'sbx' | 'uniform';
  private readonly swapP: number;
  private readonly mutation: 'polynomial' | 'uniform';
  private readonly tourn: 'crowded' | 'dominance';
  private readonly caches = new WeakMap<readonly TrialRecord[], Cache>();

  constructor(opts: Nsga2Options = {}) {
    this.populationSize = opts.populationSize ?? 50;
    this.pc = opts.crossoverProb ?? 0.9;
    this.etaC = opts.etaCrossover ?? 20;
    this.pm = opts.mutationProb;
    this.etaM = opts.etaMutation ?? 20;
    this.crossover = opts.crossover ?? 'uniform';
    this.swapP = opts.swappingProb ?? 0.5;
    this.mutation = opts.mutation ?? 'polynomial';
    this.tourn = opts.tournament ?? 'crowded';
    if (!(Number.isInteger(this.populationSize) && this.populationSize >= 2)) {
      throw new RangeError('populationSize: must be an integer >= 2');
    }
    if (!(this.pc >= 0 && this.pc <= 1)) throw new RangeError('crossoverProb: must be in [0, 1]');
    if (this.pm !== undefined && !(this.pm >= 0 && this.pm <= 1))
      throw new RangeError('mutationProb: must be in [0, 1]');
    if (!(this.swapP >= 0 && this.swapP <= 1)) throw new RangeError('swappingProb: must be in [0, 1]');
    if (!(this.etaC >= 0)) throw new RangeError('etaCrossover: must be >= 0');
    if (!(this.etaM >= 0)) throw new RangeError('etaMutation: must be >= 0');
    if (this.crossover !== 'uniform' && this.crossover !== 'sbx')
      throw new RangeError("crossover: must be 'uniform' or 'sbx'");
    if (this.mutation !== 'polynomial' && this.mutation !== 'uniform')
      throw new RangeError("mutation: must be 'polynomial' or 'uniform'");
    if (this.tourn !== 'crowded' && this.tourn !== 'dominance')
      throw new RangeError("tournament: must be 'crowded' or 'dominance'");
  }

  sample(ctx: SamplerContext): Suggestion {
    const cache = this.advance(ctx);
    const attrs: Record<string, Json> = { nsga: { g: cache.gen } };
    if (cache.parents.length < 2) return { params: randomParams(ctx.space, ctx.rng), attrs };
    const rng = ctx.rng;
    const p1 = tournament(cache.parents, rng, this.tourn).trial.params;
    const p2 = tournament(cache.parents, rng, this.tourn).trial.params;
    const dims = ctx.space.dims;
    const pm = this.pm ?? 1 / dims.length;
    const cross = rng() < this.pc;
    const internal: Record<string, number> = {};
    const swap = rng() < 0.5;
    for (const d of dims) {
      const a = internalOf(ctx, d, p1);
      const b = internalOf(ctx, d, p2);
      let x: number;
      if (a === undefined && b === undefined) x = uniform(d, rng);
      else if (a === undefined || b === undefined) x = (a ?? b) as number;
      else if (!cross) x = a;
      else if (d.categorical) x = rng() < 0.5 ? a : b;
      else if (this.crossover === 'uniform') x = uniformCrossover(a, b, this.swapP, rng);
      else x = sbx(a, b, d.low, d.high, this.etaC, rng, swap);
      if (rng() < pm)
        x =
          d.categorical || this.mutation === 'uniform'
            ? uniform(d, rng)
            : polynomialMutation(x, d.low, d.high, this.etaM, rng);
      internal[d.name] = x;
    }
    return { params: ctx.space.build(internal, (d) => uniform(d, rng)), attrs };
  }

  /** Folds every complete generation into the parent population; returns the cache at the open generation. */
  private advance(ctx: SamplerContext): Cache {
    let cache = this.caches.get(ctx.trials);
    if (!cache || cache.scanned > ctx.trials.length) {
      cache = { gen: 0, parents: [], scanned: 0, byGen: new Map(), seeded: false };
      this.caches.set(ctx.trials, cache);
    }
    for (; cache.scanned < ctx.trials.length; cache.scanned++) {
      const t = ctx.trials[cache.scanned] as TrialRecord;
      const g = genOf(t);
      if (g === undefined) continue;
      const list = cache.byGen.get(g) ?? [];
      list.push(t);
      cache.byGen.set(g, list);
    }
    if (!cache.seeded) {
      // Warm-start trials (no generation) made before the first NSGA-II trial form the initial parents.
      const first = ctx.trials.findIndex((t) => genOf(t) !== undefined);
      const before = (first < 0 ? ctx.trials : ctx.trials.slice(0, first)).filter(
        (t) => t.state !== 'running',
      );
      if (first >= 0 || before.length > 0) {
        cache.parents = this.select(ctx, [], before);
        cache.seeded = first >= 0;
      }
    }
    for (;;) {
      const members = cache.byGen.get(cache.gen) ?? [];
      if (members.length < this.populationSize || members.some((t) => t.state === 'running')) break;
      cache.parents = this.select(ctx, cache.parents, members);
      cache.gen++;
    }
    return cache;
  }

  private select(ctx: SamplerContext, parents: Member[], offspring: readonly TrialRecord[]): Member[] {
    const pool = [...parents.map((m) => m.trial), ...offspring.filter((t) => t.state === 'complete')];
    const seen = new Set<number>();
    const unique = pool.filter((t) => {
      if (seen.has(t.number)) return false;
      seen.add(t.number);
      return true;
    });
    const pts = unique.map((t) => losses(t, ctx.directions));
    const fronts = nonDominatedSort(
      pts,
      unique.map((t) => violation(t)),
    );
    const out: Member[] = [];
    for (let r = 0; r < fronts.length && out.length < this.populationSize; r++) {
      const f = fronts[r] as number[];
      const cd = crowdingDistance(pts, f);
      const sorted = [...f].sort((a, b) => (cd.get(b) as number) - (cd.get(a) as number) || a - b);
      for (const i of sorted) {
        if (out.length >= this.populationSize) break;
        out.push({
          trial: unique[i] as TrialRecord,
          rank: r,
          crowding: cd.get(i) as number,
          loss: pts[i] as number[],
          viol: violation(unique[i] as TrialRecord),
        });
      }
    }
    return out;
  }
}

function tournament(pop: readonly Member[], rng: Rng, kind: 'crowded' | 'dominance'): Member {
  const a = pop[Math.floor(rng() * pop.length)] as Member;
  const b = pop[Math.floor(rng() * pop.length)] as Member;
  if (kind === 'dominance') {
    if (constrainedDominates(a.loss, a.viol, b.loss, b.viol)) return a;
    if (constrainedDominates(b.loss, b.viol, a.loss, a.viol)) return b;
    return rng() < 0.5 ? a : b;
  }
  if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
  if (a.crowding !== b.crowding) return a.crowding > b.crowding ? a : b;
  return rng() < 0.5 ? a : b;
}

function genOf(t: TrialRecord): number | undefined {
  const g = (t.attrs.nsga as { g?: unknown } | undefined)?.g;
  return typeof g === 'number' ? g : undefined;
}

function internalOf(ctx: SamplerContext, d: Dimension, p: Params): number | undefined {
  if (!(d.name in p)) return undefined;
  return ctx.space.toInternal(d, p[d.name] as number);
}

/** Uniform crossover of one gene (Syswerda 1989): the second parent's value with probability `swappingProb`. */
export function uniformCrossover(a: number, b: number, swappingProb: number, rng: Rng): number {
  return rng() < swappingProb ? b : a;
}

/** Bounded simulated binary crossover (Deb & Agrawal 1995, jMetal's form); returns one child. */
export function sbx(
  a: number,
  b: number,
  lb: number,
  ub: number,
  eta: number,
  rng: Rng,
  second: boolean,
): number {
  if (rng() > 0.5 || Math.abs(a - b) <= 1e-14 || ub <= lb) return second ? b : a;
  const y1 = Math.min(a, b);
  const y2 = Math.max(a, b);
  const u = rng();
  const betaq = (beta: number) => {
    const alpha = 2 - beta ** -(eta + 1);
    return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
  };
  let c1 = 0.5 * (y1 + y2 - betaq(1 + (2 * (y1 - lb)) / (y2 - y1)) * (y2 - y1));
  let c2 = 0.5 * (y1 + y2 + betaq(1 + (2 * (ub - y2)) / (y2 - y1)) * (y2 - y1));
  c1 = Math.min(ub, Math.max(lb, c1));
  c2 = Math.min(ub, Math.max(lb, c2));
  return rng() < 0.5 !== second ? c1 : c2;
}

/** Bounded polynomial mutation (Deb & Goyal 1996, jMetal's form). */
export function polynomialMutation(y: number, lb: number, ub: number, eta: number, rng: Rng): number {
  if (ub <= lb) return y;
  const d1 = (y - lb) / (ub - lb);
  const d2 = (ub - y) / (ub - lb);
  const u = rng();
  const pow = 1 / (eta + 1);
  let dq: number;
  if (u <= 0.5) {
    const v = 2 * u + (1 - 2 * u) * (1 - d1) ** (eta + 1);
    dq = v ** pow - 1;
  } else {
    const v = 2 * (1 - u) + 2 * (u - 0.5) * (1 - d2) ** (eta + 1);
    dq = 1 - v ** pow;
  }
  return Math.min(ub, Math.max(lb, y + dq * (ub - lb)));
}
