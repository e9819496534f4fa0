/**
 * Parameter reviews of the ALL-USE protocol (walk-forward tuning judged out of sample):
 *   POST /v1/parameter-reviews                 runs a review now (bounded work) and records the proposal
 *   GET  /v1/parameter-proposals?limit=&cursor=   newest first
 *   GET  /v1/parameter-proposals/{id}          the proposal: params, OOS metrics against the baseline, tier
 *   POST /v1/parameter-proposals/{id}/decision { "decision": "approve" | "reject", "reason": "..." }
 * Proposals that the oversight tiers apply automatically are `applied` at once; the others wait for a
 * named person. Events: ParametersProposed, ParametersApproved (see src/core/tuning/events.ts).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  decideProposal,
  type ProposalRecord,
  type ReviewDeps,
  ReviewRequestError,
  reviewParameters,
  validateReviewRequest,
} from '../../src/core/tuning/review.ts';
import {
  badRequest,
  bodyWithId,
  HttpError,
  json,
  listPage,
  parseDecision,
  routedHandler,
} from '../commons/http.ts';
import { loadMarketData } from '../commons/lake-inputs.ts';
import { logger } from '../commons/observability.ts';
import { eventPublisher, lazy, recordStore } from '../commons/ports.ts';

const MAX_BODY_BYTES = 16 * 1024;
const proposals = recordStore<ProposalRecord>('parameter-proposal');
const deps = lazy((): ReviewDeps => ({ proposals: proposals(), events: eventPublisher(), now: Date.now }));

async function route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const id = event.pathParameters?.id ?? '';
  switch (event.routeKey) {
    case 'POST /v1/parameter-reviews': {
      const { id: reviewId, rest } = bodyWithId(event, 'review', MAX_BODY_BYTES);
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
    case 'GET /v1/parameter-proposals':
      return json(200, await listPage(proposals(), event));
    case 'GET /v1/parameter-proposals/{id}': {
      const record = await proposals().get(id);
      if (!record) throw new HttpError(404, `no parameter proposal ${id}`);
      return json(200, record);
    }
    case 'POST /v1/parameter-proposals/{id}/decision': {
      const decision = parseDecision(event, MAX_BODY_BYTES);
      const outcome = await decideProposal(deps(), id, decision);
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

export const handler = routedHandler(route, (error) =>
  error instanceof ReviewRequestError
    ? badRequest(`invalid parameter review: ${error.message}`, error.issues)
    : error,
);
