/** DynamoDbRecordStore on dynalite: the contract. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type Emulators, startEmulators } from '../../scripts/local/emulators.ts';
import { createDynamoDbClient } from '../../src/adapters/clients.ts';
import { DynamoDbRecordStore } from '../../src/adapters/dynamodb-record-store.ts';
import { createTablesForTest } from '../support/dynamodb-tables.ts';
import { describeRecordStoreContract } from './record-store.contract.ts';

let emulators: Emulators;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  emulators = await startEmulators();
  dynamodb = createDynamoDbClient(emulators.env);
});

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

describeRecordStoreContract('DynamoDB (dynalite)', async () => {
  const { documents } = await createTablesForTest(dynamodb, 'records');
  return new DynamoDbRecordStore({ client: dynamodb, tableName: documents, kind: 'training-run' });
});
