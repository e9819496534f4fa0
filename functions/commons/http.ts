/**
 * HTTP plumbing shared by the API handlers: typed errors, JSON responses, and one middy error handler that
 * turns errors into responses (details for 4xx only; a 500 never echoes internal errors).
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import type { ValidationIssue } from '../../src/core/events/index.ts';
import { parseInstant } from '../../src/core/series/index.ts';
import {
  type RecordPage,
  type RecordStore,
  RecordStoreError,
  type StatusRecord,
} from '../../src/core/workflows/records.ts';
import { logger } from './observability.ts';

/** An error that maps to an HTTP status; `errors` lists field-level problems for the client. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: readonly ValidationIssue[],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, errors?: readonly ValidationIssue[]): HttpError =>
  new HttpError(400, message, errors);

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** Parses a JSON request body (base64 when API Gateway says so), or throws a 400 that says what is wrong. */
export function parseJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  if (event.body === undefined || event.body === '') throw badRequest('request body is required (JSON)');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new HttpError(413, `request body exceeds ${maxBytes} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`request body is not valid JSON: ${(error as Error).message}`, [
      { path: '(body)', rule: 'json', message: (error as Error).message },
    ]);
  }
}

/**
 * Middy error handler: HttpError becomes its status with `{ message, errors }`; anything else is logged
 * and becomes a 500 with a request id, never the internal message.
 */
export const httpErrorHandler = (): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> => ({
  onError: async function httpErrorHandlerOnError(request) {
    const { error } = request;
    if (error instanceof HttpError) {
      request.response = json(error.statusCode, {
        message: error.message,
        ...(error.errors ? { errors: error.errors } : {}),
      });
      return;
    }
    const requestId = request.context?.awsRequestId ?? 'unknown';
    logger.error('unhandled error', { error: error as Error, requestId });
    request.response = json(500, { message: 'internal error', requestId });
  },
});

/** Reads a query-string parameter as a time: epoch milliseconds or ISO-8601 with a timezone. */
export function parseTimeParam(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = parseInstant(value);
  if (ms === undefined) {
    throw badRequest(`${name} must be epoch milliseconds or ISO-8601 with a timezone`, [
      { path: name, rule: 'time', message: `not a time: ${value}` },
    ]);
  }
  return ms;
}

/**
 * Runs a parser that throws a 400 and collects its field problems instead, so that a request hears of all
 * its problems at once.
 */
export function collecting<T>(errors: ValidationIssue[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400 && error.errors) {
      errors.push(...error.errors);
      return undefined;
    }
    throw error;
  }
}

/** The message of a 400 for a query: the problem itself when there is one, a count otherwise. */
export function invalidQueryMessage(what: string, errors: readonly ValidationIssue[]): string {
  return errors.length === 1
    ? `invalid ${what} query: ${errors[0]!.path}: ${errors[0]!.message}`
    : `invalid ${what} query: ${errors.length} problems`;
}

/** The IAM caller of a SigV4-signed request (API Gateway's IAM authoriser), if any. */
export function callerArn(event: APIGatewayProxyEventV2): string | undefined {
  return (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer?.iam?.userArn;
}

/** A human decision on something waiting (an approval, a proposal). */
export interface Decision {
  readonly approve: boolean;
  /** The IAM caller when the request is signed, else the body's `actor`. */
  readonly actor: string;
  readonly reason: string;
}

/**
 * Parses `{ "decision": "approve" | "reject", "reason": "...", "actor"?: "..." }`; every problem is a 400
 * naming the field. The reason is required: it goes into the history of what was decided.
 */
export function parseDecision(event: APIGatewayProxyEventV2, maxBytes = 16 * 1024): Decision {
  const body = parseJsonBody(event, maxBytes) as Record<string, unknown> | null;
  if (body?.decision !== 'approve' && body?.decision !== 'reject')
    throw badRequest('decision must be "approve" or "reject"', [
      { path: 'decision', rule: 'enum', message: `got ${JSON.stringify(body?.decision)}` },
    ]);
  const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
  if (reason.length < 3 || reason.length > 500)
    throw badRequest('reason is required (3..500 characters): it is kept with the decision', [
      { path: 'reason', rule: 'length', message: 'must be 3..500 characters' },
    ]);
  const actor = callerArn(event) ?? (typeof body.actor === 'string' && body.actor ? body.actor : undefined);
  if (!actor)
    throw badRequest('actor is required when the request is not signed', [
      { path: 'actor', rule: 'required', message: 'name who decides' },
    ]);
  return { approve: body.decision === 'approve', actor, reason };
}

/**
 * Wraps a router as an API handler: errors the router's domain throws become HttpErrors through
 * `toHttpError` (return the error unchanged when it is not one of yours), then the shared error handler.
 */
export function routedHandler(
  route: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
  toHttpError: (error: unknown) => unknown = (e) => e,
) {
  return middy(async (event: APIGatewayProxyEventV2) => {
    try {
      return await route(event);
    } catch (error) {
      throw toHttpError(error);
    }
  })
    .use(injectLambdaContext(logger))
    .use(httpErrorHandler());
}

/**
 * One page of a workflow record store for `?limit=&cursor=` (newest first); a bad limit or cursor is a 400
 * naming it.
 */
export async function listPage<T extends StatusRecord>(
  store: RecordStore<T>,
  event: APIGatewayProxyEventV2,
): Promise<RecordPage<T>> {
  const q = event.queryStringParameters ?? {};
  const limit = q.limit === undefined ? undefined : Number(q.limit);
  try {
    return await store.list({
      ...(limit !== undefined ? { limit } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  } catch (error) {
    if (error instanceof RecordStoreError)
      throw badRequest(error.message, [{ path: error.field, rule: 'invalid', message: error.message }]);
    throw error;
  }
}

/** Ids callers may choose for what they create (a retried POST with the same id is idempotent). */
export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/**
 * A creating POST's JSON body split into its optional `id` (made up with `prefix` when absent; a bad one
 * is a 400 naming it) and the rest.
 */
export function bodyWithId(
  event: APIGatewayProxyEventV2,
  prefix: string,
  maxBytes: number,
): { id: string; rest: Record<string, unknown> } {
  const body = parseJsonBody(event, maxBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('request body must be a JSON object', [
      { path: '(body)', rule: 'object', message: 'must be a JSON object' },
    ]);
  const { id: requested, ...rest } = body as Record<string, unknown>;
  const id = requested === undefined ? `${prefix}-${randomUUID()}` : String(requested);
  if (!CLIENT_ID.test(id))
    throw badRequest(`id must match ${CLIENT_ID.source}`, [
      { path: 'id', rule: 'pattern', message: `not an id: ${id.slice(0, 100)}` },
    ]);
  return { id, rest };
}

/** The error codes the stores share (registry, experiments, studies) and the statuses they mean. */
const STATUS_OF_CODE = { not_found: 404, invalid: 400, conflict: 409 } as const;

/** A store's coded error as an HttpError: not_found 404, invalid 400 (naming the field), conflict 409. */
export function codedHttpError(error: {
  readonly code: keyof typeof STATUS_OF_CODE;
  readonly message: string;
  readonly field?: string | undefined;
}): HttpError {
  return new HttpError(
    STATUS_OF_CODE[error.code],
    error.message,
    error.code === 'invalid'
      ? [{ path: error.field ?? '(request)', rule: 'invalid', message: error.message }]
      : undefined,
  );
}
