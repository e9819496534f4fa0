import { describe, expect, it } from 'vitest';
import {
  acf,
  autoEts,
  decompose,
  ForecastInputError,
  fitEts,
  forecast,
  forecastEts,
  mase,
  maseScale,
  methodNames,
  owa,
  seasonalityTest,
  smape,
} from '../../../src/core/analytics/forecast/index.ts';
import { nelderMead } from '../../../src/core/analytics/forecast/optim.ts';
import { normalQuantile } from '../../../src/core/analytics/forecast/stats.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const sinSeason = (n: number, m: number, amp: number): number[] =>
  Array.from({ length: n }, (_, t) => 1 + amp * Math.sin((2 * Math.PI * t) / m));

describe('naive and seasonal naive', () => {
  it('naive repeats the last value and widens by sqrt(k)', () => {
    // Prepare: one-step differences are +1, +1, -2 -> sigma = sqrt((1 + 1 + 4) / 3) = sqrt(2)
    const y = [1, 2, 3, 1];
    // Act
    const r = forecast(y, 3, { method: 'naive', level: [95] });
    // Assess
    expect(r.mean).toEqual([1, 1, 1]);
    const z = 1.959964;
    expect(r.upper[95]?.[0]).toBeCloseTo(1 + z * Math.SQRT2, 4);
    expect(r.upper[95]?.[2]).toBeCloseTo(1 + z * Math.SQRT2 * Math.sqrt(3), 4);
  });

  it('seasonal naive repeats the last cycle', () => {
    const y = [1, 2, 3, 4, 5, 6, 7];
    const r = forecast(y, 5, { method: 'snaive', season: 3 });
    expect(r.mean).toEqual([5, 6, 7, 5, 6]);
  });
});

describe('M4 metrics', () => {
  it('match a hand computation', () => {
    // Prepare: sMAPE terms 200*10/210 = 9.5238 and 0 -> mean 4.7619
    const actual = [100, 50];
    const f = [110, 50];
    // Act / Assess
    expect(smape(actual, f)).toBeCloseTo(200 / 42, 6);
    // In-sample [1, 3, 2, 6] with m = 1: |2|, |1|, |4| -> scale 7/3; errors |10|, 0 -> MASE = 5 / (7/3)
    expect(maseScale([1, 3, 2, 6], 1)).toBeCloseTo(7 / 3, 12);
    expect(mase([1, 3, 2, 6], actual, f, 1)).toBeCloseTo(15 / 7, 12);
    // Seasonal scale with m = 2: |2-1|, |6-3| -> 2
    expect(maseScale([1, 3, 2, 6], 2)).toBe(2);
    expect(owa(10, 2, 20, 4)).toBe(0.5);
  });
});

describe('seasonality test and classical decomposition', () => {
  it('says seasonal for a strong daily cycle and not for white noise', () => {
    const rng = mulberry32(7);
    // 14 days: R's default lag.max floor(10 log10 336) = 25 reaches lag 24.
    const seasonal = sinSeason(24 * 14, 24, 0.5).map((v) => 100 * v + normal(rng));
    const noise = Array.from({ length: 336 }, () => 100 + normal(rng));
    expect(seasonalityTest(seasonal, 24)).toBe(true);
    expect(seasonalityTest(noise, 24)).toBe(false);
  });

  it('follows the R original: fewer than 3 cycles, or a lag beyond floor(10 log10 n), is not seasonal', () => {
    const y = sinSeason(24 * 2 + 10, 24, 0.5).map((v) => 100 * v);
    expect(seasonalityTest(y, 24)).toBe(false);
    const long = sinSeason(168 * 4, 168, 0.5).map((v) => 100 * v);
    expect(seasonalityTest(long, 168)).toBe(false);
    expect(seasonalityTest(long, 168, { rLagLimit: false })).toBe(true);
  });

  it('acf of an alternating series is -1 at odd lags (biased estimator)', () => {
    const r = acf([1, -1, 1, -1, 1, -1], 2);
    expect(r[0]).toBeCloseTo(-5 / 6, 12);
    expect(r[1]).toBeCloseTo(4 / 6, 12);
  });

  it('recovers the figure of a multiplicative seasonal series with a linear trend', () => {
    const figure = [0.8, 1.2, 1.1, 0.9];
    const y = Array.from({ length: 40 }, (_, t) => (50 + 2 * t) * (figure[t % 4] as number));
    const d = decompose(y, 4, 'multiplicative');
    // Exact ratios are distorted by the moving average only slightly: well within 1 %.
    for (const [i, f] of d.figure.entries()) expect(f).toBeCloseTo(figure[i] as number, 2);
    expect(d.trend[0]).toBeNaN();
    expect(d.trend[2]).toBeCloseTo((50 + 4) * 1, 0);
  });
});

describe('exponential smoothing', () => {
  it('SES on a constant series forecasts the constant with near-zero width', () => {
    const y = new Array<number>(30).fill(42);
    const r = forecast(y, 4, { method: 'ses', level: [95] });
    for (const v of r.mean) expect(v).toBeCloseTo(42, 6);
    expect((r.upper[95]?.[3] ?? 0) - (r.lower[95]?.[3] ?? 0)).toBeLessThan(1e-3);
  });

  it('Holt on a line recovers the slope', () => {
    const y = Array.from({ length: 40 }, (_, t) => 5 + 3 * t);
    const r = forecast(y, 5, { method: 'holt' });
    for (const [i, v] of r.mean.entries()) expect(v).toBeCloseTo(5 + 3 * (40 + i), 3);
  });

  it('ETS finds the season of a clean multiplicative seasonal series (a multiplicative one when allowed)', () => {
    const rng = mulberry32(3);
    const fig = sinSeason(12, 12, 0.3);
    const y = Array.from(
      { length: 120 },
      (_, t) => (200 + t) * (fig[t % 12] as number) * (1 + 0.01 * normal(rng)),
    );
    const fit = fitEts(y, { error: 'M', trend: 'A', season: 'M', m: 12 });
    const r = forecast(y, 12, { method: 'ets', season: 12 });
    const both = autoEts(y, 12, { errors: ['A', 'M'] });
    const truth = Array.from({ length: 12 }, (_, k) => (200 + 120 + k) * (fig[(120 + k) % 12] as number));
    expect(fit.alpha).toBeGreaterThan(0);
    // The default compares additive models only: a season it finds, but not the growth of its amplitude.
    expect(r.model).toMatch(/^ETS\(A,.*,A\)$/);
    expect(smape(truth, r.mean)).toBeLessThan(6);
    expect(both.name).toBe('ETS(M,A,M)');
    expect(smape(truth, forecastEts(both, 12, []).mean)).toBeLessThan(3);
  });
});

describe('Nelder-Mead', () => {
  it('finds the minimum of a shifted quadratic', () => {
    const r = nelderMead(([a = 0, b = 0]) => (a - 1) ** 2 + 10 * (b + 2) ** 2, [0, 0]);
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(-2, 3);
  });
});

describe('prediction interval coverage on simulated data', () => {
  it('95 % intervals of SES and Damped cover roughly 95 % of a local-level process', () => {
    const rng = mulberry32(11);
    let hits = 0;
    let total = 0;
    for (let s = 0; s < 60; s++) {
      let level = 100;
      const y: number[] = [];
      for (let t = 0; t < 80 + 6; t++) {
        const e = normal(rng, 0, 2);
        y.push(level + e);
        level += 0.4 * e;
      }
      const train = y.slice(0, 80);
      const test = y.slice(80);
      const r = forecast(train, 6, { method: s % 2 === 0 ? 'ses' : 'damped', level: [95] });
      test.forEach((v, i) => {
        total++;
        if (v >= (r.lower[95]?.[i] ?? 0) && v <= (r.upper[95]?.[i] ?? 0)) hits++;
      });
    }
    expect(hits / total).toBeGreaterThan(0.88);
    expect(hits / total).toBeLessThan(0.995);
  });
});

describe('every method', () => {
  it('returns finite means and ordered bounds of the requested horizon', () => {
    const rng = mulberry32(5);
    const y = sinSeason(24 * 8, 24, 0.4).map((v, t) => 100 * v + 0.1 * t + normal(rng));
    for (const method of methodNames) {
      const r = forecast(y, 30, { method, season: 24, level: [80, 95], seasons: [48] });
      expect(r.mean).toHaveLength(30);
      expect(r.mean.every(Number.isFinite)).toBe(true);
      for (let i = 0; i < 30; i++) {
        expect(r.lower[95]?.[i]).toBeLessThanOrEqual(r.lower[80]?.[i] as number);
        expect(r.upper[80]?.[i]).toBeLessThanOrEqual(r.upper[95]?.[i] as number);
      }
    }
  });
});

describe('bad input', () => {
  it.each([
    [[], 1, {}, /y must be a non-empty/],
    [[1, Number.NaN], 1, {}, /y\[1\] must be a finite number/],
    [[1, 2], 0, {}, /horizon must be an integer >= 1/],
    [[1, 2], 1.5, {}, /horizon must be an integer >= 1/],
    [[1, 2], 1, { season: 0 }, /season must be an integer >= 1/],
    [[1, 2], 1, { level: [100] }, /level must be a percentage/],
    [[1, 2], 1, { method: 'nope' }, /method must be one of/],
  ])('rejects %j, horizon %s, %j', (y, h, opts, message) => {
    expect(() => forecast(y as number[], h as number, opts as never)).toThrow(ForecastInputError);
    expect(() => forecast(y as number[], h as number, opts as never)).toThrow(message as RegExp);
  });

  it('normalQuantile knows the usual multipliers', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
  });
});
