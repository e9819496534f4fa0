/** Change points: offline (PELT, binary segmentation) and online (Bayesian online change-point detection). */
export { COST_NAMES, type CostName } from './cost.ts';
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
