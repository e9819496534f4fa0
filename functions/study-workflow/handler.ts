/**
 * The steps of the optimisation workflow (lib/stacks/optimisation-stack.ts), one function dispatching on
 * `step`: ask | evaluate | tell | report | fail. The logic lives in src/core/optimise/service.ts; this file
 * wires the DynamoDB study store, the objective registry and the market-data loader (S3, cached per
 * container, functions/commons/lake-inputs.ts). Errors keep their names so the state machine's Retry/Catch can match them.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { defaultObjectives } from '../../src/core/optimise/objectives.ts';
import {
  askBatch,
  evaluateTrial,
  loadTrials,
  report,
  type StudyServiceDeps,
  type TellItem,
  tellBatch,
} from '../../src/core/optimise/service.ts';
import { loadDataset, loadMarketData } from '../commons/lake-inputs.ts';
import { logger } from '../commons/observability.ts';
import { lazy, studyStore } from '../commons/ports.ts';

const deps = lazy(
  (): StudyServiceDeps => ({
    store: studyStore(),
    objectives: defaultObjectives(),
    now: Date.now,
  }),
);
interface StudyState {
  readonly studyId: string;
  readonly generation?: number;
  readonly iteration?: number;
  readonly results?: readonly TellItem[];
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly trial?: { readonly number: number; readonly params: Record<string, unknown> };
}

type StepEvent = { readonly step: string; readonly state: StudyState };

async function run(event: StepEvent, context: Context): Promise<unknown> {
  const { step, state } = event;
  const d = deps();
  switch (step) {
    case 'ask': {
      const generation = state.generation ?? 0;
      const iteration = (state.iteration ?? 0) + 1;
      const workerId = `${state.studyId}-g${generation}`.slice(0, 80);
      const outcome = await askBatch(d, state.studyId, { workerId, askId: `${workerId}-i${iteration}` });
      logger.info('asked', {
        studyId: state.studyId,
        trials: outcome.trials.length,
        done: outcome.done,
        reason: outcome.reason,
      });
      return { ...outcome, generation, nextGeneration: generation + 1, iteration };
    }
    case 'evaluate': {
      const trial = state.trial!;
      const study = await d.store.getStudy(state.studyId);
      const peers = study.definition.pruner ? await loadTrials(d.store, state.studyId, 'complete') : [];
      const result = await evaluateTrial(d.objectives, study.definition, trial as never, {
        context: { loadMarketData, services: { loadDataset } },
        peers,
        // Leave a minute of the function's time for recording the result.
        timeoutMs: Math.max(1000, context.getRemainingTimeInMillis() - 60_000),
      });
      return { number: trial.number, result };
    }
    case 'tell': {
      const told = await tellBatch(d, state.studyId, state.results ?? []);
      const generation = state.generation ?? 0;
      return {
        studyId: state.studyId,
        generation,
        nextGeneration: generation + 1,
        iteration: state.iteration ?? 0,
        told: told.outcomes.length,
      };
    }
    case 'report':
      return report(d, state.studyId);
    case 'fail': {
      const reason = `${state.error?.Error ?? 'Error'}: ${state.error?.Cause ?? 'unknown'}`;
      await report(d, state.studyId, { failure: reason });
      return { studyId: state.studyId, reason };
    }
    default:
      throw new Error(`unknown step "${step}"`);
  }
}

export const handler = middy(run).use(injectLambdaContext(logger));
