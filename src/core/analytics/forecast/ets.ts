/**
 * Exponential smoothing in state-space form, ETS(error, trend, season) of Hyndman, Koehler, Ord & Snyder
 * (2008): additive or multiplicative error, none / additive / additive-damped trend, none / additive /
 * multiplicative season. Parameters by maximum likelihood within the "usual" bounds of R's forecast::ets, over
 * the smoothing parameters and every initial state, as forecast::ets and the AICc's parameter count assume.
 * For the additive-error models without a multiplicative season (SES, Holt, Damped and Theta use them) every
 * initial state is solved in closed form inside each evaluation (profiledSse, profiledSeasonalSse), and the
 * smoothing parameters are found by bounded quasi-Newton steps on the exact gradient (SES: Brent). The other
 * variants (multiplicative error or season) search the smoothing parameters and all initial states together
 * by quasi-Newton steps on the exact gradient of the likelihood (etsLikelihood, one reverse pass), starting
 * from a classical decomposition of the first cycles. Model choice by AICc over the admissible variants
 * (autoEts, additive only unless asked).
 *
 * Why written here: no maintained JavaScript library offers ETS with likelihood fitting, AICc selection and
 * prediction intervals (the npm forecasting packages are unmaintained Holt-Winters ports with fixed
 * parameters and no intervals).
 */
import { mulberry32, normal } from '../../random.ts';
import {
  type EtsShape,
  etsLikelihood,
  etsLikelihoodWork,
  filterSseGradient,
  profiledSeasonalSse,
  seasonalSseGradient,
  seasonalWork,
} from './ets-gradient.ts';
import { type BoxMinimiseOptions, boxMinimise, brentMinimise, nelderMead } from './optim.ts';
import { decompose } from './seasonality.ts';
import { linearFit, mean, sortedQuantile, zForLevel } from './stats.ts';

export type ErrorType = 'A' | 'M';
export type TrendType = 'N' | 'A' | 'Ad';
export type SeasonType = 'N' | 'A' | 'M';

/** One ETS variant; `m` is the seasonal period (1 when there is no season). */
export interface EtsSpec {
  readonly error: ErrorType;
  readonly trend: TrendType;
  readonly season: SeasonType;
  readonly m: number;
}

/** A fitted ETS model: parameters, final states and fit statistics. */
export interface EtsFit {
  readonly spec: EtsSpec;
  /** Conventional name, e.g. "ETS(M,Ad,M)". */
  readonly name: string;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly phi: number;
  /** Final level, slope and seasonal states (seasonal[t % m] is the state for time t). */
  readonly level: number;
  readonly slope: number;
  readonly seasonal: readonly number[];
  readonly n: number;
  /** Residual variance (relative errors for a multiplicative error), divided by n - k. */
  readonly sigma2: number;
  /** -2 log likelihood up to a constant shared by all variants on the same data. */
  readonly lik: number;
  readonly aicc: number;
  /** Number of estimated parameters, counting initial states and the variance. */
  readonly k: number;
  /** One-step in-sample fitted values. */
  readonly fitted: number[];
}

/** Short name of a spec, e.g. ETS(A,Ad,N). */
export function etsName(spec: EtsSpec): string {
  return `ETS(${spec.error},${spec.trend},${spec.season})`;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));
const LOW = 1e-4;

interface Params {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  l0: number;
  b0: number;
}

interface RunResult {
  lik: number;
  sse: number;
  level: number;
  slope: number;
}

/** Runs the filter over y; `seas` holds the initial seasonal states on entry and the final ones on exit. */
function runFilter(
  y: readonly number[],
  spec: EtsSpec,
  p: Params,
  seas: Float64Array,
  fitted: number[] | null,
): RunResult {
  const n = y.length;
  const { m } = spec;
  const addSeason = spec.season === 'A';
  const mulSeason = spec.season === 'M';
  const hasTrend = spec.trend !== 'N';
  const phi = spec.trend === 'Ad' ? p.phi : 1;
  const { alpha, beta, gamma } = p;
  let l = p.l0;
  let b = hasTrend ? p.b0 : 0;
  let sse = 0;
  let logSum = 0;
  for (let t = 0; t < n; t++) {
    const j = t % m;
    const s = seas[j] as number;
    const bp = phi * b;
    const base = l + bp;
    const mu = addSeason ? base + s : mulSeason ? base * s : base;
    if (fitted) fitted.push(mu);
    const yt = y[t] as number;
    const d = yt - mu;
    if (spec.error === 'M') {
      if (!(mu > 0)) return { lik: Number.POSITIVE_INFINITY, sse, level: l, slope: b };
      const e = d / mu;
      sse += e * e;
      logSum += Math.log(mu);
    } else {
      sse += d * d;
    }
    if (mulSeason) {
      if (!(s > 0) || !(base > 0)) return { lik: Number.POSITIVE_INFINITY, sse, level: l, slope: b };
      l = base + (alpha * d) / s;
      b = bp + (beta * d) / s;
      seas[j] = s + (gamma * d) / base;
    } else {
      l = base + alpha * d;
      b = bp + beta * d;
      if (addSeason) seas[j] = s + gamma * d;
    }
  }
  // A perfect fit (constant series) has sse = 0; a floor keeps it the best value instead of -Infinity/NaN.
  const mse = Math.max(sse / n, 1e-300);
  const lik = spec.error === 'M' ? n * Math.log(mse) + 2 * logSum : n * Math.log(mse);
  return { lik: Number.isFinite(lik) ? lik : Number.POSITIVE_INFINITY, sse, level: l, slope: b };
}

interface Init {
  l0: number;
  b0: number;
  s0: Float64Array;
  scale: number;
}

function initialStates(y: readonly number[], spec: EtsSpec): Init {
  const n = y.length;
  const { m } = spec;
  const s0 = new Float64Array(m).fill(spec.season === 'M' ? 1 : 0);
  let ysa = y.slice();
  if (spec.season !== 'N') {
    const dec = decompose(y, m, spec.season === 'M' ? 'multiplicative' : 'additive');
    for (let j = 0; j < m; j++) s0[j] = dec.figure[j] as number;
    ysa = y.map((v, t) => (spec.season === 'M' ? v / (s0[t % m] as number) : v - (s0[t % m] as number)));
  }
  const maxn = Math.min(Math.max(10, 2 * m), n);
  const head = ysa.slice(0, maxn);
  let l0: number;
  let b0 = 0;
  if (spec.trend !== 'N' && maxn >= 2) {
    const fit = linearFit(head);
    l0 = fit.intercept;
    b0 = fit.slope;
  } else {
    l0 = mean(head);
  }
  let sd = 0;
  const ym = mean(y);
  for (const v of y) sd += (v - ym) ** 2;
  sd = Math.sqrt(sd / Math.max(1, n - 1));
  const scale = sd > 0 ? sd : Math.abs(ym) > 0 ? Math.abs(ym) * 0.01 : 1;
  return { l0, b0, s0, scale };
}

/** Options of {@link fitEts}. */
export interface EtsFitOptions {
  /** Evaluation budget of each Nelder-Mead run. @default 150 per free parameter */
  readonly maxEvaluations?: number;
  /**
   * Estimate the initial states with the smoothing parameters: in closed form inside every likelihood
   * evaluation where the model allows ({@link profiledSse}, {@link profiledSeasonalSse}), else jointly in the
   * gradient search. `false`: the Nelder-Mead path used before, which searches the level and slope with the
   * smoothing parameters and holds the seasonal states at the decomposition's. @default true
   */
  readonly profileInitialStates?: boolean;
  /**
   * `'gradient'`: bounded quasi-Newton steps on the exact gradient, of the profiled SSE for the additive-error
   * models without a multiplicative season ({@link profiledSseGradient}), of the likelihood over the smoothing
   * parameters and every initial state for the others ({@link etsLikelihood}). `'nelder-mead'`: the simplex on
   * logistic-transformed parameters used before, kept for comparison; for the seasonal models it searches the
   * level and slope only and holds the seasonal states at the decomposition's, as `profileInitialStates:
   * false` does. @default 'gradient'
   */
  readonly optimiser?: 'gradient' | 'nelder-mead';
}

/**
 * Sum of squared one-step errors of ETS(A,N,N), ETS(A,A,N) or ETS(A,Ad,N) at the best initial level and slope
 * for the given smoothing parameters, in one pass and without allocation. For fixed alpha, beta, phi the errors
 * are linear in the initial states (e_t = a_t - c_t dl - d_t db, with c and d the filter's response to a unit
 * change of l0 and b0), so the initial states minimising the SSE, which is the Gaussian likelihood's, solve a
 * 1x1 or 2x2 least-squares problem. `l0` and `b0` are the centre of that problem (the heuristic start keeps the
 * residuals small, so the closed form loses no precision); the best offsets go to `offsets` when given.
 */
export function profiledSse(
  y: Float64Array,
  l0: number,
  b0: number,
  alpha: number,
  beta: number,
  phi: number,
  trend: boolean,
  offsets?: Float64Array,
): number {
  return trend ? trendSse(y, l0, b0, alpha, beta, phi, offsets) : levelSse(y, l0, alpha, offsets);
}

/**
 * {@link profiledSse} with a trend and its exact gradient with respect to (alpha, beta, phi) in `grad[0..2]`.
 * By the envelope theorem the profiled SSE's derivative is the filter's derivative with the initial states held
 * at their optimum, so one more pass of the filter from those states with sensitivities gives it exactly. The
 * best offsets of the initial states go to `offsets` when given.
 */
export function profiledSseGradient(
  y: Float64Array,
  l0: number,
  b0: number,
  alpha: number,
  beta: number,
  phi: number,
  grad: Float64Array,
  offsets: Float64Array = new Float64Array(2),
): number {
  profiledSse(y, l0, b0, alpha, beta, phi, true, offsets);
  return filterSseGradient(
    y,
    l0 + (offsets[0] as number),
    b0 + (offsets[1] as number),
    alpha,
    beta,
    phi,
    grad,
  );
}

/** {@link profiledSse} without trend: one response (c) to a change of the initial level. */
function levelSse(y: Float64Array, l0: number, alpha: number, offsets?: Float64Array): number {
  const n = y.length;
  const k = 1 - alpha;
  let l = l0;
  let saa = 0;
  let t = 0;
  {
    let c = 1;
    let sac = 0;
    let scc = 0;
    // Once the response has decayed below 1e-30 it changes nothing; stopping its updates avoids denormals.
    // l' = k l + alpha y rather than l + alpha e: the loop is bound by the latency of the level recursion, and
    // this form has two dependent operations per step instead of three.
    for (; t < n && c > 1e-30; t++) {
      const yt = y[t] as number;
      const e = yt - l;
      saa += e * e;
      sac += e * c;
      scc += c * c;
      l = k * l + alpha * yt;
      c *= k;
    }
    for (; t < n; t++) {
      const yt = y[t] as number;
      const e = yt - l;
      saa += e * e;
      l = k * l + alpha * yt;
    }
    const dl = sac / scc;
    if (offsets) {
      offsets[0] = dl;
      offsets[1] = 0;
    }
    return saa - sac * dl;
  }
}

/** {@link profiledSse} with a (damped) trend: two responses, to a change of the initial level and slope. */
function trendSse(
  y: Float64Array,
  l0: number,
  b0: number,
  alpha: number,
  beta: number,
  phi: number,
  offsets?: Float64Array,
): number {
  const n = y.length;
  const k = 1 - alpha;
  let l = l0;
  let saa = 0;
  let t = 0;
  let b = b0;
  // Response of the level and slope to a unit change of l0 (l1, b1) and of b0 (l2, b2).
  let l1 = 1;
  let b1 = 0;
  let l2 = 0;
  let b2 = 1;
  let s1 = 0;
  let s2 = 0;
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  // As above, the states are updated in the forms with the shortest dependency chains:
  // l' = k mu + alpha y and b' = phi (1 - beta) b - beta l + beta y.
  const pb = phi * (1 - beta);
  // In blocks, so that the test for a response that has died out (then the cheaper loop below, and no
  // denormals) stays outside the hot loop.
  while (t < n && Math.abs(l1) + Math.abs(b1) + Math.abs(l2) + Math.abs(b2) > 1e-30) {
    const end = Math.min(n, t + 64);
    for (; t < end; t++) {
      const yt = y[t] as number;
      const mu = l + phi * b;
      const e = yt - mu;
      const p1 = l1 + phi * b1;
      const p2 = l2 + phi * b2;
      saa += e * e;
      s1 += e * p1;
      s2 += e * p2;
      s11 += p1 * p1;
      s12 += p1 * p2;
      s22 += p2 * p2;
      const bn = pb * b - beta * l + beta * yt;
      l = k * mu + alpha * yt;
      b = bn;
      l1 = k * p1;
      b1 = phi * b1 - beta * p1;
      l2 = k * p2;
      b2 = phi * b2 - beta * p2;
    }
  }
  for (; t < n; t++) {
    const yt = y[t] as number;
    const mu = l + phi * b;
    const e = yt - mu;
    saa += e * e;
    const bn = pb * b - beta * l + beta * yt;
    l = k * mu + alpha * yt;
    b = bn;
  }
  const det = s11 * s22 - s12 * s12;
  let dl: number;
  let db: number;
  if (det > 1e-12 * s11 * s22) {
    dl = (s22 * s1 - s12 * s2) / det;
    db = (s11 * s2 - s12 * s1) / det;
  } else {
    // The slope is not identified apart from the level (the response has died out at once): keep b0.
    dl = s1 / s11;
    db = 0;
  }
  if (offsets) {
    offsets[0] = dl;
    offsets[1] = db;
  }
  return saa - (dl * s1 + db * s2);
}

const decodeAlpha = (x: number): number => LOW + (1 - 2 * LOW) * sigmoid(x);

/**
 * Maximum likelihood for ETS(A,N,N), ETS(A,A,N) and ETS(A,Ad,N) with the initial states profiled out
 * ({@link profiledSse}). The Gaussian likelihood is monotone in the SSE, so the SSE is minimised directly:
 * SES over alpha alone by a grid on the logistic scale (the likelihood is often bimodal: a smooth level versus
 * a random walk) refined by Brent's method between the best grid point's neighbours; trended models by
 * Nelder-Mead on (alpha, beta, phi) from the same two starts as the general path.
 */
function fitProfiled(
  y: readonly number[],
  spec: EtsSpec,
  init: Init,
  budget: number,
  optimiser: 'gradient' | 'nelder-mead',
): Params {
  const yf = Float64Array.from(y);
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const offsets = new Float64Array(2);
  const { l0, b0 } = init;
  if (!hasTrend) {
    const sse = (alpha: number): number => profiledSse(yf, l0, 0, alpha, 0, 1, false);
    // Grid over logit(alpha) in -8..8 plus both bounds: neighbours are at most one logit unit apart.
    let bestI = 0;
    let bestV = Number.POSITIVE_INFINITY;
    const grid: number[] = [LOW];
    for (let x = -8; x <= 8; x++) grid.push(decodeAlpha(x));
    grid.push(1 - LOW);
    for (let i = 0; i < grid.length; i++) {
      const v = sse(grid[i] as number);
      if (v < bestV) {
        bestV = v;
        bestI = i;
      }
    }
    const lo = grid[Math.max(0, bestI - 1)] as number;
    const hi = grid[Math.min(grid.length - 1, bestI + 1)] as number;
    const r = brentMinimise(sse, lo, hi, 1e-7 * (hi - lo), budget);
    const alpha = r.value < bestV ? r.x : (grid[bestI] as number);
    profiledSse(yf, l0, 0, alpha, 0, 1, false, offsets);
    return { alpha, beta: 0, gamma: 0, phi: 1, l0: l0 + (offsets[0] as number), b0: 0 };
  }
  if (optimiser === 'gradient') return fitTrendGradient(yf, damped, l0, b0);
  const decode = (x: readonly number[]): [number, number, number] => {
    const alpha = decodeAlpha(x[0] as number);
    const beta = LOW + (alpha - LOW) * sigmoid(x[1] as number);
    const phi = damped ? 0.8 + 0.18 * sigmoid(x[2] as number) : 1;
    return [alpha, beta, phi];
  };
  const n = y.length;
  const objective = (x: readonly number[]): number => {
    const alpha = decodeAlpha(x[0] as number);
    const beta = LOW + (alpha - LOW) * sigmoid(x[1] as number);
    const phi = damped ? 0.8 + 0.18 * sigmoid(x[2] as number) : 1;
    const v = profiledSse(yf, l0, b0, alpha, beta, phi, true);
    // The likelihood's scale (n log SSE/n) keeps the simplex tolerance meaning what it means elsewhere.
    return n * Math.log(Math.max(v / n, 1e-300));
  };
  const x0: number[] = [logit((0.2 - LOW) / (1 - 2 * LOW)), logit(0.1)];
  if (damped) x0.push(logit((0.97 - 0.8) / 0.18));
  const step = x0.map(() => 0.5);
  const options = { step, maxEvaluations: budget, tolerance: 1e-7 };
  let best = nelderMead(objective, x0, options);
  const alt = x0.slice();
  alt[0] = logit(0.9);
  const second = nelderMead(objective, alt, options);
  if (second.value < best.value) best = second;
  // With alpha and beta at their bounds the logistic coordinates drift far out, where the simplex can no longer
  // move them and stalls with phi wherever it was (often its bound). So: phi alone by Brent's method, then one
  // more simplex from there with the coordinates pulled back to where the logistic still has slope.
  const start = best.x.map((v) => Math.max(-8, Math.min(8, v)));
  if (damped) {
    const [a, b] = decode(best.x);
    const r = brentMinimise((ph) => profiledSse(yf, l0, b0, a, b, ph, true), 0.8, 0.98, 1e-6, budget);
    const q = Math.min(1 - 1e-6, Math.max(1e-6, (r.x - 0.8) / 0.18));
    start[2] = Math.log(q / (1 - q));
  }
  const third = nelderMead(objective, start, options);
  if (third.value < best.value) best = third;
  const [alpha, beta, phi] = decode(best.x);
  return trendParams(yf, l0, b0, alpha, beta, phi);
}

/** The fitted parameters of a trended profiled model: the smoothing parameters and the best initial states. */
function trendParams(
  yf: Float64Array,
  l0: number,
  b0: number,
  alpha: number,
  beta: number,
  phi: number,
): Params {
  const offsets = new Float64Array(2);
  profiledSse(yf, l0, b0, alpha, beta, phi, true, offsets);
  return {
    alpha,
    beta,
    gamma: 0,
    phi,
    l0: l0 + (offsets[0] as number),
    b0: b0 + (offsets[1] as number),
  };
}

/**
 * The trended profiled fit by {@link boxMinimise} on the exact gradient. Coordinates (alpha, u, phi) with
 * beta = LOW + (alpha - LOW) u: the admissible region (LOW <= beta <= alpha, as the logistic path's) becomes a
 * box, as in statsmodels' ETSModel, which bounds beta / alpha. The objective is log SSE, the likelihood divided
 * by n, so the tolerances mean the same on short and long series. Two starts, alpha = 0.2 and 0.9, because the
 * likelihood is often bimodal in alpha (a smooth level versus a random walk), then (damped) a search on the
 * face of phi's other bound, then a tight polish of the best.
 */
function fitTrendGradient(yf: Float64Array, damped: boolean, l0: number, b0: number): Params {
  const offsets = new Float64Array(2);
  const g3 = new Float64Array(3);
  const unpack = (x: Float64Array): [number, number, number] => {
    const alpha = x[0] as number;
    return [alpha, LOW + (alpha - LOW) * (x[1] as number), damped ? (x[2] as number) : 1];
  };
  const f = (x: Float64Array): number => {
    const [alpha, beta, phi] = unpack(x);
    const sse = profiledSse(yf, l0, b0, alpha, beta, phi, true, offsets);
    // A perfect fit: the floor keeps it the best value instead of -Infinity (as runFilter's likelihood).
    return Math.log(Math.max(sse, 1e-300));
  };
  // Called right after f at the same point: the offsets there are the optimal initial states.
  const grad = (x: Float64Array, g: Float64Array): void => {
    const [alpha, beta, phi] = unpack(x);
    const l = l0 + (offsets[0] as number);
    const b = b0 + (offsets[1] as number);
    const sse = filterSseGradient(yf, l, b, alpha, beta, phi, g3);
    const inv = sse > 0 ? 1 / sse : 0;
    const u = x[1] as number;
    g[0] = ((g3[0] as number) + u * (g3[1] as number)) * inv;
    g[1] = (alpha - LOW) * (g3[1] as number) * inv;
    if (damped) g[2] = (g3[2] as number) * inv;
  };
  const lower = damped ? [LOW, 0, 0.8] : [LOW, 0];
  const upper = damped ? [1 - LOW, 1, 0.98] : [1 - LOW, 1];
  // Each start and the mode switch below stop at a loose tolerance; only the best is then polished.
  const coarse = { gtol: 1e-4, ftol: 1e-8 };
  let best: Float64Array = Float64Array.from(damped ? [0.2, 0.1, 0.97] : [0.2, 0.1]);
  let bestV = Number.POSITIVE_INFINITY;
  const search = (
    x0: ArrayLike<number>,
    options: BoxMinimiseOptions,
    lo: readonly number[] = lower,
    hi: readonly number[] = upper,
  ): void => {
    const r = boxMinimise(f, grad, x0, lo, hi, options);
    if (r.value < bestV) {
      best = r.x;
      bestV = r.value;
    }
  };
  search(best, coarse);
  search(damped ? [0.9, 0.1, 0.97] : [0.9, 0.1], coarse);
  if (damped) {
    // The likelihood is often bimodal in (beta, phi) too: a slope that reacts and dies out fast, or one that
    // hardly reacts and lingers with phi on its upper bound. Both starts can land in the same mode, and a
    // mode on a face of the box need not attract a search from inside: so one more search on the face of
    // phi's other bound (0.98, or 0.8 when the best is already at 0.98), then the polish from the best.
    const phiFace = (best[2] as number) < 0.98 ? 0.98 : 0.8;
    search([best[0] as number, best[1] as number, phiFace], coarse, [LOW, 0, phiFace], [1 - LOW, 1, phiFace]);
  }
  search(best, {});
  const [alpha, beta, phi] = unpack(best as Float64Array);
  return trendParams(yf, l0, b0, alpha, beta, phi);
}

/**
 * ETS(A,N,A), ETS(A,A,A) and ETS(A,Ad,A) by {@link boxMinimise} on the exact gradient with every initial
 * state profiled out ({@link profiledSeasonalSse}): the level, slope and all m seasonal states are at their
 * likelihood optimum for each (alpha, beta, gamma, phi), as in statsmodels' ETSModel (which searches them
 * with the smoothing parameters), instead of the seasonal states staying at a decomposition's estimate.
 * Coordinates (alpha, u, v, phi) with beta = LOW + (alpha - LOW) u and gamma = LOW + (1 - alpha - LOW) v,
 * the region of the logistic path as a box; starts and the phi face as {@link fitTrendGradient}. The initial
 * states go to `states` (level, slope, m seasonal states).
 */
function fitSeasonalGradient(y: Float64Array, spec: EtsSpec, init: Init, states: Float64Array): Params {
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const w = seasonalWork(spec.m);
  const g4 = new Float64Array(4);
  const at = new Float64Array(spec.m + 2);
  const unpack = (x: Float64Array): [number, number, number, number] => {
    const alpha = x[0] as number;
    const beta = hasTrend ? LOW + (alpha - LOW) * (x[1] as number) : 0;
    const gamma = LOW + Math.max(0, 1 - alpha - LOW) * (x[2] as number);
    return [alpha, beta, gamma, damped ? (x[3] as number) : 1];
  };
  const f = (x: Float64Array): number => {
    const [alpha, beta, gamma, phi] = unpack(x);
    const sse = profiledSeasonalSse(y, init.l0, init.b0, init.s0, alpha, beta, gamma, phi, hasTrend, w, at);
    return Math.log(Math.max(sse, 1e-300));
  };
  const grad = (x: Float64Array, g: Float64Array): void => {
    const [alpha, beta, gamma, phi] = unpack(x);
    const sse = seasonalSseGradient(y, at, alpha, beta, gamma, phi, hasTrend, w, g4);
    const inv = sse > 0 ? 1 / sse : 0;
    const u = x[1] as number;
    const v = x[2] as number;
    g[0] = ((g4[0] as number) + (hasTrend ? u * (g4[1] as number) : 0) - v * (g4[2] as number)) * inv;
    g[1] = hasTrend ? (alpha - LOW) * (g4[1] as number) * inv : 0;
    g[2] = Math.max(0, 1 - alpha - LOW) * (g4[2] as number) * inv;
    g[3] = damped ? (g4[3] as number) * inv : 0;
  };
  // Unused coordinates (no trend: u; no damping: phi) are pinned by equal bounds.
  const lower = [LOW, 0, 0, damped ? 0.8 : 1];
  const upper = [1 - LOW, hasTrend ? 1 : 0, 1, damped ? 0.98 : 1];
  const coarse = { gtol: 1e-4, ftol: 1e-8 };
  let best: Float64Array = Float64Array.from([0.2, hasTrend ? 0.1 : 0, 0.05, damped ? 0.97 : 1]);
  let bestV = Number.POSITIVE_INFINITY;
  const search = (
    x0: ArrayLike<number>,
    options: BoxMinimiseOptions,
    lo: readonly number[] = lower,
    hi: readonly number[] = upper,
  ): void => {
    const r = boxMinimise(f, grad, x0, lo, hi, options);
    if (r.value < bestV) {
      best = r.x;
      bestV = r.value;
    }
  };
  search(best, coarse);
  search([0.9, hasTrend ? 0.1 : 0, 0.05, damped ? 0.97 : 1], coarse);
  if (damped) {
    const phiFace = (best[3] as number) < 0.98 ? 0.98 : 0.8;
    const lo = lower.slice();
    const hi = upper.slice();
    lo[3] = phiFace;
    hi[3] = phiFace;
    search([best[0] as number, best[1] as number, best[2] as number, phiFace], coarse, lo, hi);
  }
  search(best, {});
  const [alpha, beta, gamma, phi] = unpack(best);
  profiledSeasonalSse(y, init.l0, init.b0, init.s0, alpha, beta, gamma, phi, hasTrend, w, states);
  return { alpha, beta, gamma, phi, l0: states[0] as number, b0: states[1] as number };
}

/**
 * Maximum likelihood of any ETS variant over the smoothing parameters and every initial state together: the
 * level, the slope and m - 1 seasonal states (the last one is fixed by the decomposition's normalisation, a sum
 * of 0 for an additive season and of m for a multiplicative one, because shifting (additive) or scaling
 * (multiplicative) all seasonal states against the level changes no fitted value). This is what the AICc's
 * parameter count assumes, and what R's forecast::ets does (by Nelder-Mead); here by {@link boxMinimise} on the
 * exact gradient of {@link etsLikelihood}. Coordinates (alpha, u, v, phi) as in {@link fitSeasonalGradient}, the
 * initial states as offsets from the heuristic start in units of the series' spread (divided by the level for
 * multiplicative seasonal factors), so that all coordinates move the fitted values comparably.
 *
 * The search starts from the decomposition's states: first the smoothing parameters with the level and slope
 * only, the seasonal states held (starts alpha = 0.2 and 0.9 as the other fits; trended, also alpha = 0.9 with
 * beta half of it, because these likelihoods can be bimodal in beta as well; damped, the face of phi's other
 * bound), then everything from the best of those. Where no start is defined, the Nelder-Mead fit `fallback`
 * provides one. The initial states go to `states` (level, slope, m seasonal states).
 */
function fitJoint(
  y: Float64Array,
  spec: EtsSpec,
  init: Init,
  states: Float64Array,
  fallback: () => Params,
): Params {
  const { m } = spec;
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const hasSeason = spec.season !== 'N';
  const shape: EtsShape = {
    multiplicativeError: spec.error === 'M',
    trend: hasTrend,
    season: spec.season,
    m: hasSeason ? m : 1,
  };
  const n = y.length;
  const work = etsLikelihoodWork(n, shape.m);
  const free = hasSeason ? m - 1 : 0;
  const dim = 6 + free;
  const sl = init.scale;
  const sb = init.scale / 10;
  const ss = spec.season === 'M' ? init.scale / Math.max(Math.abs(init.l0), 1e-12 * init.scale, 1e-300) : sl;
  let total = 0;
  for (let j = 0; j < shape.m; j++) total += init.s0[j] as number;
  const s0 = new Float64Array(shape.m);
  const g = new Float64Array(6 + shape.m);
  const unpack = (x: Float64Array): [number, number, number, number] => {
    const alpha = x[0] as number;
    const beta = hasTrend ? LOW + (alpha - LOW) * (x[1] as number) : 0;
    const gamma = hasSeason ? LOW + Math.max(0, 1 - alpha - LOW) * (x[2] as number) : 0;
    return [alpha, beta, gamma, damped ? (x[3] as number) : 1];
  };
  const seasonal = (x: Float64Array): void => {
    if (!hasSeason) return;
    let sum = 0;
    for (let j = 0; j < m - 1; j++) {
      const v = (init.s0[j] as number) + ss * (x[6 + j] as number);
      s0[j] = v;
      sum += v;
    }
    s0[m - 1] = total - sum;
  };
  const f = (x: Float64Array): number => {
    const [alpha, beta, gamma, phi] = unpack(x);
    seasonal(x);
    const l0 = init.l0 + sl * (x[4] as number);
    const b0 = init.b0 + sb * (x[5] as number);
    return etsLikelihood(y, shape, alpha, beta, gamma, phi, l0, b0, s0, work) / n;
  };
  const grad = (x: Float64Array, out: Float64Array): void => {
    const [alpha, beta, gamma, phi] = unpack(x);
    seasonal(x);
    const l0 = init.l0 + sl * (x[4] as number);
    const b0 = init.b0 + sb * (x[5] as number);
    etsLikelihood(y, shape, alpha, beta, gamma, phi, l0, b0, s0, work, g);
    const u = x[1] as number;
    const v = x[2] as number;
    const ga = g[0] as number;
    const gb = g[1] as number;
    const gg = g[2] as number;
    out[0] = (ga + (hasTrend ? u * gb : 0) - (hasSeason ? v * gg : 0)) / n;
    out[1] = hasTrend ? ((alpha - LOW) * gb) / n : 0;
    out[2] = hasSeason ? (Math.max(0, 1 - alpha - LOW) * gg) / n : 0;
    out[3] = damped ? (g[3] as number) / n : 0;
    out[4] = (sl * (g[4] as number)) / n;
    out[5] = hasTrend ? (sb * (g[5] as number)) / n : 0;
    const last = g[6 + m - 1] as number;
    for (let j = 0; j < free; j++) out[6 + j] = (ss * ((g[6 + j] as number) - last)) / n;
  };
  // Unused coordinates are pinned by equal bounds; the states are unbounded (the likelihood is Infinity where
  // a multiplicative model is undefined, and the line search backs off from there).
  const lower = [
    LOW,
    0,
    0,
    damped ? 0.8 : 1,
    Number.NEGATIVE_INFINITY,
    hasTrend ? Number.NEGATIVE_INFINITY : 0,
  ];
  const upper = [
    1 - LOW,
    hasTrend ? 1 : 0,
    hasSeason ? 1 : 0,
    damped ? 0.98 : 1,
    Number.POSITIVE_INFINITY,
    hasTrend ? Number.POSITIVE_INFINITY : 0,
  ];
  const lowerHeld = lower.slice();
  const upperHeld = upper.slice();
  for (let j = 0; j < free; j++) {
    lower.push(Number.NEGATIVE_INFINITY);
    upper.push(Number.POSITIVE_INFINITY);
    lowerHeld.push(0);
    upperHeld.push(0);
  }
  const coarse = { gtol: 1e-4, ftol: 1e-8 };
  const start = (alpha: number): Float64Array => {
    const x = new Float64Array(dim);
    x[0] = alpha;
    x[1] = hasTrend ? 0.1 : 0;
    x[2] = hasSeason ? 0.05 : 0;
    x[3] = damped ? 0.97 : 1;
    return x;
  };
  // A trended multiplicative model can be undefined at a start (a slope that follows a deep drop drives the
  // mean below zero). With beta at its floor and no initial slope the slope stays negligible, and the level and
  // multiplicative seasonal updates are convex combinations of positive values: defined on a positive series.
  const feasible = (x: Float64Array): Float64Array => {
    if (Number.isFinite(f(x)) || !hasTrend) return x;
    x[1] = 0;
    x[5] = -init.b0 / sb;
    return x;
  };
  let best = feasible(start(0.2));
  let bestV = Number.POSITIVE_INFINITY;
  const search = (x0: ArrayLike<number>, options: BoxMinimiseOptions, lo: number[], hi: number[]): void => {
    const r = boxMinimise(f, grad, x0, lo, hi, options);
    if (r.value < bestV) {
      best = r.x;
      bestV = r.value;
    }
  };
  search(best, coarse, lowerHeld, upperHeld);
  search(feasible(start(0.9)), coarse, lowerHeld, upperHeld);
  if (hasTrend) {
    const x = start(0.9);
    x[1] = 0.5;
    search(feasible(x), coarse, lowerHeld, upperHeld);
  }
  if (damped) {
    const phiFace = (best[3] as number) < 0.98 ? 0.98 : 0.8;
    const lo = lowerHeld.slice();
    const hi = upperHeld.slice();
    lo[3] = phiFace;
    hi[3] = phiFace;
    const x0 = best.slice();
    x0[3] = phiFace;
    search(x0, coarse, lo, hi);
  }
  if (!Number.isFinite(bestV)) {
    // No start is defined (an additive season deeper than the level under a multiplicative error, say): the
    // simplex, which moves through undefined points, finds a defined one with the seasonal states held.
    const q = fallback();
    best = new Float64Array(dim);
    best[0] = q.alpha;
    best[1] = hasTrend && q.alpha > LOW ? Math.min(1, Math.max(0, (q.beta - LOW) / (q.alpha - LOW))) : 0;
    const room = 1 - q.alpha - LOW;
    best[2] = hasSeason && room > 0 ? Math.min(1, Math.max(0, (q.gamma - LOW) / room)) : 0;
    best[3] = damped ? q.phi : 1;
    best[4] = (q.l0 - init.l0) / sl;
    best[5] = hasTrend ? (q.b0 - init.b0) / sb : 0;
  }
  search(best, { maxIterations: 200 + 10 * dim }, lower, upper);
  const [alpha, beta, gamma, phi] = unpack(best);
  seasonal(best);
  states[0] = init.l0 + sl * (best[4] as number);
  states[1] = hasTrend ? init.b0 + sb * (best[5] as number) : 0;
  if (hasSeason) states.set(s0, 2);
  return { alpha, beta, gamma, phi, l0: states[0] as number, b0: states[1] as number };
}

/**
 * Fits one ETS variant by maximum likelihood.
 *
 * @example
 * const fit = fitEts([10, 12, 11, 13, 12, 14, 13, 15], { error: 'A', trend: 'Ad', season: 'N', m: 1 });
 */
export function fitEts(y: readonly number[], spec: EtsSpec, options: EtsFitOptions = {}): EtsFit {
  const n = y.length;
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const hasSeason = spec.season !== 'N';
  const init = initialStates(y, spec);
  const seas = new Float64Array(spec.m);
  // Free vector: [alpha, beta?, gamma?, phi?, l0, b0?] in unconstrained coordinates.
  const decode = (x: readonly number[]): Params => {
    let i = 0;
    const alpha = LOW + (1 - 2 * LOW) * sigmoid(x[i++] as number);
    const beta = hasTrend ? LOW + (alpha - LOW) * sigmoid(x[i++] as number) : 0;
    const gamma = hasSeason ? LOW + (1 - alpha - LOW) * sigmoid(x[i++] as number) : 0;
    const phi = damped ? 0.8 + 0.18 * sigmoid(x[i++] as number) : 1;
    const l0 = init.l0 + init.scale * (x[i++] as number);
    const b0 = hasTrend ? init.b0 + (init.scale / 10) * (x[i++] as number) : 0;
    return { alpha, beta, gamma, phi, l0, b0 };
  };
  const x0: number[] = [logit((0.2 - LOW) / (1 - 2 * LOW))];
  if (hasTrend) x0.push(logit(0.1));
  if (hasSeason) x0.push(logit(0.05));
  if (damped) x0.push(logit((0.97 - 0.8) / 0.18));
  x0.push(0);
  if (hasTrend) x0.push(0);
  const objective = (x: readonly number[]): number => {
    seas.set(init.s0);
    return runFilter(y, spec, decode(x), seas, null).lik;
  };
  const budget = options.maxEvaluations ?? 150 * x0.length;
  // Nelder-Mead over the smoothing parameters, level and slope, with the seasonal states held at the
  // decomposition's: the path before the joint fit, kept as its fallback start and for comparison.
  const searchFixedSeason = (): Params => {
    const step = x0.map(() => 0.5);
    let best = nelderMead(objective, x0, { step, maxEvaluations: budget, tolerance: 1e-7 });
    // Likelihoods of these models are often bimodal in alpha (a smooth level versus a random walk), so a second
    // start near alpha = 0.9 is cheaper insurance than restarts from the first optimum.
    const alt = x0.slice();
    alt[0] = logit(0.9);
    const second = nelderMead(objective, alt, { step, maxEvaluations: budget, tolerance: 1e-7 });
    if (second.value < best.value) best = second;
    return decode(best.x);
  };
  let p: Params;
  if (spec.error === 'A' && !hasSeason && options.profileInitialStates !== false) {
    p = fitProfiled(y, spec, init, budget, options.optimiser ?? 'gradient');
  } else if (
    spec.error === 'A' &&
    spec.season === 'A' &&
    spec.m > 1 &&
    options.profileInitialStates !== false &&
    options.optimiser !== 'nelder-mead'
  ) {
    const states = new Float64Array(spec.m + 2);
    p = fitSeasonalGradient(Float64Array.from(y), spec, init, states);
    init.s0.set(states.subarray(2));
  } else if (options.optimiser !== 'nelder-mead' && options.profileInitialStates !== false) {
    const states = new Float64Array(spec.m + 2);
    p = fitJoint(Float64Array.from(y), spec, init, states, searchFixedSeason);
    if (hasSeason) init.s0.set(states.subarray(2));
  } else {
    p = searchFixedSeason();
  }
  seas.set(init.s0);
  const fitted: number[] = [];
  const run = runFilter(y, spec, p, seas, fitted);
  const k =
    1 +
    (hasTrend ? 1 : 0) +
    (hasSeason ? 1 : 0) +
    (damped ? 1 : 0) +
    1 +
    (hasTrend ? 1 : 0) +
    (hasSeason ? spec.m - 1 : 0) +
    1;
  const lik = run.lik;
  const aic = lik + 2 * k;
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Number.POSITIVE_INFINITY;
  const sigma2 = run.sse / Math.max(1, n - k);
  return {
    spec,
    name: etsName(spec),
    alpha: p.alpha,
    beta: p.beta,
    gamma: p.gamma,
    phi: p.phi,
    level: run.level,
    slope: run.slope,
    seasonal: Array.from(seas),
    n,
    sigma2,
    lik,
    aicc,
    k,
    fitted,
  };
}

/** Point forecasts and central prediction intervals of a fitted ETS model. */
export interface EtsForecast {
  readonly mean: number[];
  readonly lower: Record<number, number[]>;
  readonly upper: Record<number, number[]>;
}

function pointForecast(fit: EtsFit, h: number): number[] {
  const { spec } = fit;
  const out: number[] = [];
  let phiSum = 0;
  let phiPow = 1;
  for (let k = 1; k <= h; k++) {
    phiPow *= spec.trend === 'Ad' ? fit.phi : 1;
    phiSum += spec.trend === 'N' ? 0 : phiPow;
    const base = fit.level + phiSum * fit.slope;
    const s = fit.seasonal[(fit.n + k - 1) % spec.m] as number;
    out.push(spec.season === 'A' ? base + s : spec.season === 'M' ? base * s : base);
  }
  return out;
}

/**
 * Forecasts `h` steps with intervals at each level (percent). Additive-error models without a multiplicative
 * season use the exact variance formula (Hyndman et al. 2008, class 1); the others simulate 1,000 sample paths
 * from a seeded generator and take empirical quantiles.
 */
export function forecastEts(fit: EtsFit, h: number, levels: readonly number[], seed = 1): EtsForecast {
  const { spec } = fit;
  const meanF = pointForecast(fit, h);
  const lower: Record<number, number[]> = {};
  const upper: Record<number, number[]> = {};
  if (levels.length === 0) return { mean: meanF, lower, upper };
  if (spec.error === 'A' && spec.season !== 'M') {
    const sd: number[] = [];
    let acc = 1;
    let phiSum = 0;
    let phiPow = 1;
    for (let k = 1; k <= h; k++) {
      sd.push(Math.sqrt(fit.sigma2 * acc));
      phiPow *= spec.trend === 'Ad' ? fit.phi : 1;
      phiSum += spec.trend === 'N' ? 0 : phiPow;
      const c = fit.alpha + fit.beta * phiSum + (spec.season !== 'N' && k % spec.m === 0 ? fit.gamma : 0);
      acc += c * c;
    }
    for (const level of levels) {
      const z = zForLevel(level);
      lower[level] = meanF.map((v, i) => v - z * (sd[i] as number));
      upper[level] = meanF.map((v, i) => v + z * (sd[i] as number));
    }
    return { mean: meanF, lower, upper };
  }
  const paths = simulateEts(fit, h, 1000, seed);
  for (const level of levels) {
    lower[level] = [];
    upper[level] = [];
  }
  for (let k = 0; k < h; k++) {
    const col = (paths[k] as Float64Array).slice().sort();
    for (const level of levels) {
      const a = (1 - level / 100) / 2;
      (lower[level] as number[]).push(sortedQuantile(col, a));
      (upper[level] as number[]).push(sortedQuantile(col, 1 - a));
    }
  }
  return { mean: meanF, lower, upper };
}

/** Sample paths: result[k][i] is path i at step k+1. */
export function simulateEts(fit: EtsFit, h: number, nPaths: number, seed: number): Float64Array[] {
  const { spec } = fit;
  const rng = mulberry32(seed);
  const sigma = Math.sqrt(fit.sigma2);
  const out = Array.from({ length: h }, () => new Float64Array(nPaths));
  const seas = new Float64Array(spec.m);
  const phi = spec.trend === 'Ad' ? fit.phi : 1;
  for (let i = 0; i < nPaths; i++) {
    seas.set(fit.seasonal);
    let l = fit.level;
    let b = spec.trend === 'N' ? 0 : fit.slope;
    for (let k = 0; k < h; k++) {
      const j = (fit.n + k) % spec.m;
      const s = seas[j] as number;
      const bp = phi * b;
      const base = l + bp;
      const mu = spec.season === 'A' ? base + s : spec.season === 'M' ? base * s : base;
      const e = normal(rng, 0, sigma);
      const yk = spec.error === 'M' ? mu * (1 + e) : mu + e;
      const d = yk - mu;
      (out[k] as Float64Array)[i] = yk;
      if (spec.season === 'M') {
        l = base + (fit.alpha * d) / s;
        b = bp + (fit.beta * d) / s;
        seas[j] = s + (fit.gamma * d) / base;
      } else {
        l = base + fit.alpha * d;
        b = bp + fit.beta * d;
        if (spec.season === 'A') seas[j] = s + fit.gamma * d;
      }
    }
  }
  return out;
}

/** Which variants {@link autoEts} compares. */
export interface AutoEtsOptions extends EtsFitOptions {
  /**
   * Error types to compare. Multiplicative errors are only ever fitted to positive series.
   * @default ['A'] (forecast::ets's `additive.only = TRUE`; see {@link autoEts} for why)
   */
  readonly errors?: readonly ErrorType[];
  /** @default ['N', 'A', 'Ad'] (['N'] below 4 observations) */
  readonly trends?: readonly TrendType[];
  /** A multiplicative season needs a positive series and a multiplicative error. @default ['N', 'A', 'M'] */
  readonly seasons?: readonly SeasonType[];
}

/** Estimated parameters of a variant as forecast::ets counts them: smoothing parameters and initial states. */
function parameterCount(spec: EtsSpec): number {
  const hasTrend = spec.trend !== 'N';
  const hasSeason = spec.season !== 'N';
  return 2 + (hasTrend ? 2 : 0) + (hasSeason ? spec.m : 0) + (spec.trend === 'Ad' ? 1 : 0);
}

/**
 * Fits every admissible variant, each by maximum likelihood over its smoothing parameters and all its initial
 * states (so that the AICc compares like with like), and returns the one with the smallest AICc. The model
 * space is forecast::ets's (Hyndman, Koehler, Snyder & Grose 2002; Hyndman et al. 2008) with its defaults:
 * no multiplicative trend (`allow.multiplicative.trend = FALSE`), no additive error with a multiplicative
 * season (`restrict = TRUE`: infinite variance), damped trends with phi in [0.8, 0.98], seasonal variants only
 * with m > 1 and more than two full cycles, and no variant with n <= parameters + 4.
 *
 * One default differs: additive errors only (forecast::ets's `additive.only = TRUE`) unless `errors` asks for
 * more. Multiplicative-error likelihoods are comparable with additive ones, and with every initial state
 * estimated AICc prefers them on most M4 Hourly and Weekly series, yet they forecast worse there: a
 * multiplicative season divides the level update by the seasonal factor, so with alpha near 1 the final level
 * is the last observation over its factor, which at a night-time trough near zero multiplies the noise
 * (forecasts several times too high), and a multiplicative error with an undamped trend extrapolates a slope
 * fitted to relative errors. On the validation split (last h training points, M4 Hourly / Weekly) OWA is
 * 1.148 / 0.883 with both error types and 0.754 / 0.853 additive only; among additive models AICc's trend
 * choice holds up (where it picks an undamped trend, that forecasts better than the damped one on the same
 * series), so the trend set stays forecast::ets's.
 */
export function autoEts(y: readonly number[], m: number, options: AutoEtsOptions = {}): EtsFit {
  const n = y.length;
  const positive = y.every((v) => v > 0);
  const errors = options.errors ?? ['A'];
  const trends = options.trends ?? (n >= 4 ? ['N', 'A', 'Ad'] : ['N']);
  const canSeason = m > 1 && n > 2 * m;
  const seasons = (options.seasons ?? ['N', 'A', 'M']).filter(
    (s) => s === 'N' || (canSeason && (s === 'A' || positive)),
  );
  let best: EtsFit | null = null;
  for (const error of errors) {
    if (error === 'M' && !positive) continue;
    for (const trend of trends) {
      for (const season of seasons) {
        if (error === 'A' && season === 'M') continue;
        const spec: EtsSpec = { error, trend, season, m: season === 'N' ? 1 : m };
        if (n <= parameterCount(spec) + 4) continue;
        const fit = fitEts(y, spec, options);
        if (best === null || fit.aicc < best.aicc) best = fit;
      }
    }
  }
  if (best === null) return fitEts(y, { error: 'A', trend: 'N', season: 'N', m: 1 }, options);
  return best;
}
