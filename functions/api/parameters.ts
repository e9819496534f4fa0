/**
 * Parameter reviews of the ALL-USE protocol (walk-forward tuning judged out of sample):
 *   POST /v1/parameter-reviews                 runs a review now (bounded work) and records the proposal
 *   GET  /v1/parameter-proposals/{id}          the proposal: params, OOS metrics against the baseline, tier
 *   POST /v1/parameter-proposals/{id}/decision { "decision": "approve" | "reject", "reason": "..." }
 * Proposals that the oversight tiers apply automatically are `applied` at once; the others wait for a
 * named person. Events: ParametersProposed, ParametersApproved (see src/core/tuning/events.ts).
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  decideProposal,
  type ProposalRecord,
  type ReviewDeps,
  ReviewRequestError,
  reviewParameters,
  validateReviewRequest,
} from '../../src/core/tuning/review.ts';
import { badRequest, HttpError, httpErrorHandler, json, parseJsonBody } from '../commons/http.ts';
import { loadMarketData } from '../commons/market-data.ts';
import { logger } from '../commons/observability.ts';
import { eventPublisher, lazy, recordStore } from '../commons/ports.ts';

const MAX_BODY_BYTES = 16 * 1024;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
const proposals = recordStore<ProposalRecord>('parameter-proposal');
const deps = lazy((): ReviewDeps => ({ proposals: proposals(), events: eventPublisher(), now: Date.now }));

const caller = (event: APIGatewayProxyEventV2): string | undefined =>
  (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer?.iam?.userArn;

async function route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const id = event.pathParameters?.id ?? '';
  switch (event.routeKey) {
    case 'POST /v1/parameter-reviews': {
      const body = parseJsonBody(event, MAX_BODY_BYTES) as Record<string, unknown> | null;
      const { id: requested, ...rest } = body ?? {};
      const reviewId = requested === undefined ? `review-${randomUUID()}` : String(requested);
      if (!ID.test(reviewId))
        throw badRequest('id must match [A-Za-z0-9][A-Za-z0-9_-]{0,79}', [
          { path: 'id', rule: 'pattern', message: `not an id: ${reviewId}` },
        ]);
      const request = validateReviewRequest(rest);
      const data = await loadMarketData({ symbol: request.symbol }).catch((error: Error) => {
        throw new HttpError(404, `no market data for ${request.symbol}: ${error.message}`);
      });
      const started = Date.now();
      const { record, created } = await reviewParameters(deps(), reviewId, request, data);
      logger.info('parameter review', {
        id: reviewId,
        created,
        tier: record.proposal.tier,
        beatsBaseline: record.proposal.beatsBaseline,
        ms: Date.now() - started,
      });
      return json(created ? 201 : 200, record);
    }
    case 'GET /v1/parameter-proposals/{id}': {
      const record = await proposals().get(id);
      if (!record) throw new HttpError(404, `no parameter proposal ${id}`);
      return json(200, record);
    }
    case 'POST /v1/parameter-proposals/{id}/decision': {
      const body = parseJsonBody(event, MAX_BODY_BYTES) as Record<string, unknown> | null;
      if (body?.decision !== 'approve' && body?.decision !== 'reject')
        throw badRequest('decision must be "approve" or "reject"', [
          { path: 'decision', rule: 'enum', message: `got ${JSON.stringify(body?.decision)}` },
        ]);
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      if (reason.length < 3 || reason.length > 500)
        throw badRequest('reason is required (3..500 characters)', [
          { path: 'reason', rule: 'length', message: 'must be 3..500 characters' },
        ]);
      const actor = caller(event) ?? (typeof body.actor === 'string' && body.actor ? body.actor : undefined);
      if (!actor)
        throw badRequest('actor is required when the request is not signed', [
          { path: 'actor', rule: 'required', message: 'name who decides' },
        ]);
      const outcome = await decideProposal(deps(), id, {
        approve: body.decision === 'approve',
        actor,
        reason,
      });
      if (!outcome) throw new HttpError(404, `no parameter proposal ${id}`);
      if (!outcome.decided)
        throw new HttpError(
          409,
          `proposal ${id} is ${outcome.record.status}${outcome.record.decidedBy ? ` (by ${outcome.record.decidedBy})` : ''}`,
        );
      return json(200, outcome.record);
    }
    default:
      throw new HttpError(404, `no route ${event.routeKey}`);
  }
}

export const handler = middy(async (event: APIGatewayProxyEventV2) => {
  try {
    return await route(event);
  } catch (error) {
    if (error instanceof ReviewRequestError)
      throw badRequest(`invalid parameter review: ${error.message}`, error.issues);
    throw error;
  }
})
  .use(injectLambdaContext(logger))
  .use(httpErrorHandler());
