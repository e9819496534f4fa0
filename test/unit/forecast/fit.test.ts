import { describe, expect, it } from 'vitest';
import { type EtsSpec, fitEts, profiledSse } from '../../../src/core/analytics/forecast/ets.ts';
import { brentMinimise, nelderMead } from '../../../src/core/analytics/forecast/optim.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** SSE of the plain damped-trend filter from given initial states (the definition profiledSse must match). */
function plainSse(
  y: readonly number[],
  l0: number,
  b0: number,
  alpha: number,
  beta: number,
  phi: number,
): number {
  let l = l0;
  let b = b0;
  let sse = 0;
  for (const v of y) {
    const mu = l + phi * b;
    const e = v - mu;
    sse += e * e;
    l = mu + alpha * e;
    b = phi * b + beta * e;
  }
  return sse;
}

function localLevel(seed: number, n: number, q: number): number[] {
  const rng = mulberry32(seed);
  let level = 100;
  const y: number[] = [];
  for (let t = 0; t < n; t++) {
    const e = normal(rng, 0, 2);
    y.push(level + e + 0.05 * t);
    level += q * e;
  }
  return y;
}

describe('Brent minimiser', () => {
  it('finds the minimum of a parabola and of a non-smooth function to the tolerance', () => {
    // Act
    const smooth = brentMinimise((x) => (x - 0.3) ** 2 + 1, 0, 1, 1e-10);
    const kink = brentMinimise((x) => Math.abs(x - 0.7), 0, 1, 1e-10);
    // Assess
    expect(smooth.x).toBeCloseTo(0.3, 7);
    expect(smooth.value).toBeCloseTo(1, 12);
    expect(kink.x).toBeCloseTo(0.7, 6);
    expect(smooth.evaluations).toBeLessThan(30);
  });

  it('stops at the bound when the minimum lies outside the interval', () => {
    const r = brentMinimise((x) => x, 2, 3, 1e-9);
    expect(r.x).toBeCloseTo(2, 6);
  });

  it('rejects an empty interval, naming the rule', () => {
    expect(() => brentMinimise((x) => x, 1, 1)).toThrow(/a < b/);
  });
});

describe('Nelder-Mead', () => {
  it('minimises the Rosenbrock function from the classic start', () => {
    const r = nelderMead(([a = 0, b = 0]) => 100 * (b - a * a) ** 2 + (1 - a) ** 2, [-1.2, 1], {
      maxEvaluations: 2000,
      tolerance: 1e-14,
    });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });
});

describe('profiled initial states', () => {
  it('returns the SSE of the plain filter at the returned initial states, and no plain SSE nearby is smaller', () => {
    // Prepare
    const y = Float64Array.from(localLevel(1, 120, 0.3));
    const off = new Float64Array(2);
    for (const [alpha, beta, phi, trend] of [
      [0.3, 0, 1, false],
      [0.5, 0.1, 0.9, true],
      [0.05, 0.01, 0.98, true],
      [0.9999, 0.9999, 0.8, true],
    ] as const) {
      // Act
      const sse = profiledSse(y, 90, 0.5, alpha, beta, phi, trend, off);
      const l0 = 90 + (off[0] as number);
      const b0 = trend ? 0.5 + (off[1] as number) : 0;
      const plain = plainSse(Array.from(y), l0, b0, alpha, trend ? beta : 0, phi);
      // Assess: the closed form equals a direct run, and is a minimum in the initial states
      expect(sse).toBeCloseTo(plain, 6);
      for (const [dl, db] of [
        [1e-3, 0],
        [-1e-3, 0],
        [0, trend ? 1e-3 : 0],
        [0, trend ? -1e-3 : 0],
      ] as const) {
        expect(
          plainSse(Array.from(y), l0 + dl, b0 + db, alpha, trend ? beta : 0, phi),
        ).toBeGreaterThanOrEqual(plain - 1e-9 * plain);
      }
    }
  });

  it('reaches a likelihood at least as good as searching the initial states with the smoothing parameters', () => {
    for (const [seed, trend] of [
      [2, 'N'],
      [3, 'A'],
      [4, 'Ad'],
      [5, 'Ad'],
    ] as const) {
      // Prepare
      const y = localLevel(seed, 150, 0.2 + 0.1 * seed);
      const spec: EtsSpec = { error: 'A', trend, season: 'N', m: 1 };
      // Act
      const fast = fitEts(y, spec);
      const searched = fitEts(y, spec, { profileInitialStates: false });
      // Assess
      expect(fast.lik).toBeLessThanOrEqual(searched.lik + 1e-6 * Math.abs(searched.lik));
      expect(fast.alpha).toBeGreaterThan(0);
      expect(fast.alpha).toBeLessThan(1);
      expect(fast.beta).toBeLessThanOrEqual(fast.alpha);
      expect(fast.phi).toBeGreaterThanOrEqual(trend === 'Ad' ? 0.8 : 1);
      expect(fast.phi).toBeLessThanOrEqual(trend === 'Ad' ? 0.98 : 1);
    }
  });

  it('SES recovers the smoothing of a simulated local level (alpha near the true 0.4)', () => {
    const y = localLevel(9, 2000, 0.4).map((v, t) => v - 0.05 * t);
    const fit = fitEts(y, { error: 'A', trend: 'N', season: 'N', m: 1 });
    expect(fit.alpha).toBeGreaterThan(0.3);
    expect(fit.alpha).toBeLessThan(0.5);
  });
});
