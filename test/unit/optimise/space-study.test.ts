import { describe, expect, it } from 'vitest';
import {
  CmaEsSampler,
  GpSampler,
  Nsga2Sampler,
  QmcSampler,
  RandomSampler,
  type Sampler,
  SearchSpace,
  SpaceError,
  Study,
  StudyError,
  type StudySnapshot,
  TpeSampler,
} from '../../../src/core/optimise/index.ts';

const mixed = {
  lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
  layers: { type: 'int', low: 1, high: 4 },
  model: { type: 'categorical', choices: ['linear', 'tree'] },
  depth: { type: 'int', low: 2, high: 10, step: 2, when: { parent: 'model', values: ['tree'] } },
} as const;

describe('SearchSpace validation', () => {
  it.each([
    [{ x: { type: 'float', low: 2, high: 1 } }, 'x: low (2) must be <= high (1)'],
    [{ x: { type: 'float', low: 0, high: 1, log: true } }, 'x: low must be > 0 when log is true'],
    [{ x: { type: 'int', low: 0.5, high: 3 } }, 'x: low and high must be integers'],
    [{ x: { type: 'categorical', choices: [] } }, 'x.choices: must be a non-empty array'],
    [{ x: { type: 'categorical', choices: ['a', 'a'] } }, 'x.choices: must be distinct'],
    [
      { x: { type: 'float', low: 0, high: 1, when: { parent: 'y', values: [1] } } },
      'x.when.parent: "y" must be declared before x',
    ],
    [
      {
        y: { type: 'categorical', choices: ['a'] },
        x: { type: 'float', low: 0, high: 1, when: { parent: 'y', values: ['b'] } },
      },
      'x.when.values: "b" is not a choice of y',
    ],
    [{ x: { type: 'normal', low: 0, high: 1 } }, 'x.type: must be "float", "int" or "categorical"'],
    [{}, 'space: must declare at least one parameter'],
  ])('rejects %j', (spec, message) => {
    // Prepare / Act / Assess
    expect(() => new SearchSpace(spec as never)).toThrow(SpaceError);
    expect(() => new SearchSpace(spec as never)).toThrow(message);
  });

  it('checks parameter sets, naming the offending parameter', () => {
    const space = new SearchSpace(mixed);
    expect(() => space.validate({ lr: 0.01, layers: 2, model: 'linear' })).not.toThrow();
    expect(() => space.validate({ lr: 0.01, layers: 2, model: 'tree' })).toThrow('depth: missing');
    expect(() => space.validate({ lr: 0.01, layers: 2, model: 'linear', depth: 4 })).toThrow(
      'depth: given but inactive',
    );
    expect(() => space.validate({ lr: 1, layers: 2, model: 'linear' })).toThrow('lr: 1 is outside');
    expect(() => space.validate({ lr: 0.01, layers: 2.5, model: 'linear' })).toThrow(
      'layers: 2.5 must be an integer',
    );
    expect(() => space.validate({ lr: 0.01, layers: 2, model: 'svm' })).toThrow('model: "svm" is not one of');
  });
});

const samplers: Array<[string, () => Sampler]> = [
  ['random', () => new RandomSampler()],
  ['qmc', () => new QmcSampler()],
  ['tpe', () => new TpeSampler({ nStartupTrials: 5 })],
  ['tpe-mv', () => new TpeSampler({ nStartupTrials: 5, multivariate: true })],
  ['cmaes', () => new CmaEsSampler()],
  ['nsga2', () => new Nsga2Sampler({ populationSize: 6 })],
  ['gp', () => new GpSampler({ nStartupTrials: 4, nCandidates: 32 })],
];

function objective(p: Record<string, unknown>): number {
  const lr = Math.log10(p.lr as number) + 2;
  return lr * lr + (p.layers as number) * 0.1 + (p.model === 'tree' ? (p.depth as number) * 0.01 : 0.5);
}

function run(make: () => Sampler, seed: number, n: number): Study {
  const study = new Study({ space: mixed, sampler: make(), seed });
  for (let i = 0; i < n; i++) {
    const t = study.ask();
    study.tell(t.number, objective(t.params));
  }
  return study;
}

describe('samplers on a mixed conditional space', () => {
  it.each(samplers)('%s proposes valid parameters and reproduces with the same seed', (_name, make) => {
    // Prepare / Act
    const a = run(make, 11, 20);
    const b = run(make, 11, 20);
    const c = run(make, 12, 20);
    // Assess
    for (const t of a.trials) expect(() => a.space.validate(t.params)).not.toThrow();
    expect(b.trials.map((t) => t.params)).toEqual(a.trials.map((t) => t.params));
    expect(c.trials.map((t) => t.params)).not.toEqual(a.trials.map((t) => t.params));
  });

  it.each(samplers)('%s continues identically after a JSON round trip', (_name, make) => {
    // Prepare
    const whole = run(make, 5, 24);
    const part = run(make, 5, 14);
    // Act
    const restored = Study.fromJSON(JSON.parse(JSON.stringify(part.toJSON())) as StudySnapshot, {
      sampler: make(),
    });
    for (let i = 14; i < 24; i++) {
      const t = restored.ask();
      restored.tell(t.number, objective(t.params));
    }
    // Assess
    expect(restored.trials.map((t) => t.params)).toEqual(whole.trials.map((t) => t.params));
  });
});

describe('Study', () => {
  it('tracks states, the best trial and rejects misuse with clear errors', () => {
    // Prepare
    const study = new Study({
      space: { x: { type: 'float', low: 0, high: 1 } },
      sampler: new RandomSampler(),
      seed: 1,
    });
    const a = study.ask();
    const b = study.ask();
    const c = study.ask();
    // Act
    study.tell(a.number, 3);
    study.tell(b.number, { values: [1], constraints: [0.5] });
    study.fail(c.number, 'boom');
    // Assess
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'failed']);
    expect(study.bestTrial?.number).toBe(a.number); // b is better but infeasible
    expect(() => study.tell(a.number, 1)).toThrow('trial 0: already complete');
    expect(() => study.tell(99, 1)).toThrow('trial 99: no such trial');
    const d = study.ask();
    expect(() => study.tell(d.number, [1, 2])).toThrow('expected 1 value(s), got 2');
    expect(() => study.tell(d.number, Number.NaN)).toThrow(StudyError);
  });

  it('maximises when asked to', () => {
    const study = new Study({
      space: { x: { type: 'float', low: 0, high: 1 } },
      directions: ['maximize'],
      seed: 2,
    });
    for (let i = 0; i < 5; i++) {
      const t = study.ask();
      study.tell(t.number, t.params.x as number);
    }
    const xs = study.trials.map((t) => t.params.x as number);
    expect(study.bestTrial?.params.x).toBe(Math.max(...xs));
  });

  it('returns the Pareto front with infeasible points dominated', () => {
    // Prepare
    const study = new Study({
      space: { x: { type: 'float', low: 0, high: 1 } },
      directions: ['minimize', 'minimize'],
    });
    const vals: Array<[number[], number[]]> = [
      [[1, 3], [0]],
      [[2, 2], [0]],
      [[3, 3], [0]], // dominated by [2,2]
      [[0, 0], [1]], // dominates all but infeasible
      [[3, 1], [-1]],
    ];
    // Act
    for (const [values, constraints] of vals) study.tell(study.ask().number, { values, constraints });
    // Assess
    expect(study.paretoFront.map((t) => t.number)).toEqual([0, 1, 4]);
  });

  it('round-trips through JSON and warm-starts a new study', () => {
    // Prepare
    const first = run(() => new TpeSampler({ nStartupTrials: 3 }), 3, 8);
    const json = JSON.parse(JSON.stringify(first.toJSON())) as StudySnapshot;
    // Act
    const restored = Study.fromJSON(json);
    const second = new Study({ space: mixed, sampler: new TpeSampler({ nStartupTrials: 3 }), seed: 9 });
    const added = second.warmStart(first.trials);
    const next = second.ask();
    // Assess
    expect(restored.toJSON()).toEqual(first.toJSON());
    expect(restored.bestTrial?.number).toBe(first.bestTrial?.number);
    expect(added).toBe(8);
    expect(second.trials[0]?.attrs.origin).toBe('warm-start');
    expect(next.number).toBe(8);
    expect(() => second.space.validate(next.params)).not.toThrow();
    expect(() => Study.fromJSON({ ...json, version: 2 } as never)).toThrow('snapshot.version: must be 1');
  });

  it('runs enqueued parameters first', () => {
    const study = new Study({ space: mixed, seed: 1 });
    study.enqueue({ lr: 0.01, layers: 1, model: 'tree', depth: 4 });
    expect(study.ask().params).toEqual({ lr: 0.01, layers: 1, model: 'tree', depth: 4 });
    expect(() => study.enqueue({ lr: 0.01, layers: 9, model: 'linear' })).toThrow(
      'layers: 9 is outside [1, 4]',
    );
  });
});
