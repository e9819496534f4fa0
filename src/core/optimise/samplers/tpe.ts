/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), independent and multivariate (Falkner et al.
 * 2018), following Optuna 3.1's TPESampler (optuna/samplers/_tpe/sampler.py at v3.1.0) with its defaults:
 * 10 random start-up trials, gamma(n) = min(ceil(0.1 n), 25), below/above split over every finished
 * trial (complete first by value, then pruned by deepest step; running trials last with the constant
 * liar), `default_weights` on each group in chronological order, a prior component, the magic clip, 24
 * candidates drawn from l(x) by truncated-normal sampling and ranked by log l(x) − log g(x). The Parzen
 * estimator itself is in parzen.ts.
 *
 * Like Optuna 3.1 (up to 3.4), the numeric kernels' log-densities leave out the −log σ term by default;
 * `scaledKernels: true` gives the mathematically proper densities of Optuna >= 3.5.
 *
 * Written here rather than taken from npm: no maintained JavaScript TPE exists (hyperopt and Optuna are
 * Python), and the study must stay pure and serialisable for the Lambda/Step Functions loop.
 */
import { violation } from '../rank.ts';
import type { Dimension, FloatParam } from '../space.ts';
import type { Direction, Sampler, SamplerContext, Suggestion, TrialRecord } from '../types.ts';
import { randomParams, rankedObservations, uniform } from './common.ts';
import {
  defaultGamma,
  defaultWeights,
  type ParzenDim,
  ParzenEstimator,
  type ParzenOptions,
} from './parzen.ts';

export { defaultGamma, defaultWeights };

export interface TpeOptions {
  /** Random trials before the model is used. @default 10 */
  readonly nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter (or jointly) per trial. @default 24 */
  readonly nEiCandidates?: number;
  /** Number of "good" observations out of n finished trials. @default n => min(ceil(0.1 n), 25) */
  readonly gamma?: (n: number) => number;
  /** Observation weights for a group of n (chronological order). @default defaultWeights */
  readonly weights?: (n: number) => readonly number[];
  /** Weight of the prior component. @default 1 */
  readonly priorWeight?: number;
  /** Floor bandwidths at range / min(100, 1 + components). @default true */
  readonly considerMagicClip?: boolean;
  /** Let the bounds count as neighbours of the outermost observations. @default false */
  readonly considerEndpoints?: boolean;
  /** Model the parameters present in every finished trial jointly. @default false */
  readonly multivariate?: boolean;
  /** Count running trials as the worst observations (parallel workers spread out). @default false */
  readonly constantLiar?: boolean;
  /** Proper truncated-normal densities (with 1/σ, Optuna >= 3.5) instead of Optuna 3.1's. @default false */
  readonly scaledKernels?: boolean;
}

/** An observation usable by the sampler, in Optuna's ranking order (best first). */
interface Observation {
  readonly trial: TrialRecord;
  /** Running trial under the constant liar: ranked last, not counted in n. */
  readonly running: boolean;
}

/**
 * Optuna 3.1's single-objective order (`_get_observation_pairs` + `_split_observation_pairs`): feasible
 * before infeasible (by total violation), then complete trials by value, then pruned ones by deepest
 * reported step (deeper first) and the value there, pruned trials without reports, running trials last.
 */
function orderedObservations(
  trials: readonly TrialRecord[],
  directions: readonly Direction[],
  constantLiar: boolean,
): Observation[] {
  if (directions.length !== 1) {
    return rankedObservations(trials, directions).map((trial) => ({ trial, running: false }));
  }
  const sign = directions[0] === 'maximize' ? -1 : 1;
  const rows: { trial: TrialRecord; running: boolean; v: number; step: number; loss: number }[] = [];
  for (const t of trials) {
    if (t.state === 'complete') {
      const x = t.values?.[0];
      if (x === undefined) continue;
      rows.push({
        trial: t,
        running: false,
        v: violation(t),
        step: Number.NEGATIVE_INFINITY,
        loss: sign * x,
      });
    } else if (t.state === 'pruned') {
      let best: [number, number] | undefined;
      for (const r of t.intermediate) if (!best || r[0] > best[0]) best = r;
      rows.push(
        best
          ? { trial: t, running: false, v: violation(t), step: -best[0], loss: sign * best[1] }
          : { trial: t, running: false, v: violation(t), step: 1, loss: 0 },
      );
    } else if (t.state === 'running' && constantLiar) {
      rows.push({
        trial: t,
        running: true,
        v: Number.POSITIVE_INFINITY,
        step: Number.POSITIVE_INFINITY,
        loss: Number.POSITIVE_INFINITY,
      });
    }
  }
  rows.sort((a, b) => {
    if (a.running !== b.running) return a.running ? 1 : -1;
    if (a.v !== b.v) return a.v - b.v;
    if (a.step !== b.step) return a.step < b.step ? -1 : 1;
    if (a.loss !== b.loss) return a.loss < b.loss ? -1 : 1;
    return a.trial.number - b.trial.number;
  });
  return rows.map(({ trial, running }) => ({ trial, running }));
}

/** The estimator's view of a dimension: Optuna widens discrete bounds by half a grid step. */
function parzenDim(d: Dimension): ParzenDim {
  if (d.categorical) return { choices: d.high + 1, low: d.low, high: d.high, q: 0 };
  const s = d.spec as FloatParam;
  if (s.type === 'float' && s.step !== undefined && !s.log) {
    return { choices: 0, low: d.low - 0.5 * s.step, high: d.high + 0.5 * s.step, q: s.step };
  }
  // Integers are already widened by the search space; log-integers are continuous in log space.
  return { choices: 0, low: d.low, high: d.high, q: d.step };
}

/** A dimension with a single possible value: nothing to model. */
function isSingle(d: Dimension): boolean {
  return d.low === d.high;
}

/**
 * TPE sampler.
 *
 * @example
 * new Study({ space, sampler: new TpeSampler({ multivariate: true }), seed: 7 });
 */
export class TpeSampler implements Sampler {
  readonly name: string;
  private readonly nStartup: number;
  private readonly nCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly weights: (n: number) => readonly number[];
  private readonly multivariate: boolean;
  private readonly constantLiar: boolean;
  private readonly parzen: ParzenOptions;

  constructor(opts: TpeOptions = {}) {
    this.nStartup = opts.nStartupTrials ?? 10;
    this.nCandidates = opts.nEiCandidates ?? 24;
    this.gamma = opts.gamma ?? defaultGamma;
    this.weights = opts.weights ?? defaultWeights;
    this.multivariate = opts.multivariate ?? false;
    this.constantLiar = opts.constantLiar ?? false;
    const priorWeight = opts.priorWeight ?? 1;
    if (!(Number.isInteger(this.nStartup) && this.nStartup >= 0))
      throw new RangeError('nStartupTrials: must be an integer >= 0');
    if (!(Number.isInteger(this.nCandidates) && this.nCandidates >= 1))
      throw new RangeError('nEiCandidates: must be an integer >= 1');
    if (!(priorWeight > 0) || !Number.isFinite(priorWeight))
      throw new RangeError('priorWeight: must be a finite number > 0');
    this.parzen = {
      priorWeight,
      magicClip: opts.considerMagicClip ?? true,
      considerEndpoints: opts.considerEndpoints ?? false,
      scaledKernels: opts.scaledKernels ?? false,
    };
    this.name = this.multivariate ? 'tpe-multivariate' : 'tpe';
  }

  sample(ctx: SamplerContext): Suggestion {
    const obs = orderedObservations(ctx.trials, ctx.directions, this.constantLiar);
    const n = obs.filter((o) => !o.running).length;
    if (n < this.nStartup || n === 0) return { params: randomParams(ctx.space, ctx.rng) };
    const nBelow = Math.max(0, Math.min(n, Math.floor(this.gamma(n))));
    const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
    const below = obs
      .slice(0, nBelow)
      .map((o) => o.trial)
      .sort(byNumber);
    const above = obs
      .slice(nBelow)
      .map((o) => o.trial)
      .sort(byNumber);
    const internal: Record<string, number> = {};
    const dims = ctx.space.dims;
    // Joint group: Optuna's intersection search space (parameters of every finished trial, not fixed).
    const finished = obs.filter((o) => !o.running);
    const joint = this.multivariate
      ? dims.filter((d) => !isSingle(d) && finished.every((o) => d.name in o.trial.params))
      : [];
    if (joint.length > 0) Object.assign(internal, this.sampleGroup(ctx, joint, below, above));
    const jointNames = new Set(joint.map((d) => d.name));
    const chosen: Record<string, number | string | boolean> = {};
    for (const d of dims) {
      if (!ctx.space.isActive(d, chosen)) continue;
      if (!jointNames.has(d.name)) {
        internal[d.name] = isSingle(d) ? d.low : (this.sampleGroup(ctx, [d], below, above)[d.name] as number);
      }
      chosen[d.name] = ctx.space.fromInternal(d, internal[d.name] as number);
    }
    return { params: ctx.space.build(internal, (d) => uniform(d, ctx.rng)) };
  }

  /** Fits l and g over `dims` (trials having all of them), then picks the best of the candidates from l. */
  private sampleGroup(
    ctx: SamplerContext,
    dims: readonly Dimension[],
    below: readonly TrialRecord[],
    above: readonly TrialRecord[],
  ): Record<string, number> {
    const pdims = dims.map(parzenDim);
    // As in Optuna, multivariate mode also gives parameters sampled on their own the Scott-rule bandwidth.
    const opts: ParzenOptions = { ...this.parzen, multivariate: this.multivariate };
    const fitGroup = (group: readonly TrialRecord[]) => {
      const having = group.filter((t) => dims.every((d) => d.name in t.params));
      const w = this.weights(having.length).slice(0, having.length);
      return new ParzenEstimator(
        pdims,
        dims.map((d) => having.map((t) => ctx.space.toInternal(d, t.params[d.name] as number))),
        w,
        opts,
      );
    };
    const l = fitGroup(below);
    const g = fitGroup(above);
    // Optuna scores the candidates after rounding them to the parameter's grid.
    const candidates = l
      .sample(ctx.rng, this.nCandidates)
      .map((x) => dims.map((d, j) => (d.categorical ? (x[j] as number) : snap(ctx, d, x[j] as number))));
    let best = candidates[0] as number[];
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const x of candidates) {
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    const out: Record<string, number> = {};
    dims.forEach((d, j) => {
      out[d.name] = best[j] as number;
    });
    return out;
  }
}

/** Internal value of the user-facing value nearest to x (grid and bounds applied). */
function snap(ctx: SamplerContext, d: Dimension, x: number): number {
  return ctx.space.toInternal(d, ctx.space.fromInternal(d, x));
}
