/**
 * k-means clustering: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with 2 + ln k local trials as
 * scikit-learn), Lloyd iterations, several seeded restarts keeping the lowest inertia. Convergence when the
 * centres move less (squared, summed) than `tol` times the mean feature variance, or labels stop changing.
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

function sqDist(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const z = (a[ao + j] as number) - (b[bo + j] as number);
    s += z * z;
  }
  return s;
}

function sampleIndex(rng: Rng, weights: Float64Array, total: number): number {
  let r = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

function kmeansPlusPlus(X: Matrix, k: number, rng: Rng): Float64Array {
  const { rows: n, cols: d, data } = X;
  const centres = new Float64Array(k * d);
  const first = Math.floor(rng() * n);
  centres.set(data.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = sqDist(data, i * d, centres, 0, d);
    pot += closest[i] as number;
  }
  const trials = 2 + Math.floor(Math.log(k));
  const cand = new Float64Array(n);
  const bestCand = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestPot = Number.POSITIVE_INFINITY;
    let bestIdx = 0;
    for (let t = 0; t < trials; t++) {
      const idx = pot > 0 ? sampleIndex(rng, closest, pot) : Math.floor(rng() * n);
      let p = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i] as number, sqDist(data, i * d, data, idx * d, d));
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

function assign(X: Matrix, centres: Float64Array, k: number, labels: Int32Array): number {
  const { rows: n, cols: d, data } = X;
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bd = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const s = sqDist(data, i * d, centres, c * d, d);
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
 * k-means with k-means++ restarts.
 *
 * @example
 * const km = new KMeans({ k: 3, seed: 0 }).fit(X); km.labels; km.inertia;
 */
export class KMeans implements Model {
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
    const { k } = this.opts;
    const { rows: n, cols: d, data } = X;
    if (n < k) throw new MlInputError('X', 'rows', `has ${n} rows, fewer than k = ${k} clusters`);
    let meanVar = 0;
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += data[i * d + j] as number;
      m /= n;
      let s = 0;
      for (let i = 0; i < n; i++) s += ((data[i * d + j] as number) - m) ** 2;
      meanVar += s / n;
    }
    const tol = (this.opts.tol * meanVar) / d;
    const rng = mulberry32(this.opts.seed);
    const labels = new Int32Array(n);
    const prev = new Int32Array(n);
    const counts = new Float64Array(k);
    let best: { centres: Float64Array; labels: Int32Array; inertia: number; iter: number } | undefined;
    for (let run = 0; run < this.opts.nInit; run++) {
      let centres = kmeansPlusPlus(X, k, rng);
      let iter = 0;
      prev.fill(-1);
      for (; iter < this.opts.maxIter; iter++) {
        assign(X, centres, k, labels);
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
      const inertia = assign(X, centres, k, labels);
      if (!best || inertia < best.inertia) best = { centres, labels: Int32Array.from(labels), inertia, iter };
    }
    const b = best as NonNullable<typeof best>;
    this.centres = b.centres;
    this.labels = b.labels;
    this.inertia = b.inertia;
    this.nIter = b.iter;
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
