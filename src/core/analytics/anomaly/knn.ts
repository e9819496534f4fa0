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
import { type AnomalyDetector, checkPoint, cloneJSON, type DetectorJSON } from './types.ts';

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
  private s: KnnState = { recent: [], pending: [], train: [], trainHead: 0, calib: [], calibHead: 0 };
  private heap: Float64Array;

  constructor(params: Partial<KnnParams> = {}) {
    const p = { dim: 10, k: 20, training: 400, calibration: 400, ...params };
    checkParam('dim', p.dim, 'integer>=1');
    checkParam('k', p.k, 'integer>=1');
    checkParam('training', p.training, 'integer>=1');
    checkParam('calibration', p.calibration, 'integer>=1');
    if (p.k > p.training) throw new RangeError(`k must be <= training, got ${p.k} > ${p.training}`);
    this.params = p;
    this.heap = new Float64Array(p.k);
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    const s = this.s;
    const { dim, training, calibration } = this.params;
    s.recent.push(value);
    if (s.recent.length > dim) s.recent.shift();
    if (s.recent.length < dim) return 0;
    const item = s.recent.slice();
    let score = 0;
    if (s.train.length >= this.params.k) {
      const ncm = this.nonconformity(item);
      const calib = s.calib;
      if (calib.length > 0) {
        let below = 0;
        let max = 0;
        for (const c of calib) {
          if (c < ncm) below++;
          if (c > max) max = c;
        }
        score = below / (calib.length + 1);
        // Beyond every calibration score: keep ranking by how far beyond, without reaching 1.
        if (below === calib.length && ncm > 0) score += (1 / (calib.length + 1)) * (1 - max / ncm);
      }
      if (calib.length < calibration) calib.push(ncm);
      else {
        calib[s.calibHead] = ncm;
        s.calibHead = (s.calibHead + 1) % calibration;
      }
    }
    s.pending.push(item);
    if (s.pending.length > dim) {
      const ready = s.pending.shift() as number[];
      if (s.train.length < training) s.train.push(ready);
      else {
        s.train[s.trainHead] = ready;
        s.trainHead = (s.trainHead + 1) % training;
      }
    }
    return score;
  }

  /** Sum of the k smallest squared distances, by a bounded max-heap. */
  private nonconformity(item: number[]): number {
    const k = this.params.k;
    const heap = this.heap;
    let size = 0;
    for (const t of this.s.train) {
      let d = 0;
      for (let j = 0; j < item.length; j++) {
        const diff = (item[j] as number) - (t[j] as number);
        d += diff * diff;
      }
      if (size < k) {
        let i = size++;
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
    let sum = 0;
    for (let i = 0; i < size; i++) sum += heap[i] as number;
    return sum;
  }

  toJSON(): DetectorJSON {
    return { kind: this.kind, params: { ...this.params }, state: cloneJSON(this.s) };
  }

  static fromJSON(json: DetectorJSON): KnnDetector {
    const d = new KnnDetector(json.params as Partial<KnnParams>);
    d.s = cloneJSON(json.state as KnnState);
    return d;
  }
}
