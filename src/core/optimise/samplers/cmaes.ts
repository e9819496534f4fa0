/**
 * CMA-ES (Hansen's "The CMA Evolution Strategy: A Tutorial", 2016 defaults) as an ask/tell sampler over
 * the always-active numeric parameters, scaled to [0, 1]; categorical and conditional parameters are
 * drawn at random. Out-of-bounds candidates are resampled (then clipped), as the `cmaes` package does.
 * Optional IPOP restarts (population doubled) when the step size collapses.
 *
 * State is a function of the trials: each trial carries its generation and index in `attrs.cma`, and
 * the distribution is rebuilt by replaying finished generations, so a restored study continues exactly.
 */
import type { Rng } from '../../random.ts';
import { normal } from '../../random.ts';
import { symmetricEigen } from '../linalg.ts';
import { compareSingle } from '../rank.ts';
import type { Dimension, Params } from '../space.ts';
import type { Direction, Json, Sampler, SamplerContext, Suggestion, TrialRecord } from '../types.ts';
import { rankedObservations, uniform } from './common.ts';

export interface CmaEsOptions {
  /** Initial step size on the [0,1]-scaled space. @default 1/6 */
  readonly sigma0?: number;
  /** Population size. @default 4 + floor(3 ln d) */
  readonly popsize?: number;
  /** Restart with a doubled population when the search has converged. @default false */
  readonly restarts?: boolean;
}

interface CmaState {
  readonly n: number;
  lambda: number;
  mean: Float64Array;
  sigma: number;
  C: Float64Array;
  pc: Float64Array;
  ps: Float64Array;
  B: Float64Array;
  D: Float64Array;
  gen: number;
  restart: number;
  /** Generation number at which the current restart began (for hsig's bias correction). */
  startGen: number;
}

interface Cache {
  state: CmaState;
  /** Generations already folded into `state`. */
  done: number;
  dimsKey: string;
}

function newState(
  n: number,
  lambda: number,
  mean: Float64Array,
  sigma: number,
  gen: number,
  restart: number,
): CmaState {
  const C = new Float64Array(n * n);
  const B = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    C[i * n + i] = 1;
    B[i * n + i] = 1;
  }
  return {
    n,
    lambda,
    mean,
    sigma,
    C,
    pc: new Float64Array(n),
    ps: new Float64Array(n),
    B,
    D: new Float64Array(n).fill(1),
    gen,
    restart,
    startGen: gen,
  };
}

/**
 * CMA-ES sampler (single objective).
 *
 * @example
 * new Study({ space, sampler: new CmaEsSampler({ restarts: true }), seed: 3 });
 */
export class CmaEsSampler implements Sampler {
  readonly name = 'cmaes';
  private readonly sigma0: number;
  private readonly popsize: number | undefined;
  private readonly restarts: boolean;
  private readonly caches = new WeakMap<readonly TrialRecord[], Cache>();

  constructor(opts: CmaEsOptions = {}) {
    this.sigma0 = opts.sigma0 ?? 1 / 6;
    this.popsize = opts.popsize;
    this.restarts = opts.restarts ?? false;
    if (!(this.sigma0 > 0)) throw new RangeError('sigma0: must be > 0');
    if (this.popsize !== undefined && !(Number.isInteger(this.popsize) && this.popsize >= 2)) {
      throw new RangeError('popsize: must be an integer >= 2');
    }
  }

  sample(ctx: SamplerContext): Suggestion {
    if (ctx.directions.length !== 1) throw new RangeError('CmaEsSampler: single-objective studies only');
    const dims = ctx.space.dims.filter((d) => !d.categorical && !d.spec.when);
    if (dims.length === 0) {
      return { params: ctx.space.build({}, (d) => uniform(d, ctx.rng)) };
    }
    const state = this.replay(ctx, dims);
    const lambda = state.lambda;
    const asked = ctx.trials.filter((t) => cmaOf(t)?.g === state.gen).length;
    const k = asked;
    const x = this.candidate(state, ctx.rng);
    const internal: Record<string, number> = {};
    dims.forEach((d, i) => {
      internal[d.name] = d.low + (x[i] as number) * (d.high - d.low);
    });
    const params = ctx.space.build(internal, (d) => uniform(d, ctx.rng));
    const attrs: Record<string, Json> = { cma: { g: state.gen, k, r: state.restart, lambda } };
    return { params, attrs };
  }

  private candidate(s: CmaState, rng: Rng): Float64Array {
    const n = s.n;
    const x = new Float64Array(n);
    for (let attempt = 0; attempt < 100; attempt++) {
      const z = new Float64Array(n);
      for (let i = 0; i < n; i++) z[i] = (s.D[i] as number) * normal(rng);
      let inside = true;
      for (let i = 0; i < n; i++) {
        let y = 0;
        for (let j = 0; j < n; j++) y += (s.B[i * n + j] as number) * (z[j] as number);
        const v = (s.mean[i] as number) + s.sigma * y;
        x[i] = v;
        if (v < 0 || v > 1) inside = false;
      }
      if (inside) return x;
    }
    for (let i = 0; i < n; i++) x[i] = Math.min(1, Math.max(0, x[i] as number));
    return x;
  }

  private initial(ctx: SamplerContext, dims: Dimension[]): CmaState {
    const n = dims.length;
    const lambda = this.popsize ?? 4 + Math.floor(3 * Math.log(n));
    const mean = new Float64Array(n).fill(0.5);
    // Warm start: centre the first distribution on the best trial made before CMA-ES took over.
    const firstCma = ctx.trials.find((t) => cmaOf(t) !== undefined)?.number ?? ctx.trials.length;
    const earlier = rankedObservations(
      ctx.trials.filter((t) => t.number < firstCma),
      ctx.directions,
    ).filter((t) => dims.every((d) => d.name in t.params));
    const best = earlier[0];
    if (best) {
      dims.forEach((d, i) => {
        mean[i] = scaled(ctx, d, best.params);
      });
    }
    return newState(n, lambda, mean, this.sigma0, 0, 0);
  }

  private replay(ctx: SamplerContext, dims: Dimension[]): CmaState {
    const key = dims.map((d) => d.name).join('\u0000');
    let cache = this.caches.get(ctx.trials);
    if (!cache || cache.dimsKey !== key) {
      cache = { state: this.initial(ctx, dims), done: 0, dimsKey: key };
      this.caches.set(ctx.trials, cache);
    }
    const dir = ctx.directions[0] as Direction;
    for (;;) {
      const s = cache.state;
      const members = ctx.trials.filter((t) => {
        const c = cmaOf(t);
        return c !== undefined && c.g === s.gen && c.k < s.lambda;
      });
      if (members.length < s.lambda || members.some((t) => t.state === 'running')) break;
      members.sort((a, b) => compareSingle(failedLast(a), failedLast(b), dir));
      const xs = members.map((t) => Float64Array.from(dims, (d) => scaled(ctx, d, t.params)));
      this.update(s, xs);
      cache.done++;
      if (this.restarts && converged(s)) {
        const lambda = s.lambda * 2;
        const rng = mutateSeed(ctx.seed, s.gen);
        const mean = Float64Array.from({ length: s.n }, () => rng());
        cache.state = newState(s.n, lambda, mean, this.sigma0 * 2, s.gen, s.restart + 1);
      }
    }
    return cache.state;
  }

  private update(s: CmaState, xs: Float64Array[]): void {
    const n = s.n;
    const lambda = s.lambda;
    const mu = Math.floor(lambda / 2);
    const rawW = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
    const wsum = rawW.reduce((a, b) => a + b, 0);
    const w = rawW.map((v) => v / wsum);
    const mueff = 1 / w.reduce((a, b) => a + b * b, 0);
    const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
    const cs = (mueff + 2) / (n + mueff + 5);
    const c1 = 2 / ((n + 1.3) ** 2 + mueff);
    const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
    const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
    const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    const ys = xs
      .slice(0, mu)
      .map((x) => Float64Array.from(x, (v, i) => (v - (s.mean[i] as number)) / s.sigma));
    const yw = new Float64Array(n);
    ys.forEach((y, k) => {
      for (let i = 0; i < n; i++) yw[i] = (yw[i] as number) + (w[k] as number) * (y[i] as number);
    });
    for (let i = 0; i < n; i++) s.mean[i] = (s.mean[i] as number) + s.sigma * (yw[i] as number);
    // C^{-1/2} yw = B D^{-1} Bᵀ yw
    const t = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let i = 0; i < n; i++) v += (s.B[i * n + j] as number) * (yw[i] as number);
      t[j] = v / (s.D[j] as number);
    }
    const csn = Math.sqrt(cs * (2 - cs) * mueff);
    let psNorm = 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += (s.B[i * n + j] as number) * (t[j] as number);
      s.ps[i] = (1 - cs) * (s.ps[i] as number) + csn * v;
      psNorm += (s.ps[i] as number) ** 2;
    }
    psNorm = Math.sqrt(psNorm);
    const g = s.gen - s.startGen + 1;
    const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * g)) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
    const ccn = Math.sqrt(cc * (2 - cc) * mueff);
    for (let i = 0; i < n; i++) s.pc[i] = (1 - cc) * (s.pc[i] as number) + hsig * ccn * (yw[i] as number);
    const decay = 1 - c1 - cmu + (1 - hsig) * c1 * cc * (2 - cc);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let r = 0;
        ys.forEach((y, k) => {
          r += (w[k] as number) * (y[i] as number) * (y[j] as number);
        });
        const v =
          decay * (s.C[i * n + j] as number) + c1 * (s.pc[i] as number) * (s.pc[j] as number) + cmu * r;
        s.C[i * n + j] = v;
        s.C[j * n + i] = v;
      }
    }
    s.sigma *= Math.exp((cs / damps) * (psNorm / chiN - 1));
    s.sigma = Math.min(s.sigma, 1e3);
    const { values, vectors } = symmetricEigen(s.C, n);
    for (let i = 0; i < n; i++) s.D[i] = Math.sqrt(Math.max(values[i] as number, 1e-20));
    s.B = vectors;
    s.gen++;
  }
}

function converged(s: CmaState): boolean {
  let maxD = 0;
  let minD = Number.POSITIVE_INFINITY;
  for (const d of s.D) {
    maxD = Math.max(maxD, d);
    minD = Math.min(minD, d);
  }
  return s.sigma * maxD < 1e-9 || maxD / minD > 1e7;
}

function mutateSeed(seed: number, gen: number): Rng {
  let a = (seed ^ Math.imul(gen + 17, 0x27d4eb2d)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cmaOf(t: TrialRecord): { g: number; k: number } | undefined {
  const c = t.attrs.cma as { g?: unknown; k?: unknown } | undefined;
  if (!c || typeof c.g !== 'number' || typeof c.k !== 'number') return undefined;
  return { g: c.g, k: c.k };
}

function failedLast(t: TrialRecord): TrialRecord {
  return t.state === 'failed' ? { ...t, state: 'pruned', intermediate: [] } : t;
}

function scaled(ctx: SamplerContext, d: Dimension, params: Params): number {
  const v = ctx.space.toInternal(d, params[d.name] as number);
  return d.high === d.low ? 0.5 : (v - d.low) / (d.high - d.low);
}
