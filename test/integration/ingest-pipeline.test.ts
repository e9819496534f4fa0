/**
 * The ingestion path end to end on the local runtime: the real handlers, the synthesized event-source
 * mapping (batching, partial failures, bisect, retry limit, on-failure destination, redrive), kinesalite,
 * dynalite and s3rver. Thousands of events with malformed ones, producer duplicates, a poison record and
 * an injected DynamoDB throttle; afterwards stored + quarantined equals sent, exactly, and nothing is
 * stored twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_THROTTLE } from '../../scripts/local/fault-proxy.ts';
import { type LocalRuntime, startLocalRuntime } from '../../scripts/local/runtime.ts';
import { listLakeRecords } from '../../src/adapters/s3-lake.ts';
import { EventCollector } from '../../src/collector/index.ts';

const VALID_METRICS = 2_400;
const MARKET = 60;
const TRADES = 30;
const WEEKS = 9;
const MALFORMED = 300;
const RESENT = 250;
const COMPONENTS = ['protocol-engine', 'trading-engine', 'account-manager', 'risk-service'];

let runtime: LocalRuntime;
let logDirectory: string;
const started = Date.now();
const base = Math.floor((started - 40 * 60_000) / 60_000) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function metric(i: number) {
  return {
    version: 1,
    id: `it-metric-${i}`,
    type: 'metric',
    source: 'it/producer',
    time: iso(base + (i % 1_800) * 1_000),
    data: {
      component: COMPONENTS[i % COMPONENTS.length],
      name: 'latency_ms',
      value: (i % 101) + 0.5,
      unit: 'ms',
      dimensions: { region: i % 2 ? 'us-east-1' : 'eu-west-1' },
    },
  };
}

function malformed(i: number): string {
  switch (i % 5) {
    case 0:
      return `{"version":1,"id":"it-bad-${i}","type":"metric"`; // truncated JSON
    case 1:
      return JSON.stringify({
        ...metric(100_000 + i),
        id: `it-bad-${i}`,
        data: { ...metric(i).data, value: 'NaN' },
      });
    case 2:
      return JSON.stringify({ ...metric(100_000 + i), id: `it-bad-${i}`, time: iso(started + 86_400_000) }); // future
    case 3:
      return JSON.stringify({ ...metric(100_000 + i), id: `it-bad-${i}`, type: 'telemetry' });
    default:
      return 'not json at all';
  }
}

beforeAll(async () => {
  logDirectory = mkdtempSync(join(tmpdir(), 'all-use-it-logs-'));
  runtime = await startLocalRuntime({ port: 0, dynamoFaults: true, pollIntervalMs: 20, logDirectory });
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(logDirectory, { recursive: true, force: true });
});

describe('ingestion on the local runtime', () => {
  it('settles every record exactly once despite bad input, duplicates, a poison record and throttling', async () => {
    // Prepare: a throttle on the first DynamoDB writes (beyond the SDK's own retries), and a poison record
    // whose series the store always refuses with a retryable error.
    const faults = runtime.faults!;
    faults.addRule({ operation: 'PutItem', times: 9, ...DYNAMODB_THROTTLE });
    faults.addRule({
      bodyIncludes: 'poison-component',
      times: Number.POSITIVE_INFINITY,
      ...DYNAMODB_THROTTLE,
    });
    const stream = runtime.names.streams[0]!;
    const collector = new EventCollector({ client: runtime.clients.kinesis, streamName: stream });

    const metrics = Array.from({ length: VALID_METRICS }, (_, i) => metric(i));
    const market = Array.from({ length: MARKET }, (_, i) => ({
      version: 1,
      id: `it-quote-${i}`,
      type: 'market',
      source: 'it/market',
      time: iso(base + i * 30_000),
      data: {
        symbol: i % 2 ? 'TSLA' : 'NVDA',
        price: 200 + i,
        ...(i % 3 === 0 ? { vix: 18 + (i % 5) } : {}),
      },
    }));
    const trades = Array.from({ length: TRADES }, (_, i) => ({
      version: 1,
      id: `it-trade-${i}`,
      type: 'trade',
      source: 'it/trading',
      time: iso(base + i * 60_000),
      data: {
        account: (['GEN', 'REV', 'COM'] as const)[i % 3],
        symbol: 'TSLA',
        right: 'put',
        strike: 200,
        expiry: '2026-12-18',
        delta: -0.4,
        dte: 24,
        premium: 3.2,
        contracts: 2,
        pnl: 120,
        status: 'closed',
        weekType: 'P-EW',
      },
    }));
    const weeks = Array.from({ length: WEEKS }, (_, i) => ({
      version: 1,
      id: `it-week-${i}`,
      type: 'week',
      source: 'it/protocol',
      time: iso(base),
      data: {
        account: (['GEN', 'REV', 'COM'] as const)[i % 3],
        isoWeek: `2026-W${String(40 + i).padStart(2, '0')}`,
        predictedWeekType: 'P-EW',
        actualWeekType: 'P-RO',
        predictedReturn: 0.01,
        actualReturn: -0.02,
      },
    }));
    const poison = {
      ...metric(999_999),
      id: 'it-poison',
      data: { ...metric(0).data, component: 'poison-component' },
    };
    const unique = [...metrics, ...market, ...trades, ...weeks, poison];
    const resent = metrics.slice(0, RESENT); // producers resending events they already sent

    // Act: valid events through the collector, interleaved with malformed raw records.
    const malformedRecords = Array.from({ length: MALFORMED }, (_, i) => ({
      Data: Buffer.from(malformed(i)),
      PartitionKey: `bad-${i}`,
    }));
    const puts = unique.map((e) => collector.put(e));
    for (let i = 0; i < malformedRecords.length; i += 100) {
      const res = await runtime.clients.kinesis.send(
        new PutRecordsCommand({ StreamName: stream, Records: malformedRecords.slice(i, i + 100) }),
      );
      expect(res.FailedRecordCount ?? 0).toBe(0);
    }
    await Promise.all(puts);
    await Promise.all(resent.map((e) => collector.put(e)));
    await collector.close();
    await runtime.waitForIdle(60_000);

    // Assess 1: the series store holds every metric and quote point once (the aggregates count them).
    const from = base - 60_000;
    const to = Date.now() + 60_000;
    const countOf = async (metricName: string) => {
      const res = await fetch(`${runtime.url}/v1/series?metric=${metricName}&from=${from}&to=${to}&step=1d`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { series: { component: string; points: { count: number }[] }[] };
      return body.series.reduce((n, s) => n + s.points.reduce((m, p) => m + p.count, 0), 0);
    };
    const latencyPoints = await countOf('latency_ms');
    const pricePoints = await countOf('price');
    const vixPoints = await countOf('vix');
    expect(latencyPoints).toBe(VALID_METRICS); // not + RESENT, and not the poison
    expect(pricePoints).toBe(MARKET);
    expect(vixPoints).toBe(market.filter((m) => 'vix' in m.data).length);

    // Assess 2: documents stored once each.
    const scan = await runtime.clients.dynamodb.send(
      new ScanCommand({
        TableName: runtime.names.tables.find((t) => t.includes('Documents'))!,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: 'EVT#' } },
      }),
    );
    expect(scan.Count).toBe(TRADES + WEEKS);

    // Assess 3: quarantine holds every malformed record and the poison, each once, with reasons.
    const lakeBucket = runtime.names.buckets.find((b) => b.startsWith('lakebucket'))!;
    const quarantined = (await listLakeRecords(runtime.clients.s3, lakeBucket, 'quarantine/')).flatMap((o) =>
      o.lines.map((l) => JSON.parse(l) as { origin: string; reason: string; payload: string }),
    );
    const origins = quarantined.map((q) => q.origin);
    expect(new Set(origins).size).toBe(origins.length);
    expect(quarantined).toHaveLength(MALFORMED + 1);
    const poisoned = quarantined.filter((q) => q.payload.includes('it-poison'));
    expect(poisoned).toHaveLength(1);
    expect(poisoned[0]!.reason).toMatch(/retries exhausted.*RetryAttemptsExhausted/);
    expect(quarantined.every((q) => q.reason.length > 10)).toBe(true);

    // Assess 4: stored + quarantined = sent, exactly.
    const storedEvents = latencyPoints + MARKET + TRADES + WEEKS;
    expect(storedEvents + quarantined.length).toBe(unique.length + MALFORMED);

    // Assess 5: the faults really happened and went through the mapping's failure paths.
    expect(faults.injected[0]).toBe(9);
    expect(faults.injected[1]).toBeGreaterThan(0);
    const ingest = runtime.kinesisSources[0]!.stats;
    expect(ingest.partialFailures).toBeGreaterThan(0);
    expect(ingest.batchesSentToDestination).toBeGreaterThanOrEqual(1);
    expect([...runtime.queues.values()].every((q) => q.depth === 0)).toBe(true);

    // Assess 6: the accounting the API serves agrees: duplicates seen, capture rate below 1 (quarantine).
    const stats = (await (await fetch(`${runtime.url}/v1/ingestion/stats`)).json()) as Record<string, number>;
    expect(stats.duplicates).toBeGreaterThanOrEqual(RESENT);
    expect(stats.quarantined).toBe(MALFORMED + 1);
    expect(stats.captureRate).toBeLessThan(1);

    // Assess 7: the raw lake holds every valid event (at least once; deduplicate by id when querying).
    const lakeIds = new Set(
      (await listLakeRecords(runtime.clients.s3, lakeBucket, 'events/')).flatMap((o) =>
        o.lines.map((l) => (JSON.parse(l) as { id: string }).id),
      ),
    );
    for (const e of unique) expect(lakeIds.has(e.id)).toBe(true);
  }, 300_000);
});
