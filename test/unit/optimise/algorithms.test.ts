import { describe, expect, it } from 'vitest';
import {
  branin,
  CmaEsSampler,
  dtlz2,
  hartmann6,
  hypervolume,
  MedianPruner,
  Nsga2Sampler,
  nonDominated,
  RandomSampler,
  type Sampler,
  Study,
  SuccessiveHalvingPruner,
  TpeSampler,
  type TrialRecord,
  zdt1,
} from '../../../src/core/optimise/index.ts';

describe('test problems', () => {
  it('match their known optima', () => {
    expect(branin([Math.PI, 2.275])).toBeCloseTo(0.397887, 5);
    expect(hartmann6([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])).toBeCloseTo(-3.32237, 4);
    expect(zdt1([0.25, ...new Array(29).fill(0)])).toEqual([0.25, 0.5]);
    const f = dtlz2([0.3, 0.7, ...new Array(10).fill(0.5)], 3);
    expect(f.reduce((a, b) => a + b * b, 0)).toBeCloseTo(1, 12);
  });
});

describe('hypervolume', () => {
  it('computes hand-checked 2-D and 3-D values', () => {
    // [1,2],[2,1] against [3,3]: 2·1 + 1·2 - 1·1 = 3
    expect(
      hypervolume(
        [
          [1, 2],
          [2, 1],
        ],
        [3, 3],
      ),
    ).toBe(3);
    // A dominated and an out-of-reference point change nothing.
    expect(
      hypervolume(
        [
          [1, 2],
          [2, 1],
          [2.5, 2.5],
          [4, 0],
        ],
        [3, 3],
      ),
    ).toBe(3);
    // Single 3-D box.
    expect(hypervolume([[0, 0, 0]], [1, 2, 3])).toBe(6);
    // Two boxes [0,2]x[0,1]x[0,1] ∪ [0,1]x[0,2]x[0,1] and a third [0,1]x[0,1]x[0,2] ... union volume by hand:
    // points (0,1,1),(1,0,1),(1,1,0) with ref (2,2,2): 8 - 1·... = 4 unit cubes of the 2x2x2 cube are covered.
    expect(
      hypervolume(
        [
          [0, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
    ).toBe(4);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it('approaches the analytic ZDT1 front value (r² − 1/3 at r = 1.1)', () => {
    const front = Array.from({ length: 2001 }, (_, i) => [i / 2000, 1 - Math.sqrt(i / 2000)]);
    expect(hypervolume(front, [1.1, 1.1])).toBeCloseTo(1.21 - 1 / 3, 3);
  });

  it('keeps only non-dominated points', () => {
    expect(
      nonDominated([
        [1, 2],
        [2, 1],
        [2, 2],
        [1, 2],
      ]),
    ).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('rejects mismatched dimensions', () => {
    expect(() => hypervolume([[1, 2, 3]], [1, 1])).toThrow('points[0]: has 3 objectives, ref has 2');
  });
});

function minimise(
  sampler: Sampler,
  seed: number,
  n: number,
  f: (x: number[]) => number,
  dim: number,
  lo: number,
  hi: number,
) {
  const space: Record<string, { type: 'float'; low: number; high: number }> = {};
  for (let i = 0; i < dim; i++) space[`x${i}`] = { type: 'float', low: lo, high: hi };
  const study = new Study({ space, sampler, seed });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = study.ask();
    const v = f(Array.from({ length: dim }, (_, k) => t.params[`x${k}`] as number));
    study.tell(t.number, v);
    best = Math.min(best, v);
  }
  return best;
}

describe('single-objective samplers', () => {
  it('TPE beats random search on Branin over a few seeds', () => {
    const seeds = [0, 1, 2, 3, 4];
    const tpe = seeds.map((s) => minimise(new TpeSampler(), s, 60, branin, 2, -5, 15));
    const rnd = seeds.map((s) => minimise(new RandomSampler(), s, 60, branin, 2, -5, 15));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(tpe)).toBeLessThan(sum(rnd));
  });

  it('CMA-ES converges on a 4-D sphere', () => {
    const sphere = (x: number[]) => x.reduce((a, b) => a + (b - 0.3) ** 2, 0);
    const best = minimise(new CmaEsSampler(), 1, 400, sphere, 4, -2, 2);
    expect(best).toBeLessThan(1e-4);
  });
});

describe('NSGA-II', () => {
  it('reaches a fair share of the ZDT1 hypervolume with a small budget', () => {
    // Prepare: a single seed of a genetic algorithm is noisy, so judge the median of five
    const space: Record<string, { type: 'float'; low: number; high: number }> = {};
    for (let i = 0; i < 10; i++) space[`x${i}`] = { type: 'float', low: 0, high: 1 };
    const ratios: number[] = [];
    // Act
    for (let seed = 1; seed <= 5; seed++) {
      const study = new Study({
        space,
        directions: ['minimize', 'minimize'],
        sampler: new Nsga2Sampler({ populationSize: 20 }),
        seed,
      });
      for (let i = 0; i < 1000; i++) {
        const t = study.ask();
        study.tell(t.number, zdt1(Array.from({ length: 10 }, (_, k) => t.params[`x${k}`] as number)));
      }
      const hv = hypervolume(
        study.paretoFront.map((t) => t.values as number[]),
        [1.1, 1.1],
      );
      ratios.push(hv / 0.8767);
    }
    // Assess: the analytic front has 1.21 - 1/3 ≈ 0.8767 at r = 1.1
    ratios.sort((a, b) => a - b);
    expect(ratios[2]).toBeGreaterThan(0.6);
  });

  it('keeps infeasible points dominated and moves the population into the feasible region', () => {
    // Minimise (x, 1 - x) subject to x >= 0.6 (constraint 0.6 - x <= 0).
    const study = new Study({
      space: { x: { type: 'float', low: 0, high: 1 } },
      directions: ['minimize', 'minimize'],
      sampler: new Nsga2Sampler({ populationSize: 10 }),
      seed: 4,
    });
    for (let i = 0; i < 100; i++) {
      const t = study.ask();
      const x = t.params.x as number;
      study.tell(t.number, { values: [x, 1 - x], constraints: [0.6 - x] });
    }
    const front = study.paretoFront;
    expect(front.every((t) => (t.params.x as number) >= 0.6)).toBe(true);
    const lastGen = study.trials.slice(-10);
    expect(lastGen.filter((t) => (t.params.x as number) >= 0.6).length).toBeGreaterThanOrEqual(8);
  });
});

function trial(number: number, state: TrialRecord['state'], values: number[]): TrialRecord {
  return {
    number,
    state,
    params: {},
    intermediate: values.map((v, i) => [i, v] as [number, number]),
    attrs: {},
    ...(state === 'complete' ? { values: [values[values.length - 1] as number] } : {}),
  };
}

describe('pruners', () => {
  it('median pruner prunes a trial worse than the median at the same step', () => {
    // Prepare: five complete trials with values at step 1 of 1..5 (median 3)
    const done = [1, 2, 3, 4, 5].map((v, i) => trial(i, 'complete', [10, v]));
    const pruner = new MedianPruner({ nStartupTrials: 5 });
    // Act / Assess
    expect(
      pruner.shouldPrune({ trial: trial(5, 'running', [10, 3.5]), trials: done, direction: 'minimize' }),
    ).toBe(true);
    expect(
      pruner.shouldPrune({ trial: trial(5, 'running', [10, 2.5]), trials: done, direction: 'minimize' }),
    ).toBe(false);
    // Its best so far (step 0: 2) counts, as in Optuna.
    expect(
      pruner.shouldPrune({ trial: trial(5, 'running', [2, 3.5]), trials: done, direction: 'minimize' }),
    ).toBe(false);
    // Maximising flips the comparison.
    expect(
      pruner.shouldPrune({ trial: trial(5, 'running', [0, 2.5]), trials: done, direction: 'maximize' }),
    ).toBe(true);
    // Too few complete trials: never prune.
    expect(
      pruner.shouldPrune({
        trial: trial(5, 'running', [10, 99]),
        trials: done.slice(0, 4),
        direction: 'minimize',
      }),
    ).toBe(false);
  });

  it('successive halving keeps the top 1/η at a rung', () => {
    // Prepare: η = 2, rung 0 at step 1. Seven trials reached step 1 with values 1..7.
    const pruner = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    const others = [1, 2, 3, 4, 5, 6, 7].map((v, i) => trial(i, 'complete', [0, v]));
    // Act / Assess: with 8 competitors, the best 4 (values <= 4) are promoted.
    expect(
      pruner.shouldPrune({ trial: trial(7, 'running', [0, 3.5]), trials: others, direction: 'minimize' }),
    ).toBe(false);
    expect(
      pruner.shouldPrune({ trial: trial(7, 'running', [0, 4.5]), trials: others, direction: 'minimize' }),
    ).toBe(true);
    // Before the first rung nothing is pruned.
    expect(
      pruner.shouldPrune({ trial: trial(7, 'running', [99]), trials: others, direction: 'minimize' }),
    ).toBe(false);
  });

  it('works through the study: report says prune, prune records it', () => {
    const study = new Study({
      space: { x: { type: 'float', low: 0, high: 1 } },
      pruner: new MedianPruner({ nStartupTrials: 2 }),
      seed: 1,
    });
    for (const v of [1, 2]) {
      const t = study.ask();
      study.report(t.number, 0, v);
      study.tell(t.number, v);
    }
    const t = study.ask();
    expect(study.report(t.number, 0, 5)).toBe(true);
    study.prune(t.number);
    expect(study.trials[t.number]?.state).toBe('pruned');
    expect(() => study.report(t.number, 1, 1)).toThrow('already pruned');
  });

  it('rejects bad settings', () => {
    expect(() => new SuccessiveHalvingPruner({ reductionFactor: 1 })).toThrow(
      'reductionFactor: must be >= 2',
    );
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow('intervalSteps: must be an integer >= 1');
  });
});
