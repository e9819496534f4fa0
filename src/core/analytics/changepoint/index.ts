/**
 * Change points: offline (PELT, binary segmentation), online (Bayesian online change-point detection), and
 * their accuracy against annotations (TCPDBench's F1 and covering).
 */
export { COST_NAMES, type CostName, type NoiseScale } from './cost.ts';
export { type Annotations, coverScore, type F1Result, f1Details, f1Score } from './metrics.ts';
export {
  binarySegmentation,
  type ChangePointOptions,
  type ChangePointResult,
  detectChangePoints,
  PELT_MAX_POINTS,
  pelt,
  type Segment,
} from './offline.ts';
export {
  BayesianOnlineChangePoint,
  BOCPD_DEFAULTS,
  type BocpdJSON,
  type BocpdParams,
  type BocpdState,
  type BocpdUpdate,
} from './online.ts';
