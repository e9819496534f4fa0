/**
 * Minimisers written once for every model fit here: Nelder-Mead for several parameters, Brent's method for
 * one, and a projected quasi-Newton method for smooth objectives with a gradient and box bounds. For the first
 * two, constraints are the caller's business: map bounded parameters through a transform or return Infinity.
 */

/** Options of {@link nelderMead}. */
export interface NelderMeadOptions {
  /** Initial step per coordinate. @default 0.1 for each */
  readonly step?: readonly number[];
  /** Maximum number of function evaluations. @default 200 * dimension */
  readonly maxEvaluations?: number;
  /** Stop when the spread of function values in the simplex is below this (relative + absolute). @default 1e-8 */
  readonly tolerance?: number;
}

/** Result of {@link nelderMead}. */
export interface NelderMeadResult {
  readonly x: number[];
  readonly value: number;
  readonly evaluations: number;
}

/**
 * Minimises `f` from `x0` (Lagarias et al. 1998 coefficients). The simplex and trial points live in buffers
 * allocated once per call, because model fits call this hundreds of times per series and the objective is
 * cheap; `f` must not keep a reference to its argument.
 *
 * @example
 * nelderMead(([a = 0, b = 0]) => (a - 1) ** 2 + (b + 2) ** 2, [0, 0]).x // ~ [1, -2]
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const n = x0.length;
  const maxEval = options.maxEvaluations ?? 200 * Math.max(1, n);
  const tol = options.tolerance ?? 1e-8;
  const safe = (x: readonly number[]): number => {
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  const simplex: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const p = x0.slice();
    p[i] = (p[i] as number) + (options.step?.[i] ?? 0.1);
    simplex.push(p);
  }
  const values = simplex.map(safe);
  let evals = n + 1;
  const centroid = new Array<number>(n).fill(0);
  let xr = new Array<number>(n).fill(0);
  let xe = new Array<number>(n).fill(0);
  let xc = new Array<number>(n).fill(0);
  // Stable insertion sort by value: the same order as a stable sort, without the per-iteration arrays.
  const order = (): void => {
    for (let i = 1; i <= n; i++) {
      const v = values[i] as number;
      const p = simplex[i] as number[];
      let j = i - 1;
      while (j >= 0 && (values[j] as number) > v) {
        values[j + 1] = values[j] as number;
        simplex[j + 1] = simplex[j] as number[];
        j--;
      }
      values[j + 1] = v;
      simplex[j + 1] = p;
    }
  };
  const along = (out: number[], worst: readonly number[], t: number): void => {
    for (let j = 0; j < n; j++) {
      const c = centroid[j] as number;
      out[j] = c + t * (c - (worst[j] as number));
    }
  };
  // Accepting a trial point swaps its buffer with the worst vertex's, so no array is created per iteration.
  const acceptWorst = (x: number[], v: number): number[] => {
    const old = simplex[n] as number[];
    simplex[n] = x;
    values[n] = v;
    return old;
  };
  while (evals < maxEval) {
    order();
    const best = values[0] as number;
    const worstV = values[n] as number;
    if (Math.abs(worstV - best) <= tol * (Math.abs(best) + tol)) break;
    centroid.fill(0);
    for (let i = 0; i < n; i++) {
      const p = simplex[i] as number[];
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (p[j] as number) / n;
    }
    const worst = simplex[n] as number[];
    along(xr, worst, 1);
    const fr = safe(xr);
    evals++;
    const secondWorst = values[n - 1] as number;
    if (fr < best) {
      along(xe, worst, 2);
      const fe = safe(xe);
      evals++;
      if (fe < fr) xe = acceptWorst(xe, fe);
      else xr = acceptWorst(xr, fr);
      continue;
    }
    if (fr < secondWorst) {
      xr = acceptWorst(xr, fr);
      continue;
    }
    const outside = fr < worstV;
    along(xc, worst, outside ? 0.5 : -0.5);
    const fc = safe(xc);
    evals++;
    if (fc < (outside ? fr : worstV)) {
      xc = acceptWorst(xc, fc);
      continue;
    }
    const x0b = simplex[0] as number[];
    for (let i = 1; i <= n; i++) {
      const p = simplex[i] as number[];
      for (let j = 0; j < n; j++) p[j] = (x0b[j] as number) + 0.5 * ((p[j] as number) - (x0b[j] as number));
      values[i] = safe(p);
      evals++;
    }
  }
  order();
  return { x: (simplex[0] as number[]).slice(), value: values[0] as number, evaluations: evals };
}

/** Result of {@link brentMinimise}. */
export interface BrentResult {
  readonly x: number;
  readonly value: number;
  readonly evaluations: number;
}

const GOLDEN = 0.5 * (3 - Math.sqrt(5));

/**
 * Minimises a function of one variable on [a, b] by Brent's method (golden section with parabolic steps;
 * Brent 1973, the algorithm of R's optimize), stopping when x is known to within about 2 * tol + 1e-8 |x|.
 * Finds a local minimum; bracket the global one first (a grid) when the function may be multimodal.
 *
 * @example
 * brentMinimise((x) => (x - 0.3) ** 2, 0, 1).x // ~ 0.3
 */
export function brentMinimise(
  f: (x: number) => number,
  a: number,
  b: number,
  tol = 1e-8,
  maxEvaluations = 100,
): BrentResult {
  if (!(a < b)) throw new RangeError(`brentMinimise needs a < b, got a=${a}, b=${b}`);
  const eps = 1e-8;
  const safe = (x: number): number => {
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  let lo = a;
  let hi = b;
  let x = lo + GOLDEN * (hi - lo);
  let w = x;
  let v = x;
  let fx = safe(x);
  let fw = fx;
  let fv = fx;
  let d = 0;
  let e = 0;
  let evals = 1;
  while (evals < maxEvaluations) {
    const mid = 0.5 * (lo + hi);
    const tol1 = eps * Math.abs(x) + tol / 3;
    const tol2 = 2 * tol1;
    if (Math.abs(x - mid) <= tol2 - 0.5 * (hi - lo)) break;
    let golden = true;
    if (Math.abs(e) > tol1) {
      // Parabola through (v, fv), (w, fw), (x, fx).
      let r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      else q = -q;
      r = e;
      e = d;
      if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (lo - x) && p < q * (hi - x)) {
        d = p / q;
        const u = x + d;
        if (u - lo < tol2 || hi - u < tol2) d = x < mid ? tol1 : -tol1;
        golden = false;
      }
    }
    if (golden) {
      e = (x < mid ? hi : lo) - x;
      d = GOLDEN * e;
    }
    const u = Math.abs(d) >= tol1 ? x + d : d > 0 ? x + tol1 : x - tol1;
    const fu = safe(u);
    evals++;
    if (fu <= fx) {
      if (u < x) hi = x;
      else lo = x;
      v = w;
      fv = fw;
      w = x;
      fw = fx;
      x = u;
      fx = fu;
    } else {
      if (u < x) lo = u;
      else hi = u;
      if (fu <= fw || w === x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u;
        fv = fu;
      }
    }
  }
  return { x, value: fx, evaluations: evals };
}

/** Options of {@link boxMinimise}. */
export interface BoxMinimiseOptions {
  /** Iterations at most. @default 100 */
  readonly maxIterations?: number;
  /** Stop when every component of the projected gradient is at most this in absolute value. @default 1e-6 */
  readonly gtol?: number;
  /** Stop when one iteration lowers f by at most `ftol · max(1, |f|)`. @default 1e-10 */
  readonly ftol?: number;
  /** Largest coordinate change of the first step (no curvature known yet). @default 0.1 */
  readonly firstStep?: number;
}

/** Result of {@link boxMinimise}. */
export interface BoxMinimiseResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  /** Calls of `f` (line-search trials included) and of `grad`. */
  readonly evaluations: number;
  readonly gradients: number;
  /** True when a stopping test held; false when the iterations ran out or no step lowered f. */
  readonly converged: boolean;
}

/**
 * Minimises a smooth `f` over the box lower <= x <= upper by projected quasi-Newton steps (the idea of
 * L-BFGS-B, Byrd, Lu, Nocedal & Zhu 1995, with a dense BFGS inverse Hessian for the few parameters of a model
 * fit): coordinates at a bound whose gradient points outwards are held there, the others take the BFGS step,
 * the trial point is projected onto the box, and an Armijo backtracking search accepts it. Why not the
 * transform-to-unbounded route: at a bound the logistic's slope vanishes, and the search then crawls instead
 * of stopping there, while smoothing parameters of ETS fits often sit at their bounds.
 *
 * `grad(x, g)` is called only at the point of the latest `f(x)` call, so a caller can reuse work from it (the
 * profiled initial states of an ETS fit, for example).
 *
 * @example
 * boxMinimise(
 *   (x) => (x[0]! - 2) ** 2,
 *   (x, g) => { g[0] = 2 * (x[0]! - 2); },
 *   [0], [0], [1],
 * ).x[0] // 1, the bound
 */
export function boxMinimise(
  f: (x: Float64Array) => number,
  grad: (x: Float64Array, g: Float64Array) => void,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  options: BoxMinimiseOptions = {},
): BoxMinimiseResult {
  const n = x0.length;
  if (lower.length !== n || upper.length !== n)
    throw new RangeError(`boxMinimise: lower and upper must have x0's length ${n}`);
  for (let i = 0; i < n; i++) {
    if (!((lower[i] as number) <= (upper[i] as number)))
      throw new RangeError(`boxMinimise: lower[${i}] must be <= upper[${i}]`);
  }
  const maxIter = options.maxIterations ?? 100;
  const gtol = options.gtol ?? 1e-6;
  const ftol = options.ftol ?? 1e-10;
  const firstStep = options.firstStep ?? 0.1;
  const clamp = (v: number, i: number): number =>
    Math.min(upper[i] as number, Math.max(lower[i] as number, v));
  const safe = (x: Float64Array): number => {
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  let x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = clamp(x0[i] as number, i);
  let xt = new Float64Array(n);
  let g = new Float64Array(n);
  let gt = new Float64Array(n);
  const d = new Float64Array(n);
  const s = new Float64Array(n);
  const yv = new Float64Array(n);
  const free = new Uint8Array(n);
  // Dense Hessian approximation B, row-major; the step solves B_FF d_F = -g_F on the free coordinates F, which
  // is the Newton step of the problem restricted to them (the block of an inverse approximation would not be).
  // `fresh` while B is still the identity.
  const B = new Float64Array(n * n);
  const A = new Float64Array(n * n);
  const bs = new Float64Array(n);
  const resetB = (): void => {
    B.fill(0);
    for (let i = 0; i < n; i++) B[i * n + i] = 1;
  };
  resetB();
  let fresh = true;
  let fx = safe(x);
  let evaluations = 1;
  let gradients = 0;
  if (!Number.isFinite(fx)) return { x, value: fx, iterations: 0, evaluations, gradients, converged: false };
  grad(x, g);
  gradients++;
  let iter = 0;
  let converged = false;
  while (iter < maxIter) {
    let pg = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i] as number;
      const xi = x[i] as number;
      const held = (xi <= (lower[i] as number) && gi > 0) || (xi >= (upper[i] as number) && gi < 0);
      free[i] = held ? 0 : 1;
      if (!held && Math.abs(gi) > pg) pg = Math.abs(gi);
    }
    if (pg <= gtol) {
      converged = true;
      break;
    }
    let slope = 0;
    if (fresh) {
      // Without curvature the first step moves the largest free coordinate by `firstStep`.
      const scale = firstStep / pg;
      for (let i = 0; i < n; i++) {
        d[i] = free[i] ? -scale * (g[i] as number) : 0;
        slope += (d[i] as number) * (g[i] as number);
      }
    } else {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++)
          A[i * n + j] = free[i] && free[j] ? (B[i * n + j] as number) : i === j ? 1 : 0;
        d[i] = free[i] ? -(g[i] as number) : 0;
      }
      if (!solveSpd(A, d, n)) {
        resetB();
        fresh = true;
        continue;
      }
      for (let i = 0; i < n; i++) slope += (d[i] as number) * (g[i] as number);
      if (!(slope < 0)) {
        resetB();
        fresh = true;
        continue;
      }
    }
    if (!(slope < 0)) break;
    let t = 1;
    let ft = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let trial = 0; trial < 30; trial++) {
      let dec = 0;
      let moved = false;
      for (let i = 0; i < n; i++) {
        const v = clamp((x[i] as number) + t * (d[i] as number), i);
        xt[i] = v;
        const si = v - (x[i] as number);
        if (si !== 0) moved = true;
        dec += si * (g[i] as number);
      }
      if (!moved) break;
      ft = safe(xt);
      evaluations++;
      if (ft <= fx + 1e-4 * dec) {
        accepted = true;
        break;
      }
      // Minimiser of the quadratic through f(0), f'(0) and f(t), kept within [0.1 t, 0.5 t].
      const q = Number.isFinite(ft) ? (-dec * t) / (2 * (ft - fx - dec)) : 0.1 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, q));
    }
    if (!accepted) {
      if (fresh) break; // not even a short steepest-descent step lowers f: nothing left at this precision
      resetB();
      fresh = true;
      continue;
    }
    grad(xt, gt);
    gradients++;
    iter++;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = (xt[i] as number) - (x[i] as number);
      yv[i] = (gt[i] as number) - (g[i] as number);
      sy += (s[i] as number) * (yv[i] as number);
      yy += (yv[i] as number) * (yv[i] as number);
    }
    if (sy > Number.EPSILON * Math.sqrt(yy) * Math.hypot(...s)) {
      if (fresh) {
        // Nocedal & Wright (6.20), for B: scale the identity before the first update.
        B.fill(0);
        for (let i = 0; i < n; i++) B[i * n + i] = yy / sy;
        fresh = false;
      }
      // B+ = B - (B s)(B s)' / s'B s + y y' / y's.
      let sbs = 0;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += (B[i * n + j] as number) * (s[j] as number);
        bs[i] = v;
        sbs += (s[i] as number) * v;
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          B[i * n + j] =
            (B[i * n + j] as number) -
            ((bs[i] as number) * (bs[j] as number)) / sbs +
            ((yv[i] as number) * (yv[j] as number)) / sy;
        }
      }
    } else {
      // No positive curvature along the step (f is concave there): the old curvature would now hold the
      // steps back to a crawl, so start again from a scaled gradient step.
      resetB();
      fresh = true;
    }
    const drop = fx - ft;
    [x, xt] = [xt, x];
    [g, gt] = [gt, g];
    fx = ft;
    if (drop <= ftol * Math.max(1, Math.abs(fx))) {
      converged = true;
      break;
    }
  }
  return { x, value: fx, iterations: iter, evaluations, gradients, converged };
}

/**
 * Solves A x = b in place (b becomes x) by Cholesky for a symmetric positive definite A (overwritten by its
 * factor); false when A is not numerically positive definite.
 */
export function solveSpd(A: Float64Array, b: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let dj = A[j * n + j] as number;
    for (let k = 0; k < j; k++) dj -= (A[j * n + k] as number) ** 2;
    if (!(dj > 1e-300)) return false;
    const r = Math.sqrt(dj);
    A[j * n + j] = r;
    for (let i = j + 1; i < n; i++) {
      let v = A[i * n + j] as number;
      for (let k = 0; k < j; k++) v -= (A[i * n + k] as number) * (A[j * n + k] as number);
      A[i * n + j] = v / r;
    }
  }
  for (let i = 0; i < n; i++) {
    let v = b[i] as number;
    for (let k = 0; k < i; k++) v -= (A[i * n + k] as number) * (b[k] as number);
    b[i] = v / (A[i * n + i] as number);
  }
  for (let i = n - 1; i >= 0; i--) {
    let v = b[i] as number;
    for (let k = i + 1; k < n; k++) v -= (A[k * n + i] as number) * (b[k] as number);
    b[i] = v / (A[i * n + i] as number);
  }
  return true;
}
