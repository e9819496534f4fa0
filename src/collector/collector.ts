import {
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { CollectorError, EventGivenUpError, EventRefusedError } from './errors.ts';
import {
  DEFAULT_MAX_RECORD_BYTES,
  fitInRequest,
  MAX_BYTES_PER_REQUEST,
  MAX_RECORDS_PER_REQUEST,
  partitionKeyProblem,
  recordBytes,
} from './limits.ts';
import {
  backoffDelayMs,
  describeError,
  errorCode,
  isRetryableRecordError,
  isRetryableRequestError,
} from './retry.ts';

/** The least an ALL-USE event must be for the collector: a JSON object with a string id. */
export interface CollectorEvent {
  readonly id: string;
  readonly data?: unknown;
  readonly [field: string]: unknown;
}

/**
 * What the collector needs from a Kinesis client: a `KinesisClient` fits, and so does any test double.
 * The collector never builds a client itself (see {@link createKinesisClient}).
 */
export interface KinesisSender {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

/** Structured logger; Powertools Logger and `console` both fit. */
export interface CollectorLogger {
  debug?(message: string, ...details: Record<string, unknown>[]): void;
  warn(message: string, ...details: Record<string, unknown>[]): void;
  error(message: string, ...details: Record<string, unknown>[]): void;
}

/** An event Kinesis never accepted, as handed to `onDeadLetter`. */
export interface DeadLetter<E> {
  readonly event: E;
  /** Why it was given up, e.g. `given up after 8 attempts: ProvisionedThroughputExceededException: ...`. */
  readonly reason: string;
  readonly attempts: number;
  /** Kinesis error code of the last failure, when there was one. */
  readonly errorCode?: string;
}

/** Where Kinesis stored an event. */
export interface PutResult {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** PutRecords attempts it took (1 when the first one succeeded). */
  readonly attempts: number;
}

/** Outcome of {@link EventCollector.putMany}: every input event is in exactly one of the two lists. */
export interface PutManyResult<E> {
  /** In input order. */
  readonly accepted: readonly { readonly event: E; readonly result: PutResult }[];
  /** In input order: refused at put time ({@link EventRefusedError}) or given up ({@link EventGivenUpError}). */
  readonly failed: readonly { readonly event: E; readonly error: CollectorError }[];
}

/** Counters since construction, plus the current buffer and in-flight sizes. */
export interface CollectorStats {
  /** Events Kinesis accepted. */
  readonly accepted: number;
  /** Entry attempts that failed (an entry failing three times counts three). */
  readonly failedAttempts: number;
  /** Entry re-sends (an entry sent three times counts two). */
  readonly retried: number;
  /** Events given up after sending (rejected and handed to onDeadLetter). */
  readonly givenUp: number;
  /** Events refused at put time (invalid, oversize, closed), never buffered. */
  readonly refused: number;
  /** PutRecords calls made. */
  readonly requests: number;
  /** Events waiting in the buffer to be sent. */
  readonly buffered: number;
  /** Record bytes (data plus partition keys) in the buffer. */
  readonly bufferedBytes: number;
  /** Events in PutRecords requests that have not settled yet, including those waiting for a retry. */
  readonly inFlight: number;
  /** PutRecords requests (with their retries) in progress. */
  readonly inFlightRequests: number;
  /** `put` calls waiting for buffer space. */
  readonly waiting: number;
}

export interface EventCollectorOptions<E extends { readonly id: string } = CollectorEvent> {
  /** A KinesisClient (see {@link createKinesisClient}) or any object with `send(PutRecordsCommand)`. */
  readonly client: KinesisSender;
  /** Target stream; give `streamName` or `streamArn` (or both, when they agree). */
  readonly streamName?: string;
  readonly streamArn?: string;
  /**
   * Partition key of an event. Events with the same key go to the same shard, in order.
   * @default `data.component`, else `data.symbol`, else the event id
   */
  readonly partitionKey?: (event: E) => string;
  /** Returns an error message to refuse an event at `put` time, or undefined to accept it. */
  readonly validate?: (event: E) => string | undefined;
  /** @default 10_000 */
  readonly maxBufferedEvents?: number;
  /** Record bytes (data plus partition keys). @default 16 MiB */
  readonly maxBufferedBytes?: number;
  /** How long a partial batch may wait for more events before it is sent. @default 200 */
  readonly flushIntervalMs?: number;
  /** PutRecords attempts per event before it is given up. @default 8 */
  readonly maxAttempts?: number;
  /** Backoff ceiling after the first failure; it doubles per attempt. @default 100 */
  readonly backoffBaseMs?: number;
  /** Largest backoff ceiling. @default 5_000 */
  readonly backoffCapMs?: number;
  /** PutRecords requests (each with its retries) in progress at once. @default 4 */
  readonly maxInFlightRequests?: number;
  /** Largest record (data plus partition key); raise only for a stream with a larger MaxRecordSizeInKiB. @default 1 MiB */
  readonly maxRecordBytes?: number;
  /** Receives the events Kinesis never accepted (their `put` promises reject too). */
  readonly onDeadLetter?: (failures: readonly DeadLetter<E>[]) => void | Promise<void>;
  /** @default console (warnings and errors only) */
  readonly logger?: CollectorLogger;
  /** Uniform [0, 1) source for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Waits between attempts. @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Entry<E> {
  readonly event: E;
  readonly id: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly bytes: number;
  attempts: number;
  settled: boolean;
  resolve: (result: PutResult) => void;
  reject: (error: EventGivenUpError) => void;
  /** Resolves once the entry is accepted or given up; never rejects, so flush() can wait on it. */
  readonly done: Promise<void>;
  readonly markDone: () => void;
}

interface Failure<E> {
  readonly entry: Entry<E>;
  readonly reason: string;
  readonly code: string | undefined;
  readonly retryable: boolean;
}

interface GiveUp<E> {
  readonly entry: Entry<E>;
  /** Final wording, e.g. `given up after 8 attempts: InternalFailure: ...` or `not retryable: ...`. */
  readonly reason: string;
  readonly code: string | undefined;
}

const MIB = 1024 * 1024;
const noop = (): void => {};
const defaultLogger: CollectorLogger = {
  warn: (message, ...details) => console.warn(message, ...details),
  error: (message, ...details) => console.error(message, ...details),
};
const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Batches ALL-USE events into Kinesis PutRecords calls, within the service limits, retrying failed entries with
 * exponential backoff and full jitter. Every event ends either accepted (its `put` resolves with the shard and
 * sequence number) or given up (its `put` rejects and `onDeadLetter` receives it); none is dropped silently.
 * Delivery is at least once: a request that fails on the wire may have been stored, and is sent again, so
 * consumers deduplicate by event id. Events of one partition key reach one shard; their order there is best
 * effort (concurrent requests and retries can swap neighbours), so consumers order a series by event time.
 *
 * @example
 * const collector = new EventCollector({ client: createKinesisClient(), streamName: 'all-use-events-dev' });
 * collector.installShutdownHooks();
 * const { shardId } = await collector.put({ id: 'evt-1', type: 'system.metric', time: Date.now(), data: {...} });
 */
export class EventCollector<E extends { readonly id: string } = CollectorEvent> {
  readonly #client: KinesisSender;
  readonly #target: { StreamName?: string; StreamARN?: string };
  readonly #partitionKey: (event: E) => string;
  readonly #validate: ((event: E) => string | undefined) | undefined;
  readonly #maxBufferedEvents: number;
  readonly #maxBufferedBytes: number;
  readonly #flushIntervalMs: number;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #backoffCapMs: number;
  readonly #maxInFlightRequests: number;
  readonly #maxRecordBytes: number;
  readonly #onDeadLetter: EventCollectorOptions<E>['onDeadLetter'];
  readonly #logger: CollectorLogger;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  readonly #buffer: Entry<E>[] = [];
  #bufferedBytes = 0;
  /** Puts waiting for buffer space, first come first served. */
  readonly #waiters: { entry: Entry<E>; admitted: () => void }[] = [];
  /** Every entry from its put until it settles: what flush() waits for. */
  readonly #unsettled = new Set<Entry<E>>();
  #inFlightRequests = 0;
  #inFlightEntries = 0;
  #flushDemand = 0;
  #lingerElapsed = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #pumping = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #uninstallHooks: (() => void) | undefined;
  readonly #counters = { accepted: 0, failedAttempts: 0, retried: 0, givenUp: 0, refused: 0, requests: 0 };

  constructor(options: EventCollectorOptions<E>) {
    if (typeof options?.client?.send !== 'function') {
      throw new CollectorError(
        'EventCollector option client: must be a KinesisClient or an object with send()',
      );
    }
    if (!options.streamName && !options.streamArn) {
      throw new CollectorError('EventCollector option streamName or streamArn: one of them is required');
    }
    this.#client = options.client;
    this.#target = {
      ...(options.streamName ? { StreamName: options.streamName } : {}),
      ...(options.streamArn ? { StreamARN: options.streamArn } : {}),
    };
    this.#partitionKey = options.partitionKey ?? defaultPartitionKey;
    this.#validate = options.validate;
    this.#maxBufferedEvents = integerOption('maxBufferedEvents', options.maxBufferedEvents, 10_000, 1);
    this.#maxBufferedBytes = integerOption('maxBufferedBytes', options.maxBufferedBytes, 16 * MIB, 1);
    this.#flushIntervalMs = integerOption('flushIntervalMs', options.flushIntervalMs, 200, 0);
    this.#maxAttempts = integerOption('maxAttempts', options.maxAttempts, 8, 1);
    this.#backoffBaseMs = integerOption('backoffBaseMs', options.backoffBaseMs, 100, 0);
    this.#backoffCapMs = integerOption('backoffCapMs', options.backoffCapMs, 5_000, this.#backoffBaseMs);
    this.#maxInFlightRequests = integerOption('maxInFlightRequests', options.maxInFlightRequests, 4, 1);
    this.#maxRecordBytes = integerOption(
      'maxRecordBytes',
      options.maxRecordBytes,
      DEFAULT_MAX_RECORD_BYTES,
      1,
    );
    if (this.#maxRecordBytes > MAX_BYTES_PER_REQUEST) {
      throw new CollectorError(
        `EventCollector option maxRecordBytes: must be at most ${MAX_BYTES_PER_REQUEST} (10 MiB), got ${this.#maxRecordBytes}`,
      );
    }
    this.#onDeadLetter = options.onDeadLetter;
    this.#logger = options.logger ?? defaultLogger;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Sends one event. Resolves when Kinesis has accepted it; rejects with {@link EventRefusedError} when it is
   * refused up front (invalid, oversize, collector closed) or {@link EventGivenUpError} when Kinesis never
   * accepted it. Waits for buffer space when the buffer is full.
   */
  put(event: E): Promise<PutResult> {
    try {
      return this.#submit(this.#prepare(event)).result;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Buffers one event unless the buffer is full, without waiting. Returns false when full (nothing buffered).
   * Throws {@link EventRefusedError} for an event `put` would refuse. A buffered event Kinesis never accepts goes
   * to `onDeadLetter` (and the logger), since there is no promise to reject.
   */
  tryPut(event: E): boolean {
    const entry = this.#prepare(event);
    if (this.#waiters.length > 0 || !this.#hasSpace(entry.bytes)) return false;
    // Its failure is reported to onDeadLetter and the logger; there is no caller promise to reject.
    this.#submit(entry).result.catch(noop);
    return true;
  }

  /**
   * Sends events in order, waiting for buffer space as needed, and resolves once every one is settled; the last
   * partial batch goes out at once rather than after `flushIntervalMs`. Never rejects: refusals and give-ups are
   * listed in `failed`.
   */
  async putMany(events: Iterable<E>): Promise<PutManyResult<E>> {
    const outcomes: Promise<
      { ok: true; event: E; result: PutResult } | { ok: false; event: E; error: CollectorError }
    >[] = [];
    for (const event of events) {
      let submitted: { result: Promise<PutResult>; admitted: Promise<void> | undefined };
      try {
        submitted = this.#submit(this.#prepare(event));
      } catch (error) {
        outcomes.push(Promise.resolve({ ok: false, event, error: asCollectorError(error) }));
        continue;
      }
      // Handlers attached now, so a rejection while later events wait for space is never "unhandled".
      outcomes.push(
        submitted.result.then(
          (result) => ({ ok: true, event, result }) as const,
          (error: unknown) => ({ ok: false, event, error: asCollectorError(error) }) as const,
        ),
      );
      if (submitted.admitted) await submitted.admitted;
    }
    // The caller waits for every outcome anyway: send the last partial batch now, not after flushIntervalMs.
    this.#flushDemand += 1;
    let settled: Awaited<(typeof outcomes)[number]>[];
    try {
      this.#pump();
      settled = await Promise.all(outcomes);
    } finally {
      this.#flushDemand -= 1;
    }
    const accepted: { event: E; result: PutResult }[] = [];
    const failed: { event: E; error: CollectorError }[] = [];
    for (const outcome of settled) {
      if (outcome.ok) accepted.push({ event: outcome.event, result: outcome.result });
      else failed.push({ event: outcome.event, error: outcome.error });
    }
    return { accepted, failed };
  }

  /**
   * Sends everything buffered now, without waiting for full batches, and resolves when every event put before
   * the call is settled (accepted or given up). Never rejects.
   */
  async flush(): Promise<void> {
    const pending = [...this.#unsettled].map((entry) => entry.done);
    if (pending.length === 0) return;
    this.#flushDemand += 1;
    try {
      this.#pump();
      await Promise.all(pending);
    } finally {
      this.#flushDemand -= 1;
    }
  }

  /**
   * Stops accepting events (later puts reject with {@link EventRefusedError}), flushes, clears timers and
   * removes shutdown hooks. Idempotent; never rejects.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = this.flush().then(() => {
        this.#clearLingerTimer();
        this.#uninstallHooks?.();
      });
    }
    return this.#closing;
  }

  /**
   * Opt-in: closes (and so flushes) the collector on SIGTERM and SIGINT, and flushes on `beforeExit`.
   * After a signal has been handled and no other listener remains, the signal is raised again so the process
   * ends as it would have without the hook. Returns a function that removes the hooks.
   */
  installShutdownHooks(): () => void {
    if (this.#uninstallHooks) return this.#uninstallHooks;
    const onSignal = (signal: NodeJS.Signals): void => {
      void this.close().then(() => {
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    const onBeforeExit = (): void => {
      // beforeExit fires again after the flush's work drains; only flush when something is left.
      if (this.#unsettled.size > 0) void this.flush();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('beforeExit', onBeforeExit);
    const uninstall = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('beforeExit', onBeforeExit);
      this.#uninstallHooks = undefined;
    };
    this.#uninstallHooks = uninstall;
    return uninstall;
  }

  /** Counters since construction, and the current buffer and in-flight sizes. */
  stats(): CollectorStats {
    return {
      ...this.#counters,
      buffered: this.#buffer.length,
      bufferedBytes: this.#bufferedBytes,
      inFlight: this.#inFlightEntries,
      inFlightRequests: this.#inFlightRequests,
      waiting: this.#waiters.length,
    };
  }

  /** Checks and serialises an event into an entry, or throws EventRefusedError. */
  #prepare(event: E): Entry<E> {
    const refuse = (message: string, id?: string, cause?: unknown): never => {
      this.#counters.refused += 1;
      throw new EventRefusedError(message, id, cause === undefined ? undefined : { cause });
    };
    const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || id.length === 0) {
      return refuse(
        'event.id: must be a non-empty string (the collector sends JSON objects with a string id)',
      );
    }
    if (this.#closed) {
      return refuse(`EventCollector is closed: event ${id} was not sent (put after close())`, id);
    }
    if (this.#validate) {
      let problem: string | undefined;
      try {
        problem = this.#validate(event);
      } catch (error) {
        return refuse(`event ${id} refused: validate threw ${describeError(error)}`, id, error);
      }
      if (problem !== undefined) return refuse(`event ${id} refused by validate: ${problem}`, id);
    }
    let partitionKey: string;
    try {
      partitionKey = this.#partitionKey(event);
    } catch (error) {
      return refuse(`event ${id} refused: partitionKey threw ${describeError(error)}`, id, error);
    }
    const keyProblem = partitionKeyProblem(partitionKey);
    if (keyProblem) return refuse(`event ${id} refused: ${keyProblem}`, id);
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch (error) {
      return refuse(`event ${id} refused: not serialisable as JSON (${describeError(error)})`, id, error);
    }
    const data = Buffer.from(json, 'utf8');
    const bytes = recordBytes(data, partitionKey);
    if (bytes > this.#maxRecordBytes) {
      return refuse(
        `event ${id} refused: it is ${bytes} bytes as a Kinesis record (JSON data plus partition key), ` +
          `the record limit is ${this.#maxRecordBytes} bytes`,
        id,
      );
    }
    let markDone = noop;
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    return {
      event,
      id,
      partitionKey,
      data,
      bytes,
      attempts: 0,
      settled: false,
      resolve: noop,
      reject: noop,
      done,
      markDone,
    };
  }

  /** Puts an entry in the buffer, or in the queue of waiters when the buffer is full. */
  #submit(entry: Entry<E>): { result: Promise<PutResult>; admitted: Promise<void> | undefined } {
    const result = new Promise<PutResult>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    this.#unsettled.add(entry);
    let admitted: Promise<void> | undefined;
    if (this.#waiters.length === 0 && this.#hasSpace(entry.bytes)) {
      this.#enterBuffer(entry);
    } else {
      admitted = new Promise<void>((resolve) => {
        this.#waiters.push({ entry, admitted: resolve });
      });
    }
    this.#pump();
    return { result, admitted };
  }

  #hasSpace(bytes: number): boolean {
    // An empty buffer takes any record, so a maxBufferedBytes below one record's size cannot deadlock.
    if (this.#buffer.length === 0) return true;
    return (
      this.#buffer.length < this.#maxBufferedEvents && this.#bufferedBytes + bytes <= this.#maxBufferedBytes
    );
  }

  #enterBuffer(entry: Entry<E>): void {
    this.#buffer.push(entry);
    this.#bufferedBytes += entry.bytes;
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0]!;
      if (!this.#hasSpace(next.entry.bytes)) return;
      this.#waiters.shift();
      this.#enterBuffer(next.entry);
      next.admitted();
    }
  }

  /** A partial batch goes out when someone waits for it; otherwise only full batches do, for throughput. */
  #mustSendPartial(): boolean {
    return this.#flushDemand > 0 || this.#closed || this.#lingerElapsed || this.#waiters.length > 0;
  }

  /** Starts as many requests as the in-flight limit allows and the buffer justifies. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      this.#admitWaiters();
      while (this.#inFlightRequests < this.#maxInFlightRequests && this.#buffer.length > 0) {
        // Cheap test first: pump runs on every put, and a small buffer cannot make a full batch.
        const couldBeFull =
          this.#buffer.length >= MAX_RECORDS_PER_REQUEST || this.#bufferedBytes > MAX_BYTES_PER_REQUEST;
        if (!couldBeFull && !this.#mustSendPartial()) break;
        const count = fitInRequest(this.#buffer, (entry) => entry.bytes);
        const full = count === MAX_RECORDS_PER_REQUEST || count < this.#buffer.length;
        if (!full && !this.#mustSendPartial()) break;
        const batch = this.#buffer.splice(0, count);
        for (const entry of batch) this.#bufferedBytes -= entry.bytes;
        this.#inFlightRequests += 1;
        this.#inFlightEntries += batch.length;
        void this.#send(batch);
        this.#admitWaiters();
      }
      this.#updateLingerTimer();
    } finally {
      this.#pumping = false;
    }
  }

  #updateLingerTimer(): void {
    if (this.#buffer.length === 0) {
      this.#lingerElapsed = false;
      this.#clearLingerTimer();
      return;
    }
    if (this.#lingerElapsed || this.#lingerTimer) return;
    // Not unref'd: a process must not exit while events sit in the buffer unsent.
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#lingerElapsed = true;
      this.#pump();
    }, this.#flushIntervalMs);
  }

  #clearLingerTimer(): void {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }

  /**
   * One request slot: sends the batch, then re-sends only the retryable failures, in their order, after a
   * backoff, until none is left. Holding the slot during the backoff slows the producer down when Kinesis
   * throttles, instead of adding load.
   */
  async #send(batch: Entry<E>[]): Promise<void> {
    let pending = batch;
    try {
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        pending = await this.#attempt(pending);
        if (pending.length > 0) {
          await this.#sleep(backoffDelayMs(attempt, this.#backoffBaseMs, this.#backoffCapMs, this.#random));
        }
      }
    } catch (error) {
      // A throwing sleep or logger must not strand entries: give up what is left, loudly.
      const reason = `collector failure: ${describeError(error)}`;
      await this.#giveUp(
        pending.filter((entry) => !entry.settled).map((entry) => ({ entry, reason, code: undefined })),
      );
    } finally {
      this.#inFlightRequests -= 1;
      this.#pump();
    }
  }

  /** One PutRecords call for `pending`; returns the entries to retry. */
  async #attempt(pending: Entry<E>[]): Promise<Entry<E>[]> {
    for (const entry of pending) entry.attempts += 1;
    if (pending[0]!.attempts > 1) this.#counters.retried += pending.length;
    const records: PutRecordsRequestEntry[] = pending.map((entry) => ({
      Data: entry.data,
      PartitionKey: entry.partitionKey,
    }));
    this.#counters.requests += 1;
    let output: PutRecordsCommandOutput;
    try {
      output = await this.#client.send(new PutRecordsCommand({ ...this.#target, Records: records }));
    } catch (error) {
      const reason = describeError(error);
      const code = errorCode(error);
      const retryable = isRetryableRequestError(error);
      this.#logger.warn('EventCollector: PutRecords request failed', {
        reason,
        retryable,
        records: pending.length,
        attempt: pending[0]!.attempts,
      });
      return this.#settleFailures(pending.map((entry) => ({ entry, reason, code, retryable })));
    }
    const results = output.Records ?? [];
    const failures: Failure<E>[] = [];
    pending.forEach((entry, index) => {
      const result = results[index];
      if (result?.ErrorCode) {
        failures.push({
          entry,
          reason: `${result.ErrorCode}: ${result.ErrorMessage ?? 'no message'}`,
          code: result.ErrorCode,
          retryable: isRetryableRecordError(result.ErrorCode),
        });
      } else if (result?.ShardId && result.SequenceNumber) {
        this.#accept(entry, result.ShardId, result.SequenceNumber);
      } else {
        const reason = `PutRecords response has no result for record ${index} of ${pending.length}`;
        failures.push({ entry, reason, code: undefined, retryable: true });
      }
    });
    if (failures.length > 0) {
      this.#logger.debug?.('EventCollector: PutRecords partial failure', {
        failed: failures.length,
        records: pending.length,
        firstReason: failures[0]!.reason,
      });
    }
    return this.#settleFailures(failures);
  }

  /** Gives up the permanent and exhausted failures; returns the rest, in order, for another attempt. */
  async #settleFailures(failures: Failure<E>[]): Promise<Entry<E>[]> {
    this.#counters.failedAttempts += failures.length;
    const retry: Entry<E>[] = [];
    const giveUp: GiveUp<E>[] = [];
    for (const { entry, reason, code, retryable } of failures) {
      if (!retryable) giveUp.push({ entry, reason: `not retryable: ${reason}`, code });
      else if (entry.attempts >= this.#maxAttempts) {
        giveUp.push({ entry, reason: `given up after ${entry.attempts} attempts: ${reason}`, code });
      } else retry.push(entry);
    }
    await this.#giveUp(giveUp);
    return retry;
  }

  #accept(entry: Entry<E>, shardId: string, sequenceNumber: string): void {
    if (entry.settled) return;
    entry.settled = true;
    this.#counters.accepted += 1;
    this.#inFlightEntries -= 1;
    this.#unsettled.delete(entry);
    entry.resolve({ shardId, sequenceNumber, attempts: entry.attempts });
    entry.markDone();
  }

  /** Hands failures to onDeadLetter, then rejects their puts; an entry counts as settled only after both. */
  async #giveUp(failures: GiveUp<E>[]): Promise<void> {
    if (failures.length === 0) return;
    const letters = failures.map(({ entry, reason, code }) => ({
      entry,
      letter: {
        event: entry.event,
        reason,
        attempts: entry.attempts,
        ...(code ? { errorCode: code } : {}),
      } satisfies DeadLetter<E>,
    }));
    this.#logger.error('EventCollector: events given up', {
      count: letters.length,
      ids: letters.slice(0, 10).map(({ entry }) => entry.id),
      reason: letters[0]!.letter.reason,
      deadLetter: this.#onDeadLetter ? 'onDeadLetter' : 'none configured',
    });
    if (this.#onDeadLetter) {
      try {
        await this.#onDeadLetter(letters.map(({ letter }) => letter));
      } catch (error) {
        this.#logger.error(
          'EventCollector: onDeadLetter threw; the events are still rejected to their callers',
          {
            error: describeError(error),
            ids: letters.slice(0, 10).map(({ entry }) => entry.id),
          },
        );
      }
    }
    for (const { entry, letter } of letters) {
      if (entry.settled) continue;
      entry.settled = true;
      this.#counters.givenUp += 1;
      this.#inFlightEntries -= 1;
      this.#unsettled.delete(entry);
      entry.reject(
        new EventGivenUpError(
          `event ${entry.id} was not accepted by Kinesis, ${letter.reason}`,
          entry.id,
          entry.attempts,
          letter.reason,
          letter.errorCode,
        ),
      );
      entry.markDone();
    }
  }
}

/**
 * Default partition key: the series an event belongs to (`data.component` or `data.symbol`), so one series stays
 * ordered on one shard; the event id otherwise, which spreads unrelated events evenly.
 */
export function defaultPartitionKey(event: { readonly id: string; readonly data?: unknown }): string {
  const data = event.data;
  if (typeof data === 'object' && data !== null) {
    const { component, symbol } = data as { component?: unknown; symbol?: unknown };
    if (typeof component === 'string' && component.length > 0) return component;
    if (typeof symbol === 'string' && symbol.length > 0) return symbol;
  }
  return event.id;
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new CollectorError(`EventCollector option ${name}: must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function asCollectorError(error: unknown): CollectorError {
  if (error instanceof CollectorError) return error;
  return new CollectorError(describeError(error), undefined, { cause: error });
}
