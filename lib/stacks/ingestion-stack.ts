import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { acknowledge } from '../constructs/nag.ts';
import { ProjectFunction } from '../constructs/project-function.ts';
import { bindSeriesStore } from '../constructs/series-store.ts';
import { LAKE_PREFIXES, type SeriesStoreResources } from './storage-stack.ts';

/** Metric namespace of the EMF metrics the ingest function emits (dimension service=ingest). */
export const INGEST_METRICS_NAMESPACE = 'AllUse/Learning';
export const INGEST_SERVICE_NAME = 'ingest';

export interface IngestionStackProps extends StackProps {
  readonly config: StageConfig;
  readonly lake: IBucket;
  readonly documentsTable: Table;
  readonly seriesStore: SeriesStoreResources;
}

/**
 * Kinesis stream -> ingest function (validate, store series, write the lake, quarantine the invalid), with
 * per-record failure reporting, bisecting, bounded retries and an SQS on-failure destination that a redrive
 * function drains into the lake's quarantine/ prefix.
 */
export class IngestionStack extends Stack {
  public readonly stream: Stream;
  public readonly ingestFunction: ProjectFunction;
  public readonly redriveFunction: ProjectFunction;
  /** On-failure destination of the Kinesis event source: holds pointers to records that exhausted retries. */
  public readonly deadLetterQueue: Queue;
  /** Where a failure pointer goes when even its redrive keeps failing: nothing is dropped, an operator looks. */
  public readonly parkedQueue: Queue;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    const { config } = props;
    const ingest = config.ingest;

    this.stream = new Stream(this, 'EventsStream', {
      streamMode: StreamMode.PROVISIONED,
      shardCount: ingest.shardCount,
      retentionPeriod: ingest.streamRetention,
      // aws/kinesis: KMS encryption without per-producer key grants (AwsSolutions-KDS3).
      encryption: StreamEncryption.MANAGED,
      removalPolicy: config.removalPolicy,
    });

    this.parkedQueue = new Queue(this, 'IngestParked', {
      encryption: QueueEncryption.KMS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });
    acknowledge(
      this.parkedQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the last dead-letter queue (of the redrive); its depth is alarmed on.',
    );

    this.deadLetterQueue = new Queue(this, 'IngestDlq', {
      deadLetterQueue: { queue: this.parkedQueue, maxReceiveCount: 5 },
      encryption: QueueEncryption.KMS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // The redrive function reads the records back from Kinesis before acknowledging; leave it room.
      visibilityTimeout: Duration.minutes(6),
      removalPolicy: config.removalPolicy,
    });

    this.ingestFunction = new ProjectFunction(this, 'IngestFunction', {
      entry: 'functions/ingest/handler.ts',
      config,
      description:
        'Validates Kinesis events, stores series points, writes the lake and quarantines the invalid',
      memorySize: ingest.memorySize,
      timeout: ingest.timeout,
      environment: {
        POWERTOOLS_SERVICE_NAME: INGEST_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: INGEST_METRICS_NAMESPACE,
      },
    });
    this.ingestFunction
      .bindTable(props.documentsTable, 'DOCUMENTS_TABLE_NAME', 'readWrite')
      .bindBucketPrefixes(props.lake, 'LAKE_BUCKET_NAME', {
        write: [LAKE_PREFIXES.events, LAKE_PREFIXES.quarantine],
      });
    bindSeriesStore(this.ingestFunction, props.seriesStore, 'write');
    this.ingestFunction.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: ingest.batchSize,
        maxBatchingWindow: ingest.maxBatchingWindow,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: ingest.retryAttempts,
        maxRecordAge: ingest.maxRecordAge,
        parallelizationFactor: ingest.parallelizationFactor,
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );

    this.redriveFunction = new ProjectFunction(this, 'RedriveFunction', {
      entry: 'functions/ingest-redrive/handler.ts',
      config,
      description:
        'Reads records that exhausted ingest retries back from Kinesis, tries once more, quarantines the rest',
      memorySize: 512,
      timeout: Duration.minutes(1),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'ingest-redrive',
        POWERTOOLS_METRICS_NAMESPACE: INGEST_METRICS_NAMESPACE,
      },
    });
    // A final attempt runs the same pipeline as ingest, so the redrive needs the same stores as ingest.
    this.redriveFunction
      .bindStream(this.stream, 'EVENTS_STREAM_NAME', 'read')
      .bindTable(props.documentsTable, 'DOCUMENTS_TABLE_NAME', 'readWrite')
      .bindBucketPrefixes(props.lake, 'LAKE_BUCKET_NAME', {
        write: [LAKE_PREFIXES.events, LAKE_PREFIXES.quarantine],
      });
    bindSeriesStore(this.redriveFunction, props.seriesStore, 'write');
    this.redriveFunction.addEventSource(
      new SqsEventSource(this.deadLetterQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
  }
}
