/**
 * Kinesis → validate → lake + time-series/document stores → quarantine.
 *
 * Not Powertools' BatchProcessor: that settles records one by one, while this handler groups a whole
 * batch into one lake object per partition and one store write per series bucket (the cost model the
 * design asks for). The batch-level pipeline lives in the domain core (processBatch); this handler only
 * decodes the event, reports failures in the ReportBatchItemFailures shape, and emits the accounting.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processBatch, type StreamRecord } from '../../src/core/ingest/process-batch.ts';
import { recordAccounting } from '../commons/accounting.ts';
import { logger, metrics } from '../commons/observability.ts';
import { documentStore, lakeStore, seriesStore } from '../commons/ports.ts';

const ports = { series: seriesStore(), documents: documentStore(), lake: lakeStore() };
export function toStreamRecords(event: KinesisStreamEvent): StreamRecord[] {
  return event.Records.map((r) => {
    const shardId = r.eventID.split(':')[0] ?? 'unknown-shard';
    return {
      sequenceNumber: r.kinesis.sequenceNumber,
      origin: `${shardId}/${r.kinesis.sequenceNumber}`,
      data: Buffer.from(r.kinesis.data, 'base64'),
    };
  });
}

async function ingest(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const records = toStreamRecords(event);
  if (records.length === 0) return { batchItemFailures: [] };
  // Deterministic per batch start: a retried batch overwrites its own lake objects instead of adding copies.
  const batchId = records[0]!.origin.replace('/', '-');
  const outcome = await processBatch(records, batchId, ports);
  await recordAccounting(outcome.counters);
  if (outcome.failedSequenceNumbers.length > 0) {
    logger.warn('batch partially failed; the event-source mapping retries from the first failed record', {
      failureReason: outcome.failureReason,
      counters: outcome.counters,
      firstFailed: outcome.failedSequenceNumbers[0],
    });
  } else {
    logger.debug('batch settled', { counters: outcome.counters });
  }
  return { batchItemFailures: outcome.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(ingest).use(injectLambdaContext(logger)).use(logMetrics(metrics));
