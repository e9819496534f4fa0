/**
 * Wires the ports to their AWS adapters from the environment, once per container. Handlers ask for what
 * they need; nothing is constructed per invocation.
 */
import { createClients } from '../../src/adapters/clients.ts';
import { DynamoDbDocumentStore } from '../../src/adapters/dynamodb-document-store.ts';
import { DynamoDbExperimentStore } from '../../src/adapters/dynamodb-experiment-store.ts';
import { DynamoDbModelRegistry } from '../../src/adapters/dynamodb-model-registry.ts';
import { DynamoDbSeriesStore } from '../../src/adapters/dynamodb-series-store.ts';
import { DynamoDbIngestionStatsStore } from '../../src/adapters/dynamodb-stats-store.ts';
import { EventBridgePublisher } from '../../src/adapters/eventbridge-publisher.ts';
import { S3Lake } from '../../src/adapters/s3-lake.ts';
import { TimestreamSeriesStore } from '../../src/adapters/timestream-series-store.ts';
import type { ExperimentStore } from '../../src/core/experiments/index.ts';
import type {
  DocumentStore,
  EventPublisher,
  IngestionStatsStore,
  Lake,
  TimeSeriesStore,
} from '../../src/core/ports.ts';
import type { ModelRegistry } from '../../src/core/registry/index.ts';
import { oneOfEnv, requiredEnv } from './env.ts';

export const clients = createClients();

let series: TimeSeriesStore | undefined;
/** The time-series store chosen at deploy time by the `seriesStore` context flag (SERIES_STORE). */
export function seriesStore(env: NodeJS.ProcessEnv = process.env): TimeSeriesStore {
  if (series) return series;
  const kind = oneOfEnv('SERIES_STORE', ['timestream', 'dynamodb'] as const, 'dynamodb', env);
  series =
    kind === 'dynamodb'
      ? new DynamoDbSeriesStore({
          client: clients.dynamodb,
          tableName: requiredEnv('SERIES_TABLE_NAME', env),
        })
      : new TimestreamSeriesStore({
          writeClient: clients.timestreamWrite,
          queryClient: clients.timestreamQuery,
          database: requiredEnv('TIMESTREAM_DATABASE', env),
          table: requiredEnv('TIMESTREAM_TABLE', env),
        });
  return series;
}

let documents: DocumentStore | undefined;
export function documentStore(env: NodeJS.ProcessEnv = process.env): DocumentStore {
  documents ??= new DynamoDbDocumentStore({
    client: clients.dynamodb,
    tableName: requiredEnv('DOCUMENTS_TABLE_NAME', env),
  });
  return documents;
}

let stats: IngestionStatsStore | undefined;
export function ingestionStats(env: NodeJS.ProcessEnv = process.env): IngestionStatsStore {
  stats ??= new DynamoDbIngestionStatsStore({
    client: clients.dynamodb,
    tableName: requiredEnv('DOCUMENTS_TABLE_NAME', env),
  });
  return stats;
}

let lake: Lake | undefined;
export function lakeStore(env: NodeJS.ProcessEnv = process.env): Lake {
  lake ??= new S3Lake({ client: clients.s3, bucket: requiredEnv('LAKE_BUCKET_NAME', env) });
  return lake;
}

let events: EventPublisher | undefined;
/** The project's EventBridge bus (EVENT_BUS_NAME). */
export function eventPublisher(env: NodeJS.ProcessEnv = process.env): EventPublisher {
  events ??= new EventBridgePublisher({
    client: clients.eventbridge,
    eventBusName: requiredEnv('EVENT_BUS_NAME', env),
  });
  return events;
}

/** What the analysis service needs: the series store to read, documents to store, the bus to publish. */
export function analysisPorts(env: NodeJS.ProcessEnv = process.env) {
  return { series: seriesStore(env), documents: documentStore(env), events: eventPublisher(env) };
}

let registry: ModelRegistry | undefined;
/** The model registry on the documents table. */
export function modelRegistry(env: NodeJS.ProcessEnv = process.env): ModelRegistry {
  registry ??= new DynamoDbModelRegistry({
    client: clients.dynamodb,
    tableName: requiredEnv('DOCUMENTS_TABLE_NAME', env),
  });
  return registry;
}

let experiments: ExperimentStore | undefined;
/** Experiment tracking on the documents table. */
export function experimentStore(env: NodeJS.ProcessEnv = process.env): ExperimentStore {
  experiments ??= new DynamoDbExperimentStore({
    client: clients.dynamodb,
    tableName: requiredEnv('DOCUMENTS_TABLE_NAME', env),
  });
  return experiments;
}
