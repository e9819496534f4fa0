import { describe, expect, it } from 'vitest';
import {
  type EtsSpec,
  fitEts,
  profiledSse,
  profiledSseGradient,
} from '../../../src/core/analytics/forecast/ets.ts';
import {
  filterSseGradient,
  profiledSeasonalSse,
  seasonalSseGradient,
  seasonalWork,
} from '../../../src/core/analytics/forecast/ets-gradient.ts';
import { boxMinimise } from '../../../src/core/analytics/forecast/optim.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** A simulated ETS(A,Ad,N) series with the given parameters (level 100, slope 0.5, noise sd 1). */
function dampedSeries(seed: number, n: number, alpha: number, beta: number, phi: number): number[] {
  const rng = mulberry32(seed);
  let l = 100;
  let b = 0.5;
  const y: number[] = [];
  for (let t = 0; t < n; t++) {
    const e = normal(rng, 0, 1);
    const mu = l + phi * b;
    y.push(mu + e);
    l = mu + alpha * e;
    b = phi * b + beta * e;
  }
  return y;
}

/** Central difference of f at x along coordinate i, with a step relative to the coordinate. */
function centralDiff(f: (x: number[]) => number, x: readonly number[], i: number): number {
  const h = 1e-6;
  const up = x.slice();
  const down = x.slice();
  up[i] = (up[i] as number) + h;
  down[i] = (down[i] as number) - h;
  return (f(up) - f(down)) / (2 * h);
}

describe('exact gradient of the ETS SSE', () => {
  const y = Float64Array.from(dampedSeries(11, 300, 0.4, 0.05, 0.9));
  const points = [
    [0.4, 0.05, 0.9],
    [0.1, 0.01, 0.98],
    [0.9, 0.5, 0.8],
    [0.3, 0.3, 1],
  ] as const;

  it('matches central finite differences of the filter from fixed initial states', () => {
    for (const p of points) {
      // Prepare
      const f = (x: number[]): number =>
        filterSseGradient(y, 95, 0.2, x[0] as number, x[1] as number, x[2] as number, new Float64Array(3));
      const grad = new Float64Array(3);
      // Act
      const sse = filterSseGradient(y, 95, 0.2, p[0], p[1], p[2], grad);
      // Assess
      expect(sse).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) {
        const fd = centralDiff(f, p, i);
        expect(Math.abs((grad[i] as number) - fd)).toBeLessThan(1e-5 * (Math.abs(fd) + sse * 1e-3));
      }
    }
  });

  it('matches finite differences of the profiled SSE (the envelope theorem holds for the optimal initial states)', () => {
    for (const p of points) {
      // Prepare
      const f = (x: number[]): number =>
        profiledSse(y, 95, 0.2, x[0] as number, x[1] as number, x[2] as number, true);
      const grad = new Float64Array(3);
      // Act
      const sse = profiledSseGradient(y, 95, 0.2, p[0], p[1], p[2], grad);
      // Assess: the value is the profiled SSE, the gradient its total derivative
      expect(sse).toBeCloseTo(f(p.slice()), 6);
      for (let i = 0; i < 3; i++) {
        const fd = centralDiff(f, p, i);
        expect(Math.abs((grad[i] as number) - fd)).toBeLessThan(1e-5 * (Math.abs(fd) + sse * 1e-3));
      }
    }
  });
});

describe('bounded quasi-Newton minimiser', () => {
  const rosenbrock = (x: Float64Array): number =>
    100 * ((x[1] as number) - (x[0] as number) ** 2) ** 2 + (1 - (x[0] as number)) ** 2;
  const rosenbrockGrad = (x: Float64Array, g: Float64Array): void => {
    const a = x[0] as number;
    const b = x[1] as number;
    g[0] = -400 * a * (b - a * a) - 2 * (1 - a);
    g[1] = 200 * (b - a * a);
  };

  it('minimises the Rosenbrock function inside a box from the classic start', () => {
    // Act
    const r = boxMinimise(rosenbrock, rosenbrockGrad, [-1.2, 1], [-2, -2], [2, 2], { maxIterations: 500 });
    // Assess
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
  });

  it('stops on the bound when the unconstrained minimum lies outside the box, and never leaves the box', () => {
    // Prepare: minimum of the Rosenbrock function at (1, 1), box x0 <= 0.5
    const seen: number[][] = [];
    const f = (x: Float64Array): number => {
      seen.push(Array.from(x));
      return rosenbrock(x);
    };
    // Act
    const r = boxMinimise(f, rosenbrockGrad, [-1.2, 1], [-2, -2], [0.5, 2], { maxIterations: 500 });
    // Assess: the constrained optimum is x0 = 0.5, x1 = 0.25 (the valley floor there)
    expect(r.x[0]).toBe(0.5);
    expect(r.x[1]).toBeCloseTo(0.25, 5);
    for (const x of seen) {
      expect(x[0]).toBeLessThanOrEqual(0.5);
      expect(x[0]).toBeGreaterThanOrEqual(-2);
    }
  });

  it('starts from the projection of a start outside the box', () => {
    const r = boxMinimise(
      (x) => ((x[0] as number) - 3) ** 2,
      (x, g) => {
        g[0] = 2 * ((x[0] as number) - 3);
      },
      [10],
      [0],
      [1],
    );
    expect(r.x[0]).toBe(1);
    expect(r.value).toBe(4);
  });

  it('rejects bounds of the wrong length or crossed bounds, naming the rule', () => {
    const f = (): number => 0;
    const g = (): void => {};
    expect(() => boxMinimise(f, g, [0, 0], [0], [1, 1])).toThrow(/lower and upper must have x0's length 2/);
    expect(() => boxMinimise(f, g, [0], [2], [1])).toThrow(/lower\[0\] must be <= upper\[0\]/);
  });
});

describe('damped-trend fit by the gradient', () => {
  const spec: EtsSpec = { error: 'A', trend: 'Ad', season: 'N', m: 1 };

  it('reaches at least the likelihood Nelder-Mead reached, on fixed simulated series', () => {
    for (let seed = 1; seed <= 20; seed++) {
      // Prepare: a spread of parameters, both modes of alpha
      const rng = mulberry32(1000 + seed);
      const alpha = 0.05 + 0.9 * rng();
      const y = dampedSeries(seed, 120 + 20 * seed, alpha, alpha * rng() * 0.5, 0.8 + 0.18 * rng());
      // Act
      const grad = fitEts(y, spec);
      const simplex = fitEts(y, spec, { optimiser: 'nelder-mead' });
      // Assess (lik is -2 log likelihood: smaller is better)
      expect(grad.lik).toBeLessThanOrEqual(simplex.lik + 1e-6 * Math.abs(simplex.lik));
    }
  });

  it('recovers known parameters of a long simulated series', () => {
    // Prepare
    const y = dampedSeries(7, 3000, 0.5, 0.1, 0.9);
    // Act
    const fit = fitEts(y, spec);
    // Assess: within a few standard errors at n = 3000
    expect(fit.alpha).toBeGreaterThan(0.44);
    expect(fit.alpha).toBeLessThan(0.56);
    expect(fit.beta).toBeGreaterThan(0.06);
    expect(fit.beta).toBeLessThan(0.14);
    expect(fit.phi).toBeGreaterThan(0.85);
    expect(fit.phi).toBeLessThanOrEqual(0.95);
    expect(fit.sigma2).toBeGreaterThan(0.9);
    expect(fit.sigma2).toBeLessThan(1.1);
  });

  it('keeps alpha, beta and phi in the admissible box when the optimum lies on its edge', () => {
    // Prepare: a random walk (alpha at its upper bound), white noise around a constant (alpha and beta at
    // their lower bound), and a straight line plus noise (a slope that never dies out: phi at 0.98)
    const rng = mulberry32(3);
    let w = 0;
    const walk = Array.from({ length: 300 }, () => (w += normal(rng, 0, 1)));
    const noise = Array.from({ length: 300 }, () => 50 + normal(rng, 0, 1));
    const line = Array.from({ length: 300 }, (_, t) => 10 + 0.3 * t + normal(rng, 0, 1));
    for (const [y, trend] of [
      [walk, 'Ad'],
      [noise, 'Ad'],
      [line, 'Ad'],
      [walk, 'A'],
      [line, 'A'],
    ] as const) {
      // Act
      const fit = fitEts(y, { ...spec, trend });
      // Assess
      expect(fit.alpha).toBeGreaterThanOrEqual(1e-4);
      expect(fit.alpha).toBeLessThanOrEqual(1 - 1e-4);
      expect(fit.beta).toBeGreaterThanOrEqual(1e-4);
      expect(fit.beta).toBeLessThanOrEqual(fit.alpha);
      expect(fit.phi).toBeGreaterThanOrEqual(trend === 'Ad' ? 0.8 : 1);
      expect(fit.phi).toBeLessThanOrEqual(trend === 'Ad' ? 0.98 : 1);
      expect(Number.isFinite(fit.lik)).toBe(true);
    }
    expect(fitEts(line, spec).phi).toBeCloseTo(0.98, 6);
  });

  it('fits a constant series without a non-finite likelihood', () => {
    const fit = fitEts(new Array<number>(40).fill(5), spec);
    expect(Number.isFinite(fit.lik)).toBe(true);
    expect(fit.fitted.every((v) => Math.abs(v - 5) < 1e-6)).toBe(true);
  });
});

/** A simulated ETS(A,Ad,A) series: period m, a sine-shaped season of amplitude 5, noise sd 1. */
function seasonalSeries(
  seed: number,
  n: number,
  m: number,
  alpha: number,
  beta: number,
  gamma: number,
  phi: number,
): number[] {
  const rng = mulberry32(seed);
  let l = 50;
  let b = 0.2;
  const s = Array.from({ length: m }, (_, j) => 5 * Math.sin((2 * Math.PI * j) / m));
  const y: number[] = [];
  for (let t = 0; t < n; t++) {
    const j = t % m;
    const e = normal(rng, 0, 1);
    const mu = l + phi * b + (s[j] as number);
    y.push(mu + e);
    l = l + phi * b + alpha * e;
    b = phi * b + beta * e;
    s[j] = (s[j] as number) + gamma * e;
  }
  return y;
}

describe('seasonal ETS with every initial state profiled', () => {
  const m = 7;
  const y = Float64Array.from(seasonalSeries(21, 280, m, 0.3, 0.05, 0.1, 0.9));
  const s0 = new Float64Array(m);
  const w = seasonalWork(m);

  it('returns the SSE of the filter at its best initial states, and no nearby initial states do better', () => {
    for (const trend of [true, false]) {
      // Prepare
      const states = new Float64Array(m + 2);
      const g = new Float64Array(4);
      // Act
      const sse = profiledSeasonalSse(y, 50, 0, s0, 0.3, 0.05, 0.1, 0.9, trend, w, states);
      const direct = seasonalSseGradient(y, states, 0.3, 0.05, 0.1, 0.9, trend, w, g);
      // Assess
      expect(sse).toBeCloseTo(direct, 6);
      for (let k = 0; k < m + 2; k++) {
        if (k === 1 && !trend) continue;
        for (const step of [1e-3, -1e-3]) {
          const moved = states.slice();
          moved[k] = (moved[k] as number) + step;
          // Moving one seasonal state alone breaks their zero-sum constraint only by a level shift's worth.
          expect(seasonalSseGradient(y, moved, 0.3, 0.05, 0.1, 0.9, trend, w, g)).toBeGreaterThanOrEqual(
            direct - 1e-9 * direct,
          );
        }
      }
    }
  });

  it('has a gradient matching central finite differences of the profiled SSE', () => {
    for (const [trend, p] of [
      [true, [0.3, 0.05, 0.1, 0.9]],
      [true, [0.6, 0.3, 0.2, 0.98]],
      [false, [0.2, 0, 0.3, 1]],
    ] as const) {
      // Prepare
      const states = new Float64Array(m + 2);
      const g = new Float64Array(4);
      const f = (x: number[]): number =>
        profiledSeasonalSse(
          y,
          50,
          0,
          s0,
          x[0] as number,
          x[1] as number,
          x[2] as number,
          x[3] as number,
          trend,
          w,
        );
      // Act
      const sse = profiledSeasonalSse(y, 50, 0, s0, p[0], p[1], p[2], p[3], trend, w, states);
      seasonalSseGradient(y, states, p[0], p[1], p[2], p[3], trend, w, g);
      // Assess
      for (let i = 0; i < 4; i++) {
        if (!trend && (i === 1 || i === 3)) {
          expect(g[i]).toBeCloseTo(0, 12);
          continue;
        }
        const fd = centralDiff(f, p, i);
        expect(Math.abs((g[i] as number) - fd)).toBeLessThan(1e-5 * (Math.abs(fd) + sse * 1e-3));
      }
    }
  });

  it('fits ETS(A,Ad,A) to at least the likelihood of the fixed-seasonal-state Nelder-Mead path, inside the bounds', () => {
    for (const seed of [1, 2, 3]) {
      // Prepare
      const series = seasonalSeries(seed, 300, m, 0.2 + 0.2 * seed, 0.02 * seed, 0.1, 0.9);
      const spec: EtsSpec = { error: 'A', trend: 'Ad', season: 'A', m };
      // Act
      const fit = fitEts(series, spec);
      const simplex = fitEts(series, spec, { optimiser: 'nelder-mead' });
      // Assess
      expect(fit.lik).toBeLessThanOrEqual(simplex.lik + 1e-6 * Math.abs(simplex.lik));
      expect(fit.alpha).toBeGreaterThanOrEqual(1e-4);
      expect(fit.beta).toBeLessThanOrEqual(fit.alpha);
      expect(fit.gamma).toBeGreaterThanOrEqual(1e-4);
      expect(fit.gamma).toBeLessThanOrEqual(1 - fit.alpha);
      expect(fit.phi).toBeGreaterThanOrEqual(0.8);
      expect(fit.phi).toBeLessThanOrEqual(0.98);
      expect(fit.seasonal).toHaveLength(m);
    }
  });

  it('recovers the smoothing parameters of a long simulated ETS(A,N,A) series', () => {
    // Prepare
    const series = seasonalSeries(5, 3000, m, 0.3, 0, 0.1, 0);
    // Act
    const fit = fitEts(series, { error: 'A', trend: 'N', season: 'A', m });
    // Assess
    expect(fit.alpha).toBeGreaterThan(0.25);
    expect(fit.alpha).toBeLessThan(0.35);
    expect(fit.gamma).toBeGreaterThan(0.05);
    expect(fit.gamma).toBeLessThan(0.15);
    expect(fit.sigma2).toBeGreaterThan(0.9);
    expect(fit.sigma2).toBeLessThan(1.1);
  });
});
