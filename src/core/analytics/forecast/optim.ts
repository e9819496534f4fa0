/**
 * Nelder-Mead simplex minimiser (Lagarias et al. 1998 coefficients), written once for every model fit here.
 * Constraints are the caller's business: map bounded parameters through a transform or return Infinity.
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
 * Minimises `f` from `x0`.
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
  let values = simplex.map(safe);
  let evals = n + 1;
  const order = (): void => {
    const idx = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
    const s2 = idx.map((i) => simplex[i] as number[]);
    const v2 = idx.map((i) => values[i] as number);
    for (let i = 0; i <= n; i++) simplex[i] = s2[i] as number[];
    values = v2;
  };
  const along = (centroid: number[], worst: number[], t: number): number[] =>
    centroid.map((c, j) => c + t * (c - (worst[j] as number)));
  while (evals < maxEval) {
    order();
    const best = values[0] as number;
    const worstV = values[n] as number;
    if (Math.abs(worstV - best) <= tol * (Math.abs(best) + tol)) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      const p = simplex[i] as number[];
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] as number) + (p[j] as number) / n;
    }
    const worst = simplex[n] as number[];
    const xr = along(centroid, worst, 1);
    const fr = safe(xr);
    evals++;
    const secondWorst = values[n - 1] as number;
    if (fr < best) {
      const xe = along(centroid, worst, 2);
      const fe = safe(xe);
      evals++;
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
      continue;
    }
    if (fr < secondWorst) {
      simplex[n] = xr;
      values[n] = fr;
      continue;
    }
    const outside = fr < worstV;
    const xc = along(centroid, worst, outside ? 0.5 : -0.5);
    const fc = safe(xc);
    evals++;
    if (fc < (outside ? fr : worstV)) {
      simplex[n] = xc;
      values[n] = fc;
      continue;
    }
    const x0b = simplex[0] as number[];
    for (let i = 1; i <= n; i++) {
      const p = simplex[i] as number[];
      simplex[i] = p.map((v, j) => (x0b[j] as number) + 0.5 * (v - (x0b[j] as number)));
      values[i] = safe(simplex[i] as number[]);
      evals++;
    }
  }
  order();
  return { x: (simplex[0] as number[]).slice(), value: values[0] as number, evaluations: evals };
}
