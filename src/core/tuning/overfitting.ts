/**
 * Overfitting diagnostics for parameter tuning:
 *   - the probabilistic and deflated Sharpe ratios (Bailey & López de Prado, "The Deflated Sharpe Ratio:
 *     Correcting for Selection Bias, Backtest Overfitting and Non-Normality", J. Portfolio Management 2014);
 *   - the probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
 *     Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", J. Computational Finance 2017,
 *     working paper 2015);
 *   - parameter stability across walk-forward windows.
 *
 * Sharpe ratios here are per observation (not annualised) unless a name says otherwise: the DSR formulas
 * are written for the observation frequency, and annualising both sides would change nothing but the scale.
 */
import { normCdf, normInv } from '../backtest/black-scholes.ts';
import { mulberry32, shuffled } from '../random.ts';

/** Raised for invalid inputs to the tuning module; the message names the field and the rule. */
export class TuningError extends Error {
  override readonly name = 'TuningError';
}

/** Euler-Mascheroni constant, used by the expected maximum of N normal Sharpe ratios. */
export const EULER_GAMMA = 0.5772156649015329;

function need(ok: boolean, field: string, rule: string, value: unknown): void {
  if (!ok) throw new TuningError(`${field} ${rule}, got ${String(value)}`);
}

function finiteSeries(x: readonly number[], field: string, min: number): void {
  need(Array.isArray(x) && x.length >= min, field, `must hold at least ${min} numbers`, x?.length);
  for (const [i, v] of x.entries()) need(Number.isFinite(v), `${field}[${i}]`, 'must be a finite number', v);
}

/** Sample moments used by the PSR/DSR: mean, standard deviation (n − 1), skewness and (non-excess) kurtosis. */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  /** Population skewness m3 / m2^1.5 (0 for a normal; 0 when the series is constant). */
  readonly skew: number;
  /** Population kurtosis m4 / m2² (3 for a normal, not excess; 3 when the series is constant). */
  readonly kurtosis: number;
}

/** Mean, sd, skewness and kurtosis of a series (at least 2 finite values). */
export function moments(x: readonly number[]): Moments {
  finiteSeries(x, 'returns', 2);
  const n = x.length;
  const m = x.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of x) {
    const d = v - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {
    n,
    mean: m,
    sd: Math.sqrt((m2 * n) / (n - 1)),
    skew: m2 > 0 ? m3 / m2 ** 1.5 : 0,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 3,
  };
}

/** Per-observation Sharpe ratio mean / sd (sd with n − 1; 0 for a constant series). */
export function sharpePerPeriod(x: readonly number[]): number {
  const m = moments(x);
  return m.sd > 0 ? m.mean / m.sd : 0;
}

/**
 * Expected maximum Sharpe ratio of `nTrials` independent strategies whose true Sharpe is 0 and whose
 * estimated Sharpe ratios have variance `variance` (the DSR paper's SR₀, from the extreme-value
 * approximation of the maximum of N normals):
 *   SR₀ = √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))).
 * 0 for a single trial (no selection, no bias).
 */
export function expectedMaxSharpe(nTrials: number, variance: number): number {
  need(Number.isInteger(nTrials) && nTrials >= 1, 'nTrials', 'must be an integer >= 1', nTrials);
  need(Number.isFinite(variance) && variance >= 0, 'variance', 'must be a finite number >= 0', variance);
  if (nTrials === 1 || variance === 0) return 0;
  return (
    Math.sqrt(variance) *
    ((1 - EULER_GAMMA) * normInv(1 - 1 / nTrials) + EULER_GAMMA * normInv(1 - 1 / (nTrials * Math.E)))
  );
}

/** Inputs of the probabilistic Sharpe ratio: an observed per-period Sharpe and the shape of its returns. */
export interface SharpeSample {
  /** Observed Sharpe ratio, per observation. */
  readonly sharpe: number;
  /** Number of observations T (>= 2). */
  readonly observations: number;
  /** Skewness of the returns. @default 0 */
  readonly skew?: number;
  /** Kurtosis of the returns (3 for a normal, not excess). @default 3 */
  readonly kurtosis?: number;
}

function checkSample(s: SharpeSample): { sr: number; t: number; g3: number; g4: number } {
  need(Number.isFinite(s.sharpe), 'sharpe', 'must be a finite number', s.sharpe);
  need(
    Number.isInteger(s.observations) && s.observations >= 2,
    'observations',
    'must be an integer >= 2',
    s.observations,
  );
  const g3 = s.skew ?? 0;
  const g4 = s.kurtosis ?? 3;
  need(Number.isFinite(g3), 'skew', 'must be a finite number', g3);
  need(Number.isFinite(g4) && g4 >= 1, 'kurtosis', 'must be a finite number >= 1 (non-excess)', g4);
  return { sr: s.sharpe, t: s.observations, g3, g4 };
}

/**
 * Probabilistic Sharpe ratio: the probability that the true Sharpe exceeds `benchmark`, given the observed
 * one, its sample length and the returns' skewness and kurtosis (Bailey & López de Prado 2012):
 *   PSR = Φ((SR − SR*) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 · SR²)).
 */
export function probabilisticSharpe(s: SharpeSample, benchmark = 0): number {
  const { sr, t, g3, g4 } = checkSample(s);
  need(Number.isFinite(benchmark), 'benchmark', 'must be a finite number', benchmark);
  const denom = 1 - g3 * sr + ((g4 - 1) / 4) * sr * sr;
  // A non-positive variance term only happens for extreme skew against a large SR; the estimate is then
  // undefined, and the honest answer is "no evidence either way".
  if (!(denom > 0)) return 0.5;
  return normCdf(((sr - benchmark) * Math.sqrt(t - 1)) / Math.sqrt(denom));
}

/** Result of {@link deflatedSharpe}. */
export interface DeflatedSharpe {
  /** Probability that the selected strategy's true Sharpe is above the selection-bias benchmark SR₀. */
  readonly dsr: number;
  /** SR₀, the Sharpe ratio the best of `nTrials` skill-less trials would be expected to reach. */
  readonly benchmark: number;
}

/**
 * Deflated Sharpe ratio: the PSR of the selected trial against SR₀ = {@link expectedMaxSharpe}(N, V).
 * `trialVariance` is the variance of the N trials' Sharpe ratios (same frequency as `sharpe`). Trials of
 * one study are correlated, so N overstates the independent trials and the DSR errs on the low side.
 *
 * @example
 * // The paper's example: annual SR 2.5 over 5 years of daily data, 100 trials, V[annual SR] = 0.5,
 * // skew −3, kurtosis 10 → DSR ≈ 0.90.
 * deflatedSharpe({ sharpe: 2.5 / Math.sqrt(250), observations: 1250, skew: -3, kurtosis: 10 }, 100, 0.5 / 250);
 */
export function deflatedSharpe(s: SharpeSample, nTrials: number, trialVariance: number): DeflatedSharpe {
  const benchmark = expectedMaxSharpe(nTrials, trialVariance);
  return { dsr: probabilisticSharpe(s, benchmark), benchmark };
}

/** Options of {@link probabilityOfBacktestOverfitting}. */
export interface PboOptions {
  /** S, the number of row blocks; even, >= 2. @default 16 (the paper's choice) */
  readonly partitions?: number;
  /** Performance statistic of a strategy on a set of rows. @default 'sharpe' */
  readonly metric?: 'sharpe' | 'mean';
  /** Above this many combinations C(S, S/2), a seeded random sample of this size is used. @default 20000 */
  readonly maxCombinations?: number;
  /** Seed of that sample. @default 0 */
  readonly seed?: number;
}

/** Result of {@link probabilityOfBacktestOverfitting}. */
export interface PboResult {
  /** Share of combinations whose in-sample best strategy ranks at or below the out-of-sample median. */
  readonly pbo: number;
  /** Logit λ = ln(ω / (1 − ω)) of the in-sample best's relative out-of-sample rank ω, per combination. */
  readonly logits: number[];
  readonly combinations: number;
  readonly partitions: number;
  readonly strategies: number;
  /** Rows used: the earliest T mod S rows are dropped so the blocks are equal. */
  readonly rowsUsed: number;
}

function* combinationsOf(s: number, k: number): Generator<number[]> {
  const c = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield c.slice();
    let i = k - 1;
    while (i >= 0 && c[i] === s - k + i) i--;
    if (i < 0) return;
    c[i] = (c[i] as number) + 1;
    for (let j = i + 1; j < k; j++) c[j] = (c[j - 1] as number) + 1;
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * Probability of backtest overfitting by CSCV. `returns[n]` is strategy (trial) n's return series; all
 * series have the same length T (rows = time). The rows are cut into S equal blocks; for every way of
 * taking S/2 blocks as in-sample (the rest out-of-sample), the strategy best in-sample is ranked among
 * all strategies out-of-sample; PBO is the share of splits where that rank is at or below the median
 * (logit ≤ 0). Ties in the out-of-sample ranking take the average rank; ties in-sample take the first
 * strategy. A strategy that dominates in every block gives 0; interchangeable noise strategies give about 0.5.
 *
 * @example
 * probabilityOfBacktestOverfitting(trialReturns, { partitions: 16 }).pbo;
 */
export function probabilityOfBacktestOverfitting(
  returns: readonly (readonly number[])[],
  opts: PboOptions = {},
): PboResult {
  need(
    Array.isArray(returns) && returns.length >= 2,
    'returns',
    'must hold at least 2 strategies',
    returns?.length,
  );
  const nStrat = returns.length;
  const t = (returns[0] as readonly number[]).length;
  for (const [i, r] of returns.entries()) {
    need(r.length === t, `returns[${i}]`, `must have the same length as returns[0] (${t})`, r.length);
    for (const [j, v] of r.entries())
      need(Number.isFinite(v), `returns[${i}][${j}]`, 'must be a finite number', v);
  }
  const s = opts.partitions ?? 16;
  need(Number.isInteger(s) && s >= 2 && s % 2 === 0, 'partitions', 'must be an even integer >= 2', s);
  const metric = opts.metric ?? 'sharpe';
  need(metric === 'sharpe' || metric === 'mean', 'metric', "must be 'sharpe' or 'mean'", metric);
  const block = Math.floor(t / s);
  // A Sharpe ratio needs two rows per half.
  need(
    block >= 1 && (metric === 'mean' || block * (s / 2) >= 2),
    'partitions',
    `must leave at least one row per block and two per half (T = ${t} rows)`,
    s,
  );
  const maxComb = opts.maxCombinations ?? 20_000;
  need(Number.isInteger(maxComb) && maxComb >= 1, 'maxCombinations', 'must be an integer >= 1', maxComb);
  const offset = t - block * s;

  // Per block and strategy: sum and sum of squares, so a split's statistic costs S/2 additions.
  const s1 = new Float64Array(s * nStrat);
  const s2 = new Float64Array(s * nStrat);
  for (let n = 0; n < nStrat; n++) {
    const r = returns[n] as readonly number[];
    for (let b = 0; b < s; b++) {
      let a = 0;
      let q = 0;
      for (let i = offset + b * block; i < offset + (b + 1) * block; i++) {
        const v = r[i] as number;
        a += v;
        q += v * v;
      }
      s1[b * nStrat + n] = a;
      s2[b * nStrat + n] = q;
    }
  }
  const half = s / 2;
  const rows = half * block;
  const perf = (blocks: readonly number[], out: Float64Array) => {
    for (let n = 0; n < nStrat; n++) {
      let a = 0;
      let q = 0;
      for (const b of blocks) {
        a += s1[b * nStrat + n] as number;
        q += s2[b * nStrat + n] as number;
      }
      const m = a / rows;
      if (metric === 'mean') {
        out[n] = m;
        continue;
      }
      const v = Math.max(0, (q - a * m) / (rows - 1));
      const sd = Math.sqrt(v);
      // Relative tolerance: a constant series leaves rounding noise in q − a·m.
      out[n] =
        sd > 1e-12 * Math.max(1, Math.abs(m))
          ? m / sd
          : m > 0
            ? Number.POSITIVE_INFINITY
            : m < 0
              ? Number.NEGATIVE_INFINITY
              : 0;
    }
  };

  const total = binomial(s, half);
  let combos: number[][];
  if (total <= maxComb) {
    combos = [...combinationsOf(s, half)];
  } else {
    const rng = mulberry32(opts.seed ?? 0);
    const all = Array.from({ length: s }, (_, i) => i);
    combos = Array.from({ length: maxComb }, () =>
      shuffled(rng, all)
        .slice(0, half)
        .sort((a, b) => a - b),
    );
  }
  const isPerf = new Float64Array(nStrat);
  const oosPerf = new Float64Array(nStrat);
  const logits: number[] = [];
  let below = 0;
  for (const is of combos) {
    const inIs = new Set(is);
    const oos: number[] = [];
    for (let b = 0; b < s; b++) if (!inIs.has(b)) oos.push(b);
    perf(is, isPerf);
    perf(oos, oosPerf);
    let best = 0;
    for (let n = 1; n < nStrat; n++) if ((isPerf[n] as number) > (isPerf[best] as number)) best = n;
    const x = oosPerf[best] as number;
    let lower = 0;
    let equal = 0;
    for (let n = 0; n < nStrat; n++) {
      const y = oosPerf[n] as number;
      if (y < x) lower++;
      else if (y === x && n !== best) equal++;
    }
    const rank = 1 + lower + equal / 2;
    const omega = rank / (nStrat + 1);
    const logit = Math.log(omega / (1 - omega));
    logits.push(logit);
    if (logit <= 0) below++;
  }
  return {
    pbo: below / combos.length,
    logits,
    combinations: combos.length,
    partitions: s,
    strategies: nStrat,
    rowsUsed: block * s,
  };
}

/** Result of {@link parameterStability}. */
export interface ParameterStability {
  /** Per parameter: standard deviation (n − 1) of its chosen values across windows, divided by its range. */
  readonly perParam: Readonly<Record<string, number>>;
  /** Mean of `perParam`: 0 = the same choice in every window; ~0.29 = uniform over the range. */
  readonly mean: number;
}

/**
 * Dispersion of each tuned parameter across walk-forward windows, normalised by its search range so that
 * parameters with different units compare. A uniform draw over the range has dispersion 1/√12 ≈ 0.289:
 * values near it mean the tuner's choice is not stable from one window to the next.
 */
export function parameterStability(
  choices: readonly Readonly<Record<string, number>>[],
  ranges: Readonly<Record<string, { low: number; high: number }>>,
): ParameterStability {
  need(
    Array.isArray(choices) && choices.length >= 1,
    'choices',
    'must hold at least 1 window',
    choices?.length,
  );
  const perParam: Record<string, number> = {};
  const names = Object.keys(ranges);
  need(names.length >= 1, 'ranges', 'must name at least 1 parameter', names.length);
  for (const name of names) {
    const r = ranges[name] as { low: number; high: number };
    need(r.high > r.low, `ranges.${name}`, 'must have high > low', `${r.low}..${r.high}`);
    const v = choices.map((c, i) => {
      const x = c[name];
      need(
        typeof x === 'number' && Number.isFinite(x),
        `choices[${i}].${name}`,
        'must be a finite number',
        x,
      );
      return x as number;
    });
    if (v.length < 2) {
      perParam[name] = 0;
      continue;
    }
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
    perParam[name] = sd / (r.high - r.low);
  }
  const vals = Object.values(perParam);
  return { perParam, mean: vals.reduce((a, b) => a + b, 0) / vals.length };
}
