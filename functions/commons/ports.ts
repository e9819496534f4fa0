/**
 * Wires the ports to their AWS adapters from the environment, once per container. Handlers ask for what
 * they need; each adapter is built on first use and then reused, never per invocation. A missing variable
 * fails at that first use with its name.
 */
import { createClients } from '../../src/adapters/clients.ts';
import { DynamoDbDocumentStore } from '../../src/adapters/dynamodb-document-store.ts';
import { DynamoDbExperimentStore } from '../../src/adapters/dynamodb-experiment-store.ts';
import { DynamoDbModelRegistry } from '../../src/adapters/dynamodb-model-registry.ts';
import { DynamoDbRecordStore } from '../../src/adapters/dynamodb-record-store.ts';
import { DynamoDbSeriesStore } from '../../src/adapters/dynamodb-series-store.ts';
import { DynamoDbIngestionStatsStore } from '../../src/adapters/dynamodb-stats-store.ts';
import { DynamoDbStudyStore } from '../../src/adapters/dynamodb-study-store.ts';
import { EventBridgePublisher } from '../../src/adapters/eventbridge-publisher.ts';
import { S3ArtifactStore } from '../../src/adapters/s3-artifact-store.ts';
import { S3Lake } from '../../src/adapters/s3-lake.ts';
import { TimestreamSeriesStore } from '../../src/adapters/timestream-series-store.ts';
import type { ExperimentStore } from '../../src/core/experiments/index.ts';
import type { StudyStore } from '../../src/core/optimise/store.ts';
import type {
  DocumentStore,
  EventPublisher,
  IngestionStatsStore,
  Lake,
  TimeSeriesStore,
} from '../../src/core/ports.ts';
import type { ModelRegistry } from '../../src/core/registry/index.ts';
import type { RecordStore, StatusRecord } from '../../src/core/workflows/records.ts';
import { oneOfEnv, requiredEnv } from './env.ts';

export const clients = createClients();

/** A value built on first call and reused after. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

const documentsTable = () => requiredEnv('DOCUMENTS_TABLE_NAME');

/** The time-series store chosen at deploy time by the `seriesStore` context flag (SERIES_STORE). */
export const seriesStore = lazy(
  (): TimeSeriesStore =>
    oneOfEnv('SERIES_STORE', ['timestream', 'dynamodb'] as const, 'dynamodb') === 'dynamodb'
      ? new DynamoDbSeriesStore({ client: clients.dynamodb, tableName: requiredEnv('SERIES_TABLE_NAME') })
      : new TimestreamSeriesStore({
          writeClient: clients.timestreamWrite,
          queryClient: clients.timestreamQuery,
          database: requiredEnv('TIMESTREAM_DATABASE'),
          table: requiredEnv('TIMESTREAM_TABLE'),
        }),
);

export const documentStore = lazy(
  (): DocumentStore => new DynamoDbDocumentStore({ client: clients.dynamodb, tableName: documentsTable() }),
);

export const ingestionStats = lazy(
  (): IngestionStatsStore =>
    new DynamoDbIngestionStatsStore({ client: clients.dynamodb, tableName: documentsTable() }),
);

export const lakeStore = lazy(
  (): Lake => new S3Lake({ client: clients.s3, bucket: requiredEnv('LAKE_BUCKET_NAME') }),
);

/** The project's EventBridge bus (EVENT_BUS_NAME). */
export const eventPublisher = lazy(
  (): EventPublisher =>
    new EventBridgePublisher({ client: clients.eventbridge, eventBusName: requiredEnv('EVENT_BUS_NAME') }),
);

/** What the analysis service needs: the series store to read, documents to store, the bus to publish. */
export function analysisPorts() {
  return { series: seriesStore(), documents: documentStore(), events: eventPublisher() };
}

/** The model registry on the documents table. */
export const modelRegistry = lazy(
  (): ModelRegistry => new DynamoDbModelRegistry({ client: clients.dynamodb, tableName: documentsTable() }),
);

/** Experiment tracking on the documents table. */
export const experimentStore = lazy(
  (): ExperimentStore =>
    new DynamoDbExperimentStore({ client: clients.dynamodb, tableName: documentsTable() }),
);

/** Optimisation studies and their trials on the documents table. */
export const studyStore = lazy(
  (): StudyStore => new DynamoDbStudyStore({ client: clients.dynamodb, tableName: documentsTable() }),
);

/** Workflow records of one kind (training runs, approvals) on the documents table. */
export function recordStore<T extends StatusRecord>(kind: string): () => RecordStore<T> {
  return lazy(
    () => new DynamoDbRecordStore<T>({ client: clients.dynamodb, tableName: documentsTable(), kind }),
  );
}

/** Objects by `s3://bucket/key` (model artifacts, training data sets, reference data). */
export const objectStore = lazy(() => new S3ArtifactStore({ client: clients.s3 }));
