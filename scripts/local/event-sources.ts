/**
 * The Lambda event-source mapping, reproduced for the local runtime from the synthesized
 * AWS::Lambda::EventSourceMapping properties:
 * - Kinesis: per shard, in order; BatchSize; ReportBatchItemFailures (the lowest reported sequence number is
 *   the checkpoint: everything before it is committed, everything from it on is retried); an empty, null or
 *   unknown itemIdentifier fails the whole batch; BisectBatchOnFunctionError (a function error splits the
 *   batch in halves; a partial response splits it at the returned sequence number); MaximumRetryAttempts
 *   and MaximumRecordAgeInSeconds; the OnFailure destination receives Lambda's own record format
 *   (requestContext, responseContext, KinesisBatchInfo) and the records are skipped.
 * - SQS: an in-process queue (there is no SQS emulator here) with visibility delay, ReportBatchItemFailures,
 *   and the queue's redrive policy (maxReceiveCount, then its dead-letter queue).
 * Each half of a split batch carries the retry count of the batch it came from plus one. AWS documents no
 * exemption for split batches, and this bound is what keeps a poison record from being retried forever.
 * A failed GetRecords (throttling, an expired iterator) is retried after a pause from the last record read,
 * as the real poller does; it never stops the shard.
 */
import { randomUUID } from 'node:crypto';
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { FunctionError } from './functions.ts';

/**
 * What an event-source mapping invokes: a LocalFunction, or any object of the same shape (tests script one).
 * A rejection is a function error; anything else is the function's response.
 */
export interface Invocable {
  readonly spec: { readonly name: string };
  invoke(event: unknown): Promise<unknown>;
}

export interface KinesisMappingSpec {
  readonly streamName: string;
  readonly streamArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly reportBatchItemFailures: boolean;
  readonly bisectOnError: boolean;
  /** -1 = retry until the record expires. */
  readonly maxRetryAttempts: number;
  /** -1 = no limit. */
  readonly maxRecordAgeSeconds: number;
  readonly onFailure?: LocalQueue;
}

export interface MappingStats {
  invocations: number;
  /** GetRecords/GetShardIterator calls that failed and were retried. */
  readErrors: number;
  functionErrors: number;
  partialFailures: number;
  recordsDelivered: number;
  recordsSentToDestination: number;
  batchesSentToDestination: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads a partial batch response into the indexes of the failed items (-1 for an identifier that is empty,
 * null, not a string or not in the batch). A response Lambda cannot read as one (batchItemFailures not an
 * array, an entry that is not an object) fails the whole batch, so it yields [-1].
 */
function failedIndexes(response: unknown, indexOf: (id: string) => number): number[] {
  if (response === null || response === undefined || typeof response !== 'object') return [];
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return [];
  if (!Array.isArray(failures)) return [-1];
  return failures.map((f: unknown) => {
    const id = f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    return typeof id === 'string' && id !== '' ? indexOf(id) : -1;
  });
}

function retryDelay(attempt: number): number {
  return Math.min(2_000, 50 * 2 ** attempt);
}

export class KinesisEventSource {
  readonly stats: MappingStats = {
    invocations: 0,
    readErrors: 0,
    functionErrors: 0,
    partialFailures: 0,
    recordsDelivered: 0,
    recordsSentToDestination: 0,
    batchesSentToDestination: 0,
  };
  private running = false;
  private loops: Promise<void>[] = [];
  /** The last stream read error, for diagnostics (waitForIdle's message). */
  lastReadError: string | undefined;
  private readonly idleShards = new Set<string>();
  private shardCount = 0;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly fn: Invocable,
    private readonly spec: KinesisMappingSpec,
    private readonly pollIntervalMs = 100,
  ) {}

  async start(): Promise<void> {
    const { Shards = [] } = await this.kinesis.send(
      new ListShardsCommand({ StreamName: this.spec.streamName }),
    );
    this.running = true;
    this.shardCount = Shards.length;
    this.loops = Shards.map((s) => this.pollShard(s.ShardId!));
  }

  /** True when every shard is caught up and nothing is being processed. */
  get idle(): boolean {
    return this.idleShards.size === this.shardCount;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
  }

  private async pollShard(shardId: string): Promise<void> {
    // The last sequence number read from the shard: a new iterator resumes after it.
    let lastRead: string | undefined;
    const freshIterator = async () =>
      (
        await this.kinesis.send(
          new GetShardIteratorCommand({
            StreamName: this.spec.streamName,
            ShardId: shardId,
            ...(lastRead
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastRead }
              : { ShardIteratorType: this.spec.startingPosition }),
          }),
        )
      ).ShardIterator;
    let iterator: string | undefined;
    let buffer: _Record[] = [];
    let windowStart = 0;
    let readFailures = 0;
    while (this.running) {
      let caughtUp = false;
      if (buffer.length < this.spec.batchSize) {
        try {
          iterator ??= await freshIterator();
          if (!iterator) break; // the shard was closed (resharding) and fully read
          const res = await this.kinesis.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: this.spec.batchSize }),
          );
          iterator = res.NextShardIterator;
          const records = res.Records ?? [];
          buffer = buffer.concat(records);
          lastRead = records.at(-1)?.SequenceNumber ?? lastRead;
          caughtUp = records.length === 0;
          readFailures = 0;
        } catch (error) {
          this.stats.readErrors++;
          this.lastReadError = (error as Error).message;
          iterator = undefined;
          await sleep(retryDelay(readFailures++));
          continue;
        }
      }
      if (buffer.length === 0) {
        this.idleShards.add(shardId);
        await sleep(this.pollIntervalMs);
        continue;
      }
      this.idleShards.delete(shardId);
      // MaximumBatchingWindowInSeconds: wait for a full batch unless the window has passed.
      if (buffer.length < this.spec.batchSize && !caughtUp) continue;
      if (buffer.length < this.spec.batchSize && this.spec.batchingWindowSeconds > 0) {
        windowStart ||= Date.now();
        if (Date.now() - windowStart < this.spec.batchingWindowSeconds * 1000) {
          await sleep(Math.min(this.pollIntervalMs, this.spec.batchingWindowSeconds * 1000));
          continue;
        }
      }
      windowStart = 0;
      const batch = buffer.slice(0, this.spec.batchSize);
      buffer = buffer.slice(batch.length);
      await this.deliver(shardId, batch, 0);
    }
  }

  private toEvent(shardId: string, records: readonly _Record[]) {
    return {
      Records: records.map((r) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey,
          sequenceNumber: r.SequenceNumber,
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
        awsRegion: 'us-east-1',
        eventSourceARN: this.spec.streamArn,
      })),
    };
  }

  /** Delivers one batch until it settles: committed, or handed to the on-failure destination. */
  private async deliver(shardId: string, initial: _Record[], initialRetries: number): Promise<void> {
    const queue: { records: _Record[]; retries: number }[] = [{ records: initial, retries: initialRetries }];
    // Stopping abandons the batch (uncommitted, as a disabled mapping would): an always-failing function
    // with unlimited retries would otherwise keep stop() waiting forever.
    while (queue.length > 0 && this.running) {
      const { records, retries } = queue.shift()!;
      if (records.length === 0) continue;
      const oldest = records[0]!.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
      if (this.spec.maxRecordAgeSeconds >= 0 && Date.now() - oldest > this.spec.maxRecordAgeSeconds * 1000) {
        await this.toDestination(shardId, records, 'RecordAgeExceeded', retries + 1, undefined);
        continue;
      }
      this.stats.invocations++;
      this.stats.recordsDelivered += records.length;
      let failedFrom: number | undefined;
      let functionError: FunctionError | undefined;
      try {
        const response = await this.fn.invoke(this.toEvent(shardId, records));
        if (this.spec.reportBatchItemFailures) {
          const failed = failedIndexes(response, (id) => records.findIndex((r) => r.SequenceNumber === id));
          if (failed.length > 0) {
            this.stats.partialFailures++;
            // An empty, null or unknown identifier makes the whole batch a failure (as Lambda does).
            failedFrom = failed.includes(-1) ? 0 : Math.min(...failed);
          }
        }
      } catch (error) {
        this.stats.functionErrors++;
        functionError =
          error instanceof FunctionError
            ? error
            : new FunctionError(this.fn.spec.name, 'Unhandled', String((error as Error)?.message ?? error));
        failedFrom = 0;
      }
      if (failedFrom === undefined) continue; // committed
      const remaining = records.slice(failedFrom);
      if (this.spec.maxRetryAttempts >= 0 && retries >= this.spec.maxRetryAttempts) {
        await this.toDestination(shardId, remaining, 'RetryAttemptsExhausted', retries + 1, functionError);
        continue;
      }
      await sleep(retryDelay(retries));
      if (functionError && this.spec.bisectOnError && remaining.length > 1) {
        const half = Math.ceil(remaining.length / 2);
        queue.unshift(
          { records: remaining.slice(0, half), retries: retries + 1 },
          { records: remaining.slice(half), retries: retries + 1 },
        );
      } else {
        queue.unshift({ records: remaining, retries: retries + 1 });
      }
    }
  }

  private async toDestination(
    shardId: string,
    records: readonly _Record[],
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
    invokeCount: number,
    functionError: FunctionError | undefined,
  ): Promise<void> {
    this.stats.batchesSentToDestination++;
    this.stats.recordsSentToDestination += records.length;
    if (!this.spec.onFailure) return; // Lambda skips the records when no destination is configured.
    const first = records[0]!;
    const last = records[records.length - 1]!;
    this.spec.onFailure.send(
      JSON.stringify({
        requestContext: {
          requestId: randomUUID(),
          functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${this.fn.spec.name}`,
          condition,
          approximateInvokeCount: invokeCount,
        },
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(functionError
            ? { functionError: functionError.kind === 'Unhandled' ? 'Unhandled' : functionError.kind }
            : {}),
        },
        version: '1.0',
        timestamp: new Date().toISOString(),
        KinesisBatchInfo: {
          shardId,
          startSequenceNumber: first.SequenceNumber,
          endSequenceNumber: last.SequenceNumber,
          approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
          approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
          batchSize: records.length,
          streamArn: this.spec.streamArn,
        },
      }),
    );
  }
}

interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
}

/** An in-process SQS queue: enough of SQS for the on-failure destination and its consumer. */
export class LocalQueue {
  private messages: QueuedMessage[] = [];
  private readonly listeners = new Set<() => void>();
  deadLetter?: { queue: LocalQueue; maxReceiveCount: number };

  constructor(
    readonly name: string,
    readonly arn: string,
    private readonly visibilityTimeoutSeconds = 30,
  ) {}

  send(body: string): void {
    this.messages.push({ messageId: randomUUID(), body, sentAt: Date.now(), receiveCount: 0, visibleAt: 0 });
    for (const l of this.listeners) l();
  }

  get depth(): number {
    return this.messages.length;
  }

  /** Bodies of every message, for inspection (tests, the local runtime's status line). */
  peek(): string[] {
    return this.messages.map((m) => m.body);
  }

  receive(max: number): QueuedMessage[] {
    const now = Date.now();
    const out: QueuedMessage[] = [];
    for (const m of this.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (this.deadLetter && m.receiveCount >= this.deadLetter.maxReceiveCount) continue;
      m.receiveCount++;
      m.visibleAt = now + this.visibilityTimeoutSeconds * 1000;
      out.push(m);
    }
    // Past maxReceiveCount a message moves to the queue's dead-letter queue, as SQS's redrive policy does.
    if (this.deadLetter) {
      const { queue, maxReceiveCount } = this.deadLetter;
      const dead = this.messages.filter((m) => m.receiveCount >= maxReceiveCount && m.visibleAt <= now);
      for (const m of dead) queue.send(m.body);
      this.messages = this.messages.filter((m) => !dead.includes(m));
    }
    return out;
  }

  delete(messageIds: readonly string[]): void {
    const ids = new Set(messageIds);
    this.messages = this.messages.filter((m) => !ids.has(m.messageId));
  }

  /** Makes messages visible again after a failed delivery (a short local stand-in for the visibility timeout). */
  release(messageIds: readonly string[], delayMs: number): void {
    const ids = new Set(messageIds);
    for (const m of this.messages) if (ids.has(m.messageId)) m.visibleAt = Date.now() + delayMs;
  }

  onMessage(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface SqsMappingSpec {
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
}

export class SqsEventSource {
  readonly stats = { invocations: 0, functionErrors: 0, messagesDeleted: 0, messagesFailed: 0 };
  private running = false;
  private loop: Promise<void> | undefined;
  private busy = false;

  constructor(
    private readonly queue: LocalQueue,
    private readonly fn: Invocable,
    private readonly spec: SqsMappingSpec,
    private readonly pollIntervalMs = 100,
    private readonly retryDelayMs = 200,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  get idle(): boolean {
    return !this.busy && this.queue.depth === 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const batch = this.queue.receive(this.spec.batchSize);
      if (batch.length === 0) {
        await sleep(this.pollIntervalMs);
        continue;
      }
      this.busy = true;
      this.stats.invocations++;
      const event = {
        Records: batch.map((m) => ({
          messageId: m.messageId,
          receiptHandle: m.messageId,
          body: m.body,
          attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: this.queue.arn,
          awsRegion: 'us-east-1',
        })),
      };
      const ids = batch.map((m) => m.messageId);
      let failed: string[] = [];
      try {
        const res = await this.fn.invoke(event);
        if (this.spec.reportBatchItemFailures) {
          const indexes = failedIndexes(res, (id) => ids.indexOf(id));
          // As for streams, an empty, null or unknown identifier fails the whole batch.
          failed = indexes.includes(-1) ? ids : [...new Set(indexes.map((i) => ids[i]!))];
        }
      } catch {
        this.stats.functionErrors++;
        failed = batch.map((m) => m.messageId);
      }
      const ok = ids.filter((id) => !failed.includes(id));
      this.queue.delete(ok);
      this.queue.release(failed, this.retryDelayMs);
      this.stats.messagesDeleted += ok.length;
      this.stats.messagesFailed += failed.length;
      this.busy = false;
    }
  }
}
