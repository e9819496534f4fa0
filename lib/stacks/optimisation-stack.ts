import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  Fail,
  JsonPath,
  Map as MapState,
  Pass,
  StateMachine,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { acknowledge, acknowledgeWildcardResource } from '../constructs/nag.ts';
import { ProjectFunction } from '../constructs/project-function.ts';
import { lambdaStep, projectStateMachine } from '../constructs/workflow.ts';
import { LAKE_PREFIXES } from './storage-stack.ts';

export interface OptimisationStackProps extends StackProps {
  readonly config: StageConfig;
  readonly documentsTable: Table;
  readonly lake: IBucket;
}

/**
 * Iterations of ask -> evaluate -> tell per execution before the study continues in a fresh execution
 * (a standard execution's history holds 25,000 events; one iteration of a batch of b trials uses about
 * 10 + 6b of them).
 */
export const ITERATIONS_PER_EXECUTION = 150;

/**
 * The optimisation workflow: the study (created by the API) runs as repeat {ask a batch -> evaluate the
 * trials in parallel (Map) by invoking the named objective -> tell} until its budget, deadline, a plateau
 * or a stop request, then reports the best trial or the Pareto front. A failed trial is recorded, not
 * fatal; a failure of the workflow itself finishes the study as failed with the reason.
 */
export class OptimisationStack extends Stack {
  public readonly studyFunction: ProjectFunction;
  public readonly studyStateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: OptimisationStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.studyFunction = new ProjectFunction(this, 'StudyStepsFunction', {
      entry: 'functions/study-workflow/handler.ts',
      config,
      description: 'Steps of the optimisation workflow: ask a batch, evaluate one trial, tell, report',
      timeout: Duration.minutes(15),
      memorySize: 1769, // one full vCPU: objectives (backtests, model fits) are CPU bound
      environment: { POWERTOOLS_SERVICE_NAME: 'study-workflow' },
    });
    this.studyFunction
      .bindTable(props.documentsTable, 'DOCUMENTS_TABLE_NAME', 'readWrite')
      .bindBucketPrefixes(props.lake, 'LAKE_BUCKET_NAME', {
        read: [LAKE_PREFIXES.reference, LAKE_PREFIXES.datasets],
      });

    const fn = this.studyFunction;
    const reportFailure = lambdaStep(this, 'ReportFailure', fn, 'fail').next(
      new Fail(this, 'StudyFailed', { error: 'StudyFailed', causePath: '$.reason' }),
    );
    const onError = { resultPath: '$.error', errors: ['States.ALL'] };

    const ask = lambdaStep(this, 'AskBatch', fn, 'ask');
    ask.addCatch(reportFailure, onError);

    const evaluate = lambdaStep(this, 'EvaluateTrial', fn, 'evaluate');
    // A crashed evaluation (timeout, out of memory) is recorded as that trial's failure by the tell step.
    evaluate.addCatch(
      new Pass(this, 'EvaluationCrashed', {
        parameters: { 'number.$': '$.trial.number', 'error.$': '$.error' },
      }),
      { resultPath: '$.error', errors: ['States.ALL'] },
    );
    const evaluateAll = new MapState(this, 'EvaluateTrials', {
      itemsPath: '$.trials',
      itemSelector: { 'studyId.$': '$.studyId', 'trial.$': '$$.Map.Item.Value' },
      maxConcurrency: 10,
      resultPath: '$.results',
    });
    evaluateAll.itemProcessor(evaluate);
    evaluateAll.addCatch(reportFailure, onError);

    const tell = lambdaStep(this, 'TellResults', fn, 'tell');
    tell.addCatch(reportFailure, onError);

    const finish = lambdaStep(this, 'Report', fn, 'report');
    finish.addCatch(reportFailure, onError);

    const machineName = `all-use-study-${config.stage}`;
    const continueAsNew = new StepFunctionsStartExecution(this, 'ContinueInNewExecution', {
      // The machine itself, by name (a construct reference would be circular).
      stateMachine: StateMachine.fromStateMachineName(this, 'Self', machineName),
      input: TaskInput.fromObject({ 'studyId.$': '$.studyId', 'generation.$': '$.nextGeneration' }),
      name: JsonPath.format('{}-g{}', JsonPath.stringAt('$.studyId'), JsonPath.stringAt('$.nextGeneration')),
      resultPath: JsonPath.DISCARD,
    });
    continueAsNew.addCatch(reportFailure, onError);
    continueAsNew.next(new Succeed(this, 'Continued'));

    const waitForOthers = new Wait(this, 'WaitForRunningTrials', {
      time: WaitTime.duration(Duration.seconds(10)),
    });
    const loop = new Choice(this, 'Done?')
      .when(Condition.booleanEquals('$.done', true), finish)
      .when(Condition.isPresent('$.trials[0]'), evaluateAll)
      .otherwise(waitForOthers);
    // Checked before asking, never after: an ask reserves trials, which must be evaluated by this execution.
    const next = new Choice(this, 'ContinueInNewExecution?')
      .when(Condition.numberGreaterThanEquals('$.iteration', ITERATIONS_PER_EXECUTION), continueAsNew)
      .otherwise(ask);
    waitForOthers.next(next);
    ask.next(loop);
    evaluateAll.next(tell);
    tell.next(next);

    this.studyStateMachine = projectStateMachine(this, 'StudyWorkflow', {
      config,
      name: machineName,
      definition: ask,
      timeout: Duration.days(7),
      comment:
        'ALL-USE optimisation study: ask, evaluate in parallel, tell, until budget/deadline/plateau/stop',
    });
    acknowledgeWildcardResource(
      this.studyStateMachine,
      `${fn.functionArn}:*`,
      'Step Functions grants lambda:InvokeFunction on the function and its versions (CDK LambdaInvoke default).',
    );
    acknowledge(
      this.studyStateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (PutTraceSegments/PutTelemetryRecords) and CloudWatch Logs log delivery for the state machine logs have no resource-level permissions.',
    );
  }
}
