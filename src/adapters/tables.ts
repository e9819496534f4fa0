/**
 * Key schemas shared by the CDK stacks, the adapters and the local runtime, so the three can never disagree.
 * Both tables use generic string keys `pk`/`sk`; item shapes are documented by the adapters that own them.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL attribute (dynalite ignores TTL, so nothing may depend on expiry locally). */
  ttlAttribute: 'expiresAt',
} as const;

/** Documents table: domain documents (trades, weekly records), ingestion counters, and later analyses and models. */
export const DOCUMENTS_TABLE = {
  ...TABLE_KEYS,
  /** GSI listing items of one kind by time: gsi1pk = kind, gsi1sk = ISO time + id. */
  byKindIndex: { name: 'byKind', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

/** Series table (DynamoDB time-series adapter only): one item per series and time bucket, plus a catalogue. */
export const SERIES_TABLE = { ...TABLE_KEYS } as const;
