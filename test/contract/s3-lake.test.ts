/** S3Lake on s3rver: gzip JSON Lines under Hive-style keys, deterministic per batch. */
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '../../scripts/local/emulators.ts';
import { createS3Client } from '../../src/adapters/clients.ts';
import { listLakeRecords, S3Lake } from '../../src/adapters/s3-lake.ts';
import type { LakeRecord, QuarantinedRecord } from '../../src/core/ports.ts';

let emulators: Emulators;
let s3: S3Client;
let bucketCounter = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  s3 = createS3Client(emulators.env);
});

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
});

async function freshBucket(): Promise<string> {
  bucketCounter += 1;
  const bucket = `lake-test-${bucketCounter}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const T0 = Date.UTC(2024, 0, 2, 10, 30, 0);

function record(id: string, type: string, time: number): LakeRecord {
  return {
    id,
    type,
    time,
    line: JSON.stringify({ id, type, time: new Date(time).toISOString(), data: { v: 1 } }),
  };
}

describe('S3Lake on s3rver', () => {
  it('writes one gzip JSON Lines object per type and hour, under Hive-style keys', async () => {
    // Prepare
    const bucket = await freshBucket();
    const lake = new S3Lake({ client: s3, bucket });
    const records = [
      record('m1', 'metric', T0),
      record('m2', 'metric', T0 + 1_000),
      record('m3', 'metric', T0 + 3_600_000),
      record('t1', 'trade', T0),
    ];

    // Act
    const keys = await lake.append(records, 'shard-0-100-200');

    // Assess
    expect(keys).toEqual([
      'events/type=metric/dt=2024-01-02/hour=10/shard-0-100-200.jsonl.gz',
      'events/type=metric/dt=2024-01-02/hour=11/shard-0-100-200.jsonl.gz',
      'events/type=trade/dt=2024-01-02/hour=10/shard-0-100-200.jsonl.gz',
    ]);
    expect(await listLakeRecords(s3, bucket, 'events/')).toEqual([
      { key: keys[0], lines: [records[0]!.line, records[1]!.line] },
      { key: keys[1], lines: [records[2]!.line] },
      { key: keys[2], lines: [records[3]!.line] },
    ]);
  });

  it('overwrites its own objects when a batch is retried, instead of duplicating records', async () => {
    // Prepare
    const bucket = await freshBucket();
    const lake = new S3Lake({ client: s3, bucket });
    const records = [record('m1', 'metric', T0), record('m2', 'metric', T0 + 1)];
    await lake.append(records, 'batch-1');

    // Act
    await lake.append(records, 'batch-1');

    // Assess
    const objects = await listLakeRecords(s3, bucket, 'events/');
    expect(objects).toHaveLength(1);
    expect(objects[0]?.lines).toHaveLength(2);
  });

  it('stores the object as a gzip file, without Content-Encoding', async () => {
    // Prepare
    const bucket = await freshBucket();
    const lake = new S3Lake({ client: s3, bucket });

    // Act
    const [key] = await lake.append([record('m1', 'metric', T0)], 'batch-2');

    // Assess
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toBe('application/gzip');
    expect(head.ContentEncoding).toBeUndefined();
  });

  it('keeps a type with a slash inside its partition', async () => {
    // Prepare
    const bucket = await freshBucket();
    const lake = new S3Lake({ client: s3, bucket });

    // Act
    const keys = await lake.append([record('x', 'odd/type', T0)], 'b');

    // Assess
    expect(keys).toEqual(['events/type=odd%2Ftype/dt=2024-01-02/hour=10/b.jsonl.gz']);
  });

  it('writes quarantined records to one object at the hour of the earliest record', async () => {
    // Prepare
    const bucket = await freshBucket();
    const lake = new S3Lake({ client: s3, bucket });
    const quarantined: QuarantinedRecord[] = [
      {
        origin: 'shardId-000000000000/1',
        payload: '{"bad":',
        payloadEncoding: 'utf8',
        reason: 'payload: not valid JSON',
        quarantinedAt: T0 + 3_600_000,
      },
      {
        origin: 'shardId-000000000000/2',
        payload: '/w==',
        payloadEncoding: 'base64',
        reason: 'data.value: must be a finite number (finite)',
        errors: [{ path: 'data.value', rule: 'finite', message: 'must be a finite number' }],
        quarantinedAt: T0,
      },
    ];

    // Act
    const key = await lake.quarantine(quarantined, 'batch-q');
    const none = await lake.quarantine([], 'batch-empty');

    // Assess
    expect(key).toBe('quarantine/dt=2024-01-02/hour=10/batch-q.jsonl.gz');
    expect(none).toBeUndefined();
    const [object] = await listLakeRecords(s3, bucket, 'quarantine/');
    expect(object?.lines.map((line) => JSON.parse(line))).toEqual(quarantined);
  });
});
