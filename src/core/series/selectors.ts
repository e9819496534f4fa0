/**
 * The request-side grammar shared by every API that selects series (`GET /v1/series`, `POST /v1/analyses`,
 * the scheduled analyses): selector patterns, durations and instants. One home, so the endpoints agree.
 */

/** A metric name in a selector (the events' metric-name pattern, bounded to 64 characters). */
export const METRIC_SELECTOR = /^[a-z][a-z0-9_.]{0,63}$/;
/** A component in a selector (the events' component pattern, bounded to 64 characters). */
export const COMPONENT_SELECTOR = /^[a-z0-9][a-z0-9._:/-]{0,63}$/i;

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration such as `500ms`, `30s`, `5m`, `1h`, `1d` (a plain number is seconds), or
 * undefined when the text is not a positive duration.
 *
 * @example parseDuration('5m') // => 300000
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 's']! : Number.NaN;
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/**
 * Epoch milliseconds of an instant given as epoch milliseconds (a safe integer, or a string of digits) or as
 * ISO-8601 with a timezone; undefined otherwise.
 *
 * @example parseInstant('2026-11-24T12:00:00Z') // => 1795521600000
 */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
