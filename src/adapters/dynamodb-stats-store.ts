/**
 * DynamoDbIngestionStatsStore: ingestion counters per hour in the Documents table.
 *
 * Item: pk `STATS#ingestion`, sk = the hour's start as ISO text (`2024-01-02T10:00:00.000Z`, fixed width so
 * text order is time order), one number attribute per counter. `add` is a single UpdateItem with ADD, which
 * is atomic and creates the item on first use, so concurrent ingest functions never lose an increment.
 * It is not idempotent: a retried `add` counts twice, which is why the ingest handler calls it once per
 * settled batch.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { IngestionCounters, IngestionStatsStore } from '../core/ports.ts';
import { TransientStoreError } from '../core/ports.ts';
import { describeError, isTransientAwsError } from './errors.ts';
import { DOCUMENTS_TABLE } from './tables.ts';

export interface DynamoDbIngestionStatsStoreProps {
  readonly client: DynamoDBClient;
  /** The Documents table. */
  readonly tableName: string;
}

const STATS_PK = 'STATS#ingestion';
const HOUR_MS = 3_600_000;
const COUNTERS = ['received', 'stored', 'quarantined', 'duplicates', 'retried'] as const;
const { partitionKey: PK, sortKey: SK } = DOCUMENTS_TABLE;

/** The sort key of the hour holding `time`. */
export function hourKey(time: number): string {
  return new Date(Math.floor(time / HOUR_MS) * HOUR_MS).toISOString();
}

export class DynamoDbIngestionStatsStore implements IngestionStatsStore {
  private readonly dynamodb: DynamoDBClient;
  private readonly tableName: string;

  constructor(props: DynamoDbIngestionStatsStoreProps) {
    this.dynamodb = props.client;
    this.tableName = props.tableName;
  }

  async add(counters: IngestionCounters, at: number): Promise<void> {
    if (!Number.isFinite(at)) throw new RangeError('at: must be a finite epoch-ms time');
    for (const name of COUNTERS) {
      if (!Number.isSafeInteger(counters[name]) || counters[name] < 0) {
        throw new RangeError(`${name}: must be a non-negative integer, got ${counters[name]}`);
      }
    }
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    for (const name of COUNTERS) {
      names[`#${name}`] = name;
      values[`:${name}`] = { N: String(counters[name]) };
    }
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: STATS_PK }, [SK]: { S: hourKey(at) } },
          UpdateExpression: `ADD ${COUNTERS.map((name) => `#${name} :${name}`).join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (isTransientAwsError(error)) {
        throw new TransientStoreError(`DynamoDB stats update failed: ${describeError(error)}`, undefined, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Sums the hours overlapping [from, to); `hours` is the number of hours that had counters. */
  async read(from: number, to: number): Promise<IngestionCounters & { readonly hours: number }> {
    if (!Number.isFinite(from) || !Number.isFinite(to))
      throw new RangeError('from, to: must be finite epoch-ms times');
    const totals: Record<(typeof COUNTERS)[number], number> = {
      received: 0,
      stored: 0,
      quarantined: 0,
      duplicates: 0,
      retried: 0,
    };
    let hours = 0;
    if (to <= from) return { ...totals, hours };
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.dynamodb.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: {
              ':pk': { S: STATS_PK },
              ':from': { S: hourKey(from) },
              ':to': { S: hourKey(to - 1) },
            },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          hours += 1;
          for (const name of COUNTERS) totals[name] += Number(item[name]?.N ?? 0);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    } catch (error) {
      if (isTransientAwsError(error)) {
        throw new TransientStoreError(`DynamoDB stats read failed: ${describeError(error)}`, undefined, {
          cause: error,
        });
      }
      throw error;
    }
    return { ...totals, hours };
  }
}
