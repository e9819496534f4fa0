/**
 * In-memory adapters of every storage port. They pass the same contract suites as the AWS adapters and
 * serve two uses: the ingest benchmark (to measure validation and batching without I/O) and unit tests
 * of the domain core. The local runtime never uses them: it runs the AWS adapters against emulators.
 */

import type {
  DocumentStore,
  DocumentWriteResult,
  DomainDocument,
  IngestionCounters,
  IngestionStatsStore,
  Lake,
  LakeRecord,
  QuarantinedRecord,
  SeriesPoint,
  SeriesQuery,
  SeriesResult,
  SeriesWriteResult,
  TimeSeriesStore,
} from '../core/ports.ts';
import { aggregatePoints, assertValidSeriesQuery, seriesKey } from '../core/series/index.ts';
import { eventObjectKey, quarantineObjectKey } from './s3-lake.ts';

interface StoredSeries {
  readonly component: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly points: { time: number; value: number }[];
}

export class InMemorySeriesStore implements TimeSeriesStore {
  private readonly series = new Map<string, StoredSeries>();
  private readonly ids = new Set<string>();
  /** Raw identity → series: finds a point's series without sorting and escaping its dimensions. */
  private readonly byRawIdentity = new Map<string, StoredSeries>();

  /** Number of points held (after deduplication). */
  get size(): number {
    return this.ids.size;
  }

  private seriesOf(p: SeriesPoint): StoredSeries {
    // The raw identity is order-sensitive; each raw form maps to its canonical series once.
    const raw = `${p.component}\u0000${p.metric}\u0000${JSON.stringify(p.dimensions)}`;
    let s = this.byRawIdentity.get(raw);
    if (s) return s;
    const key = seriesKey(p);
    s = this.series.get(key);
    if (!s) {
      s = { component: p.component, metric: p.metric, dimensions: { ...p.dimensions }, points: [] };
      this.series.set(key, s);
    }
    this.byRawIdentity.set(raw, s);
    return s;
  }

  async write(points: readonly SeriesPoint[]): Promise<SeriesWriteResult> {
    const duplicates: string[] = [];
    let stored = 0;
    for (const p of points) {
      if (this.ids.has(p.eventId)) {
        duplicates.push(p.eventId);
        continue;
      }
      this.ids.add(p.eventId);
      this.seriesOf(p).points.push({ time: p.time, value: p.value });
      stored++;
    }
    return { stored, duplicates, rejected: [] };
  }

  async query(query: SeriesQuery): Promise<SeriesResult> {
    assertValidSeriesQuery(query);
    const series = [...this.series.values()]
      .filter(
        (s) =>
          s.metric === query.metric && (query.component === undefined || s.component === query.component),
      )
      .map((s) => ({
        component: s.component,
        metric: s.metric,
        dimensions: s.dimensions,
        points: aggregatePoints(s.points, query),
      }))
      .filter((s) => s.points.length > 0);
    return { series };
  }
}

export class InMemoryDocumentStore implements DocumentStore {
  readonly documents = new Map<string, DomainDocument>();

  async putIfAbsent(documents: readonly DomainDocument[]): Promise<DocumentWriteResult> {
    const stored: string[] = [];
    const duplicates: string[] = [];
    for (const d of documents) {
      if (this.documents.has(d.id)) duplicates.push(d.id);
      else {
        this.documents.set(d.id, d);
        stored.push(d.id);
      }
    }
    return { stored, duplicates };
  }

  async get(id: string): Promise<DomainDocument | undefined> {
    return this.documents.get(id);
  }
}

const HOUR = 3_600_000;

/** Keeps objects by the same keys the S3 lake uses, so a retried batch overwrites as it does in S3. */
export class InMemoryLake implements Lake {
  readonly objects = new Map<string, readonly LakeRecord[]>();
  readonly quarantined = new Map<string, readonly QuarantinedRecord[]>();

  async append(records: readonly LakeRecord[], batchId: string): Promise<readonly string[]> {
    const byKey = new Map<string, LakeRecord[]>();
    for (const r of records) {
      const key = eventObjectKey(r.type, r.time, batchId);
      const list = byKey.get(key);
      if (list) list.push(r);
      else byKey.set(key, [r]);
    }
    for (const [key, list] of byKey) this.objects.set(key, list);
    return [...byKey.keys()];
  }

  async quarantine(records: readonly QuarantinedRecord[], batchId: string): Promise<string | undefined> {
    if (records.length === 0) return undefined;
    const key = quarantineObjectKey(records[0]!.quarantinedAt, batchId);
    this.quarantined.set(key, records);
    return key;
  }

  /** Every lake record across objects. */
  records(): LakeRecord[] {
    return [...this.objects.values()].flat();
  }

  quarantinedRecords(): QuarantinedRecord[] {
    return [...this.quarantined.values()].flat();
  }
}

export class InMemoryStatsStore implements IngestionStatsStore {
  private readonly hours = new Map<number, IngestionCounters>();

  async add(c: IngestionCounters, at: number): Promise<void> {
    const hour = Math.floor(at / HOUR) * HOUR;
    const h = this.hours.get(hour) ?? { received: 0, stored: 0, quarantined: 0, duplicates: 0, retried: 0 };
    this.hours.set(hour, {
      received: h.received + c.received,
      stored: h.stored + c.stored,
      quarantined: h.quarantined + c.quarantined,
      duplicates: h.duplicates + c.duplicates,
      retried: h.retried + c.retried,
    });
  }

  async read(from: number, to: number): Promise<IngestionCounters & { readonly hours: number }> {
    const total = { received: 0, stored: 0, quarantined: 0, duplicates: 0, retried: 0, hours: 0 };
    for (const [hour, c] of this.hours) {
      if (hour < from || hour >= to) continue;
      total.hours++;
      total.received += c.received;
      total.stored += c.stored;
      total.quarantined += c.quarantined;
      total.duplicates += c.duplicates;
      total.retried += c.retried;
    }
    return total;
  }
}
