import { Duration } from 'aws-cdk-lib';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  type IChainable,
  JitterType,
  LogLevel,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import type { ProjectFunction } from './project-function.ts';

/**
 * Errors our step handlers throw for conditions worth retrying (throttling, a conflict that a re-read
 * resolves); everything else fails the step at once. Lambda's own service errors are retried by CDK's
 * default LambdaInvoke retry.
 */
export const TRANSIENT_STEP_ERRORS = [
  'TransientStoreError',
  'ThrottlingException',
  'Lambda.TooManyRequestsException',
];

/**
 * A Lambda step of a workflow: `{ step, ...state }` in, the handler's return value out (the Payload only),
 * with retries of transient errors on exponential backoff and full jitter.
 */
export function lambdaStep(
  scope: Construct,
  id: string,
  fn: ProjectFunction,
  step: string,
  options: { readonly payload?: Record<string, unknown>; readonly resultPath?: string } = {},
): LambdaInvoke {
  const task = new LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payload: TaskInput.fromObject({ step, ...(options.payload ?? { 'state.$': '$' }) }),
    ...(options.resultPath
      ? { resultSelector: { 'value.$': '$.Payload' }, resultPath: options.resultPath }
      : { outputPath: '$.Payload' }),
    retryOnServiceExceptions: true,
  });
  task.addRetry({
    errors: TRANSIENT_STEP_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 5,
    jitterStrategy: JitterType.FULL,
  });
  return task;
}

/**
 * A standard state machine with the project's defaults: JSONPath (the local interpreter has no JSONata),
 * every state logged to its own log group without execution data (it may hold training data), X-Ray
 * tracing, and a timeout.
 */
export function projectStateMachine(
  scope: Construct,
  id: string,
  props: { config: StageConfig; name: string; definition: IChainable; timeout: Duration; comment: string },
): StateMachine {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: props.config.logRetention,
    removalPolicy: props.config.removalPolicy,
  });
  return new StateMachine(scope, id, {
    stateMachineName: props.name,
    stateMachineType: StateMachineType.STANDARD,
    definitionBody: DefinitionBody.fromChainable(props.definition),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    comment: props.comment,
  });
}
