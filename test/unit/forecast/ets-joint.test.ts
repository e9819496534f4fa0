import { describe, expect, it } from 'vitest';
import { autoEts, type EtsSpec, fitEts, forecastEts } from '../../../src/core/analytics/forecast/ets.ts';
import {
  type EtsShape,
  etsLikelihood,
  etsLikelihoodWork,
} from '../../../src/core/analytics/forecast/ets-gradient.ts';
import { smape } from '../../../src/core/analytics/forecast/metrics.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** A simulated ETS(M,N,M) or ETS(M,Ad,M) series: relative noise sd `sigma`, level 100, a sine seasonal figure. */
function multiplicativeSeries(
  seed: number,
  n: number,
  m: number,
  p: { alpha: number; beta?: number; gamma: number; phi?: number; sigma: number },
): number[] {
  const rng = mulberry32(seed);
  const beta = p.beta ?? 0;
  const phi = p.phi ?? 0;
  let l = 100;
  let b = beta > 0 ? 0.5 : 0;
  const s = Array.from({ length: m }, (_, j) => 1 + 0.3 * Math.sin((2 * Math.PI * j) / m));
  const y: number[] = [];
  for (let t = 0; t < n; t++) {
    const j = t % m;
    const sj = s[j] as number;
    const base = l + phi * b;
    const mu = base * sj;
    const e = normal(rng, 0, p.sigma);
    y.push(mu * (1 + e));
    l = base * (1 + p.alpha * e);
    b = phi * b + beta * base * e;
    s[j] = sj * (1 + p.gamma * e);
  }
  return y;
}

const SHAPES: EtsShape[] = [];
for (const multiplicativeError of [false, true])
  for (const trend of [false, true])
    for (const season of ['N', 'A', 'M'] as const)
      SHAPES.push({ multiplicativeError, trend, season, m: season === 'N' ? 1 : 6 });

describe('ETS likelihood and its reverse-mode gradient', () => {
  const rng = mulberry32(3);
  const y = Float64Array.from(
    { length: 200 },
    (_, t) => 50 + 0.1 * t + 5 * Math.sin((2 * Math.PI * t) / 6) + normal(rng, 0, 1),
  );

  it('matches a hand computation: ETS(A,N,N) and ETS(M,N,N) with alpha 0.5 from level 2', () => {
    // Prepare: y = 2, 4, 4. Additive: errors 0, 2, 1 (levels 2, 3, 3.5), SSE 5. Multiplicative: means 2, 2, 3,
    // relative errors 0, 1, 1/3, SSE 10/9, sum of log means log 12.
    const yy = Float64Array.from([2, 4, 4]);
    const w = etsLikelihoodWork(3, 1);
    const a: EtsShape = { multiplicativeError: false, trend: false, season: 'N', m: 1 };
    const mm: EtsShape = { ...a, multiplicativeError: true };
    // Act
    const additive = etsLikelihood(yy, a, 0.5, 0, 0, 1, 2, 0, [0], w);
    const multiplicative = etsLikelihood(yy, mm, 0.5, 0, 0, 1, 2, 0, [0], w);
    // Assess
    expect(additive).toBeCloseTo(3 * Math.log(5 / 3), 12);
    expect(multiplicative).toBeCloseTo(3 * Math.log(10 / 27) + 2 * Math.log(12), 12);
  });

  it('has a gradient matching central finite differences for every error, trend and season', () => {
    for (const shape of SHAPES) {
      // Prepare
      const w = etsLikelihoodWork(y.length, shape.m);
      const s0 = Array.from({ length: shape.m }, (_, j) => {
        const wave = Math.sin((2 * Math.PI * j) / 6);
        return shape.season === 'M' ? 1 + 0.1 * wave : shape.season === 'A' ? 5 * wave : 0;
      });
      const x = [0.3, 0.05, 0.1, 0.9, 49, 0.2, ...s0];
      const f = (v: number[]): number =>
        etsLikelihood(
          y,
          shape,
          v[0] as number,
          v[1] as number,
          v[2] as number,
          v[3] as number,
          v[4] as number,
          v[5] as number,
          v.slice(6),
          w,
        );
      const g = new Float64Array(6 + shape.m);
      // Act
      const value = etsLikelihood(y, shape, 0.3, 0.05, 0.1, 0.9, 49, 0.2, s0, w, g);
      // Assess
      expect(value).toBeCloseTo(f(x), 10);
      for (let i = 0; i < x.length; i++) {
        const h = 1e-6 * Math.max(1, Math.abs(x[i] as number));
        const up = x.slice();
        const down = x.slice();
        up[i] = (up[i] as number) + h;
        down[i] = (down[i] as number) - h;
        const fd = (f(up) - f(down)) / (2 * h);
        expect(Math.abs((g[i] as number) - fd)).toBeLessThan(1e-4 * (Math.abs(fd) + 1e-2));
      }
    }
  });

  it('is infinite where a multiplicative model is undefined, and then writes no gradient', () => {
    // Prepare
    const shape: EtsShape = { multiplicativeError: true, trend: false, season: 'N', m: 1 };
    const w = etsLikelihoodWork(y.length, 1);
    const g = new Float64Array(7).fill(7);
    // Act
    const v = etsLikelihood(y, shape, 0.3, 0, 0, 1, -1, 0, [0], w, g);
    // Assess
    expect(v).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(g)).toEqual(new Array(7).fill(7));
  });
});

describe('multiplicative models fitted over every initial state', () => {
  const m = 12;

  it('reach at least the likelihood of the fit with the decomposition seasonal states held', () => {
    for (const [seed, spec] of [
      [1, { error: 'M', trend: 'N', season: 'M', m }],
      [2, { error: 'M', trend: 'A', season: 'M', m }],
      [3, { error: 'M', trend: 'Ad', season: 'M', m }],
      [4, { error: 'M', trend: 'N', season: 'A', m }],
      [5, { error: 'M', trend: 'Ad', season: 'N', m: 1 }],
    ] as [number, EtsSpec][]) {
      // Prepare
      const y = multiplicativeSeries(seed, 240, m, { alpha: 0.3, gamma: 0.1, sigma: 0.03 });
      // Act
      const joint = fitEts(y, spec);
      const held = fitEts(y, spec, { optimiser: 'nelder-mead' });
      // Assess: at least as likely, with parameters inside the usual region
      expect(joint.lik).toBeLessThanOrEqual(held.lik + 1e-6 * Math.abs(held.lik));
      expect(joint.alpha).toBeGreaterThanOrEqual(1e-4);
      expect(joint.alpha).toBeLessThanOrEqual(1 - 1e-4);
      expect(joint.beta).toBeLessThanOrEqual(joint.alpha);
      expect(joint.gamma).toBeLessThanOrEqual(1 - joint.alpha);
      expect(joint.phi).toBeGreaterThanOrEqual(spec.trend === 'Ad' ? 0.8 : 1);
      expect(joint.phi).toBeLessThanOrEqual(spec.trend === 'Ad' ? 0.98 : 1);
      expect(Number.isFinite(joint.aicc)).toBe(true);
    }
  });

  it('recovers the parameters of a long simulated ETS(M,N,M) series', () => {
    // Prepare: alpha 0.2, gamma 0.1, relative noise sd 0.02, figure 1 + 0.3 sin
    const y = multiplicativeSeries(7, 2400, m, { alpha: 0.2, gamma: 0.1, sigma: 0.02 });
    // Act
    const fit = fitEts(y, { error: 'M', trend: 'N', season: 'M', m });
    // Assess
    expect(fit.alpha).toBeGreaterThan(0.15);
    expect(fit.alpha).toBeLessThan(0.25);
    expect(fit.gamma).toBeGreaterThan(0.05);
    expect(fit.gamma).toBeLessThan(0.15);
    expect(Math.sqrt(fit.sigma2)).toBeGreaterThan(0.018);
    expect(Math.sqrt(fit.sigma2)).toBeLessThan(0.022);
    // The final factors keep the figure's shape: peak a quarter cycle in, trough three quarters in.
    const at = (t: number): number => fit.seasonal[t % m] as number;
    const peak = at(3) / ((at(0) + at(6)) / 2);
    const trough = at(9) / ((at(0) + at(6)) / 2);
    expect(peak).toBeGreaterThan(1.15);
    expect(trough).toBeLessThan(0.85);
  });

  it('gives a model that is undefined everywhere an infinite AICc, which autoEts never picks', () => {
    // Prepare: a level that falls from 200 to 20 under a deep season: an additive season under a multiplicative
    // error then has a negative mean at every reachable point.
    const rng = mulberry32(1);
    const y = Array.from({ length: 240 }, (_, t) => {
      const level = t < 120 ? 200 : 20;
      return level * (1 + 0.75 * Math.sin((2 * Math.PI * t) / m)) * (1 + normal(rng, 0, 0.03));
    });
    // Act
    const fit = fitEts(y, { error: 'M', trend: 'N', season: 'A', m });
    const chosen = autoEts(y, m, { errors: ['A', 'M'] });
    // Assess
    expect(fit.aicc).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(chosen.aicc)).toBe(true);
    expect(chosen.name).not.toBe('ETS(M,N,A)');
  });
});

describe('automatic ETS selection', () => {
  it('picks a damped trend for a series whose trend flattens out', () => {
    for (const seed of [1, 2]) {
      // Prepare: 100 + 40 (1 - 0.97^t): the slope decays by the factor 0.97 per step
      const rng = mulberry32(seed);
      const y = Array.from({ length: 160 }, (_, t) => 100 + 40 * (1 - 0.97 ** t) + normal(rng, 0, 0.5));
      // Act
      const fit = autoEts(y, 1);
      const withMultiplicative = autoEts(y, 1, { errors: ['A', 'M'] });
      // Assess: damped (or no trend), never a trend extrapolated undamped
      expect(fit.spec.trend).not.toBe('A');
      expect(withMultiplicative.spec.trend).not.toBe('A');
      if (fit.spec.trend === 'Ad') expect(fit.phi).toBeGreaterThan(0.9);
    }
  });

  it('compares additive errors only by default, multiplicative ones when asked', () => {
    // Prepare: a clean multiplicative season whose amplitude grows with the level
    const fig = Array.from({ length: 12 }, (_, j) => 1 + 0.3 * Math.sin((2 * Math.PI * j) / 12));
    const rng = mulberry32(3);
    const y = Array.from(
      { length: 120 },
      (_, t) => (200 + t) * (fig[t % 12] as number) * (1 + 0.01 * normal(rng)),
    );
    const truth = Array.from({ length: 12 }, (_, k) => (320 + k) * (fig[(120 + k) % 12] as number));
    // Act
    const byDefault = autoEts(y, 12);
    const both = autoEts(y, 12, { errors: ['A', 'M'] });
    // Assess
    expect(byDefault.spec.error).toBe('A');
    expect(both.spec.season).toBe('M');
    expect(smape(truth, forecastEts(both, 12, []).mean)).toBeLessThan(3);
  });

  it("skips variants with no more observations than forecast::ets's parameters + 4", () => {
    // Prepare: n = 10, m = 4: ETS(A,N,A) has 2 + 4 parameters, so needs n > 10
    const y = [10, 14, 9, 6, 11, 15, 10, 7, 12, 16];
    // Act
    const fit = autoEts(y, 4);
    const tiny = autoEts([5, 6, 7], 1);
    // Assess
    expect(fit.spec.season).toBe('N');
    expect(tiny.name).toBe('ETS(A,N,N)');
    expect(Number.isFinite(fit.aicc)).toBe(true);
  });
});
