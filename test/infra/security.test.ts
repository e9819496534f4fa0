import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MIN_REASON_LENGTH } from '../../lib/constructs/nag.ts';
import {
  ENTRY_METADATA_KEY,
  HANDLER_METADATA_KEY,
  REPO_ROOT,
} from '../../lib/constructs/project-function.ts';
import { type SynthesizedApp, synthLearningApp } from './helpers.ts';

const CONFIGS = {
  'dev/timestream': { stage: 'dev', seriesStore: 'timestream' },
  'dev/dynamodb': { stage: 'dev', seriesStore: 'dynamodb' },
  'prod/timestream': { stage: 'prod', seriesStore: 'timestream' },
} as const;
type ConfigName = keyof typeof CONFIGS;
const BUNDLED: ConfigName = 'dev/timestream';
const NAMES = Object.keys(CONFIGS) as ConfigName[];

const apps = {} as Record<ConfigName, SynthesizedApp>;

beforeAll(() => {
  // Bundles are the same for every configuration, so one configuration proves they build.
  for (const name of NAMES) apps[name] = synthLearningApp({ ...CONFIGS[name] }, { bundle: name === BUNDLED });
});

const templatesOf = (name: ConfigName) => Object.values(apps[name].templates);

/** Actions that have no resource-level permissions in IAM, hence the only ones allowed on `*`. */
const STAR_RESOURCE_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'timestream:DescribeEndpoints',
  // State machine logging: CloudWatch Logs vended log delivery is authorised on '*' only (AWS documents it so).
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // State machine X-Ray tracing also reads sampling rules, which have no resource-level permissions.
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // The SageMaker .sync integration reads the job's tags (read-only); CDK grants it on '*'.
  'sagemaker:ListTags',
  // SageMaker training jobs' metrics; limited to the /aws/sagemaker/ namespaces by condition.
  'cloudwatch:PutMetricData',
];

describe.each(NAMES)('%s', (name) => {
  it('runs every function on nodejs22.x arm64 with active tracing and its own log group', () => {
    const functions = templatesOf(name).flatMap((t) =>
      Object.values(t.findResources('AWS::Lambda::Function')),
    );

    expect(functions).toHaveLength(14);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/LogGroup/) } },
      });
    }
  });

  it('records the handler entry of every function as template metadata, pointing at a real file', () => {
    const functions = templatesOf(name).flatMap((t) =>
      Object.values(t.findResources('AWS::Lambda::Function')),
    );
    const entries = functions.map((fn) => fn.Metadata?.[ENTRY_METADATA_KEY]).sort();

    expect(entries).toEqual([
      'functions/api/analyses.ts',
      'functions/api/events.ts',
      'functions/api/ingestion-stats.ts',
      'functions/api/models.ts',
      'functions/api/parameters.ts',
      'functions/api/predict.ts',
      'functions/api/series.ts',
      'functions/api/studies.ts',
      'functions/api/training.ts',
      'functions/ingest-redrive/handler.ts',
      'functions/ingest/handler.ts',
      'functions/scheduled-analysis/handler.ts',
      'functions/study-workflow/handler.ts',
      'functions/training-workflow/handler.ts',
    ]);
    for (const fn of functions) {
      expect(fn.Metadata?.[HANDLER_METADATA_KEY]).toBe('handler');
      expect(existsSync(join(REPO_ROOT, fn.Metadata?.[ENTRY_METADATA_KEY]))).toBe(true);
    }
  });

  it('keeps function logs for the stage retention', () => {
    const expected = CONFIGS[name].stage === 'prod' ? 90 : 14;
    const groups = templatesOf(name).flatMap((t) => Object.values(t.findResources('AWS::Logs::LogGroup')));

    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(expected);
  });

  it('has no IAM statement with a service-wide or global action wildcard', () => {
    const statements = templatesOf(name)
      .flatMap((t) => Object.values(t.findResources('AWS::IAM::Policy')))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  // The nag test below proves these are acknowledged (AwsSolutions-IAM5[Resource::*]) with a reason.
  it('grants Resource * only for actions that have no resource-level permissions', () => {
    let starStatements = 0;
    for (const template of templatesOf(name)) {
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          if (statement.Resource !== '*') continue;
          starStatements += 1;
          const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
          expect(STAR_RESOURCE_ACTIONS).toEqual(expect.arrayContaining(actions));
        }
      }
    }
    expect(starStatements).toBeGreaterThan(0);
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged error or warning', () => {
    // validateScope is cdk-nag 3's direct entry point; the app has been synthesized, so references are final.
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(apps[name].app);
    const findings = report.violations
      .filter((v) => /^AwsSolutions-/.test(v.ruleName))
      .map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );

    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it(`gives every acknowledgement a reason of at least ${MIN_REASON_LENGTH} characters`, () => {
    const acknowledgements: [string, string, unknown][] = [];
    const walk = (node: IConstruct): void => {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          acknowledgements.push([node.node.path, id, reason]);
        }
      }
      node.node.children.forEach(walk);
    };
    walk(apps[name].app);

    expect(acknowledgements.length).toBeGreaterThan(0);
    const short = acknowledgements.filter(
      ([, , reason]) => typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH,
    );
    expect(short).toEqual([]);
  });

  it('tags resources with project and stage', () => {
    apps[name].templates.storage.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: [
        { Key: 'project', Value: 'all-use-learning' },
        { Key: 'stage', Value: CONFIGS[name].stage },
      ],
    });
  });
});

describe('function bundles', () => {
  it('are minified ESM (.mjs) for node22 with a require shim and a source map, built locally', () => {
    const { app, outdir } = apps[BUNDLED];
    const functions = templatesOf(BUNDLED).flatMap((t) =>
      Object.values(t.findResources('AWS::Lambda::Function')),
    );

    expect(functions).toHaveLength(14);
    for (const fn of functions) {
      // The staged asset directory is named after the asset hash, which is also the code object's key.
      const assetDir = join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __allUseCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/);
      expect(
        code.endsWith('//# sourceMappingURL=index.mjs.map\n') ||
          code.endsWith('//# sourceMappingURL=index.mjs.map'),
      ).toBe(true);
    }
    expect(app.node.tryGetContext('aws:cdk:bundling-stacks')).toBeUndefined();
  });
});

describe('the nag check itself', () => {
  it('reports an insecure bucket, so a clean report above means something', () => {
    const app = new App();
    new Bucket(new Stack(app, 'Insecure'), 'Plain');
    app.synth();

    const report = new AwsSolutionsChecks().validateScope(app);

    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
    );
  });
});
