/** DynamoDbModelRegistry on dynalite: the contract, plus the item layout other code may rely on. */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbModelRegistry, modelRegistryKeys } from '../../src/adapters/dynamodb-model-registry.ts';
import { createTablesForTest, useDynalite } from '../support/dynamodb-tables.ts';
import { describeModelRegistryContract, steppingClock } from './model-registry.contract.ts';

let dynamodb: DynamoDBClient;
useDynalite((client) => {
  dynamodb = client;
});

async function makeRegistry(): Promise<DynamoDbModelRegistry> {
  const { documents } = await createTablesForTest(dynamodb, 'registry');
  return new DynamoDbModelRegistry({ client: dynamodb, tableName: documents, now: steppingClock() });
}

describeModelRegistryContract('DynamoDB (dynalite)', makeRegistry);

describe('DynamoDbModelRegistry item layout', () => {
  it('keeps versions under pk MODEL#<name>, sk V#<10-digit version>, and the counter under META', async () => {
    // Prepare
    const { documents } = await createTablesForTest(dynamodb, 'registry');
    const registry = new DynamoDbModelRegistry({ client: dynamodb, tableName: documents });
    const keys = modelRegistryKeys('regime');

    // Act
    await registry.registerVersion('regime', {
      artifactUri: 's3://models/regime/1.json',
      artifactSha256: 'cd'.repeat(32),
      algorithm: 'gbm',
      params: {},
      metrics: {},
      datasetFingerprint: 'ds',
      codeVersion: 'abc',
    });
    const version = await dynamodb.send(new GetItemCommand({ TableName: documents, Key: keys.version(1) }));
    const meta = await dynamodb.send(new GetItemCommand({ TableName: documents, Key: keys.meta }));

    // Assess
    expect(keys.version(1)).toEqual({ pk: { S: 'MODEL#regime' }, sk: { S: 'V#0000000001' } });
    expect(version.Item?.artifactSha256?.S).toBe('cd'.repeat(32));
    expect(meta.Item?.nextVersion?.N).toBe('1');
  });
});

describe('DynamoDbModelRegistry optimistic concurrency', () => {
  const WHO = { reason: 'test', actor: 'tester' };
  const input = {
    artifactUri: 's3://models/regime/1.json',
    artifactSha256: 'cd'.repeat(32),
    algorithm: 'gbm',
    params: {},
    metrics: {},
    datasetFingerprint: 'ds',
    codeVersion: 'abc',
  };

  /**
   * A registry whose client runs `interfere` once, just before its first alias write: the write then
   * meets a state other than the one it read, deterministically.
   */
  async function racingRegistries(interfere: (other: DynamoDbModelRegistry) => Promise<unknown>) {
    const { documents } = await createTablesForTest(dynamodb, 'registry');
    const other = new DynamoDbModelRegistry({ client: dynamodb, tableName: documents });
    let interfered = false;
    const client = {
      send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
        const sk = command instanceof PutItemCommand ? command.input.Item?.sk?.S : undefined;
        if (!interfered && sk?.startsWith('ALIAS#')) {
          interfered = true;
          await interfere(other);
        }
        return dynamodb.send(command);
      },
    } as unknown as DynamoDBClient;
    const racing = new DynamoDbModelRegistry({ client, tableName: documents });
    return { racing, other };
  }

  it('re-reads and records both moves when another move lands between its read and its write', async () => {
    // Prepare
    const { racing, other } = await racingRegistries((o) => o.setAlias('regime', 'champion', 3, WHO));
    for (let n = 0; n < 3; n += 1) await other.registerVersion('regime', input);
    await other.setAlias('regime', 'champion', 1, WHO);

    // Act
    const state = await racing.setAlias('regime', 'champion', 2, WHO);

    // Assess
    expect(state.version).toBe(2);
    expect(state.history.map((m) => [m.from, m.to])).toEqual([
      [null, 1],
      [1, 3],
      [3, 2],
    ]);
    expect(await other.getAlias('regime', 'champion')).toEqual(state);
  });

  it('refuses a rollback with conflict when the alias moved between its read and its write', async () => {
    // Prepare
    const { racing, other } = await racingRegistries((o) => o.setAlias('regime', 'champion', 3, WHO));
    for (let n = 0; n < 3; n += 1) await other.registerVersion('regime', input);
    await other.setAlias('regime', 'champion', 1, WHO);
    await other.setAlias('regime', 'champion', 2, WHO);

    // Act
    const attempt = racing.rollback('regime', 'champion', WHO);

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/champion.*moved/),
    });
    expect((await other.getAlias('regime', 'champion')).version).toBe(3);
  });
});
