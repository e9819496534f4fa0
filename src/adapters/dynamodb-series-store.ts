/**
 * DynamoDbSeriesStore: the serverless time-series store for accounts without Timestream.
 *
 * Design (why it looks like this)
 * - Cost must follow series x time buckets, not points. Points are therefore packed: 20 bytes each
 *   (8-byte hash of the event id, 4-byte offset in the bucket, 8-byte float64 value) in a binary attribute.
 * - Items are append-only "chunks": pk `S#<seriesKey>`, sk `B#<bucket start, 15 digits>#<chunk, 6 digits>`.
 *   Each write of a (series, bucket) group adds one chunk holding only the group's new points, with
 *   `attribute_not_exists(pk)`. The brief suggested one item per bucket rewritten with a version check;
 *   that is rejected here because DynamoDB bills a write by the size of the whole item: rewriting a growing
 *   one-minute bucket every second costs about (bucket size / 2) per write, i.e. it grows with points again
 *   (at 100 points/s per series, ~60 KB average => ~60 WCU per series per second). A chunk costs only its
 *   own bytes.
 * - Exact dedup by event id without reading on every write: chunks of a bucket are dense (chunk k is only
 *   ever written by a writer that has seen chunks 0..k-1), so a conditional put of chunk k that succeeds
 *   proves the writer had seen every earlier chunk when it filtered out the duplicates. Each container keeps
 *   the ids and next chunk index of the buckets it has touched (bounded LRU). A warm write is one PutItem
 *   and no read; a lost race (ConditionalCheckFailed) or a cold bucket reads only the chunks it has not seen
 *   (consistent Query on the sk range), then retries. The point identity is a 64-bit hash of the event id
 *   within one series and bucket: two different ids collide with probability ~n^2/2^65 (1e-12 for the
 *   6,000 points of a busy minute), which we accept instead of storing 40-byte ids.
 * - Chunks never approach the 400 KB item limit: a group larger than `maxPointsPerChunk` (default 15,000
 *   points = 300 KB) is written as several consecutive chunks ("continuation items").
 * - A catalogue item per series (pk `C#<metric>`, sk = seriesKey) lets `query` find the series of a metric,
 *   or of one component with a `begins_with` on the escaped `<component>|` prefix. It is written once per
 *   series per container, before the series' first chunk, with an idempotent unconditional put.
 * - dynalite compatible: conditional puts and Query only (no transactions, TTL, Streams or PartiQL).
 *
 * Cost at 10k points/s over 100 series, 1-second batches, 1-minute buckets (measured on dynalite with
 * ReturnConsumedCapacity, 150 s run): 100 PutItem/s of ~2.06 KB (100 points x 20 B + keys) = 3 WCU each
 * = 300 WCU/s, against 10,000 WCU/s for an item per point; reads 1 small Query per series per new bucket
 * (~1.7 RCU/s) while the container cache is warm. Reading one minute of one series costs its bytes:
 * 120 KB = 15 RCU eventually consistent.
 *
 * Outcomes: invalid points (non-finite value, negative or fractional time) and points DynamoDB refuses
 * with a ValidationException (e.g. a series key over the key-size limit) are `rejected` with the reason;
 * throttling/5xx left after the SDK's retries raise a TransientStoreError naming the unsettled event ids.
 * Query reads are eventually consistent unless `consistentQueries` is set.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type {
  SeriesPoint,
  SeriesQuery,
  SeriesResult,
  SeriesWriteResult,
  TimeSeriesStore,
} from '../core/ports.ts';
import { TransientStoreError } from '../core/ports.ts';
import {
  assertValidSeriesQuery,
  bucketStart,
  componentKeyPrefix,
  parseSeriesKey,
  StepAggregator,
  seriesKey,
  unstorablePointReason,
} from '../core/series/index.ts';
import { mapSettled } from './concurrency.ts';
import { describeError, isConditionalCheckFailed, isTransientAwsError, isValidationError } from './errors.ts';
import { SERIES_TABLE } from './tables.ts';

export interface DynamoDbSeriesStoreProps {
  readonly client: DynamoDBClient;
  /** The Series table (keys per SERIES_TABLE in tables.ts). */
  readonly tableName: string;
  /** Storage bucket width in ms (epoch-aligned). @default 60_000 */
  readonly bucketMs?: number;
  /** Parallel DynamoDB requests per call. @default 16 */
  readonly concurrency?: number;
  /** Points per chunk item; 20 bytes each, keep well below 400 KB. @default 15_000 */
  readonly maxPointsPerChunk?: number;
  /**
   * Event-id hashes kept in memory across calls, least recently used buckets forgotten first (~60 bytes of
   * heap each, measured on Node 20). Size it to at least one bucket of every series a container writes
   * (e.g. 100 series x 100 points/s x 60 s = 600,000): below that, writes fall back to re-reading buckets.
   * @default 1_000_000
   */
  readonly maxCachedIds?: number;
  /** Attempts per group when other writers keep winning the race for the next chunk. @default 10 */
  readonly maxConflictRetries?: number;
  /**
   * Keep chunks this long after their bucket ends, through the table's TTL attribute (`expiresAt`); the raw
   * points stay in the S3 lake. Nothing depends on expiry (dynalite ignores TTL). @default no expiry
   */
  readonly retentionMs?: number;
  /** Strongly consistent reads for `query` (twice the read cost). @default false */
  readonly consistentQueries?: boolean;
}

const POINT_BYTES = 20;
const BUCKET_DIGITS = 15;
const CHUNK_DIGITS = 6;
const MAX_CHUNK_INDEX = 10 ** CHUNK_DIGITS - 1;
const SERIES_PREFIX = 'S#';
const CATALOGUE_PREFIX = 'C#';
const { partitionKey: PK, sortKey: SK } = SERIES_TABLE;

interface PreparedPoint {
  readonly point: SeriesPoint;
  readonly hash: string;
  readonly hashBytes: Buffer;
  readonly offset: number;
}

interface Group {
  readonly seriesKey: string;
  readonly bucket: number;
  readonly points: PreparedPoint[];
}

/** What this container knows of one (series, bucket): every id in chunks [0, nextChunk). */
interface BucketState {
  nextChunk: number;
  readonly ids: Set<string>;
}

interface GroupOutcome {
  readonly stored: number;
  readonly duplicates: string[];
}

/** Other writers kept taking the next chunk: worth retrying later, like throttling. */
class ChunkContentionError extends Error {
  override readonly name = 'ChunkContentionError';
}

class GroupFailure extends Error {
  constructor(
    readonly unsettled: readonly string[],
    readonly settled: GroupOutcome,
    options: { cause: unknown },
  ) {
    super('group write failed', options);
  }
}

function pad(value: number, digits: number): string {
  return value.toString().padStart(digits, '0');
}

function bucketSk(bucket: number): string {
  return `B#${pad(bucket, BUCKET_DIGITS)}`;
}

function chunkSk(bucket: number, chunk: number): string {
  return `${bucketSk(bucket)}#${pad(chunk, CHUNK_DIGITS)}`;
}

function parseChunkSk(sk: string): { bucket: number; chunk: number } {
  const [, bucket, chunk] = sk.split('#');
  return { bucket: Number(bucket), chunk: Number(chunk) };
}

function encodeChunk(points: readonly PreparedPoint[]): Uint8Array {
  const buffer = Buffer.allocUnsafe(points.length * POINT_BYTES);
  points.forEach((prepared, index) => {
    const at = index * POINT_BYTES;
    prepared.hashBytes.copy(buffer, at, 0, 8);
    buffer.writeUInt32BE(prepared.offset, at + 8);
    buffer.writeDoubleBE(prepared.point.value, at + 12);
  });
  return buffer;
}

function* decodeChunk(data: Uint8Array): Generator<{ hash: string; offset: number; value: number }> {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at + POINT_BYTES <= buffer.length; at += POINT_BYTES) {
    yield {
      hash: buffer.toString('hex', at, at + 8),
      offset: buffer.readUInt32BE(at + 8),
      value: buffer.readDoubleBE(at + 12),
    };
  }
}

/** Time-series store on one DynamoDB table (the Series table of tables.ts); see the file comment. */
export class DynamoDbSeriesStore implements TimeSeriesStore {
  private readonly bucketMs: number;
  private readonly concurrency: number;
  private readonly maxPointsPerChunk: number;
  private readonly maxCachedIds: number;
  private readonly maxConflictRetries: number;
  private readonly consistentQueries: boolean;
  private readonly retentionMs: number | undefined;
  /** LRU by insertion order: a touched bucket is deleted and re-inserted. */
  private readonly buckets = new Map<string, BucketState>();
  private cachedIds = 0;
  private readonly catalogued = new Map<string, Promise<void>>();
  private readonly locks = new Map<string, Promise<unknown>>();

  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;

  constructor(props: DynamoDbSeriesStoreProps) {
    this.dynamodb = props.client;
    this.tableName = props.tableName;
    this.bucketMs = props.bucketMs ?? 60_000;
    this.concurrency = props.concurrency ?? 16;
    this.maxPointsPerChunk = props.maxPointsPerChunk ?? 15_000;
    this.maxCachedIds = props.maxCachedIds ?? 1_000_000;
    this.maxConflictRetries = props.maxConflictRetries ?? 10;
    this.consistentQueries = props.consistentQueries ?? false;
    this.retentionMs = props.retentionMs;
    if (!Number.isSafeInteger(this.bucketMs) || this.bucketMs < 1 || this.bucketMs > 0xffffffff) {
      throw new RangeError('bucketMs: must be an integer between 1 and 2^32-1 ms (offsets are 32-bit)');
    }
    if (!Number.isSafeInteger(this.maxPointsPerChunk) || this.maxPointsPerChunk < 1) {
      throw new RangeError('maxPointsPerChunk: must be a positive integer');
    }
    if (this.maxPointsPerChunk * POINT_BYTES > 350_000) {
      throw new RangeError('maxPointsPerChunk: must keep a chunk below 350 KB (17,500 points)');
    }
  }

  async write(points: readonly SeriesPoint[]): Promise<SeriesWriteResult> {
    const rejected: { eventId: string; reason: string }[] = [];
    const groups = new Map<string, Group>();
    for (const point of points) {
      const problem = unstorablePointReason(point);
      if (problem !== undefined) {
        rejected.push({ eventId: point.eventId, reason: problem });
        continue;
      }
      const key = seriesKey(point);
      const bucket = bucketStart(point.time, this.bucketMs);
      const groupKey = `${key}\u0000${bucket}`;
      let group = groups.get(groupKey);
      if (group === undefined) {
        group = { seriesKey: key, bucket, points: [] };
        groups.set(groupKey, group);
      }
      const hashBytes = createHash('sha256').update(point.eventId).digest();
      group.points.push({
        point,
        hash: hashBytes.toString('hex', 0, 8),
        hashBytes,
        offset: point.time - bucket,
      });
    }

    const groupList = [...groups.values()];
    const settled = await mapSettled(groupList, this.concurrency, (group) =>
      this.withLock(`${group.seriesKey}\u0000${group.bucket}`, () => this.writeGroup(group)),
    );

    let stored = 0;
    const duplicates: string[] = [];
    const transientIds: string[] = [];
    let transientCause: unknown;
    let unexpected: unknown;
    settled.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        stored += result.value.stored;
        duplicates.push(...result.value.duplicates);
        return;
      }
      const failure = result.reason as GroupFailure;
      stored += failure.settled.stored;
      duplicates.push(...failure.settled.duplicates);
      if (isValidationError(failure.cause)) {
        const reason = `DynamoDB refused the series item: ${describeError(failure.cause)}`;
        for (const eventId of failure.unsettled) rejected.push({ eventId, reason });
      } else if (failure.cause instanceof ChunkContentionError || isTransientAwsError(failure.cause)) {
        transientIds.push(...failure.unsettled);
        transientCause ??= failure.cause;
      } else {
        unexpected ??= failure.cause ?? new Error(`series group ${groupList[index]?.seriesKey} failed`);
      }
    });
    if (unexpected !== undefined) throw unexpected;
    if (transientIds.length > 0) {
      // Rejections cannot travel with the error: name them as not completed so the retry reports them.
      transientIds.push(...rejected.map((r) => r.eventId));
      throw new TransientStoreError(
        `DynamoDB series write did not complete for ${transientIds.length} point(s): ${describeError(transientCause)}`,
        transientIds,
        { cause: transientCause },
      );
    }
    return { stored, duplicates, rejected };
  }

  async query(query: SeriesQuery): Promise<SeriesResult> {
    assertValidSeriesQuery(query);
    if (query.to === query.from) return { series: [] };
    try {
      const keys = await this.catalogue(query.metric, query.component);
      const firstSk = chunkSk(bucketStart(query.from, this.bucketMs), 0);
      const lastSk = chunkSk(bucketStart(query.to - 1, this.bucketMs), MAX_CHUNK_INDEX);
      const settled = await mapSettled(keys, this.concurrency, async (key) => {
        const aggregator = new StepAggregator(query);
        for await (const item of this.queryItems(
          `${SERIES_PREFIX}${key}`,
          firstSk,
          lastSk,
          this.consistentQueries,
        )) {
          const { bucket } = parseChunkSk(item[SK]?.S ?? '');
          const data = item.d?.B;
          if (data === undefined) continue;
          for (const { offset, value } of decodeChunk(data)) aggregator.add(bucket + offset, value);
        }
        return { key, aggregator };
      });
      const series: SeriesResult['series'][number][] = [];
      for (const result of settled) {
        if (result.status === 'rejected') throw result.reason;
        if (result.value.aggregator.isEmpty) continue;
        series.push({ ...parseSeriesKey(result.value.key), points: result.value.aggregator.result() });
      }
      return { series };
    } catch (error) {
      if (isTransientAwsError(error)) {
        throw new TransientStoreError(`DynamoDB series query failed: ${describeError(error)}`, undefined, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Series keys of a metric (and component), in key order. */
  private async catalogue(metric: string, component: string | undefined): Promise<string[]> {
    const keys: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression:
            component === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': { S: `${CATALOGUE_PREFIX}${metric}` },
            ...(component === undefined ? {} : { ':prefix': { S: componentKeyPrefix(component) } }),
          },
          ProjectionExpression: '#sk',
          ExclusiveStartKey: startKey,
          ConsistentRead: this.consistentQueries,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = item[SK]?.S;
        if (key !== undefined) keys.push(key);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return keys;
  }

  private async *queryItems(
    pk: string,
    fromSk: string,
    toSk: string,
    consistent: boolean,
  ): AsyncGenerator<Record<string, AttributeValue>> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: fromSk }, ':to': { S: toSk } },
          ExclusiveStartKey: startKey,
          ConsistentRead: consistent,
        }),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /** Writes the catalogue item of a series once per container; concurrent callers share the one put. */
  private ensureCatalogued(key: string, sample: SeriesPoint): Promise<void> {
    let pending = this.catalogued.get(key);
    if (pending === undefined) {
      pending = this.dynamodb
        .send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [PK]: { S: `${CATALOGUE_PREFIX}${sample.metric}` },
              [SK]: { S: key },
              component: { S: sample.component },
              metric: { S: sample.metric },
              dimensions: { S: JSON.stringify(sample.dimensions) },
              unit: { S: sample.unit },
            },
          }),
        )
        .then(() => undefined);
      pending.catch(() => this.catalogued.delete(key));
      this.catalogued.set(key, pending);
    }
    return pending;
  }

  private async writeGroup(group: Group): Promise<GroupOutcome> {
    const pk = `${SERIES_PREFIX}${group.seriesKey}`;
    const storedHere = new Set<string>();
    const duplicates: string[] = [];
    // Points of the group not yet known to be stored or duplicate: on failure these are the unsettled ones.
    let pending: PreparedPoint[] = group.points;
    try {
      await this.ensureCatalogued(group.seriesKey, group.points[0]!.point);
      pending = this.dedupInBatch(group.points, duplicates);
      const cached = this.bucketState(group.seriesKey, group.bucket);
      const state = cached ?? { nextChunk: 0, ids: new Set<string>() };
      let needsRead = cached === undefined;
      for (let attempt = 1; ; attempt++) {
        this.remember(group.seriesKey, group.bucket, state);
        if (needsRead) await this.catchUp(pk, group.bucket, state);
        pending = pending.filter((p) => {
          if (!state.ids.has(p.hash)) return true;
          duplicates.push(p.point.eventId);
          return false;
        });
        if (pending.length === 0) break;
        const conflicted = await this.appendChunks(pk, group.bucket, state, pending, storedHere);
        pending = pending.filter((p) => !storedHere.has(p.hash));
        if (!conflicted) break;
        if (attempt >= this.maxConflictRetries) {
          throw new ChunkContentionError(
            `series ${group.seriesKey}: lost the race for a chunk ${attempt} times`,
          );
        }
        needsRead = true;
      }
      return { stored: storedHere.size, duplicates };
    } catch (cause) {
      const unsettled = pending.map((p) => p.point.eventId);
      throw new GroupFailure(unsettled, { stored: storedHere.size, duplicates }, { cause });
    }
  }

  /** Drops repeats of an event id inside one group (first occurrence wins). */
  private dedupInBatch(points: readonly PreparedPoint[], duplicateIds: string[]): PreparedPoint[] {
    const seen = new Set<string>();
    return points.filter((p) => {
      if (!seen.has(p.hash)) {
        seen.add(p.hash);
        return true;
      }
      duplicateIds.push(p.point.eventId);
      return false;
    });
  }

  /** Reads the chunks this container has not seen yet (consistent, so a just-won race is visible). */
  private async catchUp(pk: string, bucket: number, state: BucketState): Promise<void> {
    const items = this.queryItems(
      pk,
      chunkSk(bucket, state.nextChunk),
      chunkSk(bucket, MAX_CHUNK_INDEX),
      true,
    );
    for await (const item of items) {
      const { chunk } = parseChunkSk(item[SK]?.S ?? '');
      const data = item.d?.B;
      if (data !== undefined) {
        for (const { hash } of decodeChunk(data)) {
          if (!state.ids.has(hash)) this.cachedIds += 1;
          state.ids.add(hash);
        }
      }
      state.nextChunk = Math.max(state.nextChunk, chunk + 1);
    }
  }

  /** Appends `points` as chunks; returns true when another writer took the next chunk first. */
  private async appendChunks(
    pk: string,
    bucket: number,
    state: BucketState,
    points: readonly PreparedPoint[],
    storedHere: Set<string>,
  ): Promise<boolean> {
    for (let start = 0; start < points.length; start += this.maxPointsPerChunk) {
      const piece = points.slice(start, start + this.maxPointsPerChunk);
      if (state.nextChunk > MAX_CHUNK_INDEX) {
        throw new Error(`series bucket ${pk} ${bucket}: more than ${MAX_CHUNK_INDEX + 1} chunks`);
      }
      try {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [PK]: { S: pk },
              [SK]: { S: chunkSk(bucket, state.nextChunk) },
              d: { B: encodeChunk(piece) },
              n: { N: String(piece.length) },
              ...(this.retentionMs === undefined
                ? {}
                : {
                    [SERIES_TABLE.ttlAttribute]: {
                      N: String(Math.ceil((bucket + this.bucketMs + this.retentionMs) / 1000)),
                    },
                  }),
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) return true;
        throw error;
      }
      state.nextChunk += 1;
      for (const p of piece) {
        storedHere.add(p.hash);
        if (!state.ids.has(p.hash)) this.cachedIds += 1;
        state.ids.add(p.hash);
      }
    }
    return false;
  }

  private bucketState(key: string, bucket: number): BucketState | undefined {
    return this.buckets.get(`${key}\u0000${bucket}`);
  }

  /** Marks a bucket as most recently used and evicts the oldest ones beyond the id budget. */
  private remember(key: string, bucket: number, state: BucketState): void {
    const id = `${key}\u0000${bucket}`;
    this.buckets.delete(id);
    this.buckets.set(id, state);
    for (const [oldest, oldState] of this.buckets) {
      if (this.cachedIds <= this.maxCachedIds || oldest === id) break;
      this.buckets.delete(oldest);
      this.cachedIds -= oldState.ids.size;
    }
  }

  /** Serialises work on one (series, bucket) inside this container, so the cached state stays coherent. */
  private async withLock<R>(key: string, task: () => Promise<R>): Promise<R> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}
