/**
 * The Numenta Anomaly Benchmark scorer, ported from numenta/NAB nab/sweeper.py, nab/optimizer.py and the
 * normalisation in nab/runner.py (MIT licence, Numenta Inc.). Pure: the caller reads the files.
 *
 * Per file: rows in the probationary prefix (min(floor(0.15 n), 0.15 · 5000) rows) are not scored. A row
 * inside a labelled window weighs tpWeight · σ(position) / σ(-1) with position = -(right - i + 1) / width, so
 * the window's first row weighs exactly tpWeight; a row outside weighs fpWeight · σ(|prevRight - i| /
 * (prevWidth - 1)) after a window, or -fpWeight before any. σ is NAB's scaled sigmoid.
 * Per threshold: each window scores the best weight among its detected rows (so, in effect, the first
 * detection), or -fnWeight when none; every detected row outside windows adds its weight.
 * One threshold per detector and profile maximises the corpus total; the result is normalised as
 * 100 · (S - S_null) / (S_perfect - S_null), S_null being the null detector optimised the same way and
 * S_perfect = tpWeight · number of labelled windows.
 */

/** NAB cost matrix (tnWeight is unused by the scorer). */
export interface CostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** NAB's three application profiles (config/profiles.json). */
export const NAB_PROFILES: Readonly<Record<NabProfile, CostMatrix>> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

export type NabProfile = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** One labelled data file: its timestamps and its anomaly windows as [start, end] timestamps. */
export interface NabFile {
  readonly name: string;
  readonly timestamps: readonly number[];
  readonly windows: readonly (readonly [number, number])[];
}

/** NAB's scaled sigmoid: 2 / (1 + e^(5y)) - 1, and -1 beyond y = 3. */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/** Rows at the start of a file that are not scored: min(floor(p · n), p · 5000). */
export function probationaryLength(rows: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** Per-row weights of one file, independent of the profile (sweeper.calcSweepScore without the weights). */
export interface FileSweep {
  /** Window index within the file for rows inside a window, else -1. */
  readonly window: Int32Array;
  /** σ(position)/σ(-1) inside windows, σ(distance past the previous window) or -1 outside. */
  readonly unweighted: Float64Array;
  /** 0 for probationary rows. */
  readonly scorable: Uint8Array;
  /** Windows that have at least one scorable row (only those can be missed). */
  readonly scorableWindows: number;
}

/**
 * Profile-independent part of NAB's calcSweepScore for one file.
 * Throws if a window edge is not one of the file's timestamps (NAB's labeller guarantees they are).
 */
export function sweepFile(file: NabFile, probationPercent = 0.15): FileSweep {
  const n = file.timestamps.length;
  const index = new Map<number, number>();
  file.timestamps.forEach((t, i) => {
    if (!index.has(t)) index.set(t, i);
  });
  const windows = file.windows.map(([start, end], w) => {
    const left = index.get(start);
    const right = index.get(end);
    if (left === undefined || right === undefined) {
      throw new RangeError(`windows of ${file.name}: window ${w} edge is not a timestamp of the file`);
    }
    if (right < left) throw new RangeError(`windows of ${file.name}: window ${w} ends before it starts`);
    return { left, right };
  });
  for (let w = 1; w < windows.length; w++) {
    if ((windows[w] as { left: number }).left <= (windows[w - 1] as { right: number }).right) {
      throw new RangeError(
        `windows of ${file.name}: window ${w} overlaps or precedes window ${w - 1}; windows must be sorted and disjoint`,
      );
    }
  }
  const maxTP = scaledSigmoid(-1);
  const probation = probationaryLength(n, probationPercent);
  const window = new Int32Array(n).fill(-1);
  const unweighted = new Float64Array(n);
  const scorable = new Uint8Array(n);
  let next = 0;
  let cur = -1;
  let prevRight = -1;
  let prevWidth = 0;
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (cur < 0 && next < windows.length && (windows[next] as { left: number }).left === i) cur = next++;
    if (cur >= 0) {
      const { left, right } = windows[cur] as { left: number; right: number };
      const width = right - left + 1;
      window[i] = cur;
      unweighted[i] = scaledSigmoid(-(right - i + 1) / width) / maxTP;
    } else if (prevRight < 0) {
      unweighted[i] = -1;
    } else {
      unweighted[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    }
    if (i >= probation) {
      scorable[i] = 1;
      if (cur >= 0) seen.add(cur);
    }
    if (cur >= 0 && (windows[cur] as { right: number }).right === i) {
      prevRight = i;
      prevWidth = i - (windows[cur] as { left: number }).left + 1;
      cur = -1;
    }
  }
  return { window, unweighted, scorable, scorableWindows: seen.size };
}

/** Best threshold of a detector for one profile over a corpus, with what it detects. */
export interface ThresholdResult {
  readonly threshold: number;
  /** Raw NAB score (sum over files) at that threshold. */
  readonly score: number;
  /** Windows with a detection, windows missed, detected rows outside windows. */
  readonly detectedWindows: number;
  readonly missedWindows: number;
  readonly falsePositives: number;
}

/**
 * NAB's optimizer: sweeps every distinct score as a threshold (detection = score >= threshold) over the
 * scorable rows of all files together and keeps the best corpus total; ties go to the higher threshold.
 *
 * @param sweeps one {@link FileSweep} per file
 * @param scores per file, one score per row, in [0, 1]
 */
export function optimizeThreshold(
  sweeps: readonly FileSweep[],
  scores: readonly ArrayLike<number>[],
  cost: CostMatrix,
): ThresholdResult {
  if (sweeps.length !== scores.length)
    throw new RangeError(
      `scores must have one entry per file, got ${scores.length} for ${sweeps.length} files`,
    );
  let total = 0;
  for (const s of sweeps) total += s.unweighted.length;
  const score = new Float64Array(total);
  const weight = new Float64Array(total);
  const win = new Int32Array(total);
  let m = 0;
  let windowBase = 0;
  let scorableWindows = 0;
  sweeps.forEach((sw, f) => {
    const sc = scores[f] as ArrayLike<number>;
    if (sc.length !== sw.unweighted.length) {
      throw new RangeError(
        `scores[${f}] must have one score per row, got ${sc.length} for ${sw.unweighted.length} rows`,
      );
    }
    let maxWindow = -1;
    for (let i = 0; i < sw.unweighted.length; i++) {
      const w = sw.window[i] as number;
      if (w > maxWindow) maxWindow = w;
      if (!sw.scorable[i]) continue;
      const v = sc[i] as number;
      if (!(v >= 0 && v <= 1)) throw new RangeError(`scores[${f}][${i}] must be in [0, 1], got ${v}`);
      score[m] = v;
      const u = sw.unweighted[i] as number;
      weight[m] = w >= 0 ? u * cost.tpWeight : u * cost.fpWeight;
      win[m] = w >= 0 ? windowBase + w : -1;
      m++;
    }
    windowBase += maxWindow + 1;
    scorableWindows += sw.scorableWindows;
  });
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  // Stable descending sort by score, like Python's sorted(..., reverse=True).
  order.sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);

  const best = new Float64Array(windowBase).fill(Number.NEGATIVE_INFINITY);
  let windowsPart = -cost.fnWeight * scorableWindows;
  let fpPart = 0;
  let detected = 0;
  let fpCount = 0;
  let current = 1.1;
  let result: ThresholdResult = {
    threshold: current,
    score: windowsPart,
    detectedWindows: 0,
    missedWindows: scorableWindows,
    falsePositives: 0,
  };
  const consider = (threshold: number) => {
    const s = windowsPart + fpPart;
    if (s > result.score) {
      result = {
        threshold,
        score: s,
        detectedWindows: detected,
        missedWindows: scorableWindows - detected,
        falsePositives: fpCount,
      };
    }
  };
  for (let j = 0; j < m; j++) {
    const i = order[j] as number;
    const v = score[i] as number;
    if (v !== current) {
      consider(current);
      current = v;
    }
    const w = win[i] as number;
    const wt = weight[i] as number;
    if (w < 0) {
      fpPart += wt;
      fpCount++;
    } else {
      const prev = best[w] as number;
      if (prev === Number.NEGATIVE_INFINITY) {
        detected++;
        windowsPart += wt + cost.fnWeight;
        best[w] = wt;
      } else if (wt > prev) {
        windowsPart += wt - prev;
        best[w] = wt;
      }
    }
  }
  consider(current);
  return result;
}

/** A detector's result for one profile, normalised as NAB reports it. */
export interface ProfileResult extends ThresholdResult {
  readonly normalized: number;
  readonly nullScore: number;
  readonly perfectScore: number;
}

/**
 * Scores a detector over a corpus for each profile exactly as NAB does, normalised between the null
 * detector (0) and the perfect one (100).
 *
 * @example
 * const sweeps = files.map((f) => sweepFile(f));
 * const { standard } = scoreCorpus(files, sweeps, scoresPerFile);
 */
export function scoreCorpus(
  files: readonly NabFile[],
  sweeps: readonly FileSweep[],
  scores: readonly ArrayLike<number>[],
  profiles: Readonly<Record<string, CostMatrix>> = NAB_PROFILES,
): Record<string, ProfileResult> {
  const nullScores = sweeps.map((s) => new Float64Array(s.unweighted.length));
  const windows = files.reduce((sum, f) => sum + f.windows.length, 0);
  const out: Record<string, ProfileResult> = {};
  for (const [name, cost] of Object.entries(profiles)) {
    const nullScore = optimizeThreshold(sweeps, nullScores, cost).score;
    const perfectScore = windows * cost.tpWeight;
    const r = optimizeThreshold(sweeps, scores, cost);
    const normalized =
      perfectScore === nullScore ? 0 : (100 * (r.score - nullScore)) / (perfectScore - nullScore);
    out[name] = { ...r, normalized, nullScore, perfectScore };
  }
  return out;
}
