/**
 * Creates the project's DynamoDB tables on an emulator (or any endpoint) with the key schemas of
 * src/adapters/tables.ts, the same ones the CDK stacks use.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createTableAndWait, type Emulators, startEmulators } from '../../scripts/local/emulators.ts';
import { createDynamoDbClient } from '../../src/adapters/clients.ts';
import { DOCUMENTS_TABLE, SERIES_TABLE } from '../../src/adapters/tables.ts';

export interface TestTableNames {
  readonly documents: string;
  readonly series: string;
}

let tableCounter = 0;

/**
 * Creates a Documents table (with the byKind GSI) and a Series table, on-demand, under fresh names so
 * that tests sharing one emulator never see each other's items.
 */
export async function createTablesForTest(
  dynamodb: DynamoDBClient,
  prefix = 'test',
): Promise<TestTableNames> {
  tableCounter += 1;
  const suffix = `${process.pid}-${tableCounter}`;
  const names = { documents: `${prefix}-documents-${suffix}`, series: `${prefix}-series-${suffix}` };
  const { partitionKey, sortKey, byKindIndex } = DOCUMENTS_TABLE;
  await createTableAndWait(dynamodb, {
    TableName: names.documents,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: byKindIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: byKindIndex.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: byKindIndex.name,
        KeySchema: [
          { AttributeName: byKindIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: byKindIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });
  await createTableAndWait(dynamodb, {
    TableName: names.series,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: SERIES_TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: SERIES_TABLE.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: SERIES_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: SERIES_TABLE.sortKey, KeyType: 'RANGE' },
    ],
  });
  return names;
}

/**
 * Starts the emulators once for a test file (beforeAll) and stops them after it (afterAll), handing the
 * file a DynamoDB client for dynalite.
 *
 * @example
 * let dynamodb: DynamoDBClient;
 * useDynalite((client) => { dynamodb = client; });
 */
export function useDynalite(receive: (client: DynamoDBClient) => void): void {
  let emulators: Emulators | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    emulators = await startEmulators();
    client = createDynamoDbClient(emulators.env);
    receive(client);
  });
  afterAll(async () => {
    client?.destroy();
    await emulators?.stop();
  });
}
