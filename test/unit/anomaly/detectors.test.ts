import { describe, expect, it } from 'vitest';
import {
  type AnomalyDetector,
  createDetector,
  detectorNames,
  detectPeriod,
  erfc,
  restoreDetector,
  WindowedGaussianDetector,
} from '../../../src/core/analytics/anomaly/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** A daily-looking seasonal series (period 48) with noise, a spike at 700 and a level shift from 900. */
function series(n = 1200, seed = 7): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    let v = 10 + 3 * Math.sin((2 * Math.PI * i) / 48) + normal(rng, 0, 0.3);
    if (i === 700) v += 8;
    if (i >= 900) v += 4;
    return v;
  });
}

const T0 = Date.UTC(2024, 0, 1);
const run = (d: AnomalyDetector, xs: readonly number[], from = 0) =>
  xs.map((x, i) => d.update(T0 + (from + i) * 300_000, x));

describe('erfc', () => {
  it('matches reference values to near double precision', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 15);
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 15);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(6) / 2.1519736712498913e-17).toBeCloseTo(1, 12);
    expect(erfc(-1)).toBeCloseTo(1.8427007929497148, 15);
  });
});

describe('every registered detector', () => {
  const xs = series();

  for (const name of detectorNames()) {
    it(`${name}: scores in [0, 1] and resumes exactly from JSON`, () => {
      // Prepare
      const whole = createDetector(name);
      const first = createDetector(name);
      // Act: uninterrupted run vs half, serialise through a string, restore, rest
      const expected = run(whole, xs);
      const head = run(first, xs.slice(0, 611));
      const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
      const tail = run(restored, xs.slice(611), 611);
      // Assess
      expect(head.concat(tail)).toEqual(expected);
      for (const s of expected) {
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
      }
    });
  }

  it('rejects non-finite values with the parameter named', () => {
    const d = createDetector('ensemble');
    expect(() => d.update(T0, Number.NaN)).toThrow(/value must be a finite number/);
  });
});

describe('detectors find the planted anomalies', () => {
  const xs = series();
  for (const name of [
    'robust',
    'ewma',
    'cusum',
    'holt',
    'seasonal',
    'knn',
    'robustLik',
    'cusumLik',
    'seasonalLik',
    'ensemble',
  ]) {
    it(`${name} scores the spike or the shift above its median score`, () => {
      const scores = run(createDetector(name), xs);
      const sorted = scores.slice(400).sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] as number;
      const atEvents = Math.max(...scores.slice(700, 703), ...scores.slice(900, 910));
      expect(atEvents).toBeGreaterThan(median);
    });
  }
});

describe('WindowedGaussianDetector (NAB port)', () => {
  it('scores the first point 0 and later points 1 - Q(|z|) against the population moments so far', () => {
    // Prepare
    const d = new WindowedGaussianDetector();
    // Act
    const s0 = d.update(T0, 1);
    d.update(T0, 3); // window [1, 3]: mean 2, std 1
    const s2 = d.update(T0, 4); // z = 2
    // Assess: 1 - 0.5 erfc(2 / sqrt 2)
    expect(s0).toBe(0);
    expect(s2).toBeCloseTo(1 - 0.5 * erfc(Math.SQRT2), 14);
  });

  it('uses std 1e-6 for a constant window, and slides by whole steps once full', () => {
    const d = new WindowedGaussianDetector({ windowSize: 4, stepSize: 2 });
    for (const v of [5, 5, 5, 5]) d.update(T0, v);
    // Window full [5,5,5,5]; the next two points go to the step buffer and are scored against it.
    expect(d.update(T0, 5 + 1e-6)).toBeCloseTo(1 - 0.5 * erfc(1 / Math.SQRT2), 9);
    d.update(T0, 7);
    // Window now [5, 5, 5+1e-6, 7]
    const w = [5, 5, 5 + 1e-6, 7];
    const mean = w.reduce((a, b) => a + b) / 4;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    expect(d.update(T0, 9)).toBeCloseTo(1 - 0.5 * erfc((9 - mean) / std / Math.SQRT2), 14);
  });

  it('rejects a step larger than the window', () => {
    expect(() => new WindowedGaussianDetector({ windowSize: 10, stepSize: 20 })).toThrow(
      /stepSize must be <= windowSize/,
    );
  });
});

describe('parameters and registry errors', () => {
  it('name the parameter and the rule', () => {
    expect(() => createDetector({ kind: 'robust', params: { window: 1 } })).toThrow(
      /window must be an integer >= 2/,
    );
    expect(() => createDetector({ kind: 'ewma', params: { lambda: 0 } })).toThrow(
      /lambda must be a number in \(0, 1\]/,
    );
    expect(() => createDetector({ kind: 'knn', params: { k: 50, training: 10 } })).toThrow(
      /k must be <= training/,
    );
    expect(() => createDetector('nope')).toThrow(/detector must be one of/);
    expect(() => restoreDetector({ kind: 'nope', params: {}, state: null })).toThrow(
      /kind must be a registered detector kind/,
    );
    expect(() => createDetector({ kind: 'ensemble', members: [] })).toThrow(
      /members must be a non-empty list/,
    );
  });
});

describe('detectPeriod', () => {
  it('finds the period of a noisy sine and 0 for white noise', () => {
    const rng = mulberry32(3);
    const sine = Array.from(
      { length: 600 },
      (_, i) => Math.sin((2 * Math.PI * i) / 24) + normal(rng, 0, 0.2),
    );
    const noise = Array.from({ length: 600 }, () => normal(rng));
    expect(detectPeriod(sine, 4, 100, 0.3)).toBe(24);
    expect(detectPeriod(noise, 4, 100, 0.3)).toBe(0);
  });

  it('makes the seasonal detector learn the season, so a normal cycle scores low after detection', () => {
    const rng = mulberry32(5);
    const xs = Array.from(
      { length: 1400 },
      (_, i) => 10 * Math.sin((2 * Math.PI * i) / 48) + normal(rng, 0, 0.5),
    );
    const scores = run(createDetector({ kind: 'seasonal', params: { detectAt: 600, maxPeriod: 100 } }), xs);
    const late = scores.slice(1000);
    expect(late.reduce((a, b) => a + b) / late.length).toBeLessThan(0.2);
  });
});
