/**
 * Retry policy: which Kinesis failures are worth another attempt, and how long to wait before it.
 */

/** Per-record ErrorCodes of a PutRecords response that a later attempt may overcome. */
const RETRYABLE_RECORD_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'InternalFailure',
  'KMSThrottlingException',
  'ThrottlingException',
  'ServiceUnavailable',
]);

/** Per-record ErrorCodes that will fail the same way every time (stream key disabled, denied, missing...). */
const PERMANENT_RECORD_CODES = new Set([
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSAccessDeniedException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ValidationException',
  'InvalidArgumentException',
]);

/** Whole-request errors that a later attempt may overcome (throttling, server side, expired session). */
const RETRYABLE_REQUEST_ERRORS = new Set([
  ...RETRYABLE_RECORD_CODES,
  'LimitExceededException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalFailureException',
  'InternalServerError',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ExpiredTokenException',
]);

/** Whole-request errors that no retry can fix: the stream, the request or the credentials are wrong. */
const PERMANENT_REQUEST_ERRORS = new Set([
  ...PERMANENT_RECORD_CODES,
  'ResourceInUseException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'SerializationException',
  'InvalidClientTokenId',
]);

/** Whether a per-record ErrorCode is worth retrying; unknown codes are retried (bounded by maxAttempts). */
export function isRetryableRecordError(code: string): boolean {
  return !PERMANENT_RECORD_CODES.has(code);
}

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/**
 * Whether a rejected PutRecords call is worth retrying.
 * Known codes decide first; then the HTTP status (429 and 5xx retry, other 4xx do not); an error without a
 * status never reached the service (connection reset, DNS, timeout) and is retried.
 */
export function isRetryableRequestError(error: unknown): boolean {
  const shape: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : '';
  if (PERMANENT_REQUEST_ERRORS.has(name)) return false;
  if (RETRYABLE_REQUEST_ERRORS.has(name)) return true;
  if (shape.$retryable !== undefined && shape.$retryable !== null && shape.$retryable !== false) return true;
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status === 429 || status >= 500;
  return true;
}

/** `Name: message` of any thrown value, for reasons shown to callers and dead-letter handlers. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Error code of a thrown value when it carries one (SDK service exceptions use `name`). */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof Error && error.name !== 'Error') return error.name;
  return undefined;
}

/**
 * Exponential backoff with full jitter: a uniform draw in [0, min(cap, base * 2^(attempt-1))).
 * Full jitter spreads retries of many producers hitting the same hot shard, instead of having them retry
 * in lock step (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 *
 * @param attempt 1 after the first failed attempt, 2 after the second...
 * @example backoffDelayMs(3, 100, 5000, () => 0.5) // 200: ceiling 400, half of it
 */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
