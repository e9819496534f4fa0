import { describe, expect, it } from 'vitest';
import { linearTrend, mannKendall } from '../../../src/core/analytics/trend/index.ts';
import { slopeOrderStatistics } from '../../../src/core/analytics/trend/mann-kendall.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

describe('linearTrend', () => {
  it('reproduces a hand-computed least-squares fit with its t interval', () => {
    // Prepare: x̄ = 3, ȳ = 6.02, Sxx = 10, Sxy = 19.9 → slope 1.99, intercept 0.05,
    // RSS = 0.107 → s = sqrt(0.107 / 3), SE(slope) = s / sqrt(10), t(0.975, 3) = 3.182446305284263
    const times = [1, 2, 3, 4, 5];
    const values = [2.1, 3.9, 6.2, 7.8, 10.1];
    // Act
    const fit = linearTrend(times, values);
    // Assess (R: summary(lm(values ~ times)), confint)
    expect(fit.slope).toBeCloseTo(1.99, 12);
    expect(fit.intercept).toBeCloseTo(0.05, 12);
    expect(fit.slopeStdError).toBeCloseTo(Math.sqrt(0.107 / 3) / Math.sqrt(10), 12);
    expect(fit.interceptStdError).toBeCloseTo(0.19807406022327906, 12);
    expect(fit.slopeInterval[0]).toBeCloseTo(1.99 - 3.182446305284263 * fit.slopeStdError, 9);
    expect(fit.slopeInterval[1]).toBeCloseTo(1.99 + 3.182446305284263 * fit.slopeStdError, 9);
    expect(fit.rSquared).toBeCloseTo(0.9986517555689656 ** 2, 12);
    expect(fit.pValue).toBeCloseTo(5.941539111755929e-5, 15);
    expect(fit.df).toBe(3);
  });

  it('keeps its precision on epoch-millisecond times', () => {
    const rng = mulberry32(3);
    const values = Array.from({ length: 50 }, (_, i) => 0.5 * i + normal(rng));
    const base = linearTrend(
      values.map((_, i) => i),
      values,
    );
    const epoch = linearTrend(
      values.map((_, i) => 1.7e12 + i * 60_000),
      values,
    );
    expect(epoch.slope * 60_000).toBeCloseTo(base.slope, 9);
    expect(epoch.pValue).toBeCloseTo(base.pValue, 12);
    expect(epoch.rSquared).toBeCloseTo(base.rSquared, 12);
  });

  it('reports certainty for an exact line and no evidence for a flat series', () => {
    const exact = linearTrend([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(exact.slope).toBe(2);
    expect(exact.pValue).toBe(0);
    expect(exact.rSquared).toBe(1);
    const flat = linearTrend([0, 1, 2, 3], [4, 4, 4, 4]);
    expect(flat.slope).toBe(0);
    expect(flat.pValue).toBe(1);
  });

  it('names the parameter and the rule on bad input', () => {
    expect(() => linearTrend([1, 2], [1, 2])).toThrow(/times must hold at least 3 values/);
    expect(() => linearTrend([1, 2, 3], [1, 2, 3, 4])).toThrow(/same length/);
    expect(() => linearTrend([1, 1, 1], [1, 2, 3])).toThrow(/times must not all be equal/);
    expect(() => linearTrend([1, 2, 3], [1, Number.NaN, 3])).toThrow(/values\[1\] must be a finite number/);
    expect(() => linearTrend([1, 2, 3], [1, 2, 3], 95)).toThrow(/level must be a number in \(0, 1\)/);
  });
});

describe('mannKendall', () => {
  it('gives the textbook figures for a perfectly increasing series', () => {
    // Prepare: every one of the 10 pairs rises → S = 10, Var S = 5·4·15/18
    // Act
    const r = mannKendall([1, 2, 3, 4, 5]);
    // Assess
    expect(r.s).toBe(10);
    expect(r.varS).toBeCloseTo(50 / 3, 12);
    expect(r.z).toBeCloseTo(9 / Math.sqrt(50 / 3), 12);
    expect(r.pValue).toBeCloseTo(0.02748633611151, 10);
    expect(r.tau).toBe(1);
    expect(r.trend).toBe('increasing');
    expect(r.senSlope).toBe(1);
    expect(r.senIntercept).toBe(1);
  });

  it('applies the tie correction (hand-counted example)', () => {
    // Prepare: 39 rising pairs, 4 falling, 2 tied (6.1, 6.1 and 7.3, 7.3) → S = 35;
    // Var S = (10·9·25 − 2·(2·1·9)) / 18 = 123; tau = 35 / sqrt((45 − 2)·45)
    const y = [5.2, 4.8, 6.1, 6.1, 7.3, 6.9, 8.0, 7.3, 9.1, 8.8];
    // Act
    const r = mannKendall(y);
    // Assess (Z = 34 / sqrt(123); Sen's interval: order statistics 12 and 34 of the 45 slopes, as trend::sens.slope)
    expect(r.s).toBe(35);
    expect(r.varS).toBe(123);
    expect(r.z).toBeCloseTo(34 / Math.sqrt(123), 12);
    expect(r.pValue).toBeCloseTo(0.002171779655698856, 12);
    expect(r.tau).toBeCloseTo(35 / Math.sqrt(43 * 45), 12);
    expect(r.senSlope).toBeCloseTo(0.45, 12);
    expect(r.senInterval[0]).toBeCloseTo(0.3, 12);
    expect(r.senInterval[1]).toBeCloseTo(0.6, 12);
  });

  it('detects a decreasing trend and stays neutral on a constant series', () => {
    const down = mannKendall([9, 7, 8, 5, 4, 4, 2, 1]);
    expect(down.s).toBeLessThan(0);
    expect(down.trend).toBe('decreasing');
    expect(down.senSlope).toBeLessThan(0);
    const flat = mannKendall([3, 3, 3, 3]);
    expect(flat).toMatchObject({ s: 0, varS: 0, z: 0, pValue: 1, tau: 0, senSlope: 0, trend: 'none' });
  });

  it('counts S in O(n log n) exactly as the pairwise definition', () => {
    const rng = mulberry32(17);
    const y = Array.from({ length: 400 }, () => Math.floor(rng() * 20));
    let s = 0;
    for (let i = 0; i < y.length; i++)
      for (let j = i + 1; j < y.length; j++) s += Math.sign((y[j] as number) - (y[i] as number));
    expect(mannKendall(y).s).toBe(s);
  });

  it("selects Sen's order statistics by bisection as enumeration does", () => {
    const rng = mulberry32(8);
    const x = Array.from({ length: 300 }, (_, i) => i * 1.5);
    const y = x.map((t) => 0.2 * t + normal(rng, 0, 5));
    const ranks = [1, 1000, 22425, 22426, 44850];
    const enumerated = slopeOrderStatistics(x, y, ranks, 'enumerate');
    const bisected = slopeOrderStatistics(x, y, ranks, 'bisect');
    bisected.forEach((v, k) => {
      expect(v).toBeCloseTo(enumerated[k] as number, 9);
    });
  });

  it('measures the slope per time unit with explicit times', () => {
    const y = [1, 3, 2, 5, 4, 7];
    const perStep = mannKendall(y);
    const perTwo = mannKendall(y, { times: [0, 2, 4, 6, 8, 10] });
    expect(perTwo.senSlope).toBeCloseTo(perStep.senSlope / 2, 12);
    expect(perTwo.s).toBe(perStep.s);
  });

  it('names the parameter and the rule on bad input', () => {
    expect(() => mannKendall([1, 2])).toThrow(/values must hold at least 3 values/);
    expect(() => mannKendall([1, 2, 3], { times: [0, 2, 1] })).toThrow(/times must be strictly increasing/);
    expect(() => mannKendall([1, 2, 3], { level: 1.2 })).toThrow(/level must be a number in \(0, 1\)/);
  });
});
