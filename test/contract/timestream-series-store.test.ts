/**
 * TimestreamSeriesStore through aws-sdk-client-mock, backed by test/support/fake-timestream.ts.
 * Timestream has no emulator: this checks the adapter's mapping (records, errors, SQL, rows, pagination)
 * against a model of the documented behaviour, not Timestream itself.
 */
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { TimestreamSeriesStore } from '../../src/adapters/timestream-series-store.ts';
import { FakeTimestream } from '../support/fake-timestream.ts';
import { describeSeriesStoreContract, KNOWN_POINTS, point, T0 } from './series-store.contract.ts';

function storeOverFake(): { store: TimestreamSeriesStore; fake: FakeTimestream } {
  const fake = new FakeTimestream('all-use', 'metrics');
  const writeClient = new TimestreamWriteClient({ region: 'us-east-1' });
  const queryClient = new TimestreamQueryClient({ region: 'us-east-1' });
  mockClient(writeClient)
    .on(WriteRecordsCommand)
    .callsFake((input) => fake.write(input));
  mockClient(queryClient)
    .on(QueryCommand)
    .callsFake((input) => fake.query(input));
  const store = new TimestreamSeriesStore({
    writeClient,
    queryClient,
    database: 'all-use',
    table: 'metrics',
  });
  return { store, fake };
}

describeSeriesStoreContract(
  'TimestreamSeriesStore (mocked clients, in-memory fake)',
  async () => storeOverFake().store,
  {
    reportsDuplicates: false,
  },
);

describe('TimestreamSeriesStore specifics', () => {
  it('sends at most 100 records per WriteRecords request', async () => {
    // Prepare
    const { store, fake } = storeOverFake();
    const points = Array.from({ length: 250 }, (_, i) =>
      point(`p${i}`, 'protocol-engine', 'latency_ms', {}, i, i),
    );

    // Act
    const result = await store.write(points);

    // Assess
    expect(result.stored).toBe(250);
    expect(fake.writeRequests).toBe(3);
  });

  it('rejects a different value at the same series and millisecond with Timestream reason', async () => {
    // Prepare
    const { store } = storeOverFake();
    await store.write([KNOWN_POINTS[0]!]);
    const clash = { ...KNOWN_POINTS[0]!, eventId: 'other-event', value: 11 };

    // Act
    const result = await store.write([clash, KNOWN_POINTS[1]!]);

    // Assess
    expect(result.stored).toBe(1);
    expect(result.rejected).toEqual([
      { eventId: 'other-event', reason: expect.stringMatching(/already exists.*existing version 1/) },
    ]);
  });

  it('writes plain-identifier dimensions as columns and keeps every dimension in the series key', async () => {
    // Prepare
    const { store, fake } = storeOverFake();

    // Act
    await store.write([
      point('x', 'trading', 'latency_ms', { region: 'eu', 'a b': 'c', series: 'clash' }, 0, 1),
    ]);

    // Assess
    const [record] = [...fake.records.values()];
    expect(record?.dimensions).toEqual({
      component: 'trading',
      series: 'trading|latency_ms|a b=c,region=eu,series=clash',
      region: 'eu',
    });
    expect(record?.time).toBe(T0);
  });
});
