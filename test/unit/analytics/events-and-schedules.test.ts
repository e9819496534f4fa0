import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EventBridgePublisher } from '../../../src/adapters/eventbridge-publisher.ts';
import { InMemoryDocumentStore, InMemorySeriesStore } from '../../../src/adapters/memory.ts';
import { parseScheduledAnalysis } from '../../../src/core/analytics/analysis.ts';
import { executeAnalysis, MAX_ANOMALIES_PER_EVENT } from '../../../src/core/analytics/service.ts';
import type { DomainEvent } from '../../../src/core/ports.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const event = (i: number): DomainEvent => ({ detailType: 'AnomalyDetected', time: NOW, detail: { i } });

describe('EventBridgePublisher', () => {
  it('sends at most 10 entries per PutEvents, on the named bus, with the project source', async () => {
    // Prepare
    const mock = mockClient(EventBridgeClient);
    mock
      .on(PutEventsCommand)
      .callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));
    const publisher = new EventBridgePublisher({
      client: new EventBridgeClient({ region: 'us-east-1' }),
      eventBusName: 'bus',
    });
    // Act
    await publisher.publish(Array.from({ length: 23 }, (_, i) => event(i)));
    // Assess
    const calls = mock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls[0]![0]).toMatchObject({
      EventBusName: 'bus',
      Source: EVENT_SOURCE,
      DetailType: 'AnomalyDetected',
      Detail: '{"i":0}',
    });
  });

  it('resends only the entries EventBridge failed, and throws when they keep failing', async () => {
    const mock = mockClient(EventBridgeClient);
    const seen: string[][] = [];
    mock.on(PutEventsCommand).callsFake((input) => {
      seen.push(input.Entries.map((e: { Detail: string }) => e.Detail));
      // The entry with i = 1 is throttled every time; the others go through.
      const entries = input.Entries.map((e: { Detail: string }) =>
        e.Detail === '{"i":1}' ? { ErrorCode: 'ThrottlingException' } : { EventId: 'x' },
      );
      return {
        FailedEntryCount: entries.filter((e: { ErrorCode?: string }) => e.ErrorCode).length,
        Entries: entries,
      };
    });
    const publisher = new EventBridgePublisher({
      client: new EventBridgeClient({ region: 'us-east-1' }),
      eventBusName: 'bus',
      maxAttempts: 3,
      sleep: async () => {},
    });
    await expect(publisher.publish([event(0), event(1), event(2)])).rejects.toThrow(
      /did not take 1 event\(s\) after 3 attempts: ThrottlingException/,
    );
    expect(seen).toEqual([['{"i":0}', '{"i":1}', '{"i":2}'], ['{"i":1}'], ['{"i":1}']]);
  });
});

describe('parseScheduledAnalysis', () => {
  it('turns a window into the range before now', () => {
    const r = parseScheduledAnalysis(
      'latency-anomalies',
      { kind: 'anomaly', metric: 'latency_ms', window: '6h', step: '1m' },
      NOW,
    );
    expect(r.ok && r.value.request).toMatchObject({ from: NOW - 6 * 3_600_000, to: NOW, stepMs: 60_000 });
  });

  it('names every problem of a bad schedule', () => {
    const r = parseScheduledAnalysis(
      'Bad Name',
      { kind: 'anomaly', metric: 'latency_ms', from: 1, params: { detector: 'x' } },
      NOW,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => `${e.path}:${e.rule}`)).toEqual(
        expect.arrayContaining([
          'schedule:pattern',
          'window:required',
          'from:unknown_key',
          'params.detector:enum',
        ]),
      );
    }
  });
});

describe('executeAnalysis', () => {
  it('stores the analysis, then publishes one AnomalyDetected per series with anomalies, top anomalies first', async () => {
    // Prepare: 60 steady minutes of one series with 25 spikes, and a quiet second series.
    const series = new InMemorySeriesStore();
    const base = NOW - 3_600_000;
    const spikes = new Set(Array.from({ length: 25 }, (_, k) => 34 + k));
    await series.write(
      Array.from({ length: 120 }, (_, i) => {
        const minute = i % 60;
        const loud = i < 60;
        return {
          eventId: `e${i}`,
          component: loud ? 'loud' : 'quiet',
          metric: 'latency_ms',
          dimensions: {},
          time: base + minute * 60_000,
          value: 50 + (minute % 3) + (loud && spikes.has(minute) ? 100 + minute : 0),
          unit: 'ms',
        };
      }),
    );
    const documents = new InMemoryDocumentStore();
    const published: DomainEvent[] = [];
    const parsed = parseScheduledAnalysis(
      'scan',
      {
        kind: 'anomaly',
        metric: 'latency_ms',
        window: '1h',
        step: '1m',
        params: { detector: 'robust', threshold: 0.5 },
      },
      NOW,
    );
    if (!parsed.ok) throw new Error('valid schedule expected');
    // Act
    const analysis = await executeAnalysis(
      parsed.value.request,
      {
        series,
        documents,
        events: { publish: async (e) => void published.push(...e) },
        newId: () => 'an-1',
        now: () => NOW,
      },
      { schedule: 'scan' },
    );
    // Assess
    expect((await documents.get('an-1'))?.body).toEqual(analysis);
    expect(published).toHaveLength(1);
    const detail = published[0]!.detail as {
      component: string;
      schedule: string;
      anomalyCount: number;
      anomalies: { score: number; time: string }[];
    };
    expect(detail.component).toBe('loud');
    expect(detail.schedule).toBe('scan');
    expect(detail.anomalies.length).toBe(Math.min(detail.anomalyCount, MAX_ANOMALIES_PER_EVENT));
    const scores = detail.anomalies.map((a) => a.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(detail.anomalies[0]!.time).toMatch(/^2026-11-24T/);
    expect(analysis.events).toBe(1);
  });
});

describe('executeAnalysis for a correlation', () => {
  it('reads the second series through the store over the same range and step', async () => {
    // Prepare: b echoes a two minutes later.
    const series = new InMemorySeriesStore();
    const base = NOW - 3_600_000;
    const a = Array.from({ length: 60 }, (_, i) => 50 + ((i * 7919) % 17));
    await series.write([
      ...a.map((v, i) => ({
        eventId: `a${i}`,
        component: 'engine',
        metric: 'queue_depth',
        dimensions: {},
        time: base + i * 60_000,
        value: v,
        unit: 'count',
      })),
      ...a.map((_, i) => ({
        eventId: `b${i}`,
        component: 'engine',
        metric: 'latency_ms',
        dimensions: {},
        time: base + i * 60_000,
        value: i >= 2 ? a[i - 2]! : 50,
        unit: 'ms',
      })),
    ]);
    const parsed = parseScheduledAnalysis(
      'corr',
      {
        kind: 'correlation',
        metric: 'queue_depth',
        window: '1h',
        step: '1m',
        params: { with: { metric: 'latency_ms' }, maxLag: 5 },
      },
      NOW,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    // Act
    const analysis = await executeAnalysis(parsed.value.request, {
      series,
      documents: new InMemoryDocumentStore(),
      events: { publish: async () => {} },
      newId: () => 'an-c',
      now: () => NOW,
    });
    // Assess
    expect(analysis.series[0]!.correlation).toMatchObject({
      bestLag: 2,
      significant: true,
      with: { metric: 'latency_ms' },
    });
  });
});
