/** GET /v1/ingestion/stats?from=&to= : ingestion accounting summed over whole hours (default: the last 24 h). */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ValidationIssue } from '../../src/core/events/index.ts';
import { captureRate } from '../../src/core/ingest/process-batch.ts';
import {
  badRequest,
  collecting,
  httpErrorHandler,
  invalidQueryMessage,
  json,
  parseTimeParam,
} from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { ingestionStats } from '../commons/ports.ts';

const HOUR = 3_600_000;

async function getStats(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const q = event.queryStringParameters ?? {};
  const now = Date.now();
  const errors: ValidationIssue[] = [];
  const to = collecting(errors, () => parseTimeParam('to', q.to, Math.ceil(now / HOUR) * HOUR));
  const from = collecting(errors, () => parseTimeParam('from', q.from, (to ?? now) - 24 * HOUR));
  if (from !== undefined && to !== undefined && from >= to) {
    errors.push({ path: 'from', rule: 'range', message: 'from must be before to: the range is empty' });
  } else if (from !== undefined && to !== undefined && to - from > 366 * 24 * HOUR) {
    errors.push({ path: 'from', rule: 'max_range', message: 'the range may span at most 366 days' });
  }
  if (errors.length > 0 || from === undefined || to === undefined) {
    throw badRequest(invalidQueryMessage('ingestion stats', errors), errors);
  }
  const totals = await ingestionStats().read(from, to);
  return json(200, {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...totals,
    captureRate: captureRate(totals),
  });
}

export const handler = middy(getStats).use(injectLambdaContext(logger)).use(httpErrorHandler());
