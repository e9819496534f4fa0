/**
 * The local runtime: the emulators, the resources of the synthesized stacks, the real handlers in worker
 * "containers", the event-source mappings and the HTTP API, wired exactly as the templates say.
 *
 * @example
 * const rt = await startLocalRuntime({ port: 0 });
 * await fetch(`${rt.url}/v1/ingestion/stats`);
 * await rt.stop();
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { type Clients, createClients } from '../../src/adapters/clients.ts';
import { type StackTemplate, synthesizeTemplates } from './assembly.ts';
import { createTableAndWait, startEmulators } from './emulators.ts';
import { KinesisEventSource, LocalQueue, SqsEventSource } from './event-sources.ts';
import { type LocalEventBridge, rateMs, startLocalEventBridge } from './eventbridge.ts';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import { LocalFunction } from './functions.ts';
import { routesFromTemplates, startHttpApi } from './http-api.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, Resolver } from './resolve.ts';
import { type LocalStepFunctions, startLocalStepFunctions, TaskError } from './stepfunctions.ts';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface LocalRuntimeOptions {
  /** HTTP port; 0 picks a free one. Default 3000. */
  readonly port?: number;
  /** Extra CDK context (stage...). The series store is always DynamoDB locally: Timestream has no emulator. */
  readonly context?: Record<string, string>;
  /** Puts a fault-injecting proxy in front of DynamoDB for the functions (tests and drills). */
  readonly dynamoFaults?: boolean;
  /** Where function logs go (one file per function); default .local/logs. */
  readonly logDirectory?: string;
  /** Progress lines; default: none. */
  readonly log?: (line: string) => void;
  readonly pollIntervalMs?: number;
  /** Run `rate(...)` schedules on timers; default true (tests turn it off and call `run()`). */
  readonly runSchedules?: boolean;
  /** Scales Step Functions retry intervals (tests use 0.01). @default 1 */
  readonly retryIntervalScale?: number;
  /** Task state overrides by state name, for resources with no local counterpart (SageMaker). */
  readonly taskOverrides?: Record<string, (input: unknown) => Promise<unknown>>;
}

export interface LocalRuntime {
  readonly url: string;
  readonly stacks: readonly StackTemplate[];
  /** Environment for a client in this process to reach the emulators (AWS_ENDPOINT_URL_*, credentials). */
  readonly env: Record<string, string>;
  readonly clients: Clients;
  /** Physical names of the local resources by CloudFormation type, e.g. the stream and the lake bucket. */
  readonly names: {
    readonly streams: readonly string[];
    readonly buckets: readonly string[];
    readonly tables: readonly string[];
    /** The lake bucket (the Storage stack's `Lake` bucket; its access-log bucket is another). */
    readonly lake: string;
  };
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly kinesisSources: readonly KinesisEventSource[];
  readonly sqsSources: readonly SqsEventSource[];
  readonly queues: ReadonlyMap<string, LocalQueue>;
  readonly faults?: FaultProxy;
  /** The EventBridge stand-in: every event the functions published. */
  readonly eventBridge: LocalEventBridge;
  /** The Step Functions endpoint running the templates' state machines. */
  readonly stepFunctions: LocalStepFunctions;
  /** The schedules of the templates' EventBridge rules; `run()` invokes the target once, now. */
  readonly schedules: readonly LocalSchedule[];
  /** Resolves when every stream is caught up, every queue is empty and nothing is in flight (twice in a row). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalSchedule {
  readonly name: string;
  readonly expression: string;
  /** Undefined for cron expressions, which are not run on a timer locally (use run()). */
  readonly everyMs: number | undefined;
  run(): Promise<unknown>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function toTableInput(name: string, p: Record<string, unknown>): CreateTableCommandInput {
  // AWS::DynamoDB::Table and AWS::DynamoDB::GlobalTable (TableV2) share these property names.
  const gsis = (p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes']) ?? [];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
    ...(gsis.length > 0
      ? {
          GlobalSecondaryIndexes: gsis.map((g) => ({
            IndexName: g.IndexName,
            KeySchema: g.KeySchema,
            Projection: g.Projection,
          })),
        }
      : {}),
  };
}

/** Starts everything; see {@link LocalRuntime}. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const emulators = await startEmulators();
    stoppers.push(() => emulators.stop());
    log(
      `emulators: kinesis ${emulators.endpoints.kinesis}, dynamodb ${emulators.endpoints.dynamodb}, s3 ${emulators.endpoints.s3}`,
    );
    const clients = createClients({ ...process.env, ...emulators.env });

    const context = { ...options.context };
    if (context.seriesStore && context.seriesStore !== 'dynamodb') {
      throw new Error('the local runtime needs -c seriesStore=dynamodb: Timestream has no emulator');
    }
    const started = Date.now();
    const stacks = synthesizeTemplates({ ...context, seriesStore: 'dynamodb' });
    log(
      `synthesized ${stacks.length} stacks in ${Date.now() - started} ms: ${stacks.map((s) => s.stackName).join(', ')}`,
    );

    const resolver = new Resolver(stacks);
    const names = { streams: [] as string[], buckets: [] as string[], tables: [] as string[] };
    const queues = new Map<string, LocalQueue>();
    const queueByLogical = new Map<string, LocalQueue>();

    // 1. Resources with local counterparts; everything else gets a placeholder name so references resolve.
    for (const { stackName, template } of stacks) {
      for (const [id, res] of Object.entries(template.Resources)) {
        const p = res.Properties ?? {};
        const base = { stackName, logicalId: id, type: res.Type };
        switch (res.Type) {
          case 'AWS::DynamoDB::Table':
          case 'AWS::DynamoDB::GlobalTable': {
            const name = `${stackName}-${id}`;
            await createTableAndWait(clients.dynamodb, toTableInput(name, p));
            names.tables.push(name);
            resolver.add({
              ...base,
              ref: name,
              attributes: {
                Arn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`,
                StreamArn: '',
              },
            });
            break;
          }
          case 'AWS::Kinesis::Stream': {
            const name = `${stackName}-${id}`;
            const shards = Number(p.ShardCount ?? 2);
            await clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
            const { StreamDescriptionSummary } = await clients.kinesis.send(
              new DescribeStreamSummaryCommand({ StreamName: name }),
            );
            names.streams.push(name);
            resolver.add({ ...base, ref: name, attributes: { Arn: StreamDescriptionSummary!.StreamARN! } });
            break;
          }
          case 'AWS::S3::Bucket': {
            const name = id
              .toLowerCase()
              .replace(/[^a-z0-9-]/g, '-')
              .slice(0, 63);
            await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
            names.buckets.push(name);
            resolver.add({
              ...base,
              ref: name,
              attributes: {
                Arn: `arn:aws:s3:::${name}`,
                DomainName: `${name}.s3.amazonaws.com`,
                RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com`,
              },
            });
            break;
          }
          case 'AWS::Lambda::Function': {
            const name = `${stackName}-${id}`;
            const arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
            resolver.add({ ...base, ref: name, attributes: { Arn: arn } });
            break;
          }
          case 'AWS::StepFunctions::StateMachine': {
            const name = typeof p.StateMachineName === 'string' ? p.StateMachineName : `${stackName}-${id}`;
            const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
            resolver.add({ ...base, ref: arn, attributes: { Arn: arn, Name: name } });
            break;
          }
          case 'AWS::Events::EventBus': {
            const name = String(p.Name ?? `${stackName}-${id}`);
            resolver.add({
              ...base,
              ref: name,
              attributes: {
                Arn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`,
                Name: name,
              },
            });
            break;
          }
          case 'AWS::SQS::Queue': {
            const name = `${stackName}-${id}`;
            const arn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
            const queue = new LocalQueue(name, arn, Number(p.VisibilityTimeout ?? 30));
            queues.set(arn, queue);
            queueByLogical.set(`${stackName}/${id}`, queue);
            resolver.add({
              ...base,
              ref: `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${name}`,
              attributes: { Arn: arn, QueueName: name, QueueUrl: name },
            });
            break;
          }
          default: {
            const name = `${stackName}-${id}`;
            resolver.add({
              ...base,
              ref: name,
              attributes: {
                Arn: `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`,
                Id: name,
                Name: name,
              },
            });
          }
        }
      }
    }
    // Queue redrive policies (the on-failure queue's own dead-letter queue).
    for (const { stackName, template } of stacks) {
      for (const [id, res] of Object.entries(template.Resources)) {
        if (res.Type !== 'AWS::SQS::Queue' || !res.Properties?.RedrivePolicy) continue;
        const policy = resolver.resolve(res.Properties.RedrivePolicy, stackName) as {
          deadLetterTargetArn: string;
          maxReceiveCount: number;
        };
        const dlq = queues.get(policy.deadLetterTargetArn);
        if (dlq)
          queueByLogical.get(`${stackName}/${id}`)!.deadLetter = {
            queue: dlq,
            maxReceiveCount: Number(policy.maxReceiveCount),
          };
      }
    }

    // 2. State machines, run by the local Step Functions endpoint; their Lambda tasks call the local functions.
    const functionsByArn = new Map<string, LocalFunction>();
    const machines = stacks.flatMap(({ stackName, template }) =>
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
        .map(([id, r]) => {
          const arn = resolver.find(stackName, id)!.ref;
          const definition = JSON.parse(String(resolver.resolve(r.Properties?.DefinitionString, stackName)));
          return { name: arn.split(':').pop()!, arn, definition };
        }),
    );
    const stepFunctions = await startLocalStepFunctions({
      machines,
      log,
      ...(options.retryIntervalScale !== undefined ? { retryIntervalScale: options.retryIntervalScale } : {}),
      ...(options.taskOverrides ? { taskOverrides: options.taskOverrides } : {}),
      invoke: (functionArn, payload) => {
        const fn = functionsByArn.get(functionArn.replace(/:(\$LATEST|\d+)$/, ''));
        if (!fn)
          throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${functionArn}`);
        return fn.invoke(payload);
      },
    });
    stoppers.push(() => stepFunctions.stop());
    if (machines.length > 0) log(`state machines: ${machines.map((m) => m.name).join(', ')}`);

    // 3. Functions that carry the project's entry metadata (CDK's own helper functions have none).
    const busNames = stacks.flatMap(({ template }) =>
      Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Events::EventBus')
        .map((r) => String(r.Properties?.Name)),
    );
    const eventBridge = await startLocalEventBridge(busNames);
    stoppers.push(() => eventBridge.stop());
    let faults: FaultProxy | undefined;
    let functionEnv: Record<string, string> = {
      ...emulators.env,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
      AWS_ENDPOINT_URL_SFN: stepFunctions.url,
    };
    if (options.dynamoFaults) {
      faults = await startFaultProxy(emulators.endpoints.dynamodb);
      stoppers.push(() => faults!.stop());
      functionEnv = { ...functionEnv, AWS_ENDPOINT_URL_DYNAMODB: faults.url };
    }
    const logDirectory = options.logDirectory ?? join(ROOT, '.local', 'logs');
    mkdirSync(logDirectory, { recursive: true });
    const functions = new Map<string, LocalFunction>();
    const byLogical = new Map<string, LocalFunction>();
    const logStreams: WriteStream[] = [];
    for (const { stackName, template } of stacks) {
      for (const [id, res] of Object.entries(template.Resources)) {
        if (res.Type !== 'AWS::Lambda::Function') continue;
        const entry = res.Metadata?.['allUse:entry'];
        if (typeof entry !== 'string') continue;
        const p = res.Properties ?? {};
        const variables = resolver.resolve(
          (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
          stackName,
        ) as Record<string, unknown>;
        const name = `${stackName}-${id}`;
        const fn = new LocalFunction(
          {
            name,
            entry,
            handler: String(res.Metadata?.['allUse:handler'] ?? 'handler'),
            environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
            timeoutSeconds: Number(p.Timeout ?? 3),
            memoryMb: Number(p.MemorySize ?? 128),
          },
          ROOT,
          {
            ...functionEnv,
            PATH: process.env.PATH ?? '',
            NODE_OPTIONS: '--enable-source-maps',
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(p.MemorySize ?? 128),
            ...(process.env.LOG_LEVEL ? { POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL } : {}),
          },
          (() => {
            const s = createWriteStream(join(logDirectory, `${name}.log`), { flags: 'a' });
            logStreams.push(s);
            return s;
          })(),
        );
        functions.set(name, fn);
        byLogical.set(`${stackName}/${id}`, fn);
        functionsByArn.set(resolver.find(stackName, id)!.attributes.Arn!, fn);
      }
    }
    stoppers.push(async () => {
      await Promise.all([...functions.values()].map((f) => f.stop()));
      for (const s of logStreams) s.end();
    });
    log(`functions: ${[...functions.values()].map((f) => `${f.spec.name} (${f.spec.entry})`).join(', ')}`);

    // 4. Event-source mappings.
    const kinesisSources: KinesisEventSource[] = [];
    const sqsSources: SqsEventSource[] = [];
    for (const { stackName, template } of stacks) {
      for (const res of Object.values(template.Resources)) {
        if (res.Type !== 'AWS::Lambda::EventSourceMapping') continue;
        const p = res.Properties ?? {};
        const fnId = (p.FunctionName as { Ref?: string }).Ref!;
        const fn = byLogical.get(`${stackName}/${fnId}`);
        if (!fn)
          throw new Error(
            `local runtime: event source for ${stackName}/${fnId}, which has no local function`,
          );
        const sourceArn = String(resolver.resolve(p.EventSourceArn, stackName));
        const responseTypes = (p.FunctionResponseTypes as string[] | undefined) ?? [];
        if (sourceArn.startsWith('arn:aws:kinesis:')) {
          const onFailureArn = (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
            ?.OnFailure?.Destination;
          const onFailure = onFailureArn
            ? queues.get(String(resolver.resolve(onFailureArn, stackName)))
            : undefined;
          const source = new KinesisEventSource(
            clients.kinesis,
            fn,
            {
              streamName: sourceArn.split('/').pop()!,
              streamArn: sourceArn,
              batchSize: Number(p.BatchSize ?? 100),
              batchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
              startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
              reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
              bisectOnError: Boolean(p.BisectBatchOnFunctionError),
              maxRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
              maxRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
              ...(onFailure ? { onFailure } : {}),
            },
            options.pollIntervalMs,
          );
          await source.start();
          stoppers.push(() => source.stop());
          kinesisSources.push(source);
        } else if (queues.has(sourceArn)) {
          const source = new SqsEventSource(
            queues.get(sourceArn)!,
            fn,
            {
              batchSize: Number(p.BatchSize ?? 10),
              reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
            },
            options.pollIntervalMs,
          );
          source.start();
          stoppers.push(() => source.stop());
          sqsSources.push(source);
        } else {
          log(`skipping event source ${sourceArn}: no local counterpart`);
        }
      }
    }

    // 5. Schedules: EventBridge rules with a schedule expression invoke their Lambda targets with their input.
    const schedules: LocalSchedule[] = [];
    for (const { stackName, template } of stacks) {
      for (const [id, res] of Object.entries(template.Resources)) {
        const expression = res.Properties?.ScheduleExpression;
        if (res.Type !== 'AWS::Events::Rule' || typeof expression !== 'string') continue;
        for (const target of (res.Properties?.Targets as { Arn: unknown; Input?: string }[] | undefined) ??
          []) {
          const fnId = (target.Arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
          const fn = fnId ? byLogical.get(`${stackName}/${fnId}`) : undefined;
          if (!fn) {
            log(`schedule ${id}: target is not a local function; skipped`);
            continue;
          }
          const input = target.Input === undefined ? {} : (JSON.parse(target.Input) as unknown);
          const name = (input as { schedule?: string }).schedule ?? id;
          const everyMs = rateMs(expression);
          const schedule: LocalSchedule = { name, expression, everyMs, run: () => fn.invoke(input) };
          if (everyMs !== undefined && options.runSchedules !== false) {
            const timer = setInterval(() => {
              schedule.run().catch((error: Error) => log(`schedule ${name} failed: ${error.message}`));
            }, everyMs);
            timer.unref();
            stoppers.push(async () => clearInterval(timer));
          }
          schedules.push(schedule);
        }
      }
    }
    if (schedules.length > 0) {
      log(`schedules: ${schedules.map((s) => `${s.name} ${s.expression}`).join(', ')}`);
    }

    // 6. The HTTP API (plus local-only routes under /local/ for the schedules and the bus).
    const localRoutes = async (
      method: string,
      path: string,
    ): Promise<{ status: number; body: unknown } | undefined> => {
      if (method === 'POST' && path === '/local/schedules/run') {
        const results = await Promise.all(
          schedules.map(async (s) => {
            try {
              return { schedule: s.name, ok: true, result: await s.run() };
            } catch (error) {
              return { schedule: s.name, ok: false, error: (error as Error).message };
            }
          }),
        );
        return { status: 200, body: { results } };
      }
      if (method === 'GET' && path === '/local/executions')
        return {
          status: 200,
          body: {
            executions: [...stepFunctions.executions.values()].map((e) => ({
              name: e.name,
              stateMachine: e.stateMachineArn.split(':').pop(),
              status: e.status,
              error: e.error,
              cause: e.cause,
              transitions: e.transitions.slice(-20),
            })),
          },
        };
      if (method === 'GET' && path === '/local/events')
        return { status: 200, body: { events: eventBridge.events } };
      return undefined;
    };
    const routes = routesFromTemplates(stacks);
    const api = await startHttpApi({
      routes,
      localRoutes,
      port: options.port ?? 3000,
      functionFor: (route) => {
        const stackName = (route as { stackName?: string }).stackName!;
        const fn = byLogical.get(`${stackName}/${route.functionLogicalId}`);
        if (!fn) throw new Error(`no local function for ${route.routeKey}`);
        return fn;
      },
    });
    stoppers.push(() => api.stop());
    log(`routes: ${routes.map((r) => `${r.routeKey} [${r.authorization}]`).join(', ')}`);

    const waitForIdle = async (timeoutMs = 60_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      let quietRounds = 0;
      while (quietRounds < 2) {
        if (Date.now() > deadline) {
          const state = {
            kinesis: kinesisSources.map((s) => ({ idle: s.idle, ...s.stats })),
            sqs: sqsSources.map((s) => ({ idle: s.idle, ...s.stats })),
            queues: [...queues.values()].map((q) => ({ name: q.name, depth: q.depth })),
          };
          throw new Error(`local runtime not idle after ${timeoutMs} ms: ${JSON.stringify(state)}`);
        }
        await sleep(Math.max(50, (options.pollIntervalMs ?? 100) * 2));
        const idle = kinesisSources.every((s) => s.idle) && sqsSources.every((s) => s.idle);
        quietRounds = idle ? quietRounds + 1 : 0;
      }
    };

    return {
      url: api.url,
      stacks,
      env: emulators.env,
      clients,
      names: { ...names, lake: names.buckets.find((b) => b.startsWith('lakebucket')) ?? '' },
      functions,
      kinesisSources,
      sqsSources,
      queues: new Map([...queues.values()].map((q) => [q.name, q])),
      ...(faults ? { faults } : {}),
      eventBridge,
      stepFunctions,
      schedules,
      waitForIdle,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
