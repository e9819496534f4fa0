/**
 * Training runs and approvals:
 *   POST /v1/training-runs           validates the request, records the run, starts the workflow (202)
 *   GET  /v1/training-runs?limit=&cursor=   newest first
 *   GET  /v1/training-runs/{id}      stage, candidates, version, comparison, outcome or error
 *   GET  /v1/approvals/{id}          a pending (or decided) approval, without its task token
 *   POST /v1/approvals/{id}          { "decision": "approve" | "reject", "reason": "..." } answers the workflow
 * The approver is the IAM caller (SigV4) when there is one, otherwise the body's `actor`.
 */
import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LearningError, TrainingRequestError } from '../../src/core/learning/index.ts';
import {
  type Approval,
  createTrainingRun,
  decideApproval,
  type TrainingRun,
  TrainingStepError,
} from '../../src/core/workflows/training.ts';
import { requiredEnv } from '../commons/env.ts';
import {
  badRequest,
  bodyWithId,
  callerArn,
  HttpError,
  json,
  listPage,
  parseDecision,
  routedHandler,
} from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { clients, recordStore } from '../commons/ports.ts';

const runs = recordStore<TrainingRun>('training-run');
const approvals = recordStore<Approval>('approval');
const MAX_BODY_BYTES = 64 * 1024;

const withoutToken = ({ token: _token, ...rest }: Approval) => rest;

async function route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const id = event.pathParameters?.id ?? '';
  switch (event.routeKey) {
    case 'POST /v1/training-runs': {
      const { id: runId, rest: request } = bodyWithId(event, 'run', MAX_BODY_BYTES);
      const { run, created } = await createTrainingRun({ runs: runs(), now: Date.now }, request, {
        id: runId,
        requestedBy: callerArn(event) ?? 'anonymous',
      });
      await clients.sfn
        .send(
          new StartExecutionCommand({
            stateMachineArn: requiredEnv('TRAINING_STATE_MACHINE_ARN'),
            name: runId,
            input: JSON.stringify({ runId }),
          }),
        )
        .catch((error: Error) => {
          if (error.name !== 'ExecutionAlreadyExists') throw error;
        });
      logger.info('training run started', { runId, created, model: run.model });
      return json(created ? 202 : 200, {
        id: runId,
        status: run.status,
        links: { self: `/v1/training-runs/${runId}` },
      });
    }
    case 'GET /v1/training-runs':
      return json(200, await listPage(runs(), event));
    case 'GET /v1/training-runs/{id}': {
      const run = await runs().get(id);
      if (!run) throw new HttpError(404, `no training run ${id}`);
      return json(200, run);
    }
    case 'GET /v1/approvals/{id}': {
      const approval = await approvals().get(id);
      if (!approval) throw new HttpError(404, `no approval ${id}`);
      return json(200, withoutToken(approval));
    }
    case 'POST /v1/approvals/{id}': {
      const { approve, actor, reason } = parseDecision(event);
      const decision = approve ? 'approve' : 'reject';
      const { approval, decided } = await decideApproval({ approvals: approvals(), now: Date.now }, id, {
        approve,
        actor,
        reason,
      });
      if (!decided)
        throw new HttpError(
          409,
          `approval ${id} was already decided: ${approval.status} by ${approval.actor}`,
        );
      try {
        await clients.sfn.send(
          new SendTaskSuccessCommand({
            taskToken: approval.token,
            output: JSON.stringify({ approved: decision === 'approve', actor, reason }),
          }),
        );
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'TaskDoesNotExist' || name === 'TaskTimedOut' || name === 'InvalidToken')
          throw new HttpError(409, `training run ${approval.runId} no longer waits for a decision (${name})`);
        throw error;
      }
      return json(200, withoutToken(approval));
    }
    default:
      throw new HttpError(404, `no route ${event.routeKey}`);
  }
}

export const handler = routedHandler(route, (error) => {
  if (error instanceof TrainingRequestError)
    return badRequest(`invalid training request: ${error.message}`, error.issues);
  if (error instanceof LearningError)
    return badRequest(error.message, [{ path: error.field, rule: error.rule, message: error.message }]);
  if (error instanceof TrainingStepError) return new HttpError(404, error.message);
  return error;
});
