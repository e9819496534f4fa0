import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { parseScheduledAnalysis } from '../../src/core/analytics/analysis.ts';
import { formatValidationIssues } from '../../src/core/events/index.ts';
import type { StageConfig } from '../config.ts';
import { acknowledge } from '../constructs/nag.ts';
import { ProjectFunction } from '../constructs/project-function.ts';
import { bindSeriesStore } from '../constructs/series-store.ts';
import type { SeriesStoreResources } from './storage-stack.ts';

export interface AnalyticsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly documentsTable: Table;
  readonly seriesStore: SeriesStoreResources;
}

/**
 * The project's event bus (AnomalyDetected and later TrendChanged, RiskLimitBreached, ModelPromoted...) and
 * the scheduled analyses of the stage config: one EventBridge rule per schedule invoking the
 * scheduled-analysis function with that schedule's input. Inputs are validated at synth time.
 */
export class AnalyticsStack extends Stack {
  public readonly eventBus: EventBus;
  public readonly scheduledAnalysisFunction: ProjectFunction;
  /** Dead-letter queue of the schedule targets: invocations EventBridge could not deliver. */
  public readonly scheduleDeadLetterQueue: Queue;
  public readonly scheduleRules: Rule[] = [];

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.eventBus = new EventBus(this, 'EventBus', { eventBusName: `all-use-learning-${config.stage}` });

    this.scheduledAnalysisFunction = new ProjectFunction(this, 'ScheduledAnalysisFunction', {
      entry: 'functions/scheduled-analysis/handler.ts',
      config,
      description: 'Runs the scheduled analyses of the stage config and publishes AnomalyDetected events',
      timeout: Duration.minutes(2),
      memorySize: 1024,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'scheduled-analysis',
        POWERTOOLS_METRICS_NAMESPACE: 'AllUse/Learning',
      },
    });
    this.scheduledAnalysisFunction
      .bindTable(props.documentsTable, 'DOCUMENTS_TABLE_NAME', 'readWrite')
      .setEnv('EVENT_BUS_NAME', this.eventBus.eventBusName);
    bindSeriesStore(this.scheduledAnalysisFunction, props.seriesStore, 'read');
    this.eventBus.grantPutEventsTo(this.scheduledAnalysisFunction);

    this.scheduleDeadLetterQueue = new Queue(this, 'ScheduleDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });
    acknowledge(
      this.scheduleDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the schedule targets; its depth is alarmed on.',
    );

    const names = new Set<string>();
    for (const s of config.scheduledAnalyses) {
      if (names.has(s.name)) throw new Error(`scheduledAnalyses: the name '${s.name}' is used twice`);
      names.add(s.name);
      const check = parseScheduledAnalysis(s.name, s.input, Date.now());
      if (!check.ok) {
        throw new Error(`scheduledAnalyses '${s.name}': ${formatValidationIssues(check.errors, 20)}`);
      }
      const rule = new Rule(this, `Schedule-${s.name}`, {
        description: `Scheduled analysis '${s.name}' (${s.schedule})`,
        schedule: Schedule.expression(s.schedule),
      });
      rule.addTarget(
        new LambdaFunction(this.scheduledAnalysisFunction, {
          event: RuleTargetInput.fromObject({ schedule: s.name, input: s.input }),
          deadLetterQueue: this.scheduleDeadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(30),
        }),
      );
      this.scheduleRules.push(rule);
    }
  }
}
