/** Reads a shard's records between two sequence numbers (inclusive) with GetShardIterator/GetRecords. */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { StreamRecord } from '../core/ingest/process-batch.ts';
import type { FailedBatchInfo, StreamRangeReader } from '../core/ingest/redrive.ts';

/** `arn:aws:kinesis:<region>:<account>:stream/<name>` → `<name>`. */
export function streamNameOf(streamArn: string): string {
  const name = /:stream\/([^/]+)$/.exec(streamArn)?.[1];
  if (!name) throw new Error(`not a Kinesis stream ARN: ${streamArn}`);
  return name;
}

export class KinesisRangeReader implements StreamRangeReader {
  constructor(private readonly client: Pick<KinesisClient, 'send'>) {}

  async read(info: FailedBatchInfo): Promise<StreamRecord[]> {
    const end = BigInt(info.endSequenceNumber);
    const { ShardIterator } = await this.client.send(
      new GetShardIteratorCommand({
        // StreamName rather than StreamARN: both work on Kinesis, and emulators (kinesalite) know only the name.
        StreamName: streamNameOf(info.streamArn),
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: info.startSequenceNumber,
      }),
    );
    const out: StreamRecord[] = [];
    let iterator = ShardIterator;
    // Bounded: a range never holds more than batchSize records; empty pages at the tip end the loop.
    for (let page = 0; iterator && page < 10_000; page++) {
      const res = await this.client.send(
        new GetRecordsCommand({
          ShardIterator: iterator,
          Limit: Math.min(10_000, Math.max(1, info.batchSize)),
        }),
      );
      for (const r of res.Records ?? []) {
        if (!r.SequenceNumber || BigInt(r.SequenceNumber) > end) return out;
        out.push({
          sequenceNumber: r.SequenceNumber,
          origin: `${info.shardId}/${r.SequenceNumber}`,
          data: r.Data ?? new Uint8Array(),
        });
      }
      if (out.length >= info.batchSize) return out;
      if ((res.Records ?? []).length === 0 && (res.MillisBehindLatest ?? 0) === 0) return out;
      iterator = res.NextShardIterator;
    }
    return out;
  }
}
