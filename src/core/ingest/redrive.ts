/**
 * Redrive of batches the event-source mapping gave up on. Its on-failure destination receives only
 * metadata (shard and sequence range), so the records are read back from the stream and given one final
 * attempt: each then ends stored, a duplicate of what is stored, or quarantined with the reason.
 */
import type { IngestPorts, StreamRecord } from './process-batch.ts';
import { type BatchOutcome, processBatch } from './process-batch.ts';

/** The `KinesisBatchInfo` part of a Lambda on-failure destination record, plus its condition. */
export interface FailedBatchInfo {
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  /** E.g. `RetryAttemptsExhausted`, `RecordAgeExceeded`. */
  readonly condition: string;
  readonly approximateInvokeCount: number;
}

/** Reads the records of one shard between two sequence numbers, inclusive. */
export interface StreamRangeReader {
  read(info: FailedBatchInfo): Promise<StreamRecord[]>;
}

function field(obj: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );
}

/**
 * Parses the JSON body Lambda sends to an SQS on-failure destination for a Kinesis source.
 * Throws an Error naming the missing or malformed field.
 */
export function parseFailedBatchInfo(body: string): FailedBatchInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new Error(`on-failure record is not JSON: ${(error as Error).message}`);
  }
  const str = (path: string): string => {
    const v = field(parsed, path);
    if (typeof v !== 'string' || v === '')
      throw new Error(`on-failure record: ${path} must be a non-empty string`);
    return v;
  };
  const num = (path: string, fallback?: number): number => {
    const v = field(parsed, path);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (fallback !== undefined && v === undefined) return fallback;
    throw new Error(`on-failure record: ${path} must be a number`);
  };
  const start = str('KinesisBatchInfo.startSequenceNumber');
  const end = str('KinesisBatchInfo.endSequenceNumber');
  if (!/^\d+$/.test(start) || !/^\d+$/.test(end) || BigInt(start) > BigInt(end)) {
    throw new Error(
      'on-failure record: KinesisBatchInfo sequence range must be two decimal numbers, start <= end',
    );
  }
  return {
    streamArn: str('KinesisBatchInfo.streamArn'),
    shardId: str('KinesisBatchInfo.shardId'),
    startSequenceNumber: start,
    endSequenceNumber: end,
    batchSize: num('KinesisBatchInfo.batchSize'),
    condition:
      typeof field(parsed, 'requestContext.condition') === 'string'
        ? str('requestContext.condition')
        : 'unknown',
    approximateInvokeCount: num('requestContext.approximateInvokeCount', 0),
  };
}

/**
 * Reads a failed range back and settles every record in it.
 * Records that the stream no longer holds (past its retention) cannot be read: they are reported in
 * `missing` so the caller can alarm; nothing else in the range is lost.
 */
export async function redriveBatch(
  info: FailedBatchInfo,
  reader: StreamRangeReader,
  ports: IngestPorts,
): Promise<BatchOutcome & { readonly missing: number }> {
  const records = await reader.read(info);
  const reason = `retries exhausted (${info.condition} after ~${info.approximateInvokeCount} invocations)`;
  const outcome = await processBatch(records, `redrive-${info.shardId}-${info.startSequenceNumber}`, ports, {
    finalAttempt: { reason },
  });
  return { ...outcome, missing: Math.max(0, info.batchSize - records.length) };
}
