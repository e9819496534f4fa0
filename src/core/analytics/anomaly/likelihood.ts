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
import { checkPoint } from './types.ts';

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
  // State as flat fields and typed rings rather than a state object of growing arrays: an update then
  // allocates nothing (no push/shift), and a refit walks two contiguous ranges instead of taking a modulo
  // per element. toJSON writes exactly the LikelihoodState layout, so stored states stay compatible.
  private iteration = 0;
  /** Rings of averaged raw scores and of values, oldest at `head` once `count` reaches historicWindow. */
  private avgs: Float64Array;
  private values: Float64Array;
  private count = 0;
  private head = 0;
  /** Ring of the last averagingWindow raw scores, oldest at `recentHead`. */
  private recent: Float64Array;
  private recentCount = 0;
  private recentHead = 0;
  // Fields that hold fractions start as a non-integer (NaN, set in the constructor): V8 would otherwise
  // type them as small integers and deoptimise the hot code on the first fraction.
  private recentTotal = Number.NaN;
  /** NaN until the first fit (null in JSON). */
  private mean = Number.NaN;
  private std = Number.NaN;
  private prevTail = Number.NaN;
  /** ±Infinity before the first value (null in JSON). */
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private rest = 0;

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
    // A literal with a fixed key order, not the spread itself: V8 gives spread copies a second hidden class
    // after a few detectors, which deoptimises the hot path that reads the parameters.
    this.params = {
      learningPeriod: p.learningPeriod,
      estimationSamples: p.estimationSamples,
      historicWindow: p.historicWindow,
      reestimationPeriod: p.reestimationPeriod,
      averagingWindow: p.averagingWindow,
      spatialTolerance: p.spatialTolerance,
      restPeriod: p.restPeriod,
      alertLevel: p.alertLevel,
      restCap: p.restCap,
    };
    this.inner = inner;
    // The history rings grow by doubling up to historicWindow, so short series do not pay for 8640 slots.
    const initial = Math.min(p.historicWindow, 1024);
    this.avgs = new Float64Array(initial);
    this.values = new Float64Array(initial);
    this.recent = new Float64Array(p.averagingWindow);
    this.recentTotal = 0;
    this.std = 1;
    this.prevTail = 1;
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    const raw = this.inner.update(time, value);
    const p = this.params;

    // Same operation order as push-then-shift on an array, so the running total is bit-identical.
    this.recentTotal += raw;
    if (this.recentCount < p.averagingWindow) {
      this.recent[this.recentCount++] = raw;
    } else {
      const h = this.recentHead;
      this.recentTotal -= this.recent[h] as number;
      this.recent[h] = raw;
      this.recentHead = h + 1 === p.averagingWindow ? 0 : h + 1;
    }
    const avg = this.recentTotal / this.recentCount;

    const scoring = this.iteration >= p.learningPeriod + p.estimationSamples;
    let score = 0;
    if (scoring) {
      if (Number.isNaN(this.mean) || this.iteration % p.reestimationPeriod === 0) this.estimate();
      const z = (avg - this.mean) / this.std;
      const rawTail = 0.5 * erfc(z / Math.SQRT2);
      // Stay quiet while the tail stays in the red zone: only the entry into it is news.
      const tail = rawTail <= 1e-5 && this.prevTail <= 1e-5 ? 1e-3 : rawTail;
      this.prevTail = rawTail;
      score = logLikelihood(tail);
    }

    // min/max start at ±Infinity, so this test fails until two distinct values have been seen.
    if (p.spatialTolerance > 0 && this.max > this.min) {
      const tol = (this.max - this.min) * p.spatialTolerance;
      if (value > this.max + tol || value < this.min - tol) score = 1;
    }
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;

    if (p.restPeriod > 0) {
      if (this.rest > 0) {
        this.rest--;
        if (score > p.restCap) score = p.restCap;
      } else if (score >= p.alertLevel) {
        this.rest = p.restPeriod;
      }
    }

    const hw = p.historicWindow;
    if (this.count < hw) {
      if (this.count === this.avgs.length) this.grow(Math.min(hw, 2 * this.count));
      this.avgs[this.count] = avg;
      this.values[this.count] = value;
      this.count++;
    } else {
      const h = this.head;
      this.avgs[h] = avg;
      this.values[h] = value;
      this.head = h + 1 === hw ? 0 : h + 1;
    }
    this.iteration++;
    return score;
  }

  private grow(size: number): void {
    const avgs = new Float64Array(size);
    const values = new Float64Array(size);
    avgs.set(this.avgs.subarray(0, this.count));
    values.set(this.values.subarray(0, this.count));
    this.avgs = avgs;
    this.values = values;
  }

  /** Refits the Gaussian to the stored averaged scores, skipping those still inside the learning period. */
  private estimate(): void {
    const p = this.params;
    const n = this.count;
    const shiftedOut = Math.max(0, this.iteration - p.historicWindow);
    const skip = Math.min(n, Math.max(0, p.learningPeriod - shiftedOut));
    const count = n - skip;
    if (count <= 0) {
      this.mean = 0.5;
      this.std = 1e3;
      return;
    }
    // Ring order, oldest first from head (0 until the ring is full), as two contiguous ranges [a0, a1) and
    // [0, b1); sums run in that same order, so they equal a walk with a modulo exactly.
    let a0 = this.head + skip;
    if (a0 >= n) a0 -= n;
    const a1 = Math.min(n, a0 + count);
    const b1 = count - (a1 - a0);
    const avgs = this.avgs;
    const values = this.values;
    let sum = 0;
    let vsum = 0;
    for (let i = a0; i < a1; i++) {
      sum += avgs[i] as number;
      vsum += values[i] as number;
    }
    for (let i = 0; i < b1; i++) {
      sum += avgs[i] as number;
      vsum += values[i] as number;
    }
    const mean = sum / count;
    const vmean = vsum / count;
    let ss = 0;
    let vss = 0;
    for (let i = a0; i < a1; i++) {
      const d = (avgs[i] as number) - mean;
      const dv = (values[i] as number) - vmean;
      ss += d * d;
      vss += dv * dv;
    }
    for (let i = 0; i < b1; i++) {
      const d = (avgs[i] as number) - mean;
      const dv = (values[i] as number) - vmean;
      ss += d * d;
      vss += dv * dv;
    }
    if (vss / count < 1.5e-5) {
      // A flat metric: any raw-score flutter is meaningless, so make every score likely.
      this.mean = 0.5;
      this.std = 1e3;
      return;
    }
    this.mean = Math.max(mean, 0.03);
    this.std = Math.sqrt(Math.max(ss / count, 0.0003));
  }

  /** Oldest-first copy of the recent raw scores. */
  private recentInOrder(): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.recentCount; j++) {
      let i = this.recentHead + j;
      if (i >= this.recentCount) i -= this.recentCount;
      out.push(this.recent[i] as number);
    }
    return out;
  }

  toJSON(): DetectorJSON {
    const state: LikelihoodState = {
      iteration: this.iteration,
      avgs: Array.from(this.avgs.subarray(0, this.count)),
      values: Array.from(this.values.subarray(0, this.count)),
      head: this.head,
      recent: this.recentInOrder(),
      recentTotal: this.recentTotal,
      mean: Number.isNaN(this.mean) ? null : this.mean,
      std: this.std,
      prevTail: this.prevTail,
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      rest: this.rest,
      inner: this.inner.toJSON(),
    };
    return { kind: this.kind, params: { ...this.params }, state };
  }

  /** Restores a wrapper; `restoreInner` rebuilds the wrapped detector (the registry passes its own). */
  static fromJSON(
    json: DetectorJSON,
    restoreInner: (j: DetectorJSON) => AnomalyDetector,
  ): LikelihoodDetector {
    const state = json.state as LikelihoodState;
    const d = new LikelihoodDetector(restoreInner(state.inner), json.params as Partial<LikelihoodParams>);
    const p = d.params;
    if (
      !Array.isArray(state.avgs) ||
      !Array.isArray(state.values) ||
      state.avgs.length !== state.values.length
    )
      throw new RangeError('state.avgs and state.values must be arrays of the same length');
    if (state.avgs.length > p.historicWindow)
      throw new RangeError(`state.avgs must hold at most historicWindow (${p.historicWindow}) values`);
    if (!Array.isArray(state.recent) || state.recent.length > p.averagingWindow)
      throw new RangeError(`state.recent must hold at most averagingWindow (${p.averagingWindow}) values`);
    d.count = state.avgs.length;
    d.grow(Math.max(d.avgs.length, d.count));
    d.avgs.set(state.avgs);
    d.values.set(state.values);
    d.head = state.head;
    d.recent.set(state.recent);
    d.recentCount = state.recent.length;
    d.recentHead = 0;
    d.iteration = state.iteration;
    d.recentTotal = state.recentTotal;
    d.mean = state.mean ?? Number.NaN;
    d.std = state.std;
    d.prevTail = state.prevTail;
    d.min = state.min ?? Number.POSITIVE_INFINITY;
    d.max = state.max ?? Number.NEGATIVE_INFINITY;
    d.rest = state.rest;
    return d;
  }
}
