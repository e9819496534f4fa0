import { describe, expect, it } from 'vitest';
import { acf } from '../../../src/core/analytics/forecast/index.ts';
import {
  classifyRegimes,
  laggedCrossCorrelation,
  matrixProfile,
  PatternInputError,
} from '../../../src/core/analytics/patterns/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const noise = (n: number, sd: number, seed: number): number[] => {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => normal(rng, 0, sd));
};

/** Brute-force z-normalised distance, population standard deviation, as the matrix-profile papers define it. */
function zDist(x: readonly number[], i: number, j: number, m: number): number {
  const z = (s: number) => {
    const w = x.slice(s, s + m);
    const mu = w.reduce((a, b) => a + b, 0) / m;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mu) ** 2, 0) / m);
    return w.map((v) => (v - mu) / sd);
  };
  const a = z(i);
  const b = z(j);
  return Math.sqrt(a.reduce((s, v, k) => s + (v - (b[k] as number)) ** 2, 0));
}

describe('matrixProfile', () => {
  it('equals the brute-force nearest-neighbour distances', () => {
    // Prepare
    const x = noise(80, 1, 7).map((v, t) => v + 0.05 * t);
    const m = 8;
    const excl = Math.ceil(m / 4);
    // Act
    const r = matrixProfile(x, m);
    // Assess
    expect(r.exclusionZone).toBe(excl);
    for (let i = 0; i <= x.length - m; i++) {
      let best = Number.POSITIVE_INFINITY;
      for (let j = 0; j <= x.length - m; j++) {
        if (Math.abs(i - j) > excl) best = Math.min(best, zDist(x, i, j, m));
      }
      expect(r.profile[i]).toBeCloseTo(best, 8);
      expect(zDist(x, i, r.profileIndex[i] as number, m)).toBeCloseTo(best, 8);
    }
  });

  it('finds a planted repeated shape as the top motif', () => {
    // Prepare: noise with the same bump (plus a little noise) at 60 and 310
    const m = 32;
    const x = noise(420, 1, 11);
    const bump = Array.from(
      { length: m },
      (_, k) => 6 * Math.sin((Math.PI * k) / (m - 1)) ** 2 + 2 * Math.sin((4 * Math.PI * k) / m),
    );
    const jitter = noise(2 * m, 0.05, 12);
    for (let k = 0; k < m; k++) {
      x[60 + k] = (bump[k] as number) + (jitter[k] as number);
      x[310 + k] = (bump[k] as number) + (jitter[m + k] as number);
    }
    // Act
    const r = matrixProfile(x, m, { k: 2 });
    // Assess
    const top = r.motifs[0]!;
    expect(Math.abs(top.index - 60)).toBeLessThanOrEqual(2);
    expect(Math.abs(top.neighbor - 310)).toBeLessThanOrEqual(2);
    expect(top.distance).toBeLessThan(1);
    // Reported motifs do not overlap each other.
    const second = r.motifs[1]!;
    expect(Math.abs(second.index - top.index)).toBeGreaterThanOrEqual(m);
  });

  it('finds a planted odd subsequence as the top discord', () => {
    // Prepare: a clean period-25 wave with one flattened, spiked stretch at 200
    const m = 25;
    const x = Array.from({ length: 500 }, (_, t) => Math.sin((2 * Math.PI * t) / 25)).map(
      (v, t) => v + (noise(500, 0.02, 3)[t] as number),
    );
    for (let t = 200; t < 215; t++) x[t] = 0.3 * (x[t] as number) + (t === 207 ? 1.5 : 0);
    // Act
    const r = matrixProfile(x, m, { k: 1 });
    // Assess
    const d = r.discords[0]!;
    expect(d.index).toBeGreaterThan(200 - m);
    expect(d.index).toBeLessThan(215);
    expect(d.distance).toBeGreaterThan(Math.max(...r.profile.filter((_, i) => i < 150)));
  });

  it('follows stumpy for constant stretches: 0 between two, sqrt(m) to a varying one', () => {
    // Prepare
    const x = [5, 5, 5, 5, 5, 5, 5, 5, 5, 5];
    // Act
    const flat = matrixProfile(x, 3);
    const mixed = matrixProfile([0, 0, 0, 0, 0, 0, 1, 2, 3, 1, 2, 3], 3, { exclusionZone: 8 });
    // Assess
    expect(flat.profile.every((d) => d === 0)).toBe(true);
    expect(mixed.profile[0]).toBeCloseTo(Math.sqrt(3), 12);
  });

  it('reports Infinity where the exclusion zone leaves no neighbour', () => {
    // Act: l = 5 subsequences, zone 2: the middle one has none
    const r = matrixProfile([1, 3, 2, 5, 4, 6, 2], 3, { exclusionZone: 2 });
    // Assess
    expect(r.profile[2]).toBe(Number.POSITIVE_INFINITY);
    expect(r.profileIndex[2]).toBe(-1);
    expect(r.discords.every((d) => Number.isFinite(d.distance))).toBe(true);
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => matrixProfile([1, 2, 3, 4, 5], 2)).toThrow(/m must be an integer >= 3, got 2/);
    expect(() => matrixProfile([1, 2, 3, 4], 3)).toThrow(PatternInputError);
    expect(() => matrixProfile([1, 2, 3, 4], 3)).toThrow(/more than m \+ exclusionZone/);
    expect(() => matrixProfile([1, 2, Number.NaN, 4, 5, 6, 7], 3)).toThrow(
      /values\[2\] must be a finite number/,
    );
    expect(() => matrixProfile([1, 2, 3, 4, 5, 6, 7], 3, { k: 0 })).toThrow(/k must be an integer >= 1/);
  });
});

describe('laggedCrossCorrelation', () => {
  it('matches a hand computation (R ccf normalisation)', () => {
    // Prepare: a = [1,0,0,0], b = [0,1,0,0]; centred values 0.75/-0.25, sum of squares 0.75 each
    // lag 1: (0.75·0.75 + 0.0625 + 0.0625) / 0.75 = 0.916666...
    // Act
    const r = laggedCrossCorrelation([1, 0, 0, 0], [0, 1, 0, 0], 1);
    // Assess
    expect(r.lags).toEqual([-1, 0, 1]);
    expect(r.correlation[2]).toBeCloseTo(0.6875 / 0.75, 12);
    expect(r.correlation[1]).toBeCloseTo((-0.1875 - 0.1875 + 0.0625 + 0.0625) / 0.75, 12);
    expect(r.bestLag).toBe(1);
    expect(r.threshold).toBeCloseTo(1.959964 / 2, 5);
  });

  it('finds a planted lag: b follows a three steps later', () => {
    // Prepare
    const a = noise(300, 1, 21);
    const e = noise(300, 0.3, 22);
    const b = a.map((_, t) => (t >= 3 ? (a[t - 3] as number) : 0) + (e[t] as number));
    // Act
    const r = laggedCrossCorrelation(a, b, 10);
    // Assess
    expect(r.bestLag).toBe(3);
    expect(r.bestCorrelation).toBeGreaterThan(0.9);
    expect(r.significant).toBe(true);
    expect(laggedCrossCorrelation(b, a, 10).bestLag).toBe(-3);
  });

  it('equals the autocorrelation when a = b, and is symmetric in lag', () => {
    // Prepare
    const x = noise(50, 1, 5).map((v, t) => v + Math.sin(t / 3));
    // Act
    const r = laggedCrossCorrelation(x, x, 5);
    // Assess
    const ref = acf(x, 5);
    for (let k = 1; k <= 5; k++) {
      expect(r.correlation[5 + k]).toBeCloseTo(ref[k - 1] as number, 12);
      expect(r.correlation[5 - k]).toBeCloseTo(ref[k - 1] as number, 12);
    }
    expect(r.correlation[5]).toBeCloseTo(1, 12);
  });

  it('independent noise stays inside the band', () => {
    // Act
    const r = laggedCrossCorrelation(noise(400, 1, 31), noise(400, 1, 32), 0);
    // Assess
    expect(r.threshold).toBeCloseTo(1.959964 / 20, 6);
    expect(r.significant).toBe(false);
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => laggedCrossCorrelation([1, 2, 3, 4], [1, 2, 3], 1)).toThrow(/same length, got 4 and 3/);
    expect(() => laggedCrossCorrelation([1, 2, 3], [1, 2, 4], 2)).toThrow(
      /maxLag must be an integer in \[0, 1\]/,
    );
    expect(() => laggedCrossCorrelation([1, 1, 1], [1, 2, 4], 1)).toThrow(/a must not be constant/);
    expect(() => laggedCrossCorrelation([1, 2, 3], [1, 2, 4], 1, { alpha: 1 })).toThrow(
      /alpha must be a number in \(0, 1\)/,
    );
  });
});

describe('classifyRegimes', () => {
  it('labels synthetic trend, range and high-volatility segments', () => {
    // Prepare: 100 points each; the same small noise in the first two, ten times more in the third
    const e = noise(300, 0.2, 41);
    const big = noise(100, 2, 42);
    const x = e.map((v, t) => {
      if (t < 100) return 0.5 * t + v;
      if (t < 200) return 50 + v;
      return 50 + (big[t - 200] as number);
    });
    // Act
    const r = classifyRegimes(x, { window: 20 });
    // Assess
    const labels = r.windows.map((w) => w.regime);
    expect(labels).toEqual([
      ...Array(5).fill('trending'),
      ...Array(5).fill('ranging'),
      ...Array(5).fill('volatile'),
    ]);
    expect(r.counts).toEqual({ trending: 5, ranging: 5, volatile: 5 });
    expect(r.windows[0]).toMatchObject({ start: 0, end: 20, direction: 'up' });
    expect(r.windows[0]!.reason).toMatch(/efficiency ratio .* >= 0.3/);
    expect(r.windows[14]!.reason).toMatch(/volatility .* the median window/);
  });

  it('computes the efficiency ratio by hand and respects its threshold', () => {
    // Prepare: path 1+1+1+3+3 = 9, net 1 -> 1/9; a straight line -> 1
    const zigzag = [0, 1, 2, 1, 4, 1];
    // Act
    const z = classifyRegimes(zigzag, { window: 6 });
    const line = classifyRegimes([3, 2, 1, 0], { window: 4 });
    const strict = classifyRegimes([0, 1, 2, 3, 3, 5], { window: 6, trendThreshold: 1 });
    // Assess
    expect(z.windows[0]!.efficiencyRatio).toBeCloseTo(1 / 9, 12);
    expect(z.windows[0]!.regime).toBe('ranging');
    expect(line.windows[0]).toMatchObject({ efficiencyRatio: 1, regime: 'trending', direction: 'down' });
    expect(strict.windows[0]).toMatchObject({ efficiencyRatio: 1, regime: 'trending' });
  });

  it('finds no volatile window in a homogeneous series, and handles a constant one', () => {
    // Act
    const homogeneous = classifyRegimes(noise(400, 1, 51), { window: 40 });
    const constant = classifyRegimes(Array(30).fill(7), { window: 10, step: 5 });
    // Assess
    expect(homogeneous.counts.volatile).toBe(0);
    expect(constant.windows).toHaveLength(5);
    for (const w of constant.windows) {
      expect(w).toMatchObject({
        regime: 'ranging',
        efficiencyRatio: 0,
        volatility: 0,
        volatilityRatio: 0,
        direction: 'flat',
      });
    }
  });

  it('uses log changes for prices', () => {
    // Prepare: +1 % a step compounding: log changes are constant, so the volatility is 0
    const prices = Array.from({ length: 10 }, (_, t) => 100 * 1.01 ** t);
    // Act
    const r = classifyRegimes(prices, { window: 10, changes: 'log' });
    // Assess
    expect(r.windows[0]!.volatility).toBeCloseTo(0, 12);
    expect(r.windows[0]!.slope).toBeCloseTo(Math.log(1.01), 12);
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => classifyRegimes([1, 2, 3], { window: 2 })).toThrow(/window must be an integer >= 3/);
    expect(() => classifyRegimes([1, 2, 3], { window: 4 })).toThrow(
      /values must hold at least 4 values, got 3/,
    );
    expect(() => classifyRegimes([1, 0, 3], { window: 3, changes: 'log' })).toThrow(
      /values\[1\] must be > 0/,
    );
    expect(() => classifyRegimes([1, 2, 3], { window: 3, trendThreshold: 0 })).toThrow(
      /trendThreshold must be a number in \(0, 1\]/,
    );
  });
});
