/**
 * The local Step Functions endpoint, driven through the real SFN client: service-integration semantics
 * of lambda:invoke (Payload wrapping, errors named by errorType for Retry/Catch), task tokens, Map,
 * idempotent StartExecution, StopExecution.
 */
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionError } from '../../scripts/local/functions.ts';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../scripts/local/stepfunctions.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:worker';
const RETRY = [{ ErrorEquals: ['TransientError'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }];
const invokeState = (extra: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: FN, 'Payload.$': '$' },
  ...extra,
});

const machines = [
  {
    name: 'pipeline',
    arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:pipeline',
    definition: {
      StartAt: 'Double',
      States: {
        Double: invokeState({
          ResultSelector: { 'value.$': '$.Payload.value' },
          ResultPath: '$.doubled',
          Retry: RETRY,
          Next: 'Fan',
        }),
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          Parameters: { 'item.$': '$$.Map.Item.Value' },
          Iterator: {
            StartAt: 'Each',
            States: { Each: invokeState({ OutputPath: '$.Payload', End: true }) },
          },
          ResultPath: '$.fanned',
          Next: 'Approve',
        },
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', kind: 'approval' } },
          ResultPath: '$.approval',
          Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.rejection', Next: 'Rejected' }],
          End: true,
        },
        Rejected: { Type: 'Fail', Error: 'Rejected', Cause: 'a human said no' },
      },
    },
  },
  {
    name: 'failing',
    arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:failing',
    definition: { StartAt: 'Boom', States: { Boom: invokeState({ End: true }) } },
  },
];

let sfn: LocalStepFunctions;
let client: SFNClient;
const tokens: string[] = [];
let transientFailures = 0;

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    machines: machines as never,
    retryIntervalScale: 0.001,
    invoke: async (arn, payload) => {
      expect(arn).toBe(FN);
      const p = payload as Record<string, unknown>;
      if (p.kind === 'approval') {
        tokens.push(String(p.token));
        return { stored: true };
      }
      if (p.boom) throw new FunctionError('worker', 'Unhandled', 'bad things', 'ValidationError');
      if ('item' in p) return { item: p.item, squared: Number(p.item) ** 2 };
      if (transientFailures-- > 0)
        throw new FunctionError('worker', 'Unhandled', 'throttled', 'TransientError');
      return { value: Number(p.value) * 2 };
    },
  });
  client = new SFNClient({
    endpoint: sfn.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await sfn.stop();
});

async function waitFor(executionArn: string) {
  await sfn.executions.get(executionArn)!.done;
  return client.send(new DescribeExecutionCommand({ executionArn }));
}

async function waitForToken(count: number) {
  for (let i = 0; i < 200 && tokens.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  expect(tokens.length).toBe(count);
  return tokens[count - 1]!;
}

describe('local Step Functions', () => {
  it('runs lambda:invoke with Payload wrapping, retries errors by name, fans out a Map and waits for a task token', async () => {
    transientFailures = 2;
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machines[0]!.arn,
        name: 'run-1',
        input: JSON.stringify({ value: 21, items: [1, 2, 3] }),
      }),
    );
    const token = await waitForToken(1);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    expect(sfn.pendingTokens.has(token)).toBe(true);

    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ by: 'alice' }) }),
    );
    const done = await waitFor(executionArn!);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({
      value: 21,
      items: [1, 2, 3],
      doubled: { value: 42 },
      fanned: [
        { item: 1, squared: 1 },
        { item: 2, squared: 4 },
        { item: 3, squared: 9 },
      ],
      approval: { by: 'alice' },
    });
    expect(sfn.executions.get(executionArn!)!.transitions).toContain('retried Double');
  });

  it('is idempotent on name and input, and refuses the same name with another input', async () => {
    const input = JSON.stringify({ value: 1, items: [] });
    const a = await client.send(
      new StartExecutionCommand({ stateMachineArn: machines[0]!.arn, name: 'run-2', input }),
    );
    const b = await client.send(
      new StartExecutionCommand({ stateMachineArn: machines[0]!.arn, name: 'run-2', input }),
    );
    expect(b.executionArn).toBe(a.executionArn);
    await expect(
      client.send(
        new StartExecutionCommand({ stateMachineArn: machines[0]!.arn, name: 'run-2', input: '{}' }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });

    const token = await waitForToken(2);
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'no' }));
    const done = await waitFor(a.executionArn!);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('Rejected');
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it("fails an execution with the function's errorType and Lambda's JSON cause", async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: machines[1]!.arn, input: JSON.stringify({ boom: true }) }),
    );
    const done = await waitFor(executionArn!);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('ValidationError');
    expect(JSON.parse(done.cause!)).toEqual({ errorType: 'ValidationError', errorMessage: 'bad things' });
  });

  it('stops a running execution, and names unknown machines and executions', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machines[0]!.arn,
        input: JSON.stringify({ value: 1, items: [] }),
      }),
    );
    await waitForToken(3);
    await client.send(new StopExecutionCommand({ executionArn }));
    expect((await waitFor(executionArn!)).status).toBe('ABORTED');

    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: `${machines[0]!.arn}-nope`, input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:0:execution:x:y' })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});
