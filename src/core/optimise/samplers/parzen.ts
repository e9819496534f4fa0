/**
 * The Parzen estimator of Optuna 3.1's TPE sampler (optuna/samplers/_tpe/parzen_estimator.py and
 * _truncnorm.py at tag v3.1.0), ported to TypeScript: a weighted mixture of truncated normals (numeric
 * parameters) or smoothed one-hot rows (categorical parameters), with a prior component, Optuna's
 * bandwidth rule, the "magic clip", sampling by the inverse CDF of the truncated normal and log-densities
 * normalised on the bounds (probability mass of the grid cell for discrete parameters).
 *
 * Written here rather than taken from npm: no maintained JavaScript TPE/Parzen estimator exists (hyperopt
 * and Optuna are Python), and the optimiser core must stay pure TypeScript.
 */
import type { Rng } from '../../random.ts';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const LOG_HALF = Math.log(0.5);

/**
 * log erfc(z) for z >= 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7), evaluated in log
 * space so that far tails do not underflow.
 */
function logErfcPos(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - z * z + poly;
}

/** Standard normal CDF Φ(a), accurate in relative terms in the lower tail. */
export function ndtr(a: number): number {
  const z = -a / Math.SQRT2;
  if (z >= 0) return 0.5 * Math.exp(logErfcPos(z));
  return 1 - 0.5 * Math.exp(logErfcPos(-z));
}

/** log Φ(a), finite for any finite a (no underflow in the lower tail). */
export function logNdtr(a: number): number {
  const z = -a / Math.SQRT2;
  if (z >= 0) return LOG_HALF + logErfcPos(z);
  return Math.log1p(-0.5 * Math.exp(logErfcPos(-z)));
}

/** log(exp(p) - exp(q)) for p >= q. */
function logDiff(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

function logAddExp(p: number, q: number): number {
  const m = Math.max(p, q);
  if (m === Number.NEGATIVE_INFINITY) return m;
  return m + Math.log(Math.exp(p - m) + Math.exp(q - m));
}

/**
 * log(Φ(b) − Φ(a)), the log probability of a standard normal falling in [a, b] (a <= b), computed as
 * Optuna/SciPy do: in the left tail directly, in the right tail by symmetry, and centrally as
 * log1p(−Φ(a) − Φ(−b)) to avoid cancellation.
 */
export function logGaussMass(a: number, b: number): number {
  if (!(a <= b)) throw new RangeError(`logGaussMass: a (${a}) must be <= b (${b})`);
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** Inverse of logNdtr by bisection on [−100, 100], as Optuna's `_ndtri_exp`. */
function ndtriExp(y: number): number {
  let lo = -100;
  let hi = 100;
  for (let i = 0; i < 80; i++) {
    const m = 0.5 * (lo + hi);
    if (logNdtr(m) < y) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
}

/**
 * Quantile function of the standard normal truncated to [a, b] (Optuna's `_truncnorm.ppf`): q = 0 gives
 * a, q = 1 gives b. Works on the side of the distribution away from the bulk to keep precision.
 */
export function truncNormPpf(q: number, a: number, b: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`truncNormPpf: q (${q}) must be in [0, 1]`);
  if (!(a < b)) throw new RangeError(`truncNormPpf: a (${a}) must be < b (${b})`);
  if (q === 0) return a;
  if (q === 1) return b;
  const mass = logGaussMass(a, b);
  const x =
    a < 0
      ? ndtriExp(logAddExp(logNdtr(a), Math.log(q) + mass))
      : -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + mass));
  return Math.min(b, Math.max(a, x));
}

/** One draw of N(mu, sigma²) truncated to [low, high], by the inverse CDF (one uniform per draw). */
export function sampleTruncNorm(rng: Rng, mu: number, sigma: number, low: number, high: number): number {
  const x = truncNormPpf(rng(), (low - mu) / sigma, (high - mu) / sigma) * sigma + mu;
  return Math.min(high, Math.max(low, x));
}

/**
 * log-density of N(mu, sigma²) truncated to [low, high] at x (−Infinity outside the bounds).
 * `scaled = false` drops the −log σ term, as Optuna 3.1–3.4's `_truncnorm.logpdf` did (fixed in 3.5.0,
 * optuna commit 206e71923 "Fix logpdf for scaled truncnorm"); the TPE sampler uses that variant by default
 * because it is what Optuna 3.1's published figures come from.
 */
export function truncNormLogPdf(
  x: number,
  mu: number,
  sigma: number,
  low: number,
  high: number,
  scaled = true,
): number {
  if (x < low || x > high) return Number.NEGATIVE_INFINITY;
  const z = (x - mu) / sigma;
  const out = -0.5 * z * z - LOG_SQRT_2PI - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
  return scaled ? out - Math.log(sigma) : out;
}

/**
 * Optuna's `default_weights`: 1 for the newest 25 observations, a linear ramp from 1/n to 1 for older
 * ones (observations in chronological order).
 */
export function defaultWeights(n: number): number[] {
  if (!(Number.isInteger(n) && n >= 0))
    throw new RangeError(`defaultWeights: n (${n}) must be an integer >= 0`);
  if (n < 25) return new Array<number>(n).fill(1);
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** Optuna's `default_gamma`: the size of the "below" (good) group out of n observations. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Optuna's univariate bandwidths: per centre (observations and the prior centre), the larger distance to
 * its sorted neighbours, the bounds counting as neighbours; with `considerEndpoints = false` (Optuna's
 * default) the outermost centres use their inner gap only. Before the magic clip. Returned in input order.
 */
export function univariateBandwidths(
  mus: readonly number[],
  low: number,
  high: number,
  considerEndpoints = false,
): number[] {
  const n = mus.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (mus[a] as number) - (mus[b] as number),
  );
  const ext = [low, ...order.map((i) => mus[i] as number), high];
  const s = order.map((_, j) =>
    Math.max((ext[j + 1] as number) - (ext[j] as number), (ext[j + 2] as number) - (ext[j + 1] as number)),
  );
  if (!considerEndpoints && n >= 2) {
    s[0] = (ext[2] as number) - (ext[1] as number);
    s[n - 1] = (ext[n] as number) - (ext[n - 1] as number);
  }
  const out = new Array<number>(n);
  order.forEach((i, j) => {
    out[i] = s[j] as number;
  });
  return out;
}

/** One dimension as the estimator sees it (internal scale: log already applied). */
export interface ParzenDim {
  /** Number of choices for a categorical dimension; 0 for a numeric one. */
  readonly choices: number;
  /** Bounds of the estimator (discrete: widened by half a grid step). Unused for categorical. */
  readonly low: number;
  readonly high: number;
  /** Grid step of a discrete numeric dimension (densities become cell masses), else 0. */
  readonly q: number;
}

export interface ParzenOptions {
  /** Weight of the prior component (centre of the range, width = range). @default 1 */
  readonly priorWeight?: number;
  /** Floor bandwidths at range / min(100, 1 + number of components). @default true */
  readonly magicClip?: boolean;
  /** Let the bounds count as neighbours of the outermost centres. @default false */
  readonly considerEndpoints?: boolean;
  /** One shared Scott-rule bandwidth 0.2 n^(−1/(D+4)) × range (multivariate TPE). @default false */
  readonly multivariate?: boolean;
  /** Proper truncated-normal densities (with 1/σ); false reproduces Optuna 3.1. @default false */
  readonly scaledKernels?: boolean;
}

interface NumericDim {
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
  readonly logZ: Float64Array;
}

/**
 * A Parzen estimator over one or more dimensions: component i is the product over dimensions of kernel i,
 * mixed with the given observation weights plus the prior component (last).
 */
export class ParzenEstimator {
  readonly dims: readonly ParzenDim[];
  /** Normalised mixture weights, prior last. */
  readonly weights: Float64Array;
  private readonly logWeights: Float64Array;
  private readonly numeric: (NumericDim | undefined)[];
  /** Categorical: per component, probabilities per choice. */
  private readonly categorical: (Float64Array[] | undefined)[];
  private readonly scaled: boolean;

  /**
   * @param dims the dimensions
   * @param observations per dimension, the observed internal values (same length n in every dimension)
   * @param obsWeights n non-negative weights (e.g. defaultWeights(n)), not all zero when n > 0
   */
  constructor(
    dims: readonly ParzenDim[],
    observations: readonly (readonly number[])[],
    obsWeights: readonly number[],
    opts: ParzenOptions = {},
  ) {
    const priorWeight = opts.priorWeight ?? 1;
    if (!(priorWeight > 0)) throw new RangeError('priorWeight: must be > 0');
    if (observations.length !== dims.length)
      throw new RangeError('observations: need one array per dimension');
    const n = obsWeights.length;
    for (const o of observations) {
      if (o.length !== n) throw new RangeError('observations: every dimension needs one value per weight');
    }
    for (const w of obsWeights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError('obsWeights: must be finite and >= 0');
    }
    this.dims = dims;
    this.scaled = opts.scaledKernels ?? false;
    const weights = new Float64Array(n + 1);
    let sum = priorWeight;
    for (let i = 0; i < n; i++) {
      weights[i] = obsWeights[i] as number;
      sum += obsWeights[i] as number;
    }
    weights[n] = priorWeight;
    for (let i = 0; i <= n; i++) weights[i] = (weights[i] as number) / sum;
    this.weights = weights;
    this.logWeights = weights.map(Math.log);
    const sigma0 = opts.multivariate ? 0.2 * Math.max(n, 1) ** (-1 / (dims.length + 4)) : undefined;
    this.numeric = [];
    this.categorical = [];
    dims.forEach((d, j) => {
      const xs = observations[j] as readonly number[];
      if (d.choices > 0) {
        // Optuna 3.1 smooths every row with prior_weight / (n + 1) per choice.
        const value = priorWeight / (n + 1);
        const rows: Float64Array[] = [];
        for (let i = 0; i <= n; i++) {
          const row = new Float64Array(d.choices).fill(value);
          if (i < n) {
            const c = xs[i] as number;
            if (!(Number.isInteger(c) && c >= 0 && c < d.choices))
              throw new RangeError(`observations: categorical index ${c} outside [0, ${d.choices - 1}]`);
            row[c] = (row[c] as number) + 1;
          }
          const rs = row.reduce((a, b) => a + b, 0);
          for (let k = 0; k < d.choices; k++) row[k] = (row[k] as number) / rs;
          rows.push(row);
        }
        this.categorical.push(rows);
        this.numeric.push(undefined);
        return;
      }
      if (!(d.low < d.high)) throw new RangeError(`dims: low (${d.low}) must be < high (${d.high})`);
      const range = d.high - d.low;
      const mus = new Float64Array(n + 1);
      for (let i = 0; i < n; i++) mus[i] = xs[i] as number;
      mus[n] = 0.5 * (d.low + d.high);
      const sigmas = new Float64Array(n + 1);
      if (sigma0 !== undefined) sigmas.fill(sigma0 * range);
      else sigmas.set(univariateBandwidths(Array.from(mus), d.low, d.high, opts.considerEndpoints ?? false));
      const minSigma = (opts.magicClip ?? true) ? range / Math.min(100, 1 + (n + 1)) : 1e-12;
      for (let i = 0; i <= n; i++) sigmas[i] = Math.min(range, Math.max(minSigma, sigmas[i] as number));
      sigmas[n] = range;
      const logZ = new Float64Array(n + 1);
      for (let i = 0; i <= n; i++) {
        const m = mus[i] as number;
        const s = sigmas[i] as number;
        logZ[i] = logGaussMass((d.low - m) / s, (d.high - m) / s);
      }
      this.numeric.push({ mus, sigmas, logZ });
      this.categorical.push(undefined);
    });
  }

  /** Centres and bandwidths of a numeric dimension (prior last), for inspection and tests. */
  kernels(j: number): { mus: Float64Array; sigmas: Float64Array } | undefined {
    const e = this.numeric[j];
    return e ? { mus: e.mus, sigmas: e.sigmas } : undefined;
  }

  /**
   * Draws `size` points: one mixture component per point (shared by all dimensions), then each numeric
   * coordinate from that component's truncated normal and each categorical one from its row.
   */
  sample(rng: Rng, size: number): number[][] {
    const out: number[][] = [];
    for (let c = 0; c < size; c++) {
      let u = rng();
      let comp = this.weights.length - 1;
      for (let i = 0; i < this.weights.length; i++) {
        u -= this.weights[i] as number;
        if (u < 0) {
          comp = i;
          break;
        }
      }
      out.push(this.dims.map((d, j) => this.sampleDim(d, j, comp, rng)));
    }
    return out;
  }

  private sampleDim(d: ParzenDim, j: number, comp: number, rng: Rng): number {
    const rows = this.categorical[j];
    if (rows) {
      const row = rows[comp] as Float64Array;
      const u = rng();
      let cum = 0;
      let k = 0;
      // Optuna counts the choices whose cumulative probability is below the quantile.
      for (; k < row.length - 1; k++) {
        cum += row[k] as number;
        if (!(cum < u)) break;
      }
      return k;
    }
    const e = this.numeric[j] as NumericDim;
    return sampleTruncNorm(rng, e.mus[comp] as number, e.sigmas[comp] as number, d.low, d.high);
  }

  /** log of the mixture density (cell mass for discrete dimensions) at x (one value per dimension). */
  logPdf(x: readonly number[]): number {
    const k = this.weights.length;
    const terms = new Float64Array(this.logWeights);
    this.dims.forEach((d, j) => {
      const v = x[j] as number;
      const rows = this.categorical[j];
      if (rows) {
        for (let i = 0; i < k; i++)
          terms[i] = (terms[i] as number) + Math.log((rows[i] as Float64Array)[v] ?? 0);
        return;
      }
      const e = this.numeric[j] as NumericDim;
      if (d.q > 0) {
        const upper = Math.min(v + d.q / 2, d.high);
        const lower = Math.max(v - d.q / 2, d.low);
        for (let i = 0; i < k; i++) {
          const m = e.mus[i] as number;
          const s = e.sigmas[i] as number;
          const lm =
            lower <= upper ? logGaussMass((lower - m) / s, (upper - m) / s) : Number.NEGATIVE_INFINITY;
          terms[i] = (terms[i] as number) + lm - (e.logZ[i] as number);
        }
        return;
      }
      for (let i = 0; i < k; i++) {
        let lp = Number.NEGATIVE_INFINITY;
        if (v >= d.low && v <= d.high) {
          const s = e.sigmas[i] as number;
          const z = (v - (e.mus[i] as number)) / s;
          lp = -0.5 * z * z - LOG_SQRT_2PI - (e.logZ[i] as number) - (this.scaled ? Math.log(s) : 0);
        }
        terms[i] = (terms[i] as number) + lp;
      }
    });
    let m = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < k; i++) if ((terms[i] as number) > m) m = terms[i] as number;
    if (m === Number.NEGATIVE_INFINITY) return m;
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.exp((terms[i] as number) - m);
    return m + Math.log(s);
  }
}
