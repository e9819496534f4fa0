/** Online anomaly detectors and the NAB scorer: the public surface of the anomaly module. */

export { NullDetector, RandomDetector } from './baselines.ts';
export { CONTEXTUAL_DEFAULTS, ContextualDetector, type ContextualParams } from './contextual.ts';
export { EnsembleDetector, type EnsembleParams } from './ensemble.ts';
export { SeasonalGateDetector } from './gate.ts';
export { KnnDetector, type KnnParams } from './knn.ts';
export {
  LIKELIHOOD_DEFAULTS,
  LikelihoodDetector,
  type LikelihoodParams,
  logLikelihood,
  PENDING,
} from './likelihood.ts';
export { erfc, gaussianSurprise, normalTail } from './math.ts';
export {
  type CostMatrix,
  type FileSweep,
  NAB_PROFILES,
  type NabFile,
  type NabProfile,
  optimizeThreshold,
  type ProfileResult,
  probationaryLength,
  scaledSigmoid,
  scoreCorpus,
  sweepFile,
  type ThresholdResult,
} from './nab-scorer.ts';
export {
  createDetector,
  DETECTOR_PRESETS,
  type DetectorSpec,
  detectorNames,
  restoreDetector,
} from './registry.ts';
export {
  autocorrelations,
  CusumDetector,
  type CusumParams,
  detectPeriod,
  EwmaDetector,
  type EwmaParams,
  HoltDetector,
  type HoltParams,
  RobustDetector,
  type RobustParams,
  SeasonalDetector,
  type SeasonalParams,
  squashZ,
} from './statistical.ts';
export type { AnomalyDetector, DetectorJSON } from './types.ts';
export { WindowedGaussianDetector, type WindowedGaussianParams } from './windowed-gaussian.ts';
