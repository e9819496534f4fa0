/**
 * Zod schemas of the event envelope and of the data of each event type. Built once at module load: the
 * validator only selects one of them per event, it never constructs a schema on the hot path.
 *
 * Every object is strict: an unknown key is an error, so a producer's typo (`vaule`) surfaces instead of
 * silently dropping the field.
 */
import { z } from 'zod';
import {
  ACCOUNT_TYPES,
  EVENT_LIMITS,
  EVENT_TYPES,
  type EventType,
  METRIC_UNITS,
  OPTION_RIGHTS,
  POSITION_SIDES,
  RESERVED_DIMENSION_KEYS,
  SCHEMA_VERSIONS,
  TRADE_STATUSES,
  WEEK_TYPES,
} from './constants.ts';
import { isoWeeksInYear, isRealCalendarDate } from './time.ts';

/** Rule names of checks written here; carried in `params.rule` of the custom issues they raise. */
export const CUSTOM_RULES = {
  min: 'min',
  max: 'max',
  integer: 'integer',
  minLength: 'min_length',
  maxLength: 'max_length',
  pattern: 'pattern',
  maxKeys: 'max_keys',
  keyLength: 'key_length',
  keyPattern: 'key_pattern',
  reservedKey: 'reserved_key',
  date: 'date',
  isoWeek: 'iso_week',
} as const;

const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
const SOURCE_PATTERN = /^[A-Za-z0-9._:/@-]+$/;
const COMPONENT_PATTERN = /^[a-z0-9][a-z0-9._:/-]*$/;
const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_.]*$/;
const SYMBOL_PATTERN = /^[A-Z][A-Z.]*$/;
const DIMENSION_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_WEEK_SHAPE = /^(\d{4})-W(\d{2})$/;

const reservedDimensionKeys: ReadonlySet<string> = new Set(RESERVED_DIMENSION_KEYS);

function describeText(value: string): string {
  return value.length > 40 ? `"${value.slice(0, 40)}…"` : `"${value}"`;
}

/**
 * A string with a length range and an optional pattern, checked in one zod check: each zod check costs about
 * as much as a JSON.parse of a short field, and this runs for every string of every event. Reports one rule
 * per field (length before pattern), so an empty id is `min_length`, not `min_length` and `pattern`.
 */
function text(min: number, max: number, pattern?: RegExp) {
  return z.string().check((ctx) => {
    const value = ctx.value;
    if (value.length < min) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must be at least ${min} character${min === 1 ? '' : 's'} long`,
        params: { rule: CUSTOM_RULES.minLength },
      });
    } else if (value.length > max) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must be at most ${max} characters long (got ${value.length})`,
        params: { rule: CUSTOM_RULES.maxLength },
      });
    } else if (pattern !== undefined && !pattern.test(value)) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must match ${pattern} (got ${describeText(value)})`,
        params: { rule: CUSTOM_RULES.pattern },
      });
    }
  });
}

interface RangeOptions {
  readonly min?: number;
  readonly max?: number;
  /** The minimum itself is excluded (prices, strikes: > 0). */
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
}

/**
 * A finite number within a range, in one zod check (see {@link text}). zod 4's `z.number()` already refuses
 * NaN and ±Infinity, which the issue mapper reports as `finite`.
 */
function num(options: RangeOptions = {}) {
  const { min, max, minExclusive = false, integer = false } = options;
  if (min === undefined && max === undefined && !integer) return z.number();
  const minText = `${minExclusive ? '>' : '>='} ${min}`;
  return z.number().check((ctx) => {
    const value = ctx.value;
    if (integer && !Number.isInteger(value)) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must be an integer (got ${value})`,
        params: { rule: CUSTOM_RULES.integer },
      });
    } else if (min !== undefined && (minExclusive ? value <= min : value < min)) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must be ${minText} (got ${value})`,
        params: { rule: CUSTOM_RULES.min },
      });
    } else if (max !== undefined && value > max) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must be <= ${max} (got ${value})`,
        params: { rule: CUSTOM_RULES.max },
      });
    }
  });
}

const accountType = z.enum(ACCOUNT_TYPES);
const accountId = text(1, EVENT_LIMITS.maxAccountIdLength, ID_PATTERN);
const weekType = z.enum(WEEK_TYPES);
const symbol = text(1, EVENT_LIMITS.maxSymbolLength, SYMBOL_PATTERN);

/** `YYYY-MM-DD` naming a day that exists; shape and existence are separate rules so the error says which. */
const calendarDate = z.string().check((ctx) => {
  if (!DATE_SHAPE.test(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `must be a date in the form YYYY-MM-DD (got ${describeText(ctx.value)})`,
      params: { rule: CUSTOM_RULES.pattern },
    });
  } else if (!isRealCalendarDate(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `${ctx.value} is not a calendar date`,
      params: { rule: CUSTOM_RULES.date },
    });
  }
});

/** `YYYY-Www`, week 01 to 52, or 53 in years that have an ISO week 53. */
const isoWeek = z.string().check((ctx) => {
  const match = ISO_WEEK_SHAPE.exec(ctx.value);
  if (!match) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `must be an ISO week in the form YYYY-Www, e.g. 2025-W07 (got ${describeText(ctx.value)})`,
      params: { rule: CUSTOM_RULES.pattern },
    });
    return;
  }
  const year = Number(match[1]);
  const week = Number(match[2]);
  const weeks = isoWeeksInYear(year);
  if (week < 1 || week > weeks) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `week ${match[2]} does not exist in ${year} (ISO weeks 01-${weeks})`,
      params: { rule: CUSTOM_RULES.isoWeek },
    });
  }
});

function dimensionKeyProblem(key: string): { rule: string; message: string } | undefined {
  if (key.length < 1 || key.length > EVENT_LIMITS.maxDimensionKeyLength) {
    return {
      rule: CUSTOM_RULES.keyLength,
      message: `dimension key must be 1-${EVENT_LIMITS.maxDimensionKeyLength} characters long (got ${key.length})`,
    };
  }
  if (!DIMENSION_KEY_PATTERN.test(key)) {
    return { rule: CUSTOM_RULES.keyPattern, message: `dimension key must match ${DIMENSION_KEY_PATTERN}` };
  }
  if (reservedDimensionKeys.has(key)) {
    return {
      rule: CUSTOM_RULES.reservedKey,
      message: `dimension key "${key}" is reserved (${RESERVED_DIMENSION_KEYS.join(', ')})`,
    };
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Dimensions: bounded count, key shape, string values of bounded length, all in one check. The check reads the
 * input object itself: a record schema would copy it first, and copying a JSON `"__proto__"` key by assignment
 * drops it silently. Each bad key is reported at its own path (`data.dimensions.<key>`) with its own rule.
 */
const dimensions = z
  .custom<Record<string, string>>(isPlainObject, {
    error: 'must be an object mapping dimension keys to string values',
    params: { rule: 'type' },
  })
  .check((ctx) => {
    const raw: unknown = ctx.value;
    if (!isPlainObject(raw)) return;
    const keys = Object.keys(raw);
    if (keys.length > EVENT_LIMITS.maxDimensions) {
      ctx.issues.push({
        code: 'custom',
        input: raw,
        message: `must have at most ${EVENT_LIMITS.maxDimensions} keys (got ${keys.length})`,
        params: { rule: CUSTOM_RULES.maxKeys },
      });
    }
    for (const key of keys) {
      const problem = dimensionKeyProblem(key);
      if (problem) {
        ctx.issues.push({
          code: 'custom',
          input: key,
          path: [key],
          message: problem.message,
          params: { rule: problem.rule },
        });
      }
      const value = raw[key];
      if (typeof value !== 'string') {
        ctx.issues.push({
          code: 'custom',
          input: value,
          path: [key],
          message: `dimension value must be a string (got ${value === null ? 'null' : typeof value})`,
          params: { rule: 'type' },
        });
      } else if (value.length < 1 || value.length > EVENT_LIMITS.maxDimensionValueLength) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          path: [key],
          message: `dimension value must be 1-${EVENT_LIMITS.maxDimensionValueLength} characters long (got ${value.length})`,
          params: { rule: value.length < 1 ? CUSTOM_RULES.minLength : CUSTOM_RULES.maxLength },
        });
      }
    }
  });

export const metricDataSchema = z.strictObject({
  component: text(1, EVENT_LIMITS.maxComponentLength, COMPONENT_PATTERN),
  name: text(1, EVENT_LIMITS.maxMetricNameLength, METRIC_NAME_PATTERN),
  value: num(),
  unit: z.enum(METRIC_UNITS),
  dimensions: dimensions.optional(),
});

export const tradeDataSchema = z.strictObject({
  account: accountType,
  accountId: accountId.optional(),
  symbol,
  right: z.enum(OPTION_RIGHTS),
  side: z.enum(POSITION_SIDES).default('short'),
  strike: num({ min: 0, minExclusive: true }),
  expiry: calendarDate,
  delta: num({ min: -1, max: 1 }),
  dte: num({ min: 0, max: EVENT_LIMITS.maxDte, integer: true }),
  premium: num({ min: 0 }),
  contracts: num({ min: 1, max: EVENT_LIMITS.maxContracts, integer: true }),
  pnl: num(),
  status: z.enum(TRADE_STATUSES),
  weekType,
});

const weeklyReturn = num({ min: -1, max: EVENT_LIMITS.maxReturnFraction });

export const weekDataSchema = z.strictObject({
  account: accountType,
  accountId: accountId.optional(),
  isoWeek,
  predictedWeekType: weekType,
  actualWeekType: weekType.optional(),
  predictedReturn: weeklyReturn.optional(),
  actualReturn: weeklyReturn.optional(),
});

export const marketDataSchema = z.strictObject({
  symbol,
  price: num({ min: 0, minExclusive: true }),
  impliedVolatility: num({ min: 0, max: EVENT_LIMITS.maxImpliedVolatility }).optional(),
  vix: num({ min: 0, max: EVENT_LIMITS.maxVix }).optional(),
});

// The time is only typed here; its format and bounds are checked by hand after parsing (see validate.ts),
// because that check needs the caller's `now` and yields the epoch ms the caller needs anyway.
const version = z.literal(SCHEMA_VERSIONS);
const id = text(1, EVENT_LIMITS.maxIdLength, ID_PATTERN);
const source = text(1, EVENT_LIMITS.maxSourceLength, SOURCE_PATTERN);
const time = z.string();

/** The envelope around one type's data; key order is the order events are written to the lake in. */
function eventSchema<T extends EventType, D extends z.ZodType>(type: T, data: D) {
  return z.strictObject({ version, id, type: z.literal(type), source, time, data });
}

export const metricEventSchema = eventSchema('metric', metricDataSchema);
export const tradeEventSchema = eventSchema('trade', tradeDataSchema);
export const weekEventSchema = eventSchema('week', weekDataSchema);
export const marketEventSchema = eventSchema('market', marketDataSchema);

/**
 * Used when `type` is missing or unknown: still checks the rest of the envelope so the producer sees every
 * error at once, and requires `data` to be an object without judging its contents.
 */
export const unknownTypeEnvelopeSchema = z.strictObject({
  version,
  id,
  type: z.enum(EVENT_TYPES),
  source,
  time,
  data: z.record(z.string(), z.unknown()),
});

/**
 * The schemas the validator runs, ahead-of-time compiled: `z.compile` generates one straight-line function per
 * schema, which halves the cost of a valid event. On a failure it falls back to the runtime parser, so the
 * issues are exactly those of the schemas above. If zod ever refuses a schema, compile returns it unchanged.
 */
export const EVENT_SCHEMAS = {
  metric: z.compile(metricEventSchema),
  trade: z.compile(tradeEventSchema),
  week: z.compile(weekEventSchema),
  market: z.compile(marketEventSchema),
} as const;

export type MetricData = z.output<typeof metricDataSchema>;
export type TradeData = z.output<typeof tradeDataSchema>;
export type WeekData = z.output<typeof weekDataSchema>;
export type MarketData = z.output<typeof marketDataSchema>;

/** A validated metric event: one observation of one system component. */
export type MetricEvent = z.output<typeof metricEventSchema>;
/** A validated trade event: the outcome of one ALL-USE option position. */
export type TradeEvent = z.output<typeof tradeEventSchema>;
/** A validated week event: one account's weekly protocol record. */
export type WeekEvent = z.output<typeof weekEventSchema>;
/** A validated market event: a quote of one underlying, optionally with IV and VIX. */
export type MarketEvent = z.output<typeof marketEventSchema>;
/** Any validated event; narrow on `type`. */
export type AllUseEvent = MetricEvent | TradeEvent | WeekEvent | MarketEvent;
