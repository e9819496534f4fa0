/**
 * The one place SDK clients are built (handlers, the local runtime and tests all use it), once per
 * container: `createClients()` returns lazily created singletons.
 *
 * Endpoints: the SDK itself reads AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL, but only from
 * `process.env`. We resolve them again, with the SDK's precedence (service variable first, then the
 * global one, both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), for two reasons: the
 * environment may be an injected object (tests, the local runtime), and we must know whether an endpoint
 * is set to pick the emulator-friendly options below. Endpoints set only in ~/.aws/config are still
 * honoured by the SDK, but then do not switch on those options.
 *
 * Emulator quirks handled when an endpoint is set:
 * - Kinesis: the client defaults to HTTP/2 (for SubscribeToShard); kinesalite speaks HTTP/1.1 only.
 * - S3: path-style addressing, and checksums only when required, because s3rver stores a streamed upload
 *   with its aws-chunked framing otherwise (silently corrupting the object).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** An environment to read configuration from; `process.env` by default. */
export type ClientEnv = Readonly<Record<string, string | undefined>>;

/** Default region when neither AWS_REGION nor AWS_DEFAULT_REGION is set (only happens locally). */
export const LOCAL_DEFAULT_REGION = 'us-east-1';

/** The SDK's variable suffix of each service (its serviceId, upper-cased, spaces to underscores). */
const SERVICE_ENV_SUFFIX = {
  kinesis: 'KINESIS',
  dynamodb: 'DYNAMODB',
  s3: 'S3',
  timestreamWrite: 'TIMESTREAM_WRITE',
  timestreamQuery: 'TIMESTREAM_QUERY',
  eventbridge: 'EVENTBRIDGE',
  sfn: 'SFN',
  sagemakerRuntime: 'SAGEMAKER_RUNTIME',
} as const;

type ServiceName = keyof typeof SERVICE_ENV_SUFFIX;

/** The endpoint URL configured for a service through the environment, or undefined for the AWS default. */
export function endpointFor(service: ServiceName, env: ClientEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  const specific = env[`AWS_ENDPOINT_URL_${SERVICE_ENV_SUFFIX[service]}`];
  if (specific) return specific;
  return env.AWS_ENDPOINT_URL || undefined;
}

/** The region from AWS_REGION / AWS_DEFAULT_REGION, `us-east-1` when neither is set. */
export function regionFrom(env: ClientEnv = process.env): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || LOCAL_DEFAULT_REGION;
}

interface CommonConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

function commonConfig(service: ServiceName, env: ClientEnv): CommonConfig {
  const config: CommonConfig = { region: regionFrom(env) };
  const endpoint = endpointFor(service, env);
  if (endpoint !== undefined) config.endpoint = endpoint;
  // With process.env the SDK's default chain finds the same keys (and refreshes role credentials);
  // an injected environment has to hand its keys over explicitly.
  if (env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return config;
}

/** A Kinesis client; HTTP/1.1 when an endpoint is configured (kinesalite). */
export function createKinesisClient(env: ClientEnv = process.env): KinesisClient {
  const config = commonConfig('kinesis', env);
  return new KinesisClient(config.endpoint ? { ...config, requestHandler: new NodeHttpHandler() } : config);
}

/** A DynamoDB client. */
export function createDynamoDbClient(env: ClientEnv = process.env): DynamoDBClient {
  return new DynamoDBClient(commonConfig('dynamodb', env));
}

/** An S3 client; path-style and checksums only when required when an endpoint is configured (s3rver). */
export function createS3Client(env: ClientEnv = process.env): S3Client {
  const config = commonConfig('s3', env);
  if (!config.endpoint) return new S3Client(config);
  return new S3Client({
    ...config,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A Timestream write client (endpoint discovery is skipped by the SDK when an endpoint is configured). */
export function createTimestreamWriteClient(env: ClientEnv = process.env): TimestreamWriteClient {
  return new TimestreamWriteClient(commonConfig('timestreamWrite', env));
}

/** A Timestream query client. */
export function createTimestreamQueryClient(env: ClientEnv = process.env): TimestreamQueryClient {
  return new TimestreamQueryClient(commonConfig('timestreamQuery', env));
}

/** An EventBridge client (the project's event bus). */
export function createEventBridgeClient(env: ClientEnv = process.env): EventBridgeClient {
  return new EventBridgeClient(commonConfig('eventbridge', env));
}

/** A Step Functions client (training and optimisation workflows). */
export function createSfnClient(env: ClientEnv = process.env): SFNClient {
  return new SFNClient(commonConfig('sfn', env));
}

/**
 * A SageMaker runtime client for the predictor: one attempt per call, because the predictor owns retries
 * (with its timeout and circuit breaker around them).
 */
export function createSageMakerRuntimeClient(env: ClientEnv = process.env): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({ ...commonConfig('sagemakerRuntime', env), maxAttempts: 1 });
}

/** The SDK clients of the project; each is created on first access and then reused. */
export interface Clients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly timestreamWrite: TimestreamWriteClient;
  readonly timestreamQuery: TimestreamQueryClient;
  readonly eventbridge: EventBridgeClient;
  readonly sfn: SFNClient;
  readonly sagemakerRuntime: SageMakerRuntimeClient;
}

/**
 * Lazily created clients, so a handler that only needs S3 never builds (or resolves credentials for)
 * the others. Call it once at module load and keep the result.
 *
 * @example
 * const clients = createClients();
 * export const handler = async () => clients.dynamodb.send(...);
 */
export function createClients(env: ClientEnv = process.env): Clients {
  const cache: Partial<{ -readonly [K in keyof Clients]: Clients[K] }> = {};
  return {
    get kinesis() {
      cache.kinesis ??= createKinesisClient(env);
      return cache.kinesis;
    },
    get dynamodb() {
      cache.dynamodb ??= createDynamoDbClient(env);
      return cache.dynamodb;
    },
    get s3() {
      cache.s3 ??= createS3Client(env);
      return cache.s3;
    },
    get eventbridge() {
      cache.eventbridge ??= createEventBridgeClient(env);
      return cache.eventbridge;
    },
    get sagemakerRuntime() {
      cache.sagemakerRuntime ??= createSageMakerRuntimeClient(env);
      return cache.sagemakerRuntime;
    },
    get sfn() {
      cache.sfn ??= createSfnClient(env);
      return cache.sfn;
    },
    get timestreamWrite() {
      cache.timestreamWrite ??= createTimestreamWriteClient(env);
      return cache.timestreamWrite;
    },
    get timestreamQuery() {
      cache.timestreamQuery ??= createTimestreamQueryClient(env);
      return cache.timestreamQuery;
    },
  };
}
