/**
 * k-means: results pinned to the values of the plain Lloyd implementation (recorded before the Elkan bounds
 * went in), and bit-for-bit equality with a plain Lloyd reference on data with overlaps, ties and empty
 * clusters, through the bounded path, the bound-less path and frequent bound rebuilds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KMeans, type Matrix } from '../../../src/core/ml/index.ts';
import { mulberry32, normal, type Rng } from '../../../src/core/random.ts';
import { blobs, uniformData } from './helpers.ts';

// Plain Lloyd k-means as it stood before the bounds: the specification the fast path must reproduce.
function sq(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const z = (a[ao + j] as number) - (b[bo + j] as number);
    s += z * z;
  }
  return s;
}
function pick(rng: Rng, w: Float64Array, total: number): number {
  let r = rng() * total;
  for (let i = 0; i < w.length; i++) {
    r -= w[i] as number;
    if (r < 0) return i;
  }
  return w.length - 1;
}
function seedCentres(X: Matrix, k: number, rng: Rng): Float64Array {
  const { rows: n, cols: d, data } = X;
  const centres = new Float64Array(k * d);
  const first = Math.floor(rng() * n);
  centres.set(data.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = sq(data, i * d, centres, 0, d);
    pot += closest[i] as number;
  }
  const trials = 2 + Math.floor(Math.log(k));
  const cand = new Float64Array(n);
  const bestCand = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestPot = Number.POSITIVE_INFINITY;
    let bestIdx = 0;
    for (let t = 0; t < trials; t++) {
      const idx = pot > 0 ? pick(rng, closest, pot) : Math.floor(rng() * n);
      let p = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i] as number, sq(data, i * d, data, idx * d, d));
        cand[i] = v;
        p += v;
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        bestCand.set(cand);
      }
    }
    centres.set(data.subarray(bestIdx * d, bestIdx * d + d), c * d);
    closest.set(bestCand);
    pot = bestPot;
  }
  return centres;
}
function nearest(X: Matrix, centres: Float64Array, k: number, labels: Int32Array): number {
  const { rows: n, cols: d, data } = X;
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bd = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const s = sq(data, i * d, centres, c * d, d);
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
interface Opts {
  k: number;
  nInit: number;
  maxIter: number;
  tol: number;
  seed: number;
}
function lloyd(X: Matrix, o: Opts) {
  const { rows: n, cols: d, data } = X;
  const { k } = o;
  let meanVar = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * d + j] as number;
    m /= n;
    let s = 0;
    for (let i = 0; i < n; i++) s += ((data[i * d + j] as number) - m) ** 2;
    meanVar += s / n;
  }
  const tol = (o.tol * meanVar) / d;
  const rng = mulberry32(o.seed);
  const labels = new Int32Array(n);
  const prev = new Int32Array(n);
  const counts = new Float64Array(k);
  let best: { centres: Float64Array; labels: Int32Array; inertia: number; iter: number } | undefined;
  for (let run = 0; run < o.nInit; run++) {
    let centres = seedCentres(X, k, rng);
    let iter = 0;
    prev.fill(-1);
    for (; iter < o.maxIter; iter++) {
      nearest(X, centres, k, labels);
      const next = new Float64Array(k * d);
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        const c = labels[i] as number;
        counts[c] = (counts[c] as number) + 1;
        for (let j = 0; j < d; j++)
          next[c * d + j] = (next[c * d + j] as number) + (data[i * d + j] as number);
      }
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) next.set(centres.subarray(c * d, c * d + d), c * d);
        else
          for (let j = 0; j < d; j++) next[c * d + j] = (next[c * d + j] as number) / (counts[c] as number);
      }
      let shift = 0;
      for (let t = 0; t < k * d; t++) shift += ((next[t] as number) - (centres[t] as number)) ** 2;
      centres = next;
      let same = true;
      for (let i = 0; i < n && same; i++) if (labels[i] !== prev[i]) same = false;
      prev.set(labels);
      if (same || shift <= tol) {
        iter++;
        break;
      }
    }
    const inertia = nearest(X, centres, k, labels);
    if (!best || inertia < best.inertia) best = { centres, labels: Int32Array.from(labels), inertia, iter };
  }
  return best as NonNullable<typeof best>;
}

/** Gaussian clusters around random centres, overlapping when `sd` is large. */
function cloud(n: number, d: number, k: number, sd: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const mu = Array.from({ length: k * d }, () => normal(rng, 0, 3));
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * k);
    for (let j = 0; j < d; j++) data[i * d + j] = normal(rng, mu[c * d + j] as number, sd);
  }
  return { rows: n, cols: d, data };
}

/** Three distinct points repeated: zero distances, exact ties and (with k > 3) duplicate centres. */
function repeats(n: number): Matrix {
  const data = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    data[2 * i] = i % 3;
    data[2 * i + 1] = (i % 3) * 2;
  }
  return { rows: n, cols: 2, data };
}

function expectSameAsLloyd(X: Matrix, o: Opts): void {
  const ref = lloyd(X, o);
  const km = new KMeans(o).fit(X);
  expect(km.inertia).toBe(ref.inertia);
  expect(km.nIter).toBe(ref.iter);
  expect(Array.from(km.labels)).toEqual(Array.from(ref.labels));
  expect(Array.from(km.centres as Float64Array)).toEqual(Array.from(ref.centres));
}

const CASES: [string, () => Matrix, number][] = [
  ['overlapping clouds, 5-d', () => cloud(400, 5, 4, 2, 1), 4],
  ['wide clouds, 3-d, 6 clusters', () => cloud(300, 3, 6, 2.5, 2), 6],
  ['overlapping clouds, 40-d', () => cloud(250, 40, 8, 5, 3), 8],
  ['uniform noise, 12-d', () => uniformData(300, 12, () => 0, 5).X, 7],
  ['repeated points', () => repeats(40), 5],
];

describe('KMeans', () => {
  const defaults = { maxBoundCells: KMeans.maxBoundCells, boundsRefresh: KMeans.boundsRefresh };
  afterEach(() => {
    KMeans.maxBoundCells = defaults.maxBoundCells;
    KMeans.boundsRefresh = defaults.boundsRefresh;
  });

  it('reproduces the values pinned before the bounds went in (overlapping blobs)', () => {
    // Prepare
    const { X } = blobs(
      [
        [0, 0, 0],
        [3, 0, 1],
        [0, 3, -1],
        [2, 2, 2],
        [-2, 1, 0],
      ],
      40,
      1.2,
      9,
    );
    // Act
    const km = new KMeans({ k: 5, nInit: 4, seed: 3 }).fit(X);
    // Assess
    expect(km.inertia).toBe(624.6615231470499);
    expect(km.nIter).toBe(8);
    expect(Array.from(km.labels).join('')).toBe(
      '44421414114141111444111414144441414244112402244422242442442422240222222420222222334333333333333333301434344333444334333300004400440404000000444440420000040420001111111141111111113134113133131131311113',
    );
    expect(Array.from(km.centres as Float64Array)).toEqual([
      2.7548674582756414, 2.621924331247461, 2.881052047605428, -2.0565937646228956, 0.6086106119863254,
      0.07125595499108972, 3.4869584954523023, -0.5448065044632229, 1.323575491037682, -0.5035296454380618,
      3.2050837575892053, -1.243785841706935, 1.4579787078587139, 0.822184928581388, 0.365959366056283,
    ]);
  });

  it('reproduces the values pinned before the bounds went in (uniform noise, tol 0)', () => {
    // Prepare
    const { X } = uniformData(300, 12, () => 0, 5);
    // Act
    const km = new KMeans({ k: 7, nInit: 3, seed: 1, tol: 0 }).fit(X);
    // Assess
    const c = Array.from(km.centres as Float64Array);
    expect(km.inertia).toBe(221.22038395804591);
    expect(km.nIter).toBe(15);
    expect(Array.from(km.labels).join('')).toBe(
      '540610546345133320415023614133565351650020413003053660032360635334160634511354515654403626063530162261212514432622025515451335041336630611303243425411061253303215151121043240125133603141034244653245110160001216220256213313301635042352355510516046614431400231046600150454565144400431540236232406145263',
    );
    expect(c.slice(0, 3)).toEqual([0.33466836537801375, 0.5665901596506085, 0.5445427863565071]);
    expect(c.reduce((s, v) => s + v, 0)).toBe(41.61689239689772);
  });

  describe.each(CASES)('matches plain Lloyd bit for bit: %s', (_name, make, k) => {
    const X = make();
    it.each([
      { k, nInit: 3, maxIter: 300, tol: 1e-4, seed: 0 },
      { k, nInit: 2, maxIter: 300, tol: 0, seed: 7 },
      { k: k + 2, nInit: 2, maxIter: 300, tol: 1e-4, seed: 11 },
      { k: 2, nInit: 2, maxIter: 3, tol: 1e-4, seed: 5 },
      { k: 1, nInit: 1, maxIter: 300, tol: 1e-4, seed: 0 },
    ])('with bounds, %o', (o) => {
      expectSameAsLloyd(X, o);
    });
    it('with the bounds rebuilt every 1, 2 and 3 iterations', () => {
      for (const every of [1, 2, 3]) {
        KMeans.boundsRefresh = every;
        expectSameAsLloyd(X, { k, nInit: 2, maxIter: 300, tol: 0, seed: 13 });
      }
    });
    it('without bounds (too many rows x clusters to keep them)', () => {
      KMeans.maxBoundCells = 0;
      expectSameAsLloyd(X, { k, nInit: 2, maxIter: 300, tol: 0, seed: 17 });
    });
  });

  it('predicts the fitted labels on the training rows', () => {
    // Prepare
    const X = cloud(300, 6, 5, 2, 4);
    // Act
    const km = new KMeans({ k: 5, seed: 2 }).fit(X);
    // Assess
    expect(Array.from(km.predict(X))).toEqual(Array.from(km.labels));
  });

  it('rejects fewer rows than clusters, naming X', () => {
    expect(() => new KMeans({ k: 5 }).fit(repeats(4))).toThrow(/X: has 4 rows, fewer than k = 5/);
  });
});
