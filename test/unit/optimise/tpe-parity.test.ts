/**
 * Parity of the TPE sampler's Parzen estimator with Optuna 3.1. Expected values were computed with
 * Optuna 3.1.0's own `_ParzenEstimator` / `_truncnorm` (optuna/samplers/_tpe at tag v3.1.0) on the same
 * hand-made observations.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultGamma,
  defaultWeights,
  logGaussMass,
  logNdtr,
  ParzenEstimator,
  sampleTruncNorm,
  truncNormLogPdf,
  truncNormPpf,
  univariateBandwidths,
} from '../../../src/core/optimise/samplers/parzen.ts';
import { TpeSampler } from '../../../src/core/optimise/samplers/tpe.ts';
import { Study } from '../../../src/core/optimise/study.ts';
import { mulberry32 } from '../../../src/core/random.ts';

const X = { choices: 0, low: 0, high: 10, q: 0 };

describe('truncated normal', () => {
  it('log-density integrates to 1 on the bounds (scaled) and to sigma without the scale term', () => {
    // Prepare
    const [mu, sigma, low, high] = [7, 2.5, 0, 10];
    const n = 20000;
    const h = (high - low) / n;
    // Act: midpoint rule
    let scaled = 0;
    let unscaled = 0;
    for (let i = 0; i < n; i++) {
      const x = low + (i + 0.5) * h;
      scaled += Math.exp(truncNormLogPdf(x, mu, sigma, low, high)) * h;
      unscaled += Math.exp(truncNormLogPdf(x, mu, sigma, low, high, false)) * h;
    }
    // Assess
    expect(scaled).toBeCloseTo(1, 6);
    expect(unscaled).toBeCloseTo(sigma, 5);
    expect(truncNormLogPdf(10.01, mu, sigma, low, high)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('log Gaussian mass matches Optuna/SciPy, including far tails without underflow', () => {
    // Prepare / Act / Assess (values from optuna._truncnorm._log_gauss_mass)
    expect(logGaussMass(-1, 1)).toBeCloseTo(-0.38171514630212616, 6);
    expect(logGaussMass(2, 30)).toBeCloseTo(-3.783184333682031, 6);
    expect(logGaussMass(-3, -2)).toBeCloseTo(-3.8443534263342047, 6);
    expect(logGaussMass(-40, -39)).toBeCloseTo(-765.0831565643776, 5);
    expect(logGaussMass(35, 36)).toBeCloseTo(-616.9751012619225, 5);
    expect(logNdtr(-50)).toBeLessThan(-1000);
    expect(() => logGaussMass(1, 0)).toThrow(/a \(1\) must be <= b \(0\)/);
  });

  it('quantile function matches Optuna and inverts the truncated CDF', () => {
    // Prepare / Act / Assess (values from optuna._truncnorm.ppf)
    expect(truncNormPpf(0.3, -1, 2)).toBeCloseTo(-0.24240381788922694, 6);
    expect(truncNormPpf(0.9, 0.5, 3)).toBeCloseTo(1.8512240709778358, 6);
    expect(truncNormPpf(0.5, -50, -40)).toBeCloseTo(-40.017314126764646, 6);
    expect(truncNormPpf(0, -1, 2)).toBe(-1);
    expect(truncNormPpf(1, -1, 2)).toBe(2);
    const x = truncNormPpf(0.25, -0.5, 1.5);
    expect(Math.exp(logGaussMass(-0.5, x) - logGaussMass(-0.5, 1.5))).toBeCloseTo(0.25, 6);
    expect(() => truncNormPpf(1.5, 0, 1)).toThrow(/q \(1.5\) must be in \[0, 1\]/);
  });

  it('draws stay inside the bounds and follow the truncated distribution (no clipping mass at the edge)', () => {
    // Prepare: a kernel centred on the upper bound; clipping would pile ~half the draws on it.
    const rng = mulberry32(5);
    // Act
    const xs = Array.from({ length: 4000 }, () => sampleTruncNorm(rng, 10, 2, 0, 10));
    // Assess
    expect(xs.every((x) => x >= 0 && x <= 10)).toBe(true);
    expect(xs.filter((x) => x > 9.999).length).toBeLessThan(20);
    // Mean of a half-normal folded below 10: 10 − 2·sqrt(2/π) ≈ 8.404 (truncation at 0 is negligible).
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeCloseTo(8.404, 1);
  });
});

describe('Optuna 3.1 defaults', () => {
  it('gamma is min(ceil(0.1 n), 25)', () => {
    expect([0, 1, 10, 11, 100, 251, 1000].map(defaultGamma)).toEqual([0, 1, 1, 2, 10, 25, 25]);
  });

  it('weights are flat below 25 and ramp old observations from 1/n to 1 above', () => {
    // Act
    const w = defaultWeights(28);
    // Assess (numpy.linspace(1/28, 1, 3) then 25 ones)
    expect(defaultWeights(0)).toEqual([]);
    expect(defaultWeights(24)).toEqual(new Array(24).fill(1));
    expect(w).toHaveLength(28);
    expect(w[0]).toBeCloseTo(1 / 28, 12);
    expect(w[1]).toBeCloseTo(0.5178571428571429, 12);
    expect(w.slice(2)).toEqual(new Array(26).fill(1));
    expect(defaultWeights(26)[0]).toBeCloseTo(1 / 26, 12);
    expect(() => defaultWeights(-1)).toThrow(/n \(-1\) must be an integer >= 0/);
  });

  it('bandwidth on a hand example: larger neighbour gap, inner gap at the ends, then the magic clip', () => {
    // Prepare: observations 1, 2, 7 on [0, 10]; the prior centre 5 joins the sorted centres 1, 2, 5, 7.
    // Act
    const raw = univariateBandwidths([1, 2, 7, 5], 0, 10);
    const withEnds = univariateBandwidths([1, 2, 7, 5], 0, 10, true);
    const pe = new ParzenEstimator([X], [[1, 2, 7]], [1, 1, 1]);
    // Assess: x=1 → gap to 2 (not to the bound 0): 1; x=2 → max(1, 3); x=7 → inner gap 2; prior → max(3, 2).
    expect(raw).toEqual([1, 3, 2, 3]);
    expect(withEnds).toEqual([1, 3, 3, 3]);
    // Magic clip floor 10 / min(100, 1 + 4) = 2 lifts the 1; the prior is as wide as the range.
    expect(Array.from(pe.kernels(0)?.sigmas ?? [])).toEqual([2, 3, 2, 10]);
    expect(Array.from(pe.weights)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('mixture log-density equals Optuna 3.1 (which leaves out -log sigma)', () => {
    // Prepare
    const pe = new ParzenEstimator([X], [[1, 2, 7]], [1, 1, 1]);
    // Act
    const lp = [0, 1.5, 5, 10].map((x) => pe.logPdf([x]));
    // Assess
    const optuna = [-0.7662227269047103, -0.65492146675378, -0.8529401963337309, -1.315293495776712];
    lp.forEach((v, i) => {
      expect(v).toBeCloseTo(optuna[i] as number, 6);
    });
  });

  it('multivariate: Scott bandwidth 0.2 n^(-1/(D+4)) with the magic clip, one component across dimensions', () => {
    // Prepare
    const Y = { choices: 0, low: 0, high: 1, q: 0 };
    const pe = new ParzenEstimator(
      [X, Y],
      [
        [1, 2, 7],
        [0.5, 0.2, 0.9],
      ],
      [1, 1, 1],
      { multivariate: true },
    );
    // Act / Assess (0.2·3^(−1/6)·10 ≈ 1.66 is clipped up to 2)
    expect(Array.from(pe.kernels(0)?.sigmas ?? [])).toEqual([2, 2, 2, 10]);
    expect(pe.logPdf([2, 0.3])).toBeCloseTo(-1.0933208114756274, 6);
  });

  it('integer parameters use the probability mass of the grid cell', () => {
    // Prepare: int in [1, 10] is modelled on [0.5, 10.5] with cells of width 1.
    const pe = new ParzenEstimator([{ choices: 0, low: 0.5, high: 10.5, q: 1 }], [[2, 5, 9]], [1, 1, 1]);
    // Act / Assess
    expect(Array.from(pe.kernels(0)?.sigmas ?? [])).toEqual([3, 3, 3.5, 10]);
    expect(pe.logPdf([1])).toBeCloseTo(-2.436789727698481, 6);
    expect(pe.logPdf([5])).toBeCloseTo(-2.1664004675899187, 6);
    expect(pe.logPdf([10])).toBeCloseTo(-2.58148783599607, 6);
  });

  it('categorical rows are smoothed with prior_weight / (n + 1) per choice', () => {
    // Prepare
    const pe = new ParzenEstimator([{ choices: 3, low: 0, high: 2, q: 0 }], [[0, 2]], [1, 1]);
    // Act / Assess
    expect(pe.logPdf([0])).toBeCloseTo(-0.9444616088408514, 10);
    expect(pe.logPdf([1])).toBeCloseTo(-1.5040773967762742, 10);
    expect(() => new ParzenEstimator([{ choices: 3, low: 0, high: 2, q: 0 }], [[3]], [1])).toThrow(
      /categorical index 3 outside \[0, 2\]/,
    );
  });

  it('rejects bad estimator input with the rule', () => {
    expect(() => new ParzenEstimator([X], [[1]], [1], { priorWeight: 0 })).toThrow(
      /priorWeight: must be > 0/,
    );
    expect(() => new ParzenEstimator([X], [[1, 2]], [1])).toThrow(/one value per weight/);
    expect(() => new ParzenEstimator([X], [[1]], [-1])).toThrow(/obsWeights: must be finite and >= 0/);
  });
});

describe('TPE sampler behaviour', () => {
  const space = { x: { type: 'float' as const, low: -5, high: 5 } };

  it('keeps the first n_startup_trials random, then concentrates near the optimum', () => {
    // Prepare
    const study = new Study({ space, sampler: new TpeSampler(), seed: 3 });
    const xs: number[] = [];
    // Act
    for (let i = 0; i < 60; i++) {
      const t = study.ask();
      const x = t.params.x as number;
      xs.push(x);
      study.tell(t.number, (x - 1.5) ** 2);
    }
    // Assess: the last 20 trials sit much closer to 1.5 than uniform draws (mean |x-1.5| = 2.725).
    const late = xs.slice(40).map((x) => Math.abs(x - 1.5));
    expect(late.reduce((a, b) => a + b, 0) / late.length).toBeLessThan(0.8);
  });

  it('constant liar pushes a parallel ask away from a running trial', () => {
    // Prepare: 20 finished trials, then one running trial at the current best region.
    const run = (constantLiar: boolean) => {
      const study = new Study({ space, sampler: new TpeSampler({ constantLiar }), seed: 11 });
      for (let i = 0; i < 20; i++) {
        const t = study.ask();
        study.tell(t.number, ((t.params.x as number) - 1.5) ** 2);
      }
      const a = study.ask();
      const b = study.ask();
      return [a.params.x as number, b.params.x as number];
    };
    // Act
    const plain = run(false);
    const liar = run(true);
    // Assess: without the liar the running trial is ignored; with it the second ask differs.
    expect(plain[0]).toBe(liar[0]);
    expect(liar[1]).not.toBe(plain[1]);
  });

  it('samples discrete, log and categorical parameters on their grids', () => {
    // Prepare
    const mixed = {
      n: { type: 'int' as const, low: 1, high: 9 },
      lr: { type: 'float' as const, low: 1e-4, high: 1, log: true },
      s: { type: 'float' as const, low: 0, high: 1, step: 0.25 },
      c: { type: 'categorical' as const, choices: ['a', 'b', 'c'] },
      k: { type: 'int' as const, low: 3, high: 3 },
    };
    for (const multivariate of [false, true]) {
      const study = new Study({
        space: mixed,
        sampler: new TpeSampler({ multivariate, nStartupTrials: 5 }),
        seed: 2,
      });
      // Act
      for (let i = 0; i < 25; i++) {
        const t = study.ask();
        const p = t.params;
        study.tell(t.number, (p.n as number) + Math.log(p.lr as number) ** 2 + (p.c === 'b' ? 0 : 1));
        // Assess
        expect(Number.isInteger(p.n)).toBe(true);
        expect(((p.s as number) / 0.25) % 1).toBe(0);
        expect(p.lr as number).toBeGreaterThanOrEqual(1e-4);
        expect(p.k).toBe(3);
      }
    }
  });

  it('rejects bad options naming the option', () => {
    expect(() => new TpeSampler({ nStartupTrials: -1 })).toThrow(/nStartupTrials/);
    expect(() => new TpeSampler({ nEiCandidates: 0 })).toThrow(/nEiCandidates/);
    expect(() => new TpeSampler({ priorWeight: 0 })).toThrow(/priorWeight/);
  });
});
