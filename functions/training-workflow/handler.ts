/**
 * The steps of the training workflow (lib/stacks/learning-stack.ts), one function dispatching on `step`:
 * prepare | train | register | register-sagemaker | compare | request-approval | promote | reject | fail.
 * The logic is src/core/workflows/training.ts; this file wires its ports. Errors keep their names so the
 * state machine's Retry (TransientStoreError) and Catch can match them.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import {
  type Approval,
  compareStep,
  failRun,
  prepareDataset,
  promote,
  registerBest,
  registerSageMakerModel,
  reject,
  requestApproval,
  type TrainingDeps,
  type TrainingRun,
  TrainingStepError,
  trainOne,
} from '../../src/core/workflows/training.ts';
import { requiredEnv } from '../commons/env.ts';
import { loadDataset } from '../commons/lake-inputs.ts';
import { logger } from '../commons/observability.ts';
import {
  eventPublisher,
  experimentStore,
  lazy,
  modelRegistry,
  objectStore,
  recordStore,
  seriesStore,
} from '../commons/ports.ts';

export const trainingRuns = recordStore<TrainingRun>('training-run');
export const approvals = recordStore<Approval>('approval');

const deps = lazy(
  (): TrainingDeps => ({
    runs: trainingRuns(),
    approvals: approvals(),
    blobs: objectStore(),
    loadDataset,
    registry: modelRegistry(),
    events: eventPublisher(),
    experiments: experimentStore(),
    get series() {
      return seriesStore();
    },
    bucket: requiredEnv('LAKE_BUCKET_NAME'),
    codeVersion: process.env.CODE_VERSION ?? 'unknown',
    now: Date.now,
  }),
);

// biome-ignore lint/suspicious/noExplicitAny: the state is whatever the previous step returned
type State = any;

async function run(event: { step: string; state: State; token?: string }): Promise<unknown> {
  const { step, state } = event;
  const d = deps();
  logger.info('step', { step, runId: state?.runId });
  switch (step) {
    case 'prepare':
      return prepareDataset(d, state.runId);
    case 'train':
      return trainOne(d, state);
    case 'register':
      return registerBest(d, state);
    case 'register-sagemaker':
      return registerSageMakerModel(d, state);
    case 'compare':
      return compareStep(d, state);
    case 'request-approval':
      return requestApproval(d, state, event.token!);
    case 'promote':
      return promote(d, state);
    case 'reject':
      return reject(d, state);
    case 'fail':
      return failRun(d, state);
    default:
      throw new TrainingStepError(`unknown step "${step}"`);
  }
}

export const handler = middy(run).use(injectLambdaContext(logger));
