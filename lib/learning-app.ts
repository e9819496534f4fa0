import { type App, CrossStackReferences, ReferenceStrength, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type StageConfig, stackName } from './config.ts';
import { AnalyticsStack } from './stacks/analytics-stack.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { IngestionStack } from './stacks/ingestion-stack.ts';
import { LearningStack } from './stacks/learning-stack.ts';
import { ObservabilityStack } from './stacks/observability-stack.ts';
import { OptimisationStack } from './stacks/optimisation-stack.ts';
import { StorageStack } from './stacks/storage-stack.ts';

const S3_LOGS_POLICY_FLAG = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';
const CROSS_STACK_FLAG = '@aws-cdk/core:defaultCrossStackReferences';

export interface LearningStacks {
  readonly config: StageConfig;
  readonly storage: StorageStack;
  readonly ingestion: IngestionStack;
  readonly analytics: AnalyticsStack;
  readonly learning: LearningStack;
  readonly optimisation: OptimisationStack;
  readonly api: ApiStack;
  readonly observability: ObservabilityStack;
}

export interface BuildOptions {
  /** Registers cdk-nag AwsSolutionsChecks as a validation plugin: synth fails on any unacknowledged finding. @default true */
  readonly nag?: boolean;
}

/**
 * Adds the stage's stacks (`AllUse-<stage>-Storage|Ingestion|Api|Observability`) to an app, configured from
 * its context (`stage`, `seriesStore`, `apiAuth`), tagged with project and stage, and checked by cdk-nag.
 *
 * @example
 * const app = new App({ context: { stage: 'prod', seriesStore: 'dynamodb' } });
 * const { api } = buildLearningApp(app);
 */
export function buildLearningApp(app: App, options: BuildOptions = {}): LearningStacks {
  const config = loadStageConfig(app.node);
  // Access-log delivery by bucket policy, so log buckets can keep ACLs disabled (BucketOwnerEnforced).
  if (app.node.tryGetContext(S3_LOGS_POLICY_FLAG) === undefined) {
    app.node.setContext(S3_LOGS_POLICY_FLAG, true);
  }
  // Exports/imports: CloudFormation refuses to delete Storage while Ingestion or the API still use it.
  if (app.node.tryGetContext(CROSS_STACK_FLAG) === undefined) {
    CrossStackReferences.of(app).consume(ReferenceStrength.STRONG);
  }
  const env = config.env;
  const description = (what: string): string => `ALL-USE learning layer (${config.stage}): ${what}`;

  const storage = new StorageStack(app, stackName(config.stage, 'Storage'), {
    env,
    config,
    description: description('lake, documents, time-series store, Athena catalogue'),
  });
  const ingestion = new IngestionStack(app, stackName(config.stage, 'Ingestion'), {
    env,
    config,
    description: description('Kinesis stream, ingest and redrive functions'),
    lake: storage.lake,
    documentsTable: storage.documentsTable,
    seriesStore: storage.seriesStore,
  });
  const analytics = new AnalyticsStack(app, stackName(config.stage, 'Analytics'), {
    env,
    config,
    description: description('event bus and scheduled analyses'),
    documentsTable: storage.documentsTable,
    seriesStore: storage.seriesStore,
  });
  const learning = new LearningStack(app, stackName(config.stage, 'Learning'), {
    env,
    config,
    description: description('training workflow'),
    documentsTable: storage.documentsTable,
    lake: storage.lake,
    eventBus: analytics.eventBus,
    seriesStore: storage.seriesStore,
  });
  const optimisation = new OptimisationStack(app, stackName(config.stage, 'Optimisation'), {
    env,
    config,
    description: description('optimisation studies workflow'),
    documentsTable: storage.documentsTable,
    lake: storage.lake,
  });
  const api = new ApiStack(app, stackName(config.stage, 'Api'), {
    env,
    config,
    description: description('HTTP API'),
    stream: ingestion.stream,
    documentsTable: storage.documentsTable,
    seriesStore: storage.seriesStore,
    eventBus: analytics.eventBus,
    studyStateMachine: optimisation.studyStateMachine,
    trainingStateMachine: learning.trainingStateMachine,
    lake: storage.lake,
  });
  const observability = new ObservabilityStack(app, stackName(config.stage, 'Observability'), {
    env,
    config,
    description: description('dashboard and alarms'),
    stream: ingestion.stream,
    ingestFunction: ingestion.ingestFunction,
    redriveFunction: ingestion.redriveFunction,
    deadLetterQueue: ingestion.deadLetterQueue,
    parkedQueue: ingestion.parkedQueue,
    scheduledAnalysisFunction: analytics.scheduledAnalysisFunction,
    scheduleDeadLetterQueue: analytics.scheduleDeadLetterQueue,
    httpApi: api.httpApi,
    apiFunctions: [
      api.eventsFunction,
      api.seriesFunction,
      api.statsFunction,
      api.analysesFunction,
      api.modelsFunction,
      api.studiesFunction,
      api.trainingFunction,
      api.predictFunction,
      api.parametersFunction,
    ],
    stateMachines: [
      { name: 'training', stateMachine: learning.trainingStateMachine },
      { name: 'study', stateMachine: optimisation.studyStateMachine },
    ],
  });

  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  if (options.nag ?? true) {
    // cdk-nag 3 is a policy-validation plugin (v2 was an Aspect): findings fail synth unless acknowledged.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { config, storage, ingestion, analytics, learning, optimisation, api, observability };
}
