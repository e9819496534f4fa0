/**
 * Minimisers written once for every model fit here: Nelder-Mead for several parameters and Brent's method for
 * one. Constraints are the caller's business: map bounded parameters through a transform or return Infinity.
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
