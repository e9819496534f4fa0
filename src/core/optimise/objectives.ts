/**
 * Objectives by name: what a study optimises. A study definition names an objective and gives it a
 * configuration; the objective supplies the default search space and directions, validates its
 * configuration, and evaluates one trial's parameters.
 *
 * Registered by default: the benchmark test functions of problems.ts (branin, hartmann6, rosenbrock5,
 * ackley5, zdt1, zdt2, zdt3, dtlz2) and `alluse-backtest` (the protocol backtester of src/core/backtest).
 * Objectives stay pure: anything that needs I/O (the backtest's price bars, a training job's data) comes
 * from the {@link ObjectiveContext} that the Lambda handler builds. Further objectives (the model-training
 * objective of the learning platform) are added with {@link ObjectiveRegistry.register} by whoever wires
 * the handler; their providers travel in `context.services`.
 */

import {
  ACCOUNT_SYMBOLS,
  ACCOUNT_TARGETS,
  BASELINE_PARAMS,
  type Bar,
  computeMetrics,
  isoToDay,
  PARAM_SPACE,
  type PerformanceMetrics,
  runBacktest,
  type VolModel,
  withTrialParams,
} from '../backtest/index.ts';
import { ACCOUNT_TYPES, type AccountType } from '../events/constants.ts';
// model-training.ts imports ObjectiveError from here; the cycle is safe: it is used only inside functions.
import { modelTrainingObjective } from './model-training.ts';
import { PROBLEMS, type Problem } from './problems.ts';
import type { FloatParam, Params, SearchSpace, SpaceSpec } from './space.ts';
import type { Direction, Json } from './types.ts';

/** A JSON object: an objective's configuration. */
export type JsonObject = { readonly [k: string]: Json };

/** Raised by an objective for a bad configuration or space; `field` is the path inside the configuration. */
export class ObjectiveError extends Error {
  override readonly name = 'ObjectiveError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Daily bars of one symbol with the VIX close aligned to them (see alignVix in src/core/backtest). */
export interface MarketData {
  readonly bars: readonly Bar[];
  readonly vix: readonly number[];
}

/** What the handler gives an objective while it evaluates one trial. */
export interface ObjectiveContext {
  readonly trialNumber: number;
  /** A seed for this trial (from the study seed and the trial number), for objectives with randomness. */
  readonly seed: number;
  /**
   * Records an intermediate value (e.g. a validation loss after an epoch) and returns true when the study's
   * pruner says to stop: the objective should then return `{ pruned: true }`.
   */
  report(step: number, value: number): boolean;
  /** Aborted when the evaluation's time is up. */
  readonly signal?: AbortSignal;
  /** Price bars and aligned VIX of a symbol (alluse-backtest); the handler reads and caches them. */
  readonly loadMarketData?: (request: { readonly symbol: string }) => Promise<MarketData>;
  /** Providers for objectives registered outside this module (e.g. the model-training objective). */
  readonly services?: Readonly<Record<string, unknown>>;
}

/** What an evaluation gives back: one value per direction (and constraints, feasible when <= 0), or pruned. */
export type ObjectiveOutcome =
  | { readonly values: readonly number[]; readonly constraints?: readonly number[] }
  | { readonly pruned: true };

/** An objective a study can name. */
export interface Objective {
  readonly name: string;
  readonly description: string;
  /** Checks a configuration (undefined means none) and returns it with defaults filled in. */
  validateConfig(config: unknown): JsonObject;
  /** The search space used when the study gives none. */
  space(config: JsonObject): SpaceSpec;
  /** One direction per value the objective returns (a study cannot override them). */
  directions(config: JsonObject): Direction[];
  /** Rejects a study's own space when the objective cannot take it (throws ObjectiveError). */
  validateSpace?(space: SearchSpace, config: JsonObject): void;
  evaluate(params: Params, config: JsonObject, context: ObjectiveContext): Promise<ObjectiveOutcome>;
}

/** Objectives by name. */
export class ObjectiveRegistry {
  private readonly byName = new Map<string, Objective>();

  constructor(objectives: readonly Objective[] = []) {
    for (const o of objectives) this.register(o);
  }

  /** Adds an objective; a name can be registered once. */
  register(objective: Objective): this {
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(objective.name)) {
      throw new ObjectiveError(`name: "${objective.name}" must match ^[a-z][a-z0-9-]{0,63}$`, 'name');
    }
    if (this.byName.has(objective.name)) {
      throw new ObjectiveError(`name: "${objective.name}" is already registered`, 'name');
    }
    this.byName.set(objective.name, objective);
    return this;
  }

  get(name: string): Objective | undefined {
    return this.byName.get(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/** The registry with every objective of this module (benchmarks and alluse-backtest). */
export function defaultObjectives(): ObjectiveRegistry {
  return new ObjectiveRegistry([
    ...benchmarkObjectives(),
    alluseBacktestObjective(),
    modelTrainingObjective(),
  ]);
}

function noConfig(name: string): (config: unknown) => JsonObject {
  return (config) => {
    if (config === undefined || config === null) return {};
    if (typeof config !== 'object' || Array.isArray(config)) {
      throw new ObjectiveError(`${name} takes no configuration: objectiveConfig must be {} or absent`);
    }
    const keys = Object.keys(config);
    if (keys.length > 0) {
      throw new ObjectiveError(`${keys[0]}: ${name} takes no configuration`, keys[0]);
    }
    return {};
  };
}

function problemObjective(name: string, p: Problem): Objective {
  const space: SpaceSpec = Object.fromEntries(
    p.bounds.map(([low, high], i) => [`x${i}`, { type: 'float', low, high } satisfies FloatParam]),
  );
  const names = Object.keys(space);
  const dims = p.bounds.length;
  return {
    name,
    description:
      `${p.name}: ${dims}-dimensional benchmark, ${p.nObjectives} objective(s) to minimise` +
      (p.fMin === undefined ? '' : `, known minimum ${p.fMin}`),
    validateConfig: noConfig(name),
    space: () => space,
    directions: () => Array.from({ length: p.nObjectives }, () => 'minimize' as const),
    validateSpace(s) {
      const given = s.dims.map((d) => d.name);
      if (given.length !== dims || given.some((n, i) => n !== names[i] || s.dims[i]?.categorical)) {
        throw new ObjectiveError(
          `space: ${name} needs the numeric parameters ${names.join(', ')} in this order`,
        );
      }
    },
    async evaluate(params) {
      return { values: p.evaluate(names.map((n) => params[n] as number)) };
    },
  };
}

/** The benchmark test functions of problems.ts, under lower-case names (branin, zdt1, ...). */
export function benchmarkObjectives(): Objective[] {
  return Object.values(PROBLEMS).map((p) => problemObjective(p.name.toLowerCase(), p));
}

/** Metrics the backtest objective can return, and the direction that is better for each. */
export const BACKTEST_METRICS: Readonly<Record<string, Direction>> = {
  sharpe: 'maximize',
  sortino: 'maximize',
  calmar: 'maximize',
  cagr: 'maximize',
  totalReturn: 'maximize',
  meanWeeklyReturn: 'maximize',
  positiveWeeksShare: 'maximize',
  maxDrawdown: 'minimize',
};

/** Configuration of alluse-backtest after validation. */
export interface BacktestObjectiveConfig {
  readonly account: AccountType;
  readonly symbol: string;
  readonly from?: string;
  readonly to?: string;
  readonly objectives: readonly string[];
  readonly volModel: VolModel;
  /** Adds the constraint maxDrawdown − the account's limit (feasible when <= 0). */
  readonly respectDrawdownLimit: boolean;
}

const BACKTEST_KEYS = new Set([
  'account',
  'symbol',
  'from',
  'to',
  'objectives',
  'volModel',
  'respectDrawdownLimit',
]);

/** Validates an alluse-backtest configuration, naming the field and the rule. */
export function validateBacktestConfig(config: unknown): BacktestObjectiveConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ObjectiveError('objectiveConfig: alluse-backtest needs an object with at least an account');
  }
  const c = config as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!BACKTEST_KEYS.has(k)) {
      throw new ObjectiveError(
        `${k}: not a setting of alluse-backtest (${[...BACKTEST_KEYS].join(', ')})`,
        k,
      );
    }
  }
  if (!(ACCOUNT_TYPES as readonly unknown[]).includes(c.account)) {
    throw new ObjectiveError(`account: must be one of ${ACCOUNT_TYPES.join(', ')}`, 'account');
  }
  const account = c.account as AccountType;
  const symbol = c.symbol ?? ACCOUNT_SYMBOLS[account][0];
  if (typeof symbol !== 'string' || !/^[A-Z][A-Z0-9.-]{0,9}$/.test(symbol)) {
    throw new ObjectiveError(
      'symbol: must be a ticker such as AAPL (upper case, at most 10 characters)',
      'symbol',
    );
  }
  for (const k of ['from', 'to'] as const) {
    const v = c[k];
    if (v !== undefined && (typeof v !== 'string' || Number.isNaN(isoToDay(v)))) {
      throw new ObjectiveError(`${k}: must be a date YYYY-MM-DD`, k);
    }
  }
  if (typeof c.from === 'string' && typeof c.to === 'string' && c.from > c.to) {
    throw new ObjectiveError(`from: must not be after to (${c.to})`, 'from');
  }
  const objectives = c.objectives ?? ['sharpe'];
  if (
    !Array.isArray(objectives) ||
    objectives.length === 0 ||
    objectives.length > 3 ||
    new Set(objectives).size !== objectives.length ||
    objectives.some((o) => typeof o !== 'string' || !(o in BACKTEST_METRICS))
  ) {
    throw new ObjectiveError(
      `objectives: must be 1 to 3 distinct metrics of ${Object.keys(BACKTEST_METRICS).join(', ')}`,
      'objectives',
    );
  }
  const volModel = c.volModel ?? 'vix-scaled';
  if (volModel !== 'vix-scaled' && volModel !== 'realised') {
    throw new ObjectiveError("volModel: must be 'vix-scaled' or 'realised'", 'volModel');
  }
  const respect = c.respectDrawdownLimit ?? false;
  if (typeof respect !== 'boolean') {
    throw new ObjectiveError('respectDrawdownLimit: must be true or false', 'respectDrawdownLimit');
  }
  return {
    account,
    symbol,
    ...(typeof c.from === 'string' ? { from: c.from } : {}),
    ...(typeof c.to === 'string' ? { to: c.to } : {}),
    objectives: objectives as string[],
    volModel,
    respectDrawdownLimit: respect,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * PARAM_SPACE with the delta range narrowed around the account's baseline (deltaMin from 0.10 below to
 * 0.05 above the baseline minimum, deltaMax from 0.05 below to 0.10 above the baseline maximum), as
 * PARAM_SPACE's own comment advises: the two ranges then meet at one point at most, so no trial is lost to
 * deltaMin > deltaMax, and the search stays near the account's rules.
 */
export function backtestSpace(account: AccountType): SpaceSpec {
  const base = BASELINE_PARAMS[account];
  const min = PARAM_SPACE.deltaMin as FloatParam;
  const max = PARAM_SPACE.deltaMax as FloatParam;
  return {
    ...PARAM_SPACE,
    deltaMin: {
      ...min,
      low: Math.max(min.low, round2(base.deltaMin - 0.1)),
      high: Math.min(min.high, round2(base.deltaMin + 0.05)),
    },
    deltaMax: {
      ...max,
      low: Math.max(max.low, round2(base.deltaMax - 0.05)),
      high: Math.min(max.high, round2(base.deltaMax + 0.1)),
    },
  };
}

/**
 * The ALL-USE protocol backtest as an objective: the trial's parameters are merged into the account's
 * baseline (withTrialParams), the wheel is simulated on the symbol's daily bars, and the chosen metrics
 * are returned. The bars come from `context.loadMarketData`.
 */
export function alluseBacktestObjective(): Objective {
  return {
    name: 'alluse-backtest',
    description:
      'ALL-USE weekly wheel backtest of one account on one symbol; returns the chosen performance metrics',
    validateConfig: (config) => validateBacktestConfig(config) as unknown as JsonObject,
    space: (config) => backtestSpace((config as unknown as BacktestObjectiveConfig).account),
    directions: (config) => {
      const c = config as unknown as BacktestObjectiveConfig;
      return c.objectives.map((o) => BACKTEST_METRICS[o] as Direction);
    },
    validateSpace(space) {
      for (const d of space.dims) {
        if (!(d.name in BASELINE_PARAMS.GEN)) {
          throw new ObjectiveError(`space.${d.name}: not a protocol parameter (see PARAM_SPACE)`);
        }
        if (d.categorical) {
          throw new ObjectiveError(`space.${d.name}: protocol parameters are numbers: use an int or float`);
        }
      }
    },
    async evaluate(params, config, context) {
      const c = config as unknown as BacktestObjectiveConfig;
      if (!context.loadMarketData) {
        throw new Error(
          'alluse-backtest: context.loadMarketData is missing (the handler must supply the bars)',
        );
      }
      const data = await context.loadMarketData({ symbol: c.symbol });
      if (data.bars.length !== data.vix.length) {
        throw new Error(
          `alluse-backtest: ${c.symbol} has ${data.bars.length} bars but ${data.vix.length} VIX closes (align them)`,
        );
      }
      const keep: number[] = [];
      data.bars.forEach((b, i) => {
        if ((c.from === undefined || b.date >= c.from) && (c.to === undefined || b.date <= c.to))
          keep.push(i);
      });
      const bars = keep.map((i) => data.bars[i] as Bar);
      const vix = keep.map((i) => data.vix[i] as number);
      const protocol = withTrialParams(BASELINE_PARAMS[c.account], params);
      const r = runBacktest({ bars, vix, params: protocol, market: { volModel: c.volModel } });
      const m = computeMetrics(
        r.weeks.map((w) => w.return),
        { equity: r.equity, initial: r.initialCapital },
      );
      const values = c.objectives.map((o) => m[o as keyof PerformanceMetrics]);
      return c.respectDrawdownLimit
        ? { values, constraints: [m.maxDrawdown - ACCOUNT_TARGETS[c.account].maxDrawdown] }
        : { values };
    },
  };
}
