/**
 * Mergeable streaming summary of a metric: count, mean, variance (Welford's update, Chan et al.'s pairwise
 * merge, both numerically stable), min, max, sum, and quantiles from a {@link DDSketch}.
 *
 * Partial summaries computed per shard, per Lambda batch or per time bucket merge into the summary of the
 * union, exactly for the moments (to rounding) and within the sketch's relative accuracy for quantiles.
 */
import { DDSketch, type DDSketchJSON, type DDSketchOptions } from './sketch.ts';

/** JSON form of {@link StreamingStats}. */
export interface StreamingStatsJSON {
  readonly count: number;
  readonly mean: number;
  /** Sum of squared deviations from the mean (Welford's M2). */
  readonly m2: number;
  readonly min: number;
  readonly max: number;
  readonly sketch?: DDSketchJSON;
}

/** Options of {@link StreamingStats}. */
export interface StreamingStatsOptions extends DDSketchOptions {
  /** Keep a quantile sketch (bounded memory, ~16 KB at most per sign). @default true */
  readonly quantiles?: boolean;
}

/** A plain snapshot of {@link StreamingStats}. */
export interface StatsSummary {
  readonly count: number;
  readonly mean: number;
  /** Sample variance (denominator n − 1); NaN below 2 values. */
  readonly variance: number;
  readonly stdDev: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  /** Requested quantiles by their probability as a string ("0.5", "0.99"); absent without a sketch. */
  readonly quantiles?: Readonly<Record<string, number>>;
}

/**
 * Streaming, mergeable statistics.
 *
 * @example
 * const a = new StreamingStats(); a.addAll([1, 2, 3]);
 * const b = new StreamingStats(); b.addAll([4, 5]);
 * a.merge(b).mean; // 3
 * a.quantile(0.5); // 3, within 1 %
 */
export class StreamingStats {
  private n = 0;
  private mu = 0;
  private m2 = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private sketch: DDSketch | undefined;

  constructor(options: StreamingStatsOptions = {}) {
    this.sketch = options.quantiles === false ? undefined : new DDSketch(options);
  }

  /** Adds one value; non-finite values are refused (they would poison every moment). */
  add(value: number): this {
    if (!Number.isFinite(value)) throw new RangeError(`value must be a finite number, got ${value}`);
    this.n += 1;
    const delta = value - this.mu;
    this.mu += delta / this.n;
    this.m2 += delta * (value - this.mu);
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    this.sketch?.add(value);
    return this;
  }

  /** Adds every value of an iterable. */
  addAll(values: Iterable<number>): this {
    for (const v of values) this.add(v);
    return this;
  }

  get count(): number {
    return this.n;
  }
  /** Mean; NaN when empty. */
  get mean(): number {
    return this.n === 0 ? Number.NaN : this.mu;
  }
  /** Sample variance (n − 1); NaN below 2 values. */
  get variance(): number {
    return this.n < 2 ? Number.NaN : this.m2 / (this.n - 1);
  }
  /** Population variance (n); NaN when empty. */
  get populationVariance(): number {
    return this.n === 0 ? Number.NaN : this.m2 / this.n;
  }
  get stdDev(): number {
    return Math.sqrt(this.variance);
  }
  get min(): number {
    return this.n === 0 ? Number.NaN : this.lo;
  }
  get max(): number {
    return this.n === 0 ? Number.NaN : this.hi;
  }
  get sum(): number {
    return this.n * this.mu;
  }
  /** Whether quantiles are available. */
  get hasQuantiles(): boolean {
    return this.sketch !== undefined;
  }

  /** The q-quantile within the sketch's relative accuracy; throws when built with `quantiles: false`. */
  quantile(q: number): number {
    if (!this.sketch)
      throw new Error('quantile needs a sketch: this StreamingStats was built with quantiles: false');
    return this.sketch.quantile(q);
  }

  /**
   * Merges another summary into this one (Chan, Golub & LeVeque's pairwise update). Both must agree on
   * having a sketch, and sketches on their relative accuracy.
   */
  merge(other: StreamingStats): this {
    if ((this.sketch === undefined) !== (other.sketch === undefined))
      throw new RangeError('cannot merge a StreamingStats with quantiles into one without (or the reverse)');
    if (other.n === 0) return this;
    if (this.sketch && other.sketch) this.sketch.merge(other.sketch);
    if (this.n === 0) {
      this.n = other.n;
      this.mu = other.mu;
      this.m2 = other.m2;
      this.lo = other.lo;
      this.hi = other.hi;
      return this;
    }
    const n = this.n + other.n;
    const delta = other.mu - this.mu;
    this.mu += (delta * other.n) / n;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.n = n;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    return this;
  }

  /** A plain snapshot, with the quantiles asked for (default median, p90, p95, p99) when there is a sketch. */
  summary(quantiles: readonly number[] = [0.5, 0.9, 0.95, 0.99]): StatsSummary {
    const base = {
      count: this.n,
      mean: this.mean,
      variance: this.variance,
      stdDev: this.stdDev,
      min: this.min,
      max: this.max,
      sum: this.sum,
    };
    if (!this.sketch) return base;
    const q: Record<string, number> = {};
    for (const p of quantiles) q[String(p)] = this.sketch.quantile(p);
    return { ...base, quantiles: q };
  }

  /** Plain JSON; {@link StreamingStats.fromJSON} restores an identical summary. */
  toJSON(): StreamingStatsJSON {
    const empty = this.n === 0;
    return {
      count: this.n,
      mean: this.mu,
      m2: this.m2,
      min: empty ? 0 : this.lo,
      max: empty ? 0 : this.hi,
      ...(this.sketch ? { sketch: this.sketch.toJSON() } : {}),
    };
  }

  /** Restores from {@link StreamingStats.toJSON}, checking the fields. */
  static fromJSON(json: StreamingStatsJSON): StreamingStats {
    if (!json || typeof json !== 'object') throw new TypeError('StreamingStats JSON must be an object');
    if (!Number.isInteger(json.count) || json.count < 0) throw new TypeError('count must be an integer >= 0');
    for (const k of ['mean', 'm2', 'min', 'max'] as const) {
      if (!Number.isFinite(json[k])) throw new TypeError(`${k} must be a finite number`);
    }
    if (json.m2 < 0) throw new TypeError('m2 must be >= 0');
    const restored = new StreamingStats({ quantiles: false });
    if (json.sketch) restored.sketch = DDSketch.fromJSON(json.sketch);
    restored.n = json.count;
    restored.mu = json.mean;
    restored.m2 = json.m2;
    if (json.count > 0) {
      restored.lo = json.min;
      restored.hi = json.max;
    }
    return restored;
  }
}
