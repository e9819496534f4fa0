import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildLearningApp } from '../../lib/learning-app.ts';
import { AnalyticsStack } from '../../lib/stacks/analytics-stack.ts';

function synth(context: Record<string, string> = {}) {
  const app = new App({
    context: { stage: 'dev', seriesStore: 'dynamodb', ...context, 'aws:cdk:bundling-stacks': [] },
  });
  const stacks = buildLearningApp(app, { nag: false });
  return { stacks, template: Template.fromStack(stacks.analytics) };
}

describe('analytics stack', () => {
  const { stacks, template } = synth();

  it('has the project bus and one schedule rule per scheduled analysis, with its input', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'all-use-learning-dev' });
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(stacks.config.scheduledAnalyses.length);
    for (const s of stacks.config.scheduledAnalyses) {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: s.schedule,
        Targets: [
          Match.objectLike({
            Input: JSON.stringify({ schedule: s.name, input: s.input }),
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 1800 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleDlq'), 'Arn'] } },
          }),
        ],
      });
    }
  });

  it('lets the scheduled function put events on the bus and read the series store', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[],
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toEqual(
      expect.arrayContaining(['events:PutEvents', 'dynamodb:Query', 'dynamodb:PutItem']),
    );
    expect(actions.filter((a) => a.startsWith('kinesis:'))).toEqual([]);
  });

  it('refuses a stage whose scheduled analysis is misconfigured, naming the problem', () => {
    const app = new App({
      context: { stage: 'dev', seriesStore: 'dynamodb', 'aws:cdk:bundling-stacks': [] },
    });
    const { config, storage } = buildLearningApp(app, { nag: false });
    const bad = {
      ...config,
      scheduledAnalyses: [
        {
          name: 'x',
          schedule: 'rate(5 minutes)',
          input: { kind: 'anomaly', metric: 'latency_ms', window: 'soon' },
        },
      ],
    };
    const build = () =>
      new AnalyticsStack(app, 'Bad', {
        config: bad,
        documentsTable: storage.documentsTable,
        seriesStore: storage.seriesStore,
      });
    expect(build).toThrow(/scheduledAnalyses 'x': window: must be a positive duration/);
  });
});
