/**
 * Limited-memory BFGS for smooth unconstrained minimisation (Nocedal & Wright, Algorithm 7.4/7.5) with a
 * backtracking Armijo line search. Stops like SciPy's L-BFGS-B as scikit-learn calls it: on the largest
 * gradient component (gtol) or a tiny relative decrease of the objective (ftol).
 */

/** Objective: returns f(x) and writes the gradient into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** Result of {@link lbfgs}. */
export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Minimises `fn` from `x0`.
 *
 * @example
 * const r = lbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array(1));
 * // r.x[0] ≈ 3
 */
export function lbfgs(
  fn: Objective,
  x0: Float64Array,
  opts: { maxIter?: number; gtol?: number; ftol?: number; memory?: number } = {},
): LbfgsResult {
  const maxIter = opts.maxIter ?? 1000;
  const gtol = opts.gtol ?? 1e-5;
  const ftol = opts.ftol ?? 64 * Number.EPSILON;
  const m = opts.memory ?? 10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = fn(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(n);
  const alphaBuf = new Float64Array(m);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const maxAbs = (v: Float64Array) => {
    let mx = 0;
    for (let i = 0; i < n; i++) mx = Math.max(mx, Math.abs(v[i] as number));
    return mx;
  };
  if (maxAbs(g) <= gtol) return { x, f, iterations: 0, converged: true };
  let iter = 0;
  let converged = false;
  for (; iter < maxIter; iter++) {
    // Two-loop recursion: dir = -H g.
    for (let i = 0; i < n; i++) dir[i] = -(g[i] as number);
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      const s = S[j] as Float64Array;
      const y = Y[j] as Float64Array;
      let a = 0;
      for (let i = 0; i < n; i++) a += (s[i] as number) * (dir[i] as number);
      a *= rho[j] as number;
      alphaBuf[j] = a;
      for (let i = 0; i < n; i++) dir[i] = (dir[i] as number) - a * (y[i] as number);
    }
    if (k > 0) {
      const s = S[k - 1] as Float64Array;
      const y = Y[k - 1] as Float64Array;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += (s[i] as number) * (y[i] as number);
        yy += (y[i] as number) ** 2;
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) dir[i] = (dir[i] as number) * gamma;
    }
    for (let j = 0; j < k; j++) {
      const s = S[j] as Float64Array;
      const y = Y[j] as Float64Array;
      let b = 0;
      for (let i = 0; i < n; i++) b += (y[i] as number) * (dir[i] as number);
      b *= rho[j] as number;
      const c = (alphaBuf[j] as number) - b;
      for (let i = 0; i < n; i++) dir[i] = (dir[i] as number) + c * (s[i] as number);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += (dir[i] as number) * (g[i] as number);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      slope = 0;
      for (let i = 0; i < n; i++) {
        dir[i] = -(g[i] as number);
        slope -= (g[i] as number) ** 2;
      }
    }
    let step = k === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fNew = Number.POSITIVE_INFINITY;
    let ls = 0;
    for (; ls < 50; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + step * (dir[i] as number);
      fNew = fn(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (ls === 50) {
      converged = true; // no further decrease possible at machine precision
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] as number) - (x[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
      sy += (s[i] as number) * (y[i] as number);
    }
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fOld = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (maxAbs(g) <= gtol || (fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      converged = true;
      iter++;
      break;
    }
  }
  return { x, f, iterations: iter, converged };
}
