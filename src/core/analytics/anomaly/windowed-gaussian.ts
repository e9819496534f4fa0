/**
 * NAB's windowed Gaussian detector, ported from numenta/NAB
 * nab/detectors/gaussian/windowedGaussian_detector.py (MIT licence, Numenta Inc.).
 *
 * The score of a point is 1 - Q(|x - mean| / std) for the mean and population standard deviation of a
 * window of earlier points (first point: 0). The window fills to 6400 points, then slides 100 points at a
 * time; the statistics are refreshed after every point while filling and after every 100-point step after.
 * A zero standard deviation becomes 1e-6, as in the original.
 *
 * While filling, the mean and variance are kept by Welford's update instead of numpy's two passes over the
 * window (same values to rounding; O(1) instead of O(window) per point); after each 100-point step they are
 * recomputed with two passes like numpy.
 */
import { checkParam, normalTail } from './math.ts';
import { type AnomalyDetector, checkPoint, cloneJSON, type DetectorJSON } from './types.ts';

/** Parameters of {@link WindowedGaussianDetector}. */
export interface WindowedGaussianParams {
  /** @default 6400 */
  readonly windowSize: number;
  /** @default 100 */
  readonly stepSize: number;
}

interface WindowedGaussianState {
  window: number[];
  step: number[];
  mean: number;
  std: number;
  /** Welford running sum of squared deviations while filling. */
  m2: number;
}

export const WINDOWED_GAUSSIAN_DEFAULTS: WindowedGaussianParams = { windowSize: 6400, stepSize: 100 };

/** NAB's windowed Gaussian baseline (published 39.6 standard on the full NAB corpus). */
export class WindowedGaussianDetector implements AnomalyDetector {
  readonly kind = 'windowedGaussian';
  readonly params: WindowedGaussianParams;
  private s: WindowedGaussianState;

  constructor(params: Partial<WindowedGaussianParams> = {}) {
    const p = { ...WINDOWED_GAUSSIAN_DEFAULTS, ...params };
    checkParam('windowSize', p.windowSize, 'integer>=1');
    checkParam('stepSize', p.stepSize, 'integer>=1');
    if (p.stepSize > p.windowSize)
      throw new RangeError(`stepSize must be <= windowSize, got ${p.stepSize} > ${p.windowSize}`);
    this.params = p;
    this.s = { window: [], step: [], mean: 0, std: 1, m2: 0 };
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    const s = this.s;
    const score = s.window.length > 0 ? 1 - normalTail(value, s.mean, s.std) : 0;
    if (s.window.length < this.params.windowSize) {
      s.window.push(value);
      const n = s.window.length;
      const delta = value - (n === 1 ? 0 : s.mean);
      s.mean = n === 1 ? value : s.mean + delta / n;
      s.m2 = n === 1 ? 0 : s.m2 + delta * (value - s.mean);
      s.std = Math.sqrt(s.m2 / n);
      if (s.std === 0) s.std = 0.000001;
    } else {
      s.step.push(value);
      if (s.step.length === this.params.stepSize) {
        s.window = s.window.slice(this.params.stepSize).concat(s.step);
        s.step = [];
        this.refresh();
      }
    }
    return score;
  }

  private refresh(): void {
    const w = this.s.window;
    let sum = 0;
    for (const v of w) sum += v;
    const mean = sum / w.length;
    let ss = 0;
    for (const v of w) ss += (v - mean) * (v - mean);
    this.s.mean = mean;
    this.s.std = Math.sqrt(ss / w.length);
    if (this.s.std === 0) this.s.std = 0.000001;
  }

  toJSON(): DetectorJSON {
    return { kind: this.kind, params: { ...this.params }, state: cloneJSON(this.s) };
  }

  static fromJSON(json: DetectorJSON): WindowedGaussianDetector {
    const d = new WindowedGaussianDetector(json.params as Partial<WindowedGaussianParams>);
    d.s = cloneJSON(json.state as WindowedGaussianState);
    return d;
  }
}
