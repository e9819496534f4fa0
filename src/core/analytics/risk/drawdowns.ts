/** Drawdown statistics of an equity curve: how deep it fell from a peak, for how long, and how often. */
import { checkValues, RiskInputError } from './errors.ts';

export interface DrawdownOptions {
  /**
   * `equity`: values are the curve itself (all ≥ 0, the first > 0). `returns`: values are per-period
   * returns (≥ −1), compounded from 1, so the curve has one more point than the input and index t is the
   * equity after t returns.
   * @default 'equity'
   */
  readonly input?: 'equity' | 'returns';
}

/** One fall from a peak and the climb back (or not yet). Indices refer to the equity curve. */
export interface DrawdownEpisode {
  /** Last point at the running peak before the fall. */
  readonly peak: number;
  /** Lowest point of the episode. */
  readonly trough: number;
  /** First point back at or above the peak; null while still under water. */
  readonly recovery: number | null;
  /** 1 − trough / peak, a fraction. */
  readonly depth: number;
  readonly peakValue: number;
  readonly troughValue: number;
  /** Periods from peak to trough. */
  readonly declineLength: number;
  /** Periods from trough to recovery; null while still under water. */
  readonly recoveryLength: number | null;
  /** Periods from peak to recovery, or to the last point while still under water. */
  readonly length: number;
}

export interface DrawdownResult {
  /** The curve analysed (the compounded one for `input: 'returns'`). */
  readonly equity: readonly number[];
  /** 1 − equity / running peak, per point. */
  readonly drawdown: readonly number[];
  /** Depth of the deepest episode; 0 when the curve never falls. */
  readonly maxDrawdown: number;
  /** The deepest episode (the first of equals), or null. */
  readonly maxEpisode: DrawdownEpisode | null;
  /** Every episode, in time order. */
  readonly episodes: readonly DrawdownEpisode[];
  /** Drawdown at the last point. */
  readonly currentDrawdown: number;
  readonly longestLength: number;
  readonly averageDepth: number;
  /** Share of points under water. */
  readonly timeUnderWater: number;
  /** √(mean squared drawdown), Martin's ulcer index, as a fraction. */
  readonly ulcerIndex: number;
}

/**
 * Drawdown statistics of an equity curve or of the returns that build one.
 * Throws {@link RiskInputError} for an empty series, a non-finite value, a return below −1, a negative
 * equity value or a first equity value of 0.
 *
 * @example
 * drawdowns([100, 120, 90, 110, 130, 117]).maxEpisode
 * // { peak: 1, trough: 2, recovery: 4, depth: 0.25, declineLength: 1, recoveryLength: 2, length: 3, ... }
 */
export function drawdowns(values: readonly number[], options: DrawdownOptions = {}): DrawdownResult {
  const input = options.input ?? 'equity';
  let equity: number[];
  if (input === 'returns') {
    checkValues('returns', values, 1, -1);
    equity = [1];
    for (const r of values) equity.push((equity[equity.length - 1] as number) * (1 + r));
  } else if (input === 'equity') {
    checkValues('equity', values, 1, 0);
    if ((values[0] as number) <= 0) throw new RiskInputError(`equity[0] must be > 0, got ${values[0]}`);
    equity = [...values];
  } else {
    throw new RiskInputError(`input must be 'equity' or 'returns', got ${String(input)}`);
  }

  const drawdown: number[] = [];
  const episodes: DrawdownEpisode[] = [];
  let peak = 0;
  let trough = -1;
  const close = (recovery: number | null) => {
    const pv = equity[peak] as number;
    const tv = equity[trough] as number;
    const end = recovery ?? equity.length - 1;
    episodes.push({
      peak,
      trough,
      recovery,
      depth: 1 - tv / pv,
      peakValue: pv,
      troughValue: tv,
      declineLength: trough - peak,
      recoveryLength: recovery === null ? null : recovery - trough,
      length: end - peak,
    });
  };
  for (let t = 0; t < equity.length; t++) {
    const v = equity[t] as number;
    const pv = equity[peak] as number;
    if (v >= pv) {
      if (trough >= 0) close(t);
      trough = -1;
      peak = t;
      drawdown.push(0);
    } else {
      if (trough < 0 || v < (equity[trough] as number)) trough = t;
      drawdown.push(1 - v / pv);
    }
  }
  if (trough >= 0) close(null);

  let maxEpisode: DrawdownEpisode | null = null;
  for (const e of episodes) if (maxEpisode === null || e.depth > maxEpisode.depth) maxEpisode = e;
  const under = drawdown.filter((d) => d > 0).length;
  return {
    equity,
    drawdown,
    maxDrawdown: maxEpisode?.depth ?? 0,
    maxEpisode,
    episodes,
    currentDrawdown: drawdown[drawdown.length - 1] as number,
    longestLength: episodes.reduce((m, e) => Math.max(m, e.length), 0),
    averageDepth: episodes.length ? episodes.reduce((s, e) => s + e.depth, 0) / episodes.length : 0,
    timeUnderWater: under / equity.length,
    ulcerIndex: Math.sqrt(drawdown.reduce((s, d) => s + d * d, 0) / drawdown.length),
  };
}
