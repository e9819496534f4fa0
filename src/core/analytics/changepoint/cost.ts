/** Segment costs for the offline detectors: twice the negative Gaussian log-likelihood, from prefix sums. */

/** `meanvar`: mean and variance change (both estimated per segment); `mean`: mean changes, one common variance. */
export type CostName = 'meanvar' | 'mean';

export const COST_NAMES: readonly CostName[] = ['meanvar', 'mean'];

/** cost(a, b) of the segment of values a..b−1 (b − a ≥ 1). */
export interface SegmentCost {
  readonly n: number;
  cost(a: number, b: number): number;
  /** Free parameters a new segment adds, besides its location (BIC counts them). */
  readonly parameters: number;
}

function median(x: number[]): number {
  const s = x.slice().sort((p, q) => p - q);
  const h = s.length >> 1;
  return s.length % 2 ? (s[h] as number) : 0.5 * ((s[h - 1] as number) + (s[h] as number));
}

/** Robust noise level: MAD of first differences / √2, unaffected by the level shifts being looked for. */
export function diffScale(values: readonly number[]): number {
  const d: number[] = [];
  for (let i = 1; i < values.length; i++) d.push((values[i] as number) - (values[i - 1] as number));
  if (d.length === 0) return 0;
  const m = median(d);
  return (1.4826 * median(d.map((v) => Math.abs(v - m)))) / Math.SQRT2;
}

/**
 * Noise level the `mean` cost assumes known: `robust` ({@link diffScale}, unaffected by the level shifts),
 * `series` (the sample standard deviation of the whole series, which includes the shifts, so it is larger
 * and finds fewer changes: R's `cpt.mean` on a series scaled to unit variance, as TCPDBench runs it), or a value > 0.
 */
export type NoiseScale = 'robust' | 'series' | number;

/**
 * Builds the cost of a series. Values are centred first so the prefix sums of squares keep their precision.
 * `meanvar` floors a segment's variance at 1e-6 of the series' variance: a short run of equal values would
 * otherwise have −∞ cost and attract a change point on any quantised metric. `sigma` applies to `mean` only.
 */
export function segmentCost(
  values: readonly number[],
  name: CostName,
  sigma: NoiseScale = 'robust',
): SegmentCost {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = (values[i] as number) - mean;
    s1[i + 1] = (s1[i] as number) + v;
    s2[i + 1] = (s2[i] as number) + v * v;
  }
  const total = (s2[n] as number) / n;
  if (name === 'meanvar') {
    const floor = total > 0 ? 1e-6 * total : 1e-300;
    const c = Math.log(2 * Math.PI) + 1;
    return {
      n,
      parameters: 2,
      cost(a, b) {
        const m = b - a;
        const sum = (s1[b] as number) - (s1[a] as number);
        const ss = (s2[b] as number) - (s2[a] as number) - (sum * sum) / m;
        return m * (c + Math.log(Math.max(ss / m, floor)));
      },
    };
  }
  let scale =
    sigma === 'robust'
      ? diffScale(values)
      : sigma === 'series'
        ? Math.sqrt((total * n) / Math.max(1, n - 1))
        : sigma;
  if (!(scale > 0)) scale = Math.sqrt(total);
  if (!(scale > 0)) scale = 1;
  const inv = 1 / (scale * scale);
  return {
    n,
    parameters: 1,
    cost(a, b) {
      const m = b - a;
      const sum = (s1[b] as number) - (s1[a] as number);
      return ((s2[b] as number) - (s2[a] as number) - (sum * sum) / m) * inv;
    },
  };
}
