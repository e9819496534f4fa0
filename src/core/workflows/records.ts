/**
 * Records of long-running workflows (training runs, approvals): a small port with conditional status
 * transitions, so a retried Step Functions step or a second approver never overwrites a decided record.
 * Adapters: {@link MemoryRecordStore} here, DynamoDbRecordStore on the Documents table
 * (src/adapters/dynamodb-record-store.ts); both pass test/contract/record-store.contract.ts.
 */

/** Any record: an id, a status that transitions conditionally, and times (epoch ms). */
export interface StatusRecord {
  readonly id: string;
  readonly status: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface RecordPage<T> {
  /** Newest first. */
  readonly records: readonly T[];
  readonly cursor?: string;
}

/** The store of one kind of record (e.g. `training-run`). */
export interface RecordStore<T extends StatusRecord> {
  /** Stores a new record; false when one with that id exists (it is left unchanged). */
  create(record: T): Promise<boolean>;
  get(id: string): Promise<T | undefined>;
  /**
   * Replaces the record when its stored status is one of `from`; false otherwise (not found, or it moved
   * on). This is the only way to change a record.
   */
  transition(record: T, from: readonly string[]): Promise<boolean>;
  /** Newest first; `limit` 1..100 (default 20). */
  list(options?: { readonly limit?: number; readonly cursor?: string }): Promise<RecordPage<T>>;
}

/** An invalid listing option, named. */
export class RecordStoreError extends Error {
  override readonly name = 'RecordStoreError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Checks a listing limit (1..100, default 20). */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined) return 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new RecordStoreError('limit', `must be an integer in 1..100; got ${limit}`);
  return limit;
}

/** In-memory records (tests, the core's workflow tests). Copies in and out, like a real store. */
export class MemoryRecordStore<T extends StatusRecord> implements RecordStore<T> {
  private readonly records = new Map<string, T>();

  async create(record: T): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    this.records.set(record.id, structuredClone(record));
    return true;
  }

  async get(id: string): Promise<T | undefined> {
    const r = this.records.get(id);
    return r === undefined ? undefined : structuredClone(r);
  }

  async transition(record: T, from: readonly string[]): Promise<boolean> {
    const current = this.records.get(record.id);
    if (!current || !from.includes(current.status)) return false;
    this.records.set(record.id, structuredClone(record));
    return true;
  }

  async list(options: { limit?: number; cursor?: string } = {}): Promise<RecordPage<T>> {
    const limit = listLimit(options.limit);
    const sorted = [...this.records.values()].sort(
      (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1),
    );
    const start = options.cursor ? sorted.findIndex((r) => r.id === options.cursor) + 1 : 0;
    if (options.cursor && start === 0)
      throw new RecordStoreError('cursor', 'is not a cursor of this listing');
    const page = sorted.slice(start, start + limit).map((r) => structuredClone(r));
    return start + limit < sorted.length ? { records: page, cursor: page.at(-1)!.id } : { records: page };
  }
}
