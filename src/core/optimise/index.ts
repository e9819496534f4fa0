/**
 * The optimiser core: search spaces, ask/tell studies, samplers, pruners, test problems and hypervolume.
 */
export { HypervolumeError, hypervolume, nonDominated } from './hypervolume.ts';
export {
  ackley,
  branin,
  dtlz2,
  hartmann6,
  PROBLEMS,
  type Problem,
  rosenbrock,
  zdt1,
  zdt2,
  zdt3,
} from './problems.ts';
export {
  MedianPruner,
  type MedianPrunerOptions,
  median,
  type SuccessiveHalvingOptions,
  SuccessiveHalvingPruner,
} from './pruners.ts';
export { constrainedDominates, crowdingDistance, dominates, nonDominatedSort, violation } from './rank.ts';
export { type CmaEsOptions, CmaEsSampler } from './samplers/cmaes.ts';
export { type GpOptions, GpSampler } from './samplers/gp.ts';
export {
  type Nsga2Options,
  Nsga2Sampler,
  polynomialMutation,
  sbx,
  uniformCrossover,
} from './samplers/nsga2.ts';
export { haltonPoint, QmcSampler } from './samplers/qmc.ts';
export { RandomSampler } from './samplers/random.ts';
export { defaultGamma, defaultWeights, type TpeOptions, TpeSampler } from './samplers/tpe.ts';
export {
  type CategoricalParam,
  type Choice,
  type Condition,
  type Dimension,
  type FloatParam,
  type IntParam,
  type ParamSpec,
  type Params,
  type ParamValue,
  SearchSpace,
  SpaceError,
  type SpaceSpec,
} from './space.ts';
export {
  type AskedTrial,
  Study,
  StudyError,
  type StudyOptions,
  type StudySnapshot,
  type TellResult,
  trialSeed,
} from './study.ts';
export type {
  Direction,
  Json,
  Pruner,
  PrunerContext,
  Sampler,
  SamplerContext,
  Suggestion,
  TrialRecord,
  TrialState,
} from './types.ts';
