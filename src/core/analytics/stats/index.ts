/**
 * Streaming statistics: mergeable moments and quantile sketches, and the distribution functions
 * (Student t, normal, incomplete beta) the other analytics modules share.
 */
export {
  incompleteBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  studentTCdf,
  studentTQuantile,
  studentTTwoSided,
} from './distributions.ts';
export { DDSketch, type DDSketchJSON, type DDSketchOptions } from './sketch.ts';
export {
  type StatsSummary,
  StreamingStats,
  type StreamingStatsJSON,
  type StreamingStatsOptions,
} from './streaming.ts';
