/** The contract every RecordStore adapter passes (memory and DynamoDB). */
import { describe, expect, it } from 'vitest';
import type { RecordStore, StatusRecord } from '../../src/core/workflows/records.ts';

interface Run extends StatusRecord {
  readonly note: string;
  readonly nested?: { readonly values: readonly number[] };
}

const run = (id: string, status: string, createdAt: number, note = ''): Run => ({
  id,
  status,
  createdAt,
  updatedAt: createdAt,
  note,
});

export function describeRecordStoreContract(label: string, make: () => Promise<RecordStore<Run>>): void {
  describe(`RecordStore contract: ${label}`, () => {
    it('creates once: a second create with the same id is refused and changes nothing', async () => {
      const store = await make();
      const first = { ...run('r1', 'running', 1000, 'first'), nested: { values: [0.1, 1e-300, 3] } };
      expect(await store.create(first)).toBe(true);
      expect(await store.create(run('r1', 'failed', 2000, 'second'))).toBe(false);
      expect(await store.get('r1')).toEqual(first);
      expect(await store.get('nope')).toBeUndefined();
    });

    it('transitions only from the listed statuses, so a decided record is never overwritten', async () => {
      const store = await make();
      await store.create(run('a1', 'pending', 1000));
      expect(await store.transition(run('a1', 'approved', 1000, 'by alice'), ['pending'])).toBe(true);
      expect(await store.transition(run('a1', 'rejected', 1000, 'by bob'), ['pending'])).toBe(false);
      expect((await store.get('a1'))?.note).toBe('by alice');
      expect(await store.transition(run('missing', 'approved', 1), ['pending'])).toBe(false);
    });

    it('of two concurrent transitions from the same status, exactly one wins', async () => {
      const store = await make();
      await store.create(run('c1', 'pending', 1000));
      const results = await Promise.all([
        store.transition(run('c1', 'approved', 1000, 'a'), ['pending']),
        store.transition(run('c1', 'rejected', 1000, 'b'), ['pending']),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('lists newest first in pages', async () => {
      const store = await make();
      for (let i = 0; i < 5; i++) await store.create(run(`p${i}`, 'running', 1000 + i));
      const first = await store.list({ limit: 2 });
      expect(first.records.map((r) => r.id)).toEqual(['p4', 'p3']);
      const second = await store.list({ limit: 2, cursor: first.cursor! });
      expect(second.records.map((r) => r.id)).toEqual(['p2', 'p1']);
      await expect(store.list({ limit: 0 })).rejects.toThrow(/limit/);
    });
  });
}
