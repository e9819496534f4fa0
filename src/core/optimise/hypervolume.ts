/**
 * Exact hypervolume (minimisation) of a point set with respect to a reference point, in 2 dimensions by a
 * sweep and in 3 dimensions by slicing along the third objective with an incrementally maintained 2-D
 * staircase (O(n·s) for a staircase of s points) — ample for fronts of a few thousand points.
 */

/** Raised for malformed input (dimension mismatch, unsupported dimension). */
export class HypervolumeError extends Error {
  override readonly name = 'HypervolumeError';
}

/** Points that are not dominated by another point of the set (minimisation; duplicates kept once). */
export function nonDominated(points: readonly (readonly number[])[]): number[][] {
  const out: number[][] = [];
  const sorted = [...points].sort((a, b) => {
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return (a[k] as number) - (b[k] as number);
    return 0;
  });
  outer: for (const p of sorted) {
    for (const q of out) {
      let weak = true;
      for (let k = 0; k < p.length; k++) if ((q[k] as number) > (p[k] as number)) weak = false;
      if (weak) continue outer;
    }
    out.push([...p]);
  }
  return out;
}

/** 2-D area dominated by `points` and bounded by `ref` (points beyond ref in any coordinate ignored). */
function hv2(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const rx = ref[0] as number;
  const ry = ref[1] as number;
  const pts = points
    .filter((p) => (p[0] as number) < rx && (p[1] as number) < ry)
    .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let area = 0;
  let yPrev = ry;
  for (const p of pts) {
    const y = p[1] as number;
    if (y < yPrev) {
      area += (rx - (p[0] as number)) * (yPrev - y);
      yPrev = y;
    }
  }
  return area;
}

/** Inserts (x, y) into a staircase sorted by x ascending with y strictly descending; returns the new staircase. */
function insertStair(stair: [number, number][], x: number, y: number): void {
  // Dominated by an existing point?
  let lo = 0;
  let hi = stair.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((stair[mid] as [number, number])[0] <= x) lo = mid + 1;
    else hi = mid;
  }
  // stair[lo-1] has x' <= x and the smallest y among those.
  if (lo > 0 && (stair[lo - 1] as [number, number])[1] <= y) return;
  let end = lo;
  while (end < stair.length && (stair[end] as [number, number])[1] >= y) end++;
  let start = lo;
  if (start > 0 && (stair[start - 1] as [number, number])[0] === x) start--;
  stair.splice(start, end - start, [x, y]);
}

function stairArea(stair: readonly [number, number][], rx: number, ry: number): number {
  let area = 0;
  let yPrev = ry;
  for (const [x, y] of stair) {
    area += (rx - x) * (yPrev - y);
    yPrev = y;
  }
  return area;
}

function hv3(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const [rx, ry, rz] = ref as [number, number, number];
  const pts = points
    .filter((p) => (p[0] as number) < rx && (p[1] as number) < ry && (p[2] as number) < rz)
    .sort((a, b) => (a[2] as number) - (b[2] as number));
  const stair: [number, number][] = [];
  let vol = 0;
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i] as number[];
    insertStair(stair, p[0] as number, p[1] as number);
    const zNext = i + 1 < pts.length ? ((pts[i + 1] as number[])[2] as number) : rz;
    if (zNext > (p[2] as number)) vol += stairArea(stair, rx, ry) * (zNext - (p[2] as number));
  }
  return vol;
}

/**
 * Hypervolume dominated by `points` (minimisation) and bounded by `ref`, for 1 to 3 objectives.
 *
 * @example
 * hypervolume([[1, 2], [2, 1]], [3, 3]); // 3
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const m = ref.length;
  for (const [i, p] of points.entries()) {
    if (p.length !== m) throw new HypervolumeError(`points[${i}]: has ${p.length} objectives, ref has ${m}`);
  }
  if (m === 1) {
    const best = Math.min(...points.map((p) => p[0] as number));
    return Number.isFinite(best) ? Math.max(0, (ref[0] as number) - best) : 0;
  }
  if (m === 2) return hv2(points, ref);
  if (m === 3) return hv3(points, ref);
  throw new HypervolumeError(`ref: ${m} objectives are not supported (1 to 3)`);
}
