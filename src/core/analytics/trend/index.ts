/** Trend tests (least squares, Mann-Kendall with Sen's slope) and seasonality detection. */
export { type LinearTrend, linearTrend } from './linear.ts';
export { type MannKendallOptions, type MannKendallResult, mannKendall } from './mann-kendall.ts';
export {
  detectSeasonality,
  type SeasonalCandidate,
  type SeasonalityOptions,
  type SeasonalityResult,
} from './seasonality.ts';
