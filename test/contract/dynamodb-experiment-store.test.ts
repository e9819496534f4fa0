/** DynamoDbExperimentStore on dynalite: the contract, plus the listing bound of the adapter. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbExperimentStore } from '../../src/adapters/dynamodb-experiment-store.ts';
import { EXPERIMENT_LIMITS } from '../../src/core/experiments/index.ts';
import { createTablesForTest, useDynalite } from '../support/dynamodb-tables.ts';
import { describeExperimentStoreContract, testClock } from './experiment-store.contract.ts';

let dynamodb: DynamoDBClient;
useDynalite((client) => {
  dynamodb = client;
});

describeExperimentStoreContract('DynamoDB (dynalite)', async (clock) => {
  const { documents } = await createTablesForTest(dynamodb, 'exp');
  return new DynamoDbExperimentStore({ client: dynamodb, tableName: documents, ...clock });
});

describe('DynamoDbExperimentStore listing bound', () => {
  it('refuses to list an experiment with more runs than maxRunsPerList, naming the bound', async () => {
    // Prepare
    const { documents } = await createTablesForTest(dynamodb, 'exp');
    const store = new DynamoDbExperimentStore({
      client: dynamodb,
      tableName: documents,
      maxRunsPerList: 3,
      ...testClock(),
    });
    for (let i = 0; i < 3; i += 1) await store.startRun({ experiment: 'delta-sweep', params: {} });
    const three = await store.listRuns('delta-sweep');
    await store.startRun({ experiment: 'delta-sweep', params: {} });

    // Act
    const four = store.listRuns('delta-sweep');

    // Assess
    expect(three.runs).toHaveLength(3);
    await expect(four).rejects.toMatchObject({
      code: 'invalid',
      field: 'experiment',
      message: /more than 3 runs/,
    });
  });
});

describe('DynamoDbExperimentStore item size', () => {
  it('holds a run at every bound, with the longest names and values, in one item', async () => {
    // Prepare
    const { documents } = await createTablesForTest(dynamodb, 'exp');
    const store = new DynamoDbExperimentStore({ client: dynamodb, tableName: documents, ...testClock() });
    const long = (prefix: string, i: number, length: number) => `${prefix}${i}`.padEnd(length, 'x');
    const params = Object.fromEntries(
      Array.from({ length: EXPERIMENT_LIMITS.maxParams }, (_, i) => [long('p', i, 64), 'v'.repeat(256)]),
    );
    const tags = Object.fromEntries(
      Array.from({ length: EXPERIMENT_LIMITS.maxTags }, (_, i) => [long('t', i, 64), 'v'.repeat(256)]),
    );
    const metrics = Object.fromEntries(
      Array.from({ length: EXPERIMENT_LIMITS.maxMetrics }, (_, i) => [long('m', i, 64), Math.PI * 1e-100]),
    );
    const run = await store.startRun({ experiment: 'delta-sweep', params, tags });
    const steps = EXPERIMENT_LIMITS.maxHistoryPoints / EXPERIMENT_LIMITS.maxMetrics;

    // Act
    for (let k = 0; k < steps; k += 1) await store.logMetrics(run.id, metrics, Number.MAX_SAFE_INTEGER - k);
    for (let i = 0; i < EXPERIMENT_LIMITS.maxArtifacts; i += 1) {
      await store.logArtifact(run.id, {
        name: long('a', i, 128),
        uri: `s3://${'b'.repeat(EXPERIMENT_LIMITS.maxUriLength - 5)}`,
        sha256: 'f'.repeat(64),
      });
    }
    const finished = await store.finishRun(run.id, 'failed', {
      error: 'e'.repeat(EXPERIMENT_LIMITS.maxErrorLength),
    });

    // Assess
    expect(Object.keys(finished.params)).toHaveLength(EXPERIMENT_LIMITS.maxParams);
    expect(Object.values(finished.history).flat()).toHaveLength(EXPERIMENT_LIMITS.maxHistoryPoints);
    expect(finished.artifacts).toHaveLength(EXPERIMENT_LIMITS.maxArtifacts);
  });
});
