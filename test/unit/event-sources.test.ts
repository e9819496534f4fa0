/**
 * The local event-source mappings against AWS's documented semantics: KinesisEventSource on a real
 * kinesalite stream (batching, shard order, ReportBatchItemFailures checkpoints, malformed responses,
 * BisectBatchOnFunctionError, MaximumRetryAttempts, MaximumRecordAgeInSeconds, the on-failure destination's
 * record format), and LocalQueue + SqsEventSource (partial batch failure, redrive to a dead-letter queue).
 * The invoked function is scripted per test; every wait is a bounded loop on a condition.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '../../scripts/local/emulators.ts';
import {
  type Invocable,
  KinesisEventSource,
  type KinesisMappingSpec,
  LocalQueue,
  SqsEventSource,
} from '../../scripts/local/event-sources.ts';
import { FunctionError } from '../../scripts/local/functions.ts';
import { createClients } from '../../src/adapters/clients.ts';

const POLL_MS = 10;

let emulators: Emulators;
let kinesis: KinesisClient;
let streamCounter = 0;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
  kinesis = createClients({ ...process.env, ...emulators.env }).kinesis;
});

afterEach(async () => {
  // Stop pollers before the emulators go away, and even when a test failed half-way.
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await emulators?.stop();
});

/** Polls a condition until it holds; fails with what was awaited instead of hanging. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface PutRecord {
  readonly label: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
}

async function createStream(shards = 1): Promise<{ name: string; arn: string }> {
  const name = `es-test-${process.pid}-${++streamCounter}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  let summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  const deadline = Date.now() + 10_000;
  while (summary.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  }
  return { name, arn: summary.StreamDescriptionSummary!.StreamARN! };
}

/** Puts one record per label, each as its own data; `hashKey` pins a record to a shard. */
async function put(
  stream: string,
  labels: readonly string[],
  hashKey: (i: number) => string = () => '0',
): Promise<PutRecord[]> {
  const res = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: labels.map((label, i) => ({
        Data: Buffer.from(label),
        PartitionKey: label,
        ExplicitHashKey: hashKey(i),
      })),
    }),
  );
  expect(res.FailedRecordCount ?? 0).toBe(0);
  return labels.map((label, i) => ({
    label,
    sequenceNumber: res.Records![i]!.SequenceNumber!,
    shardId: res.Records![i]!.ShardId!,
  }));
}

const labelsOf = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

interface Delivery {
  readonly labels: string[];
  readonly sequenceNumbers: string[];
  readonly shardIds: string[];
  /** What the scripted function did with it. */
  outcome: 'returned' | 'threw';
}

/**
 * A function whose response is scripted per test: `respond` sees the batch (labels and sequence numbers)
 * and the delivery's index, and returns a response or throws.
 */
class ScriptedKinesisFunction implements Invocable {
  readonly spec = { name: 'scripted-stream-consumer' };
  readonly deliveries: Delivery[] = [];

  constructor(private readonly respond: (batch: Delivery, index: number) => unknown = () => undefined) {}

  async invoke(event: unknown): Promise<unknown> {
    const records = (event as KinesisStreamEvent).Records;
    const delivery: Delivery = {
      labels: records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8')),
      sequenceNumbers: records.map((r) => r.kinesis.sequenceNumber),
      shardIds: records.map((r) => r.eventID.split(':')[0]!),
      outcome: 'returned',
    };
    this.deliveries.push(delivery);
    try {
      return this.respond(delivery, this.deliveries.length - 1);
    } catch (error) {
      delivery.outcome = 'threw';
      throw error;
    }
  }

  /** Labels in deliveries that the function returned from (with or without reported failures). */
  returnedLabels(): string[] {
    return this.deliveries.filter((d) => d.outcome === 'returned').flatMap((d) => d.labels);
  }

  timesDelivered(label: string): number {
    return this.deliveries.filter((d) => d.labels.includes(label)).length;
  }
}

const BASE_SPEC = {
  batchSize: 100,
  batchingWindowSeconds: 0,
  startingPosition: 'TRIM_HORIZON',
  reportBatchItemFailures: true,
  bisectOnError: false,
  maxRetryAttempts: -1,
  maxRecordAgeSeconds: -1,
} as const;

async function startSource(
  fn: Invocable,
  stream: { name: string; arn: string },
  spec: Partial<KinesisMappingSpec>,
): Promise<KinesisEventSource> {
  const source = new KinesisEventSource(
    kinesis,
    fn,
    { ...BASE_SPEC, streamName: stream.name, streamArn: stream.arn, ...spec },
    POLL_MS,
  );
  await source.start();
  running.push(source);
  return source;
}

/** Lambda's on-failure record for a stream batch (the fields the tests read). */
interface OnFailureRecord {
  requestContext: { condition: string; approximateInvokeCount: number; functionArn: string };
  responseContext: { functionError?: string };
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    batchSize: number;
    streamArn: string;
  };
}

const failureRecords = (queue: LocalQueue) => queue.peek().map((b) => JSON.parse(b) as OnFailureRecord);

const failing = (label: string) =>
  new FunctionError('scripted-stream-consumer', 'Unhandled', `${label} is poison`);

describe('KinesisEventSource', () => {
  it('delivers every record once, in shard order, in batches of at most BatchSize, committing on an empty or absent batchItemFailures', async () => {
    // Prepare: 2 shards, records pinned alternately to each; the function answers success four ways.
    const stream = await createStream(2);
    const shardTwoHashKey = (2n ** 127n).toString();
    const sent = await put(stream.name, labelsOf(23), (i) => (i % 2 === 0 ? '0' : shardTwoHashKey));
    const successes = [undefined, {}, { batchItemFailures: [] }, { batchItemFailures: null }];
    const fn = new ScriptedKinesisFunction((_, i) => successes[i % successes.length]);

    // Act
    const source = await startSource(fn, stream, { batchSize: 5 });
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to catch up');

    // Assess: both shards used, each delivery from one shard, per shard exactly the put order.
    const shards = [...new Set(sent.map((r) => r.shardId))];
    expect(shards).toHaveLength(2);
    for (const d of fn.deliveries) {
      expect(d.labels.length).toBeGreaterThan(0);
      expect(d.labels.length).toBeLessThanOrEqual(5);
      expect(new Set(d.shardIds).size).toBe(1);
    }
    for (const shard of shards) {
      const delivered = fn.deliveries
        .filter((d) => d.shardIds[0] === shard)
        .flatMap((d) => d.sequenceNumbers);
      const expected = sent.filter((r) => r.shardId === shard).map((r) => r.sequenceNumber);
      expect(delivered).toEqual(expected);
    }
    expect(source.stats).toMatchObject({ recordsDelivered: 23, functionErrors: 0, partialFailures: 0 });
  });

  it('with ReportBatchItemFailures, checkpoints at the lowest reported sequence number: nothing before it is redelivered, everything from it on is', async () => {
    // Prepare: the first delivery reports r3 and r1 (out of order); the lowest, r1, is the checkpoint.
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(10));
    const seq = (label: string) => sent.find((r) => r.label === label)!.sequenceNumber;
    const fn = new ScriptedKinesisFunction((_, i) =>
      i === 0 ? { batchItemFailures: [{ itemIdentifier: seq('r3') }, { itemIdentifier: seq('r1') }] } : {},
    );

    // Act
    const source = await startSource(fn, stream, { batchSize: 5 });
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess
    expect(fn.deliveries[0]!.labels).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    const retry = fn.deliveries[1]!.labels;
    expect(retry.slice(0, 4)).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(fn.timesDelivered('r0')).toBe(1);
    for (const label of ['r1', 'r2', 'r3', 'r4']) expect(fn.timesDelivered(label)).toBe(2);
    for (const label of ['r5', 'r6', 'r7', 'r8', 'r9']) expect(fn.timesDelivered(label)).toBe(1);
    expect(source.stats.partialFailures).toBe(1);
  });

  it('with bisect on, retries only the remaining records of the partially failed batch', async () => {
    // Prepare
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(8));
    const fn = new ScriptedKinesisFunction((_, i) =>
      i === 0 ? { batchItemFailures: [{ itemIdentifier: sent[2]!.sequenceNumber }] } : undefined,
    );

    // Act
    const source = await startSource(fn, stream, { batchSize: 4, bisectOnError: true });
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess
    expect(fn.deliveries.map((d) => d.labels)).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r2', 'r3'],
      ['r4', 'r5', 'r6', 'r7'],
    ]);
  });

  it.each([
    ['an empty string', ''],
    ['null', null],
    ['an unknown sequence number', '49999999999999999999999999999999999999999999999999999999'],
    ['a missing itemIdentifier', undefined],
  ])('fails the whole batch when an itemIdentifier is %s', async (_, identifier) => {
    // Prepare: a valid failure for r2 next to the malformed one; alone, r2 would make r2 the checkpoint.
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(3));
    const malformed =
      identifier === undefined ? { id: sent[1]!.sequenceNumber } : { itemIdentifier: identifier };
    const fn = new ScriptedKinesisFunction((_, i) =>
      i === 0 ? { batchItemFailures: [{ itemIdentifier: sent[2]!.sequenceNumber }, malformed] } : undefined,
    );

    // Act
    const source = await startSource(fn, stream, {});
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess: the retry starts at r0, the first record of the batch.
    expect(fn.deliveries.map((d) => d.labels)).toEqual([
      ['r0', 'r1', 'r2'],
      ['r0', 'r1', 'r2'],
    ]);
    expect(source.stats.functionErrors).toBe(0);
  });

  it('with BisectBatchOnFunctionError, splits a failing batch in halves: the poison half keeps failing, the good half commits', async () => {
    // Prepare: r1 is poison; any batch holding it throws.
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(4));
    const destination = new LocalQueue('on-failure', 'arn:aws:sqs:us-east-1:000000000000:on-failure');
    const fn = new ScriptedKinesisFunction((batch) => {
      if (batch.labels.includes('r1')) throw failing('r1');
      return undefined;
    });

    // Act
    const source = await startSource(fn, stream, {
      batchSize: 4,
      bisectOnError: true,
      maxRetryAttempts: 3,
      onFailure: destination,
    });
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess: the first retry is the first half; every good record is committed once; only r1 is discarded.
    expect(fn.deliveries[0]!.labels).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(fn.deliveries[1]!.labels).toEqual(['r0', 'r1']);
    expect(fn.returnedLabels().sort()).toEqual(['r0', 'r2', 'r3']);
    for (const d of fn.deliveries.filter((x) => x.outcome === 'threw')) expect(d.labels).toContain('r1');
    const [record] = failureRecords(destination);
    expect(record!.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: sent[1]!.sequenceNumber,
      endSequenceNumber: sent[1]!.sequenceNumber,
      batchSize: 1,
    });
  });

  it('after MaximumRetryAttempts, sends one record in Lambda format to the on-failure destination and moves on', async () => {
    // Prepare: batches of 3; the first batch holds poison r1 and always throws.
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(6));
    const destination = new LocalQueue('on-failure', 'arn:aws:sqs:us-east-1:000000000000:on-failure');
    const fn = new ScriptedKinesisFunction((batch) => {
      if (batch.labels.includes('r1')) throw failing('r1');
      return undefined;
    });

    // Act
    const source = await startSource(fn, stream, {
      batchSize: 3,
      maxRetryAttempts: 2,
      onFailure: destination,
    });
    await waitFor(
      () => destination.depth === 1 && fn.returnedLabels().includes('r5'),
      'r0-r2 discarded, r3-r5',
    );
    const later = await put(stream.name, ['r6']);
    await waitFor(() => source.idle && fn.returnedLabels().includes('r6'), 'a record put afterwards');

    // Assess: 1 invocation + 2 retries of the same batch, then exactly one destination record for it.
    expect(fn.timesDelivered('r0')).toBe(3);
    expect(fn.deliveries.slice(0, 3).map((d) => d.labels)).toEqual([
      ['r0', 'r1', 'r2'],
      ['r0', 'r1', 'r2'],
      ['r0', 'r1', 'r2'],
    ]);
    expect(fn.deliveries.slice(3).flatMap((d) => d.labels)).toEqual(['r3', 'r4', 'r5', 'r6']);
    const records = failureRecords(destination);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
        functionArn: expect.stringContaining(':function:scripted-stream-consumer'),
      },
      responseContext: { functionError: 'Unhandled' },
      KinesisBatchInfo: {
        shardId: sent[0]!.shardId,
        startSequenceNumber: sent[0]!.sequenceNumber,
        endSequenceNumber: sent[2]!.sequenceNumber,
        batchSize: 3,
        streamArn: stream.arn,
      },
    });
    expect(later[0]!.shardId).toBe(sent[0]!.shardId);
    expect(source.stats).toMatchObject({ batchesSentToDestination: 1, recordsSentToDestination: 3 });
  });

  it('after MaximumRetryAttempts on partial failures, sends only the range from the checkpoint on', async () => {
    // Prepare: r1 is always reported as failed.
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(3));
    const destination = new LocalQueue('on-failure', 'arn:aws:sqs:us-east-1:000000000000:on-failure');
    const fn = new ScriptedKinesisFunction(() => ({
      batchItemFailures: [{ itemIdentifier: sent[1]!.sequenceNumber }],
    }));

    // Act
    const source = await startSource(fn, stream, { maxRetryAttempts: 1, onFailure: destination });
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess: r0 was committed by the first response; r1-r2 were retried once, then discarded.
    expect(fn.deliveries.map((d) => d.labels)).toEqual([
      ['r0', 'r1', 'r2'],
      ['r1', 'r2'],
    ]);
    expect(failureRecords(destination)[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
      KinesisBatchInfo: {
        startSequenceNumber: sent[1]!.sequenceNumber,
        endSequenceNumber: sent[2]!.sequenceNumber,
        batchSize: 2,
      },
    });
  });

  it('sends records older than MaximumRecordAgeInSeconds to the destination with RecordAgeExceeded', async () => {
    // Prepare: unlimited retries, so only the record age can end the poison batch.
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(2));
    const destination = new LocalQueue('on-failure', 'arn:aws:sqs:us-east-1:000000000000:on-failure');
    const fn = new ScriptedKinesisFunction((batch) => {
      if (batch.labels.includes('r0')) throw failing('r0');
      return undefined;
    });

    // Act
    const source = await startSource(fn, stream, { maxRecordAgeSeconds: 1, onFailure: destination });
    await waitFor(() => destination.depth === 1, 'the expired records to reach the destination');
    await put(stream.name, ['fresh']);
    await waitFor(() => source.idle && fn.returnedLabels().includes('fresh'), 'a fresh record');

    // Assess
    expect(fn.returnedLabels()).toEqual(['fresh']);
    expect(failureRecords(destination)[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded' },
      KinesisBatchInfo: {
        startSequenceNumber: sent[0]!.sequenceNumber,
        endSequenceNumber: sent[1]!.sequenceNumber,
        batchSize: 2,
        streamArn: stream.arn,
      },
    });
  });

  it('ignores a returned batchItemFailures when ReportBatchItemFailures is off', async () => {
    // Prepare
    const stream = await createStream();
    const sent = await put(stream.name, labelsOf(4));
    const fn = new ScriptedKinesisFunction(() => ({
      batchItemFailures: [{ itemIdentifier: sent[0]!.sequenceNumber }],
    }));

    // Act
    const source = await startSource(fn, stream, { batchSize: 2, reportBatchItemFailures: false });
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess: each record once, the whole batch committed.
    expect(fn.deliveries.map((d) => d.labels)).toEqual([
      ['r0', 'r1'],
      ['r2', 'r3'],
    ]);
    expect(source.stats.partialFailures).toBe(0);
  });
});

/** An SQS consumer whose response is scripted per message body. */
class ScriptedQueueFunction implements Invocable {
  readonly spec = { name: 'scripted-queue-consumer' };
  readonly deliveries: { body: string; receiveCount: string }[][] = [];

  constructor(private readonly respond: (event: SQSEvent, index: number) => unknown) {}

  async invoke(event: unknown): Promise<unknown> {
    const sqs = event as SQSEvent;
    this.deliveries.push(
      sqs.Records.map((r) => ({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount })),
    );
    return this.respond(sqs, this.deliveries.length - 1);
  }

  timesDelivered(body: string): number {
    return this.deliveries.filter((d) => d.some((m) => m.body === body)).length;
  }
}

/** Reports the messages whose body `fails` picks. */
const reportFailures = (fails: (body: string) => boolean) => (event: SQSEvent) => ({
  batchItemFailures: event.Records.filter((r) => fails(r.body)).map((r) => ({ itemIdentifier: r.messageId })),
});

describe('LocalQueue + SqsEventSource', () => {
  function queueWithDlq(maxReceiveCount: number) {
    const queue = new LocalQueue('work', 'arn:aws:sqs:us-east-1:000000000000:work');
    const dlq = new LocalQueue('work-dlq', 'arn:aws:sqs:us-east-1:000000000000:work-dlq');
    queue.deadLetter = { queue: dlq, maxReceiveCount };
    return { queue, dlq };
  }

  function startConsumer(queue: LocalQueue, fn: Invocable, reportBatchItemFailures = true) {
    const source = new SqsEventSource(queue, fn, { batchSize: 10, reportBatchItemFailures }, POLL_MS, 20);
    source.start();
    running.push(source);
    return source;
  }

  it('keeps only the reported messages after a partial batch failure', async () => {
    // Prepare: m1 fails on its first delivery only.
    const { queue, dlq } = queueWithDlq(5);
    for (const body of labelsOf(5, 'm')) queue.send(body);
    const fn = new ScriptedQueueFunction((event, i) => reportFailures((b) => i === 0 && b === 'm1')(event));

    // Act
    const source = startConsumer(queue, fn);
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess
    expect(fn.deliveries.map((d) => d.map((m) => m.body))).toEqual([['m0', 'm1', 'm2', 'm3', 'm4'], ['m1']]);
    expect(fn.deliveries[1]![0]!.receiveCount).toBe('2');
    expect(queue.depth).toBe(0);
    expect(dlq.depth).toBe(0);
    expect(source.stats).toMatchObject({ messagesDeleted: 5, messagesFailed: 1 });
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare: m2 always fails.
    const { queue, dlq } = queueWithDlq(3);
    for (const body of labelsOf(4, 'm')) queue.send(body);
    const fn = new ScriptedQueueFunction(reportFailures((b) => b === 'm2'));

    // Act
    const source = startConsumer(queue, fn);
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess: received exactly maxReceiveCount times, then moved; the others deleted after one delivery.
    expect(fn.timesDelivered('m2')).toBe(3);
    for (const body of ['m0', 'm1', 'm3']) expect(fn.timesDelivered(body)).toBe(1);
    expect(dlq.peek()).toEqual(['m2']);
    expect(queue.depth).toBe(0);
  });

  it.each([
    ['an empty string', ''],
    ['null', null],
    ['an unknown message id', 'not-a-message-id'],
  ])('fails the whole batch when an itemIdentifier is %s', async (_, identifier) => {
    // Prepare
    const { queue } = queueWithDlq(5);
    for (const body of labelsOf(2, 'm')) queue.send(body);
    const fn = new ScriptedQueueFunction((_, i) =>
      i === 0 ? { batchItemFailures: [{ itemIdentifier: identifier }] } : {},
    );

    // Act
    const source = startConsumer(queue, fn);
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess
    expect(fn.deliveries.map((d) => d.map((m) => m.body))).toEqual([
      ['m0', 'm1'],
      ['m0', 'm1'],
    ]);
  });

  it('redelivers every message of a batch whose invocation threw, and ignores batchItemFailures when not enabled', async () => {
    // Prepare: the first invocation throws; later ones report m0, which must be ignored.
    const { queue } = queueWithDlq(5);
    for (const body of labelsOf(2, 'm')) queue.send(body);
    const fn = new ScriptedQueueFunction((event, i) => {
      if (i === 0) throw new Error('boom');
      return reportFailures((b) => b === 'm0')(event);
    });

    // Act
    const source = startConsumer(queue, fn, false);
    await waitFor(() => source.idle && fn.deliveries.length > 0, 'the source to settle');

    // Assess
    expect(fn.deliveries.map((d) => d.map((m) => m.body))).toEqual([
      ['m0', 'm1'],
      ['m0', 'm1'],
    ]);
    expect(source.stats).toMatchObject({ functionErrors: 1, messagesDeleted: 2 });
  });
});
