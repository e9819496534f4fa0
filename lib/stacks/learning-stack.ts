import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  Fail,
  IntegrationPattern,
  JsonPath,
  Map as MapState,
  Pass,
  type StateMachine,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { acknowledge, acknowledgeWildcardResource } from '../constructs/nag.ts';
import { ProjectFunction, REPO_ROOT } from '../constructs/project-function.ts';
import { bindSeriesStore } from '../constructs/series-store.ts';
import { lambdaStep, projectStateMachine, TRANSIENT_STEP_ERRORS } from '../constructs/workflow.ts';
import { LAKE_PREFIXES, type SeriesStoreResources } from './storage-stack.ts';

export interface LearningStackProps extends StackProps {
  readonly config: StageConfig;
  readonly documentsTable: Table;
  readonly lake: IBucket;
  readonly eventBus: IEventBus;
  readonly seriesStore: SeriesStoreResources;
}

/** Recorded on every model version (lineage): the package that trained it. */
const CODE_VERSION = `all-use-learning@${
  (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version
}`;

/**
 * The training workflow: validate -> build the dataset -> train and evaluate candidates in parallel (Map)
 * -> register the best -> compare with the champion on the same hold-out -> promote, or wait for a human
 * (task token) -> ModelPromoted. Any failure marks the run failed with its reason.
 */
export class LearningStack extends Stack {
  public readonly trainingFunction: ProjectFunction;
  public readonly trainingStateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: LearningStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.trainingFunction = new ProjectFunction(this, 'TrainingStepsFunction', {
      entry: 'functions/training-workflow/handler.ts',
      config,
      description: 'Steps of the training workflow: dataset, train candidate, register, compare, promote',
      timeout: Duration.minutes(15),
      memorySize: 2048,
      environment: { POWERTOOLS_SERVICE_NAME: 'training-workflow' },
    });
    this.trainingFunction
      .bindTable(props.documentsTable, 'DOCUMENTS_TABLE_NAME', 'readWrite', { indexes: ['byKind'] })
      .bindBucketPrefixes(props.lake, 'LAKE_BUCKET_NAME', {
        read: [LAKE_PREFIXES.reference, LAKE_PREFIXES.datasets, LAKE_PREFIXES.models, LAKE_PREFIXES.events],
        write: [LAKE_PREFIXES.datasets, LAKE_PREFIXES.models],
      })
      .setEnv('EVENT_BUS_NAME', props.eventBus.eventBusName)
      .setEnv('CODE_VERSION', CODE_VERSION);
    props.eventBus.grantPutEventsTo(this.trainingFunction);
    bindSeriesStore(this.trainingFunction, props.seriesStore, 'read');

    const fn = this.trainingFunction;
    const markFailed = lambdaStep(this, 'MarkFailed', fn, 'fail').next(
      new Fail(this, 'TrainingFailed', { error: 'TrainingFailed', causePath: '$.reason' }),
    );
    const onError = { resultPath: '$.error', errors: ['States.ALL'] };

    const prepare = lambdaStep(this, 'BuildDataset', fn, 'prepare');
    prepare.addCatch(markFailed, onError);

    // One candidate per iteration; a failed candidate is recorded, not fatal (register skips it).
    const train = lambdaStep(this, 'TrainCandidate', fn, 'train');
    const candidateFailed = new Pass(this, 'CandidateFailed', {
      parameters: { 'candidate.$': '$.candidate', failed: true, 'error.$': '$.error' },
    });
    train.addCatch(candidateFailed, { resultPath: '$.error', errors: ['States.ALL'] });
    const trainAll = new MapState(this, 'TrainCandidates', {
      itemsPath: '$.candidates',
      itemSelector: {
        'runId.$': '$.runId',
        'datasetUri.$': '$.datasetUri',
        'candidate.$': '$$.Map.Item.Value',
      },
      maxConcurrency: 4,
      resultPath: '$.results',
    });
    trainAll.itemProcessor(train);
    trainAll.addCatch(markFailed, onError);

    const register = lambdaStep(this, 'RegisterBest', fn, 'register');
    register.addCatch(markFailed, onError);
    const compare = lambdaStep(this, 'CompareWithChampion', fn, 'compare');
    compare.addCatch(markFailed, onError);

    const promote = lambdaStep(this, 'Promote', fn, 'promote');
    promote.addCatch(markFailed, onError);
    const reject = lambdaStep(this, 'Reject', fn, 'reject');
    reject.addCatch(markFailed, onError);

    const requestApproval = new LambdaInvoke(this, 'WaitForApproval', {
      lambdaFunction: fn,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ step: 'request-approval', token: JsonPath.taskToken, 'state.$': '$' }),
      resultPath: '$.approval',
      taskTimeout: Timeout.duration(Duration.days(7)),
    });
    requestApproval.addRetry({
      errors: TRANSIENT_STEP_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 5,
    });
    requestApproval.addCatch(markFailed, onError);
    const approved = new Choice(this, 'Approved?')
      .when(Condition.booleanEquals('$.approval.approved', true), promote)
      .otherwise(reject);
    requestApproval.next(approved);

    const decide = new Choice(this, 'BetterThanChampion?')
      .when(Condition.stringEquals('$.decision.decision', 'needs-approval'), requestApproval)
      .otherwise(promote);

    trainAll.next(register).next(compare).next(decide);

    this.trainingStateMachine = projectStateMachine(this, 'TrainingWorkflow', {
      config,
      name: `all-use-training-${config.stage}`,
      definition: prepare.next(trainAll),
      timeout: Duration.days(8),
      comment: 'ALL-USE training: dataset, candidates, register, champion comparison, promotion or approval',
    });
    const sm = this.trainingStateMachine;
    acknowledgeWildcardResource(
      sm,
      `${fn.functionArn}:*`,
      'Step Functions grants lambda:InvokeFunction on the function and its versions (CDK LambdaInvoke default).',
    );
    acknowledge(
      sm,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (PutTraceSegments/PutTelemetryRecords) and CloudWatch Logs log delivery for the state machine logs have no resource-level permissions.',
    );
  }
}
