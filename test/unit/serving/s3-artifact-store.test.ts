/**
 * S3ArtifactStore: a byte-exact round trip on s3rver (as the lake adapter's tests run), error mapping through
 * aws-sdk-client-mock (s3rver cannot be made to throttle).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '../../../scripts/local/emulators.ts';
import { createS3Client } from '../../../src/adapters/clients.ts';
import { parseS3Uri, S3ArtifactStore } from '../../../src/adapters/s3-artifact-store.ts';
import { TransientStoreError } from '../../../src/core/ports.ts';
import { InMemoryModelRegistry } from '../../../src/core/registry/memory.ts';
import { ModelCache } from '../../../src/core/serving/index.ts';
import { artifactBytes, linearModel, sha256 } from './helpers.ts';

describe('S3ArtifactStore on s3rver', () => {
  let emulators: Emulators;
  let s3: S3Client;

  beforeAll(async () => {
    emulators = await startEmulators();
    s3 = createS3Client(emulators.env);
    await s3.send(new CreateBucketCommand({ Bucket: 'model-artifacts' }));
  });

  afterAll(async () => {
    s3?.destroy();
    await emulators?.stop();
  });

  it('reads an artifact byte for byte, and the cache loads and checks it', async () => {
    // Prepare
    const bytes = artifactBytes(linearModel());
    const key = 'models/week-movement/v1/model.json';
    await s3.send(new PutObjectCommand({ Bucket: 'model-artifacts', Key: key, Body: bytes }));
    const registry = new InMemoryModelRegistry();
    const uri = `s3://model-artifacts/${key}`;
    await registry.registerVersion('week-movement', {
      artifactUri: uri,
      artifactSha256: sha256(bytes),
      algorithm: 'linear_regression',
      params: {},
      metrics: {},
      datasetFingerprint: 'd',
      codeVersion: 'c',
    });
    const store = new S3ArtifactStore({ client: s3 });

    // Act
    const read = await store.get(uri);
    const loaded = await new ModelCache({ registry, artifacts: store }).get('week-movement', { version: 1 });

    // Assess
    expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
    expect(loaded.nFeatures).toBe(2);
  });

  it('names the URI of a missing object', async () => {
    // Act / Assess
    await expect(
      new S3ArtifactStore({ client: s3 }).get('s3://model-artifacts/missing.json'),
    ).rejects.toThrow('artifact s3://model-artifacts/missing.json does not exist (NoSuchKey)');
  });
});

describe('S3ArtifactStore errors', () => {
  // Created here, not at collection time, so the s3rver tests above talk to the real emulator.
  let mock: AwsClientStub<S3Client>;

  beforeAll(() => {
    mock = mockClient(S3Client);
  });

  afterEach(() => {
    mock.reset();
  });

  afterAll(() => {
    mock.restore();
  });

  it('maps throttling and 5xx to TransientStoreError', async () => {
    // Prepare
    mock
      .on(GetObjectCommand)
      .rejects(
        Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: {} }),
      );
    const store = new S3ArtifactStore({ client: new S3Client({ region: 'us-east-1' }) });

    // Act
    const error = await store.get('s3://b-1/k').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as Error).message).toBe(
      'artifact s3://b-1/k could not be read: SlowDown: Please reduce your request rate.',
    );
  });

  it('refuses an object larger than maxBytes', async () => {
    // Prepare
    mock.on(GetObjectCommand).resolves({ ContentLength: 2_000 });
    const store = new S3ArtifactStore({ client: new S3Client({ region: 'us-east-1' }), maxBytes: 1_000 });

    // Act / Assess
    await expect(store.get('s3://b-1/k')).rejects.toThrow(
      'artifact s3://b-1/k is 2000 bytes; at most 1000 are served',
    );
  });

  it('parses s3 URIs and names a bad one', () => {
    // Act / Assess
    expect(parseS3Uri('s3://my-bucket/a/b/c.json')).toEqual({ bucket: 'my-bucket', key: 'a/b/c.json' });
    expect(() => parseS3Uri('https://my-bucket/a')).toThrow(
      'artifactUri https://my-bucket/a: must be s3://<bucket>/<key>',
    );
    expect(() => parseS3Uri('s3://my-bucket/')).toThrow('must be s3://<bucket>/<key>');
  });
});
