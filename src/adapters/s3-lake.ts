/**
 * S3Lake: the raw event lake (the source of truth) and the quarantine, as gzip JSON Lines.
 *
 * Keys are Hive-style and deterministic: `events/type=<type>/dt=YYYY-MM-DD/hour=HH/<batchId>.jsonl.gz`
 * (UTC, from each event's time), one object per batch and partition, so a retried batch overwrites its
 * own objects instead of adding copies. Quarantine objects go to `quarantine/dt=.../hour=.../<batchId>.jsonl.gz`
 * at the hour of the earliest `quarantinedAt` of the batch (a retry that crosses an hour boundary with a
 * fresh `quarantinedAt` therefore lands in a new key: the handler should pass a stable time).
 *
 * Metadata: ContentType `application/gzip` and no Content-Encoding. The object *is* a gzip file (Athena,
 * Glue and Spark recognise it by the `.gz` suffix and decompress it themselves). With
 * `Content-Encoding: gzip`, HTTP clients (browsers, curl --compressed, fetch, CloudFront) decompress
 * transparently, so the same key would yield plain text to some readers and gzip to others.
 * Encryption is left to the bucket default (SSE-KMS or SSE-S3, set by the stack).
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Lake, LakeRecord, QuarantinedRecord } from '../core/ports.ts';
import { TransientStoreError } from '../core/ports.ts';
import { mapSettled } from './concurrency.ts';
import { describeError, isTransientAwsError } from './errors.ts';

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

export interface S3LakeProps {
  readonly client: S3Client;
  readonly bucket: string;
  /** Parallel PutObject requests per call. @default 8 */
  readonly concurrency?: number;
}

export const LAKE_CONTENT_TYPE = 'application/gzip';

const HOUR_MS = 3_600_000;
const partitionCache = new Map<number, string>();

/** `dt=YYYY-MM-DD/hour=HH` of an epoch-ms time, in UTC (cached per hour: formatting dates is the costly part). */
export function hourPartition(time: number): string {
  const hour = Math.floor(time / HOUR_MS);
  let partition = partitionCache.get(hour);
  if (partition === undefined) {
    const iso = new Date(hour * HOUR_MS).toISOString();
    partition = `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
    if (partitionCache.size >= 10_000) partitionCache.clear();
    partitionCache.set(hour, partition);
  }
  return partition;
}

/** A key segment that cannot break out of its partition (no `/`, no control characters). */
function keySegment(name: string, value: string): string {
  if (value === '') throw new RangeError(`${name}: must not be empty`);
  return encodeURIComponent(value);
}

/** The object key of a batch's events of one type and hour. */
export function eventObjectKey(type: string, time: number, batchId: string): string {
  return `events/type=${keySegment('type', type)}/${hourPartition(time)}/${keySegment('batchId', batchId)}.jsonl.gz`;
}

/** The object key of a batch's quarantined records. */
export function quarantineObjectKey(time: number, batchId: string): string {
  return `quarantine/${hourPartition(time)}/${keySegment('batchId', batchId)}.jsonl.gz`;
}

/**
 * Groups a batch's records into its lake objects (one per type and hour), in key order. The key is built
 * once per object, not per record.
 */
export function groupByObject(records: readonly LakeRecord[], batchId: string): [string, LakeRecord[]][] {
  const groups = new Map<string, LakeRecord[]>();
  for (const record of records) {
    if (!Number.isFinite(record.time)) throw new RangeError(`record ${record.id}: time must be finite`);
    if (record.line.includes('\n')) {
      throw new RangeError(`record ${record.id}: line must be one JSON line (no newline characters)`);
    }
    const group = `${record.type}\u0000${Math.floor(record.time / HOUR_MS)}`;
    const list = groups.get(group);
    if (list) list.push(record);
    else groups.set(group, [record]);
  }
  return [...groups.values()]
    .map((list): [string, LakeRecord[]] => [eventObjectKey(list[0]!.type, list[0]!.time, batchId), list])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

export class S3Lake implements Lake {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly concurrency: number;

  constructor(props: S3LakeProps) {
    this.s3 = props.client;
    this.bucket = props.bucket;
    this.concurrency = props.concurrency ?? 8;
  }

  async append(records: readonly LakeRecord[], batchId: string): Promise<readonly string[]> {
    const entries = groupByObject(records, batchId);
    const settled = await mapSettled(entries, this.concurrency, ([key, list]) =>
      this.put(
        key,
        list.map((r) => r.line),
      ),
    );
    this.throwFailures(
      settled,
      entries.map(([, list]) => list.map((r) => r.id)),
    );
    return entries.map(([key]) => key);
  }

  async quarantine(records: readonly QuarantinedRecord[], batchId: string): Promise<string | undefined> {
    if (records.length === 0) return undefined;
    const earliest = Math.min(...records.map((r) => r.quarantinedAt));
    const key = quarantineObjectKey(earliest, batchId);
    const settled = await mapSettled([key], 1, () =>
      this.put(
        key,
        records.map((r) => JSON.stringify(r)),
      ),
    );
    this.throwFailures(settled, [[]]);
    return key;
  }

  private async put(key: string, lines: readonly string[]): Promise<void> {
    const body = await gzip(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: LAKE_CONTENT_TYPE,
        ContentLength: body.length,
      }),
    );
  }

  /** Throttling/5xx -> TransientStoreError naming the ids of the objects not written; others rethrown. */
  private throwFailures(
    settled: PromiseSettledResult<void>[],
    idsPerObject: readonly (readonly string[])[],
  ): void {
    const failedIds: string[] = [];
    let cause: unknown;
    settled.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      if (!isTransientAwsError(result.reason)) throw result.reason;
      failedIds.push(...(idsPerObject[index] ?? []));
      cause ??= result.reason;
    });
    if (cause !== undefined) {
      throw new TransientStoreError(
        `S3 lake write failed: ${describeError(cause)}`,
        failedIds.length > 0 ? failedIds : undefined,
        {
          cause,
        },
      );
    }
  }
}

/** One lake object, gunzipped. */
export interface LakeObject {
  readonly key: string;
  readonly lines: readonly string[];
}

/**
 * Lists the objects under `prefix` and returns their JSON lines, in key order (tests and the local runtime).
 *
 * @example const objects = await listLakeRecords(s3, 'lake-bucket', 'events/type=metric/');
 */
export async function listLakeRecords(s3: S3Client, bucket: string, prefix: string): Promise<LakeObject[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  keys.sort();
  return Promise.all(
    keys.map(async (key) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await object.Body?.transformToByteArray();
      const text = bytes === undefined ? '' : (await gunzip(bytes)).toString('utf8');
      return { key, lines: text.split('\n').filter((line) => line !== '') };
    }),
  );
}
