/**
 * The steps of an optimisation study run by a Step Functions workflow, as pure functions over the study
 * store port (the handlers are thin wrappers):
 *
 *   createStudy ──► askBatch ──done?──► report
 *                      │ trials
 *                      ▼
 *                Map: evaluateTrial (one Lambda per trial) ──► tellBatch ──► askBatch ...
 *
 * Between steps nothing lives in memory: askBatch rebuilds the core Study from the stored definition and
 * the stored trials (Study.fromJSON), so the next trials depend only on the seed and the history, and a
 * study resumes after any interruption. Every step is safe to retry, because Step Functions retries Lambda
 * steps: createStudy is keyed by the study id, askBatch returns the trials it already reserved for the same
 * `askId`, a repeated tell is a `duplicate`, and report finishes a study once and then only reads it.
 *
 * Budget accounting: a trial counts towards `maxTrials` whatever its state, except a trial whose worker was
 * lost (recovered by heartbeat) while its parameters are still to be asked again (`retries` times at most):
 * the retry counts instead. So a crash costs time, not a place in the budget; a trial that keeps killing its
 * worker eventually counts as failed.
 */
import type { JsonObject, ObjectiveContext, ObjectiveOutcome, ObjectiveRegistry } from './objectives.ts';
import { ObjectiveError } from './objectives.ts';
import { MedianPruner, SuccessiveHalvingPruner } from './pruners.ts';
import { compareSingle, losses, nonDominatedSort, violation } from './rank.ts';
import { CmaEsSampler } from './samplers/cmaes.ts';
import { GpSampler } from './samplers/gp.ts';
import { Nsga2Sampler } from './samplers/nsga2.ts';
import { QmcSampler } from './samplers/qmc.ts';
import { RandomSampler } from './samplers/random.ts';
import { TpeSampler } from './samplers/tpe.ts';
import { type Params, SearchSpace, SpaceError, type SpaceSpec } from './space.ts';
import {
  isFinalStatus,
  type NewTrial,
  normaliseTrialResult,
  type PrunerSpec,
  type SamplerName,
  type SamplerSpec,
  STUDY_LIMITS,
  type StoredTrial,
  type StudyDefinition,
  type StudyProgress,
  type StudyRecord,
  type StudyStore,
  StudyStoreError,
  type TrialCounts,
  type TrialResult,
  type TrialSummary,
  validateStudyId,
  type WriteOutcome,
} from './store.ts';
import { Study, trialSeed } from './study.ts';
import type { Direction, Json, Pruner, Sampler, TrialRecord } from './types.ts';

/** What the steps need: the store, the objectives and a clock. */
export interface StudyServiceDeps {
  readonly store: StudyStore;
  readonly objectives: ObjectiveRegistry;
  /** Epoch ms. */
  readonly now: () => number;
}

/**
 * A running trial whose heartbeat is older than this is taken as lost: a Lambda lives at most 15 minutes,
 * so a trial not heard of for 16 has no worker left.
 */
export const DEFAULT_STALE_AFTER_MS = 16 * 60_000;

export const STUDY_DEFINITION_LIMITS = {
  maxTrials: 10_000,
  maxBatchSize: 50,
  maxRetries: 5,
  maxParams: 200,
  maxNameLength: 128,
  maxObjectiveConfigBytes: 16_384,
  defaultBatchSize: 8,
  defaultRetries: 1,
} as const;

const invalid = (field: string, rule: string) => new StudyStoreError('invalid', `${field}: ${rule}`, field);

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/** The options each sampler accepts from a definition (JSON-only; function-valued options are not offered). */
const SAMPLER_OPTIONS: Readonly<Record<SamplerName, readonly string[]>> = {
  random: [],
  qmc: [],
  tpe: [
    'nStartupTrials',
    'nEiCandidates',
    'priorWeight',
    'considerMagicClip',
    'considerEndpoints',
    'multivariate',
    'constantLiar',
    'scaledKernels',
  ],
  cmaes: ['sigma0', 'popsize', 'restarts'],
  gp: ['nStartupTrials', 'nCandidates'],
  nsga2: [
    'populationSize',
    'crossoverProb',
    'etaCrossover',
    'mutationProb',
    'etaMutation',
    'crossover',
    'swappingProb',
    'mutation',
    'tournament',
  ],
};

const PRUNER_OPTIONS: Readonly<Record<PrunerSpec['type'], readonly string[]>> = {
  median: ['nStartupTrials', 'nWarmupSteps', 'intervalSteps', 'nMinTrials'],
  'successive-halving': ['minResource', 'reductionFactor', 'minEarlyStoppingRate'],
};

/** Builds the sampler a definition names (the spec's options go to the sampler's constructor). */
export function makeSampler(spec: SamplerSpec): Sampler {
  const { type, ...options } = spec;
  const o = options as Record<string, never>;
  switch (type) {
    case 'random':
      return new RandomSampler();
    case 'qmc':
      return new QmcSampler();
    case 'tpe':
      return new TpeSampler(o);
    case 'cmaes':
      return new CmaEsSampler(o);
    case 'gp':
      return new GpSampler(o);
    case 'nsga2':
      return new Nsga2Sampler(o);
    default:
      throw invalid('sampler.type', `must be one of ${Object.keys(SAMPLER_OPTIONS).join(', ')}`);
  }
}

/** Builds the pruner a definition names. */
export function makePruner(spec: PrunerSpec): Pruner {
  const { type, ...options } = spec;
  const o = options as Record<string, never>;
  if (type === 'median') return new MedianPruner(o);
  if (type === 'successive-halving') return new SuccessiveHalvingPruner(o);
  throw invalid('pruner.type', 'must be median or successive-halving');
}

/** FNV-1a of the study id: the default seed, so a study without one is still reproducible from its id. */
function seedFromId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const DEFINITION_KEYS = new Set([
  'name',
  'objective',
  'objectiveConfig',
  'space',
  'directions',
  'sampler',
  'pruner',
  'seed',
  'budget',
  'batchSize',
  'retries',
]);

function intIn(value: unknown, field: string, low: number, high: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw invalid(field, `must be an integer ${low}..${high}`);
  }
  return value;
}

function optionsSpec(
  raw: unknown,
  field: string,
  known: Readonly<Record<string, readonly string[]>>,
): { type: string; options: Record<string, Json> } {
  const spec = typeof raw === 'string' ? { type: raw } : raw;
  if (!isObject(spec) || typeof spec.type !== 'string' || !(spec.type in known)) {
    throw invalid(`${field}.type`, `must be one of ${Object.keys(known).join(', ')}`);
  }
  const allowed = known[spec.type] as readonly string[];
  const options: Record<string, Json> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'type') continue;
    if (!allowed.includes(k)) {
      throw invalid(
        `${field}.${k}`,
        allowed.length === 0
          ? `${spec.type} takes no options`
          : `not an option of ${spec.type} (${allowed.join(', ')})`,
      );
    }
    if (!['number', 'string', 'boolean'].includes(typeof v)) {
      throw invalid(`${field}.${k}`, 'must be a number, string or boolean');
    }
    options[k] = v as Json;
  }
  return { type: spec.type, options };
}

/**
 * Validates a study body (POST /v1/studies) and resolves every default: the objective's configuration,
 * space and directions, the sampler (TPE for one objective, NSGA-II for several; TPE's constant liar on when
 * trials are asked in batches, so a batch spreads out instead of repeating one guess), the seed (from the
 * id), the batch size and the retries.
 * @throws {StudyStoreError} invalid, naming the field and the rule.
 */
export function validateStudyDefinition(
  body: unknown,
  objectives: ObjectiveRegistry,
  context: { readonly id: string; readonly now: number },
): StudyDefinition {
  if (!isObject(body)) throw invalid('body', 'must be a JSON object');
  for (const k of Object.keys(body)) {
    if (!DEFINITION_KEYS.has(k))
      throw invalid(k, `not a field of a study (${[...DEFINITION_KEYS].join(', ')})`);
  }
  const L = STUDY_DEFINITION_LIMITS;
  if (typeof body.name !== 'string' || body.name.trim().length === 0 || body.name.length > L.maxNameLength) {
    throw invalid('name', `must be a non-empty string of at most ${L.maxNameLength} characters`);
  }
  if (typeof body.objective !== 'string') throw invalid('objective', 'must name a registered objective');
  const objective = objectives.get(body.objective);
  if (!objective) {
    throw invalid(
      'objective',
      `"${body.objective}" is not registered (known: ${objectives.names().join(', ')})`,
    );
  }
  let objectiveConfig: JsonObject;
  try {
    objectiveConfig = objective.validateConfig(body.objectiveConfig);
  } catch (e) {
    if (!(e instanceof ObjectiveError)) throw e;
    const field = e.field ? `objectiveConfig.${e.field}` : 'objectiveConfig';
    throw new StudyStoreError('invalid', e.field ? `objectiveConfig.${e.message}` : e.message, field);
  }
  if (JSON.stringify(objectiveConfig).length > L.maxObjectiveConfigBytes) {
    throw invalid('objectiveConfig', `must be at most ${L.maxObjectiveConfigBytes} bytes of JSON`);
  }

  let spaceSpec: SpaceSpec;
  try {
    spaceSpec = (body.space as SpaceSpec | undefined) ?? objective.space(objectiveConfig);
    const space = new SearchSpace(spaceSpec);
    if (space.dims.length > L.maxParams)
      throw invalid('space', `must have at most ${L.maxParams} parameters`);
    if (body.space !== undefined) objective.validateSpace?.(space, objectiveConfig);
  } catch (e) {
    if (e instanceof SpaceError) throw new StudyStoreError('invalid', `space.${e.message}`, 'space');
    if (e instanceof ObjectiveError) throw new StudyStoreError('invalid', e.message, 'space');
    throw e;
  }

  const natural = objective.directions(objectiveConfig);
  let directions: Direction[] = natural;
  if (body.directions !== undefined) {
    const d = body.directions;
    if (
      !Array.isArray(d) ||
      d.length !== natural.length ||
      d.some((x) => x !== 'minimize' && x !== 'maximize')
    ) {
      throw invalid(
        'directions',
        `must be ${natural.length} of "minimize" or "maximize" (${objective.name} returns ${natural.length} value(s))`,
      );
    }
    directions = d as Direction[];
  }

  const budget = body.budget;
  if (!isObject(budget)) throw invalid('budget', 'must be an object with maxTrials');
  for (const k of Object.keys(budget)) {
    if (!['maxTrials', 'deadline', 'plateau'].includes(k)) {
      throw invalid(`budget.${k}`, 'not a field of budget (maxTrials, deadline, plateau)');
    }
  }
  const maxTrials = intIn(budget.maxTrials, 'budget.maxTrials', 1, L.maxTrials);
  let deadline: number | undefined;
  if (budget.deadline !== undefined) {
    if (
      typeof budget.deadline !== 'number' ||
      !Number.isInteger(budget.deadline) ||
      budget.deadline <= context.now
    ) {
      throw invalid('budget.deadline', 'must be a time in the future, in epoch milliseconds');
    }
    deadline = budget.deadline;
  }
  let plateau: { trials: number; minImprovement: number } | undefined;
  if (budget.plateau !== undefined) {
    const p = budget.plateau;
    if (!isObject(p)) throw invalid('budget.plateau', 'must be an object { trials, minImprovement? }');
    for (const k of Object.keys(p)) {
      if (k !== 'trials' && k !== 'minImprovement') {
        throw invalid(`budget.plateau.${k}`, 'not a field of plateau (trials, minImprovement)');
      }
    }
    const trials = intIn(p.trials, 'budget.plateau.trials', 1, L.maxTrials);
    const minImprovement = p.minImprovement ?? 0;
    if (typeof minImprovement !== 'number' || !Number.isFinite(minImprovement) || minImprovement < 0) {
      throw invalid('budget.plateau.minImprovement', 'must be a finite number >= 0');
    }
    plateau = { trials, minImprovement };
  }

  const batchSize =
    body.batchSize === undefined
      ? Math.min(L.defaultBatchSize, maxTrials)
      : intIn(body.batchSize, 'batchSize', 1, L.maxBatchSize);
  const retries =
    body.retries === undefined ? L.defaultRetries : intIn(body.retries, 'retries', 0, L.maxRetries);
  const seed = body.seed === undefined ? seedFromId(context.id) : intIn(body.seed, 'seed', 0, 0xffffffff);

  const rawSampler = body.sampler ?? (directions.length === 1 ? 'tpe' : 'nsga2');
  const { type: samplerType, options: samplerOptions } = optionsSpec(rawSampler, 'sampler', SAMPLER_OPTIONS);
  if ((samplerType === 'cmaes' || samplerType === 'gp') && directions.length !== 1) {
    throw invalid('sampler.type', `${samplerType} handles a single objective; use nsga2, tpe, qmc or random`);
  }
  if (samplerType === 'tpe' && samplerOptions.constantLiar === undefined) {
    samplerOptions.constantLiar = batchSize > 1;
  }
  const sampler = { type: samplerType, ...samplerOptions } as SamplerSpec;
  try {
    makeSampler(sampler);
  } catch (e) {
    if (e instanceof RangeError) throw new StudyStoreError('invalid', `sampler.${e.message}`, 'sampler');
    throw e;
  }

  let pruner: PrunerSpec | undefined;
  if (body.pruner !== undefined) {
    const { type, options } = optionsSpec(body.pruner, 'pruner', PRUNER_OPTIONS);
    if (directions.length !== 1) throw invalid('pruner', 'pruning needs a single-objective study');
    pruner = { type, ...options } as PrunerSpec;
    try {
      makePruner(pruner);
    } catch (e) {
      if (e instanceof RangeError) throw new StudyStoreError('invalid', `pruner.${e.message}`, 'pruner');
      throw e;
    }
  }

  return {
    name: body.name,
    objective: objective.name,
    objectiveConfig,
    space: spaceSpec,
    directions,
    sampler,
    ...(pruner ? { pruner } : {}),
    seed,
    budget: {
      maxTrials,
      ...(deadline === undefined ? {} : { deadline }),
      ...(plateau ? { plateau } : {}),
    },
    batchSize,
    retries,
  };
}

const canonical = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );

/**
 * Step "create": validates the body and stores the study under `id` (the API's id, or the execution name).
 * Creating the same id again with the same body returns the stored study (a retried request); with another
 * body it is a conflict.
 */
export async function createStudy(
  deps: StudyServiceDeps,
  body: unknown,
  opts: { readonly id: string },
): Promise<{ study: StudyRecord; created: boolean }> {
  const id = validateStudyId(opts.id);
  const now = deps.now();
  const definition = validateStudyDefinition(body, deps.objectives, { id, now });
  const { study, created } = await deps.store.createStudy({ id, definition, now });
  if (!created) {
    const { budget: storedBudget, ...storedRest } = study.definition;
    const { budget, ...rest } = definition;
    // The deadline is compared too; only a re-validation "in the future" could differ, and it did not.
    if (canonical(storedRest) !== canonical(rest) || canonical(storedBudget) !== canonical(budget)) {
      throw new StudyStoreError('conflict', `study ${id} already exists with another definition`, 'id');
    }
  }
  return { study, created };
}

/** Every trial of a study (or of one state), by number. */
export async function loadTrials(
  store: StudyStore,
  id: string,
  state?: TrialRecord['state'],
): Promise<StoredTrial[]> {
  const out: StoredTrial[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTrials(id, {
      limit: STUDY_LIMITS.maxListLimit,
      ...(state ? { state } : {}),
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.trials);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** Why a study stops asking: its budget, its deadline, a plateau, a stop request; `finished` when it had already finished. */
export type StopReason = 'budget' | 'deadline' | 'plateau' | 'stopped' | 'finished';

export interface AskOptions {
  /** Who asks (e.g. the execution name): recorded on the trials; heartbeats must come from the same id. */
  readonly workerId: string;
  /**
   * Identifies this ask across Step Functions retries (e.g. the execution name and the state's entered
   * time): a retried ask returns the trials the first attempt reserved instead of asking new ones.
   */
  readonly askId?: string;
  /** @default DEFAULT_STALE_AFTER_MS */
  readonly staleAfterMs?: number;
}

export interface AskOutcome {
  readonly studyId: string;
  /** True when the study should be reported: no trial will be asked again. */
  readonly done: boolean;
  readonly reason?: StopReason;
  /** Trials to evaluate now (empty and not done: trials of another worker are still running; ask again later). */
  readonly trials: ReadonlyArray<{ readonly number: number; readonly params: Params }>;
  readonly workerId: string;
  /** Trials running after this ask, including the ones just asked. */
  readonly running: number;
  readonly counts: TrialCounts;
}

const ASK_ATTEMPTS = 5;

/**
 * Step "ask": recovers trials with a stale heartbeat, writes the study's summary, decides whether the study
 * is done (stop request, deadline, plateau, budget), and otherwise reserves the next batch: first the
 * parameters of lost trials still to be retried, then new trials from the sampler. Two askers racing get
 * distinct numbers; the one that loses a number re-reads and asks again.
 */
export async function askBatch(
  deps: StudyServiceDeps,
  studyId: string,
  opts: AskOptions,
): Promise<AskOutcome> {
  const { store } = deps;
  const staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  if (!(staleAfterMs >= 0)) throw invalid('staleAfterMs', 'must be a number >= 0');
  for (let attempt = 1; ; attempt++) {
    const study = await store.getStudy(studyId);
    const def = study.definition;
    const base = { studyId, workerId: opts.workerId };
    if (isFinalStatus(study.status)) {
      return { ...base, done: true, reason: 'finished', trials: [], running: 0, counts: study.counts };
    }
    const now = deps.now();
    await store.recoverStale(studyId, now, staleAfterMs);
    const trials = await loadTrials(store, studyId);
    trials.forEach((t, i) => {
      if (t.number !== i)
        throw new StudyStoreError('conflict', `study ${studyId}: trial ${i} is missing`, 'number');
    });
    if (opts.askId !== undefined) {
      const mine = trials.filter((t) => t.askId === opts.askId && t.state === 'running');
      if (mine.length > 0) {
        const counts = countTrials(trials);
        return { ...base, done: false, trials: mine.map(asked), running: counts.running, counts };
      }
    }
    const progress = summarise(def, trials);
    await store.updateProgress(studyId, progress, now);
    const { counts } = progress;
    const reason = stopReason(def, trials, now, study.status === 'stopping');
    if (reason) return { ...base, done: true, reason, trials: [], running: counts.running, counts };

    const retry = retryCandidates(def, trials);
    const slots = def.budget.maxTrials - usedBudget(def, trials);
    if (slots <= 0) return { ...base, done: false, trials: [], running: counts.running, counts };
    const n = Math.min(def.batchSize, slots);
    const next = nextTrials(def, trials, retry.slice(0, n), n);
    const { reserved, conflict } = await store.reserveTrials(studyId, next, {
      workerId: opts.workerId,
      ...(opts.askId === undefined ? {} : { askId: opts.askId }),
      now,
    });
    if (reserved.length > 0 || !conflict || attempt >= ASK_ATTEMPTS) {
      const running = counts.running + reserved.length;
      return { ...base, done: false, trials: reserved.map(asked), running, counts };
    }
  }
}

const asked = (t: StoredTrial) => ({ number: t.number, params: t.params });

/** The optimiser's view of a stored trial (store bookkeeping dropped). */
function toRecord(t: StoredTrial): TrialRecord {
  const r: TrialRecord = {
    number: t.number,
    state: t.state,
    params: t.params,
    intermediate: t.intermediate.map(([s, v]) => [s, v]),
    attrs: t.attrs,
  };
  if (t.values) r.values = [...t.values];
  if (t.constraints) r.constraints = [...t.constraints];
  if (t.error !== undefined) r.error = t.error;
  return r;
}

/** Rebuilds the study from its history and asks `n` trials, retries first. Deterministic for a seed and a history. */
function nextTrials(
  def: StudyDefinition,
  trials: readonly StoredTrial[],
  retries: readonly StoredTrial[],
  n: number,
): NewTrial[] {
  const out: NewTrial[] = [];
  const records = trials.map(toRecord);
  for (const lost of retries) {
    const number = records.length + out.length;
    out.push({
      number,
      params: lost.params,
      attrs: { ...lost.attrs, origin: 'retry', retryOf: lost.number },
    });
  }
  const study = Study.fromJSON(
    {
      version: 1,
      name: def.name,
      seed: def.seed,
      directions: def.directions,
      space: def.space,
      sampler: def.sampler.type,
      trials: [
        ...records,
        ...out.map((t) => ({ ...t, state: 'running' as const, intermediate: [], attrs: t.attrs ?? {} })),
      ],
    },
    { sampler: makeSampler(def.sampler), ...(def.pruner ? { pruner: makePruner(def.pruner) } : {}) },
  );
  while (out.length < n) {
    const t = study.ask();
    out.push({ number: t.number, params: t.params, attrs: study.trials[t.number]?.attrs ?? {} });
  }
  return out;
}

const retryOf = (t: StoredTrial): number | undefined =>
  typeof t.attrs.retryOf === 'number' ? t.attrs.retryOf : undefined;

/** Lost trials whose parameters are still to be asked again, by number. */
function retryCandidates(def: StudyDefinition, trials: readonly StoredTrial[]): StoredTrial[] {
  const retried = new Set<number>();
  for (const t of trials) {
    const r = retryOf(t);
    if (r !== undefined) retried.add(r);
  }
  const depth = (t: StoredTrial): number => {
    let d = 0;
    for (let r = retryOf(t); r !== undefined; r = retryOf(trials[r] as StoredTrial)) d++;
    return d;
  };
  return trials.filter((t) => t.lost && !retried.has(t.number) && depth(t) < def.retries);
}

/** Trials that count towards maxTrials: all but lost ones replaced (or to be replaced) by a retry. */
function usedBudget(def: StudyDefinition, trials: readonly StoredTrial[]): number {
  const replaced = new Set<number>();
  for (const t of trials) {
    const r = retryOf(t);
    if (r !== undefined) replaced.add(r);
  }
  for (const t of retryCandidates(def, trials)) replaced.add(t.number);
  return trials.length - replaced.size;
}

/** Counts by state. */
export function countTrials(trials: readonly TrialRecord[]): TrialCounts {
  const c = { running: 0, complete: 0, pruned: 0, failed: 0, total: trials.length };
  for (const t of trials) c[t.state]++;
  return c;
}

/**
 * Whether the study should stop asking, and why. The budget ends the study only once no trial is running
 * (their results are part of it); a stop request, the deadline and a plateau end it at once.
 */
export function stopReason(
  def: StudyDefinition,
  trials: readonly StoredTrial[],
  now: number,
  stopRequested: boolean,
): StopReason | undefined {
  if (stopRequested) return 'stopped';
  if (def.budget.deadline !== undefined && now >= def.budget.deadline) return 'deadline';
  if (def.budget.plateau && onPlateau(def.directions, trials, def.budget.plateau)) return 'plateau';
  const running = trials.some((t) => t.state === 'running');
  if (!running && usedBudget(def, trials) >= def.budget.maxTrials) return 'budget';
  return undefined;
}

/**
 * True when the last `rule.trials` evaluated trials (complete or pruned, in number order) brought no
 * improvement. A feasible complete trial improves when no earlier feasible trial is within
 * `minImprovement` of it or better in every objective (for one objective: it beats the best so far by more
 * than minImprovement). The count starts at the first feasible complete trial.
 */
export function onPlateau(
  directions: readonly Direction[],
  trials: readonly TrialRecord[],
  rule: { readonly trials: number; readonly minImprovement: number },
): boolean {
  const seen: number[][] = [];
  let started = false;
  let since = 0;
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    if (t.state !== 'complete' && t.state !== 'pruned') continue;
    if (t.state === 'complete' && violation(t) === 0) {
      const loss = losses(t, directions);
      const covered = seen.some((q) => q.every((qi, i) => qi <= (loss[i] as number) + rule.minImprovement));
      started = true;
      if (!covered) {
        since = 0;
        // Keep only points not dominated by the new one: the check above needs the front, not the history.
        for (let i = seen.length - 1; i >= 0; i--) {
          if ((seen[i] as number[]).every((qi, k) => qi >= (loss[k] as number))) seen.splice(i, 1);
        }
        seen.push(loss);
        continue;
      }
    }
    if (started) since++;
  }
  return started && since >= rule.trials;
}

function summaryOf(t: TrialRecord): TrialSummary {
  return {
    number: t.number,
    params: t.params,
    values: t.values ?? [],
    ...(t.constraints ? { constraints: t.constraints } : {}),
  };
}

/** Counts, the best trial (one objective) or the Pareto front (several), feasible trials first. */
export function summarise(def: StudyDefinition, trials: readonly TrialRecord[]): StudyProgress {
  const counts = countTrials(trials);
  const done = trials.filter((t) => t.state === 'complete');
  if (done.length === 0) return { counts };
  if (def.directions.length === 1) {
    const dir = def.directions[0] as Direction;
    const best = done.reduce((b, t) => (compareSingle(t, b, dir) < 0 ? t : b));
    return { counts, best: summaryOf(best) };
  }
  const points = done.map((t) => losses(t, def.directions));
  const first =
    nonDominatedSort(
      points,
      done.map((t) => violation(t)),
    )[0] ?? [];
  const front = first.map((i) => done[i] as TrialRecord).sort((a, b) => a.number - b.number);
  return {
    counts,
    front: front.slice(0, STUDY_LIMITS.frontLimit).map(summaryOf),
    frontSize: front.length,
  };
}

export interface EvaluateOptions {
  /** Providers for the objective (the market-data loader, services of other objectives), and an abort signal. */
  readonly context?: Partial<Pick<ObjectiveContext, 'loadMarketData' | 'services' | 'signal'>>;
  /** Finished trials of the study, for the pruner (loadTrials(store, id, 'complete')); none: no pruning. */
  readonly peers?: readonly TrialRecord[];
  /** Records a failure instead of waiting longer than this (leave room before the Lambda's own timeout). */
  readonly timeoutMs?: number;
}

const describeError = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * Step "evaluate" (one per trial, in the Map): runs the named objective on the trial's parameters and
 * returns the result to tell. Never throws for a problem of the trial: an objective that throws, times out,
 * or returns the wrong number of values (or a non-finite one) gives a `failed` result with the reason, so
 * one bad trial is recorded and the study goes on.
 */
export async function evaluateTrial(
  objectives: ObjectiveRegistry,
  def: StudyDefinition,
  trial: { readonly number: number; readonly params: Params },
  options: EvaluateOptions = {},
): Promise<TrialResult> {
  const objective = objectives.get(def.objective);
  if (!objective) return { state: 'failed', error: `objective "${def.objective}" is not registered here` };
  try {
    new SearchSpace(def.space).validate(trial.params);
  } catch (e) {
    return { state: 'failed', error: `params: ${(e as Error).message}` };
  }
  const intermediate: Array<[number, number]> = [];
  const pruner = def.pruner && options.peers ? makePruner(def.pruner) : undefined;
  const record: TrialRecord = {
    number: trial.number,
    state: 'running',
    params: trial.params,
    intermediate,
    attrs: {},
  };
  const peers = options.peers?.filter((t) => t.number !== trial.number) ?? [];
  const controller = new AbortController();
  const outer = options.context?.signal;
  if (outer) outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  const context: ObjectiveContext = {
    ...options.context,
    trialNumber: trial.number,
    seed: trialSeed(def.seed, trial.number),
    signal: controller.signal,
    report(step, value) {
      if (!Number.isInteger(step) || step < 0)
        throw new RangeError(`report: step must be an integer >= 0, got ${step}`);
      if (!Number.isFinite(value))
        throw new RangeError(`report: value must be a finite number, got ${value}`);
      const i = intermediate.findIndex(([s]) => s === step);
      if (i >= 0) intermediate[i] = [step, value];
      else intermediate.push([step, value]);
      if (!pruner) return false;
      return pruner.shouldPrune({
        trial: record,
        trials: [...peers, record],
        direction: def.directions[0] as Direction,
      });
    },
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let outcome: ObjectiveOutcome;
  try {
    const run = objective.evaluate(trial.params, def.objectiveConfig, context);
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`timed out after ${ms} ms`));
        }, ms);
      });
      outcome = await Promise.race([run, timeout]);
    } else outcome = await run;
  } catch (e) {
    return { state: 'failed', error: `${def.objective}: ${describeError(e)}` };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  const withSteps =
    intermediate.length > 0 ? { intermediate: intermediate.map(([s, v]) => [s, v] as const) } : {};
  if (outcome && 'pruned' in outcome && outcome.pruned === true) return { state: 'pruned', ...withSteps };
  const checked = checkValues(def, outcome);
  if (typeof checked === 'string') return { state: 'failed', error: `${def.objective}: ${checked}` };
  return { state: 'complete', ...checked, ...withSteps };
}

/** The outcome's values and constraints, or what is wrong with them. */
function checkValues(
  def: StudyDefinition,
  outcome: unknown,
): { values: number[]; constraints?: number[] } | string {
  if (!isObject(outcome) || !Array.isArray(outcome.values)) return 'returned no values array';
  const values = outcome.values as unknown[];
  if (values.length !== def.directions.length) {
    return `returned ${values.length} value(s), expected ${def.directions.length}`;
  }
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) return `values[${bad}] is ${String(values[bad])}, not a finite number`;
  if (outcome.constraints === undefined) return { values: values as number[] };
  if (!Array.isArray(outcome.constraints)) return 'constraints must be an array';
  const c = outcome.constraints as unknown[];
  const badC = c.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (badC >= 0) return `constraints[${badC}] is ${String(c[badC])}, not a finite number`;
  return { values: values as number[], constraints: c as number[] };
}

/** One trial's outcome as the Map gives it to the tell step: a result, or the error a Catch caught. */
export interface TellItem {
  readonly number: number;
  readonly result?: TrialResult;
  /** A Step Functions Catch output ({ Error, Cause }) or any error text: the trial is recorded as failed. */
  readonly error?: unknown;
}

function errorText(error: unknown): string {
  if (isObject(error) && (typeof error.Error === 'string' || typeof error.Cause === 'string')) {
    return `evaluation crashed: ${[error.Error, error.Cause].filter((x) => typeof x === 'string').join(': ')}`;
  }
  return `evaluation crashed: ${typeof error === 'string' ? error : JSON.stringify(error)}`;
}

/**
 * Step "tell": records each trial's result (once; a repeated tell is a `duplicate`, a tell for a trial that
 * was meanwhile recovered as lost is a `conflict` and changes nothing). A result that does not fit the study
 * (wrong number of values, non-finite) is recorded as a failure with the reason.
 */
export async function tellBatch(
  deps: StudyServiceDeps,
  studyId: string,
  items: readonly TellItem[],
): Promise<{ studyId: string; outcomes: Array<{ number: number; outcome: WriteOutcome }> }> {
  if (!Array.isArray(items)) throw invalid('results', 'must be an array of { number, result | error }');
  const study = await deps.store.getStudy(studyId);
  const now = deps.now();
  const outcomes = await Promise.all(
    items.map(async (item, i) => {
      if (!isObject(item) || typeof item.number !== 'number') {
        throw invalid(`results[${i}].number`, 'must be a trial number');
      }
      const outcome = await deps.store.finishTrial(
        studyId,
        item.number,
        toResult(study.definition, item as unknown as TellItem),
        now,
      );
      return { number: item.number, outcome };
    }),
  );
  return { studyId, outcomes };
}

function toResult(def: StudyDefinition, item: TellItem): TrialResult {
  if (item.result === undefined) return { state: 'failed', error: errorText(item.error) };
  let r: TrialResult;
  try {
    r = normaliseTrialResult(item.result);
  } catch (e) {
    return { state: 'failed', error: `bad result: ${(e as Error).message}` };
  }
  if (r.state === 'complete') {
    const checked = checkValues(def, r);
    if (typeof checked === 'string') return { state: 'failed', error: `bad result: ${checked}` };
  }
  return r;
}

/** The outcome of a study: its final status and summary. */
export interface StudyReport extends StudyProgress {
  readonly studyId: string;
  readonly name: string;
  readonly status: StudyRecord['status'];
  readonly reason?: string;
  readonly directions: readonly Direction[];
}

const toReport = (s: StudyRecord): StudyReport => ({
  studyId: s.id,
  name: s.definition.name,
  status: s.status,
  ...(s.reason === undefined ? {} : { reason: s.reason }),
  directions: s.definition.directions,
  counts: s.counts,
  ...(s.best ? { best: s.best } : {}),
  ...(s.front ? { front: s.front, frontSize: s.frontSize ?? s.front.length } : {}),
});

/**
 * Step "report": finishes the study once and returns the best trial (one objective) or the Pareto front
 * (several) with the counts. Trials still running are recorded as failed first (their results would come
 * after the study ended). Status: `stopped` after a stop request, `failed` when `failure` is given (the
 * workflow's error path) or no trial completed, otherwise `completed` with the stop reason. A finished
 * study is only read.
 */
export async function report(
  deps: StudyServiceDeps,
  studyId: string,
  opts: { readonly failure?: string } = {},
): Promise<StudyReport> {
  const { store } = deps;
  const study = await store.getStudy(studyId);
  if (isFinalStatus(study.status)) return toReport(study);
  const now = deps.now();
  const running = await loadTrials(store, studyId, 'running');
  for (const t of running) {
    await store.finishTrial(
      studyId,
      t.number,
      { state: 'failed', error: 'study finished before the trial was told' },
      now,
    );
  }
  const trials = await loadTrials(store, studyId);
  const progress = summarise(study.definition, trials);
  let status: 'completed' | 'stopped' | 'failed';
  let reason: string;
  if (opts.failure !== undefined) {
    status = 'failed';
    reason = String(opts.failure).slice(0, STUDY_LIMITS.maxErrorLength);
  } else if (study.status === 'stopping') {
    status = 'stopped';
    reason = 'stopped';
  } else if (progress.counts.complete === 0) {
    status = 'failed';
    reason = 'no trial completed';
  } else {
    status = 'completed';
    reason = stopReason(study.definition, trials, now, false) ?? 'ended before its budget';
  }
  const finished = await store.finishStudy(studyId, { status, reason, progress }, now);
  return toReport(finished.study);
}

/** Asks a running study to stop: the next ask answers done (reason `stopped`) and the report finishes it. */
export async function stopStudy(
  deps: StudyServiceDeps,
  studyId: string,
): Promise<{ outcome: WriteOutcome; study: StudyRecord }> {
  return deps.store.requestStop(studyId, deps.now());
}
