/**
 * How the adapters map AWS failures, through aws-sdk-client-mock (no network): throttling and 5xx become
 * TransientStoreError naming exactly the event ids not written; refusals become `rejected` with the reason.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  QueryCommand as DynamoQueryCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  QueryCommand,
  ThrottlingException as QueryThrottlingException,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  InternalServerException,
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  ValidationException,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynamoDbDocumentStore } from '../../src/adapters/dynamodb-document-store.ts';
import { DynamoDbSeriesStore } from '../../src/adapters/dynamodb-series-store.ts';
import { transientAware } from '../../src/adapters/errors.ts';
import { S3Lake } from '../../src/adapters/s3-lake.ts';
import { TimestreamSeriesStore } from '../../src/adapters/timestream-series-store.ts';
import { type SeriesPoint, TransientStoreError } from '../../src/core/ports.ts';

const T0 = Date.UTC(2024, 0, 2, 10, 0, 0);
const meta = { $metadata: {} };

function pt(eventId: string, component: string, offset = 0, value = 1): SeriesPoint {
  return { eventId, component, metric: 'latency_ms', dimensions: {}, time: T0 + offset, value, unit: 'ms' };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('DynamoDbSeriesStore error mapping', () => {
  function storeWith(onChunkPut: (input: PutItemCommandInput) => unknown) {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DynamoQueryCommand).resolves({ Items: [] });
    mock.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
      if (input.Item?.pk?.S?.startsWith('C#')) return {};
      return onChunkPut(input);
    });
    return new DynamoDbSeriesStore({ client, tableName: 'series' });
  }

  it('throws TransientStoreError naming only the points of the throttled series', async () => {
    // Prepare
    const store = storeWith((input) => {
      if (input.Item?.pk?.S?.includes('slow')) {
        throw new ProvisionedThroughputExceededException({ message: 'slow down', ...meta });
      }
      return {};
    });

    // Act
    const error = await caught(store.write([pt('a', 'fast'), pt('b', 'slow'), pt('c', 'slow', 1)]));

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
    expect([...((error as TransientStoreError).eventIds ?? [])].sort()).toEqual(['b', 'c']);
  });

  it('reports a ValidationException as rejected with the reason, and stores the other series', async () => {
    // Prepare
    const store = storeWith((input) => {
      if (input.Item?.pk?.S?.includes('bad')) {
        // DynamoDB has no modelled ValidationException class: the SDK raises a service exception by that name.
        throw new DynamoDBServiceException({
          name: 'ValidationException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Item size has exceeded the maximum allowed size',
        });
      }
      return {};
    });

    // Act
    const result = await store.write([pt('a', 'good'), pt('b', 'bad')]);

    // Assess
    expect(result.stored).toBe(1);
    expect(result.rejected).toEqual([
      { eventId: 'b', reason: expect.stringMatching(/maximum allowed size/) },
    ]);
  });

  it('gives up on endless chunk races with a TransientStoreError, never a silent loss', async () => {
    // Prepare
    const store = storeWith(() => {
      throw new ConditionalCheckFailedException({ message: 'taken', ...meta });
    });

    // Act
    const error = await caught(store.write([pt('a', 'busy')]));

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).eventIds).toEqual(['a']);
  });

  it('maps a throttled query to TransientStoreError', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'us-east-1' });
    mockClient(client)
      .on(DynamoQueryCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', ...meta }));
    const store = new DynamoDbSeriesStore({ client, tableName: 'series' });

    // Act
    const error = await caught(store.query({ metric: 'latency_ms', from: T0, to: T0 + 1, stepMs: 1 }));

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
  });
});

describe('DynamoDbDocumentStore error mapping', () => {
  it('reports ConditionalCheckFailed as duplicate and throttling as TransientStoreError naming the id', async () => {
    // Prepare
    const client = new DynamoDBClient({ region: 'us-east-1' });
    mockClient(client)
      .on(PutItemCommand)
      .callsFake(async (input: PutItemCommandInput) => {
        if (input.Item?.pk?.S === 'EVT#old')
          throw new ConditionalCheckFailedException({ message: 'exists', ...meta });
        if (input.Item?.pk?.S === 'EVT#slow')
          throw new ProvisionedThroughputExceededException({ message: 'x', ...meta });
        return {};
      });
    const store = new DynamoDbDocumentStore({ client, tableName: 'documents' });
    const doc = (id: string) => ({ id, type: 'trade', time: T0, body: {} });

    // Act
    const ok = await store.putIfAbsent([doc('new'), doc('old')]);
    const error = await caught(store.putIfAbsent([doc('new2'), doc('slow')]));

    // Assess
    expect(ok).toEqual({ stored: ['new'], duplicates: ['old'] });
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).eventIds).toEqual(['slow']);
  });
});

describe('TimestreamSeriesStore error mapping', () => {
  function storeWith(onWrite: (records: number) => unknown) {
    const writeClient = new TimestreamWriteClient({ region: 'us-east-1' });
    const queryClient = new TimestreamQueryClient({ region: 'us-east-1' });
    const writeMock = mockClient(writeClient);
    writeMock.on(WriteRecordsCommand).callsFake(async (input) => onWrite(input.Records?.length ?? 0));
    const queryMock = mockClient(queryClient);
    return {
      store: new TimestreamSeriesStore({ writeClient, queryClient, database: 'db', table: 'tbl' }),
      writeMock,
      queryMock,
    };
  }

  it('maps RejectedRecords by record index to rejected, with the reason, and counts the rest as stored', async () => {
    // Prepare
    const { store } = storeWith(() => {
      throw new RejectedRecordsException({
        message: 'One or more records have been rejected.',
        ...meta,
        RejectedRecords: [
          { RecordIndex: 1, Reason: 'The record timestamp is outside the time range of the memory store.' },
        ],
      });
    });

    // Act
    const result = await store.write([pt('a', 'x'), pt('b', 'x', 1), pt('c', 'x', 2)]);

    // Assess
    expect(result.stored).toBe(2);
    expect(result.rejected).toEqual([
      { eventId: 'b', reason: expect.stringMatching(/outside the time range/) },
    ]);
  });

  it('throws TransientStoreError naming the records of the throttled request only', async () => {
    // Prepare
    let call = 0;
    const { store } = storeWith(() => {
      call += 1;
      if (call === 2)
        throw new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', ...meta });
      return {};
    });
    const points = Array.from({ length: 150 }, (_, i) => pt(`p${i}`, 'x', i));

    // Act
    const error = await caught(store.write(points));

    // Assess: the adapter sends at most 8 requests at once, in order; the second holds p100..p149.
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).eventIds).toEqual(points.slice(100).map((p) => p.eventId));
  });

  it('treats a 5xx as transient', async () => {
    // Prepare
    const { store } = storeWith(() => {
      throw new InternalServerException({ message: 'boom', Message: 'boom', ...meta });
    });

    // Act
    const error = await caught(store.write([pt('a', 'x')]));

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
  });

  it('narrows a request-level ValidationException down to the offending record', async () => {
    // Prepare
    const { store } = storeWith((records) => {
      if (records > 1)
        throw new ValidationException({
          message: 'Invalid dimension value',
          Message: 'Invalid dimension value',
          ...meta,
        });
      return {};
    });
    let calls = 0;
    const { store: pickyStore } = storeWith((records) => {
      calls += 1;
      if (records > 1 || calls === 3)
        throw new ValidationException({
          message: 'Invalid dimension value',
          Message: 'Invalid dimension value',
          ...meta,
        });
      return {};
    });

    // Act
    const allGood = await store.write([pt('a', 'x'), pt('b', 'x', 1)]);
    const oneBad = await pickyStore.write([pt('a', 'x'), pt('b', 'x', 1)]);

    // Assess
    expect(allGood).toEqual({ stored: 2, duplicates: [], rejected: [] });
    expect(oneBad.stored).toBe(1);
    expect(oneBad.rejected).toEqual([
      { eventId: 'b', reason: expect.stringMatching(/Invalid dimension value/) },
    ]);
  });

  it('maps a throttled query to TransientStoreError', async () => {
    // Prepare
    const { store, queryMock } = storeWith(() => ({}));
    queryMock.on(QueryCommand).rejects(new QueryThrottlingException({ message: 'slow down', ...meta }));

    // Act
    const error = await caught(store.query({ metric: 'latency_ms', from: T0, to: T0 + 1, stepMs: 1 }));

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
  });
});

describe('S3Lake error mapping', () => {
  it('throws TransientStoreError naming the records of the objects S3 did not take', async () => {
    // Prepare
    const client = new S3Client({ region: 'us-east-1' });
    mockClient(client)
      .on(PutObjectCommand)
      .callsFake(async (input) => {
        if (String(input.Key).includes('type=trade')) {
          throw new S3ServiceException({
            name: 'SlowDown',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
            message: 'Please reduce your request rate.',
          });
        }
        return {};
      });
    const lake = new S3Lake({ client, bucket: 'lake' });
    const line = (id: string, type: string) => ({ id, type, time: T0, line: `{"id":"${id}"}` });

    // Act
    const error = await caught(
      lake.append([line('m1', 'metric'), line('t1', 'trade'), line('t2', 'trade')], 'b1'),
    );

    // Assess
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).eventIds).toEqual(['t1', 't2']);
  });
});

describe('transientAware (the one SDK-call wrapper of the stores)', () => {
  it('turns throttling into a TransientStoreError that keeps the cause, and passes anything else through', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    const refused = new ConditionalCheckFailedException({ message: 'no', $metadata: {} });

    const transient = await transientAware('DynamoDB test call', () => Promise.reject(throttled)).catch(
      (e) => e,
    );
    const passed = await transientAware('DynamoDB test call', () => Promise.reject(refused)).catch((e) => e);

    expect(transient).toBeInstanceOf(TransientStoreError);
    expect((transient as Error).message).toMatch(/^DynamoDB test call failed: .*slow down/);
    expect((transient as Error).cause).toBe(throttled);
    expect(passed).toBe(refused);
    expect(await transientAware('DynamoDB test call', async () => 42)).toBe(42);
  });
});
