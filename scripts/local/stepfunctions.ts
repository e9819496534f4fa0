/**
 * A local Step Functions endpoint for the local runtime: the state machines CDK synthesized, run by
 * aws-local-stepfunctions (an ASL interpreter; no emulator of the service exists on npm), behind the
 * service's own JSON 1.0 protocol, so the real SFN client in our handlers runs unchanged against it
 * through AWS_ENDPOINT_URL_SFN.
 *
 * Supported: StartExecution (idempotent on name + input, as on AWS), DescribeExecution, StopExecution,
 * ListExecutions, SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat. Task states:
 * - `arn:aws:states:::lambda:invoke` calls the local function the `FunctionName` ARN names and wraps its
 *   result as the service integration does (`{ Payload, StatusCode, ExecutedVersion }`); a function error
 *   becomes a state error named by its `errorType` (so `Retry`/`Catch` on error names work), a timeout
 *   `Sandbox.Timedout`, a crash `Runtime.ExitError`, with Lambda's JSON `Cause`.
 * - `...lambda:invoke.waitForTaskToken` invokes the function with a fresh task token in place of
 *   `$$.Task.Token` and then waits for SendTaskSuccess / SendTaskFailure with that token.
 * - `arn:aws:states:::states:startExecution` (request-response) starts another local execution.
 * - any other resource fails with `Local.UnsupportedResource` unless a test supplies an override by state
 *   name (e.g. the SageMaker training branch, which cannot run here).
 * Not reproduced: JSONata, Distributed Map (ItemReader/ResultWriter), execution history beyond a bounded
 * list of state transitions, express workflows' semantics.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// aws-local-stepfunctions calls Promise.withResolvers, which Node 20 lacks (Node 22 has it).
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (v: T | PromiseLike<T>) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
const { StateMachine } = await import('aws-local-stepfunctions');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateMachineDefinition = ConstructorParameters<typeof StateMachine>[0];

/** An error a local task reports, by name, as Step Functions does. */
export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface LocalMachineSpec {
  readonly name: string;
  readonly arn: string;
  readonly definition: StateMachineDefinition;
}

/** Invokes a local function by its ARN; rejects with an error carrying `errorType`/`errorMessage`. */
export type InvokeFunction = (functionArn: string, payload: unknown) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  readonly startDate: number;
  stopDate?: number;
  /** State transitions, oldest first (bounded): `entered X`, `exited X`, `retried X`, `caught X`, `failed X`. */
  readonly transitions: string[];
  done: Promise<void>;
  abort(): void;
}

export interface LocalStepFunctionsOptions {
  readonly machines: readonly LocalMachineSpec[];
  readonly invoke: InvokeFunction;
  /** Task state overrides by state name (tests). */
  readonly taskOverrides?: Record<string, (input: unknown) => Promise<unknown>>;
  /** Multiplies every Retry interval (0.01 makes a 2 s backoff 20 ms in tests). @default 1 */
  readonly retryIntervalScale?: number;
  readonly log?: (line: string) => void;
}

export interface LocalStepFunctions {
  readonly url: string;
  readonly machines: ReadonlyMap<string, LocalMachineSpec>;
  readonly executions: ReadonlyMap<string, LocalExecution>;
  /** Starts an execution in process (what StartExecution does). */
  startExecution(stateMachineArn: string, input: string, name?: string): LocalExecution;
  /** Resolves when no execution is running (waiting for a task token counts as running). */
  waitForExecutions(timeoutMs?: number): Promise<void>;
  /** Task tokens currently awaited (for tests and /local/ routes). */
  readonly pendingTokens: ReadonlySet<string>;
  stop(): Promise<void>;
}

const TOKEN_PLACEHOLDER = '__local_task_token__';
const MAX_TRANSITIONS = 2_000;

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Every Task state of a definition, Map/Parallel iterators included. */
function taskStates(def: {
  States: Record<string, unknown>;
}): [string, { Resource: string; Retry?: unknown[] }][] {
  const found: [string, { Resource: string; Retry?: unknown[] }][] = [];
  for (const [name, state] of Object.entries(def.States)) {
    const s = state as Record<string, unknown>;
    if (s.Type === 'Task') found.push([name, s as { Resource: string }]);
    for (const nested of [s.Iterator, s.ItemProcessor, ...((s.Branches as unknown[]) ?? [])]) {
      if (nested && typeof nested === 'object')
        found.push(...taskStates(nested as { States: Record<string, unknown> }));
    }
  }
  return found;
}

function replaceToken(value: unknown, token: string): unknown {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replaceToken(v, token));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceToken(v, token)]));
  return value;
}

function asTaskError(error: unknown): TaskError {
  const e = error as { errorType?: string; errorMessage?: string; message?: string };
  if (error instanceof TaskError) return error;
  const errorType = e.errorType ?? 'Lambda.Unknown';
  const errorMessage = e.errorMessage ?? e.message ?? String(error);
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage }));
}

/** Starts the endpoint; see the module comment. */
export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<LocalStepFunctions> {
  const log = options.log ?? (() => undefined);
  const machines = new Map(options.machines.map((m) => [m.arn, m]));
  const executions = new Map<string, LocalExecution>();
  const waiters = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const scale = options.retryIntervalScale ?? 1;

  const handlersFor = (machine: LocalMachineSpec) => {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const retryIntervalOverrides: Record<string, number[]> = {};
    for (const [stateName, state] of taskStates(machine.definition as never)) {
      const override = options.taskOverrides?.[stateName];
      if (scale !== 1 && state.Retry) {
        // The interpreter takes one fixed interval (ms) per retrier of the state: the scaled base interval.
        retryIntervalOverrides[stateName] = state.Retry.map(
          (r) => ((r as { IntervalSeconds?: number }).IntervalSeconds ?? 1) * 1000 * scale,
        );
      }
      if (override) {
        handlers[stateName] = async (input) => (await override(input)) as Json;
        continue;
      }
      const resource = state.Resource.replace(/^arn:aws[a-z-]*:/, 'arn:aws:');
      if (resource === 'arn:aws:states:::lambda:invoke') {
        handlers[stateName] = async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
          try {
            const result = await options.invoke(FunctionName, Payload ?? {});
            return { ExecutedVersion: '$LATEST', Payload: (result ?? null) as Json, StatusCode: 200 };
          } catch (error) {
            throw asTaskError(error);
          }
        };
      } else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        handlers[stateName] = async (input) => {
          const token = Buffer.from(`${machine.name}:${randomUUID()}`).toString('base64url');
          const { FunctionName, Payload } = replaceToken(input, token) as {
            FunctionName: string;
            Payload?: unknown;
          };
          // Registered before the invocation: the function may hand the token out before it returns.
          const waited = new Promise<unknown>((resolve, reject) => waiters.set(token, { resolve, reject }));
          try {
            await options.invoke(FunctionName, Payload ?? {});
          } catch (error) {
            waiters.delete(token);
            throw asTaskError(error);
          }
          return (await waited) as Json;
        };
      } else if (resource === 'arn:aws:states:::states:startExecution') {
        // Request-response StartExecution (e.g. a workflow continuing in a fresh execution).
        handlers[stateName] = async (input) => {
          const p = input as { StateMachineArn: string; Input?: unknown; Name?: string };
          const input_ = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {});
          try {
            const e = startExecution(p.StateMachineArn, input_, p.Name);
            return { ExecutionArn: e.executionArn, StartDate: new Date(e.startDate).toISOString() };
          } catch (error) {
            const e = error as ServiceError;
            throw new TaskError(`StepFunctions.${e.type ?? 'SfnException'}`, e.message);
          }
        };
      } else {
        handlers[stateName] = async () => {
          throw new TaskError(
            'Local.UnsupportedResource',
            `state ${stateName}: resource ${state.Resource} has no local counterpart (give the local runtime a task override)`,
          );
        };
      }
    }
    return { handlers, retryIntervalOverrides };
  };

  const startExecution = (stateMachineArn: string, input: string, name?: string): LocalExecution => {
    const machine = machines.get(stateMachineArn);
    if (!machine)
      throw new ServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    const executionName = name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(executionName))
      throw new ServiceError('InvalidName', `Invalid Name: '${executionName}'`);
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    const existing = executions.get(executionArn);
    if (existing) {
      if (existing.input === input && existing.status === 'RUNNING') return existing;
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(input) as Json;
    } catch {
      throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const { handlers, retryIntervalOverrides } = handlersFor(machine);
    const sm = new StateMachine(machine.definition, { validationOptions: { checkArn: false } });
    const startDate = Date.now();
    const run = sm.run(parsed, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
      context: {
        Execution: {
          Id: executionArn,
          Name: executionName,
          StartTime: new Date(startDate).toISOString(),
          Input: parsed,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    const transitions: string[] = [];
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name: executionName,
      input,
      status: 'RUNNING',
      startDate,
      transitions,
      abort: () => run.abort(),
      done: Promise.resolve(),
    };
    execution.done = (async () => {
      const logs = (async () => {
        for await (const e of run.eventLogs) {
          const state = (e as { state?: { name: string } }).state?.name;
          if (!state) continue;
          transitions.push(`${e.type.replace('State', '').toLowerCase()} ${state}`);
          if (transitions.length > MAX_TRANSITIONS)
            transitions.splice(0, transitions.length - MAX_TRANSITIONS);
        }
      })().catch(() => undefined);
      try {
        const output = await run.result;
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output ?? null);
      } catch (error) {
        const e = error as Error & { cause?: { name?: string; message?: string } };
        if (e.name === 'ExecutionAbortedError') {
          execution.status = 'ABORTED';
        } else if (e.name === 'ExecutionTimeoutError') {
          execution.status = 'TIMED_OUT';
        } else {
          execution.status = 'FAILED';
          // ExecutionError wraps the runtime error that ended the run.
          const inner = (e.cause ?? e) as { name?: string; message?: string };
          execution.error = inner.name ?? 'States.Runtime';
          execution.cause = inner.message ?? String(error);
        }
      } finally {
        execution.stopDate = Date.now();
        await logs;
        log(
          `execution ${executionName} of ${machine.name}: ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause})` : ''}`,
        );
      }
    })();
    executions.set(executionArn, execution);
    log(`execution ${executionName} of ${machine.name} started`);
    return execution;
  };

  const describe = (e: LocalExecution) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate / 1000,
    input: e.input,
    ...(e.stopDate !== undefined ? { stopDate: e.stopDate / 1000 } : {}),
    ...(e.output !== undefined ? { output: e.output } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  });

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (b) => {
      const e = startExecution(
        String(b.stateMachineArn),
        String(b.input ?? '{}'),
        b.name as string | undefined,
      );
      return { executionArn: e.executionArn, startDate: e.startDate / 1000 };
    },
    DescribeExecution: (b) => {
      const e = executions.get(String(b.executionArn));
      if (!e)
        throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${b.executionArn}'`);
      return describe(e);
    },
    ListExecutions: (b) => ({
      executions: [...executions.values()]
        .filter(
          (e) => e.stateMachineArn === b.stateMachineArn && (!b.statusFilter || e.status === b.statusFilter),
        )
        .map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate / 1000,
        })),
    }),
    StopExecution: (b) => {
      const e = executions.get(String(b.executionArn));
      if (!e)
        throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${b.executionArn}'`);
      if (e.status === 'RUNNING') e.abort();
      return { stopDate: Date.now() / 1000 };
    },
    SendTaskSuccess: (b) => {
      const w = waiters.get(String(b.taskToken));
      if (!w) throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
      let output: unknown;
      try {
        output = JSON.parse(String(b.output));
      } catch {
        throw new ServiceError('InvalidOutput', 'Invalid Output: not JSON');
      }
      waiters.delete(String(b.taskToken));
      w.resolve(output);
      return {};
    },
    SendTaskFailure: (b) => {
      const w = waiters.get(String(b.taskToken));
      if (!w) throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
      waiters.delete(String(b.taskToken));
      w.reject(new TaskError(String(b.error ?? 'States.TaskFailed'), String(b.cause ?? '')));
      return {};
    },
    SendTaskHeartbeat: (b) => {
      if (!waiters.has(String(b.taskToken)))
        throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
      return {};
    },
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = operations[target.replace(/^AWSStepFunctions\./, '')];
      if (!target.startsWith('AWSStepFunctions.') || !op) {
        reply(400, { __type: 'UnknownOperationException', message: `${target} is not supported locally` });
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        reply(200, op(body));
      } catch (error) {
        if (error instanceof ServiceError)
          reply(error.status, { __type: error.type, message: error.message });
        else reply(500, { __type: 'InternalFailure', message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    machines,
    executions,
    startExecution,
    get pendingTokens() {
      return new Set(waiters.keys());
    },
    waitForExecutions: async (timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = [...executions.values()].filter((e) => e.status === 'RUNNING');
        if (running.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(
            `executions still running after ${timeoutMs} ms: ${running.map((e) => e.name).join(', ')}`,
          );
        await Promise.race([Promise.all(running.map((e) => e.done)), new Promise((r) => setTimeout(r, 200))]);
      }
    },
    stop: async () => {
      for (const e of executions.values()) if (e.status === 'RUNNING') e.abort();
      for (const w of waiters.values()) w.reject(new TaskError('States.Runtime', 'local runtime stopped'));
      waiters.clear();
      await Promise.all([...executions.values()].map((e) => e.done.catch(() => undefined)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
