/**
 * The ALL-USE event envelope `{ version, id, type, source, time, data }`: its vocabulary, bounds, types and
 * validation. Producers, the HTTP API and the ingest pipeline all go through this module.
 */
export type {
  AccountType,
  EventType,
  MetricUnit,
  OptionRight,
  PositionSide,
  SchemaVersion,
  TradeStatus,
  WeekType,
} from './constants.ts';
export {
  ACCOUNT_TYPES,
  EVENT_LIMITS,
  EVENT_TYPES,
  METRIC_UNITS,
  OPTION_RIGHTS,
  POSITION_SIDES,
  RESERVED_DIMENSION_KEYS,
  SCHEMA_VERSIONS,
  TRADE_STATUSES,
  WEEK_TYPES,
} from './constants.ts';
export type { ValidationIssue } from './issues.ts';
export { formatValidationIssues, ROOT_PATH } from './issues.ts';
export type {
  AllUseEvent,
  MarketData,
  MarketEvent,
  MetricData,
  MetricEvent,
  TradeData,
  TradeEvent,
  WeekData,
  WeekEvent,
} from './schemas.ts';
export { isoWeeksInYear, parseIsoTimestamp } from './time.ts';
export type { EventValidationResult, ValidateOptions } from './validate.ts';
export { parseEventPayload, validateEvent, validateEventBatch } from './validate.ts';
