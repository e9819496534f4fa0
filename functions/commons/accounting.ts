/** Ingestion accounting: EMF metrics for CloudWatch and the hourly counters `GET /v1/ingestion/stats` serves. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { captureRate } from '../../src/core/ingest/process-batch.ts';
import type { IngestionCounters } from '../../src/core/ports.ts';
import { logger, metrics } from './observability.ts';
import { ingestionStats } from './ports.ts';

const stats = ingestionStats();

/** Emits the accounting as EMF metrics and adds it to the hourly counters the API serves. */
export async function recordAccounting(counters: IngestionCounters): Promise<void> {
  metrics.addMetric('Received', MetricUnit.Count, counters.received);
  metrics.addMetric('Stored', MetricUnit.Count, counters.stored);
  metrics.addMetric('Quarantined', MetricUnit.Count, counters.quarantined);
  metrics.addMetric('Duplicates', MetricUnit.Count, counters.duplicates);
  metrics.addMetric('Retried', MetricUnit.Count, counters.retried);
  if (counters.stored + counters.duplicates + counters.quarantined > 0) {
    // A ratio in [0, 1], as the CaptureRate alarm and dashboard expect.
    metrics.addMetric('CaptureRate', MetricUnit.NoUnit, captureRate(counters));
  }
  try {
    await stats.add(counters, Date.now());
  } catch (error) {
    // The counters are a view; the records themselves are settled. Losing one update must not make the
    // stream redeliver a batch that is already stored, so this is logged and alarmed (StatsWriteFailed).
    logger.warn('ingestion counters not updated', { error: error as Error, counters });
    metrics.addMetric('StatsWriteFailed', MetricUnit.Count, 1);
  }
}
