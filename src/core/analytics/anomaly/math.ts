/**
 * Numerical helpers shared by the anomaly detectors: the complementary error function to near double
 * precision (the detectors rank points by tail probabilities that reach 1e-12 and below, so a 1e-7
 * approximation would merge distinct scores into ties and change NAB thresholds), Gaussian tails, and
 * a sorted sliding window for rolling quantiles.
 */

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * erfc(x) to about 1e-15 relative error: Maclaurin series of erf below 2, Lentz's continued fraction above.
 *
 * @example
 * erfc(0); // 1
 * erfc(1); // 0.15729920705028513
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / SQRT_PI) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

/**
 * Upper tail probability of N(mean, std²) beyond x, mirrored below the mean (NAB's normalProbability).
 */
export function normalTail(x: number, mean: number, std: number): number {
  const z = Math.abs(x - mean) / std;
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Two-sided Gaussian surprise of a z-score in [0, 1): erf(|z|/√2) = 1 - P(|Z| ≥ |z|). */
export function gaussianSurprise(z: number): number {
  const a = Math.abs(z);
  if (!Number.isFinite(a)) return 1;
  return 1 - erfc(a / Math.SQRT2);
}

/** Checks a numeric parameter and throws an error naming it and the rule it broke. */
export function checkParam(
  name: string,
  value: unknown,
  rule: 'positive' | 'nonNegative' | 'unit' | 'integer>=1' | 'integer>=2' | 'finite',
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule === 'finite' ||
      (rule === 'positive' && value > 0) ||
      (rule === 'nonNegative' && value >= 0) ||
      (rule === 'unit' && value > 0 && value <= 1) ||
      (rule === 'integer>=1' && Number.isInteger(value) && value >= 1) ||
      (rule === 'integer>=2' && Number.isInteger(value) && value >= 2));
  if (!ok) {
    const text = {
      positive: 'a finite number > 0',
      nonNegative: 'a finite number >= 0',
      unit: 'a number in (0, 1]',
      'integer>=1': 'an integer >= 1',
      'integer>=2': 'an integer >= 2',
      finite: 'a finite number',
    }[rule];
    throw new RangeError(`${name} must be ${text}, got ${String(value)}`);
  }
  return value as number;
}

/**
 * Sliding window of the last `capacity` values kept both in arrival order (ring) and sorted, so rolling
 * quantiles cost a binary search and one memmove per update instead of a sort.
 * Both live in preallocated Float64Arrays: an update allocates nothing, and the delete of the oldest value
 * and the insert of the new one become a single shift of the values between the two positions.
 * Its JSON is the ring (as filled so far) and a head index, which rebuilds the sorted copy exactly.
 */
export class SortedWindow {
  readonly capacity: number;
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private n: number;
  private head: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
    this.n = 0;
    this.head = 0;
  }

  get size(): number {
    return this.n;
  }

  /** Adds a value, dropping the oldest one once the window is full. */
  push(value: number): void {
    const sorted = this.sorted;
    const n = this.n;
    if (n < this.capacity) {
      this.ring[n] = value;
      const u = upperBound(sorted, n, value);
      sorted.copyWithin(u + 1, u, n);
      sorted[u] = value;
      this.n = n + 1;
      return;
    }
    const old = this.ring[this.head] as number;
    this.ring[this.head] = value;
    this.head = this.head + 1 === n ? 0 : this.head + 1;
    // Same result as deleting the first copy of `old` and then inserting after the last value <= `value`.
    const r = lowerBound(sorted, n, old);
    const u = upperBound(sorted, n, value);
    if (u <= r) {
      sorted.copyWithin(u + 1, u, r);
      sorted[u] = value;
    } else {
      sorted.copyWithin(r, r + 1, u);
      sorted[u - 1] = value;
    }
  }

  /** Quantile by linear interpolation between order statistics (numpy's default). */
  quantile(q: number): number {
    const n = this.n;
    if (n === 0) return Number.NaN;
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const a = this.sorted[lo] as number;
    const b = this.sorted[hi] as number;
    return a + (b - a) * (pos - lo);
  }

  /**
   * The order statistic at a fractional 0-based position, interpolated linearly and clamped to the window
   * (`quantile(q)` is `valueAt(q * (size - 1))`; R's type 6 is `valueAt(q * (size + 1) - 1)`).
   */
  valueAt(pos: number): number {
    const n = this.n;
    if (n === 0) return Number.NaN;
    const p = Math.min(Math.max(pos, 0), n - 1);
    const lo = Math.floor(p);
    const hi = Math.min(lo + 1, n - 1);
    const a = this.sorted[lo] as number;
    const b = this.sorted[hi] as number;
    return a + (b - a) * (p - lo);
  }

  /** Sum and count of the values at or below `v` (a tail mean, e.g. historical CVaR, in O(log n + count)). */
  atOrBelow(v: number): { sum: number; count: number } {
    const count = upperBound(this.sorted, this.n, v);
    let sum = 0;
    for (let i = 0; i < count; i++) sum += this.sorted[i] as number;
    return { sum, count };
  }

  toJSON(): { capacity: number; ring: number[]; head: number } {
    return { capacity: this.capacity, ring: Array.from(this.ring.subarray(0, this.n)), head: this.head };
  }

  static fromJSON(json: { capacity: number; ring: number[]; head: number }): SortedWindow {
    if (!Array.isArray(json.ring) || json.ring.length > json.capacity)
      throw new RangeError(`ring must be an array of at most capacity (${json.capacity}) values`);
    const w = new SortedWindow(json.capacity);
    w.ring.set(json.ring);
    w.n = json.ring.length;
    w.head = json.head;
    w.sorted.set(json.ring.slice().sort((a, b) => a - b));
    return w;
  }
}

/** First index in a[0, n) whose value is >= v. */
function lowerBound(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in a[0, n) whose value is > v. */
function upperBound(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
