/** The objective registry: benchmark functions and the ALL-USE backtest objective. */
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_TARGETS,
  BASELINE_PARAMS,
  type Bar,
  computeMetrics,
  dayToIso,
  isoToDay,
  PARAM_SPACE,
  runBacktest,
  weekdayOf,
  withTrialParams,
} from '../../../src/core/backtest/index.ts';
import {
  alluseBacktestObjective,
  backtestSpace,
  defaultObjectives,
  type MarketData,
  type ObjectiveContext,
  ObjectiveError,
  ObjectiveRegistry,
  validateBacktestConfig,
} from '../../../src/core/optimise/objectives.ts';
import {
  askBatch,
  createStudy,
  evaluateTrial,
  report,
  tellBatch,
} from '../../../src/core/optimise/service.ts';
import { SearchSpace } from '../../../src/core/optimise/space.ts';
import { InMemoryStudyStore } from '../../../src/core/optimise/store-memory.ts';

const ctx = (extra: Partial<ObjectiveContext> = {}): ObjectiveContext => ({
  trialNumber: 0,
  seed: 1,
  report: () => false,
  ...extra,
});

/** Weekday bars from Monday 2021-01-04 with a gentle oscillation, high/low ±1 %. */
function market(n: number): MarketData {
  const bars: Bar[] = [];
  let day = isoToDay('2021-01-04');
  for (let i = 0; i < n; i++) {
    while (weekdayOf(day) === 0 || weekdayOf(day) === 6) day++;
    const c = 100 * (1 + 0.08 * Math.sin(i / 9)) * (1 + 0.0005 * i);
    bars.push({ date: dayToIso(day), day, open: c, high: c * 1.01, low: c * 0.99, close: c });
    day++;
  }
  return { bars, vix: bars.map((_, i) => 18 + 6 * Math.sin(i / 15)) };
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('the registry', () => {
  it('holds the benchmark functions, alluse-backtest and model-training by name', () => {
    // Act
    const names = defaultObjectives().names();

    // Assess
    expect(names).toEqual([
      'ackley5',
      'alluse-backtest',
      'branin',
      'dtlz2',
      'hartmann6',
      'model-training',
      'rosenbrock5',
      'zdt1',
      'zdt2',
      'zdt3',
    ]);
  });

  it('refuses a second objective under a taken name and a malformed name', () => {
    // Prepare
    const registry = defaultObjectives();
    const branin = registry.get('branin')!;

    // Act / Assess
    expect(() => registry.register(branin)).toThrow(/name: "branin" is already registered/);
    expect(() => new ObjectiveRegistry().register({ ...branin, name: 'Bad Name' })).toThrow(ObjectiveError);
  });
});

describe('benchmark objectives', () => {
  it('evaluates Branin at a known minimiser to 0.397887 and takes x0, x1 on the BoTorch bounds', async () => {
    // Prepare
    const branin = defaultObjectives().get('branin')!;

    // Act
    const out = await branin.evaluate({ x0: Math.PI, x1: 2.275 }, {}, ctx());

    // Assess
    expect('values' in out && out.values[0]).toBeCloseTo(0.397887, 6);
    expect(branin.space({})).toEqual({
      x0: { type: 'float', low: -5, high: 10 },
      x1: { type: 'float', low: 0, high: 15 },
    });
    expect(branin.directions({})).toEqual(['minimize']);
  });

  it('gives the multi-objective problems one direction per objective and their dimension', () => {
    // Prepare
    const registry = defaultObjectives();

    // Act / Assess
    expect(registry.get('zdt1')!.directions({})).toEqual(['minimize', 'minimize']);
    expect(Object.keys(registry.get('zdt1')!.space({}))).toHaveLength(30);
    expect(registry.get('dtlz2')!.directions({})).toHaveLength(3);
    expect(Object.keys(registry.get('hartmann6')!.space({}))).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5']);
  });

  it('evaluates DTLZ2 on its front: the squared objectives sum to 1 when the distance variables are 0.5', async () => {
    // Prepare
    const dtlz2 = defaultObjectives().get('dtlz2')!;
    const params = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`x${i}`, i < 2 ? 0.3 : 0.5]));

    // Act
    const out = await dtlz2.evaluate(params, {}, ctx());

    // Assess
    const values = 'values' in out ? out.values : [];
    expect(values.reduce((a, v) => a + v * v, 0)).toBeCloseTo(1, 12);
  });

  it('takes no configuration, naming the unexpected key', () => {
    // Prepare
    const zdt2 = defaultObjectives().get('zdt2')!;

    // Act
    const error = thrown(() => zdt2.validateConfig({ noise: 0.1 }));

    // Assess
    expect(zdt2.validateConfig(undefined)).toEqual({});
    expect(error).toBeInstanceOf(ObjectiveError);
    expect(error).toMatchObject({ field: 'noise', message: 'noise: zdt2 takes no configuration' });
  });
});

describe('alluse-backtest configuration', () => {
  it('fills the defaults: the account’s first symbol, Sharpe, VIX-scaled volatility, no drawdown constraint', () => {
    // Act
    const c = validateBacktestConfig({ account: 'GEN' });

    // Assess
    expect(c).toEqual({
      account: 'GEN',
      symbol: 'TSLA',
      objectives: ['sharpe'],
      volModel: 'vix-scaled',
      respectDrawdownLimit: false,
    });
  });

  it('sets the directions from the metrics: returns maximised, drawdown minimised', () => {
    // Prepare
    const o = alluseBacktestObjective();

    // Act
    const config = o.validateConfig({ account: 'REV', symbol: 'AAPL', objectives: ['cagr', 'maxDrawdown'] });

    // Assess
    expect(o.directions(config)).toEqual(['maximize', 'minimize']);
  });

  it.each([
    [undefined, 'objectiveConfig', /needs an object/],
    [{}, 'account', /^account: must be one of GEN, REV, COM/],
    [{ account: 'GEN', symbol: 'tsla' }, 'symbol', /^symbol: must be a ticker/],
    [{ account: 'GEN', from: '2021-02-30' }, 'from', /^from: must be a date YYYY-MM-DD/],
    [{ account: 'GEN', from: '2022-01-01', to: '2021-01-01' }, 'from', /must not be after to/],
    [{ account: 'GEN', objectives: ['sharpe', 'sharpe'] }, 'objectives', /1 to 3 distinct metrics/],
    [{ account: 'GEN', objectives: ['alpha'] }, 'objectives', /of sharpe, sortino, calmar/],
    [{ account: 'GEN', volModel: 'garch' }, 'volModel', /vix-scaled/],
    [{ account: 'GEN', respectDrawdownLimit: 'yes' }, 'respectDrawdownLimit', /true or false/],
    [{ account: 'GEN', capital: 5 }, 'capital', /not a setting of alluse-backtest/],
  ])('refuses %j naming %s', (config, field, message) => {
    // Act
    const error = thrown(() => validateBacktestConfig(config));

    // Assess
    expect(error).toBeInstanceOf(ObjectiveError);
    if (field !== 'objectiveConfig') expect(error).toMatchObject({ field });
    expect((error as Error).message).toMatch(message);
  });
});

describe('alluse-backtest space', () => {
  it('narrows the delta range around each account’s baseline so deltaMin never exceeds deltaMax', () => {
    for (const account of ['GEN', 'REV', 'COM'] as const) {
      // Act
      const space = backtestSpace(account);
      new SearchSpace(space);

      // Assess
      const min = space.deltaMin as { low: number; high: number };
      const max = space.deltaMax as { low: number; high: number };
      expect(min.low).toBeLessThanOrEqual(BASELINE_PARAMS[account].deltaMin);
      expect(min.high).toBeGreaterThanOrEqual(BASELINE_PARAMS[account].deltaMin);
      expect(max.low).toBeLessThanOrEqual(BASELINE_PARAMS[account].deltaMax);
      expect(max.high).toBeGreaterThanOrEqual(BASELINE_PARAMS[account].deltaMax);
      expect(min.high).toBeLessThanOrEqual(max.low);
      expect(Object.keys(space)).toEqual(Object.keys(PARAM_SPACE));
    }
    expect(backtestSpace('GEN').deltaMin).toMatchObject({ low: 0.3, high: 0.45 });
    expect(backtestSpace('COM').deltaMax).toMatchObject({ low: 0.25, high: 0.4 });
  });

  it('refuses a study space with a parameter that is not a protocol knob, or a categorical one', () => {
    // Prepare
    const o = alluseBacktestObjective();
    const config = o.validateConfig({ account: 'GEN' });

    // Act
    const unknown = thrown(() =>
      o.validateSpace?.(new SearchSpace({ leverage: { type: 'float', low: 1, high: 2 } }), config),
    );
    const categorical = thrown(() =>
      o.validateSpace?.(new SearchSpace({ maxRolls: { type: 'categorical', choices: [0, 1] } }), config),
    );

    // Assess
    expect((unknown as Error).message).toBe('space.leverage: not a protocol parameter (see PARAM_SPACE)');
    expect((categorical as Error).message).toMatch(/space\.maxRolls: protocol parameters are numbers/);
  });
});

describe('alluse-backtest evaluation', () => {
  const data = market(320);

  it('returns the metrics of the backtest of the baseline with the trial’s values merged in', async () => {
    // Prepare
    const o = alluseBacktestObjective();
    const config = o.validateConfig({
      account: 'REV',
      symbol: 'AAPL',
      objectives: ['sharpe', 'maxDrawdown'],
      volModel: 'realised',
      respectDrawdownLimit: true,
      from: '2021-01-04',
      to: '2021-12-31',
    });
    const params = { profitTakePct: 0.65, rollDte: 1, deltaMin: 0.3, deltaMax: 0.38 };
    const asked: string[] = [];

    // Act
    const out = await o.evaluate(
      params,
      config,
      ctx({
        loadMarketData: async ({ symbol }) => {
          asked.push(symbol);
          return data;
        },
      }),
    );

    // Assess: the same figures as calling the backtester directly on the 2021 bars.
    const keep = data.bars.map((_b, i) => i).filter((i) => (data.bars[i] as Bar).date <= '2021-12-31');
    const r = runBacktest({
      bars: keep.map((i) => data.bars[i] as Bar),
      vix: keep.map((i) => data.vix[i] as number),
      params: withTrialParams(BASELINE_PARAMS.REV, params),
      market: { volModel: 'realised' },
    });
    const m = computeMetrics(
      r.weeks.map((w) => w.return),
      { equity: r.equity, initial: r.initialCapital },
    );
    expect(asked).toEqual(['AAPL']);
    expect(out).toEqual({
      values: [m.sharpe, m.maxDrawdown],
      constraints: [m.maxDrawdown - ACCOUNT_TARGETS.REV.maxDrawdown],
    });
    expect(keep.length).toBeLessThan(data.bars.length);
  });

  it('fails the trial, with the reason, without the market-data loader or with an invalid combination', async () => {
    // Prepare
    const registry = defaultObjectives();
    const store = new InMemoryStudyStore();
    const deps = { store, objectives: registry, now: () => 0 };
    const { study } = await createStudy(
      deps,
      {
        name: 'bt',
        objective: 'alluse-backtest',
        objectiveConfig: { account: 'GEN' },
        budget: { maxTrials: 2 },
      },
      { id: 'bt' },
    );

    // Act
    const noLoader = await evaluateTrial(registry, study.definition, {
      number: 0,
      params: { ...baseline('GEN') },
    });
    const badFill = await evaluateTrial(
      registry,
      { ...study.definition, space: PARAM_SPACE },
      { number: 0, params: { ...baseline('GEN'), deltaMin: 0.5, deltaMax: 0.4 } },
      { context: { loadMarketData: async () => data } },
    );

    // Assess
    expect(noLoader).toEqual({
      state: 'failed',
      error:
        'alluse-backtest: Error: alluse-backtest: context.loadMarketData is missing (the handler must supply the bars)',
    });
    expect(badFill).toEqual({
      state: 'failed',
      error: 'alluse-backtest: ParamsError: deltaMin must be <= deltaMax (0.4), got 0.5',
    });
  });

  it('runs a small study end to end through the service', async () => {
    // Prepare
    const registry = defaultObjectives();
    const deps = { store: new InMemoryStudyStore(), objectives: registry, now: () => 0 };
    await createStudy(
      deps,
      {
        name: 'gen-sharpe',
        objective: 'alluse-backtest',
        objectiveConfig: { account: 'GEN', volModel: 'realised' },
        budget: { maxTrials: 4 },
        batchSize: 2,
        sampler: 'random',
        seed: 9,
      },
      { id: 'gen' },
    );
    const { definition } = await deps.store.getStudy('gen');

    // Act
    for (;;) {
      const ask = await askBatch(deps, 'gen', { workerId: 'w' });
      if (ask.done) break;
      const results = await Promise.all(
        ask.trials.map(async (t) => ({
          number: t.number,
          result: await evaluateTrial(registry, definition, t, {
            context: { loadMarketData: async () => data },
          }),
        })),
      );
      await tellBatch(deps, 'gen', results);
    }
    const r = await report(deps, 'gen');

    // Assess
    expect(r).toMatchObject({ status: 'completed', reason: 'budget', counts: { total: 4, complete: 4 } });
    expect(Number.isFinite(r.best?.values[0])).toBe(true);
  });
});

/** The baseline's values of the tunable parameters (a valid trial). */
function baseline(account: 'GEN' | 'REV' | 'COM'): Record<string, number> {
  const b = BASELINE_PARAMS[account] as unknown as Record<string, number>;
  return Object.fromEntries(Object.keys(PARAM_SPACE).map((k) => [k, b[k] as number]));
}
