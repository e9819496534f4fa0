import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, Size, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { InstanceType } from 'aws-cdk-lib/aws-ec2';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
import {
  DockerImage,
  type ISageMakerTask,
  LambdaInvoke,
  S3Location,
  type S3LocationBindOptions,
  type S3LocationConfig,
  SageMakerCreateTrainingJob,
} from 'aws-cdk-lib/aws-stepfunctions-tasks';
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
  /**
   * Image of SageMaker's built-in XGBoost for the large-model branch; region specific (SageMaker docs,
   * "Docker Registry Paths"). @default XGBoost 1.7-1 in us-east-1
   */
  readonly sageMakerTrainingImage?: string;
}

const DEFAULT_SAGEMAKER_IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

/**
 * An S3 input whose URI comes from the state (a JSONPath) but whose bucket and prefix are known: CDK's
 * `S3Location.fromJsonExpression` grants s3:GetObject and s3:ListBucket on `*` because it cannot know them.
 */
class StatePathInPrefix extends S3Location {
  constructor(
    private readonly bucket: IBucket,
    private readonly prefix: string,
    private readonly path: string,
  ) {
    super();
  }

  bind(task: ISageMakerTask, opts: S3LocationBindOptions): S3LocationConfig {
    if (opts.forReading) this.bucket.grantRead(task, `${this.prefix}*`);
    if (opts.forWriting) this.bucket.grantWrite(task, `${this.prefix}*`);
    return { uri: JsonPath.stringAt(this.path) };
  }
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

    // Models too large for a function: SageMaker's built-in XGBoost trains them (.sync), then a human decides.
    // The job's own role, least privilege: CDK's default one writes logs anywhere (Resource *).
    const sageMakerRole = new Role(this, 'SageMakerTrainingRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description:
        'SageMaker training jobs of the training workflow: read datasets/, write models/sagemaker/',
    });
    sageMakerRole.addToPolicy(
      new PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [
          this.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '/aws/sagemaker/TrainingJobs:*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    sageMakerRole.addToPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );
    const sageMakerTrain = new SageMakerCreateTrainingJob(this, 'SageMakerTraining', {
      integrationPattern: IntegrationPattern.RUN_JOB,
      role: sageMakerRole,
      trainingJobName: JsonPath.stringAt('$.jobName'),
      algorithmSpecification: {
        trainingImage: DockerImage.fromRegistry(props.sageMakerTrainingImage ?? DEFAULT_SAGEMAKER_IMAGE),
      },
      // The whole map from the dataset step: its keys depend on the task (num_class for multi-class only).
      hyperparameters: JsonPath.objectAt('$.hyperparameters') as unknown as Record<string, string>,
      inputDataConfig: [
        {
          channelName: 'train',
          contentType: 'text/csv',
          dataSource: {
            s3DataSource: {
              s3Location: new StatePathInPrefix(props.lake, LAKE_PREFIXES.datasets, '$.trainUri'),
            },
          },
        },
        {
          channelName: 'validation',
          contentType: 'text/csv',
          dataSource: {
            s3DataSource: {
              s3Location: new StatePathInPrefix(props.lake, LAKE_PREFIXES.datasets, '$.validationUri'),
            },
          },
        },
      ],
      outputDataConfig: {
        s3OutputLocation: S3Location.fromBucket(props.lake, `${LAKE_PREFIXES.models}sagemaker/`),
      },
      resourceConfig: {
        instanceCount: 1,
        instanceType: new InstanceType(JsonPath.stringAt('$.instanceType')),
        volumeSize: Size.gibibytes(30),
      },
      stoppingCondition: { maxRuntime: Duration.hours(6) },
      resultSelector: {
        'ModelArtifacts.$': '$.ModelArtifacts',
        'FinalMetricDataList.$': '$.FinalMetricDataList',
      },
      resultPath: '$.sagemaker',
    });
    sageMakerTrain.addCatch(markFailed, onError);
    const registerSageMaker = lambdaStep(this, 'RegisterSageMakerModel', fn, 'register-sagemaker');
    registerSageMaker.addCatch(markFailed, onError);
    sageMakerTrain.next(registerSageMaker).next(requestApproval);

    const backend = new Choice(this, 'Backend?')
      .when(Condition.stringEquals('$.backend', 'sagemaker'), sageMakerTrain)
      .otherwise(trainAll);
    trainAll.next(register).next(compare).next(decide);

    this.trainingStateMachine = projectStateMachine(this, 'TrainingWorkflow', {
      config,
      name: `all-use-training-${config.stage}`,
      definition: prepare.next(backend),
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
      'X-Ray tracing (PutTraceSegments/PutTelemetryRecords), CloudWatch Logs log delivery for the state machine logs, and sagemaker:ListTags of the .sync integration (read-only) are granted on * by CDK.',
    );
    acknowledgeWildcardResource(
      sm,
      this.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: '*' }),
      'The .sync integration describes and stops the training jobs it starts, named by run id at run time.',
    );
    acknowledge(
      sageMakerRole,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:PutMetricData has no resource-level permission; it is limited to the /aws/sagemaker/ namespaces by condition.',
    );
    acknowledgeWildcardResource(
      sageMakerRole,
      this.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: '/aws/sagemaker/TrainingJobs:*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      "SageMaker's training-job log group, whose streams are named by job at run time.",
    );
    for (const action of ['s3:DeleteObject*', 's3:Abort*']) {
      acknowledge(
        sageMakerRole,
        `AwsSolutions-IAM5[Action::${action}]`,
        'SageMaker writes its model output under models/sagemaker/ only; these are the actions CDK grants on that prefix.',
      );
    }
    acknowledgeWildcardResource(
      sageMakerRole,
      props.lake.arnForObjects(`${LAKE_PREFIXES.models}sagemaker/*`),
      'SageMaker writes model.tar.gz under models/sagemaker/<job>/ only.',
    );
    acknowledgeWildcardResource(
      sageMakerRole,
      props.lake.arnForObjects(`${LAKE_PREFIXES.datasets}*`),
      'SageMaker reads the CSVs the dataset step wrote under datasets/<model>/<run>/ only.',
    );
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      acknowledge(
        sageMakerRole,
        `AwsSolutions-IAM5[Action::${action}]`,
        'Read access CDK grants on the datasets/ prefix of the lake, where the training CSVs are.',
      );
    }
  }
}
