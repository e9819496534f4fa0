/**
 * DynamoDbRecordStore: workflow records (training runs, approvals) on the Documents table.
 *
 * One item per record: pk `<KIND>#<id>`, sk `RECORD`, `status` (S), `body` (the record as JSON text, so
 * it round-trips exactly), and gsi1pk = kind, gsi1sk = zero-padded createdAt + id for newest-first listing
 * on the byKind index. Writes are single conditional puts: `attribute_not_exists(pk)` to create,
 * `#status IN (...)` to transition (dynalite has no transactions).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  listLimit,
  type RecordPage,
  type RecordStore,
  RecordStoreError,
  type StatusRecord,
} from '../core/workflows/records.ts';
import { isConditionalCheckFailed, transientAware } from './errors.ts';
import { DOCUMENTS_TABLE } from './tables.ts';

const { partitionKey: PK, sortKey: SK, byKindIndex } = DOCUMENTS_TABLE;
type Item = Record<string, AttributeValue>;

export interface DynamoDbRecordStoreProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Kind of record, e.g. `training-run`; becomes the key prefix (upper case) and the index partition. */
  readonly kind: string;
}

export class DynamoDbRecordStore<T extends StatusRecord> implements RecordStore<T> {
  private readonly prefix: string;

  constructor(private readonly props: DynamoDbRecordStoreProps) {
    this.prefix = props.kind.toUpperCase();
  }

  private key(id: string): Item {
    return { [PK]: { S: `${this.prefix}#${id}` }, [SK]: { S: 'RECORD' } };
  }

  private item(record: T): Item {
    return {
      ...this.key(record.id),
      status: { S: record.status },
      body: { S: JSON.stringify(record) },
      [byKindIndex.partitionKey]: { S: this.props.kind },
      [byKindIndex.sortKey]: { S: `${String(record.createdAt).padStart(15, '0')}#${record.id}` },
    };
  }

  async create(record: T): Promise<boolean> {
    try {
      await transientAware(`DynamoDB ${this.props.kind} create`, () =>
        this.props.client.send(
          new PutItemCommand({
            TableName: this.props.tableName,
            Item: this.item(record),
            ConditionExpression: `attribute_not_exists(${PK})`,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(id: string): Promise<T | undefined> {
    const out = await transientAware(`DynamoDB ${this.props.kind} get`, () =>
      this.props.client.send(
        new GetItemCommand({ TableName: this.props.tableName, Key: this.key(id), ConsistentRead: true }),
      ),
    );
    return out.Item?.body?.S === undefined ? undefined : (JSON.parse(out.Item.body.S) as T);
  }

  async transition(record: T, from: readonly string[]): Promise<boolean> {
    if (from.length === 0) return false;
    const values = Object.fromEntries(from.map((s, i) => [`:s${i}`, { S: s }]));
    try {
      await transientAware(`DynamoDB ${this.props.kind} transition`, () =>
        this.props.client.send(
          new PutItemCommand({
            TableName: this.props.tableName,
            Item: this.item(record),
            ConditionExpression: `attribute_exists(${PK}) AND #status IN (${Object.keys(values).join(', ')})`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async list(options: { limit?: number; cursor?: string } = {}): Promise<RecordPage<T>> {
    const limit = listLimit(options.limit);
    let start: Item | undefined;
    if (options.cursor !== undefined) {
      try {
        start = JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8')) as Item;
      } catch {
        throw new RecordStoreError('cursor', 'is not a cursor of this listing');
      }
    }
    const out = await transientAware(`DynamoDB ${this.props.kind} list`, () =>
      this.props.client.send(
        new QueryCommand({
          TableName: this.props.tableName,
          IndexName: byKindIndex.name,
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': byKindIndex.partitionKey },
          ExpressionAttributeValues: { ':k': { S: this.props.kind } },
          ScanIndexForward: false,
          Limit: limit,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    const records = (out.Items ?? []).map((i) => JSON.parse(i.body?.S ?? '{}') as T);
    return out.LastEvaluatedKey && records.length === limit
      ? { records, cursor: Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64url') }
      : { records };
  }
}
