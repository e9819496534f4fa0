/**
 * Gaussian-process Bayesian optimisation for small budgets (tens to a couple of hundred trials):
 * a Matérn-5/2 ARD kernel on the [0,1]-scaled parameters (categorical ones one-hot), hyperparameters by
 * maximum a posteriori (BoTorch-like Gamma(3,6) prior on lengthscales) with Adam on the log-parameters,
 * and expected improvement maximised over random and near-incumbent candidates with a local refinement.
 * The first trials are a scrambled Halton design.
 *
 * Hyperparameters are refitted every trial up to 30 observations and on a thinning schedule after
 * (each fit depends only on the trials up to its scheduled size), so the sampler stays reproducible
 * and its cost per trial stays bounded. Conditional parameters are drawn at random.
 */
import type { Rng } from '../../random.ts';
import { normal } from '../../random.ts';
import { cholesky, solveLower, solveUpper } from '../linalg.ts';
import { violation } from '../rank.ts';
import type { Dimension } from '../space.ts';
import type { Sampler, SamplerContext, Suggestion, TrialRecord } from '../types.ts';
import { normCdf, rankedObservations, uniform } from './common.ts';
import { haltonPoint } from './qmc.ts';

export interface GpOptions {
  /** Quasi-random trials before the model is used. @default min(10, 2·(d+1)) */
  readonly nStartupTrials?: number;
  /** Random candidates for the acquisition search. @default 384 */
  readonly nCandidates?: number;
}

interface Hyper {
  /** log lengthscales per feature, log signal variance, log noise variance. */
  readonly theta: Float64Array;
}

interface Features {
  readonly dims: Dimension[];
  readonly width: number;
  encode(ctx: SamplerContext, t: TrialRecord): Float64Array;
}

const SQRT5 = Math.sqrt(5);

function makeFeatures(dims: Dimension[]): Features {
  const width = dims.reduce((w, d) => w + (d.categorical ? d.high + 1 : 1), 0);
  return {
    dims,
    width,
    encode(ctx, t) {
      const x = new Float64Array(width);
      let o = 0;
      for (const d of dims) {
        const v = ctx.space.toInternal(d, t.params[d.name] as number);
        if (d.categorical) {
          x[o + v] = 1;
          o += d.high + 1;
        } else {
          x[o++] = d.high === d.low ? 0.5 : (v - d.low) / (d.high - d.low);
        }
      }
      return x;
    },
  };
}

/** Matérn 5/2 kernel matrix and, optionally, the pairwise scaled squared distances per feature. */
function kernel(xs: Float64Array[], theta: Float64Array, width: number): Float64Array {
  const n = xs.length;
  const K = new Float64Array(n * n);
  const inv = Float64Array.from({ length: width }, (_, k) => Math.exp(-2 * (theta[k] as number)));
  const sf2 = Math.exp(theta[width] as number);
  const sn2 = Math.exp(theta[width + 1] as number);
  for (let i = 0; i < n; i++) {
    const a = xs[i] as Float64Array;
    K[i * n + i] = sf2 + sn2;
    for (let j = 0; j < i; j++) {
      const b = xs[j] as Float64Array;
      let r2 = 0;
      for (let k = 0; k < width; k++) r2 += ((a[k] as number) - (b[k] as number)) ** 2 * (inv[k] as number);
      const r = Math.sqrt(r2);
      const v = sf2 * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      K[i * n + j] = v;
      K[j * n + i] = v;
    }
  }
  return K;
}

/** Negative log posterior of the hyperparameters and its gradient (analytic). */
function objective(
  xs: Float64Array[],
  y: Float64Array,
  theta: Float64Array,
  width: number,
): { f: number; g: Float64Array } | undefined {
  const n = xs.length;
  const K = kernel(xs, theta, width);
  const L = Float64Array.from(K);
  if (!cholesky(L, n)) return undefined;
  const alpha = solveUpper(L, n, solveLower(L, n, Float64Array.from(y)));
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(L[i * n + i] as number);
  let yKy = 0;
  for (let i = 0; i < n; i++) yKy += (y[i] as number) * (alpha[i] as number);
  // K^{-1} column by column.
  const Kinv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    solveUpper(L, n, solveLower(L, n, e));
    for (let i = 0; i < n; i++) Kinv[i * n + j] = e[i] as number;
  }
  // W = alpha alphaᵀ - K^{-1}; dNLL/dθ = -0.5 tr(W dK/dθ)
  const P = theta.length;
  const g = new Float64Array(P);
  const inv = Float64Array.from({ length: width }, (_, k) => Math.exp(-2 * (theta[k] as number)));
  const sf2 = Math.exp(theta[width] as number);
  const sn2 = Math.exp(theta[width + 1] as number);
  let trSf = 0;
  let trSn = 0;
  for (let i = 0; i < n; i++) {
    const a = xs[i] as Float64Array;
    const wii = (alpha[i] as number) ** 2 - (Kinv[i * n + i] as number);
    trSf += wii * sf2;
    trSn += wii * sn2;
    for (let j = 0; j < i; j++) {
      const b = xs[j] as Float64Array;
      const w = 2 * ((alpha[i] as number) * (alpha[j] as number) - (Kinv[i * n + j] as number));
      let r2 = 0;
      for (let k = 0; k < width; k++) r2 += ((a[k] as number) - (b[k] as number)) ** 2 * (inv[k] as number);
      const r = Math.sqrt(r2);
      const ex = Math.exp(-SQRT5 * r);
      trSf += w * sf2 * (1 + SQRT5 * r + (5 / 3) * r2) * ex;
      // d k / d log l_k = sf2 * (5/3) (1 + √5 r) e^{-√5 r} * d_k² / l_k²
      const common = w * sf2 * (5 / 3) * (1 + SQRT5 * r) * ex;
      for (let k = 0; k < width; k++) {
        g[k] = (g[k] as number) + common * ((a[k] as number) - (b[k] as number)) ** 2 * (inv[k] as number);
      }
    }
  }
  for (let k = 0; k < width; k++) g[k] = -0.5 * (g[k] as number);
  g[width] = -0.5 * trSf;
  g[width + 1] = -0.5 * trSn;
  let f = 0.5 * yKy + logDet + 0.5 * n * Math.log(2 * Math.PI);
  // Priors: lengthscale ~ Gamma(3, 6); signal variance ~ Gamma(2, 0.15); noise ~ Gamma(1.1, 0.05).
  for (let k = 0; k < width; k++) {
    const l = Math.exp(theta[k] as number);
    f -= 2 * (theta[k] as number) - 6 * l;
    g[k] = (g[k] as number) - (2 - 6 * l);
  }
  f -= 1 * (theta[width] as number) - 0.15 * sf2;
  g[width] = (g[width] as number) - (1 - 0.15 * sf2);
  f -= 0.1 * (theta[width + 1] as number) - 0.05 * sn2;
  g[width + 1] = (g[width + 1] as number) - (0.1 - 0.05 * sn2);
  return { f, g };
}

const LOG_NOISE_MIN = Math.log(1e-6);

function fitHyper(xs: Float64Array[], y: Float64Array, width: number): Hyper {
  const theta = new Float64Array(width + 2);
  for (let k = 0; k < width; k++) theta[k] = Math.log(0.3);
  theta[width] = 0;
  theta[width + 1] = Math.log(1e-3);
  const m = new Float64Array(theta.length);
  const v = new Float64Array(theta.length);
  const lr = 0.15;
  let best = Float64Array.from(theta);
  let bestF = Number.POSITIVE_INFINITY;
  for (let it = 1; it <= 40; it++) {
    const r = objective(xs, y, theta, width);
    if (!r) {
      theta[width + 1] = (theta[width + 1] as number) + 1; // more jitter, then retry
      continue;
    }
    if (r.f < bestF) {
      bestF = r.f;
      best = Float64Array.from(theta);
    }
    for (let k = 0; k < theta.length; k++) {
      const gk = r.g[k] as number;
      m[k] = 0.9 * (m[k] as number) + 0.1 * gk;
      v[k] = 0.999 * (v[k] as number) + 0.001 * gk * gk;
      const mh = (m[k] as number) / (1 - 0.9 ** it);
      const vh = (v[k] as number) / (1 - 0.999 ** it);
      theta[k] = (theta[k] as number) - (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
    for (let k = 0; k < width; k++)
      theta[k] = Math.min(Math.log(20), Math.max(Math.log(0.005), theta[k] as number));
    theta[width] = Math.min(Math.log(20), Math.max(Math.log(0.05), theta[width] as number));
    theta[width + 1] = Math.min(Math.log(0.5), Math.max(LOG_NOISE_MIN, theta[width + 1] as number));
  }
  return { theta: best };
}

/** Posterior of a fitted GP, ready for many predictions. */
class Posterior {
  readonly n: number;
  private readonly L: Float64Array;
  private readonly alpha: Float64Array;
  private readonly inv: Float64Array;
  private readonly sf2: number;

  constructor(
    private readonly xs: Float64Array[],
    y: Float64Array,
    private readonly theta: Float64Array,
    private readonly width: number,
  ) {
    this.n = xs.length;
    let t = Float64Array.from(theta);
    let L = Float64Array.from(kernel(xs, t, width));
    while (!cholesky(L, this.n)) {
      t = Float64Array.from(t);
      t[width + 1] = (t[width + 1] as number) + 1;
      L = Float64Array.from(kernel(xs, t, width));
    }
    this.L = L;
    this.alpha = solveUpper(L, this.n, solveLower(L, this.n, Float64Array.from(y)));
    this.inv = Float64Array.from({ length: width }, (_, k) => Math.exp(-2 * (this.theta[k] as number)));
    this.sf2 = Math.exp(theta[width] as number);
  }

  predict(x: Float64Array): [number, number] {
    const n = this.n;
    const k = new Float64Array(n);
    let mu = 0;
    for (let i = 0; i < n; i++) {
      const a = this.xs[i] as Float64Array;
      let r2 = 0;
      for (let j = 0; j < this.width; j++)
        r2 += ((a[j] as number) - (x[j] as number)) ** 2 * (this.inv[j] as number);
      const r = Math.sqrt(r2);
      const v = this.sf2 * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      k[i] = v;
      mu += v * (this.alpha[i] as number);
    }
    solveLower(this.L, n, k);
    let q = 0;
    for (let i = 0; i < n; i++) q += (k[i] as number) ** 2;
    return [mu, Math.max(this.sf2 - q, 1e-12)];
  }
}

/** log of expected improvement below `best` (minimisation), stable far in the tail. */
function logEi(mu: number, variance: number, best: number): number {
  const s = Math.sqrt(variance);
  const z = (best - mu) / s;
  if (z > -6) {
    const pdf = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    return Math.log(Math.max(z * normCdf(z) + pdf, 1e-300)) + Math.log(s);
  }
  // Mills-ratio asymptote: EI ≈ s φ(z) / z².
  return -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(-z) + Math.log(s);
}

/** Scheduled training-set size for hyperparameter fits: every trial up to 40, then every 10th. */
function fitSize(n: number): number {
  if (n <= 30) return n;
  if (n <= 60) return n - ((n - 30) % 5);
  if (n <= 100) return n - ((n - 60) % 10);
  return n - ((n - 100) % 20);
}

/**
 * Gaussian-process BO sampler (single objective).
 *
 * @example
 * new Study({ space, sampler: new GpSampler(), seed: 5 });
 */
export class GpSampler implements Sampler {
  readonly name = 'gp';
  private readonly nStartup: number | undefined;
  private readonly nCandidates: number;
  private readonly fits = new WeakMap<readonly TrialRecord[], Map<number, Hyper>>();

  constructor(opts: GpOptions = {}) {
    this.nStartup = opts.nStartupTrials;
    this.nCandidates = opts.nCandidates ?? 384;
  }

  sample(ctx: SamplerContext): Suggestion {
    if (ctx.directions.length !== 1) throw new RangeError('GpSampler: single-objective studies only');
    const dims = ctx.space.dims.filter((d) => !d.spec.when);
    const features = makeFeatures(dims);
    const nStartup = this.nStartup ?? Math.min(10, 2 * (dims.length + 1));
    const obs = rankedObservations(ctx.trials, ctx.directions).filter((t) => t.state === 'complete');
    if (obs.length < nStartup || dims.length === 0) {
      const u = haltonPoint(ctx.number, ctx.space.dims.length, ctx.seed);
      const internal: Record<string, number> = {};
      ctx.space.dims.forEach((d, k) => {
        const x = u[k] as number;
        internal[d.name] = d.categorical ? Math.floor(x * (d.high + 1)) : d.low + x * (d.high - d.low);
      });
      return { params: ctx.space.build(internal, () => 0) };
    }
    // Observations in trial order so that the scheduled fit sees a fixed prefix.
    const byNumber = [...obs].sort((a, b) => a.number - b.number);
    const xs = byNumber.map((t) => features.encode(ctx, t));
    const y = standardise(byNumber, ctx.directions[0] === 'maximize' ? -1 : 1);
    const size = fitSize(xs.length);
    const key = size * 1_000_003 + features.width;
    let fitsFor = this.fits.get(ctx.trials);
    if (!fitsFor) {
      fitsFor = new Map();
      this.fits.set(ctx.trials, fitsFor);
    }
    let hyper = fitsFor.get(key);
    if (!hyper) {
      const ys = standardise(byNumber.slice(0, size), ctx.directions[0] === 'maximize' ? -1 : 1);
      hyper = fitHyper(xs.slice(0, size), ys, features.width);
      fitsFor.set(key, hyper);
    }
    const post = new Posterior(xs, y, hyper.theta, features.width);
    let best = Number.POSITIVE_INFINITY;
    for (const v of y) best = Math.min(best, v);
    const x = this.maximiseEi(ctx, features, post, best, xs, y);
    const internal: Record<string, number> = {};
    let o = 0;
    for (const d of dims) {
      if (d.categorical) {
        let arg = 0;
        for (let c = 1; c <= d.high; c++) if ((x[o + c] as number) > (x[o + arg] as number)) arg = c;
        internal[d.name] = arg;
        o += d.high + 1;
      } else {
        internal[d.name] = d.low + (x[o++] as number) * (d.high - d.low);
      }
    }
    return { params: ctx.space.build(internal, (d) => uniform(d, ctx.rng)) };
  }

  private maximiseEi(
    ctx: SamplerContext,
    f: Features,
    post: Posterior,
    best: number,
    xs: Float64Array[],
    y: Float64Array,
  ): Float64Array {
    const rng = ctx.rng;
    const score = (x: Float64Array) => {
      const [mu, v] = post.predict(x);
      return logEi(mu, v, best);
    };
    const randomPoint = () => {
      const x = new Float64Array(f.width);
      let o = 0;
      for (const d of f.dims) {
        if (d.categorical) {
          x[o + Math.floor(rng() * (d.high + 1))] = 1;
          o += d.high + 1;
        } else x[o++] = rng();
      }
      return x;
    };
    const perturb = (x: Float64Array, sd: number) => {
      const z = Float64Array.from(x);
      let o = 0;
      for (const d of f.dims) {
        if (d.categorical) {
          if (rng() < 0.1) {
            z.fill(0, o, o + d.high + 1);
            z[o + Math.floor(rng() * (d.high + 1))] = 1;
          }
          o += d.high + 1;
        } else {
          z[o] = Math.min(1, Math.max(0, (z[o] as number) + normal(rng, 0, sd)));
          o++;
        }
      }
      return z;
    };
    const cands: Float64Array[] = [];
    for (let i = 0; i < this.nCandidates; i++) cands.push(randomPoint());
    const order = Array.from(y, (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    for (const [, i] of order.slice(0, 5)) {
      for (let r = 0; r < 30; r++) cands.push(perturb(xs[i] as Float64Array, r % 2 === 0 ? 0.1 : 0.02));
    }
    const scored = cands.map((x) => [score(x), x] as const).sort((a, b) => b[0] - a[0]);
    // Local refinement of the best few: shrinking Gaussian steps, keep improvements.
    let bestX = (scored[0] as readonly [number, Float64Array])[1];
    let bestS = (scored[0] as readonly [number, Float64Array])[0];
    for (const [s0, x0] of scored.slice(0, 2)) {
      let x = x0;
      let s = s0;
      let sd = 0.05;
      for (let it = 0; it < 24; it++) {
        const z = perturb(x, sd);
        const sz = score(z);
        if (sz > s) {
          x = z;
          s = sz;
        } else if (it % 5 === 4) sd *= 0.5;
      }
      if (s > bestS) {
        bestS = s;
        bestX = x;
      }
    }
    return bestX;
  }
}

function standardise(trials: readonly TrialRecord[], sign: number): Float64Array {
  const raw = trials.map((t) => sign * (t.values?.[0] as number));
  const feasible = trials.map((t) => violation(t) === 0);
  let worst = Number.NEGATIVE_INFINITY;
  raw.forEach((v, i) => {
    if (feasible[i]) worst = Math.max(worst, v);
  });
  // Infeasible trials count as the worst feasible value: the GP learns to avoid them.
  let vals = raw.map((v, i) => (feasible[i] || !Number.isFinite(worst) ? v : Math.max(v, worst)));
  vals = warp(vals);
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, vals.length - 1)) || 1;
  return Float64Array.from(vals, (v) => (v - mean) / sd);
}

/**
 * Monotone log warping of strongly right-skewed losses (skewness > 1, e.g. Rosenbrock's valley against its
 * walls): the GP then models the region near the best values instead of the few huge ones. The optimum
 * is unchanged because the transform is increasing.
 */
function warp(vals: number[]): number[] {
  const n = vals.length;
  const mean = vals.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  if (!(sd > 0)) return vals;
  const skew = vals.reduce((a, b) => a + ((b - mean) / sd) ** 3, 0) / n;
  if (skew <= 1) return vals;
  const min = Math.min(...vals);
  const sorted = vals.map((v) => v - min).sort((a, b) => a - b);
  const scale = (sorted[n >> 1] as number) || sd;
  return vals.map((v) => Math.log1p((v - min) / (0.1 * scale)));
}

export type { Rng };
