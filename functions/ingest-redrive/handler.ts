/**
 * SQS (the ingest mapping's on-failure destination) → read the failed range back from Kinesis → one final
 * attempt → quarantine what still fails, with the reason. A message whose records cannot be settled (the
 * quarantine write itself failed) is reported as a batch item failure, so SQS retries it and, after its
 * own redrive policy, keeps it in its dead-letter queue: nothing is dropped.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { KinesisRangeReader } from '../../src/adapters/kinesis-range-reader.ts';
import { parseFailedBatchInfo, redriveBatch } from '../../src/core/ingest/redrive.ts';
import { recordAccounting } from '../commons/accounting.ts';
import { logger, metrics } from '../commons/observability.ts';
import { clients, documentStore, lakeStore, seriesStore } from '../commons/ports.ts';

const ports = { series: seriesStore(), documents: documentStore(), lake: lakeStore() };
const reader = new KinesisRangeReader(clients.kinesis);

async function redrive(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    try {
      const info = parseFailedBatchInfo(message.body);
      const outcome = await redriveBatch(info, reader, ports);
      // Redriven records were counted as `retried` when they failed; now they settle.
      await recordAccounting({ ...outcome.counters, received: 0 });
      if (outcome.missing > 0) {
        metrics.addMetric('RedriveRecordsMissing', MetricUnit.Count, outcome.missing);
        logger.error('records expired from the stream before redrive', { info, missing: outcome.missing });
      }
      logger.info('failed batch redriven', { info, counters: outcome.counters });
    } catch (error) {
      logger.error('redrive failed; SQS will retry the message', {
        error: error as Error,
        messageId: message.messageId,
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = middy(redrive).use(injectLambdaContext(logger)).use(logMetrics(metrics));
