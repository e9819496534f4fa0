/**
 * Synthesizes the CDK app in process (asset bundling skipped: the local runtime runs the TypeScript
 * handlers directly) and reads the templates back, so the local runtime runs exactly what `cdk deploy`
 * would deploy: the same tables, streams, buckets, event-source mappings, routes and environment.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildLearningApp } from '../../lib/learning-app.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** Synthesizes every stack of the app for a stage and series-store choice. */
export function synthesizeTemplates(context: Record<string, string> = {}): StackTemplate[] {
  const outdir = mkdtempSync(join(tmpdir(), 'all-use-synth-'));
  try {
    const app = new App({
      outdir,
      context: { stage: 'dev', seriesStore: 'dynamodb', ...context, 'aws:cdk:bundling-stacks': [] },
    });
    // cdk-nag runs in the tests and in `cdk synth`; the local runtime only needs the templates.
    buildLearningApp(app, { nag: false });
    const assembly = app.synth();
    return assembly.stacks.map((s) => ({
      stackName: s.stackName,
      template: JSON.parse(readFileSync(join(outdir, s.templateFile), 'utf8')) as CfnTemplate,
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
