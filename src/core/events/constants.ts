/**
 * Vocabulary and bounds of the event envelope. Everything a producer must respect is here, in one place,
 * so the API documentation, the SDK collector and the validator cannot drift apart.
 */

/** Envelope schema versions this build understands. A new version is added here, never edited in place. */
export const SCHEMA_VERSIONS = [1] as const;
export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

/** Event types, the discriminator of the envelope. */
export const EVENT_TYPES = ['metric', 'trade', 'week', 'market'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** ALL-USE account types: Generation, Revenue, Compounding. */
export const ACCOUNT_TYPES = ['GEN', 'REV', 'COM'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** The 11 ALL-USE week types, classified by position state and the underlying's weekly move. */
export const WEEK_TYPES = [
  'P-EW',
  'P-AWL',
  'P-RO',
  'P-AOL',
  'P-DD',
  'C-WAP',
  'C-WAP+',
  'C-PNO',
  'C-RO',
  'C-REC',
  'W-IDL',
] as const;
export type WeekType = (typeof WEEK_TYPES)[number];

/** Units a metric may carry; `none` for dimensionless values that are not ratios or counts. */
export const METRIC_UNITS = [
  'ms',
  's',
  'percent',
  'ratio',
  'count',
  'count_per_sec',
  'mb',
  'bytes',
  'usd',
  'none',
] as const;
export type MetricUnit = (typeof METRIC_UNITS)[number];

export const OPTION_RIGHTS = ['put', 'call'] as const;
export type OptionRight = (typeof OPTION_RIGHTS)[number];

export const POSITION_SIDES = ['short', 'long'] as const;
export type PositionSide = (typeof POSITION_SIDES)[number];

export const TRADE_STATUSES = ['open', 'closed', 'assigned', 'expired', 'rolled', 'stopped'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

/** Dimension keys that would collide with the columns a time-series store derives from the event itself. */
export const RESERVED_DIMENSION_KEYS = ['component', 'metric', 'time'] as const;

/**
 * Every bound the validator enforces. The structural bounds keep any valid event far below
 * `maxPayloadBytes`, so a validated object never needs to be re-serialised just to measure it.
 */
export const EVENT_LIMITS = {
  /** Largest serialised event accepted (UTF-8 bytes), checked before JSON parsing. */
  maxPayloadBytes: 32 * 1024,
  maxIdLength: 128,
  maxSourceLength: 128,
  maxComponentLength: 64,
  maxMetricNameLength: 64,
  maxAccountIdLength: 64,
  maxSymbolLength: 10,
  maxDimensions: 10,
  maxDimensionKeyLength: 64,
  maxDimensionValueLength: 256,
  /** How far ahead of `now` an event time may lie (producer clock skew). */
  maxFutureSkewMs: 5 * 60 * 1000,
  /** How far behind `now` an event time may lie (older data is a backfill job, not ingest). */
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  maxDte: 3650,
  maxContracts: 100_000,
  /** Upper bound of weekly returns and implied volatility, as fractions (10 = 1000 %). */
  maxReturnFraction: 10,
  maxImpliedVolatility: 10,
  maxVix: 200,
  /** Issues reported for one event; beyond this a single `issues.truncated` issue says how many were left off. */
  maxIssues: 100,
  /** Events in one `POST /v1/events` request (the Kinesis PutRecords limit). */
  maxBatchEvents: 500,
} as const;
