import { describe, expect, it } from 'vitest';
import {
  hypervolume,
  type Nsga2Options,
  Nsga2Sampler,
  nonDominated,
  Study,
  zdt1,
} from '../../../src/core/optimise/index.ts';
import { uniformCrossover } from '../../../src/core/optimise/samplers/nsga2.ts';
import { mulberry32 } from '../../../src/core/random.ts';

const GEN = 10;

/** Runs `n` trials of a 4-parameter box [-2, 3]^4 with a ZDT1-like objective on the rescaled point. */
function runBox(opts: Nsga2Options, n: number, seed = 7): Study {
  const space: Record<string, { type: 'float'; low: number; high: number }> = {};
  for (let i = 0; i < 4; i++) space[`x${i}`] = { type: 'float', low: -2, high: 3 };
  const study = new Study({
    space,
    directions: ['minimize', 'minimize'],
    sampler: new Nsga2Sampler({ populationSize: GEN, ...opts }),
    seed,
  });
  for (let i = 0; i < n; i++) {
    const t = study.ask();
    const x = Array.from({ length: 4 }, (_, k) => ((t.params[`x${k}`] as number) + 2) / 5);
    study.tell(t.number, zdt1(x));
  }
  return study;
}

describe('uniformCrossover', () => {
  it('takes the second parent with probability swappingProb and never invents a value', () => {
    // Prepare
    const rng = mulberry32(11);
    const n = 20000;
    // Act
    let fromB = 0;
    for (let i = 0; i < n; i++) {
      const x = uniformCrossover(1, 2, 0.3, rng);
      expect(x === 1 || x === 2).toBe(true);
      if (x === 2) fromB++;
    }
    // Assess: binomial sd = sqrt(0.3 * 0.7 / 20000) ≈ 0.0032, so ±0.015 is ~5 sd
    expect(Math.abs(fromB / n - 0.3)).toBeLessThan(0.015);
  });

  it('is deterministic for a seed and degenerate at probabilities 0 and 1', () => {
    // Prepare
    const a = mulberry32(5);
    const b = mulberry32(5);
    const r = mulberry32(9);
    // Act
    const xs = Array.from({ length: 50 }, () => uniformCrossover(0, 1, 0.5, a));
    const ys = Array.from({ length: 50 }, () => uniformCrossover(0, 1, 0.5, b));
    // Assess
    expect(xs).toEqual(ys);
    expect(new Set(xs).size).toBe(2);
    for (let i = 0; i < 100; i++) {
      expect(uniformCrossover(4, 8, 0, r)).toBe(4);
      expect(uniformCrossover(4, 8, 1, r)).toBe(8);
    }
  });
});

describe('Nsga2Sampler operators', () => {
  it('builds children gene by gene from the previous generation by default (uniform crossover)', () => {
    // Prepare: no mutation, so every child gene must be some earlier trial's value of that gene
    // Act
    const study = runBox({ mutationProb: 0 }, 3 * GEN);
    // Assess
    const trials = study.trials;
    for (let g = 1; g < 3; g++) {
      const earlier = trials.slice(0, g * GEN);
      for (const child of trials.slice(g * GEN, (g + 1) * GEN)) {
        for (let k = 0; k < 4; k++) {
          const key = `x${k}`;
          expect(earlier.some((t) => t.params[key] === child.params[key])).toBe(true);
        }
      }
    }
  });

  it('keeps resampling (uniform) mutation inside the bounds and spreads it over the whole range', () => {
    // Prepare: every gene of every child is resampled
    // Act
    const study = runBox({ mutation: 'uniform', mutationProb: 1 }, 6 * GEN);
    // Assess
    const children = study.trials.slice(GEN);
    const values = children.flatMap((t) => Object.values(t.params) as number[]);
    expect(values.every((v) => v >= -2 && v <= 3)).toBe(true);
    expect(Math.min(...values)).toBeLessThan(-1);
    expect(Math.max(...values)).toBeGreaterThan(2);
  });

  it('keeps SBX with polynomial mutation inside the bounds', () => {
    // Act
    const study = runBox({ crossover: 'sbx', mutationProb: 0.5, etaMutation: 1, etaCrossover: 1 }, 6 * GEN);
    // Assess
    const values = study.trials.flatMap((t) => Object.values(t.params) as number[]);
    expect(values.every((v) => v >= -2 && v <= 3)).toBe(true);
  });

  it.each<[string, Nsga2Options]>([
    ['uniform crossover, crowded tournament (default)', {}],
    ['Optuna 3.1 operators', { mutation: 'uniform', tournament: 'dominance' }],
    ['SBX', { crossover: 'sbx' }],
  ])('improves on its first generation with %s', (_label, opts) => {
    // Act
    const study = runBox(opts, 20 * GEN, 3);
    // Assess: hypervolume of the last generation's non-dominated set beats the random first generation's
    const hv = (ts: typeof study.trials) =>
      hypervolume(nonDominated(ts.map((t) => t.values as number[])), [11, 11]);
    const first = hv(study.trials.slice(0, GEN));
    const last = hv(study.trials.slice(-GEN));
    expect(last).toBeGreaterThan(first);
  });

  it('reproduces the same trials for the same seed', () => {
    // Act
    const a = runBox({}, 3 * GEN, 21).trials.map((t) => t.params);
    const b = runBox({}, 3 * GEN, 21).trials.map((t) => t.params);
    // Assess
    expect(a).toEqual(b);
  });

  it.each<[Nsga2Options, RegExp]>([
    [{ swappingProb: 1.5 }, /swappingProb: must be in \[0, 1\]/],
    [{ swappingProb: Number.NaN }, /swappingProb/],
    [{ crossover: 'blx' as 'sbx' }, /crossover: must be 'uniform' or 'sbx'/],
    [{ mutation: 'gauss' as 'uniform' }, /mutation: must be 'polynomial' or 'uniform'/],
    [{ tournament: 'random' as 'crowded' }, /tournament: must be 'crowded' or 'dominance'/],
    [{ etaMutation: -1 }, /etaMutation: must be >= 0/],
  ])('rejects bad options %o', (opts, message) => {
    // Act / Assess
    expect(() => new Nsga2Sampler(opts)).toThrow(message);
  });
});
