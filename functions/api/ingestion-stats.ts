/** GET /v1/ingestion/stats?from=&to= : ingestion accounting summed over whole hours (default: the last 24 h). */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { captureRate } from '../../src/core/ingest/process-batch.ts';
import { badRequest, httpErrorHandler, json, parseTimeParam } from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { ingestionStats } from '../commons/ports.ts';

const HOUR = 3_600_000;

async function getStats(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const q = event.queryStringParameters ?? {};
  const now = Date.now();
  const to = parseTimeParam('to', q.to, Math.ceil(now / HOUR) * HOUR);
  const from = parseTimeParam('from', q.from, to - 24 * HOUR);
  if (from >= to)
    throw badRequest('from must be before to', [
      { path: 'from', rule: 'range', message: 'the range is empty' },
    ]);
  if (to - from > 366 * 24 * HOUR) {
    throw badRequest('the range may span at most 366 days', [
      { path: 'from', rule: 'max_range', message: 'at most 366 days' },
    ]);
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
