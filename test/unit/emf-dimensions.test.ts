/**
 * The ingest alarms (lib/stacks/observability-stack.ts) query the metrics with dimensions {service, stage}.
 * CloudWatch matches a metric only on its full dimension set, so the handlers must emit exactly that set.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('EMF metrics of the handlers', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it('carry exactly the service and stage dimensions the alarms query', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'ingest');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'AllUse/Learning');
    vi.stubEnv('STAGE', 'prod');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const { metrics } = await import('../../functions/commons/observability.ts');

    // Act
    metrics.addMetric('Received', 'Count', 3);
    metrics.publishStoredMetrics();

    // Assess
    const emf = lines
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const record = emf.find((e) => e._aws?.CloudWatchMetrics);
    expect(record).toBeDefined();
    expect(record._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'stage']]);
    expect(record.service).toBe('ingest');
    expect(record.stage).toBe('prod');
  });
});
