/**
 * k-means clustering: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with 2 + ln k local trials as
 * scikit-learn), Lloyd iterations, several seeded restarts keeping the lowest inertia. Convergence when the
 * centres move less (squared, summed) than `tol` times the mean feature variance, or labels stop changing.
 *
 * The Lloyd assignment step skips distance computations with Elkan's (2003) triangle-inequality bounds. The
 * bounds only prune centres that are provably farther (by a safety margin far above rounding error) than the
 * nearest one, and every distance that is computed is the same exact sum of squared differences, in the same
 * order, that a plain Lloyd step computes; ties still go to the lowest centre index. Labels, centres, inertia
 * and iteration counts are therefore bit-identical to plain Lloyd, only cheaper.
 */
import { mulberry32, type Rng } from '../random.ts';
import { checkParam, checkX, type Matrix, MlInputError } from './matrix.ts';
import { artifact, checkArtifact, f64, type Model, type ModelArtifact, notFitted, num } from './model.ts';

/** Options of {@link KMeans}. */
export interface KMeansOptions {
  readonly k: number;
  /** Restarts. @default 10 */
  readonly nInit?: number;
  /** @default 300 */
  readonly maxIter?: number;
  /** @default 1e-4 */
  readonly tol?: number;
  /** @default 0 */
  readonly seed?: number;
}

/** Relative safety margin of the bounds: pruning needs a gap of this times the data's bounding-box diagonal. */
const MARGIN = 1e-7;

function sqDist(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const z = (a[ao + j] as number) - (b[bo + j] as number);
    s += z * z;
  }
  return s;
}

/**
 * The squared distance summed in the same order as {@link sqDist}, but returned early (as a partial sum, a
 * lower bound of the full one) once it exceeds `bound`: terms are non-negative, so the full sum would too.
 */
function sqDistUpTo(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  d: number,
  bound: number,
): number {
  let s = 0;
  let j = 0;
  while (j < d) {
    const end = Math.min(j + 8, d);
    for (; j < end; j++) {
      const z = (a[ao + j] as number) - (b[bo + j] as number);
      s += z * z;
    }
    if (s > bound) return s;
  }
  return s;
}

/**
 * Two squared distances, from row `xo` of `x` to rows `o1` and `o2` of `c`, each summed in the same order as
 * {@link sqDist} (two independent sums, so the CPU overlaps them); stops early, with partial sums, once both
 * exceed `bound`. Results go to `out[0]` and `out[1]`.
 */
function sqDist2UpTo(
  x: Float64Array,
  xo: number,
  c: Float64Array,
  o1: number,
  o2: number,
  d: number,
  bound: number,
  out: Float64Array,
): void {
  let s1 = 0;
  let s2 = 0;
  let j = 0;
  while (j < d) {
    const end = Math.min(j + 8, d);
    for (; j < end; j++) {
      const v = x[xo + j] as number;
      const z1 = v - (c[o1 + j] as number);
      const z2 = v - (c[o2 + j] as number);
      s1 += z1 * z1;
      s2 += z2 * z2;
    }
    if (s1 > bound && s2 > bound) break;
  }
  out[0] = s1;
  out[1] = s2;
}

/** Four squared distances side by side, as {@link sqDist2UpTo}; results go to `out[0..3]`. */
function sqDist4UpTo(
  x: Float64Array,
  xo: number,
  c: Float64Array,
  o1: number,
  o2: number,
  o3: number,
  o4: number,
  d: number,
  bound: number,
  out: Float64Array,
): void {
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let j = 0;
  while (j < d) {
    const end = Math.min(j + 8, d);
    for (; j < end; j++) {
      const v = x[xo + j] as number;
      const z1 = v - (c[o1 + j] as number);
      const z2 = v - (c[o2 + j] as number);
      const z3 = v - (c[o3 + j] as number);
      const z4 = v - (c[o4 + j] as number);
      s1 += z1 * z1;
      s2 += z2 * z2;
      s3 += z3 * z3;
      s4 += z4 * z4;
    }
    if (s1 > bound && s2 > bound && s3 > bound && s4 > bound) break;
  }
  out[0] = s1;
  out[1] = s2;
  out[2] = s3;
  out[3] = s4;
}

function sampleIndex(rng: Rng, weights: Float64Array, total: number): number {
  let r = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Buffers of one fit, shared by its restarts. */
interface Work {
  readonly closest: Float64Array;
  /** `trials` rows of n: each trial's candidate potentials. */
  readonly cand: Float64Array;
  readonly idx: Int32Array;
  readonly pot: Float64Array;
  readonly pair: Float64Array;
  readonly quad: Float64Array;
}

function kmeansPlusPlus(X: Matrix, k: number, rng: Rng, centres: Float64Array, w: Work): void {
  const { rows: n, cols: d, data } = X;
  const { closest, cand, idx, pot: pots, quad } = w;
  const first = Math.floor(rng() * n);
  centres.set(data.subarray(first * d, first * d + d), 0);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    const v = sqDist(data, i * d, centres, 0, d);
    closest[i] = v;
    pot += v;
  }
  const trials = idx.length;
  for (let c = 1; c < k; c++) {
    // The trials' samples depend only on `closest`, not on each other's outcome: draw them all first (same
    // random stream), then evaluate two at a time.
    for (let t = 0; t < trials; t++)
      idx[t] = pot > 0 ? sampleIndex(rng, closest, pot) : Math.floor(rng() * n);
    for (let t = 0; t < trials; t += 4) {
      // Up to four trials per pass over the rows; a missing one repeats the last and is not stored.
      const g = Math.min(trials - t, 4);
      const o1 = (idx[t] as number) * d;
      const o2 = (idx[t + (g > 1 ? 1 : 0)] as number) * d;
      const o3 = (idx[t + (g > 2 ? 2 : g - 1)] as number) * d;
      const o4 = (idx[t + g - 1] as number) * d;
      const r = t * n;
      let p1 = 0;
      let p2 = 0;
      let p3 = 0;
      let p4 = 0;
      for (let i = 0; i < n; i++) {
        const old = closest[i] as number;
        // min(old, full distance) is old whenever the partial sum already exceeds it.
        sqDist4UpTo(data, i * d, data, o1, o2, o3, o4, d, old, quad);
        const s1 = quad[0] as number;
        const v1 = Math.min(s1, old);
        cand[r + i] = v1;
        p1 += v1;
        if (g > 1) {
          const s2 = quad[1] as number;
          const v2 = Math.min(s2, old);
          cand[r + n + i] = v2;
          p2 += v2;
          if (g > 2) {
            const s3 = quad[2] as number;
            const v3 = Math.min(s3, old);
            cand[r + 2 * n + i] = v3;
            p3 += v3;
            if (g > 3) {
              const s4 = quad[3] as number;
              const v4 = Math.min(s4, old);
              cand[r + 3 * n + i] = v4;
              p4 += v4;
            }
          }
        }
      }
      pots[t] = p1;
      if (g > 1) pots[t + 1] = p2;
      if (g > 2) pots[t + 2] = p3;
      if (g > 3) pots[t + 3] = p4;
    }
    let bestPot = Number.POSITIVE_INFINITY;
    let best = 0;
    for (let t = 0; t < trials; t++) {
      if ((pots[t] as number) < bestPot) {
        bestPot = pots[t] as number;
        best = t;
      }
    }
    const bestIdx = idx[best] as number;
    centres.set(data.subarray(bestIdx * d, bestIdx * d + d), c * d);
    closest.set(cand.subarray(best * n, best * n + n));
    pot = bestPot;
  }
}

/** Plain Lloyd assignment (nearest centre, ties to the lowest index); returns the inertia. */
function assign(X: Matrix, centres: Float64Array, k: number, labels: Int32Array): number {
  const { rows: n, cols: d, data } = X;
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const io = i * d;
    let best = 0;
    let bd = sqDist(data, io, centres, 0, d);
    for (let c = 1; c < k; c++) {
      const s = sqDistUpTo(data, io, centres, c * d, d, bd);
      if (s < bd) {
        bd = s;
        best = c;
      }
    }
    labels[i] = best;
    inertia += bd;
  }
  return inertia;
}

/**
 * Elkan's bounds for one restart: `upper[i]` >= distance of row i to its labelled centre, `lower[i*k+c]` <=
 * its distance to centre c (Euclidean, not squared). `half[a*k+c]` is half the distance between centres a and
 * c, `nearHalf[a]` its minimum over c != a, `move[c]` how far centre c moved in the last update.
 */
interface Bounds {
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly half: Float64Array;
  readonly nearHalf: Float64Array;
  readonly move: Float64Array;
}

function centreGaps(centres: Float64Array, k: number, d: number, b: Bounds): void {
  const { half, nearHalf } = b;
  nearHalf.fill(Number.POSITIVE_INFINITY);
  for (let a = 0; a < k; a++) {
    for (let c = a + 1; c < k; c++) {
      const h = 0.5 * Math.sqrt(sqDist(centres, a * d, centres, c * d, d));
      half[a * k + c] = h;
      half[c * k + a] = h;
      if (h < (nearHalf[a] as number)) nearHalf[a] = h;
      if (h < (nearHalf[c] as number)) nearHalf[c] = h;
    }
  }
}

/**
 * One Lloyd assignment step with Elkan pruning; labels come out exactly as {@link assign} would give them.
 * With `fresh` the bounds are rebuilt (every centre is a candidate for every row). `cands` has room for k.
 */
function assignElkan(
  X: Matrix,
  centres: Float64Array,
  k: number,
  labels: Int32Array,
  b: Bounds,
  margin: number,
  fresh: boolean,
  cands: Int32Array,
  pair: Float64Array,
  quad: Float64Array,
): void {
  const { rows: n, cols: d, data } = X;
  const { upper, lower, half, nearHalf } = b;
  centreGaps(centres, k, d, b);
  if (fresh) {
    labels.fill(0);
    upper.fill(Number.POSITIVE_INFINITY);
    lower.fill(0);
  }
  for (let i = 0; i < n; i++) {
    let a = labels[i] as number;
    let u = upper[i] as number;
    // Every other centre is at least 2 * nearHalf[a] - u away: farther than u, so a stays.
    if (u + margin < (nearHalf[a] as number)) continue;
    const lo = i * k;
    // Centre c is provably farther than a when u is below its lower bound or half the gap between a and c.
    let m = 0;
    for (let c = 0; c < k; c++) {
      if (c !== a && !(u + margin < (lower[lo + c] as number)) && !(u + margin < (half[a * k + c] as number)))
        cands[m++] = c;
    }
    if (m === 0) continue;
    const io = i * d;
    // The labelled centre's distance is needed in full; up to three candidates ride along with it (a
    // missing one repeats the last and is ignored).
    const g = Math.min(m, 3);
    const f1 = cands[0] as number;
    const f2 = cands[g > 1 ? 1 : 0] as number;
    const f3 = cands[g - 1] as number;
    sqDist4UpTo(data, io, centres, a * d, f1 * d, f2 * d, f3 * d, d, Number.POSITIVE_INFINITY, quad);
    let da = quad[0] as number;
    lower[lo + a] = Math.sqrt(da);
    for (let r = 0; r < g; r++) {
      const c = cands[r] as number;
      const sc = quad[r + 1] as number;
      lower[lo + c] = Math.sqrt(sc);
      if (sc < da || (sc === da && c < a)) {
        a = c;
        da = sc;
      }
    }
    u = Math.sqrt(da);
    let q = g;
    while (q < m) {
      // The next two candidates that the (now tighter) bound cannot rule out, computed side by side.
      let c1 = -1;
      let c2 = -1;
      for (; q < m && c2 < 0; q++) {
        const c = cands[q] as number;
        if (c === a || u + margin < (lower[lo + c] as number) || u + margin < (half[a * k + c] as number))
          continue;
        if (c1 < 0) c1 = c;
        else c2 = c;
      }
      if (c1 < 0) break;
      let s1: number;
      let s2 = Number.POSITIVE_INFINITY;
      if (c2 < 0) s1 = sqDistUpTo(data, io, centres, c1 * d, d, da);
      else {
        sqDist2UpTo(data, io, centres, c1 * d, c2 * d, d, da, pair);
        s1 = pair[0] as number;
        s2 = pair[1] as number;
      }
      // Candidates in increasing index order, ties to the lower index: the same winner as a full scan.
      lower[lo + c1] = Math.sqrt(s1);
      if (s1 < da || (s1 === da && c1 < a)) {
        a = c1;
        da = s1;
      }
      if (c2 >= 0) {
        lower[lo + c2] = Math.sqrt(s2);
        if (s2 < da || (s2 === da && c2 < a)) {
          a = c2;
          da = s2;
        }
      }
      u = Math.sqrt(da);
    }
    labels[i] = a;
    upper[i] = u;
  }
}

/** Flags the clusters that gained or lost a row since `prev`, then saves the labels there; true if none did. */
function markChanged(labels: Int32Array, prev: Int32Array, changed: Uint8Array): boolean {
  changed.fill(0);
  let same = true;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    const p = prev[i] as number;
    if (c !== p) {
      same = false;
      changed[c] = 1;
      if (p >= 0) changed[p] = 1;
    }
  }
  prev.set(labels);
  return same;
}

/**
 * Lloyd's update into `next`: each changed cluster's mean, its rows summed in increasing row order (an empty
 * cluster keeps its centre). An unchanged cluster has the same rows as when its centre was last computed, so
 * the mean would come out bit for bit the same: it is copied instead. Returns the summed squared shift (in
 * the same order as a full update; unchanged clusters add exact zeros) and sets `move` (Euclidean, per centre).
 */
function updateCentres(
  X: Matrix,
  k: number,
  labels: Int32Array,
  centres: Float64Array,
  next: Float64Array,
  counts: Float64Array,
  changed: Uint8Array,
  move: Float64Array | undefined,
  order: Int32Array,
  start: Int32Array,
): number {
  const { rows: n, cols: d, data } = X;
  for (let c = 0; c < k; c++) {
    if (changed[c] === 1) counts[c] = 0;
    else next.set(centres.subarray(c * d, c * d + d), c * d);
  }
  // Rows of the changed clusters grouped by cluster, each group in increasing row order (a counting sort).
  for (let i = 0; i < n; i++) {
    const c = labels[i] as number;
    if (changed[c] === 1) counts[c] = (counts[c] as number) + 1;
  }
  let at = 0;
  for (let c = 0; c < k; c++) {
    start[c] = at;
    if (changed[c] === 1) at += counts[c] as number;
  }
  for (let i = 0; i < n; i++) {
    const c = labels[i] as number;
    if (changed[c] !== 1) continue;
    const p = start[c] as number;
    order[p] = i * d;
    start[c] = p + 1;
  }
  // Each column summed from 0 over the cluster's rows in order (as a row-by-row accumulation would),
  // eight columns at a time in registers.
  at = 0;
  for (let c = 0; c < k; c++) {
    if (changed[c] !== 1) continue;
    const from = at;
    const to = at + (counts[c] as number);
    at = to;
    const co = c * d;
    let j = 0;
    for (; j + 8 <= d; j += 8) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let m = from; m < to; m++) {
        const o = (order[m] as number) + j;
        s0 += data[o] as number;
        s1 += data[o + 1] as number;
        s2 += data[o + 2] as number;
        s3 += data[o + 3] as number;
        s4 += data[o + 4] as number;
        s5 += data[o + 5] as number;
        s6 += data[o + 6] as number;
        s7 += data[o + 7] as number;
      }
      next[co + j] = s0;
      next[co + j + 1] = s1;
      next[co + j + 2] = s2;
      next[co + j + 3] = s3;
      next[co + j + 4] = s4;
      next[co + j + 5] = s5;
      next[co + j + 6] = s6;
      next[co + j + 7] = s7;
    }
    for (; j < d; j++) {
      let s0 = 0;
      for (let m = from; m < to; m++) s0 += data[(order[m] as number) + j] as number;
      next[co + j] = s0;
    }
  }
  let shift = 0;
  for (let c = 0; c < k; c++) {
    if (move) move[c] = 0;
    if (changed[c] !== 1) continue;
    const cnt = counts[c] as number;
    const co = c * d;
    if (cnt === 0) {
      next.set(centres.subarray(co, co + d), co);
      continue;
    }
    let own = 0;
    for (let j = 0; j < d; j++) {
      const v = (next[co + j] as number) / cnt;
      next[co + j] = v;
      const z = (v - (centres[co + j] as number)) ** 2;
      shift += z;
      own += z;
    }
    if (move) move[c] = Math.sqrt(own);
  }
  return shift;
}

/** Moves the bounds by how far each centre moved: upper grows with its own centre, lower shrinks with each. */
function shiftBounds(labels: Int32Array, k: number, b: Bounds): void {
  const { upper, lower, move } = b;
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    upper[i] = (upper[i] as number) + (move[labels[i] as number] as number);
    const lo = i * k;
    for (let c = 0; c < k; c++) {
      const l = (lower[lo + c] as number) - (move[c] as number);
      lower[lo + c] = Math.max(l, 0);
    }
  }
}

/**
 * k-means with k-means++ restarts.
 *
 * @example
 * const km = new KMeans({ k: 3, seed: 0 }).fit(X); km.labels; km.inertia;
 */
export class KMeans implements Model {
  /**
   * Above this many rows x clusters the fit keeps no per-centre bounds (they take 8 bytes each) and runs
   * plain Lloyd steps; results are identical either way, only slower.
   */
  static maxBoundCells = 1 << 22;
  /**
   * The bounds are rebuilt from scratch every this many iterations, so that rounding in their updates
   * cannot accumulate; results do not depend on it.
   */
  static boundsRefresh = 128;
  readonly kind = 'k_means';
  readonly task = 'clustering' as const;
  readonly opts: Required<KMeansOptions>;
  centres?: Float64Array;
  labels: Int32Array = new Int32Array(0);
  inertia = Number.NaN;
  nIter = 0;
  nFeatures = 0;

  constructor(opts: KMeansOptions) {
    this.opts = { nInit: 10, maxIter: 300, tol: 1e-4, seed: 0, ...opts };
    checkParam('k', this.opts.k, 1, Number.MAX_SAFE_INTEGER, true);
    checkParam('nInit', this.opts.nInit, 1, 10_000, true);
    checkParam('maxIter', this.opts.maxIter, 1, Number.MAX_SAFE_INTEGER, true);
    checkParam('tol', this.opts.tol, 0);
  }

  /** Fits on X; a target, if given, is ignored (clustering is unsupervised). */
  fit(X: Matrix, _y?: ArrayLike<number>): this {
    checkX(X);
    const { k, maxIter } = this.opts;
    const { rows: n, cols: d, data } = X;
    if (n < k) throw new MlInputError('X', 'rows', `has ${n} rows, fewer than k = ${k} clusters`);
    let meanVar = 0;
    let diag2 = 0;
    for (let j = 0; j < d; j++) {
      let m = 0;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const v = data[i * d + j] as number;
        m += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      m /= n;
      let s = 0;
      for (let i = 0; i < n; i++) s += ((data[i * d + j] as number) - m) ** 2;
      meanVar += s / n;
      diag2 += (hi - lo) ** 2;
    }
    const tol = (this.opts.tol * meanVar) / d;
    // Every centre lies in the data's bounding box, so all distances are at most its diagonal; rounding
    // errors of the bounds are ~1e-13 of it, far below the margin.
    const margin = MARGIN * Math.sqrt(diag2);
    const useBounds = n * k <= KMeans.maxBoundCells;
    const refresh = KMeans.boundsRefresh >= 1 ? Math.floor(KMeans.boundsRefresh) : 1;
    const bounds: Bounds | undefined = useBounds
      ? {
          upper: new Float64Array(n),
          lower: new Float64Array(n * k),
          half: new Float64Array(k * k),
          nearHalf: new Float64Array(k),
          move: new Float64Array(k),
        }
      : undefined;
    const trials = 2 + Math.floor(Math.log(k));
    const work: Work = {
      closest: new Float64Array(n),
      cand: new Float64Array(trials * n),
      idx: new Int32Array(trials),
      pot: new Float64Array(trials),
      pair: new Float64Array(2),
      quad: new Float64Array(4),
    };
    const rng = mulberry32(this.opts.seed);
    const labels = new Int32Array(n);
    const prev = new Int32Array(n);
    const counts = new Float64Array(k);
    const changed = new Uint8Array(k);
    const cands = new Int32Array(k);
    const order = new Int32Array(n);
    const start = new Int32Array(k);
    let centres = new Float64Array(k * d);
    let next = new Float64Array(k * d);
    const bestCentres = new Float64Array(k * d);
    const bestLabels = new Int32Array(n);
    let bestInertia = Number.POSITIVE_INFINITY;
    let bestIter = 0;
    let haveBest = false;
    for (let run = 0; run < this.opts.nInit; run++) {
      kmeansPlusPlus(X, k, rng, centres, work);
      let iter = 0;
      let sinceFresh = 0;
      prev.fill(-1);
      for (; iter < maxIter; iter++) {
        if (bounds) {
          assignElkan(X, centres, k, labels, bounds, margin, sinceFresh === 0, cands, work.pair, work.quad);
          sinceFresh = sinceFresh + 1 >= refresh ? 0 : sinceFresh + 1;
        } else assign(X, centres, k, labels);
        const same = markChanged(labels, prev, changed);
        const shift = updateCentres(X, k, labels, centres, next, counts, changed, bounds?.move, order, start);
        const old = centres;
        centres = next;
        next = old;
        if (bounds && sinceFresh !== 0) shiftBounds(labels, k, bounds);
        if (same || shift <= tol) {
          iter++;
          break;
        }
      }
      let inertia = 0;
      if (bounds) {
        assignElkan(X, centres, k, labels, bounds, margin, sinceFresh === 0, cands, work.pair, work.quad);
        for (let i = 0; i < n; i++) inertia += sqDist(data, i * d, centres, (labels[i] as number) * d, d);
      } else inertia = assign(X, centres, k, labels);
      if (!haveBest || inertia < bestInertia) {
        haveBest = true;
        bestInertia = inertia;
        bestIter = iter;
        bestCentres.set(centres);
        bestLabels.set(labels);
      }
    }
    this.centres = bestCentres;
    this.labels = bestLabels;
    this.inertia = bestInertia;
    this.nIter = bestIter;
    this.nFeatures = d;
    return this;
  }

  /** Index of the nearest centre for each row. */
  predict(X: Matrix): Float64Array {
    if (!this.centres) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures });
    const labels = new Int32Array(X.rows);
    assign(X, this.centres, this.opts.k, labels);
    return Float64Array.from(labels);
  }

  toArtifact(): ModelArtifact {
    if (!this.centres) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.nFeatures,
      { ...this.opts },
      {
        centres: Array.from(this.centres),
        inertia: this.inertia,
      },
    );
  }

  static fromArtifact(a: ModelArtifact): KMeans {
    checkArtifact(a, 'k_means');
    const m = new KMeans(a.params as unknown as KMeansOptions);
    m.centres = f64(a.state, 'centres');
    m.inertia = num(a.state, 'inertia');
    m.nFeatures = a.nFeatures;
    return m;
  }
}
