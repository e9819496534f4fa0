/**
 * Density method: an online k-nearest-neighbour conformal detector in the manner of KNN CAD
 * (Burnaev & Ishimtsev 2016; numenta/NAB nab/detectors/knncad).
 *
 * Each point closes a lag embedding (the last `dim` values). Its nonconformity is the sum of squared
 * distances to its k nearest embeddings in a sliding training set; its score is the conformal rank of that
 * nonconformity among the last `calibration` ones. Embeddings join the training set only `dim` points
 * later, so a point is never compared with windows that overlap it (they would always look normal).
 * Differences from the NAB original: Euclidean rather than Mahalanobis distance, a sliding rather than a
 * file-length-dependent training set, and no built-in rest period (see the likelihood post-processor).
 */
import { checkParam } from './math.ts';
import { type AnomalyDetector, checkPoint, type DetectorJSON } from './types.ts';

/** Parameters of {@link KnnDetector}. */
export interface KnnParams {
  /** Embedding length. @default 10 */
  readonly dim: number;
  /** Neighbours summed. @default 20 */
  readonly k: number;
  /** Embeddings kept for the neighbour search. @default 400 */
  readonly training: number;
  /** Nonconformity scores kept for the conformal rank. @default 400 */
  readonly calibration: number;
}

interface KnnState {
  recent: number[];
  /** Pending embeddings, flattened, waiting `dim` points before joining the training set. */
  pending: number[][];
  train: number[][];
  trainHead: number;
  calib: number[];
  calibHead: number;
}

/** Online KNN conformal anomaly detector (density family). */
export class KnnDetector implements AnomalyDetector {
  readonly kind = 'knn';
  readonly params: KnnParams;
  // Every buffer is a preallocated Float64Array used as a ring (the serialised form is still the plain
  // arrays of KnnState): an update allocates nothing, and the neighbour search reads one contiguous,
  // monomorphic block instead of hundreds of small arrays whose element kinds V8 may see mixed.
  /** Last `dim` values, oldest at recentHead once full. */
  private recent: Float64Array;
  private recentCount = 0;
  private recentHead = 0;
  /** The embedding closed by the current point, oldest value first. */
  private item: Float64Array;
  /** Up to dim + 1 pending embeddings (rows of `dim`), oldest at pendingHead. */
  private pending: Float64Array;
  private pendingCount = 0;
  private pendingHead = 0;
  /** Training embeddings (rows of `dim`) in ring slots; trainHead is the next slot to overwrite once full. */
  private train: Float64Array;
  private trainCount = 0;
  private trainHead = 0;
  private calib: Float64Array;
  private calibCount = 0;
  private calibHead = 0;
  private heap: Float64Array;
  /** Entries of `heap` in use during one neighbour search. */
  private size = 0;

  constructor(params: Partial<KnnParams> = {}) {
    const p = { dim: 10, k: 20, training: 400, calibration: 400, ...params };
    checkParam('dim', p.dim, 'integer>=1');
    checkParam('k', p.k, 'integer>=1');
    checkParam('training', p.training, 'integer>=1');
    checkParam('calibration', p.calibration, 'integer>=1');
    if (p.k > p.training) throw new RangeError(`k must be <= training, got ${p.k} > ${p.training}`);
    // A fixed-shape literal rather than the spread: spread copies change hidden class after a few detectors.
    this.params = { dim: p.dim, k: p.k, training: p.training, calibration: p.calibration };
    this.heap = new Float64Array(p.k);
    this.recent = new Float64Array(p.dim);
    this.item = new Float64Array(p.dim);
    this.pending = new Float64Array((p.dim + 1) * p.dim);
    this.train = new Float64Array(p.training * p.dim);
    this.calib = new Float64Array(p.calibration);
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    const { dim, training, calibration } = this.params;
    if (this.recentCount < dim) {
      this.recent[this.recentCount++] = value;
      if (this.recentCount < dim) return 0;
    } else {
      this.recent[this.recentHead] = value;
      this.recentHead = this.recentHead + 1 === dim ? 0 : this.recentHead + 1;
    }
    const item = this.item;
    for (let j = 0, i = this.recentHead; j < dim; j++, i = i + 1 === dim ? 0 : i + 1) {
      item[j] = this.recent[i] as number;
    }
    let score = 0;
    if (this.trainCount >= this.params.k) {
      const ncm = this.nonconformity(item);
      const calib = this.calib;
      const count = this.calibCount;
      if (count > 0) {
        let below = 0;
        let max = 0;
        for (let i = 0; i < count; i++) {
          const c = calib[i] as number;
          if (c < ncm) below++;
          if (c > max) max = c;
        }
        score = below / (count + 1);
        // Beyond every calibration score: keep ranking by how far beyond, without reaching 1.
        if (below === count && ncm > 0) score += (1 / (count + 1)) * (1 - max / ncm);
      }
      if (count < calibration) calib[this.calibCount++] = ncm;
      else {
        calib[this.calibHead] = ncm;
        this.calibHead = (this.calibHead + 1) % calibration;
      }
    }
    // Queue the embedding; the one queued dim points ago no longer overlaps the present and joins training.
    const slots = dim + 1;
    let slot = this.pendingHead + this.pendingCount;
    if (slot >= slots) slot -= slots;
    this.pending.set(item, slot * dim);
    this.pendingCount++;
    if (this.pendingCount > dim) {
      const ready = this.pending.subarray(this.pendingHead * dim, (this.pendingHead + 1) * dim);
      this.pendingHead = this.pendingHead + 1 === slots ? 0 : this.pendingHead + 1;
      this.pendingCount--;
      if (this.trainCount < training) this.train.set(ready, dim * this.trainCount++);
      else {
        this.train.set(ready, dim * this.trainHead);
        this.trainHead = (this.trainHead + 1) % training;
      }
    }
    return score;
  }

  /**
   * Sum of the k smallest squared distances, by a bounded max-heap. Four rows are measured at once: each
   * row's sum still runs over j in order (same rounding), but the four independent add chains overlap.
   */
  private nonconformity(item: Float64Array): number {
    const dim = this.params.dim;
    const train = this.train;
    const end = this.trainCount * dim;
    const step = 4 * dim;
    this.size = 0;
    let base = 0;
    for (; base + step <= end; base += step) {
      const b1 = base + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let j = 0; j < dim; j++) {
        const x = item[j] as number;
        const e0 = x - (train[base + j] as number);
        const e1 = x - (train[b1 + j] as number);
        const e2 = x - (train[b2 + j] as number);
        const e3 = x - (train[b3 + j] as number);
        d0 += e0 * e0;
        d1 += e1 * e1;
        d2 += e2 * e2;
        d3 += e3 * e3;
      }
      this.offer(d0);
      this.offer(d1);
      this.offer(d2);
      this.offer(d3);
    }
    for (; base < end; base += dim) {
      let d = 0;
      for (let j = 0; j < dim; j++) {
        const diff = (item[j] as number) - (train[base + j] as number);
        d += diff * diff;
      }
      this.offer(d);
    }
    const heap = this.heap;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += heap[i] as number;
    return sum;
  }

  /** Keeps d if it is among the k smallest offered so far (max-heap of size <= k). */
  private offer(d: number): void {
    const k = this.params.k;
    const heap = this.heap;
    if (this.size < k) {
      let i = this.size++;
      heap[i] = d;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) >= (heap[i] as number)) break;
        const tmp = heap[parent] as number;
        heap[parent] = heap[i] as number;
        heap[i] = tmp;
        i = parent;
      }
    } else if (d < (heap[0] as number)) {
      heap[0] = d;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < k && (heap[l] as number) > (heap[m] as number)) m = l;
        if (r < k && (heap[r] as number) > (heap[m] as number)) m = r;
        if (m === i) break;
        const tmp = heap[m] as number;
        heap[m] = heap[i] as number;
        heap[i] = tmp;
        i = m;
      }
    }
  }

  toJSON(): DetectorJSON {
    const { dim } = this.params;
    const recent: number[] = [];
    for (let j = 0; j < this.recentCount; j++) {
      const i = this.recentCount < dim ? j : (this.recentHead + j) % dim;
      recent.push(this.recent[i] as number);
    }
    const pending: number[][] = [];
    for (let j = 0; j < this.pendingCount; j++) {
      const row = (this.pendingHead + j) % (dim + 1);
      pending.push(Array.from(this.pending.subarray(row * dim, (row + 1) * dim)));
    }
    const train: number[][] = [];
    for (let row = 0; row < this.trainCount; row++)
      train.push(Array.from(this.train.subarray(row * dim, (row + 1) * dim)));
    const state: KnnState = {
      recent,
      pending,
      train,
      trainHead: this.trainHead,
      calib: Array.from(this.calib.subarray(0, this.calibCount)),
      calibHead: this.calibHead,
    };
    return { kind: this.kind, params: { ...this.params }, state };
  }

  static fromJSON(json: DetectorJSON): KnnDetector {
    const d = new KnnDetector(json.params as Partial<KnnParams>);
    const s = json.state as KnnState;
    const { dim, training, calibration } = d.params;
    const rows = (name: string, a: unknown, max: number): number[][] => {
      if (!Array.isArray(a) || a.length > max || a.some((r) => !Array.isArray(r) || r.length !== dim))
        throw new RangeError(`state.${name} must be at most ${max} arrays of dim (${dim}) values`);
      return a as number[][];
    };
    if (!Array.isArray(s.recent) || s.recent.length > dim)
      throw new RangeError(`state.recent must hold at most dim (${dim}) values`);
    if (!Array.isArray(s.calib) || s.calib.length > calibration)
      throw new RangeError(`state.calib must hold at most calibration (${calibration}) values`);
    d.recent.set(s.recent);
    d.recentCount = s.recent.length;
    d.recentHead = 0;
    rows('pending', s.pending, dim).forEach((r, i) => {
      d.pending.set(r, i * dim);
    });
    d.pendingCount = s.pending.length;
    d.pendingHead = 0;
    rows('train', s.train, training).forEach((r, i) => {
      d.train.set(r, i * dim);
    });
    d.trainCount = s.train.length;
    d.trainHead = s.trainHead;
    d.calib.set(s.calib);
    d.calibCount = s.calib.length;
    d.calibHead = s.calibHead;
    return d;
  }
}
