/**
 * S3ArtifactStore: the serving cache's ArtifactStore on S3. Reads `s3://bucket/key` URIs (the form the
 * training workflow registers) with GetObject. Bucket names and keys are taken as written: keys are not
 * URL-decoded, so a key with `%` in it is read literally.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TransientStoreError } from '../core/ports.ts';
import type { ArtifactStore } from '../core/serving/index.ts';
import type { BlobStore } from '../core/workflows/training.ts';
import { describeError, isTransientAwsError, transientAware } from './errors.ts';

export interface S3ArtifactStoreProps {
  readonly client: S3Client;
  /** Refuse artifacts larger than this (a Lambda container has to hold the parsed model too). @default 256 MiB */
  readonly maxBytes?: number;
}

/** Bucket and key of an `s3://bucket/key` URI. @throws {RangeError} naming the URI when it is not one. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (match === null) {
    throw new RangeError(
      `artifactUri ${uri}: must be s3://<bucket>/<key> (a lower-case bucket name and a key)`,
    );
  }
  return { bucket: match[1] as string, key: match[2] as string };
}

/** Artifact bytes from S3. Throttling/5xx become {@link TransientStoreError}; a missing object names the URI. */
export class S3ArtifactStore implements ArtifactStore, BlobStore {
  private readonly s3: S3Client;
  private readonly maxBytes: number;

  constructor(props: S3ArtifactStoreProps) {
    this.s3 = props.client;
    this.maxBytes = props.maxBytes ?? 256 * 1024 * 1024;
  }

  async get(uri: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (object.ContentLength !== undefined && object.ContentLength > this.maxBytes) {
        // Release the connection instead of reading a body we refuse.
        (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new RangeError(
          `artifact ${uri} is ${object.ContentLength} bytes; at most ${this.maxBytes} are served`,
        );
      }
      if (object.Body === undefined) throw new Error(`artifact ${uri} has no body`);
      return await object.Body.transformToByteArray();
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket') {
        throw new Error(`artifact ${uri} does not exist (${String(name)})`, { cause: error });
      }
      if (isTransientAwsError(error)) {
        throw new TransientStoreError(
          `artifact ${uri} could not be read: ${describeError(error)}`,
          undefined,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /** Writes bytes (training data sets and artifacts); throttling/5xx become {@link TransientStoreError}. */
  async put(uri: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await transientAware(`S3 write of ${uri}`, () =>
      this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType })),
    );
  }
}
