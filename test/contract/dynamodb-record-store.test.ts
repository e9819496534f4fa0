/** DynamoDbRecordStore on dynalite: the contract. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbRecordStore } from '../../src/adapters/dynamodb-record-store.ts';
import { createTablesForTest, useDynalite } from '../support/dynamodb-tables.ts';
import { describeRecordStoreContract } from './record-store.contract.ts';

let dynamodb: DynamoDBClient;
useDynalite((client) => {
  dynamodb = client;
});

describeRecordStoreContract('DynamoDB (dynalite)', async () => {
  const { documents } = await createTablesForTest(dynamodb, 'records');
  return new DynamoDbRecordStore({ client: dynamodb, tableName: documents, kind: 'training-run' });
});
