/**
 * Validation of events at the edge (HTTP API) and in the ingest pipeline (stream records).
 *
 * Hot path: one lookup picks the pre-built schema of the event's type, one zod pass checks envelope and data
 * together, and a hand-written parser turns the time into epoch ms. Every error is collected, never just the
 * first, so a producer fixes a broken event in one round trip.
 */
import type { z } from 'zod';
import { EVENT_LIMITS } from './constants.ts';
import type { KnownKeys, ValidationIssue } from './issues.ts';
import { appendZodIssue, ROOT_PATH } from './issues.ts';
import { locateJsonSyntaxError } from './json.ts';
import type { AllUseEvent } from './schemas.ts';
import { EVENT_SCHEMAS, unknownTypeEnvelopeSchema } from './schemas.ts';
import { parseIsoTimestamp } from './time.ts';

/** Options of the validation functions. */
export interface ValidateOptions {
  /** The instant event times are judged against, epoch ms. @default Date.now() */
  readonly now?: number;
}

/** The outcome of validating one event. */
export type EventValidationResult =
  | { readonly ok: true; readonly event: AllUseEvent; readonly timeMs: number }
  | { readonly ok: false; readonly errors: ValidationIssue[] };

type EventSchema = (typeof EVENT_SCHEMAS)[keyof typeof EVENT_SCHEMAS];

function schemaFor(type: unknown): EventSchema | undefined {
  switch (type) {
    case 'metric':
      return EVENT_SCHEMAS.metric;
    case 'trade':
      return EVENT_SCHEMAS.trade;
    case 'week':
      return EVENT_SCHEMAS.week;
    case 'market':
      return EVENT_SCHEMAS.market;
    default:
      return undefined;
  }
}

function keysOf(schema: z.ZodObject): readonly string[] {
  return Object.keys(schema.shape);
}

function knownKeysFor(schema: EventSchema | typeof unknownTypeEnvelopeSchema): KnownKeys {
  return (path) => {
    if (path === ROOT_PATH) return keysOf(schema);
    if (path === 'data' && schema !== unknownTypeEnvelopeSchema)
      return keysOf(schema.shape.data as z.ZodObject);
    return undefined;
  };
}

function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const oneDecimal = (x: number): string => String(Math.round(x * 10) / 10);
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  if (abs < 3_600_000) return `${oneDecimal(abs / 60_000)} min`;
  if (abs < 86_400_000) return `${oneDecimal(abs / 3_600_000)} h`;
  return `${oneDecimal(abs / 86_400_000)} days`;
}

/** Checks the envelope time; returns its epoch ms, or pushes the issue and returns undefined. */
function checkTime(time: string, now: number, errors: ValidationIssue[]): number | undefined {
  const timeMs = parseIsoTimestamp(time);
  if (timeMs === undefined) {
    errors.push({
      path: 'time',
      rule: 'time.format',
      message: `must be an ISO-8601 timestamp with a timezone, e.g. 2025-06-02T14:30:00Z or 2025-06-02T16:30:00+02:00 (got "${time.slice(0, 40)}")`,
    });
    return undefined;
  }
  if (timeMs > now + EVENT_LIMITS.maxFutureSkewMs) {
    errors.push({
      path: 'time',
      rule: 'time.future',
      message: `lies ${formatDuration(timeMs - now)} in the future; at most ${formatDuration(EVENT_LIMITS.maxFutureSkewMs)} of clock skew is accepted`,
    });
    return undefined;
  }
  if (timeMs < now - EVENT_LIMITS.maxAgeMs) {
    errors.push({
      path: 'time',
      rule: 'time.past',
      message: `is ${formatDuration(now - timeMs)} old; events older than ${formatDuration(EVENT_LIMITS.maxAgeMs)} are not accepted`,
    });
    return undefined;
  }
  return timeMs;
}

function capIssues(errors: ValidationIssue[]): ValidationIssue[] {
  if (errors.length <= EVENT_LIMITS.maxIssues) return errors;
  const kept = errors.slice(0, EVENT_LIMITS.maxIssues - 1);
  kept.push({
    path: ROOT_PATH,
    rule: 'issues.truncated',
    message: `${errors.length - kept.length} more issues not shown`,
  });
  return kept;
}

/**
 * Validates one event given as a JavaScript value (already parsed JSON, or an object built in code).
 *
 * @returns the typed event and its time in epoch ms, or every issue found, each with path and rule.
 * @example
 * const result = validateEvent(body, { now: Date.now() });
 * if (!result.ok) return badRequest(result.errors);
 * store(result.event, result.timeMs);
 */
export function validateEvent(input: unknown, options?: ValidateOptions): EventValidationResult {
  const now = options?.now ?? Date.now();
  const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : undefined;
  const schema = schemaFor(fields?.type);
  const errors: ValidationIssue[] = [];

  const parsed = (schema ?? unknownTypeEnvelopeSchema).safeParse(input);
  if (!parsed.success) {
    const knownKeys = knownKeysFor(schema ?? unknownTypeEnvelopeSchema);
    for (const issue of parsed.error.issues) appendZodIssue(issue, errors, { root: input, knownKeys });
  }

  const time = fields?.time;
  const timeMs = typeof time === 'string' ? checkTime(time, now, errors) : undefined;

  if (parsed.success && schema !== undefined && timeMs !== undefined && errors.length === 0) {
    return { ok: true, event: parsed.data as AllUseEvent, timeMs };
  }
  return { ok: false, errors: capIssues(errors) };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 length of a string without encoding it (lone surrogates count as the 3-byte replacement character). */
function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else bytes += 3;
  }
  return bytes;
}

function tooLarge(bytes: number): EventValidationResult {
  return {
    ok: false,
    errors: [
      {
        path: ROOT_PATH,
        rule: 'payload.too_large',
        message: `payload is ${bytes} bytes; at most ${EVENT_LIMITS.maxPayloadBytes} bytes are accepted`,
      },
    ],
  };
}

/**
 * Validates one serialised event (a stream record or one line of a file): size first, then JSON syntax,
 * then {@link validateEvent}.
 *
 * @example
 * const result = parseEventPayload(record.data, { now });
 * if (!result.ok) quarantine(record, result.errors);
 */
export function parseEventPayload(
  payload: string | Uint8Array,
  options?: ValidateOptions,
): EventValidationResult {
  const max = EVENT_LIMITS.maxPayloadBytes;
  let text: string;
  if (typeof payload === 'string') {
    // A UTF-16 code unit never encodes to fewer than one or more than three UTF-8 bytes.
    if (payload.length > max) return tooLarge(utf8ByteLength(payload));
    if (payload.length * 3 > max) {
      const bytes = utf8ByteLength(payload);
      if (bytes > max) return tooLarge(bytes);
    }
    text = payload;
  } else {
    if (payload.byteLength > max) return tooLarge(payload.byteLength);
    try {
      text = utf8Decoder.decode(payload);
    } catch {
      return {
        ok: false,
        errors: [{ path: ROOT_PATH, rule: 'encoding', message: 'payload is not valid UTF-8' }],
      };
    }
  }

  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    const located = locateJsonSyntaxError(text);
    const message = located
      ? `payload is not valid JSON at position ${located.position} (line ${located.line}, column ${located.column}): ${located.reason}`
      : `payload is not valid JSON: ${(error as Error).message}`;
    return { ok: false, errors: [{ path: ROOT_PATH, rule: 'json', message }] };
  }
  return validateEvent(input, options);
}

/**
 * Validates the events of one request (`POST /v1/events`) against one `now`. Results are per index;
 * the caller enforces {@link EVENT_LIMITS.maxBatchEvents}. Repeated ids are not errors here: ingest keeps
 * the first occurrence and counts the rest as duplicates.
 */
export function validateEventBatch(
  inputs: readonly unknown[],
  options?: ValidateOptions,
): EventValidationResult[] {
  const now = options?.now ?? Date.now();
  const shared = { now };
  return inputs.map((input) => validateEvent(input, shared));
}
