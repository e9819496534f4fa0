import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface KinesisClientOptions {
  /** Service endpoint; defaults to AWS_ENDPOINT_URL_KINESIS, then AWS_ENDPOINT_URL, then the AWS default. */
  readonly endpoint?: string;
  /** Region; defaults to the SDK's resolution (AWS_REGION, profile...), or `us-east-1` for a custom endpoint. */
  readonly region?: string;
  /**
   * SDK-level attempts per call.
   * @default 1 — the collector retries failed entries itself, per entry, with its own backoff; SDK retries on top
   * would multiply the attempts and resend records that already succeeded.
   */
  readonly maxAttempts?: number;
  /** Credentials or a provider; defaults to the SDK's chain. Local emulators accept any static pair. */
  readonly credentials?: KinesisClientConfig['credentials'];
}

/**
 * Builds the Kinesis client a producer hands to {@link EventCollector}, honouring the standard endpoint
 * variables so the same code targets AWS, LocalStack or kinesalite.
 *
 * With a custom endpoint it uses an HTTP/1.1 `NodeHttpHandler`: the Kinesis client defaults to HTTP/2, which
 * kinesalite does not speak.
 *
 * @example
 * const collector = new EventCollector({ client: createKinesisClient(), streamName: 'all-use-events-dev' });
 */
export function createKinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  const endpoint = options.endpoint ?? env('AWS_ENDPOINT_URL_KINESIS') ?? env('AWS_ENDPOINT_URL');
  const region =
    options.region ??
    (endpoint && !env('AWS_REGION') && !env('AWS_DEFAULT_REGION') ? 'us-east-1' : undefined);
  return new KinesisClient({
    maxAttempts: options.maxAttempts ?? 1,
    ...(region ? { region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(endpoint ? { endpoint, requestHandler: new NodeHttpHandler() } : {}),
  });
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
