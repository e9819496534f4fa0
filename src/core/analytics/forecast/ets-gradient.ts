/**
 * Exact gradients of the ETS sum of squared one-step errors with respect to the smoothing parameters, by
 * forward-mode sensitivities carried through the filter's recursion (the derivative of every state is updated
 * alongside the state, one pass, no allocation).
 *
 * With the initial states profiled out (the SSE minimised over them in closed form), the envelope theorem
 * makes the derivative of the profiled SSE equal to the partial derivative with the initial states held at
 * their optimum: so the profiled gradient is the plain filter's gradient started from the optimal states, with
 * zero initial sensitivities (profiledSseGradient in ets.ts).
 */
import { solveSpd } from './optim.ts';
/**
 * SSE of the damped-trend filter (ETS(A,Ad,N); phi = 1 is Holt, beta = 0 with b0 = 0 is SES) started from
 * `l0`, `b0`, and its exact gradient with respect to (alpha, beta, phi), written to `grad[0..2]`.
 */
export function filterSseGradient(
  y: Float64Array,
  l0: number,
  b0: number,
  alpha: number,
  beta: number,
  phi: number,
  grad: Float64Array,
): number {
  const n = y.length;
  const k = 1 - alpha;
  let l = l0;
  let b = b0;
  // Sensitivities of (l, b) to alpha (la, ba), beta (lb, bb) and phi (lp, bp).
  let la = 0;
  let ba = 0;
  let lb = 0;
  let bb = 0;
  let lp = 0;
  let bp = 0;
  let sse = 0;
  let ga = 0;
  let gb = 0;
  let gp = 0;
  for (let t = 0; t < n; t++) {
    const mu = l + phi * b;
    const e = (y[t] as number) - mu;
    const ma = la + phi * ba;
    const mb = lb + phi * bb;
    const mp = lp + phi * bp + b;
    sse += e * e;
    ga += e * ma;
    gb += e * mb;
    gp += e * mp;
    la = k * ma + e;
    ba = phi * ba - beta * ma;
    lb = k * mb;
    bb = phi * bb - beta * mb + e;
    lp = k * mp;
    bp = phi * bp + b - beta * mp;
    const bn = phi * b + beta * e;
    l = mu + alpha * e;
    b = bn;
  }
  // d(e^2) = -2 e dmu.
  grad[0] = -2 * ga;
  grad[1] = -2 * gb;
  grad[2] = -2 * gp;
  return sse;
}

/** Work buffers of {@link profiledSeasonalSse} for one period `m`, allocated once per fit. */
export interface SeasonalWork {
  readonly m: number;
  /** Responses of level, slope and each seasonal state to a unit change of each of the m + 2 initial states. */
  readonly rl: Float64Array;
  readonly rb: Float64Array;
  readonly rs: Float64Array;
  /** Regressors of one step, normal equations and right-hand side of the (m + 1)-unknown least squares. */
  readonly x: Float64Array;
  readonly gram: Float64Array;
  readonly rhs: Float64Array;
  /** Seasonal states of the base run and the sensitivities of the gradient pass. */
  readonly seas: Float64Array;
  readonly sens: Float64Array;
}

/** Allocates the buffers of {@link profiledSeasonalSse} for period `m`. */
export function seasonalWork(m: number): SeasonalWork {
  const k = m + 2;
  return {
    m,
    rl: new Float64Array(k),
    rb: new Float64Array(k),
    rs: new Float64Array(m * k),
    x: new Float64Array(m + 1),
    gram: new Float64Array((m + 1) * (m + 1)),
    rhs: new Float64Array(m + 1),
    seas: new Float64Array(m),
    sens: new Float64Array(4 * m),
  };
}

/**
 * SSE of ETS(A,N,A), ETS(A,A,A) or ETS(A,Ad,A) at the best initial level, slope and seasonal states for the
 * given smoothing parameters (`trend` false: no slope). As for the non-seasonal models, the one-step errors are
 * linear in all initial states, so the best ones solve a least-squares problem, here with m + 1 unknowns: the
 * level, the slope, and m - 1 seasonal states (the last is minus the sum of the others, because a constant
 * added to every seasonal state and taken from the level changes no error). The responses of the states to
 * each initial state are carried along the filter (O(m) per step) and the normal equations accumulated
 * (O(m^2) per step). `l0`, `b0`, `s0` are the centre; the best states go to `best` (length m + 2: level,
 * slope, seasonal states) when given.
 */
export function profiledSeasonalSse(
  y: Float64Array,
  l0: number,
  b0: number,
  s0: Float64Array,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
  trend: boolean,
  w: SeasonalWork,
  best?: Float64Array,
): number {
  const { m, rl, rb, rs, x, gram, rhs, seas } = w;
  const K = m + 2;
  const p = m + 1;
  rl.fill(0);
  rb.fill(0);
  rs.fill(0);
  rl[0] = 1;
  rb[1] = 1;
  for (let j = 0; j < m; j++) rs[j * K + 2 + j] = 1;
  gram.fill(0);
  rhs.fill(0);
  seas.set(s0);
  const ph = trend ? phi : 0;
  const be = trend ? beta : 0;
  let l = l0;
  let b = trend ? b0 : 0;
  let saa = 0;
  const n = y.length;
  const last = 2 + m - 1;
  for (let t = 0; t < n; t++) {
    const j = t % m;
    const o = j * K;
    const mu = l + ph * b + (seas[j] as number);
    const e = (y[t] as number) - mu;
    saa += e * e;
    // Regressors: response of mu to each unknown (seasonal ones net of the last state they stand in for).
    let mLast = 0;
    for (let k = 0; k < K; k++) {
      const mk = (rl[k] as number) + ph * (rb[k] as number) + (rs[o + k] as number);
      if (k === last) mLast = mk;
      rl[k] = (rl[k] as number) + ph * (rb[k] as number) - alpha * mk;
      rb[k] = ph * (rb[k] as number) - be * mk;
      rs[o + k] = (rs[o + k] as number) - gamma * mk;
      if (k < 2) x[k] = mk;
      else if (k < last) x[k] = mk;
    }
    for (let k = 2; k < last; k++) x[k] = (x[k] as number) - mLast;
    for (let r = 0; r < p; r++) {
      const xr = x[r] as number;
      if (xr === 0) continue;
      rhs[r] = (rhs[r] as number) + e * xr;
      const row = r * p;
      for (let c = 0; c <= r; c++) gram[row + c] = (gram[row + c] as number) + xr * (x[c] as number);
    }
    const bn = ph * b + be * e;
    l = mu - (seas[j] as number) + alpha * e;
    b = bn;
    seas[j] = (seas[j] as number) + gamma * e;
  }
  // Without a trend the slope's column is zero: pin it with a unit diagonal. A tiny ridge keeps the Cholesky
  // factorisation defined when the seasonal responses have died out (gamma = 1 - alpha).
  let tr = 0;
  for (let r = 0; r < p; r++) tr += gram[r * p + r] as number;
  const ridge = 1e-12 * (tr / p);
  for (let r = 0; r < p; r++) {
    for (let c = r + 1; c < p; c++) gram[r * p + c] = gram[c * p + r] as number;
    gram[r * p + r] = (gram[r * p + r] as number) + (r === 1 && !trend ? 1 : ridge);
  }
  const delta = x; // reuse: the solution overwrites the regressor buffer
  delta.set(rhs);
  if (!solveSpd(gram, delta, p)) return Number.POSITIVE_INFINITY;
  let drop = 0;
  for (let r = 0; r < p; r++) drop += (delta[r] as number) * (rhs[r] as number);
  if (best) {
    best[0] = l0 + (delta[0] as number);
    best[1] = trend ? b0 + (delta[1] as number) : 0;
    let sum = 0;
    for (let j = 0; j < m - 1; j++) {
      const d = delta[2 + j] as number;
      best[2 + j] = (s0[j] as number) + d;
      sum += d;
    }
    best[2 + m - 1] = (s0[m - 1] as number) - sum;
  }
  return Math.max(0, saa - drop);
}

/**
 * SSE of the additive seasonal filter from the initial states `states` (level, slope, m seasonal states, as
 * {@link profiledSeasonalSse} writes them) and its exact gradient with respect to (alpha, beta, gamma, phi) in
 * `grad[0..3]`; from the profiled optimum this is the profiled SSE's gradient (envelope theorem).
 */
export function seasonalSseGradient(
  y: Float64Array,
  states: Float64Array,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
  trend: boolean,
  w: SeasonalWork,
  grad: Float64Array,
): number {
  const { m, seas, sens } = w;
  const ph = trend ? phi : 0;
  const be = trend ? beta : 0;
  let l = states[0] as number;
  let b = trend ? (states[1] as number) : 0;
  for (let j = 0; j < m; j++) seas[j] = states[2 + j] as number;
  sens.fill(0);
  // Sensitivities of level and slope to (alpha, beta, gamma, phi); of the seasonal states in `sens`, 4 per state.
  let la = 0;
  let lb = 0;
  let lg = 0;
  let lp = 0;
  let ba = 0;
  let bb = 0;
  let bg = 0;
  let bp = 0;
  let ga = 0;
  let gb = 0;
  let gg = 0;
  let gp = 0;
  let sse = 0;
  const n = y.length;
  for (let t = 0; t < n; t++) {
    const j = t % m;
    const o = 4 * j;
    const s = seas[j] as number;
    const mu = l + ph * b + s;
    const e = (y[t] as number) - mu;
    const sa = sens[o] as number;
    const sb = sens[o + 1] as number;
    const sg = sens[o + 2] as number;
    const sp = sens[o + 3] as number;
    const ma = la + ph * ba + sa;
    const mb = lb + ph * bb + sb;
    const mg = lg + ph * bg + sg;
    const mp = lp + ph * bp + sp + (trend ? b : 0);
    sse += e * e;
    ga += e * ma;
    gb += e * mb;
    gg += e * mg;
    gp += e * mp;
    const k = 1 - alpha;
    la = k * ma - sa + e;
    lb = k * mb - sb;
    lg = k * mg - sg;
    lp = k * mp - sp;
    ba = ph * ba - be * ma;
    bb = ph * bb - be * mb + (trend ? e : 0);
    bg = ph * bg - be * mg;
    bp = ph * bp + (trend ? b : 0) - be * mp;
    sens[o] = sa - gamma * ma;
    sens[o + 1] = sb - gamma * mb;
    sens[o + 2] = sg - gamma * mg + e;
    sens[o + 3] = sp - gamma * mp;
    const bn = ph * b + be * e;
    l = mu - s + alpha * e;
    b = bn;
    seas[j] = s + gamma * e;
  }
  grad[0] = -2 * ga;
  grad[1] = -2 * gb;
  grad[2] = -2 * gg;
  grad[3] = -2 * gp;
  return sse;
}

/** The shape of an ETS variant as {@link etsLikelihood} needs it. */
export interface EtsShape {
  readonly multiplicativeError: boolean;
  readonly trend: boolean;
  readonly season: 'N' | 'A' | 'M';
  /** Seasonal period; 1 without a season. */
  readonly m: number;
}

/** Work buffers of {@link etsLikelihood}: the filter's trajectory, kept for the reverse pass. */
export interface EtsLikelihoodWork {
  readonly level: Float64Array;
  readonly slope: Float64Array;
  readonly season: Float64Array;
  /** Seasonal states of the forward pass and their adjoints in the reverse pass. */
  readonly seas: Float64Array;
  readonly adj: Float64Array;
}

/** Allocates the buffers of {@link etsLikelihood} for `n` observations and period `m`. */
export function etsLikelihoodWork(n: number, m: number): EtsLikelihoodWork {
  return {
    level: new Float64Array(n),
    slope: new Float64Array(n),
    season: new Float64Array(n),
    seas: new Float64Array(Math.max(1, m)),
    adj: new Float64Array(Math.max(1, m)),
  };
}

/**
 * -2 log likelihood of any ETS variant (additive or multiplicative error, with or without a possibly damped
 * trend, none / additive / multiplicative season) from the initial states `l0`, `b0`, `s0`, on fitEts's scale:
 * n log(SSE / n), plus 2 sum log mu for a multiplicative error. With `grad` (length 6 + m), also its exact
 * gradient with respect to (alpha, beta, gamma, phi, l0, b0, s0[0..m-1]), by one reverse (adjoint) pass over
 * the stored trajectory: its cost does not grow with the number of initial states, so the m seasonal states
 * can be estimated with the smoothing parameters even for long series (forward sensitivities would cost
 * O(n m) per gradient). Infinity where the model is undefined (a non-positive mean under a multiplicative
 * error, a non-positive seasonal factor or deseasonalised mean under a multiplicative season); then no
 * gradient is written.
 */
export function etsLikelihood(
  y: Float64Array,
  shape: EtsShape,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
  l0: number,
  b0: number,
  s0: ArrayLike<number>,
  work: EtsLikelihoodWork,
  grad?: Float64Array,
): number {
  const n = y.length;
  const { multiplicativeError: mulErr, trend, season } = shape;
  const m = season === 'N' ? 1 : shape.m;
  const addS = season === 'A';
  const mulS = season === 'M';
  const ph = trend ? phi : 0;
  const be = trend ? beta : 0;
  const { level: L, slope: B, season: S, seas } = work;
  for (let j = 0; j < m; j++) seas[j] = addS || mulS ? (s0[j] as number) : 0;
  let l = l0;
  let b = trend ? b0 : 0;
  let sse = 0;
  let logSum = 0;
  let prod = 1;
  const keep = grad !== undefined;
  for (let t = 0; t < n; t++) {
    const j = t % m;
    const s = seas[j] as number;
    const base = l + ph * b;
    const mu = addS ? base + s : mulS ? base * s : base;
    const d = (y[t] as number) - mu;
    if (mulErr) {
      if (!(mu > 0)) return Number.POSITIVE_INFINITY;
      const e = d / mu;
      sse += e * e;
      // The log of a running product, taken before it can leave the double range: one log per many steps.
      prod *= mu;
      if (prod > 1e150 || prod < 1e-150) {
        logSum += Math.log(prod);
        prod = 1;
      }
    } else sse += d * d;
    let q = d;
    let r = d;
    if (mulS) {
      if (!(s > 0) || !(base > 0)) return Number.POSITIVE_INFINITY;
      q = d / s;
      r = d / base;
    }
    if (keep) {
      L[t] = l;
      B[t] = b;
      S[t] = s;
    }
    l = base + alpha * q;
    b = ph * b + be * q;
    if (addS || mulS) seas[j] = s + gamma * r;
  }
  logSum += Math.log(prod);
  const mse = sse / n;
  const floored = !(mse > 1e-300);
  const lik = n * Math.log(floored ? 1e-300 : mse) + (mulErr ? 2 * logSum : 0);
  if (!Number.isFinite(lik)) return Number.POSITIVE_INFINITY;
  if (!grad) return lik;
  // Reverse pass: adjoints of the state after step t (lamL, lamB, adj[]) are carried back to before it. At the
  // floor the SSE term is constant, so its weight is zero.
  const w = floored ? 0 : n / sse;
  const adj = work.adj;
  adj.fill(0);
  let lamL = 0;
  let lamB = 0;
  let gA = 0;
  let gB = 0;
  let gG = 0;
  let gP = 0;
  for (let t = n - 1; t >= 0; t--) {
    const j = t % m;
    const lt = L[t] as number;
    const bt = B[t] as number;
    const s = S[t] as number;
    const base = lt + ph * bt;
    const mu = addS ? base + s : mulS ? base * s : base;
    const d = (y[t] as number) - mu;
    const lamS = adj[j] as number;
    const q = mulS ? d / s : d;
    const r = mulS ? d / base : d;
    gA += lamL * q;
    gB += lamB * q;
    gG += lamS * r;
    const lq = lamL * alpha + lamB * be;
    const lr = addS || mulS ? lamS * gamma : 0;
    let dLd: number;
    let dLmu = 0;
    if (mulErr) {
      const e = d / mu;
      dLd = (2 * w * e) / mu;
      dLmu = (2 - 2 * w * e * e) / mu;
    } else dLd = 2 * w * d;
    const ld = mulS ? lq / s + lr / base + dLd : lq + lr + dLd;
    const lmu = dLmu - ld;
    let lbase: number;
    if (mulS) {
      lbase = lamL + lmu * s - (lr * d) / (base * base);
      adj[j] = lamS + lmu * base - (lq * d) / (s * s);
    } else {
      lbase = lamL + lmu;
      if (addS) adj[j] = lamS + lmu;
    }
    if (trend) {
      gP += (lbase + lamB) * bt;
      lamB = ph * (lbase + lamB);
    }
    lamL = lbase;
  }
  grad[0] = gA;
  grad[1] = trend ? gB : 0;
  grad[2] = addS || mulS ? gG : 0;
  grad[3] = trend ? gP : 0;
  grad[4] = lamL;
  grad[5] = trend ? lamB : 0;
  for (let j = 0; j < shape.m; j++) grad[6 + j] = addS || mulS ? (adj[j] as number) : 0;
  return lik;
}
