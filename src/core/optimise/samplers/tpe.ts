/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), independent and multivariate (Falkner et al.
 * 2018), with Optuna 3.x's defaults: 10 random start-up trials, gamma(n) = min(ceil(0.1 n), 25), a prior
 * component at the centre with the full range as its width, the "magic clip" floor on bandwidths,
 * older "above" observations ramped down in weight, and 24 expected-improvement candidates drawn from l(x).
 *
 * Written here rather than taken from npm: no maintained JavaScript TPE exists (hyperopt and Optuna are
 * Python), and the study must stay pure and serialisable for the Lambda/Step Functions loop.
 */
import type { Rng } from '../../random.ts';
import { normal } from '../../random.ts';
import type { Dimension, Params } from '../space.ts';
import type { Sampler, SamplerContext, Suggestion, TrialRecord } from '../types.ts';
import { LOG_SQRT_2PI, logSumExp, normCdf, randomParams, rankedObservations, uniform } from './common.ts';

export interface TpeOptions {
  /** Random trials before the model is used. @default 10 */
  readonly nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter (or jointly) per trial. @default 24 */
  readonly nEiCandidates?: number;
  /** Number of "good" observations out of n. @default n => min(ceil(0.1 n), 25) */
  readonly gamma?: (n: number) => number;
  /** Weight of the prior component. @default 1 */
  readonly priorWeight?: number;
  /** Model the always-active parameters jointly (one kernel per observation). @default false */
  readonly multivariate?: boolean;
}

/** Optuna's default gamma. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default weights: flat for the newest 25, linearly ramped down for older observations. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) =>
    n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26),
  );
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** One Parzen estimator over a single dimension (truncated Gaussians or categorical kernels). */
interface Estimator1D {
  readonly weights: Float64Array; // normalised, prior last
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
  readonly logZ: Float64Array; // log of the truncated mass per component
  /** Categorical: per component, log probability per choice. */
  readonly catLog?: Float64Array[];
}

function buildEstimator(
  d: Dimension,
  xs: readonly number[],
  w: readonly number[],
  priorWeight: number,
  multivariateSigma: number | undefined,
): Estimator1D {
  const n = xs.length;
  const weights = new Float64Array(n + 1);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = w[i] as number;
    sum += w[i] as number;
  }
  weights[n] = priorWeight;
  sum += priorWeight;
  for (let i = 0; i <= n; i++) weights[i] = (weights[i] as number) / sum;
  const mus = new Float64Array(n + 1);
  const sigmas = new Float64Array(n + 1);
  const logZ = new Float64Array(n + 1);
  if (d.categorical) {
    const k = d.high + 1;
    const catLog: Float64Array[] = [];
    for (let i = 0; i <= n; i++) {
      const row = new Float64Array(k).fill(priorWeight / k);
      if (i < n) row[xs[i] as number] = (row[xs[i] as number] as number) + 1;
      const rs = row.reduce((a, b) => a + b, 0);
      catLog.push(row.map((v) => Math.log(v / rs)));
    }
    return { weights, mus, sigmas, logZ, catLog };
  }
  const low = d.low;
  const high = d.high;
  const range = high - low;
  for (let i = 0; i < n; i++) mus[i] = xs[i] as number;
  mus[n] = 0.5 * (low + high);
  if (multivariateSigma !== undefined) {
    sigmas.fill(multivariateSigma * range);
  } else {
    // Optuna's univariate bandwidth: the larger gap to a neighbour among sorted centres and the bounds.
    const order = Array.from({ length: n + 1 }, (_, i) => i).sort(
      (a, b) => (mus[a] as number) - (mus[b] as number),
    );
    const sorted = order.map((i) => mus[i] as number);
    const ext = [low, ...sorted, high];
    const s = sorted.map((_, j) =>
      Math.max((ext[j + 1] as number) - (ext[j] as number), (ext[j + 2] as number) - (ext[j + 1] as number)),
    );
    if (s.length >= 2) {
      // consider_endpoints=False: the outermost centres use their inner gap only.
      s[0] = (sorted[1] as number) - (sorted[0] as number);
      s[s.length - 1] = (sorted[s.length - 1] as number) - (sorted[s.length - 2] as number);
    }
    order.forEach((i, j) => {
      sigmas[i] = s[j] as number;
    });
  }
  const minSigma = range / Math.min(100, 1 + (n + 1));
  for (let i = 0; i <= n; i++) sigmas[i] = Math.min(range, Math.max(minSigma, sigmas[i] as number));
  sigmas[n] = range; // the prior is as wide as the range
  for (let i = 0; i <= n; i++) {
    const m = mus[i] as number;
    const s = sigmas[i] as number;
    const mass = normCdf((high - m) / s) - normCdf((low - m) / s);
    logZ[i] = Math.log(Math.max(mass, 1e-300));
  }
  return { weights, mus, sigmas, logZ };
}

/** log kernel density of component i at x. */
function logKernel(e: Estimator1D, i: number, x: number): number {
  if (e.catLog) return (e.catLog[i] as Float64Array)[x] as number;
  const s = e.sigmas[i] as number;
  const z = (x - (e.mus[i] as number)) / s;
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(s) - (e.logZ[i] as number);
}

function sampleComponent(e: Estimator1D, d: Dimension, i: number, rng: Rng): number {
  if (e.catLog) {
    const row = e.catLog[i] as Float64Array;
    let u = rng();
    for (let k = 0; k < row.length; k++) {
      u -= Math.exp(row[k] as number);
      if (u <= 0) return k;
    }
    return row.length - 1;
  }
  const m = e.mus[i] as number;
  const s = e.sigmas[i] as number;
  for (let tries = 0; tries < 64; tries++) {
    const x = normal(rng, m, s);
    if (x >= d.low && x <= d.high) return x;
  }
  return Math.min(d.high, Math.max(d.low, m));
}

function pickComponent(weights: Float64Array, rng: Rng): number {
  let u = rng();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u <= 0) return i;
  }
  return weights.length - 1;
}

function logDensity1D(e: Estimator1D, x: number, buf: Float64Array): number {
  for (let i = 0; i < e.weights.length; i++) buf[i] = Math.log(e.weights[i] as number) + logKernel(e, i, x);
  return logSumExp(buf.subarray(0, e.weights.length));
}

/**
 * TPE sampler.
 *
 * @example
 * new Study({ space, sampler: new TpeSampler({ multivariate: true }), seed: 7 });
 */
export class TpeSampler implements Sampler {
  readonly name: string;
  private readonly nStartup: number;
  private readonly nCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly priorWeight: number;
  private readonly multivariate: boolean;

  constructor(opts: TpeOptions = {}) {
    this.nStartup = opts.nStartupTrials ?? 10;
    this.nCandidates = opts.nEiCandidates ?? 24;
    this.gamma = opts.gamma ?? defaultGamma;
    this.priorWeight = opts.priorWeight ?? 1;
    this.multivariate = opts.multivariate ?? false;
    if (!(this.nStartup >= 0)) throw new RangeError('nStartupTrials: must be >= 0');
    if (!(this.nCandidates >= 1)) throw new RangeError('nEiCandidates: must be >= 1');
    if (!(this.priorWeight > 0)) throw new RangeError('priorWeight: must be > 0');
    this.name = this.multivariate ? 'tpe-multivariate' : 'tpe';
  }

  sample(ctx: SamplerContext): Suggestion {
    const ranked = rankedObservations(ctx.trials, ctx.directions);
    if (ranked.length < this.nStartup || ranked.length === 0)
      return { params: randomParams(ctx.space, ctx.rng) };
    const internal: Record<string, number> = {};
    const dims = ctx.space.dims;
    // Joint group: parameters present in every observation (all of them in a flat space).
    const joint = this.multivariate ? dims.filter((d) => ranked.every((t) => d.name in t.params)) : [];
    if (joint.length > 0) Object.assign(internal, this.sampleJoint(ctx, joint, ranked));
    const jointNames = new Set(joint.map((d) => d.name));
    const chosen: Params = {};
    for (const d of dims) {
      if (!ctx.space.isActive(d, chosen)) continue;
      if (!jointNames.has(d.name)) internal[d.name] = this.sampleOne(ctx, d, ranked);
      chosen[d.name] = ctx.space.fromInternal(d, internal[d.name] as number);
    }
    return { params: ctx.space.build(internal, (d) => uniform(d, ctx.rng)) };
  }

  private split(obs: TrialRecord[]): [TrialRecord[], TrialRecord[]] {
    const nBelow = Math.min(obs.length, this.gamma(obs.length));
    const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
    return [obs.slice(0, nBelow).sort(byNumber), obs.slice(nBelow).sort(byNumber)];
  }

  private sampleOne(ctx: SamplerContext, d: Dimension, ranked: TrialRecord[]): number {
    const obs = ranked.filter((t) => d.name in t.params);
    if (obs.length === 0) return uniform(d, ctx.rng);
    const [below, above] = this.split(obs);
    const x = (t: TrialRecord) => ctx.space.toInternal(d, t.params[d.name] as number);
    const l = buildEstimator(d, below.map(x), defaultWeights(below.length), this.priorWeight, undefined);
    const g = buildEstimator(d, above.map(x), defaultWeights(above.length), this.priorWeight, undefined);
    const buf = new Float64Array(Math.max(l.weights.length, g.weights.length));
    let best = Number.NaN;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < this.nCandidates; c++) {
      const v = sampleComponent(l, d, pickComponent(l.weights, ctx.rng), ctx.rng);
      const score = logDensity1D(l, v, buf) - logDensity1D(g, v, buf);
      if (score > bestScore || Number.isNaN(best)) {
        bestScore = score;
        best = v;
      }
    }
    return best;
  }

  private sampleJoint(ctx: SamplerContext, dims: Dimension[], ranked: TrialRecord[]): Record<string, number> {
    const [below, above] = this.split(ranked);
    const D = dims.length;
    const make = (group: TrialRecord[]) => {
      const sigma = 0.2 * Math.max(group.length, 1) ** (-1 / (D + 4));
      const w = defaultWeights(group.length);
      return dims.map((d) =>
        buildEstimator(
          d,
          group.map((t) => ctx.space.toInternal(d, t.params[d.name] as number)),
          w,
          this.priorWeight,
          sigma,
        ),
      );
    };
    const l = make(below);
    const g = make(above);
    const logDensity = (est: Estimator1D[], x: number[], buf: Float64Array) => {
      const k = (est[0] as Estimator1D).weights;
      for (let i = 0; i < k.length; i++) {
        let s = Math.log(k[i] as number);
        for (let j = 0; j < D; j++) s += logKernel(est[j] as Estimator1D, i, x[j] as number);
        buf[i] = s;
      }
      return logSumExp(buf.subarray(0, k.length));
    };
    const buf = new Float64Array(Math.max(below.length, above.length) + 1);
    let best: number[] | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    const lw = (l[0] as Estimator1D).weights;
    for (let c = 0; c < this.nCandidates; c++) {
      const i = pickComponent(lw, ctx.rng);
      const x = dims.map((d, j) => sampleComponent(l[j] as Estimator1D, d, i, ctx.rng));
      const score = logDensity(l, x, buf) - logDensity(g, x, buf);
      if (!best || score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    const out: Record<string, number> = {};
    dims.forEach((d, j) => {
      out[d.name] = (best as number[])[j] as number;
    });
    return out;
  }
}
