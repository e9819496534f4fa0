/**
 * Daily price and VIX series for the backtester: pure parsers taking CSV text (the caller reads files),
 * validation with errors that name the row, the column and the rule, and the join of prices with VIX.
 *
 * Two price shapes are accepted, detected from the header:
 *   - Yahoo-style `Date,Open,High,Low,Close,Volume` (any column order, case-insensitive);
 *   - QuantConnect LEAN `date,open,high,low,close,volume,...,adj_open,adj_high,adj_low,adj_close,...`:
 *     the `adj_*` columns are used when present, so splits do not show up as crashes.
 * VIX: `DATE,OPEN,HIGH,LOW,CLOSE` (CBOE); only the close is used.
 */

/** One trading day. `day` is days since 1970-01-01 (UTC), used for calendar arithmetic. */
export interface Bar {
  readonly date: string;
  readonly day: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** Raised for malformed or inconsistent input data; the message names the source, row and rule. */
export class BacktestDataError extends Error {
  override readonly name = 'BacktestDataError';
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of an ISO date (YYYY-MM-DD), or NaN when it is not a valid calendar date. */
export function isoToDay(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) return Number.NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms).toISOString().slice(0, 10);
  return back === date ? ms / 86_400_000 : Number.NaN;
}

/** ISO date of a day number. */
export function dayToIso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Weekday of a day number: 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Day number of the Monday of the ISO week containing `day`. */
export function mondayOf(day: number): number {
  return day - ((weekdayOf(day) + 6) % 7);
}

function splitRows(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(',').map((c) => c.trim()));
}

function columnIndex(header: string[], names: readonly string[], source: string): number {
  const lower = header.map((h) => h.toLowerCase());
  for (const n of names) {
    const i = lower.indexOf(n);
    if (i >= 0) return i;
  }
  throw new BacktestDataError(
    `${source}: header has no ${names.join(' or ')} column (header: ${header.join(',')})`,
  );
}

function num(row: string[], i: number, col: string, source: string, line: number): number {
  const v = Number(row[i]);
  if (row[i] === undefined || row[i] === '' || !Number.isFinite(v)) {
    throw new BacktestDataError(`${source} row ${line}: ${col} must be a number, got '${row[i] ?? ''}'`);
  }
  if (!(v > 0)) throw new BacktestDataError(`${source} row ${line}: ${col} must be > 0, got ${v}`);
  return v;
}

function checkDate(
  date: string | undefined,
  source: string,
  line: number,
  prev: Bar | { date: string; day: number } | undefined,
): number {
  const day = isoToDay(date ?? '');
  if (Number.isNaN(day))
    throw new BacktestDataError(`${source} row ${line}: date must be YYYY-MM-DD, got '${date ?? ''}'`);
  if (prev && day <= prev.day) {
    throw new BacktestDataError(
      `${source} row ${line}: dates must be strictly increasing, got ${date} after ${prev.date}${day === prev.day ? ' (duplicate)' : ''}`,
    );
  }
  return day;
}

/**
 * Parses daily OHLC bars from CSV text in the Yahoo or LEAN shape (see the module comment).
 * Throws {@link BacktestDataError} on a missing column, a bad date, unsorted or duplicate dates, or a
 * non-positive price; `source` names the input in the message.
 *
 * @example
 * const bars = parsePriceCsv(readFileSync('TSLA.csv', 'utf8'), 'TSLA.csv');
 */
export function parsePriceCsv(text: string, source = 'prices'): Bar[] {
  const rows = splitRows(text);
  const header = rows[0];
  if (!header) throw new BacktestDataError(`${source}: empty input`);
  const hasAdj = header.some((h) => h.toLowerCase() === 'adj_close');
  const p = hasAdj ? 'adj_' : '';
  const iDate = columnIndex(header, ['date'], source);
  const iO = columnIndex(header, [`${p}open`], source);
  const iH = columnIndex(header, [`${p}high`], source);
  const iL = columnIndex(header, [`${p}low`], source);
  const iC = columnIndex(header, [`${p}close`], source);
  const out: Bar[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r] as string[];
    const line = r + 1;
    const day = checkDate(row[iDate], source, line, out[out.length - 1]);
    const bar: Bar = {
      date: row[iDate] as string,
      day,
      open: num(row, iO, `${p}open`, source, line),
      high: num(row, iH, `${p}high`, source, line),
      low: num(row, iL, `${p}low`, source, line),
      close: num(row, iC, `${p}close`, source, line),
    };
    // A small tolerance: vendors round high/low and close independently.
    if (bar.high < bar.low * (1 - 1e-9)) {
      throw new BacktestDataError(`${source} row ${line}: high (${bar.high}) must be >= low (${bar.low})`);
    }
    out.push(bar);
  }
  if (out.length === 0) throw new BacktestDataError(`${source}: no data rows`);
  return out;
}

/** One VIX close. */
export interface VixPoint {
  readonly date: string;
  readonly day: number;
  readonly close: number;
}

/**
 * Parses the CBOE VIX daily CSV (DATE,OPEN,HIGH,LOW,CLOSE) or any CSV with a date and a close column.
 *
 * @example
 * const vix = parseVixCsv(readFileSync('vix-daily.csv', 'utf8'));
 */
export function parseVixCsv(text: string, source = 'vix'): VixPoint[] {
  const rows = splitRows(text);
  const header = rows[0];
  if (!header) throw new BacktestDataError(`${source}: empty input`);
  const iDate = columnIndex(header, ['date'], source);
  const iC = columnIndex(header, ['close'], source);
  const out: VixPoint[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r] as string[];
    const line = r + 1;
    const day = checkDate(row[iDate], source, line, out[out.length - 1]);
    out.push({ date: row[iDate] as string, day, close: num(row, iC, 'close', source, line) });
  }
  if (out.length === 0) throw new BacktestDataError(`${source}: no data rows`);
  return out;
}

/** How to treat trading days without a VIX close. */
export interface AlignVixOptions {
  /**
   * Carry the last VIX close forward over at most this many consecutive missing trading days; 0 makes
   * any missing day an error. @default 0
   */
  readonly maxFillDays?: number;
}

/** Result of {@link alignVix}: one VIX close per bar, and the dates that were filled. */
export interface AlignedVix {
  readonly vix: number[];
  readonly filled: string[];
}

/**
 * One VIX close per bar, matched by date. A bar before the first VIX observation, or a run of missing
 * days longer than `maxFillDays`, is an error naming the date.
 */
export function alignVix(
  bars: readonly Bar[],
  vix: readonly VixPoint[],
  opts: AlignVixOptions = {},
): AlignedVix {
  const maxFill = opts.maxFillDays ?? 0;
  const byDay = new Map<number, number>();
  for (const v of vix) byDay.set(v.day, v.close);
  const out: number[] = [];
  const filled: string[] = [];
  let last: number | undefined;
  let run = 0;
  for (const b of bars) {
    const v = byDay.get(b.day);
    if (v !== undefined) {
      out.push(v);
      last = v;
      run = 0;
      continue;
    }
    run++;
    if (last === undefined || run > maxFill) {
      throw new BacktestDataError(
        `vix: no VIX close for trading day ${b.date}` +
          (last === undefined
            ? ' (before the first VIX observation)'
            : ` (missing run > maxFillDays = ${maxFill})`),
      );
    }
    out.push(last);
    filled.push(b.date);
  }
  return { vix: out, filled };
}

/** Bars with `from <= date <= to` (ISO strings; either bound optional). */
export function sliceBars(bars: readonly Bar[], from?: string, to?: string): Bar[] {
  return bars.filter((b) => (from === undefined || b.date >= from) && (to === undefined || b.date <= to));
}
