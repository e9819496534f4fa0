/**
 * Ranking helpers shared by samplers and the study: losses (minimisation view of objective values),
 * constraint violation, Deb's constrained domination, non-dominated sorting and crowding distance.
 */
import type { Direction, TrialRecord } from './types.ts';

/** Objective values turned into losses (maximised objectives negated). */
export function losses(t: TrialRecord, directions: readonly Direction[]): number[] {
  const v = t.values ?? [];
  return directions.map((d, i) => {
    const x = v[i] ?? Number.NaN;
    return d === 'maximize' ? -x : x;
  });
}

/** Total constraint violation: sum of positive constraint values (0 = feasible). */
export function violation(t: { constraints?: number[] }): number {
  let s = 0;
  for (const c of t.constraints ?? []) s += c > 0 ? c : Number.isNaN(c) ? Number.POSITIVE_INFINITY : 0;
  return s;
}

/** Whether loss vector a Pareto-dominates b (minimisation). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

/**
 * Deb's constrained domination: a feasible point beats an infeasible one; of two infeasible points the
 * smaller violation wins; of two feasible points Pareto domination decides.
 */
export function constrainedDominates(
  la: readonly number[],
  va: number,
  lb: readonly number[],
  vb: number,
): boolean {
  if (va === 0 && vb > 0) return true;
  if (va > 0 && vb === 0) return false;
  if (va > 0 && vb > 0) return va < vb;
  return dominates(la, lb);
}

/**
 * Fast non-dominated sort (Deb et al. 2002) under constrained domination. Returns the fronts as
 * arrays of indices into `points`, best front first.
 */
export function nonDominatedSort(
  points: readonly (readonly number[])[],
  violations?: readonly number[],
): number[][] {
  const n = points.length;
  const v = violations ?? new Array<number>(n).fill(0);
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Int32Array(n);
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const pi = points[i] as number[];
      const pj = points[j] as number[];
      if (constrainedDominates(pi, v[i] as number, pj, v[j] as number)) {
        (dominatedBy[i] as number[]).push(j);
        count[j] = (count[j] as number) + 1;
      } else if (constrainedDominates(pj, v[j] as number, pi, v[i] as number)) {
        (dominatedBy[j] as number[]).push(i);
        count[i] = (count[i] as number) + 1;
      }
    }
  }
  for (let i = 0; i < n; i++) if (count[i] === 0) current.push(i);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominatedBy[i] as number[]) {
        count[j] = (count[j] as number) - 1;
        if (count[j] === 0) next.push(j);
      }
    }
    current = next;
  }
  return fronts;
}

/** Crowding distance of the points of one front (indices into `points`); boundary points get Infinity. */
export function crowdingDistance(
  points: readonly (readonly number[])[],
  front: readonly number[],
): Map<number, number> {
  const dist = new Map<number, number>();
  for (const i of front) dist.set(i, 0);
  if (front.length <= 2) {
    for (const i of front) dist.set(i, Number.POSITIVE_INFINITY);
    return dist;
  }
  const m = (points[front[0] as number] as number[]).length;
  for (let k = 0; k < m; k++) {
    const sorted = [...front].sort((a, b) => (points[a] as number[])[k]! - (points[b] as number[])[k]!);
    const lo = (points[sorted[0] as number] as number[])[k]!;
    const hi = (points[sorted[sorted.length - 1] as number] as number[])[k]!;
    dist.set(sorted[0] as number, Number.POSITIVE_INFINITY);
    dist.set(sorted[sorted.length - 1] as number, Number.POSITIVE_INFINITY);
    if (hi === lo) continue;
    for (let r = 1; r < sorted.length - 1; r++) {
      const i = sorted[r] as number;
      const gap =
        (points[sorted[r + 1] as number] as number[])[k]! - (points[sorted[r - 1] as number] as number[])[k]!;
      dist.set(i, (dist.get(i) as number) + gap / (hi - lo));
    }
  }
  return dist;
}

/**
 * Orders finished trials best first for a single objective: feasible before infeasible (smaller
 * violation first), then by loss; complete trials before pruned ones (a pruned trial never finished).
 */
export function compareSingle(a: TrialRecord, b: TrialRecord, direction: Direction): number {
  const pa = a.state === 'pruned' ? 1 : 0;
  const pb = b.state === 'pruned' ? 1 : 0;
  if (pa !== pb) return pa - pb;
  const va = violation(a);
  const vb = violation(b);
  if (va !== vb) return va - vb;
  const la = lossForRanking(a, direction);
  const lb = lossForRanking(b, direction);
  if (la !== lb) return la - lb;
  return a.number - b.number;
}

function lossForRanking(t: TrialRecord, direction: Direction): number {
  let x: number | undefined;
  if (t.state === 'complete') x = t.values?.[0];
  else if (t.intermediate.length > 0) x = t.intermediate[t.intermediate.length - 1]?.[1];
  if (x === undefined || Number.isNaN(x)) return Number.POSITIVE_INFINITY;
  return direction === 'maximize' ? -x : x;
}
