import { describe, expect, it } from 'vitest';
import { detectSeasonality } from '../../../src/core/analytics/trend/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

describe('detectSeasonality', () => {
  it('finds a daily cycle in hourly data and marks its echoes as multiples', () => {
    // Prepare: 10 days of hourly values, a trend and noise
    const rng = mulberry32(1);
    const y = Array.from(
      { length: 240 },
      (_, i) => 10 + 0.02 * i + Math.sin((2 * Math.PI * i) / 24) + 0.3 * normal(rng),
    );
    // Act
    const r = detectSeasonality(y, { maxPeriod: 60 });
    // Assess
    expect(r.period).toBe(24);
    expect(r.strength).toBeGreaterThan(0.7);
    expect(r.trendStrength).toBeGreaterThan(0.8);
    expect(r.candidates.find((c) => c.period === 48)?.multipleOf).toBe(24);
    const figure = r.candidates.find((c) => c.period === 24)?.figure ?? [];
    expect(figure).toHaveLength(24);
    // The figure peaks a quarter cycle in, as the sine does.
    expect(figure.indexOf(Math.max(...figure))).toBeGreaterThanOrEqual(5);
    expect(figure.indexOf(Math.max(...figure))).toBeLessThanOrEqual(7);
  });

  it('finds a period of 12 in short noisy series on every seed', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rng = mulberry32(seed);
      const y = Array.from(
        { length: 168 },
        (_, i) => 5 + 0.01 * i + Math.sin((2 * Math.PI * i) / 12) + 0.5 * normal(rng),
      );
      expect(detectSeasonality(y).period).toBe(12);
    }
  });

  it('finds no season in white noise or in a pure trend', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rng = mulberry32(seed);
      const noise = Array.from({ length: 300 }, () => normal(rng));
      expect(detectSeasonality(noise).period).toBeUndefined();
    }
    const line = Array.from({ length: 100 }, (_, i) => 2 * i + 1);
    const r = detectSeasonality(line);
    expect(r.period).toBeUndefined();
    expect(r.trendStrength).toBe(1);
  });

  it('names the parameter and the rule on bad input', () => {
    const y = Array.from({ length: 30 }, (_, i) => i % 5);
    expect(() => detectSeasonality(y, { maxPeriod: 11 })).toThrow(/maxPeriod must be at most n\/3 = 10/);
    expect(() => detectSeasonality(y, { minPeriod: 1 })).toThrow(/minPeriod must be an integer >= 2/);
    expect(() => detectSeasonality([1, 2, 3])).toThrow(/values must hold at least 6 values/);
    expect(() => detectSeasonality(y, { minStrength: 2 })).toThrow(/minStrength must be in \[0, 1\]/);
  });
});
