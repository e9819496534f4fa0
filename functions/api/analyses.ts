/**
 * POST /v1/analyses runs one analysis kind over a series selector and time range, stores the result and
 * returns it with its id; GET /v1/analyses/{id} returns a stored one. Bad requests get a 400 naming every
 * problem (unknown kind, empty range, too many points, bad parameters).
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseAnalysisRequest } from '../../src/core/analytics/analysis.ts';
import { executeAnalysis } from '../../src/core/analytics/service.ts';
import { badRequest, HttpError, httpErrorHandler, json, parseJsonBody } from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { analysisPorts, documentStore } from '../commons/ports.ts';

const ID = /^an-[0-9a-f-]{36}$/;

async function createAnalysis(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const parsed = parseAnalysisRequest(parseJsonBody(event, 64 * 1024));
  if (!parsed.ok) {
    const first = parsed.errors[0]!;
    throw badRequest(
      parsed.errors.length === 1
        ? `invalid analysis request: ${first.path}: ${first.message}`
        : `invalid analysis request: ${parsed.errors.length} problems`,
      parsed.errors,
    );
  }
  const analysis = await executeAnalysis(parsed.request, {
    ...analysisPorts(),
    newId: () => `an-${randomUUID()}`,
  });
  logger.info('analysis done', {
    id: analysis.id,
    kind: analysis.kind,
    series: analysis.series.length,
    durationMs: analysis.durationMs,
    events: analysis.events,
  });
  return json(201, analysis, { location: `/v1/analyses/${analysis.id}` });
}

async function getAnalysis(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const id = event.pathParameters?.id ?? '';
  if (!ID.test(id)) {
    throw badRequest('id must look like an-<uuid>', [
      { path: 'id', rule: 'pattern', message: 'must look like an-<uuid>' },
    ]);
  }
  const document = await documentStore().get(id);
  if (document?.type !== 'analysis') throw new HttpError(404, `no analysis ${id}`);
  return json(200, document.body);
}

async function analyses(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return event.routeKey === 'GET /v1/analyses/{id}' ? getAnalysis(event) : createAnalysis(event);
}

export const handler = middy(analyses).use(injectLambdaContext(logger)).use(httpErrorHandler());
