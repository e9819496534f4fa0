/**
 * Anomaly-likelihood post-processing (Ahmad, Lavin, Purdy & Agha, "Unsupervised real-time anomaly detection
 * for streaming data", Neurocomputing 2017), written here from the paper's description.
 *
 * A raw score says how surprising one point is to a model; noisy series make every model surprised often.
 * The likelihood asks instead whether the recent *level of surprise* is unusual: it averages the raw score
 * over the last few points, fits a Gaussian to that average over a long history (refitted periodically) and
 * reports the upper tail probability, on a log scale so that 1e-5 and 1e-10 stay distinguishable.
 * Like the NAB HTM detector, a value outside the range seen so far (with a tolerance) scores 1 at once,
 * and a tail probability that stays in the red zone is reported only on entry.
 * An optional rest period caps the score after an alert, as NAB's KNN CAD and CAD OSE do.
 */
import { checkParam, erfc } from './math.ts';
import type { AnomalyDetector, DetectorJSON } from './types.ts';
import { checkPoint, cloneJSON } from './types.ts';

/** Parameters of {@link LikelihoodDetector}. */
export interface LikelihoodParams {
  /** Points during which the inner model learns and the output stays low. @default 150 */
  readonly learningPeriod: number;
  /** Averaged scores needed after the learning period for the first fit. @default 150 */
  readonly estimationSamples: number;
  /** Averaged scores kept for refits. @default 8640 */
  readonly historicWindow: number;
  /** Points between refits. @default 100 */
  readonly reestimationPeriod: number;
  /** Raw scores averaged. @default 10 */
  readonly averagingWindow: number;
  /** Fraction of the seen range beyond which a value is a spatial anomaly (0 disables). @default 0.05 */
  readonly spatialTolerance: number;
  /** Points after an alert during which the score is capped at `restCap` (0 disables). @default 0 */
  readonly restPeriod: number;
  /** Score at or above which an alert starts a rest period. @default 0.5 */
  readonly alertLevel: number;
  /** Cap during a rest period. @default 0.3 */
  readonly restCap: number;
}

export const LIKELIHOOD_DEFAULTS: LikelihoodParams = {
  learningPeriod: 150,
  estimationSamples: 150,
  historicWindow: 8640,
  reestimationPeriod: 100,
  averagingWindow: 10,
  spatialTolerance: 0.05,
  restPeriod: 0,
  alertLevel: 0.5,
  restCap: 0.3,
};

interface LikelihoodState {
  iteration: number;
  /** Ring of averaged raw scores and of values (for the flat-series check), capacity historicWindow. */
  avgs: number[];
  values: number[];
  head: number;
  recent: number[];
  recentTotal: number;
  mean: number | null;
  std: number;
  prevTail: number;
  min: number | null;
  max: number | null;
  rest: number;
  inner: DetectorJSON;
}

const LOG_SCALE = -23.02585084720009; // log(1 - 0.9999999999)

/** Log-scale likelihood in [0, 1] from a tail probability: 0.5 for 1e-5, 1 for 1e-10 and below. */
export function logLikelihood(tail: number): number {
  const v = Math.log(tail + 1e-10) / LOG_SCALE;
  return v < 0 ? 0 : Math.min(v, 1);
}

/** Wraps any detector's raw score in the anomaly likelihood. */
export class LikelihoodDetector implements AnomalyDetector {
  readonly kind = 'likelihood';
  readonly params: LikelihoodParams;
  readonly inner: AnomalyDetector;
  private s: Omit<LikelihoodState, 'inner'>;

  /**
   * @param inner the raw-score model; it is owned by this wrapper from now on
   * @example
   * const d = new LikelihoodDetector(new HoltDetector());
   */
  constructor(inner: AnomalyDetector, params: Partial<LikelihoodParams> = {}) {
    const p = { ...LIKELIHOOD_DEFAULTS, ...params };
    checkParam('learningPeriod', p.learningPeriod, 'nonNegative');
    checkParam('estimationSamples', p.estimationSamples, 'integer>=2');
    checkParam('historicWindow', p.historicWindow, 'integer>=2');
    if (p.historicWindow < p.estimationSamples) {
      throw new RangeError(
        `historicWindow must be >= estimationSamples, got ${p.historicWindow} < ${p.estimationSamples}`,
      );
    }
    checkParam('reestimationPeriod', p.reestimationPeriod, 'integer>=1');
    checkParam('averagingWindow', p.averagingWindow, 'integer>=1');
    checkParam('spatialTolerance', p.spatialTolerance, 'nonNegative');
    checkParam('restPeriod', p.restPeriod, 'nonNegative');
    checkParam('alertLevel', p.alertLevel, 'unit');
    checkParam('restCap', p.restCap, 'nonNegative');
    this.params = p;
    this.inner = inner;
    this.s = {
      iteration: 0,
      avgs: [],
      values: [],
      head: 0,
      recent: [],
      recentTotal: 0,
      mean: null,
      std: 1,
      prevTail: 1,
      min: null,
      max: null,
      rest: 0,
    };
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    const raw = this.inner.update(time, value);
    const s = this.s;
    const p = this.params;

    s.recent.push(raw);
    s.recentTotal += raw;
    if (s.recent.length > p.averagingWindow) s.recentTotal -= s.recent.shift() as number;
    const avg = s.recentTotal / s.recent.length;

    let tail = 1;
    if (s.iteration >= p.learningPeriod + p.estimationSamples) {
      if (s.mean === null || s.iteration % p.reestimationPeriod === 0) this.estimate();
      const z = (avg - (s.mean as number)) / s.std;
      const rawTail = 0.5 * erfc(z / Math.SQRT2);
      // Stay quiet while the tail stays in the red zone: only the entry into it is news.
      tail = rawTail <= 1e-5 && s.prevTail <= 1e-5 ? 1e-3 : rawTail;
      s.prevTail = rawTail;
    }
    let score = s.iteration >= p.learningPeriod + p.estimationSamples ? logLikelihood(tail) : 0;

    if (p.spatialTolerance > 0 && s.min !== null && s.max !== null && s.max > s.min) {
      const tol = (s.max - s.min) * p.spatialTolerance;
      if (value > s.max + tol || value < s.min - tol) score = 1;
    }
    if (s.min === null || value < s.min) s.min = value;
    if (s.max === null || value > s.max) s.max = value;

    if (p.restPeriod > 0) {
      if (s.rest > 0) {
        s.rest--;
        if (score > p.restCap) score = p.restCap;
      } else if (score >= p.alertLevel) {
        s.rest = p.restPeriod;
      }
    }

    if (s.avgs.length < p.historicWindow) {
      s.avgs.push(avg);
      s.values.push(value);
    } else {
      s.avgs[s.head] = avg;
      s.values[s.head] = value;
      s.head = (s.head + 1) % p.historicWindow;
    }
    s.iteration++;
    return score;
  }

  /** Refits the Gaussian to the stored averaged scores, skipping those still inside the learning period. */
  private estimate(): void {
    const s = this.s;
    const p = this.params;
    const n = s.avgs.length;
    const shiftedOut = Math.max(0, s.iteration - p.historicWindow);
    const skip = Math.min(n, Math.max(0, p.learningPeriod - shiftedOut));
    const count = n - skip;
    if (count <= 0) {
      s.mean = 0.5;
      s.std = 1e3;
      return;
    }
    // Ring order: oldest first starting at head (once full); before that, head is 0.
    let sum = 0;
    let vsum = 0;
    for (let j = skip; j < n; j++) {
      const i = (s.head + j) % n;
      sum += s.avgs[i] as number;
      vsum += s.values[i] as number;
    }
    const mean = sum / count;
    const vmean = vsum / count;
    let ss = 0;
    let vss = 0;
    for (let j = skip; j < n; j++) {
      const i = (s.head + j) % n;
      const d = (s.avgs[i] as number) - mean;
      const dv = (s.values[i] as number) - vmean;
      ss += d * d;
      vss += dv * dv;
    }
    if (vss / count < 1.5e-5) {
      // A flat metric: any raw-score flutter is meaningless, so make every score likely.
      s.mean = 0.5;
      s.std = 1e3;
      return;
    }
    s.mean = Math.max(mean, 0.03);
    s.std = Math.sqrt(Math.max(ss / count, 0.0003));
  }

  toJSON(): DetectorJSON {
    return {
      kind: this.kind,
      params: { ...this.params },
      state: { ...cloneJSON(this.s), inner: this.inner.toJSON() },
    };
  }

  /** Restores a wrapper; `restoreInner` rebuilds the wrapped detector (the registry passes its own). */
  static fromJSON(
    json: DetectorJSON,
    restoreInner: (j: DetectorJSON) => AnomalyDetector,
  ): LikelihoodDetector {
    const state = json.state as LikelihoodState;
    const d = new LikelihoodDetector(restoreInner(state.inner), json.params as Partial<LikelihoodParams>);
    const { inner: _inner, ...rest } = cloneJSON(state);
    d.s = rest;
    return d;
  }
}
