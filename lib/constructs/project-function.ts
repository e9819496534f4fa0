import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { CfnTable as CfnTimestreamTable } from 'aws-cdk-lib/aws-timestream';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { acknowledge, acknowledgeWildcardResource } from './nag.ts';

/** Repository root: entry paths and the lock file are resolved from here, whatever the caller's cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** CloudFormation metadata keys read by the local runtime to invoke the same handler files. */
export const ENTRY_METADATA_KEY = 'allUse:entry';
export const HANDLER_METADATA_KEY = 'allUse:handler';

// ESM bundles still meet CommonJS dependencies that call require(); give them one.
const ESM_REQUIRE_BANNER =
  "import { createRequire as __allUseCreateRequire } from 'node:module'; const require = __allUseCreateRequire(import.meta.url);";

/**
 * The esbuild settings every function bundle is built with (the ingest benchmark builds the same bundle
 * with them to measure its size and cold import time).
 */
export const BUNDLE_SETTINGS = {
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  banner: ESM_REQUIRE_BANNER,
} as const;

export type TableAccess = 'read' | 'write' | 'readWrite';

// The adapters write with conditional Put/UpdateItem (dynalite has no transactions, so none are used) and
// never delete; widen these lists here, in one place, when an adapter needs more.
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface ProjectFunctionProps {
  /** Handler file relative to the repository root, e.g. `functions/api/events.ts`. */
  readonly entry: string;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  readonly config: StageConfig;
  readonly description?: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Extra environment; STAGE and NODE_OPTIONS (source maps) are always set. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The project's Lambda function: Node.js 22 on arm64, ESM bundle built locally by esbuild (never Docker),
 * source maps, X-Ray tracing, its own log group with the stage's retention, and a role that starts with
 * nothing but writing to that log group. Grants come from the `bind*` helpers, each of which sets the
 * environment variable the handler reads and the matching least-privilege statement in one call.
 *
 * @example
 * const fn = new ProjectFunction(this, 'Stats', { entry: 'functions/api/ingestion-stats.ts', config });
 * fn.bindTable(documents, 'DOCUMENTS_TABLE_NAME', 'read', { indexes: ['byKind'] });
 */
export class ProjectFunction extends NodejsFunction {
  public readonly executionRole: Role;
  /** The handler entry relative to the repo root, as recorded in the template metadata. */
  public readonly entryPath: string;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.config.logRetention,
      removalPolicy: props.config.removalPolicy,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    const handler = props.handler ?? 'handler';
    super(scope, id, {
      entry: join(REPO_ROOT, props.entry),
      handler,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      // Stack traces point at the TypeScript sources through the bundled source maps.
      environment: { STAGE: props.config.stage, NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_SETTINGS.target,
        mainFields: [...BUNDLE_SETTINGS.mainFields],
        minify: BUNDLE_SETTINGS.minify,
        sourceMap: true,
        sourcesContent: false,
        banner: BUNDLE_SETTINGS.banner,
        // The SDK versions in package-lock.json ship with the code instead of the runtime's copy.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    this.executionRole = role;
    this.entryPath = props.entry;
    logGroup.grantWrite(role);

    const cfn = this.node.defaultChild as CfnFunction;
    cfn.addMetadata(ENTRY_METADATA_KEY, props.entry);
    cfn.addMetadata(HANDLER_METADATA_KEY, handler);

    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and timestream:DescribeEndpoints ' +
        'support no resource-level permissions, so they need Resource *.',
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Runtime pinned to nodejs22.x: the bundles target node22 and the code is tested on that major.',
    );
  }

  /** Sets an environment variable (STAGE is set already). */
  setEnv(name: string, value: string): this {
    this.addEnvironment(name, value);
    return this;
  }

  /**
   * Sets `envName` to the table name and grants item-level access; `indexes` adds Query on those indexes only.
   *
   * @example fn.bindTable(table, 'DOCUMENTS_TABLE_NAME', 'readWrite')
   */
  bindTable(
    table: ITable,
    envName: string,
    access: TableAccess,
    options: { readonly indexes?: readonly string[] } = {},
  ): this {
    this.addEnvironment(envName, table.tableName);
    const actions = [
      ...(access === 'write' ? [] : TABLE_READ_ACTIONS),
      ...(access === 'read' ? [] : TABLE_WRITE_ACTIONS),
    ];
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...new Set(actions)],
        resources: [table.tableArn],
      }),
    );
    const indexes = options.indexes ?? [];
    if (indexes.length > 0 && access !== 'write') {
      this.executionRole.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['dynamodb:Query'],
          resources: indexes.map((name) => `${table.tableArn}/index/${name}`),
        }),
      );
    }
    return this;
  }

  /**
   * Sets `envName` to the stream name. `put` grants kinesis:PutRecords; `read` grants what reading records
   * back by sequence number needs (the event source mapping grants its own polling rights).
   */
  bindStream(stream: IStream, envName: string, access: 'put' | 'read'): this {
    this.addEnvironment(envName, stream.streamName);
    const actions =
      access === 'put'
        ? ['kinesis:PutRecords']
        : [
            'kinesis:DescribeStreamSummary',
            'kinesis:ListShards',
            'kinesis:GetShardIterator',
            'kinesis:GetRecords',
          ];
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [stream.streamArn] }),
    );
    stream.encryptionKey?.grant(this.executionRole, access === 'put' ? 'kms:GenerateDataKey' : 'kms:Decrypt');
    return this;
  }

  /**
   * Sets `envName` to the bucket name and grants object access under the given key prefixes only
   * (e.g. `events/`), never the whole bucket.
   *
   * @example fn.bindBucketPrefixes(lake, 'LAKE_BUCKET_NAME', { write: ['events/', 'quarantine/'] })
   */
  bindBucketPrefixes(
    bucket: IBucket,
    envName: string,
    prefixes: { readonly read?: readonly string[]; readonly write?: readonly string[] },
  ): this {
    this.addEnvironment(envName, bucket.bucketName);
    const grant = (prefix: string, actions: string[], why: string): void => {
      if (!prefix.endsWith('/')) throw new Error(`bucket prefix "${prefix}" must end with "/"`);
      const arn = bucket.arnForObjects(`${prefix}*`);
      this.executionRole.addToPrincipalPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [arn] }),
      );
      acknowledgeWildcardResource(
        this.executionRole,
        arn,
        `Objects are keyed by partition and batch id under ${prefix}; access is limited to that prefix (${why}).`,
      );
    };
    for (const prefix of prefixes.read ?? []) grant(prefix, ['s3:GetObject'], 'read');
    for (const prefix of prefixes.write ?? [])
      grant(prefix, ['s3:PutObject', 's3:AbortMultipartUpload'], 'write');
    if (bucket.encryptionKey) {
      if (prefixes.read?.length) bucket.encryptionKey.grantDecrypt(this.executionRole);
      if (prefixes.write?.length) bucket.encryptionKey.grant(this.executionRole, 'kms:GenerateDataKey');
    }
    return this;
  }

  /**
   * Sets `envName` to the state machine's ARN and grants StartExecution on it; `taskTokens` adds
   * SendTaskSuccess/Failure (answering a waiting task, e.g. an approval).
   */
  bindStateMachine(
    stateMachine: IStateMachine,
    envName: string,
    options: { taskTokens?: boolean } = {},
  ): this {
    this.addEnvironment(envName, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this.executionRole);
    if (options.taskTokens) stateMachine.grantTaskResponse(this.executionRole);
    return this;
  }

  /**
   * Sets TIMESTREAM_DATABASE / TIMESTREAM_TABLE and grants WriteRecords or Select on that table only.
   * DescribeEndpoints (SDK endpoint discovery) has no resource-level permission and needs `*`.
   */
  bindTimestreamTable(table: CfnTimestreamTable, access: 'write' | 'read'): this {
    this.addEnvironment('TIMESTREAM_DATABASE', table.databaseName);
    this.addEnvironment('TIMESTREAM_TABLE', table.attrName);
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: access === 'write' ? ['timestream:WriteRecords'] : ['timestream:Select'],
        resources: [table.attrArn],
      }),
    );
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['timestream:DescribeEndpoints'],
        resources: ['*'],
      }),
    );
    return this;
  }
}
