/**
 * DDSketch (Masson, Rim & Lee, "DDSketch: a fast and fully-mergeable quantile sketch with relative-error
 * guarantees", VLDB 2019), with logarithmic buckets and a collapsing-lowest store.
 *
 * Why DDSketch rather than a t-digest or KLL: the metrics here (latencies, sizes, P&L magnitudes) span
 * orders of magnitude and users read tail quantiles (p99) of them; DDSketch bounds the *relative* error of
 * every quantile, including the tails, where KLL bounds only the rank error and t-digest gives no hard bound.
 * Merging is exact (bucket counts add), so merge order does not matter, which a Lambda fan-in needs.
 * The official JS package (@datadog/sketches-js) is CommonJS with protobuf baggage; the algorithm is 100 lines.
 *
 * Guarantee: for a sketch with relative accuracy α, quantile(q) returns x̂ with |x̂ − x_q| ≤ α·|x_q|, where
 * x_q is the element of rank ⌊q·(n − 1)⌋ (0-based) of the sorted inputs, as long as no bucket collapse has
 * happened below x_q (collapses happen only once a store holds more than `maxBins` buckets, and only to the
 * smallest magnitudes: with α = 0.01 and 2048 buckets a store covers 17 orders of magnitude).
 */

/** JSON form of a {@link DDSketch}: bucket index → count, as sorted [index, count] pairs. */
export interface DDSketchJSON {
  readonly relativeAccuracy: number;
  readonly maxBins: number;
  readonly zeroCount: number;
  readonly positive: readonly (readonly [number, number])[];
  readonly negative: readonly (readonly [number, number])[];
  readonly min: number;
  readonly max: number;
}

/** Options of a {@link DDSketch}. */
export interface DDSketchOptions {
  /** α in (0, 1): every quantile is within α relative error. @default 0.01 */
  readonly relativeAccuracy?: number;
  /** Buckets per sign before the smallest magnitudes are collapsed. @default 2048 */
  readonly maxBins?: number;
}

// Magnitudes below this go to the zero bucket: their logarithm would index absurdly low buckets.
const MIN_INDEXABLE = 1e-300;

/**
 * A mergeable quantile sketch with relative-error guarantees.
 *
 * @example
 * const s = new DDSketch({ relativeAccuracy: 0.01 });
 * for (const v of latencies) s.add(v);
 * s.quantile(0.99); // within 1 % of the exact p99
 */
export class DDSketch {
  readonly relativeAccuracy: number;
  readonly maxBins: number;
  private readonly gamma: number;
  private readonly lnGamma: number;
  private positive = new Map<number, number>();
  private negative = new Map<number, number>();
  private zeroCount = 0;
  private total = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  constructor(options: DDSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? 0.01;
    if (!(alpha > 0 && alpha < 1))
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${String(alpha)}`);
    const maxBins = options.maxBins ?? 2048;
    if (!Number.isInteger(maxBins) || maxBins < 16)
      throw new RangeError(`maxBins must be an integer >= 16, got ${String(maxBins)}`);
    this.relativeAccuracy = alpha;
    this.maxBins = maxBins;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.lnGamma = Math.log(this.gamma);
  }

  /** Number of values added (or merged in). */
  get count(): number {
    return this.total;
  }

  /** Adds a value `weight` times. Non-finite values are refused: they have no bucket. */
  add(value: number, weight = 1): void {
    if (!Number.isFinite(value)) throw new RangeError(`value must be a finite number, got ${value}`);
    if (!(weight > 0) || !Number.isInteger(weight))
      throw new RangeError(`weight must be an integer >= 1, got ${weight}`);
    const mag = Math.abs(value);
    if (mag < MIN_INDEXABLE) this.zeroCount += weight;
    else {
      const store = value > 0 ? this.positive : this.negative;
      const i = this.index(mag);
      store.set(i, (store.get(i) ?? 0) + weight);
      if (store.size > this.maxBins) this.collapse(store);
    }
    this.total += weight;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
  }

  /**
   * The q-quantile (q in [0, 1]) within the relative accuracy; NaN when empty. q = 0 and q = 1 return
   * the exact minimum and maximum, and every answer is clamped to [min, max].
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1], got ${q}`);
    if (this.total === 0) return Number.NaN;
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    const rank = q * (this.total - 1);
    let seen = 0;
    let estimate = this.hi;
    const negKeys = [...this.negative.keys()].sort((a, b) => b - a);
    let found = false;
    for (const k of negKeys) {
      seen += this.negative.get(k) as number;
      if (seen > rank) {
        estimate = -this.value(k);
        found = true;
        break;
      }
    }
    if (!found) {
      seen += this.zeroCount;
      if (seen > rank) {
        estimate = 0;
        found = true;
      }
    }
    if (!found) {
      const posKeys = [...this.positive.keys()].sort((a, b) => a - b);
      for (const k of posKeys) {
        seen += this.positive.get(k) as number;
        if (seen > rank) {
          estimate = this.value(k);
          break;
        }
      }
    }
    return Math.min(this.hi, Math.max(this.lo, estimate));
  }

  /** Adds another sketch's counts into this one. Both must have the same relative accuracy. */
  merge(other: DDSketch): this {
    if (other.relativeAccuracy !== this.relativeAccuracy)
      throw new RangeError(
        `cannot merge sketches of different relativeAccuracy (${this.relativeAccuracy} and ${other.relativeAccuracy})`,
      );
    for (const [k, c] of other.positive) this.positive.set(k, (this.positive.get(k) ?? 0) + c);
    for (const [k, c] of other.negative) this.negative.set(k, (this.negative.get(k) ?? 0) + c);
    while (this.positive.size > this.maxBins) this.collapse(this.positive);
    while (this.negative.size > this.maxBins) this.collapse(this.negative);
    this.zeroCount += other.zeroCount;
    this.total += other.total;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    return this;
  }

  /** Plain JSON; {@link DDSketch.fromJSON} restores an identical sketch. */
  toJSON(): DDSketchJSON {
    const pairs = (m: Map<number, number>): [number, number][] =>
      [...m.entries()].sort((a, b) => a[0] - b[0]);
    return {
      relativeAccuracy: this.relativeAccuracy,
      maxBins: this.maxBins,
      zeroCount: this.zeroCount,
      positive: pairs(this.positive),
      negative: pairs(this.negative),
      min: this.total === 0 ? 0 : this.lo,
      max: this.total === 0 ? 0 : this.hi,
    };
  }

  /** Restores a sketch from {@link DDSketch.toJSON}'s output, checking its shape. */
  static fromJSON(json: DDSketchJSON): DDSketch {
    const s = new DDSketch({ relativeAccuracy: json.relativeAccuracy, maxBins: json.maxBins });
    const load = (pairs: unknown, name: string, into: Map<number, number>): number => {
      if (!Array.isArray(pairs)) throw new TypeError(`${name} must be an array of [index, count] pairs`);
      let sum = 0;
      for (const p of pairs) {
        if (!Array.isArray(p) || !Number.isInteger(p[0]) || !Number.isInteger(p[1]) || p[1] < 1)
          throw new TypeError(`${name} must hold [integer index, integer count >= 1] pairs`);
        into.set(p[0], p[1]);
        sum += p[1];
      }
      return sum;
    };
    if (!Number.isInteger(json.zeroCount) || json.zeroCount < 0)
      throw new TypeError('zeroCount must be an integer >= 0');
    s.total = load(json.positive, 'positive', s.positive) + load(json.negative, 'negative', s.negative);
    s.zeroCount = json.zeroCount;
    s.total += json.zeroCount;
    if (s.total > 0) {
      s.lo = json.min;
      s.hi = json.max;
    }
    return s;
  }

  private index(mag: number): number {
    return Math.ceil(Math.log(mag) / this.lnGamma);
  }

  /** Representative value of bucket i, (γ^(i-1), γ^i]: the point with equal relative error to both ends. */
  private value(i: number): number {
    return (2 * Math.exp(i * this.lnGamma)) / (this.gamma + 1);
  }

  private collapse(store: Map<number, number>): void {
    const keys = [...store.keys()].sort((a, b) => a - b);
    const a = keys[0] as number;
    const b = keys[1] as number;
    store.set(b, (store.get(b) as number) + (store.get(a) as number));
    store.delete(a);
  }
}
