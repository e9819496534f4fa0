import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelayMs,
  type CollectorEvent,
  type CollectorLogger,
  createKinesisClient,
  type DeadLetter,
  EventCollector,
  type EventCollectorOptions,
  EventGivenUpError,
  EventRefusedError,
  MAX_BYTES_PER_REQUEST,
  type PutResult,
} from '../../src/collector/index.ts';

const STREAM = 'all-use-events-test';
const MIB = 1024 * 1024;

const silentLogger: CollectorLogger = { warn: () => {}, error: () => {} };

function metricEvent(i: number, extra: Record<string, unknown> = {}): CollectorEvent {
  return { id: `evt-${i}`, type: 'system.metric', time: 1_700_000_000_000 + i, data: { value: i, ...extra } };
}

/** Lets every pending promise callback and I/O callback run once. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A PutRecords response accepting every record. */
let sequence = 0;
function acceptAll(input: PutRecordsCommandInput): Partial<PutRecordsCommandOutput> {
  return {
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map(() => {
      sequence += 1;
      return { ShardId: 'shardId-000000000000', SequenceNumber: String(sequence) };
    }),
  };
}

/** A PutRecords response failing the records at the given indexes with the given code. */
function failAt(indexes: Record<number, string>) {
  return (input: PutRecordsCommandInput): Partial<PutRecordsCommandOutput> => ({
    FailedRecordCount: Object.keys(indexes).length,
    Records: (input.Records ?? []).map((_, i) => {
      const code = indexes[i];
      if (code) return { ErrorCode: code, ErrorMessage: `${code} for record ${i}` };
      sequence += 1;
      return { ShardId: 'shardId-000000000000', SequenceNumber: String(sequence) };
    }),
  });
}

/** A PutRecords response failing the records of the given event ids with the given code, wherever they are. */
function failIds(ids: readonly string[], code: string) {
  return (input: PutRecordsCommandInput): Partial<PutRecordsCommandOutput> => {
    const failing = Object.fromEntries(
      (input.Records ?? []).flatMap((record, i) => (ids.includes(decode(record.Data).id) ? [[i, code]] : [])),
    ) as Record<number, string>;
    return failAt(failing)(input);
  };
}

function decode(data: Uint8Array | undefined): CollectorEvent {
  return JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8')) as CollectorEvent;
}

describe('EventCollector with a mocked Kinesis client', () => {
  let kinesisMock: AwsClientStub<KinesisClient>;
  let client: KinesisClient;
  let sleeps: number[];
  const collectors: EventCollector[] = [];

  beforeAll(() => {
    kinesisMock = mockClient(KinesisClient);
    client = new KinesisClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(() => kinesisMock.restore());
  beforeEach(() => {
    kinesisMock.reset();
    sleeps = [];
  });
  afterEach(async () => {
    // Clears linger timers; every test has settled its events already.
    await Promise.all(collectors.splice(0).map((c) => c.close()));
  });

  function makeCollector(options: Partial<EventCollectorOptions> = {}): EventCollector {
    const collector = new EventCollector({
      client,
      streamName: STREAM,
      flushIntervalMs: 60_000,
      logger: silentLogger,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
    collectors.push(collector);
    return collector;
  }

  function sentRequests(): PutRecordsCommandInput[] {
    return kinesisMock.commandCalls(PutRecordsCommand).map((call) => call.args[0].input);
  }

  function sentIds(): string[][] {
    return sentRequests().map((input) => (input.Records ?? []).map((record) => decode(record.Data).id));
  }

  describe('batching', () => {
    it('splits 1,234 events into requests of 500, 500 and 234 records, in order', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();
      const events = Array.from({ length: 1234 }, (_, i) => metricEvent(i));

      // Act
      const puts = events.map((event) => collector.put(event));
      await collector.flush();
      const results = await Promise.all(puts);

      // Assess
      expect(sentRequests().map((input) => input.Records?.length)).toEqual([500, 500, 234]);
      expect(sentIds().flat()).toEqual(events.map((event) => event.id));
      expect(sentRequests()[0]?.StreamName).toBe(STREAM);
      expect(results.every((result) => result.shardId === 'shardId-000000000000')).toBe(true);
      expect(collector.stats()).toMatchObject({ accepted: 1234, requests: 3, buffered: 0, inFlight: 0 });
    });

    it('keeps every request under 10 MiB when events are large', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();
      const events = Array.from({ length: 100 }, (_, i) =>
        metricEvent(i, { blob: 'x'.repeat(300 * 1024 - 60) }),
      );
      const recordSize = Buffer.byteLength(JSON.stringify(events[0])) + 'evt-0'.length;

      // Act
      const { accepted, failed } = await collector.putMany(events);

      // Assess
      const sizes = sentRequests().map((input) =>
        (input.Records ?? []).reduce(
          (sum, record) =>
            sum + (record.Data?.byteLength ?? 0) + Buffer.byteLength(record.PartitionKey ?? ''),
          0,
        ),
      );
      const perRequest = Math.floor(MAX_BYTES_PER_REQUEST / recordSize);
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      expect(sizes.every((size) => size <= MAX_BYTES_PER_REQUEST)).toBe(true);
      // Every request but the last is as full as the limit allows.
      expect(sentRequests().map((input) => input.Records?.length)).toEqual([
        perRequest,
        perRequest,
        100 - 2 * perRequest,
      ]);
      expect(sentIds().flat()).toEqual(events.map((event) => event.id));
      expect(accepted).toHaveLength(100);
      expect(failed).toEqual([]);
    });

    it('sends a partial batch once flushIntervalMs has passed, without a flush call', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
        const collector = makeCollector({ flushIntervalMs: 200 });

        // Act
        const put = collector.put(metricEvent(1));
        await vi.advanceTimersByTimeAsync(199);
        const sentBefore = sentRequests().length;
        await vi.advanceTimersByTimeAsync(1);
        await put;

        // Assess
        expect(sentBefore).toBe(0);
        expect(sentIds()).toEqual([['evt-1']]);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('refusals at put time', () => {
    it('refuses a record over 1 MiB with the size and the limit, and sends nothing', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();
      const huge = { id: 'huge', data: { blob: 'x'.repeat(MIB) } };

      // Act
      const outcome = collector.put(huge);
      await collector.flush();

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(EventRefusedError);
      await expect(outcome).rejects.toThrow(
        /event huge refused: it is 1048\d{3} bytes .* record limit is 1048576 bytes/,
      );
      expect(sentRequests()).toHaveLength(0);
      expect(collector.stats().refused).toBe(1);
    });

    it('accepts a record of exactly 1 MiB, data plus partition key', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();
      const overhead = Buffer.byteLength(JSON.stringify({ id: 'edge', data: { blob: '' } })) + 'edge'.length;
      const edge = { id: 'edge', data: { blob: 'x'.repeat(MIB - overhead) } };

      // Act
      const outcome = collector.put(edge);
      await collector.flush();

      // Assess
      await expect(outcome).resolves.toMatchObject({ shardId: 'shardId-000000000000', attempts: 1 });
      expect(sentIds()).toEqual([['edge']]);
    });

    it('refuses a missing id, a bad partition key and an event the validate hook rejects', async () => {
      // Prepare
      const collector = makeCollector({
        validate: (event) =>
          event.type === 'unknown' ? 'type: must be a known event type (enum)' : undefined,
      });

      // Act
      const noId = collector.put({ data: {} } as unknown as CollectorEvent);
      const longKey = collector.put({ id: 'k', data: { component: 'c'.repeat(257) } });
      const invalid = collector.put({ id: 'v', type: 'unknown' });

      // Assess
      await expect(noId).rejects.toThrow('event.id: must be a non-empty string');
      await expect(longKey).rejects.toThrow(
        'event k refused: partition key is 257 characters, the limit is 256',
      );
      await expect(invalid).rejects.toThrow(
        'event v refused by validate: type: must be a known event type (enum)',
      );
      expect(() => collector.tryPut({ id: 'v2', type: 'unknown' })).toThrow(EventRefusedError);
      expect(collector.stats()).toMatchObject({ refused: 4, buffered: 0 });
    });

    it('rejects invalid options, naming the option', () => {
      expect(() => new EventCollector({ client, streamName: STREAM, maxBufferedEvents: 0 })).toThrow(
        'EventCollector option maxBufferedEvents: must be an integer >= 1, got 0',
      );
      expect(() => new EventCollector({ client })).toThrow('streamName or streamArn');
    });
  });

  describe('partition keys', () => {
    it('uses data.component, then data.symbol, then the id', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();

      // Act
      collector.tryPut({ id: 'a', data: { component: 'protocol-engine' } });
      collector.tryPut({ id: 'b', data: { symbol: 'TSLA' } });
      collector.tryPut({ id: 'c', data: { value: 1 } });
      await collector.flush();

      // Assess
      expect(sentRequests()[0]?.Records?.map((record) => record.PartitionKey)).toEqual([
        'protocol-engine',
        'TSLA',
        'c',
      ]);
    });

    it('sends StreamARN when the collector targets an ARN', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/all-use-events';
      const collector = makeCollector({ streamName: undefined, streamArn: arn });

      // Act
      await Promise.all([collector.put(metricEvent(1)), collector.flush()]);

      // Assess
      expect(sentRequests()[0]).toMatchObject({ StreamARN: arn });
      expect(sentRequests()[0]?.StreamName).toBeUndefined();
    });
  });

  describe('retries', () => {
    it('re-sends only the entries that failed, in their order', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .callsFakeOnce(failAt({ 1: 'ProvisionedThroughputExceededException', 3: 'InternalFailure' }))
        .callsFake(acceptAll);
      const collector = makeCollector();
      const events = Array.from({ length: 5 }, (_, i) => metricEvent(i));

      // Act
      const puts = events.map((event) => collector.put(event));
      await collector.flush();
      const results = await Promise.all(puts);

      // Assess
      expect(sentIds()).toEqual([
        ['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4'],
        ['evt-1', 'evt-3'],
      ]);
      expect(results.map((result) => result.attempts)).toEqual([1, 2, 1, 2, 1]);
      expect(sleeps).toEqual([50]);
      expect(collector.stats()).toMatchObject({ accepted: 5, failedAttempts: 2, retried: 2, givenUp: 0 });
    });

    it('grows the backoff exponentially, caps it, and jitters it with the injected random', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(failAt({ 0: 'ProvisionedThroughputExceededException' }));
      const draws = [0.5, 0.5, 0.5, 0.5, 0.5, 0.9];
      const collector = makeCollector({
        maxAttempts: 7,
        backoffBaseMs: 100,
        backoffCapMs: 1_000,
        random: () => draws.shift() ?? 0,
      });

      // Act
      const outcome = collector.put(metricEvent(1)).catch((error: unknown) => error);
      await collector.flush();

      // Assess: ceilings 100, 200, 400, 800, then capped at 1000; each delay is draw x ceiling
      expect(sleeps).toEqual([50, 100, 200, 400, 500, 900]);
      expect(await outcome).toBeInstanceOf(EventGivenUpError);
      expect(backoffDelayMs(20, 100, 5_000, () => 0.999)).toBe(4995);
      expect(backoffDelayMs(1, 100, 5_000, () => 0)).toBe(0);
    });

    it('gives up after maxAttempts: onDeadLetter receives the event and its put rejects', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .callsFake(failIds(['evt-2'], 'ProvisionedThroughputExceededException'));
      const deadLetters: DeadLetter<CollectorEvent>[][] = [];
      const collector = makeCollector({
        maxAttempts: 3,
        onDeadLetter: (failures) => {
          deadLetters.push([...failures]);
        },
      });
      const [ok, doomed] = [metricEvent(1), metricEvent(2)];

      // Act
      const okPut = collector.put(ok);
      const doomedPut = collector.put(doomed).catch((error: unknown) => error);
      await collector.flush();

      // Assess
      const error = await doomedPut;
      expect(error).toBeInstanceOf(EventGivenUpError);
      expect(error).toMatchObject({
        eventId: 'evt-2',
        attempts: 3,
        errorCode: 'ProvisionedThroughputExceededException',
        message: expect.stringMatching(
          /^event evt-2 was not accepted by Kinesis, given up after 3 attempts: ProvisionedThroughputExceededException/,
        ),
      });
      await expect(okPut).resolves.toMatchObject({ attempts: 1 });
      expect(deadLetters).toEqual([
        [
          {
            event: doomed,
            attempts: 3,
            errorCode: 'ProvisionedThroughputExceededException',
            reason: expect.stringContaining('given up after 3 attempts'),
          },
        ],
      ]);
      expect(sentIds()).toEqual([['evt-1', 'evt-2'], ['evt-2'], ['evt-2']]);
      expect(collector.stats()).toMatchObject({ accepted: 1, givenUp: 1, failedAttempts: 3, retried: 2 });
    });

    it('fails at once, without retrying, on a non-retryable request error', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(async () => {
        throw new ResourceNotFoundException({
          message: `Stream ${STREAM} under account 123456789012 not found.`,
          $metadata: { httpStatusCode: 400 },
        });
      });
      const deadLetters: DeadLetter<CollectorEvent>[] = [];
      const collector = makeCollector({ onDeadLetter: (failures) => void deadLetters.push(...failures) });

      // Act
      const outcomes = [metricEvent(1), metricEvent(2)].map((event) =>
        collector.put(event).catch((error: unknown) => error),
      );
      await collector.flush();

      // Assess
      const errors = await Promise.all(outcomes);
      expect(errors[0]).toBeInstanceOf(EventGivenUpError);
      expect(String((errors[0] as Error).message)).toContain(
        'not retryable: ResourceNotFoundException: Stream',
      );
      expect(sentRequests()).toHaveLength(1);
      expect(sleeps).toEqual([]);
      expect(deadLetters.map((letter) => [letter.event.id, letter.attempts, letter.errorCode])).toEqual([
        ['evt-1', 1, 'ResourceNotFoundException'],
        ['evt-2', 1, 'ResourceNotFoundException'],
      ]);
    });

    it('fails at once on a non-retryable per-record error, retrying only the others', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .callsFakeOnce(failAt({ 0: 'KMSAccessDeniedException', 1: 'InternalFailure' }))
        .callsFake(acceptAll);
      const collector = makeCollector();

      // Act
      const denied = collector.put(metricEvent(0)).catch((error: unknown) => error);
      const retried = collector.put(metricEvent(1));
      await collector.flush();

      // Assess
      expect(await denied).toMatchObject({ attempts: 1, errorCode: 'KMSAccessDeniedException' });
      await expect(retried).resolves.toMatchObject({ attempts: 2 });
      expect(sentIds()).toEqual([['evt-0', 'evt-1'], ['evt-1']]);
    });

    it.each([
      [
        'throttling',
        new ProvisionedThroughputExceededException({
          message: 'Rate exceeded for stream',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
      ['a network error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
      ['a 5xx', Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } })],
    ])('retries every entry of a request that failed with %s', async (_label, failure) => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .callsFakeOnce(async () => {
          throw failure;
        })
        .callsFake(acceptAll);
      const collector = makeCollector();

      // Act
      const puts = [metricEvent(1), metricEvent(2), metricEvent(3)].map((event) => collector.put(event));
      await collector.flush();
      const results = await Promise.all(puts);

      // Assess
      expect(sentIds()).toEqual([
        ['evt-1', 'evt-2', 'evt-3'],
        ['evt-1', 'evt-2', 'evt-3'],
      ]);
      expect(results.map((result) => result.attempts)).toEqual([2, 2, 2]);
      expect(sleeps).toHaveLength(1);
      expect(collector.stats()).toMatchObject({ failedAttempts: 3, retried: 3, accepted: 3 });
    });
  });

  describe('backpressure and lifecycle', () => {
    it('makes put wait while the buffer is full, and tryPut return false', async () => {
      // Prepare: the first request hangs until the gate opens, holding the only request slot
      const gate = deferred();
      kinesisMock
        .on(PutRecordsCommand)
        .callsFakeOnce(async (input: PutRecordsCommandInput) => {
          await gate.promise;
          return acceptAll(input);
        })
        .callsFake(acceptAll);
      const collector = makeCollector({ maxBufferedEvents: 2, maxInFlightRequests: 1 });
      const first = [collector.put(metricEvent(0)), collector.put(metricEvent(1))];
      const firstFlush = collector.flush();
      await settle();
      const buffered = [collector.put(metricEvent(2)), collector.put(metricEvent(3))];

      // Act
      const refused = collector.tryPut(metricEvent(4));
      let waitingSettled = false;
      const waiting = collector.put(metricEvent(5)).finally(() => {
        waitingSettled = true;
      });
      await settle();
      const whileFull = { ...collector.stats(), requests: sentRequests().length, waitingSettled };
      gate.resolve();
      await firstFlush;
      await collector.flush();
      await Promise.all([...first, ...buffered, waiting]);

      // Assess
      expect(refused).toBe(false);
      expect(whileFull).toMatchObject({
        buffered: 2,
        waiting: 1,
        inFlight: 2,
        requests: 1,
        waitingSettled: false,
      });
      expect(sentIds()).toEqual([['evt-0', 'evt-1'], ['evt-2', 'evt-3'], ['evt-5']]);
      expect(collector.stats()).toMatchObject({ accepted: 5, buffered: 0, waiting: 0 });
    });

    it('close flushes what is buffered, then refuses new events', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();
      const puts = [1, 2, 3].map((i) => collector.put(metricEvent(i)));
      await settle();
      const sentBeforeClose = sentRequests().length;

      // Act
      await collector.close();

      // Assess
      expect(sentBeforeClose).toBe(0);
      expect(sentIds()).toEqual([['evt-1', 'evt-2', 'evt-3']]);
      await expect(Promise.all(puts)).resolves.toHaveLength(3);
      await expect(collector.put(metricEvent(4))).rejects.toThrow(
        'EventCollector is closed: event evt-4 was not sent (put after close())',
      );
      expect(() => collector.tryPut(metricEvent(5))).toThrow(EventRefusedError);
      const late = await collector.putMany([metricEvent(6)]);
      expect(late.failed.map((f) => f.error.name)).toEqual(['EventRefusedError']);
    });

    it('reports a tryPut event that is given up to onDeadLetter, since it has no promise', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake(failAt({ 0: 'KMSDisabledException' }));
      const deadLetters: DeadLetter<CollectorEvent>[] = [];
      const collector = makeCollector({ onDeadLetter: (failures) => void deadLetters.push(...failures) });

      // Act
      const accepted = collector.tryPut(metricEvent(1));
      await collector.flush();

      // Assess
      expect(accepted).toBe(true);
      expect(deadLetters.map((letter) => letter.event.id)).toEqual(['evt-1']);
      expect(collector.stats()).toMatchObject({ givenUp: 1, inFlight: 0 });
    });

    it('flushes on beforeExit and closes on SIGTERM once the hooks are installed', async () => {
      // Prepare: a no-op SIGTERM listener stays, so the hook does not re-raise the signal on the test runner
      kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
      const collector = makeCollector();
      const keepAlive = (): void => {};
      process.on('SIGTERM', keepAlive);
      const listenersBefore = process.listenerCount('SIGTERM');
      const uninstall = collector.installShutdownHooks();
      try {
        // Act
        const beforeExitPut = collector.put(metricEvent(1));
        process.emit('beforeExit', 0);
        await beforeExitPut;
        const sigtermPut = collector.put(metricEvent(2));
        process.emit('SIGTERM', 'SIGTERM');
        await sigtermPut;
        await collector.close();

        // Assess
        expect(sentIds()).toEqual([['evt-1'], ['evt-2']]);
        await expect(collector.put(metricEvent(3))).rejects.toThrow(/closed/);
        expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
      } finally {
        uninstall();
        process.off('SIGTERM', keepAlive);
      }
    });
  });
});

describe('createKinesisClient', () => {
  it('uses AWS_ENDPOINT_URL_KINESIS over AWS_ENDPOINT_URL, with an HTTP/1.1 handler', async () => {
    // Prepare
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:1111');
    vi.stubEnv('AWS_ENDPOINT_URL_KINESIS', 'http://127.0.0.1:2222');
    try {
      // Act
      const client = createKinesisClient({ region: 'us-east-1' });
      const endpoint = await client.config.endpoint?.();

      // Assess
      expect(endpoint?.port).toBe(2222);
      expect(client.config.requestHandler.constructor.name).toBe('NodeHttpHandler');
      expect(await client.config.maxAttempts()).toBe(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

interface KinesaliteServer {
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo;
  close(callback: () => void): void;
}

describe('EventCollector against kinesalite', () => {
  // kinesalite ships no type declarations; a local interface keeps the test typed without a global shim.
  const kinesalite = createRequire(import.meta.url)('kinesalite') as (options: {
    createStreamMs: number;
  }) => KinesaliteServer;
  let server: KinesaliteServer;
  let client: KinesisClient;

  beforeAll(async () => {
    server = kinesalite({ createStreamMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = createKinesisClient({
      endpoint: `http://127.0.0.1:${server.address().port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await new Promise<void>((resolve) => server.close(resolve));
  });

  it('delivers 2,000 events over 2 shards, each exactly once, where put said it did', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
    let shardIds: string[] = [];
    for (let tries = 0; shardIds.length === 0; tries += 1) {
      const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: STREAM }));
      if (StreamDescription?.StreamStatus === 'ACTIVE')
        shardIds = StreamDescription.Shards!.map((s) => s.ShardId!);
      else if (tries > 100) throw new Error('stream never became ACTIVE');
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const collector = new EventCollector({ client, streamName: STREAM, logger: silentLogger });
    // Half the events belong to a few components (one shard each), half spread by id.
    const events = Array.from({ length: 2000 }, (_, i) =>
      metricEvent(i, i % 2 === 0 ? { component: `component-${i % 10}` } : {}),
    );

    // Act
    const sending = collector.putMany(events);
    await collector.close();
    const { accepted, failed } = await sending;
    const read: { id: string; shardId: string; sequenceNumber: string; component: unknown }[] = [];
    for (const shardId of shardIds) {
      const iterator = await client.send(
        new GetShardIteratorCommand({
          StreamName: STREAM,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      let next = iterator.ShardIterator;
      while (next) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: next, Limit: 10_000 }));
        for (const record of page.Records ?? []) {
          const event = decode(record.Data);
          const data = event.data as { component?: unknown };
          read.push({
            id: event.id,
            shardId,
            sequenceNumber: record.SequenceNumber!,
            component: data.component,
          });
        }
        next = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
      }
    }

    // Assess
    expect(failed).toEqual([]);
    expect(accepted).toHaveLength(2000);
    expect(read).toHaveLength(2000);
    expect(new Set(read.map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));
    const readById = new Map(read.map((r) => [r.id, r]));
    const receipts = accepted.map(({ event, result }) => ({ id: event.id, ...result }));
    const mismatched = receipts.filter(
      (receipt: PutResult & { id: string }) =>
        readById.get(receipt.id)?.shardId !== receipt.shardId ||
        readById.get(receipt.id)?.sequenceNumber !== receipt.sequenceNumber,
    );
    expect(mismatched).toEqual([]);
    expect(new Set(read.map((r) => r.shardId))).toEqual(new Set(shardIds));
    for (let c = 0; c < 10; c += 2) {
      const shards = new Set(read.filter((r) => r.component === `component-${c}`).map((r) => r.shardId));
      expect(shards.size).toBe(1);
    }
  });
});
