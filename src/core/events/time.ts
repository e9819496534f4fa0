/**
 * Calendar helpers for the event schemas. Hand-written instead of regex + Date.parse: this runs once per
 * ingested event, and Date.parse silently rolls impossible dates over (2025-02-30 becomes 2 March).
 */

const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** Reads `count` ASCII digits starting at `at`; -1 when any of them is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
    value = value * 10 + (c - DIGIT_0);
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function utcMs(
  year: number,
  month: number,
  day: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
): number {
  const value = Date.UTC(year, month - 1, day, h, mi, s, ms);
  if (year >= 100) return value;
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly for those.
  const date = new Date(value);
  date.setUTCFullYear(year);
  return date.getTime();
}

/**
 * Parses an ISO-8601 / RFC 3339 timestamp that carries its timezone, `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`,
 * to epoch milliseconds. Fractions beyond milliseconds are truncated.
 *
 * @returns epoch ms, or `undefined` when the text is not such a timestamp or names an impossible instant.
 * @example parseIsoTimestamp('2025-06-02T14:30:00.250+02:00') // 1748867400250
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const length = text.length;
  if (length < 20 || length > 40) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (
    year < 0 ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }

  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 46 /* . */) {
    const start = ++at;
    while (at < length && at - start < 9) {
      const c = text.charCodeAt(at);
      if (c < DIGIT_0 || c > DIGIT_9) break;
      if (at - start < 3) millis = millis * 10 + (c - DIGIT_0);
      at++;
    }
    const fractionDigits = at - start;
    if (fractionDigits === 0) return undefined;
    if (fractionDigits === 1) millis *= 100;
    else if (fractionDigits === 2) millis *= 10;
  }

  const zone = text.charCodeAt(at);
  let offsetMinutes = 0;
  if (zone === 90 /* Z */) {
    if (at + 1 !== length) return undefined;
  } else if (zone === 43 /* + */ || zone === 45 /* - */) {
    if (at + 6 !== length || text.charCodeAt(at + 3) !== 58) return undefined;
    const offsetHours = digits(text, at + 1, 2);
    const offsetMins = digits(text, at + 4, 2);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return undefined;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (zone === 43 ? 1 : -1);
  } else {
    return undefined;
  }

  return utcMs(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/**
 * Whether `text` is a calendar date `YYYY-MM-DD` that exists (2024-02-29 does, 2025-02-30 does not).
 * Callers check the shape separately so they can tell a malformed value from an impossible one.
 */
export function isRealCalendarDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Weekday of 31 December of `year` in the proleptic Gregorian calendar, 0 = Sunday … 6 = Saturday. */
function weekdayOfDec31(year: number): number {
  return (year + Math.floor(year / 4) - Math.floor(year / 100) + Math.floor(year / 400)) % 7;
}

/**
 * Number of ISO-8601 weeks in `year`: 53 when the year starts on a Thursday, or is a leap year starting on
 * a Wednesday; otherwise 52.
 *
 * @example isoWeeksInYear(2020) // 53
 * @example isoWeeksInYear(2021) // 52
 */
export function isoWeeksInYear(year: number): 52 | 53 {
  return weekdayOfDec31(year) === 4 || weekdayOfDec31(year - 1) === 3 ? 53 : 52;
}
