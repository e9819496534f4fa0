/**
 * Kinesis PutRecords limits, and the sizing rules the collector derives from them.
 * See https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 */

const MIB = 1024 * 1024;

/** At most 500 records in one PutRecords request. */
export const MAX_RECORDS_PER_REQUEST = 500;
/** At most 10 MiB per PutRecords request, data plus partition keys. */
export const MAX_BYTES_PER_REQUEST = 10 * MIB;
/**
 * Default largest record (data plus partition key): 1 MiB, the default `MaxRecordSizeInKiB` of a stream
 * (and the hard limit of kinesalite). A stream configured for larger records can raise `maxRecordBytes`.
 */
export const DEFAULT_MAX_RECORD_BYTES = MIB;
/** Partition keys are 1 to 256 characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** Bytes a record counts for against the record and request limits. */
export function recordBytes(data: Uint8Array, partitionKey: string): number {
  return data.byteLength + Buffer.byteLength(partitionKey, 'utf8');
}

/**
 * Why a partition key is unusable, or undefined when it is fine.
 * Length is counted in UTF-16 code units, as the service and kinesalite do, which is never more lenient than
 * counting code points.
 */
export function partitionKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `partition key must be a string, got ${typeof key}`;
  if (key.length < 1) return 'partition key must not be empty (1-256 characters)';
  if (key.length > MAX_PARTITION_KEY_LENGTH) {
    return `partition key is ${key.length} characters, the limit is ${MAX_PARTITION_KEY_LENGTH}`;
  }
  return undefined;
}

/**
 * How many items from the front of `items` fit in one PutRecords request.
 * Always at least 1 when `items` is not empty: every single record was already checked against the record limit,
 * which is not above the request limit.
 */
export function fitInRequest<T>(items: readonly T[], sizeOf: (item: T) => number): number {
  let bytes = 0;
  let count = 0;
  for (const item of items) {
    if (count === MAX_RECORDS_PER_REQUEST) break;
    const size = sizeOf(item);
    if (count > 0 && bytes + size > MAX_BYTES_PER_REQUEST) break;
    bytes += size;
    count += 1;
  }
  return count;
}
