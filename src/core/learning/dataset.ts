/**
 * Training data sets of the training workflow: one JSON-able shape whatever the source (a CSV in S3, the
 * series store, the week-movement features), its fingerprint for the registry, and the hold-out split.
 *
 * Rows are always in ascending time order: every split downstream (hold-out, walk-forward folds) cuts by
 * row position, so the order is what keeps the future out of training.
 */
import { createHash } from 'node:crypto';
import type { AggregatePoint } from '../ports.ts';
import { LearningError } from './errors.ts';

/** What the target is: class labels or real values. */
export type LearningTask = 'classification' | 'regression';

/**
 * A data set ready for training. `X` holds `null` for a missing value (JSON has no NaN); the pipeline's
 * imputer fills it. For classification `y` holds numeric labels and `classes` every label of the set in
 * ascending order; `classNames[k]` (when present) is the original text of `classes[k]`.
 */
export interface Dataset {
  readonly task: LearningTask;
  readonly featureNames: readonly string[];
  readonly X: readonly (readonly (number | null)[])[];
  readonly y: readonly number[];
  /** Epoch ms (or row numbers when the source has no time column), ascending. */
  readonly times: readonly number[];
  readonly classes?: readonly number[];
  readonly classNames?: readonly string[];
}

/** How to read a CSV into a data set. */
export interface CsvSpec {
  readonly task: LearningTask;
  /** The target column. */
  readonly target: string;
  /** Feature columns. @default every column but the target and the time column */
  readonly features?: readonly string[];
  /** A column of ISO-8601 dates/timestamps or epoch ms; rows are sorted by it (stable). @default file order */
  readonly timeColumn?: string;
}

/** Splits CSV text into rows of cells (RFC 4180 quoting: `"a,b"` and `""` inside quotes). */
function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell.trim());
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell.trim());
      cell = '';
      if (row.some((x) => x.length > 0)) rows.push(row);
      row = [];
    } else cell += c;
  }
  row.push(cell.trim());
  if (row.some((x) => x.length > 0)) rows.push(row);
  return rows;
}

function parseTime(cell: string, field: string): number {
  if (/^-?\d+(\.\d+)?$/.test(cell)) return Number(cell);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(cell) ? Date.parse(cell) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new LearningError(field, 'time', `"${cell}" is neither epoch ms nor an ISO-8601 date or timestamp`);
  return ms;
}

/**
 * A data set from CSV text (header row first). Empty feature cells become missing values (`null`); a
 * non-numeric feature cell or a missing target is an error naming the row and the column. Classification
 * targets that are all numbers keep their values as labels; text labels are coded 0..K-1 in sorted order
 * and kept in `classNames`.
 *
 * @example
 * datasetFromCsv('t,x,y\n2024-01-01,1,0\n2024-01-02,2,1', { task: 'classification', target: 'y', timeColumn: 't' });
 */
export function datasetFromCsv(text: string, spec: CsvSpec): Dataset {
  const rows = parseCsvRows(text);
  const header = rows[0];
  if (!header) throw new LearningError('csv', 'empty', 'has no header row');
  const col = (name: string, field: string) => {
    const i = header.indexOf(name);
    if (i < 0)
      throw new LearningError(field, 'column', `column "${name}" is not in the header (${header.join(',')})`);
    return i;
  };
  if (new Set(header).size !== header.length)
    throw new LearningError('csv', 'header', 'the header names a column twice');
  const iTarget = col(spec.target, 'target');
  const iTime = spec.timeColumn === undefined ? -1 : col(spec.timeColumn, 'timeColumn');
  const featureNames = spec.features
    ? [...spec.features]
    : header.filter((_, i) => i !== iTarget && i !== iTime);
  if (featureNames.length === 0) throw new LearningError('features', 'required', 'no feature column remains');
  const iFeatures = featureNames.map((f, k) => {
    const i = col(f, `features[${k}]`);
    if (i === iTarget) throw new LearningError(`features[${k}]`, 'not-target', `"${f}" is the target column`);
    return i;
  });
  if (rows.length < 2) throw new LearningError('csv', 'empty', 'has no data rows');

  const records: { x: (number | null)[]; target: string; time: number }[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r] as string[];
    const line = r + 1;
    if (row.length !== header.length)
      throw new LearningError(
        `csv row ${line}`,
        'row-length',
        `has ${row.length} cells, the header ${header.length}`,
      );
    const x = iFeatures.map((i, k) => {
      const cell = row[i] as string;
      if (cell === '' || cell.toLowerCase() === 'nan' || cell.toLowerCase() === 'null') return null;
      const v = Number(cell);
      if (!Number.isFinite(v))
        throw new LearningError(
          `csv row ${line} column ${featureNames[k]}`,
          'number',
          `"${cell}" is not a number (leave the cell empty for a missing value)`,
        );
      return v;
    });
    const target = row[iTarget] as string;
    if (target === '')
      throw new LearningError(`csv row ${line} column ${spec.target}`, 'required', 'the target is empty');
    const time =
      iTime < 0 ? r - 1 : parseTime(row[iTime] as string, `csv row ${line} column ${spec.timeColumn}`);
    records.push({ x, target, time });
  }
  // Stable: rows with equal times keep file order.
  const order = records
    .map((_, i) => i)
    .sort((a, b) => (records[a]?.time as number) - (records[b]?.time as number));
  const sorted = order.map((i) => records[i] as (typeof records)[number]);

  const numeric = sorted.every((s) => Number.isFinite(Number(s.target)));
  if (spec.task === 'regression') {
    if (!numeric) {
      const bad = sorted.find((s) => !Number.isFinite(Number(s.target)));
      throw new LearningError(
        `column ${spec.target}`,
        'number',
        `regression needs numeric targets, got "${bad?.target}"`,
      );
    }
    return {
      task: 'regression',
      featureNames,
      X: sorted.map((s) => s.x),
      y: sorted.map((s) => Number(s.target)),
      times: sorted.map((s) => s.time),
    };
  }
  if (numeric) {
    const y = sorted.map((s) => Number(s.target));
    return {
      task: 'classification',
      featureNames,
      X: sorted.map((s) => s.x),
      y,
      times: sorted.map((s) => s.time),
      classes: [...new Set(y)].sort((a, b) => a - b),
    };
  }
  const names = [...new Set(sorted.map((s) => s.target))].sort();
  const code = new Map(names.map((n, k) => [n, k] as const));
  return {
    task: 'classification',
    featureNames,
    X: sorted.map((s) => s.x),
    y: sorted.map((s) => code.get(s.target) as number),
    times: sorted.map((s) => s.time),
    classes: names.map((_, k) => k),
    classNames: names,
  };
}

/** What to predict from a series. */
export interface SeriesTarget {
  /** Steps ahead. */
  readonly horizon: number;
  /**
   * `value`: the value `horizon` steps ahead (regression); `change`: that value minus the current one
   * (regression); `direction`: 1 when it is higher than the current value, else 0 (classification).
   */
  readonly kind: 'value' | 'change' | 'direction';
}

/** How to turn one aggregated series into a data set. */
export interface SeriesSpec {
  /** Inclusive start of the grid, epoch ms. */
  readonly from: number;
  /** Exclusive end, epoch ms. */
  readonly to: number;
  readonly stepMs: number;
  readonly target: SeriesTarget;
  /** Lagged values per row. @default 5 */
  readonly lags?: number;
}

/** Largest grid {@link datasetFromSeries} builds, so a bad step cannot allocate without bound. */
export const MAX_SERIES_STEPS = 1_000_000;

/**
 * A data set from one aggregated series (the step averages of the series store). Feature construction,
 * deliberately simple: the series is laid on the grid `from + k·stepMs`; row `t` has the features
 * `lag_0 .. lag_{L-1}` = the averages of steps t, t-1, ..., t-L+1 (`null` where a step has no point), and
 * the target of `target.kind` at step `t + horizon`. Rows whose target is unknown (an empty step, or the
 * current step empty for `change`/`direction`) or whose lags are all empty are dropped. A row's time is
 * the start of step t, so the label horizon in rows equals `horizon`: use it as the purge.
 *
 * @example
 * datasetFromSeries(result.series[0].points, { from, to, stepMs: 60_000, target: { horizon: 1, kind: 'value' } });
 */
export function datasetFromSeries(
  points: readonly Pick<AggregatePoint, 'time' | 'avg'>[],
  spec: SeriesSpec,
): Dataset {
  const lags = spec.lags ?? 5;
  if (!Number.isInteger(lags) || lags < 1 || lags > 200)
    throw new LearningError('lags', 'range', `is ${lags}; must be an integer in [1, 200]`);
  if (!Number.isInteger(spec.target.horizon) || spec.target.horizon < 1)
    throw new LearningError('target.horizon', 'range', `is ${spec.target.horizon}; must be an integer >= 1`);
  if (!(spec.stepMs > 0)) throw new LearningError('stepMs', 'range', 'must be > 0');
  const steps = Math.ceil((spec.to - spec.from) / spec.stepMs);
  if (!(steps > 0)) throw new LearningError('to', 'after-from', 'must be after from');
  if (steps > MAX_SERIES_STEPS)
    throw new LearningError(
      'stepMs',
      'range',
      `gives ${steps} steps; at most ${MAX_SERIES_STEPS} are allowed`,
    );
  const v = new Float64Array(steps).fill(Number.NaN);
  for (const p of points) {
    const k = Math.floor((p.time - spec.from) / spec.stepMs);
    if (k >= 0 && k < steps && Number.isFinite(p.avg)) v[k] = p.avg;
  }
  const h = spec.target.horizon;
  const kind = spec.target.kind;
  const X: (number | null)[][] = [];
  const y: number[] = [];
  const times: number[] = [];
  for (let t = lags - 1; t + h < steps; t++) {
    const ahead = v[t + h] as number;
    const now = v[t] as number;
    if (Number.isNaN(ahead) || (kind !== 'value' && Number.isNaN(now))) continue;
    const row: (number | null)[] = [];
    let seen = 0;
    for (let l = 0; l < lags; l++) {
      const x = v[t - l] as number;
      row.push(Number.isNaN(x) ? null : x);
      if (!Number.isNaN(x)) seen++;
    }
    if (seen === 0) continue;
    X.push(row);
    y.push(kind === 'value' ? ahead : kind === 'change' ? ahead - now : ahead > now ? 1 : 0);
    times.push(spec.from + t * spec.stepMs);
  }
  if (X.length === 0)
    throw new LearningError(
      'series',
      'empty',
      'no row has both lagged values and a target; widen from/to or check the metric',
    );
  const featureNames = Array.from({ length: lags }, (_, l) => `lag_${l}`);
  if (kind === 'direction')
    return {
      task: 'classification',
      featureNames,
      X,
      y,
      times,
      classes: [...new Set(y)].sort((a, b) => a - b),
    };
  return { task: 'regression', featureNames, X, y, times };
}

/** Checks the invariants every consumer relies on; throws naming the first broken one. */
export function checkDataset(ds: Dataset): void {
  const n = ds.X.length;
  if (n === 0) throw new LearningError('dataset', 'empty', 'has no rows');
  if (ds.y.length !== n)
    throw new LearningError('dataset.y', 'length', `has ${ds.y.length} values for ${n} rows`);
  if (ds.times.length !== n)
    throw new LearningError('dataset.times', 'length', `has ${ds.times.length} values for ${n} rows`);
  const d = ds.featureNames.length;
  for (let i = 0; i < n; i++) {
    const row = ds.X[i] as readonly (number | null)[];
    if (row.length !== d)
      throw new LearningError(`dataset.X[${i}]`, 'row-length', `has ${row.length} values for ${d} features`);
    if (!Number.isFinite(ds.y[i]))
      throw new LearningError(`dataset.y[${i}]`, 'finite', 'must be a finite number');
    if (i > 0 && (ds.times[i] as number) < (ds.times[i - 1] as number))
      throw new LearningError(`dataset.times[${i}]`, 'ascending', 'rows must be in ascending time order');
  }
}

/**
 * SHA-256 (hex) of a canonical encoding of the data set: one JSON line for the header (task, feature
 * names, classes, class names) then one JSON line per row `[time, y, ...x]`. JSON prints every double as
 * its shortest round-trip form, so equal data sets hash equally on any machine. Uses node:crypto (pure
 * computation, no I/O; the core already relies on Node built-ins such as Buffer).
 */
export function fingerprintDataset(ds: Dataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([ds.task, ds.featureNames, ds.classes ?? null, ds.classNames ?? null]));
  for (let i = 0; i < ds.X.length; i++)
    h.update(`\n${JSON.stringify([ds.times[i], ds.y[i], ...(ds.X[i] ?? [])])}`);
  return h.digest('hex');
}

/** Rows `[start, end)` of a data set (classes kept, so every slice shares the label set). */
export function sliceDataset(ds: Dataset, start: number, end: number): Dataset {
  return { ...ds, X: ds.X.slice(start, end), y: ds.y.slice(start, end), times: ds.times.slice(start, end) };
}

/** The gap between training rows and the hold-out, in rows. */
export interface GapOptions {
  /** Rows whose labels reach into the hold-out (the label horizon). @default 0 */
  readonly purge?: number;
  /** Further rows dropped for serial correlation of features. @default 0 */
  readonly embargo?: number;
}

/** Result of {@link holdoutSplit}: training rows `[0, trainEnd)`, hold-out rows `[holdoutStart, n)`. */
export interface HoldoutSplit {
  readonly train: Dataset;
  readonly holdout: Dataset;
  readonly trainEnd: number;
  readonly holdoutStart: number;
}

/**
 * The latest `fraction` of rows (at least one) as the hold-out, and every row before
 * `holdoutStart - purge - embargo` for training: never a random split of time-ordered rows.
 *
 * @example
 * holdoutSplit(ds, 0.2, { purge: 1 }); // 100 rows: train 0..78, hold-out 80..99
 */
export function holdoutSplit(ds: Dataset, fraction: number, gap: GapOptions = {}): HoldoutSplit {
  const n = ds.X.length;
  if (!(fraction > 0 && fraction < 1))
    throw new LearningError('holdoutFraction', 'range', `is ${fraction}; must be in (0, 1)`);
  const purge = gap.purge ?? 0;
  const embargo = gap.embargo ?? 0;
  for (const [name, v] of [
    ['purge', purge],
    ['embargo', embargo],
  ] as const)
    if (!Number.isInteger(v) || v < 0)
      throw new LearningError(name, 'range', `is ${v}; must be an integer >= 0`);
  const size = Math.max(1, Math.round(n * fraction));
  const holdoutStart = n - size;
  const trainEnd = holdoutStart - purge - embargo;
  if (trainEnd < 2)
    throw new LearningError(
      'holdoutFraction',
      'train-size',
      `leaves ${Math.max(0, trainEnd)} training rows of ${n} (hold-out ${size}, gap ${purge + embargo}); need at least 2`,
    );
  return {
    train: sliceDataset(ds, 0, trainEnd),
    holdout: sliceDataset(ds, holdoutStart, n),
    trainEnd,
    holdoutStart,
  };
}

/** The feature rows as a dense matrix, `null` (missing) as NaN for the pipeline's imputer. */
export function toMatrix(X: readonly (readonly (number | null)[])[], nFeatures: number) {
  const data = new Float64Array(X.length * nFeatures);
  for (let i = 0; i < X.length; i++) {
    const row = X[i] as readonly (number | null)[];
    for (let j = 0; j < nFeatures; j++) {
      const v = row[j];
      data[i * nFeatures + j] = v === null || v === undefined ? Number.NaN : v;
    }
  }
  return { rows: X.length, cols: nFeatures, data };
}
