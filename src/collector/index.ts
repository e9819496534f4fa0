/**
 * The ALL-USE event collector: the producer library other services import to send events to Kinesis.
 *
 * @example
 * import { EventCollector, createKinesisClient } from '../collector/index.ts';
 * const collector = new EventCollector({ client: createKinesisClient(), streamName: process.env.EVENTS_STREAM_NAME });
 */
export { createKinesisClient, type KinesisClientOptions } from './client.ts';
export {
  type CollectorEvent,
  type CollectorLogger,
  type CollectorStats,
  type DeadLetter,
  defaultPartitionKey,
  EventCollector,
  type EventCollectorOptions,
  type KinesisSender,
  type PutManyResult,
  type PutResult,
} from './collector.ts';
export { CollectorError, EventGivenUpError, EventRefusedError } from './errors.ts';
export {
  DEFAULT_MAX_RECORD_BYTES,
  MAX_BYTES_PER_REQUEST,
  MAX_PARTITION_KEY_LENGTH,
  MAX_RECORDS_PER_REQUEST,
} from './limits.ts';
export { backoffDelayMs, isRetryableRecordError, isRetryableRequestError } from './retry.ts';
