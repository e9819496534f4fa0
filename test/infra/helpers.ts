// Shared synthesis helpers for the infrastructure tests: one synthesized app per configuration and file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { ProjectFunction } from '../../lib/constructs/project-function.ts';
import { buildLearningApp, type LearningStacks } from '../../lib/learning-app.ts';

export interface SynthesizedApp {
  readonly app: App;
  /** The cloud assembly directory (templates and bundled assets). */
  readonly outdir: string;
  readonly stacks: LearningStacks;
  readonly templates: {
    readonly storage: Template;
    readonly ingestion: Template;
    readonly analytics: Template;
    readonly learning: Template;
    readonly optimisation: Template;
    readonly api: Template;
    readonly observability: Template;
  };
}

/**
 * Builds and synthesizes the whole app for the given context (stage, seriesStore, apiAuth). The cdk-nag plugin
 * is left out here: the nag test runs the pack itself so that a finding becomes an assertion failure rather
 * than a synth report.
 *
 * Bundling (esbuild, ~1.5 s per function) is skipped unless asked for, through the context key the CDK CLI
 * itself uses for `--exclusively`; templates are the same apart from asset hashes. The security test bundles.
 */
export function synthLearningApp(
  context: Record<string, string> = {},
  options: { readonly bundle?: boolean } = {},
): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), 'alluse-cdk-test-'));
  const app = new App({
    outdir,
    context: options.bundle ? context : { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  const stacks = buildLearningApp(app, { nag: false });
  app.synth();
  return {
    app,
    outdir,
    stacks,
    templates: {
      storage: Template.fromStack(stacks.storage),
      ingestion: Template.fromStack(stacks.ingestion),
      analytics: Template.fromStack(stacks.analytics),
      learning: Template.fromStack(stacks.learning),
      optimisation: Template.fromStack(stacks.optimisation),
      api: Template.fromStack(stacks.api),
      observability: Template.fromStack(stacks.observability),
    },
  };
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every IAM statement attached to the execution role of a project function. */
export function statementsOf(template: Template, stack: Stack, fn: ProjectFunction): PolicyStatementJson[] {
  const roleId = stack.getLogicalId(fn.executionRole.node.defaultChild as CfnRole);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** The actions of a set of statements, flattened. */
export function actionsOf(statements: readonly PolicyStatementJson[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** The logical id of a function's CfnFunction in its stack. */
export function functionLogicalId(stack: Stack, fn: ProjectFunction): string {
  return stack.getLogicalId(fn.node.defaultChild as never);
}
