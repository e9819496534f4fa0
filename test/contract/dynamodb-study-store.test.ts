/** DynamoDbStudyStore on dynalite: the contract, the item layout, and races made deterministic. */
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbStudyStore, studyKeys } from '../../src/adapters/dynamodb-study-store.ts';
import { TransientStoreError } from '../../src/core/ports.ts';
import { createTablesForTest, useDynalite } from '../support/dynamodb-tables.ts';
import { definition, describeStudyStoreContract, T0 } from './study-store.contract.ts';

let dynamodb: DynamoDBClient;
useDynalite((client) => {
  dynamodb = client;
});

async function makeStore(): Promise<DynamoDbStudyStore> {
  const { documents } = await createTablesForTest(dynamodb, 'studies');
  return new DynamoDbStudyStore({ client: dynamodb, tableName: documents });
}

describeStudyStoreContract('DynamoDB (dynalite)', makeStore);

/** A client that runs `interfere` once, just before the first command `when` selects, then sends it. */
function interferingClient(
  when: (command: unknown) => boolean,
  interfere: () => Promise<unknown>,
): DynamoDBClient {
  let done = false;
  return {
    send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
      if (!done && when(command)) {
        done = true;
        await interfere();
      }
      return dynamodb.send(command);
    },
  } as unknown as DynamoDBClient;
}

describe('DynamoDbStudyStore item layout', () => {
  it('keeps the study under pk STUDY#<id>, sk META, and trials under sk TRIAL#<10-digit number>', async () => {
    // Prepare
    const { documents } = await createTablesForTest(dynamodb, 'studies');
    const store = new DynamoDbStudyStore({ client: dynamodb, tableName: documents });
    const keys = studyKeys('abc');

    // Act
    await store.createStudy({ id: 'abc', definition: definition(), now: T0 });
    await store.reserveTrials('abc', [{ number: 42, params: { x0: 1, x1: 2 } }], { workerId: 'w', now: T0 });
    const meta = await dynamodb.send(new GetItemCommand({ TableName: documents, Key: keys.meta }));
    const trial = await dynamodb.send(new GetItemCommand({ TableName: documents, Key: keys.trial(42) }));

    // Assess
    expect(keys.trial(42)).toEqual({ pk: { S: 'STUDY#abc' }, sk: { S: 'TRIAL#0000000042' } });
    expect(meta.Item?.status?.S).toBe('running');
    expect(meta.Item?.gsi1pk?.S).toBe('STUDIES');
    expect(meta.Item?.gsi1sk?.S).toBe('2024-01-02T10:00:00.000Z#abc');
    expect(JSON.parse(meta.Item?.definition?.S ?? '{}')).toEqual(definition());
    expect(trial.Item?.state?.S).toBe('running');
    expect(trial.Item?.heartbeatAt?.N).toBe(String(T0));
  });
});

describe('DynamoDbStudyStore races', () => {
  it('stops reserving at the first number another asker took between its read and its write', async () => {
    // Prepare: the other asker takes 0..1 just before our first put.
    const { documents } = await createTablesForTest(dynamodb, 'studies');
    const other = new DynamoDbStudyStore({ client: dynamodb, tableName: documents });
    await other.createStudy({ id: 's1', definition: definition(), now: T0 });
    const client = interferingClient(
      (c) => c instanceof PutItemCommand && c.input.Item?.sk?.S?.startsWith('TRIAL#') === true,
      () =>
        other.reserveTrials(
          's1',
          [0, 1].map((number) => ({ number, params: { x0: 0, x1: 0 } })),
          { workerId: 'other', now: T0 },
        ),
    );
    const racing = new DynamoDbStudyStore({ client, tableName: documents });

    // Act
    const result = await racing.reserveTrials(
      's1',
      [0, 1, 2].map((number) => ({ number, params: { x0: 1, x1: 1 } })),
      { workerId: 'racing', now: T0 },
    );

    // Assess
    expect(result).toEqual({ reserved: [], conflict: true });
    const stored = (await other.listTrials('s1')).trials;
    expect(stored.map((t) => [t.number, t.workerId])).toEqual([
      [0, 'other'],
      [1, 'other'],
    ]);
  });

  it('keeps a trial running when its heartbeat lands between the recovery read and the recovery write', async () => {
    // Prepare
    const { documents } = await createTablesForTest(dynamodb, 'studies');
    const other = new DynamoDbStudyStore({ client: dynamodb, tableName: documents });
    await other.createStudy({ id: 's1', definition: definition(), now: T0 });
    await other.reserveTrials('s1', [{ number: 0, params: { x0: 0, x1: 0 } }], { workerId: 'w', now: T0 });
    const client = interferingClient(
      (c) => c instanceof UpdateItemCommand && c.input.ConditionExpression?.includes('#heartbeatAt') === true,
      () => other.heartbeat('s1', 0, 'w', T0 + 65_000),
    );
    const racing = new DynamoDbStudyStore({ client, tableName: documents });

    // Act
    const recovered = await racing.recoverStale('s1', T0 + 70_000, 60_000);

    // Assess
    expect(recovered).toEqual([]);
    expect(await other.getTrial('s1', 0)).toMatchObject({ state: 'running', heartbeatAt: T0 + 65_000 });
  });

  it('answers duplicate when the same tell lands between its read and its write', async () => {
    // Prepare
    const { documents } = await createTablesForTest(dynamodb, 'studies');
    const other = new DynamoDbStudyStore({ client: dynamodb, tableName: documents });
    await other.createStudy({ id: 's1', definition: definition(), now: T0 });
    await other.reserveTrials('s1', [{ number: 0, params: { x0: 0, x1: 0 } }], { workerId: 'w', now: T0 });
    const result = { state: 'complete' as const, values: [0.5] };
    const client = interferingClient(
      (c) => c instanceof UpdateItemCommand && c.input.UpdateExpression?.includes('#finishedAt') === true,
      () => other.finishTrial('s1', 0, result, T0 + 1),
    );
    const racing = new DynamoDbStudyStore({ client, tableName: documents });

    // Act
    const outcome = await racing.finishTrial('s1', 0, result, T0 + 2);

    // Assess
    expect(outcome).toBe('duplicate');
    expect(await other.getTrial('s1', 0)).toMatchObject({
      state: 'complete',
      values: [0.5],
      finishedAt: T0 + 1,
    });
  });
});

describe('DynamoDbStudyStore faults', () => {
  it('turns throttling into TransientStoreError, so a Step Functions retry can take over', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const client = { send: async () => Promise.reject(throttled) } as unknown as DynamoDBClient;
    const store = new DynamoDbStudyStore({ client, tableName: 'any' });

    // Act
    const attempt = store.getStudy('s1');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TransientStoreError);
    await expect(attempt).rejects.toThrow(/ProvisionedThroughputExceededException: Rate exceeded/);
  });
});
