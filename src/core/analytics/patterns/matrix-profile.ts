/**
 * Exact matrix profile (Yeh et al. 2016; Zhu et al. 2016, STOMP): for every subsequence of length m, the
 * z-normalised Euclidean distance to its nearest non-trivial neighbour. Low values are motifs (shapes that
 * recur), high values are discords (shapes seen nowhere else).
 *
 * Written here rather than taken from npm: no maintained JavaScript package computes an exact matrix
 * profile (the reference implementations, stumpy and SCRIMP++, are Python and C++).
 *
 * The sliding dot products are walked along the diagonals of the distance matrix, as STOMP and SCRIMP do:
 * QT(i, j) = QT(i−1, j−1) − T[i−1]·T[j−1] + T[i+m−1]·T[j+m−1], so the whole profile costs O(n²) time and
 * O(n) memory, and each diagonal fills both ends of the symmetric matrix. The series is centred first and
 * the running product recomputed exactly every {@link RESYNC} steps, which bounds floating-point drift.
 */
import { checkInteger, checkSeries, PatternInputError } from './errors.ts';

/** Steps along a diagonal between exact recomputations of the running dot product. */
const RESYNC = 1024;

export interface MatrixProfileOptions {
  /** Motifs and discords to report. @default 3 */
  readonly k?: number;
  /**
   * Half-width of the trivial-match zone: j is not a neighbour of i when |i − j| ≤ this.
   * @default ceil(m / 4), as stumpy and the matrix-profile papers
   */
  readonly exclusionZone?: number;
}

/** A pair of subsequences that are each other's (near) nearest neighbours. */
export interface Motif {
  /** Start of the earlier subsequence. */
  readonly index: number;
  /** Start of its nearest neighbour. */
  readonly neighbor: number;
  /** z-normalised Euclidean distance between the two, in [0, 2√m]. */
  readonly distance: number;
}

/** A subsequence far from every other one. */
export interface Discord {
  readonly index: number;
  /** Start of its nearest neighbour, the closest anything comes. */
  readonly neighbor: number;
  readonly distance: number;
}

export interface MatrixProfileResult {
  readonly m: number;
  readonly exclusionZone: number;
  /**
   * Distance from each subsequence to its nearest non-trivial neighbour; `Infinity` (null in JSON) where
   * the exclusion zone leaves none.
   */
  readonly profile: readonly number[];
  /** Start of that neighbour, −1 where there is none. */
  readonly profileIndex: readonly number[];
  /** Lowest profile values first; reported motifs do not overlap one another. */
  readonly motifs: readonly Motif[];
  /** Highest profile values first; reported discords do not overlap one another. */
  readonly discords: readonly Discord[];
}

/**
 * Matrix profile of `values` with subsequence length `m`, plus the top-k motifs and discords.
 * Throws {@link PatternInputError} for m < 3, a non-finite value, or a series too short to hold two
 * subsequences outside each other's exclusion zone.
 *
 * @example
 * const r = matrixProfile(latency, 48, { k: 2 });
 * r.motifs[0];   // { index: 120, neighbor: 1560, distance: 0.8 }: the same 48-step shape twice
 * r.discords[0]; // { index: 903, neighbor: 40, distance: 9.1 }: a shape seen nowhere else
 */
export function matrixProfile(
  values: readonly number[],
  m: number,
  options: MatrixProfileOptions = {},
): MatrixProfileResult {
  checkInteger('m', m, 3);
  const k = checkInteger('k', options.k ?? 3, 1);
  const excl = checkInteger('exclusionZone', options.exclusionZone ?? Math.ceil(m / 4), 0);
  checkSeries('values', values, m);
  const n = values.length;
  const l = n - m + 1;
  if (l - 1 <= excl) {
    throw new PatternInputError(
      `values must hold more than m + exclusionZone = ${m + excl} points for two non-trivial subsequences, got ${n}`,
    );
  }
  // Centring keeps the running dot products small, so their rounding error stays small too.
  let g = 0;
  for (const v of values) g += v;
  g /= n;
  const t = Float64Array.from(values, (v) => v - g);
  const mu = new Float64Array(l);
  const sig = new Float64Array(l);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < m; i++) {
    s += t[i] as number;
    s2 += (t[i] as number) ** 2;
  }
  let scale = 0;
  for (let i = 0; i < l; i++) {
    if (i > 0) {
      const out = t[i - 1] as number;
      const inn = t[i + m - 1] as number;
      s += inn - out;
      s2 += inn * inn - out * out;
    }
    if (i % RESYNC === 0 && i > 0) {
      s = 0;
      s2 = 0;
      for (let q = i; q < i + m; q++) {
        s += t[q] as number;
        s2 += (t[q] as number) ** 2;
      }
    }
    mu[i] = s / m;
    sig[i] = Math.sqrt(Math.max(0, s2 / m - (s / m) ** 2));
    scale = Math.max(scale, Math.abs(t[i] as number));
  }
  for (let i = l; i < n; i++) scale = Math.max(scale, Math.abs(t[i] as number));
  // A subsequence whose spread is at rounding level is constant: z-normalisation is undefined for it.
  const flat = 1e-10 * (scale || 1);

  const profile = new Float64Array(l).fill(Number.POSITIVE_INFINITY);
  const index = new Int32Array(l).fill(-1);
  const twoM = 2 * m;
  const dot = (i: number, j: number): number => {
    let q = 0;
    for (let r = 0; r < m; r++) q += (t[i + r] as number) * (t[j + r] as number);
    return q;
  };
  for (let diag = excl + 1; diag < l; diag++) {
    let qt = 0;
    for (let i = 0; i + diag < l; i++) {
      const j = i + diag;
      if (i % RESYNC === 0) qt = dot(i, j);
      else
        qt +=
          (t[i + m - 1] as number) * (t[j + m - 1] as number) - (t[i - 1] as number) * (t[j - 1] as number);
      const si = sig[i] as number;
      const sj = sig[j] as number;
      let d: number;
      if (si <= flat || sj <= flat) {
        // stumpy's convention: two constant subsequences match exactly, a constant and a varying one sit at √m.
        d = si <= flat && sj <= flat ? 0 : Math.sqrt(m);
      } else {
        const rho0 = (qt - m * (mu[i] as number) * (mu[j] as number)) / (m * si * sj);
        const rho = Math.min(1, Math.max(-1, rho0));
        d = Math.sqrt(twoM * (1 - rho));
      }
      if (d < (profile[i] as number)) {
        profile[i] = d;
        index[i] = j;
      }
      if (d < (profile[j] as number)) {
        profile[j] = d;
        index[j] = i;
      }
    }
  }
  const prof = Array.from(profile);
  const idx = Array.from(index);
  return {
    m,
    exclusionZone: excl,
    profile: prof,
    profileIndex: idx,
    motifs: pickMotifs(prof, idx, k, m),
    discords: pickDiscords(prof, idx, k, m),
  };
}

const overlaps = (taken: readonly number[], i: number, m: number): boolean =>
  taken.some((p) => Math.abs(p - i) < m);

function pickMotifs(profile: number[], index: number[], k: number, m: number): Motif[] {
  const order = profile
    .map((_, i) => i)
    .filter((i) => Number.isFinite(profile[i]))
    .sort((a, b) => (profile[a] as number) - (profile[b] as number) || a - b);
  const taken: number[] = [];
  const out: Motif[] = [];
  for (const i of order) {
    if (out.length >= k) break;
    const j = index[i] as number;
    if (overlaps(taken, i, m) || overlaps(taken, j, m)) continue;
    taken.push(i, j);
    out.push({ index: Math.min(i, j), neighbor: Math.max(i, j), distance: profile[i] as number });
  }
  return out;
}

function pickDiscords(profile: number[], index: number[], k: number, m: number): Discord[] {
  const order = profile
    .map((_, i) => i)
    .filter((i) => Number.isFinite(profile[i]))
    .sort((a, b) => (profile[b] as number) - (profile[a] as number) || a - b);
  const taken: number[] = [];
  const out: Discord[] = [];
  for (const i of order) {
    if (out.length >= k) break;
    if (overlaps(taken, i, m)) continue;
    taken.push(i);
    out.push({ index: i, neighbor: index[i] as number, distance: profile[i] as number });
  }
  return out;
}
