import { describe, expect, it } from 'vitest';
import { InMemoryDocumentStore, InMemoryLake, InMemorySeriesStore } from '../../src/adapters/memory.ts';
import { captureRate, processBatch, type StreamRecord } from '../../src/core/ingest/process-batch.ts';
import { parseFailedBatchInfo, redriveBatch } from '../../src/core/ingest/redrive.ts';
import { type SeriesPoint, type TimeSeriesStore, TransientStoreError } from '../../src/core/ports.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');

function metric(id: string, value: unknown = 1, extra: Record<string, unknown> = {}) {
  return {
    version: 1,
    id,
    type: 'metric',
    source: 'test',
    time: '2026-11-24T11:59:00Z',
    data: { component: 'protocol-engine', name: 'latency_ms', value, unit: 'ms', ...extra },
  };
}

function records(payloads: unknown[]): StreamRecord[] {
  return payloads.map((p, i) => {
    const seq = String(1000 + i);
    return {
      sequenceNumber: seq,
      origin: `shardId-000000000000/${seq}`,
      data:
        typeof p === 'string' || p instanceof Uint8Array
          ? typeof p === 'string'
            ? Buffer.from(p)
            : p
          : Buffer.from(JSON.stringify(p)),
    };
  });
}

function ports() {
  const series = new InMemorySeriesStore();
  const documents = new InMemoryDocumentStore();
  const lake = new InMemoryLake();
  return { series, documents, lake, now: () => NOW };
}

/** A series store that fails transiently for chosen event ids, `times` times each (then delegates). */
class FlakySeriesStore implements TimeSeriesStore {
  calls = 0;
  constructor(
    private readonly inner: TimeSeriesStore,
    private readonly failIds: Set<string>,
    private times: number,
  ) {}
  async write(points: readonly SeriesPoint[]) {
    this.calls++;
    const hit = points.filter((p) => this.failIds.has(p.eventId)).map((p) => p.eventId);
    if (hit.length > 0 && this.times > 0) {
      this.times--;
      const ok = points.filter((p) => !this.failIds.has(p.eventId));
      await this.inner.write(ok);
      throw new TransientStoreError('ProvisionedThroughputExceededException (test)', hit);
    }
    return this.inner.write(points);
  }
  query = (q: Parameters<TimeSeriesStore['query']>[0]) => this.inner.query(q);
}

describe('processBatch', () => {
  it('stores valid events, quarantines invalid ones with every error, and counts both', async () => {
    // Prepare
    const p = ports();
    const batch = records([
      metric('a', 1),
      metric('b', 'x'),
      '{not json',
      metric('c', 3, { unit: 'parsec' }),
    ]);
    // Act
    const out = await processBatch(batch, 'b1', p);
    // Assess
    expect(out.outcomes).toEqual(['stored', 'quarantined', 'quarantined', 'quarantined']);
    expect(out.failedSequenceNumbers).toEqual([]);
    expect(out.counters).toEqual({ received: 4, stored: 1, quarantined: 3, duplicates: 0, retried: 0 });
    const q = p.lake.quarantinedRecords();
    expect(q.map((r) => r.origin)).toEqual([
      'shardId-000000000000/1001',
      'shardId-000000000000/1002',
      'shardId-000000000000/1003',
    ]);
    expect(q[0]!.reason).toContain('data.value');
    expect(q[1]!.errors?.[0]?.rule).toBe('json');
    expect(q[2]!.errors?.map((e) => e.path)).toContain('data.unit');
    expect(p.series.size).toBe(1);
    expect(p.lake.records().map((r) => r.id)).toEqual(['a']);
  });

  it('keeps non-UTF-8 payloads in quarantine as base64', async () => {
    const p = ports();
    const out = await processBatch(records([new Uint8Array([0xff, 0xfe, 0x00])]), 'b1', p);
    expect(out.outcomes).toEqual(['quarantined']);
    expect(p.lake.quarantinedRecords()[0]).toMatchObject({ payload: '//4A', payloadEncoding: 'base64' });
  });

  it('counts a repeated id inside a batch and a redelivered batch as duplicates, storing each point once', async () => {
    const p = ports();
    const first = await processBatch(records([metric('a'), metric('a'), metric('b')]), 'b1', p);
    expect(first.outcomes).toEqual(['stored', 'duplicate', 'stored']);
    const again = await processBatch(records([metric('a'), metric('b')]), 'b1', p);
    expect(again.outcomes).toEqual(['duplicate', 'duplicate']);
    expect(p.series.size).toBe(2);
    const result = await p.series.query({
      metric: 'latency_ms',
      from: NOW - 3_600_000,
      to: NOW,
      stepMs: 3_600_000,
    });
    expect(result.series[0]!.points[0]!.count).toBe(2);
  });

  it('routes market quotes to three series and trades/weeks to the document store', async () => {
    const p = ports();
    const market = {
      version: 1,
      id: 'q1',
      type: 'market',
      source: 't',
      time: '2026-11-24T11:59:00Z',
      data: { symbol: 'TSLA', price: 250, impliedVolatility: 0.5, vix: 18 },
    };
    const week = {
      version: 1,
      id: 'w1',
      type: 'week',
      source: 't',
      time: '2026-11-24T11:00:00Z',
      data: { account: 'GEN', isoWeek: '2026-W48', predictedWeekType: 'P-EW' },
    };
    const out = await processBatch(records([market, week]), 'b1', p);
    expect(out.outcomes).toEqual(['stored', 'stored']);
    expect(p.series.size).toBe(3);
    const vix = await p.series.query({
      metric: 'vix',
      component: 'market:TSLA',
      from: NOW - 3_600_000,
      to: NOW,
      stepMs: 60_000,
    });
    expect(vix.series[0]!.points[0]!.max).toBe(18);
    expect((await p.documents.get('w1'))?.type).toBe('week');
  });

  it('on a transient store failure reports the first failed record and settles nothing after it', async () => {
    const p = ports();
    const flaky = new FlakySeriesStore(p.series, new Set(['c']), 1);
    const batch = records([metric('a'), 'bad-1', metric('c'), 'bad-2', metric('d')]);
    const out = await processBatch(batch, 'b1', { ...p, series: flaky });
    expect(out.failedSequenceNumbers).toEqual(['1002']);
    expect(out.outcomes).toEqual(['stored', 'quarantined', 'failed', 'failed', 'failed']);
    // bad-2 lies after the checkpoint: it is redelivered, so it must not be quarantined yet.
    expect(p.lake.quarantinedRecords().map((r) => r.origin)).toEqual(['shardId-000000000000/1001']);
    expect(out.failureReason).toContain('ProvisionedThroughputExceeded');

    // The mapping redelivers from the checkpoint: every record now settles, d as a duplicate.
    const retry = await processBatch(batch.slice(2), 'b2', { ...p, series: flaky });
    expect(retry.outcomes).toEqual(['stored', 'quarantined', 'duplicate']);
    expect(p.series.size).toBe(3);
    expect(p.lake.quarantinedRecords()).toHaveLength(2);
  });

  it('fails every valid record when the lake cannot be written, and stores nothing', async () => {
    const p = ports();
    const lake = {
      append: async () => Promise.reject(new Error('SlowDown')),
      quarantine: p.lake.quarantine.bind(p.lake),
    };
    const out = await processBatch(records([metric('a'), metric('b')]), 'b1', { ...p, lake });
    expect(out.failedSequenceNumbers).toEqual(['1000']);
    expect(out.outcomes).toEqual(['failed', 'failed']);
    expect(p.series.size).toBe(0);
  });

  it('quarantines points the store rejects for good, with the store reason', async () => {
    const p = ports();
    const rejecting: TimeSeriesStore = {
      write: async (points) => ({
        stored: 0,
        duplicates: [],
        rejected: points.map((x) => ({ eventId: x.eventId, reason: 'MeasureValue out of range' })),
      }),
      query: p.series.query.bind(p.series),
    };
    const out = await processBatch(records([metric('a')]), 'b1', { ...p, series: rejecting });
    expect(out.outcomes).toEqual(['quarantined']);
    expect(p.lake.quarantinedRecords()[0]!.reason).toContain('MeasureValue out of range');
  });

  it('in a final attempt quarantines what still fails, with the reason, and settles every record', async () => {
    const p = ports();
    const flaky = new FlakySeriesStore(p.series, new Set(['poison']), Number.POSITIVE_INFINITY);
    const out = await processBatch(
      records([metric('a'), metric('poison'), metric('z')]),
      'r1',
      { ...p, series: flaky },
      {
        finalAttempt: { reason: 'retries exhausted' },
      },
    );
    expect(out.outcomes).toEqual(['stored', 'quarantined', 'stored']);
    expect(out.failedSequenceNumbers).toEqual([]);
    expect(p.lake.quarantinedRecords()[0]!.reason).toMatch(
      /^retries exhausted; last failure: series store: TransientStoreError/,
    );
  });
});

describe('redrive', () => {
  const body = {
    requestContext: {
      requestId: 'r',
      functionArn: 'arn',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    },
    responseContext: { statusCode: 200 },
    version: '1.0',
    KinesisBatchInfo: {
      shardId: 'shardId-000000000000',
      startSequenceNumber: '1000',
      endSequenceNumber: '1002',
      batchSize: 3,
      streamArn: 'arn:aws:kinesis:us-east-1:0:stream/s',
    },
  };

  it('parses the on-failure record and names a missing field', () => {
    expect(parseFailedBatchInfo(JSON.stringify(body))).toMatchObject({
      shardId: 'shardId-000000000000',
      batchSize: 3,
      condition: 'RetryAttemptsExhausted',
    });
    const broken = { ...body, KinesisBatchInfo: { ...body.KinesisBatchInfo, endSequenceNumber: undefined } };
    expect(() => parseFailedBatchInfo(JSON.stringify(broken))).toThrow('KinesisBatchInfo.endSequenceNumber');
    expect(() => parseFailedBatchInfo('nope')).toThrow('not JSON');
  });

  it('reads the range back and reports records the stream no longer holds', async () => {
    const p = ports();
    const info = parseFailedBatchInfo(JSON.stringify(body));
    const reader = { read: async () => records([metric('a'), metric('b')]) };
    const out = await redriveBatch(info, reader, p);
    expect(out.outcomes).toEqual(['stored', 'stored']);
    expect(out.missing).toBe(1);
  });
});

describe('captureRate', () => {
  it('is the share of settled records that reached the store', () => {
    expect(captureRate({ stored: 8, duplicates: 1, quarantined: 1 })).toBeCloseTo(0.9);
    expect(captureRate({ stored: 0, duplicates: 0, quarantined: 0 })).toBe(1);
  });
});
