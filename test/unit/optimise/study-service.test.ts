/**
 * The study service (src/core/optimise/service.ts) on the in-memory store, driven the way the Step
 * Functions workflow drives it: ask → evaluate each trial → tell, until the ask says done → report.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultObjectives,
  type Objective,
  ObjectiveRegistry,
} from '../../../src/core/optimise/objectives.ts';
import { branin } from '../../../src/core/optimise/problems.ts';
import { dominates } from '../../../src/core/optimise/rank.ts';
import {
  askBatch,
  createStudy,
  evaluateTrial,
  loadTrials,
  onPlateau,
  report,
  type StudyServiceDeps,
  stopStudy,
  tellBatch,
  validateStudyDefinition,
} from '../../../src/core/optimise/service.ts';
import type { Params } from '../../../src/core/optimise/space.ts';
import { type StudyDefinition, StudyStoreError, type TrialResult } from '../../../src/core/optimise/store.ts';
import { InMemoryStudyStore } from '../../../src/core/optimise/store-memory.ts';
import type { TrialRecord } from '../../../src/core/optimise/types.ts';

const T0 = Date.UTC(2024, 0, 2, 10, 0, 0);
const MINUTE = 60_000;

const x = { type: 'float', low: 0, high: 1 } as const;
const testObjectives: Objective[] = [
  {
    name: 'flaky',
    description: 'x² that throws for x > 0.7',
    validateConfig: () => ({}),
    space: () => ({ x }),
    directions: () => ['minimize'],
    async evaluate(p) {
      if ((p.x as number) > 0.7) throw new Error(`x = ${p.x} is too large`);
      return { values: [(p.x as number) ** 2] };
    },
  },
  {
    name: 'flat',
    description: 'always 1',
    validateConfig: () => ({}),
    space: () => ({ x }),
    directions: () => ['minimize'],
    evaluate: async () => ({ values: [1] }),
  },
  {
    name: 'slow-descent',
    description: '10 − 0.01 × trial number: improves by less than 0.1 each trial',
    validateConfig: () => ({}),
    space: () => ({ x }),
    directions: () => ['minimize'],
    evaluate: async (_p, _c, ctx) => ({ values: [10 - 0.01 * ctx.trialNumber] }),
  },
  {
    name: 'misbehaving',
    description: 'returns what the config says',
    validateConfig: (c) => (c ?? {}) as never,
    space: () => ({ x }),
    directions: () => ['minimize'],
    async evaluate(_p, c, ctx) {
      if (c.mode === 'two-values') return { values: [1, 2] };
      if (c.mode === 'nan') return { values: [Number.NaN] };
      if (c.mode === 'hang') return new Promise(() => {});
      if (c.mode === 'epochs') {
        for (let step = 0; step < 10; step++) {
          if (ctx.report(step, 5 - step * 0.1)) return { pruned: true };
        }
        return { values: [4] };
      }
      return { values: [0] };
    },
  },
];

function setup(): { deps: StudyServiceDeps; advance: (ms: number) => void } {
  let t = T0;
  const objectives = defaultObjectives();
  for (const o of testObjectives) objectives.register(o);
  return {
    deps: { store: new InMemoryStudyStore(), objectives, now: () => t },
    advance: (ms) => {
      t += ms;
    },
  };
}

interface DriveOptions {
  /** Trials whose tell never arrives (the Lambda died after the ask). */
  readonly drop?: (trial: { readonly number: number; readonly params: Params }) => boolean;
  /** Called after each tell, with the step number. */
  readonly afterTell?: (step: number) => Promise<void>;
  readonly staleAfterMs?: number;
}

/** The workflow's loop: ask, evaluate in parallel, tell, one minute per step, until done; then report. */
async function drive(setupResult: ReturnType<typeof setup>, id: string, opts: DriveOptions = {}) {
  const { deps, advance } = setupResult;
  const asks: number[][] = [];
  for (let step = 0; step < 500; step++) {
    const ask = await askBatch(deps, id, {
      workerId: 'exec-1',
      askId: `exec-1#${step}`,
      staleAfterMs: opts.staleAfterMs ?? 5 * MINUTE,
    });
    if (ask.done) return { ask, asks, report: await report(deps, id) };
    asks.push(ask.trials.map((t) => t.number));
    if (ask.trials.length > 0) {
      const { definition } = await deps.store.getStudy(id);
      const kept = ask.trials.filter((t) => !opts.drop?.(t));
      const results = await Promise.all(
        kept.map(async (t) => ({
          number: t.number,
          result: await evaluateTrial(deps.objectives, definition, t),
        })),
      );
      await tellBatch(deps, id, results);
      await opts.afterTell?.(step);
    }
    advance(MINUTE);
  }
  throw new Error('the study did not finish in 500 steps');
}

describe('a full study', () => {
  it('runs branin to its budget: every trial complete, the reported best is the minimum of the trials', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'branin', objective: 'branin', budget: { maxTrials: 30 }, batchSize: 4, seed: 3 },
      { id: 'b1' },
    );

    // Act
    const { ask, asks, report: r } = await drive(s, 'b1');

    // Assess
    expect(ask).toMatchObject({ done: true, reason: 'budget' });
    expect(asks.map((a) => a.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
    expect(asks.flat()).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(r).toMatchObject({
      studyId: 'b1',
      status: 'completed',
      reason: 'budget',
      counts: { running: 0, complete: 30, pruned: 0, failed: 0, total: 30 },
      directions: ['minimize'],
    });
    const trials = await loadTrials(s.deps.store, 'b1');
    for (const t of trials)
      expect(t.values?.[0]).toBeCloseTo(branin([t.params.x0 as number, t.params.x1 as number]), 12);
    const min = Math.min(...trials.map((t) => t.values?.[0] as number));
    expect(r.best?.values).toEqual([min]);
    expect(min).toBeGreaterThanOrEqual(0.397887 - 1e-6);
    expect(r.front).toBeUndefined();
    expect(await report(s.deps, 'b1')).toEqual(r);
  });

  it('is deterministic for a seed: two runs ask the same parameters in the same order', async () => {
    // Prepare
    const a = setup();
    const b = setup();
    const body = { name: 'h6', objective: 'hartmann6', budget: { maxTrials: 16 }, batchSize: 3, seed: 11 };
    await createStudy(a.deps, body, { id: 'one' });
    await createStudy(b.deps, body, { id: 'two' });

    // Act
    await drive(a, 'one');
    await drive(b, 'two');

    // Assess
    const pa = (await loadTrials(a.deps.store, 'one')).map((t) => t.params);
    const pb = (await loadTrials(b.deps.store, 'two')).map((t) => t.params);
    expect(pa).toHaveLength(16);
    expect(pa).toEqual(pb);
  });

  it('reports a Pareto front for several objectives: no front trial dominates another', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      {
        name: 'zdt1',
        objective: 'zdt1',
        budget: { maxTrials: 24 },
        batchSize: 8,
        sampler: { type: 'nsga2', populationSize: 8 },
      },
      { id: 'z1' },
    );

    // Act
    const { report: r } = await drive(s, 'z1');

    // Assess
    expect(r.status).toBe('completed');
    expect(r.best).toBeUndefined();
    expect(r.frontSize).toBe(r.front?.length);
    expect(r.front?.length).toBeGreaterThan(0);
    const front = r.front ?? [];
    for (const p of front) for (const q of front) expect(dominates(p.values, q.values)).toBe(false);
    const all = await loadTrials(s.deps.store, 'z1');
    for (const t of all) {
      if (front.some((f) => f.number === t.number)) continue;
      expect(front.some((f) => dominates(f.values, t.values as number[]))).toBe(true);
    }
    expect(all.filter((t) => (t.attrs.nsga as { g: number }).g === 2)).toHaveLength(8);
  });
});

describe('faults', () => {
  it('recovers a trial whose tell never arrived, asks its parameters again, and still reaches the budget', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'crash', objective: 'branin', budget: { maxTrials: 12 }, batchSize: 4, seed: 5 },
      { id: 'c1' },
    );

    // Act: trial 5's Lambda dies; it is stale after 5 minutes (one step is one minute).
    const { report: r } = await drive(s, 'c1', { drop: (t) => t.number === 5 });

    // Assess
    const trials = await loadTrials(s.deps.store, 'c1');
    const lost = trials[5];
    expect(lost).toMatchObject({ state: 'failed', lost: true, error: expect.stringMatching(/^worker lost/) });
    const retry = trials.find((t) => t.attrs.retryOf === 5);
    expect(retry).toMatchObject({
      state: 'complete',
      params: lost?.params,
      attrs: { origin: 'retry', retryOf: 5 },
    });
    expect(r).toMatchObject({
      status: 'completed',
      reason: 'budget',
      counts: { running: 0, complete: 12, failed: 1, pruned: 0, total: 13 },
    });
  });

  it('retries a lost trial at most `retries` times, then counts it as failed', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'poison', objective: 'branin', budget: { maxTrials: 6 }, batchSize: 2, retries: 1, seed: 5 },
      { id: 'p1' },
    );

    // Act: trial 1 and its retry (the same parameters) both lose their worker.
    let poison: string | undefined;
    const { report: r } = await drive(s, 'p1', {
      drop: (t) => {
        if (t.number === 1) poison = JSON.stringify(t.params);
        return JSON.stringify(t.params) === poison;
      },
    });

    // Assess
    const trials = await loadTrials(s.deps.store, 'p1');
    const lost = trials.filter((t) => t.lost).map((t) => t.number);
    expect(lost).toHaveLength(2);
    expect(trials.filter((t) => t.attrs.retryOf !== undefined)).toHaveLength(1);
    expect(r.counts).toEqual({ running: 0, complete: 5, pruned: 0, failed: 2, total: 7 });
  });

  it('records an objective that throws as a failed trial with its message; the study goes on', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'flaky', objective: 'flaky', budget: { maxTrials: 20 }, sampler: 'qmc', seed: 1 },
      { id: 'f1' },
    );

    // Act
    const { report: r } = await drive(s, 'f1');

    // Assess
    const trials = await loadTrials(s.deps.store, 'f1');
    const failed = trials.filter((t) => t.state === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) {
      expect(t.params.x).toBeGreaterThan(0.7);
      expect(t.error).toBe(`flaky: Error: x = ${t.params.x} is too large`);
    }
    expect(r.status).toBe('completed');
    expect(r.counts.complete + r.counts.failed).toBe(20);
  });

  it('records a Step Functions error caught by the Map as a failed trial', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'crash', objective: 'branin', budget: { maxTrials: 2 }, batchSize: 2 },
      { id: 'e1' },
    );
    const ask = await askBatch(s.deps, 'e1', { workerId: 'w' });

    // Act
    const told = await tellBatch(s.deps, 'e1', [
      { number: 0, error: { Error: 'States.Timeout', Cause: 'Task timed out after 900 seconds' } },
      { number: 1, result: { state: 'complete', values: [1, 2] } },
    ]);

    // Assess
    expect(ask.trials).toHaveLength(2);
    expect(told.outcomes).toEqual([
      { number: 0, outcome: 'stored' },
      { number: 1, outcome: 'stored' },
    ]);
    const [t0, t1] = await loadTrials(s.deps.store, 'e1');
    expect(t0?.error).toBe('evaluation crashed: States.Timeout: Task timed out after 900 seconds');
    expect(t1).toMatchObject({ state: 'failed', error: 'bad result: returned 2 value(s), expected 1' });
    expect((await report(s.deps, 'e1')).status).toBe('failed');
  });
});

describe('stopping', () => {
  it('stops on a plateau: one improvement, then `trials` evaluated trials without one', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'flat', objective: 'flat', budget: { maxTrials: 100, plateau: { trials: 5 } }, batchSize: 1 },
      { id: 'pl' },
    );

    // Act
    const { ask, report: r } = await drive(s, 'pl');

    // Assess: trial 0 sets the best; trials 1..5 do not improve it.
    expect(ask.reason).toBe('plateau');
    expect(r).toMatchObject({ status: 'completed', reason: 'plateau', counts: { total: 6, complete: 6 } });
  });

  it('counts improvements smaller than minImprovement as none', async () => {
    // Prepare: values 10, 9.99, 9.98, ...; with minImprovement 0.035 only every 4th trial improves
    // (9.96 is the first below 10 − 0.035), so runs without an improvement are 3 trials long.
    const s = setup();
    const body = (trials: number) => ({
      name: 'slow',
      objective: 'slow-descent',
      budget: { maxTrials: 40, plateau: { trials, minImprovement: 0.035 } },
      batchSize: 1,
    });
    await createStudy(s.deps, body(4), { id: 'sd4' });
    await createStudy(s.deps, body(3), { id: 'sd3' });

    // Act
    const four = await drive(s, 'sd4');
    const three = await drive(s, 'sd3');

    // Assess
    expect(four.report).toMatchObject({ reason: 'budget', counts: { total: 40 } });
    expect(three.report).toMatchObject({ reason: 'plateau', counts: { total: 4 } });
  });

  it('stops at the deadline, even with budget left', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      {
        name: 'late',
        objective: 'branin',
        budget: { maxTrials: 100, deadline: T0 + 3 * MINUTE + 1 },
        batchSize: 2,
      },
      { id: 'dl' },
    );

    // Act
    const { ask, report: r } = await drive(s, 'dl');

    // Assess: asks at T0, +1, +2 and +3 minutes; the one at +4 minutes is past the deadline.
    expect(ask.reason).toBe('deadline');
    expect(r).toMatchObject({ status: 'completed', reason: 'deadline', counts: { total: 8, complete: 8 } });
  });

  it('honours a stop request at the next ask and reports the study as stopped', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'stop', objective: 'branin', budget: { maxTrials: 100 }, batchSize: 2 },
      { id: 'st' },
    );

    // Act
    const { ask, report: r } = await drive(s, 'st', {
      afterTell: async (step) => {
        if (step === 1) await stopStudy(s.deps, 'st');
      },
    });

    // Assess
    expect(ask).toMatchObject({ done: true, reason: 'stopped' });
    expect(r).toMatchObject({ status: 'stopped', reason: 'stopped', counts: { total: 4, complete: 4 } });
    expect((await stopStudy(s.deps, 'st')).outcome).toBe('conflict');
    expect(await askBatch(s.deps, 'st', { workerId: 'w' })).toMatchObject({ done: true, reason: 'finished' });
  });

  it('fails trials still running when the study is reported', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'stop', objective: 'branin', budget: { maxTrials: 10 }, batchSize: 3 },
      { id: 'sr' },
    );
    await askBatch(s.deps, 'sr', { workerId: 'w' });
    await tellBatch(s.deps, 'sr', [{ number: 0, result: { state: 'complete', values: [5] } }]);
    await stopStudy(s.deps, 'sr');

    // Act
    const r = await report(s.deps, 'sr');

    // Assess
    expect(r).toMatchObject({ status: 'stopped', counts: { complete: 1, failed: 2, running: 0 } });
    expect(r.best?.values).toEqual([5]);
    const late = await tellBatch(s.deps, 'sr', [{ number: 1, result: { state: 'complete', values: [1] } }]);
    expect(late.outcomes).toEqual([{ number: 1, outcome: 'conflict' }]);
  });
});

describe('retried steps', () => {
  it('gives a retried ask (same askId) the trials the first attempt reserved', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'r', objective: 'branin', budget: { maxTrials: 10 }, batchSize: 3 },
      { id: 'ra' },
    );

    // Act
    const first = await askBatch(s.deps, 'ra', { workerId: 'w', askId: 'exec#1' });
    const retried = await askBatch(s.deps, 'ra', { workerId: 'w', askId: 'exec#1' });
    const next = await askBatch(s.deps, 'ra', { workerId: 'w', askId: 'exec#2' });

    // Assess
    expect(retried.trials).toEqual(first.trials);
    expect(next.trials.map((t) => t.number)).toEqual([3, 4, 5]);
  });

  it('answers a repeated tell with duplicate and keeps the first result', async () => {
    // Prepare
    const s = setup();
    await createStudy(s.deps, { name: 'r', objective: 'branin', budget: { maxTrials: 10 } }, { id: 'rt' });
    await askBatch(s.deps, 'rt', { workerId: 'w' });
    const result: TrialResult = { state: 'complete', values: [3] };

    // Act
    const a = await tellBatch(s.deps, 'rt', [{ number: 0, result }]);
    const b = await tellBatch(s.deps, 'rt', [{ number: 0, result }]);

    // Assess
    expect(a.outcomes[0]?.outcome).toBe('stored');
    expect(b.outcomes[0]?.outcome).toBe('duplicate');
  });

  it('treats a repeated create as the same study, and another body under the same id as a conflict', async () => {
    // Prepare
    const s = setup();
    const body = { name: 'r', objective: 'branin', budget: { maxTrials: 10 } };
    const first = await createStudy(s.deps, body, { id: 'rc' });

    // Act
    const again = await createStudy(s.deps, body, { id: 'rc' });
    const other = createStudy(s.deps, { ...body, budget: { maxTrials: 11 } }, { id: 'rc' });

    // Assess
    expect(first.created).toBe(true);
    expect(again).toEqual({ study: first.study, created: false });
    await expect(other).rejects.toMatchObject({
      code: 'conflict',
      message: 'study rc already exists with another definition',
    });
  });

  it('never gives two concurrent askers the same trial nor more trials than the budget', async () => {
    // Prepare
    const s = setup();
    await createStudy(
      s.deps,
      { name: 'r', objective: 'branin', budget: { maxTrials: 10 }, batchSize: 8 },
      { id: 'cc' },
    );

    // Act
    const [a, b] = await Promise.all([
      askBatch(s.deps, 'cc', { workerId: 'a' }),
      askBatch(s.deps, 'cc', { workerId: 'b' }),
    ]);

    // Assess
    const numbers = [...a.trials, ...b.trials].map((t) => t.number).sort((p, q) => p - q);
    expect(numbers).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });
});

describe('evaluateTrial', () => {
  const def = (mode: string, extra: Partial<StudyDefinition> = {}) =>
    validateStudyDefinition(
      { name: 'm', objective: 'misbehaving', objectiveConfig: { mode }, budget: { maxTrials: 5 }, ...extra },
      setup().deps.objectives,
      { id: 'm', now: T0 },
    );

  it('turns a wrong number of values, a NaN, a timeout and out-of-space params into failures', async () => {
    // Prepare
    const objectives = setup().deps.objectives;

    // Act
    const two = await evaluateTrial(objectives, def('two-values'), { number: 0, params: { x: 0.5 } });
    const nan = await evaluateTrial(objectives, def('nan'), { number: 0, params: { x: 0.5 } });
    const hang = await evaluateTrial(
      objectives,
      def('hang'),
      { number: 0, params: { x: 0.5 } },
      { timeoutMs: 20 },
    );
    const outside = await evaluateTrial(objectives, def('ok'), { number: 0, params: { x: 2 } });
    const unknown = await evaluateTrial(
      objectives,
      { ...def('ok'), objective: 'gone' },
      { number: 0, params: { x: 0.5 } },
    );

    // Assess
    expect(two).toEqual({ state: 'failed', error: 'misbehaving: returned 2 value(s), expected 1' });
    expect(nan).toEqual({ state: 'failed', error: 'misbehaving: values[0] is NaN, not a finite number' });
    expect(hang).toEqual({ state: 'failed', error: 'misbehaving: Error: timed out after 20 ms' });
    expect(outside).toEqual({ state: 'failed', error: 'params: x: 2 is outside [0, 1]' });
    expect(unknown).toEqual({ state: 'failed', error: 'objective "gone" is not registered here' });
  });

  it('prunes a trial whose intermediate values are worse than the median of its peers', async () => {
    // Prepare: peers reached 1.0 at every step; this trial reports 5 − 0.1·step.
    const objectives = setup().deps.objectives;
    const d = def('epochs', { pruner: { type: 'median', nStartupTrials: 2 } } as never);
    const peers: TrialRecord[] = [0, 1, 2].map((n) => ({
      number: n,
      state: 'complete',
      params: { x: 0.1 },
      values: [1],
      intermediate: Array.from({ length: 10 }, (_, s) => [s, 1] as [number, number]),
      attrs: {},
    }));

    // Act
    const pruned = await evaluateTrial(objectives, d, { number: 3, params: { x: 0.5 } }, { peers });
    const unpruned = await evaluateTrial(objectives, d, { number: 3, params: { x: 0.5 } });

    // Assess
    expect(pruned).toEqual({ state: 'pruned', intermediate: [[0, 5]] });
    expect(unpruned.state).toBe('complete');
    expect(unpruned.state === 'complete' && unpruned.intermediate?.length).toBe(10);
  });
});

describe('onPlateau', () => {
  const trial = (number: number, values: number[], extra: Partial<TrialRecord> = {}): TrialRecord => ({
    number,
    state: 'complete',
    params: {},
    values,
    intermediate: [],
    attrs: {},
    ...extra,
  });

  it('counts the trials since the last improvement of the single best value', () => {
    // Prepare: best 5 → 3 (trial 2); then 3.5, 4, 3 (ties do not improve).
    const ts = [trial(0, [5]), trial(1, [6]), trial(2, [3]), trial(3, [3.5]), trial(4, [4]), trial(5, [3])];

    // Act / Assess
    expect(onPlateau(['minimize'], ts, { trials: 3, minImprovement: 0 })).toBe(true);
    expect(onPlateau(['minimize'], ts, { trials: 4, minImprovement: 0 })).toBe(false);
    // Maximising, the best is 6 (trial 1), followed by 4 trials without an improvement.
    expect(onPlateau(['maximize'], ts, { trials: 4, minImprovement: 0 })).toBe(true);
    expect(onPlateau(['maximize'], ts, { trials: 5, minImprovement: 0 })).toBe(false);
  });

  it('with several objectives, a trial that extends the front is an improvement', () => {
    // Prepare: (1,4) (4,1) front; (2,2) extends it; (3,3) and (2,5) are dominated.
    const ts = [trial(0, [1, 4]), trial(1, [4, 1]), trial(2, [2, 2]), trial(3, [3, 3]), trial(4, [2, 5])];

    // Act / Assess
    expect(onPlateau(['minimize', 'minimize'], ts, { trials: 2, minImprovement: 0 })).toBe(true);
    expect(onPlateau(['minimize', 'minimize'], ts, { trials: 3, minImprovement: 0 })).toBe(false);
  });

  it('ignores failed trials, counts pruned and infeasible ones, and starts at the first feasible trial', () => {
    // Prepare
    const ts = [
      trial(0, [1], { constraints: [1] }),
      trial(1, [2]),
      trial(2, [0], { state: 'failed' }),
      trial(3, [0.5], { constraints: [0.1] }),
      trial(4, [9], { state: 'pruned' }),
    ];

    // Act / Assess: since trial 1 (the first feasible): 3 and 4 count, 2 does not.
    expect(onPlateau(['minimize'], ts, { trials: 2, minImprovement: 0 })).toBe(true);
    expect(onPlateau(['minimize'], ts, { trials: 3, minImprovement: 0 })).toBe(false);
  });
});

describe('study definitions', () => {
  const objectives = setup().deps.objectives;
  const validate = (body: unknown) => validateStudyDefinition(body, objectives, { id: 'x1', now: T0 });
  const base = { name: 'b', objective: 'branin', budget: { maxTrials: 10 } };

  it('resolves the defaults: space, directions, sampler (TPE with constant liar in batches), seed, batch, retries', () => {
    // Act
    const d = validate(base);
    const mo = validate({ ...base, objective: 'dtlz2' });
    const one = validate({ ...base, batchSize: 1 });

    // Assess
    expect(d).toEqual({
      name: 'b',
      objective: 'branin',
      objectiveConfig: {},
      space: { x0: { type: 'float', low: -5, high: 10 }, x1: { type: 'float', low: 0, high: 15 } },
      directions: ['minimize'],
      sampler: { type: 'tpe', constantLiar: true },
      seed: d.seed,
      budget: { maxTrials: 10 },
      batchSize: 8,
      retries: 1,
    });
    expect(d.seed).toBe(validate(base).seed);
    expect(validateStudyDefinition(base, objectives, { id: 'x2', now: T0 }).seed).not.toBe(d.seed);
    expect(mo.sampler).toEqual({ type: 'nsga2' });
    expect(mo.directions).toEqual(['minimize', 'minimize', 'minimize']);
    expect(one.sampler).toEqual({ type: 'tpe', constantLiar: false });
  });

  it.each([
    [{ ...base, name: '' }, 'name', /^name: must be a non-empty string/],
    [
      { ...base, objective: 'nope' },
      'objective',
      /"nope" is not registered \(known: ackley5, alluse-backtest, branin/,
    ],
    [{ ...base, budget: { maxTrials: 0 } }, 'budget.maxTrials', /must be an integer 1\.\.10000/],
    [{ ...base, budget: { maxTrials: 5, deadline: T0 - 1 } }, 'budget.deadline', /in the future/],
    [
      { ...base, budget: { maxTrials: 5, plateau: { trials: 3, minImprovement: -1 } } },
      'budget.plateau.minImprovement',
      />= 0/,
    ],
    [{ ...base, batchSize: 51 }, 'batchSize', /1\.\.50/],
    [{ ...base, retries: 6 }, 'retries', /0\.\.5/],
    [{ ...base, seed: 1.5 }, 'seed', /integer/],
    [{ ...base, colour: 'red' }, 'colour', /not a field of a study/],
    [{ ...base, directions: ['minimize', 'minimize'] }, 'directions', /branin returns 1 value/],
    [{ ...base, objective: 'zdt1', sampler: 'cmaes' }, 'sampler.type', /single objective/],
    [
      { ...base, sampler: { type: 'tpe', nStartupTrials: -1 } },
      'sampler',
      /sampler\.nStartupTrials: must be an integer >= 0/,
    ],
    [{ ...base, sampler: { type: 'random', seed: 1 } }, 'sampler.seed', /random takes no options/],
    [{ ...base, sampler: 'annealing' }, 'sampler.type', /must be one of random, qmc, tpe, cmaes, gp, nsga2/],
    [{ ...base, objective: 'zdt1', pruner: 'median' }, 'pruner', /single-objective/],
    [
      { ...base, space: { x0: { type: 'float', low: 1, high: 0 } } },
      'space',
      /x0: low \(1\) must be <= high/,
    ],
    [
      { ...base, space: { y: { type: 'float', low: 0, high: 1 } } },
      'space',
      /branin needs the numeric parameters x0, x1/,
    ],
    [
      { ...base, objectiveConfig: { noise: 1 } },
      'objectiveConfig.noise',
      /noise: branin takes no configuration/,
    ],
  ])('refuses %j naming %s', (body, field, message) => {
    // Act
    let error: unknown;
    try {
      validate(body);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(StudyStoreError);
    expect(error).toMatchObject({ code: 'invalid', field });
    expect((error as Error).message).toMatch(message);
  });
});

describe('objective registry extension', () => {
  it('accepts a new objective registered by the handler (the model-training slot)', async () => {
    // Prepare
    const registry = new ObjectiveRegistry();
    registry.register({
      name: 'model-training',
      description: 'stand-in',
      validateConfig: () => ({}),
      space: () => ({ lr: { type: 'float', low: 1e-4, high: 1, log: true } }),
      directions: () => ['maximize'],
      evaluate: async (p, _c, ctx) => ({
        values: [(ctx.services!.score as (lr: number) => number)(p.lr as number)],
      }),
    });
    const d = validateStudyDefinition(
      { name: 'mt', objective: 'model-training', budget: { maxTrials: 3 } },
      registry,
      {
        id: 'mt',
        now: T0,
      },
    );

    // Act
    const r = await evaluateTrial(
      registry,
      d,
      { number: 0, params: { lr: 0.01 } },
      {
        context: { services: { score: (lr: number) => -Math.log10(lr) } },
      },
    );

    // Assess
    expect(r).toEqual({ state: 'complete', values: [2] });
  });
});
