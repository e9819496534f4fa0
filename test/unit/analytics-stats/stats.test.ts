import { describe, expect, it } from 'vitest';
import {
  DDSketch,
  incompleteBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  StreamingStats,
  studentTCdf,
  studentTQuantile,
  studentTTwoSided,
} from '../../../src/core/analytics/stats/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const sortedCopy = (x: readonly number[]): number[] => x.slice().sort((a, b) => a - b);
/** The element DDSketch's guarantee is stated for: rank floor(q (n − 1)) of the sorted data. */
const exactQuantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.floor(q * (sorted.length - 1))] as number;

describe('distributions', () => {
  it('reproduces published Student t quantiles (R qt / scipy t.ppf) to 1e-9', () => {
    // Prepare: values of R's qt(p, df)
    const cases: [number, number, number][] = [
      [0.975, 1, 12.706204736174698],
      [0.975, 2, 4.302652729749464],
      [0.975, 10, 2.228138851986274],
      [0.975, 30, 2.042272456301238],
      [0.995, 5, 4.032142983555228],
      [0.05, 3, -2.353363434801823],
      [0.9999, 4, 13.033671720896821],
      [0.975, 2.5, 3.5746548420036817],
    ];
    for (const [p, df, expected] of cases) {
      // Act
      const q = studentTQuantile(p, df);
      // Assess
      expect(Math.abs(q - expected) / Math.abs(expected)).toBeLessThan(1e-9);
      expect(Math.abs(studentTCdf(q, df) - p)).toBeLessThan(1e-12);
    }
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTTwoSided(2.228138851986274, 10)).toBeCloseTo(0.05, 12);
  });

  it('matches closed forms of the normal, gamma and beta functions', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 14);
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    // t with 1 df is Cauchy: F(t) = 1/2 + atan(t)/π.
    expect(studentTCdf(3, 1)).toBeCloseTo(0.5 + Math.atan(3) / Math.PI, 13);
  });

  it('names the parameter and the rule on bad input', () => {
    expect(() => studentTQuantile(1, 5)).toThrow(/p must be in \(0, 1\)/);
    expect(() => studentTQuantile(0.5, 0)).toThrow(/df must be a number > 0/);
    expect(() => incompleteBeta(1.5, 1, 1)).toThrow(/x must be in \[0, 1\]/);
  });
});

describe('StreamingStats', () => {
  it('computes the moments of a textbook example', () => {
    // Prepare / Act
    const s = new StreamingStats().addAll([2, 4, 4, 4, 5, 5, 7, 9]);
    // Assess: mean 5, population variance 4, sample variance 32/7
    expect(s.count).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.populationVariance).toBeCloseTo(4, 14);
    expect(s.variance).toBeCloseTo(32 / 7, 14);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    expect(s.sum).toBe(40);
  });

  it('merges two halves into the summary of the whole (moments to 1e-9)', () => {
    // Prepare: a large offset makes naive sum-of-squares formulas lose every digit
    const rng = mulberry32(11);
    const data = Array.from({ length: 2000 }, () => 1e6 + Math.exp(normal(rng)));
    const whole = new StreamingStats().addAll(data);
    const a = new StreamingStats().addAll(data.slice(0, 700));
    const b = new StreamingStats().addAll(data.slice(700));
    // Act
    a.merge(b);
    // Assess
    expect(a.count).toBe(whole.count);
    expect(Math.abs(a.mean - whole.mean) / whole.mean).toBeLessThan(1e-12);
    expect(Math.abs(a.variance - whole.variance) / whole.variance).toBeLessThan(1e-9);
    expect(a.min).toBe(whole.min);
    expect(a.max).toBe(whole.max);
    // Sketch merging is exact: the same buckets as the whole.
    expect(a.toJSON().sketch).toEqual(whole.toJSON().sketch);
  });

  it('merges with an empty summary in both directions', () => {
    const full = new StreamingStats().addAll([1, 2, 3]);
    expect(new StreamingStats().merge(full).mean).toBe(2);
    expect(full.merge(new StreamingStats()).variance).toBe(1);
    expect(new StreamingStats().mean).toBeNaN();
  });

  it('round-trips through JSON and keeps streaming identically', () => {
    // Prepare
    const rng = mulberry32(5);
    const s = new StreamingStats().addAll(Array.from({ length: 300 }, () => normal(rng, 50, 10)));
    // Act
    const restored = StreamingStats.fromJSON(JSON.parse(JSON.stringify(s)));
    s.add(42);
    restored.add(42);
    // Assess
    expect(restored.summary()).toEqual(s.summary());
    expect(restored.toJSON()).toEqual(s.toJSON());
  });

  it('refuses non-finite values, malformed JSON and mismatched merges', () => {
    expect(() => new StreamingStats().add(Number.NaN)).toThrow(/value must be a finite number/);
    expect(() => StreamingStats.fromJSON({ count: -1, mean: 0, m2: 0, min: 0, max: 0 })).toThrow(/count/);
    expect(() => new StreamingStats().merge(new StreamingStats({ quantiles: false }))).toThrow(/quantiles/);
    expect(() => new StreamingStats({ quantiles: false }).quantile(0.5)).toThrow(/quantiles: false/);
  });
});

describe('DDSketch', () => {
  const rng = mulberry32(2024);
  const datasets: Record<string, number[]> = {
    normal: Array.from({ length: 5000 }, () => normal(rng, 100, 15)),
    lognormal: Array.from({ length: 5000 }, () => Math.exp(normal(rng, 3, 1.5))),
    duplicates: Array.from({ length: 5000 }, () => Math.floor(rng() * 10)),
    'both signs': Array.from({ length: 5000 }, () => normal(rng, 0, 1) * 10 ** (rng() * 4)),
  };
  const qs = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

  for (const [name, data] of Object.entries(datasets)) {
    it(`keeps every quantile within the relative accuracy (${name})`, () => {
      // Prepare
      const alpha = 0.01;
      const sketch = new DDSketch({ relativeAccuracy: alpha });
      for (const v of data) sketch.add(v);
      const sorted = sortedCopy(data);
      for (const q of qs) {
        // Act
        const estimate = sketch.quantile(q);
        const exact = exactQuantile(sorted, q);
        // Assess
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(alpha * Math.abs(exact) + 1e-12);
      }
      expect(sketch.quantile(0)).toBe(sorted[0]);
      expect(sketch.quantile(1)).toBe(sorted[sorted.length - 1]);
    });
  }

  it('stays within its accuracy after merging shards, and round-trips through JSON', () => {
    const data = datasets.lognormal as number[];
    const shards = [0, 1, 2].map(() => new DDSketch({ relativeAccuracy: 0.02 }));
    data.forEach((v, i) => {
      shards[i % 3]?.add(v);
    });
    const merged = (shards[0] as DDSketch).merge(shards[1] as DDSketch).merge(shards[2] as DDSketch);
    const restored = DDSketch.fromJSON(JSON.parse(JSON.stringify(merged)));
    const sorted = sortedCopy(data);
    for (const q of qs) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(restored.quantile(q) - exact)).toBeLessThanOrEqual(0.02 * exact);
    }
    expect(restored.count).toBe(data.length);
  });

  it('bounds its memory by collapsing the smallest magnitudes only', () => {
    // Prepare: 60 decades; 128 buckets of α = 1 % span about one decade (γ^128 ≈ 13)
    const data = Array.from({ length: 6001 }, (_, i) => 10 ** (-30 + i / 100));
    const s = new DDSketch({ relativeAccuracy: 0.01, maxBins: 128 });
    // Act
    for (const v of data) s.add(v);
    // Assess: memory is bounded and the top quantiles (the last decade) keep their guarantee
    expect(s.toJSON().positive.length).toBeLessThanOrEqual(128);
    for (const q of [0.99, 0.995, 0.999]) {
      const exact = exactQuantile(data, q);
      expect(Math.abs(s.quantile(q) - exact)).toBeLessThanOrEqual(0.01 * exact);
    }
    // Below the collapse the answer is biased upwards, never lost: it still lies within [min, max].
    expect(s.quantile(0.01)).toBeGreaterThan(exactQuantile(data, 0.01));
  });

  it('names the parameter and the rule on bad input', () => {
    expect(() => new DDSketch({ relativeAccuracy: 1 })).toThrow(/relativeAccuracy must be in \(0, 1\)/);
    expect(() => new DDSketch().add(Number.POSITIVE_INFINITY)).toThrow(/value must be a finite number/);
    expect(() => new DDSketch().quantile(1.5)).toThrow(/q must be in \[0, 1\]/);
    expect(() => new DDSketch().merge(new DDSketch({ relativeAccuracy: 0.05 }))).toThrow(
      /different relativeAccuracy/,
    );
    expect(new DDSketch().quantile(0.5)).toBeNaN();
  });
});
