/**
 * Classification of AWS SDK errors for the stores: what is worth retrying (the batch goes back to the
 * stream) and what a point can never get past (it is rejected and quarantined with the reason).
 * The SDK has already retried throttling and 5xx by the time an error reaches this code.
 */
import { TransientStoreError } from '../core/ports.ts';

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'InternalServerError',
  'InternalServerException',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** True for throttling, timeouts, 5xx and dropped connections: failures that a later retry may get past. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as SdkLikeError;
  if (typeof candidate.name === 'string' && TRANSIENT_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && TRANSIENT_NETWORK_CODES.has(candidate.code)) return true;
  if (candidate.$retryable !== undefined && candidate.$retryable !== null) return true;
  const status = candidate.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** True when the service refused the request's content for good (e.g. an attribute too large). */
export function isValidationError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as SdkLikeError).name === 'ValidationException'
  );
}

/** True when a conditional write lost (the item exists, or another writer got there first). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as SdkLikeError).name === 'ConditionalCheckFailedException'
  );
}

/** `name: message` of an error, for reasons and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Runs one SDK call; throttling, 5xx and dropped connections become TransientStoreError (the caller may
 * retry; Step Functions retries it by name), anything else is rethrown as it is.
 *
 * @example await transientAware('DynamoDB study store call', () => client.send(command));
 */
export async function transientAware<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransientAwsError(error))
      throw new TransientStoreError(`${what} failed: ${describeError(error)}`, undefined, { cause: error });
    throw error;
  }
}
