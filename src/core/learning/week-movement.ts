/**
 * The ALL-USE week-movement classifier: from daily bars and VIX, predict the bucket of the coming week's
 * move (the buckets at ±1, 5, 10, 15 % that decide week types, MOVE_BUCKET_EDGES of the backtester).
 *
 * One row per week w. Its features are known at the week's open: every one is computed from bars up to the
 * last close of week w-1 (the previous Friday, or Thursday before a holiday) and VIX closes up to that day.
 * Its label is the bucket of week w's close-to-close move (last close of w-1 to last close of w), the move
 * `classifyWeek` uses. Features:
 *   ret_1w, ret_4w, ret_12w   simple returns over the last 1, 4, 12 weeks (ret_1w is last week's move)
 *   atr14_pct                 Wilder ATR(14) / close
 *   rsi14                     Wilder RSI(14)
 *   rvol20                    annualised standard deviation of the last 20 daily log returns
 *   trend                     (SMA20 - SMA50) / ATR(14): signed trend strength in ATRs
 *   vix, vix_chg_1w           VIX close, and its log change over the last week
 * Bars are cut into segments at calendar gaps over 10 days (QQQ has a 2004-2011 hole in the LEAN data) and
 * each segment is computed on its own, so no indicator spans a hole.
 */
import {
  type Bar,
  dayToIso,
  MOVE_BUCKET_EDGES,
  mondayOf,
  moveBucket,
  type VixPoint,
  weekdayOf,
} from '../backtest/index.ts';
import { walkForward } from '../ml/index.ts';
import { type Candidate, DEFAULT_CANDIDATES, fitCandidate, meanMetrics, predictRows } from './candidates.ts';
import { type Dataset, sliceDataset } from './dataset.ts';
import { LearningError } from './errors.ts';
import { type MetricName, type Predictions, scoreAll } from './metrics.ts';

/** Feature names, in column order. */
export const WEEK_FEATURES = [
  'ret_1w',
  'ret_4w',
  'ret_12w',
  'atr14_pct',
  'rsi14',
  'rvol20',
  'trend',
  'vix',
  'vix_chg_1w',
] as const;

/**
 * The signed index of a weekly move's bucket: 0 for |move| < 1 %, ±1 for 1-5 %, ±2 for 5-10 %, ±3 for
 * 10-15 %, ±4 beyond, with the same edges and boundary rules as {@link moveBucket} (an edge belongs to the
 * larger bucket). Numeric, so it can be a class label.
 */
export function moveBucketIndex(move: number): number {
  if (!Number.isFinite(move))
    throw new LearningError('move', 'finite', `is ${move}; must be a finite number`);
  const pct = move * 100;
  let k = 0;
  for (const e of MOVE_BUCKET_EDGES) if (Math.abs(pct) >= e * 100) k++;
  return pct < 0 ? -k : k;
}

/** The label of a bucket index, as {@link moveBucket} prints it (e.g. 2 -> '5..10%'). */
export function moveBucketName(index: number): string {
  const k = Math.abs(index);
  if (!Number.isInteger(index) || k > MOVE_BUCKET_EDGES.length)
    throw new LearningError(
      'index',
      'range',
      `is ${index}; must be an integer in [-${MOVE_BUCKET_EDGES.length}, ${MOVE_BUCKET_EDGES.length}]`,
    );
  const lo = k === 0 ? 0 : (MOVE_BUCKET_EDGES[k - 1] as number);
  const hi = MOVE_BUCKET_EDGES[k] ?? lo * 2;
  const mid = (lo + hi) / 2;
  return moveBucket(index < 0 ? -mid : mid);
}

/** One week: features at its open, and (when the week is complete) its move and bucket. */
export interface WeekRow {
  /** ISO date of the week's Monday. */
  readonly week: string;
  /** The Monday, epoch ms (UTC midnight). */
  readonly time: number;
  /** ISO date of the last close the features use. */
  readonly asOf: string;
  readonly features: readonly (number | null)[];
  /** Close-to-close move of the week; absent for a week not yet complete. */
  readonly move?: number;
  readonly label?: number;
}

const DAY_MS = 86_400_000;
const MAX_GAP_DAYS = 10;
const VIX_STALE_DAYS = 7;

function segments(bars: readonly Bar[]): Bar[][] {
  const out: Bar[][] = [];
  let cur: Bar[] = [];
  for (const b of bars) {
    const prev = cur[cur.length - 1];
    if (prev && b.day - prev.day > MAX_GAP_DAYS) {
      out.push(cur);
      cur = [];
    }
    cur.push(b);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Causal daily indicators of one segment; NaN until enough bars. */
function indicators(bars: readonly Bar[]) {
  const n = bars.length;
  const atr = new Float64Array(n).fill(Number.NaN);
  const rsi = new Float64Array(n).fill(Number.NaN);
  const rvol = new Float64Array(n).fill(Number.NaN);
  const sma20 = new Float64Array(n).fill(Number.NaN);
  const sma50 = new Float64Array(n).fill(Number.NaN);
  let trSum = 0;
  let gain = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const b = bars[i] as Bar;
    const pc = i > 0 ? (bars[i - 1] as Bar).close : Number.NaN;
    const tr =
      i === 0 ? b.high - b.low : Math.max(b.high - b.low, Math.abs(b.high - pc), Math.abs(b.low - pc));
    // Wilder: a plain mean of the first 14 values, then (prev·13 + new) / 14.
    if (i < 14) {
      trSum += tr;
      if (i === 13) atr[i] = trSum / 14;
    } else atr[i] = ((atr[i - 1] as number) * 13 + tr) / 14;
    if (i > 0) {
      const ch = b.close - pc;
      const g = Math.max(ch, 0);
      const l = Math.max(-ch, 0);
      if (i <= 14) {
        gain += g / 14;
        loss += l / 14;
      } else {
        gain = (gain * 13 + g) / 14;
        loss = (loss * 13 + l) / 14;
      }
      if (i >= 14) rsi[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
    }
    if (i >= 20) {
      let m = 0;
      for (let k = i - 19; k <= i; k++) m += Math.log((bars[k] as Bar).close / (bars[k - 1] as Bar).close);
      m /= 20;
      let s = 0;
      for (let k = i - 19; k <= i; k++)
        s += (Math.log((bars[k] as Bar).close / (bars[k - 1] as Bar).close) - m) ** 2;
      rvol[i] = Math.sqrt((s / 19) * 252);
    }
    for (const [len, out] of [
      [20, sma20],
      [50, sma50],
    ] as const) {
      if (i >= len - 1) {
        let s = 0;
        for (let k = i - len + 1; k <= i; k++) s += (bars[k] as Bar).close;
        out[i] = s / len;
      }
    }
  }
  return { atr, rsi, rvol, sma20, sma50 };
}

/** VIX close on or before `day` (at most a week old), else null. */
function vixLookup(vix: readonly VixPoint[]): (day: number) => number | null {
  const days = vix.map((v) => v.day);
  return (day) => {
    let lo = 0;
    let hi = days.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((days[mid] as number) <= day) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || day - (days[found] as number) > VIX_STALE_DAYS) return null;
    return (vix[found] as VixPoint).close;
  };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Every week with enough history (13 weeks and 50 bars of its segment), in time order: features known at
 * the week's open and, for complete weeks, the move and its bucket. The last row may be the coming week
 * (features from the last complete week, no label): the row to predict.
 */
export function weekMovementRows(bars: readonly Bar[], vix: readonly VixPoint[]): WeekRow[] {
  for (let i = 1; i < bars.length; i++)
    if ((bars[i] as Bar).day <= (bars[i - 1] as Bar).day)
      throw new LearningError(`bars[${i}]`, 'ascending', 'bars must be in strictly increasing date order');
  const vixAt = vixLookup(vix);
  const rows: WeekRow[] = [];
  const segs = segments(bars);
  segs.forEach((seg, si) => {
    const ind = indicators(seg);
    // Last bar index of each week of the segment.
    const weeks: { monday: number; last: number }[] = [];
    seg.forEach((b, i) => {
      const monday = mondayOf(b.day);
      const w = weeks[weeks.length - 1];
      if (w && w.monday === monday) w.last = i;
      else weeks.push({ monday, last: i });
    });
    const lastWeek = weeks[weeks.length - 1];
    const lastComplete = lastWeek !== undefined && weekdayOf((seg[lastWeek.last] as Bar).day) === 5;
    // k = the week predicted; k === weeks.length is the coming week after a complete last week.
    for (let k = 13; k <= weeks.length; k++) {
      // Only the data's final week has a coming week worth predicting; a segment before a hole has none.
      if (k === weeks.length && (!lastComplete || si < segs.length - 1)) break;
      const prev = weeks[k - 1] as { monday: number; last: number };
      const r = prev.last;
      if (r < 50) continue;
      const close = (i: number) => (seg[i] as Bar).close;
      const at = (back: number) => close((weeks[k - 1 - back] as { last: number }).last);
      const c = close(r);
      const vixNow = vixAt((seg[r] as Bar).day);
      const vixPrev = vixAt((seg[(weeks[k - 2] as { last: number }).last] as Bar).day);
      const atr = ind.atr[r] as number;
      const features = [
        c / at(1) - 1,
        c / at(4) - 1,
        c / at(12) - 1,
        finiteOrNull(atr / c),
        finiteOrNull(ind.rsi[r] as number),
        finiteOrNull(ind.rvol[r] as number),
        finiteOrNull(((ind.sma20[r] as number) - (ind.sma50[r] as number)) / atr),
        vixNow,
        vixNow !== null && vixPrev !== null ? Math.log(vixNow / vixPrev) : null,
      ];
      const week = weeks[k];
      const monday = week ? week.monday : prev.monday + 7;
      const complete = week !== undefined && (k < weeks.length - 1 || lastComplete);
      const move = complete ? close(week.last) / c - 1 : undefined;
      rows.push({
        week: dayToIso(monday),
        time: monday * DAY_MS,
        asOf: (seg[r] as Bar).date,
        features,
        ...(move === undefined ? {} : { move, label: moveBucketIndex(move) }),
      });
    }
  });
  return rows;
}

/** Options of {@link weekMovementDataset}. */
export interface WeekDatasetOptions {
  /** First week (ISO date, compared with the week's Monday). */
  readonly from?: string;
  /** Last week (ISO date). */
  readonly to?: string;
}

/**
 * The labelled weeks as a classification data set: classes are the bucket indices present, `classNames`
 * their bucket labels. Indicators use all bars before `from`, so a window starts with full features.
 */
export function weekMovementDataset(
  bars: readonly Bar[],
  vix: readonly VixPoint[],
  opts: WeekDatasetOptions = {},
): Dataset {
  const rows = weekMovementRows(bars, vix).filter(
    (r) =>
      r.label !== undefined &&
      (opts.from === undefined || r.week >= opts.from) &&
      (opts.to === undefined || r.week <= opts.to),
  );
  if (rows.length === 0)
    throw new LearningError(
      'bars',
      'too-short',
      'no complete week with 13 weeks and 50 bars of history in range',
    );
  const classes = [...new Set(rows.map((r) => r.label as number))].sort((a, b) => a - b);
  return {
    task: 'classification',
    featureNames: [...WEEK_FEATURES],
    X: rows.map((r) => r.features),
    y: rows.map((r) => r.label as number),
    times: rows.map((r) => r.time),
    classes,
    classNames: classes.map(moveBucketName),
  };
}

/** Options of {@link evaluateWeekMovement}. */
export interface WeekEvaluationOptions extends WeekDatasetOptions {
  /** Walk-forward test windows. @default 5 */
  readonly folds?: number;
  /** Rows (weeks) dropped before each test window for label overlap. @default 1 */
  readonly purge?: number;
  /** Further weeks dropped for serially correlated features. @default 1 */
  readonly embargo?: number;
  /** @default DEFAULT_CANDIDATES.classification */
  readonly candidates?: readonly Candidate[];
  /** @default 0 */
  readonly seed?: number;
}

/** One model's or baseline's walk-forward result. */
export interface WeekEvaluationResult {
  readonly name: string;
  readonly kind: 'model' | 'baseline';
  readonly params?: Readonly<Record<string, unknown>>;
  /** Mean over folds of accuracy, macro_f1 and log_loss. */
  readonly mean: Readonly<Record<string, number>>;
  readonly folds: readonly Readonly<Record<string, number>>[];
  /** Set when the model failed on some fold (then `mean` is empty). */
  readonly error?: string;
}

/** What {@link evaluateWeekMovement} returns. */
export interface WeekEvaluation {
  readonly weeks: number;
  readonly from: string;
  readonly to: string;
  readonly featureNames: readonly string[];
  readonly classNames: readonly string[];
  /** Weeks per bucket label. */
  readonly classCounts: Readonly<Record<string, number>>;
  readonly folds: readonly {
    fold: number;
    trainWeeks: number;
    testFrom: string;
    testTo: string;
    testWeeks: number;
  }[];
  readonly results: readonly WeekEvaluationResult[];
}

function classFrequencies(y: readonly number[], classes: readonly number[]): number[] {
  const counts = classes.map((c) => y.filter((v) => v === c).length);
  return counts.map((c) => c / y.length);
}

/**
 * Majority-class baseline of a training fold: always the most frequent training bucket (the smallest on
 * ties), with the training frequencies as probabilities.
 */
export function majorityBaseline(
  trainY: readonly number[],
  classes: readonly number[],
  rows: number,
): Predictions {
  const freq = classFrequencies(trainY, classes);
  return { kind: 'proba', classes: [...classes], proba: Array.from({ length: rows }, () => [...freq]) };
}

/**
 * Persistence baseline: this week's bucket = last week's (read from `ret_1w`, which is last week's move).
 * Its probabilities put the training fold's persistence hit rate λ on that bucket and spread 1-λ by the
 * training class frequencies, so log-loss measures persistence with a confidence learnt from the past
 * rather than an infinitely confident one-hot.
 */
export function persistenceBaseline(train: Dataset, test: Dataset, classes: readonly number[]): Predictions {
  const j = train.featureNames.indexOf('ret_1w');
  if (j < 0) throw new LearningError('featureNames', 'ret_1w', 'persistence needs the ret_1w feature');
  const last = (row: readonly (number | null)[]) => moveBucketIndex(row[j] as number);
  let hits = 0;
  train.X.forEach((row, i) => {
    if (last(row) === train.y[i]) hits++;
  });
  const lambda = hits / train.X.length;
  const freq = classFrequencies(train.y, classes);
  return {
    kind: 'proba',
    classes: [...classes],
    proba: test.X.map((row) => {
      const b = last(row);
      return classes.map((c, k) => (1 - lambda) * (freq[k] as number) + (c === b ? lambda : 0));
    }),
  };
}

/**
 * Walk-forward evaluation of the week-movement classifier: `folds` successive test windows of weeks, each
 * model trained only on weeks before `testStart - purge - embargo`, next to the majority-class and
 * persistence baselines on the same windows. Metrics per fold and their mean: accuracy, macro-F1 (over
 * the buckets in the fold's truth or prediction), log-loss (a bucket the model never saw in training
 * gets probability 2.2e-16). Deterministic for a seed.
 *
 * @example
 * evaluateWeekMovement(parsePriceCsv(spyCsv), parseVixCsv(vixCsv), { folds: 5 });
 */
export function evaluateWeekMovement(
  bars: readonly Bar[],
  vix: readonly VixPoint[],
  opts: WeekEvaluationOptions = {},
): WeekEvaluation {
  const ds = weekMovementDataset(bars, vix, opts);
  const classes = ds.classes as readonly number[];
  const splits = walkForward(ds.X.length, {
    nSplits: opts.folds ?? 5,
    purge: opts.purge ?? 1,
    embargo: opts.embargo ?? 1,
    minTrainSize: 20,
  });
  const seed = opts.seed ?? 0;
  const windows = splits.map((s, f) => {
    const trainEnd = (s.train[s.train.length - 1] as number) + 1;
    const testFrom = s.test[0] as number;
    const testTo = (s.test[s.test.length - 1] as number) + 1;
    return { fold: f, train: sliceDataset(ds, 0, trainEnd), test: sliceDataset(ds, testFrom, testTo) };
  });
  const score = (test: Dataset, p: Predictions) =>
    scoreAll('classification', [...test.y], p) as Record<MetricName, number>;
  const results: WeekEvaluationResult[] = [];
  for (const c of opts.candidates ?? DEFAULT_CANDIDATES.classification) {
    try {
      const folds = windows.map((w) => score(w.test, predictRows(fitCandidate(w.train, c, seed), w.test)));
      results.push({
        name: c.algorithm,
        kind: 'model',
        params: c.params,
        mean: meanMetrics(folds.map((m) => ({ metrics: m }))),
        folds,
      });
    } catch (e) {
      results.push({
        name: c.algorithm,
        kind: 'model',
        params: c.params,
        mean: {},
        folds: [],
        error: (e as Error).message,
      });
    }
  }
  for (const [name, predict] of [
    ['majority', (w: (typeof windows)[number]) => majorityBaseline(w.train.y, classes, w.test.X.length)],
    ['persistence', (w: (typeof windows)[number]) => persistenceBaseline(w.train, w.test, classes)],
  ] as const) {
    const folds = windows.map((w) => score(w.test, predict(w)));
    results.push({ name, kind: 'baseline', mean: meanMetrics(folds.map((m) => ({ metrics: m }))), folds });
  }
  const names = ds.classNames as readonly string[];
  const classCounts: Record<string, number> = {};
  classes.forEach((c, k) => {
    classCounts[names[k] as string] = ds.y.filter((v) => v === c).length;
  });
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  return {
    weeks: ds.X.length,
    from: iso(ds.times[0] as number),
    to: iso(ds.times[ds.times.length - 1] as number),
    featureNames: ds.featureNames,
    classNames: names,
    classCounts,
    folds: windows.map((w) => ({
      fold: w.fold,
      trainWeeks: w.train.X.length,
      testFrom: iso(w.test.times[0] as number),
      testTo: iso(w.test.times[w.test.times.length - 1] as number),
      testWeeks: w.test.X.length,
    })),
    results,
  };
}
