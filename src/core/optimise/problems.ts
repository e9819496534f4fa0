/**
 * Standard optimisation test problems, as defined by BoTorch's test_functions (synthetic.py,
 * multi_objective.py) and the SFU Virtual Library of Simulation Experiments: single-objective Branin,
 * Hartmann6, Rosenbrock, Ackley; multi-objective ZDT1-3 and DTLZ2. Minimisation throughout.
 */

export interface Problem {
  readonly name: string;
  readonly dim: number;
  readonly bounds: readonly (readonly [number, number])[];
  /** Known global minimum (single objective). */
  readonly fMin?: number;
  readonly nObjectives: number;
  evaluate(x: readonly number[]): number[];
}

/** Branin-Hoo on [-5,10]×[0,15]; minimum 0.397887 at three points. */
export function branin(x: readonly number[]): number {
  const [x1, x2] = x as [number, number];
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];

/** Hartmann 6-D on [0,1]^6; minimum -3.32237. */
export function hartmann6(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) {
      inner += (H6_A[i] as number[])[j]! * ((x[j] as number) - (H6_P[i] as number[])[j]! * 1e-4) ** 2;
    }
    s += (H6_ALPHA[i] as number) * Math.exp(-inner);
  }
  return -s;
}

/** Rosenbrock in d dimensions; minimum 0 at (1,…,1). */
export function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    s += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
  }
  return s;
}

/** Ackley (a=20, b=0.2, c=2π) in d dimensions; minimum 0 at the origin. */
export function ackley(x: readonly number[]): number {
  const d = x.length;
  let sq = 0;
  let cs = 0;
  for (const v of x) {
    sq += v * v;
    cs += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(sq / d)) - Math.exp(cs / d) + 20 + Math.E;
}

function zdtG(x: readonly number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += x[i] as number;
  return 1 + (9 * s) / (x.length - 1);
}

/** ZDT1 (convex front f2 = 1 - √f1), x in [0,1]^n. */
export function zdt1(x: readonly number[]): number[] {
  const f1 = x[0] as number;
  const g = zdtG(x);
  return [f1, g * (1 - Math.sqrt(f1 / g))];
}

/** ZDT2 (concave front f2 = 1 - f1²). */
export function zdt2(x: readonly number[]): number[] {
  const f1 = x[0] as number;
  const g = zdtG(x);
  return [f1, g * (1 - (f1 / g) ** 2)];
}

/** ZDT3 (disconnected front). */
export function zdt3(x: readonly number[]): number[] {
  const f1 = x[0] as number;
  const g = zdtG(x);
  return [f1, g * (1 - Math.sqrt(f1 / g) - (f1 / g) * Math.sin(10 * Math.PI * f1))];
}

/** DTLZ2 with m objectives (front: the unit sphere's positive orthant), x in [0,1]^n. */
export function dtlz2(x: readonly number[], m: number): number[] {
  let g = 0;
  for (let i = m - 1; i < x.length; i++) g += ((x[i] as number) - 0.5) ** 2;
  const f: number[] = [];
  for (let i = 0; i < m; i++) {
    let v = 1 + g;
    for (let j = 0; j < m - 1 - i; j++) v *= Math.cos(((x[j] as number) * Math.PI) / 2);
    if (i > 0) v *= Math.sin(((x[m - 1 - i] as number) * Math.PI) / 2);
    f.push(v);
  }
  return f;
}

const box = (d: number, lo: number, hi: number) => Array.from({ length: d }, () => [lo, hi] as const);

/** The benchmark problems by name (bounds and optima as in BoTorch / the peers' harness). */
export const PROBLEMS: Readonly<Record<string, Problem>> = {
  Branin: {
    name: 'Branin',
    dim: 2,
    bounds: [
      [-5, 10],
      [0, 15],
    ],
    fMin: 0.397887,
    nObjectives: 1,
    evaluate: (x) => [branin(x)],
  },
  Hartmann6: {
    name: 'Hartmann6',
    dim: 6,
    bounds: box(6, 0, 1),
    fMin: -3.32237,
    nObjectives: 1,
    evaluate: (x) => [hartmann6(x)],
  },
  Rosenbrock5: {
    name: 'Rosenbrock5',
    dim: 5,
    bounds: box(5, -5, 10),
    fMin: 0,
    nObjectives: 1,
    evaluate: (x) => [rosenbrock(x)],
  },
  Ackley5: {
    name: 'Ackley5',
    dim: 5,
    bounds: box(5, -32.768, 32.768),
    fMin: 0,
    nObjectives: 1,
    evaluate: (x) => [ackley(x)],
  },
  ZDT1: { name: 'ZDT1', dim: 30, bounds: box(30, 0, 1), nObjectives: 2, evaluate: zdt1 },
  ZDT2: { name: 'ZDT2', dim: 30, bounds: box(30, 0, 1), nObjectives: 2, evaluate: zdt2 },
  ZDT3: { name: 'ZDT3', dim: 30, bounds: box(30, 0, 1), nObjectives: 2, evaluate: zdt3 },
  DTLZ2: { name: 'DTLZ2', dim: 12, bounds: box(12, 0, 1), nObjectives: 3, evaluate: (x) => dtlz2(x, 3) },
};
