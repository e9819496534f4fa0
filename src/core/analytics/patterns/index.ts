/**
 * Pattern analyses of a metric series: regime labels per window, recurring shapes (motifs) and one-off
 * shapes (discords) from the exact matrix profile, and lagged cross-correlation between two metrics.
 * Pure functions over arrays; every result carries the figures that decided it, so it can be explained.
 *
 * @example
 * classifyRegimes(prices, { window: 20, changes: 'log' }).windows.map((w) => w.regime);
 * matrixProfile(latency, 60, { k: 3 }).discords;
 * laggedCrossCorrelation(vixChanges, latencyChanges, 12).bestLag;
 */
export {
  type CrossCorrelationOptions,
  type CrossCorrelationResult,
  laggedCrossCorrelation,
} from './cross-correlation.ts';
export { PatternInputError } from './errors.ts';
export {
  type Discord,
  type MatrixProfileOptions,
  type MatrixProfileResult,
  type Motif,
  matrixProfile,
} from './matrix-profile.ts';
export {
  classifyRegimes,
  REGIMES,
  type Regime,
  type RegimeOptions,
  type RegimeResult,
  type RegimeWindow,
} from './regimes.ts';
