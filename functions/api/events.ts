/**
 * POST /v1/events: for producers that cannot use the collector library. Validates every event at the edge,
 * puts the acceptable ones on the stream (through the same collector: per-entry retries with backoff), and
 * answers per event. 400 only when nothing was acceptable; 503 when nothing could be put on the stream.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EventCollector } from '../../src/collector/index.ts';
import { EVENT_LIMITS, type ValidationIssue, validateEventBatch } from '../../src/core/events/index.ts';
import { requiredEnv } from '../commons/env.ts';
import { badRequest, httpErrorHandler, json, parseJsonBody } from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { clients } from '../commons/ports.ts';

/** At most this many events per request: one PutRecords request's worth. */
export const MAX_EVENTS_PER_REQUEST = EVENT_LIMITS.maxBatchEvents;
const MAX_BODY_BYTES = 5 * 1024 * 1024;

const collector = new EventCollector({
  client: clients.kinesis,
  streamName: requiredEnv('EVENTS_STREAM_NAME'),
  // Stay well inside API Gateway's 30 s integration timeout.
  maxAttempts: 4,
  backoffCapMs: 1_000,
  logger,
});

type EventResult =
  | { index: number; id: string; status: 'accepted'; shardId?: string; sequenceNumber?: string }
  | { index: number; id?: string; status: 'rejected'; errors: readonly ValidationIssue[] }
  | { index: number; id: string; status: 'failed'; reason: string };

function eventsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && 'events' in body) {
    const events = (body as { events: unknown }).events;
    if (!Array.isArray(events)) {
      throw badRequest('events must be an array', [
        { path: 'events', rule: 'type', message: 'expected an array' },
      ]);
    }
    return events;
  }
  return [body];
}

async function postEvents(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const events = eventsOf(parseJsonBody(event, MAX_BODY_BYTES));
  if (events.length === 0) {
    throw badRequest('no events in the request', [
      { path: 'events', rule: 'min', message: 'at least one event' },
    ]);
  }
  if (events.length > MAX_EVENTS_PER_REQUEST) {
    throw badRequest(`at most ${MAX_EVENTS_PER_REQUEST} events per request, got ${events.length}`, [
      { path: 'events', rule: 'max', message: `at most ${MAX_EVENTS_PER_REQUEST} events` },
    ]);
  }
  const validated = validateEventBatch(events);
  const results: EventResult[] = new Array(events.length);
  const puts: Promise<void>[] = [];
  validated.forEach((v, index) => {
    if (!v.ok) {
      const raw = events[index] as { id?: unknown } | null;
      const id = raw && typeof raw === 'object' && typeof raw.id === 'string' ? raw.id : undefined;
      results[index] = { index, ...(id === undefined ? {} : { id }), status: 'rejected', errors: v.errors };
      return;
    }
    const id = v.event.id;
    puts.push(
      collector.put(v.event).then(
        (receipt) => {
          results[index] = { index, id, status: 'accepted', ...receipt };
        },
        (error: unknown) => {
          results[index] = { index, id, status: 'failed', reason: (error as Error).message };
        },
      ),
    );
  });
  await collector.flush();
  await Promise.all(puts);

  const accepted = results.filter((r) => r.status === 'accepted').length;
  const rejected = results.filter((r) => r.status === 'rejected').length;
  const failed = results.length - accepted - rejected;
  const body = { accepted, rejected, failed, results };
  if (accepted === 0 && failed === 0) return json(400, { message: 'no event was acceptable', ...body });
  if (accepted === 0)
    return json(
      503,
      { message: 'the stream did not take the events; retry', ...body },
      { 'retry-after': '1' },
    );
  return json(202, body);
}

export const handler = middy(postEvents).use(injectLambdaContext(logger)).use(httpErrorHandler());
