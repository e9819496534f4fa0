import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
  type StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** Lifecycle of the objects under one key prefix. */
export interface PrefixLifecycle {
  /** Key prefix ending in `/`, e.g. `events/`. */
  readonly prefix: string;
  /** Storage-class transitions, in days after creation. @default - none */
  readonly transitions?: readonly { readonly storageClass: StorageClass; readonly afterDays: number }[];
  /** Days after creation when objects are deleted. @default - kept */
  readonly expireAfterDays?: number;
}

export interface SecureBucketProps {
  readonly removalPolicy: RemovalPolicy;
  /** Customer-managed key; SSE-S3 otherwise (readers such as Athena then need no key grant). @default - SSE-S3 */
  readonly encryptionKey?: IKey;
  /** Lifecycle rules by prefix. @default - none */
  readonly lifecycle?: readonly PrefixLifecycle[];
  /** Days after which overwritten (noncurrent) versions are deleted. @default 30 */
  readonly noncurrentVersionExpireAfterDays?: number;
  /** Bucket receiving server access logs; one is created when absent. @default - a new logs bucket */
  readonly serverAccessLogsBucket?: IBucket;
}

/**
 * An S3 bucket with the project's secure defaults: encryption, versioning, TLS-only bucket policy, all public
 * access blocked, ACLs disabled (bucket owner enforced), server access logs to a logs bucket, and lifecycle by
 * prefix. Aborted multipart uploads are cleaned after a day.
 *
 * @example
 * const lake = new SecureBucket(this, 'Lake', { removalPolicy, lifecycle: [{ prefix: 'tmp/', expireAfterDays: 7 }] });
 * lake.bucket.bucketName;
 */
export class SecureBucket extends Construct {
  public readonly bucket: Bucket;
  /** The server access logs bucket (created here unless one was passed in). */
  public readonly logsBucket: IBucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);

    let logsBucket = props.serverAccessLogsBucket;
    if (!logsBucket) {
      const created = new Bucket(this, 'AccessLogs', {
        // Log delivery cannot write to SSE-KMS buckets.
        encryption: BucketEncryption.S3_MANAGED,
        versioned: true,
        enforceSSL: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removalPolicy: props.removalPolicy,
        lifecycleRules: [
          {
            id: 'expire-access-logs',
            expiration: Duration.days(365),
            noncurrentVersionExpiration: Duration.days(7),
          },
        ],
      });
      acknowledge(
        created,
        'AwsSolutions-S1',
        'This bucket is the server access log destination; logging it to itself would loop.',
      );
      logsBucket = created;
    }
    this.logsBucket = logsBucket;

    const lifecycleRules: LifecycleRule[] = [
      {
        id: 'whole-bucket-hygiene',
        abortIncompleteMultipartUploadAfter: Duration.days(1),
        noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpireAfterDays ?? 30),
      },
      ...(props.lifecycle ?? []).map((rule): LifecycleRule => {
        if (!rule.prefix.endsWith('/'))
          throw new Error(`lifecycle prefix "${rule.prefix}" must end with "/"`);
        return {
          id: `prefix-${rule.prefix.replace(/\/$/, '')}`,
          prefix: rule.prefix,
          transitions: rule.transitions?.map((t) => ({
            storageClass: t.storageClass,
            transitionAfter: Duration.days(t.afterDays),
          })),
          expiration: rule.expireAfterDays === undefined ? undefined : Duration.days(rule.expireAfterDays),
        };
      }),
    ];

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: props.encryptionKey ? BucketEncryption.KMS : BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logsBucket,
      serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      removalPolicy: props.removalPolicy,
      lifecycleRules,
    });
  }
}
