/**
 * The ingest pipeline for one batch of stream records, written against ports only (no AWS).
 *
 * Order of work and why:
 * 1. Parse and validate every record. Invalid ones are set aside for quarantine with every error.
 * 2. Drop repeats of an event id inside the batch (first occurrence wins) - counted as duplicates.
 * 3. Append the valid events to the lake first: S3 is the source of truth, so nothing reaches the
 *    series or document store that the lake does not hold. A failed lake write fails every valid record.
 * 4. Write metrics/market quotes to the time-series store and trades/weeks to the document store.
 *    Both are idempotent by event id, so a redelivered record is reported as a duplicate, not stored twice.
 *    A point the store refuses for good (Timestream RejectedRecords) is quarantined with the store's reason.
 *    A transient failure (throttling) marks the affected records failed: the event-source mapping retries
 *    from the lowest failed sequence number, and after its retry limit the on-failure destination takes them.
 * 5. Quarantine only what lies before the lowest failed record: everything from that record on is
 *    redelivered, and quarantining it now would quarantine it twice.
 *
 * Every record of the batch therefore ends in exactly one of: stored, duplicate, quarantined, failed (retried).
 */
import type { AllUseEvent, ValidationIssue } from '../events/index.ts';
import { parseEventPayload } from '../events/index.ts';
import type {
  DocumentStore,
  DomainDocument,
  IngestionCounters,
  Lake,
  LakeRecord,
  QuarantinedRecord,
  SeriesPoint,
  TimeSeriesStore,
} from '../ports.ts';
import { TransientStoreError } from '../ports.ts';

/** One record as delivered by the stream (Kinesis data already base64-decoded). */
export interface StreamRecord {
  readonly sequenceNumber: string;
  /** Where it came from, for quarantine entries: `<shardId>/<sequenceNumber>`. */
  readonly origin: string;
  readonly data: Uint8Array;
}

export interface IngestPorts {
  readonly series: TimeSeriesStore;
  readonly documents: DocumentStore;
  readonly lake: Lake;
  readonly now?: () => number;
}

export interface ProcessOptions {
  /**
   * Set by the redrive path after the event-source mapping gave up on these records: each record settles
   * on its own (no checkpoint semantics) and a record that still fails is quarantined with this reason
   * plus the failure, instead of being retried again.
   */
  readonly finalAttempt?: { readonly reason: string };
}

export type RecordOutcome = 'stored' | 'duplicate' | 'quarantined' | 'failed';

export interface BatchOutcome {
  readonly counters: IngestionCounters;
  /** Sequence numbers to report as batchItemFailures (empty when the whole batch settled). */
  readonly failedSequenceNumbers: readonly string[];
  /** Per-record outcome, in input order (for logs and tests). */
  readonly outcomes: readonly RecordOutcome[];
  /** Reason of the first transient failure, for the log line. */
  readonly failureReason?: string;
}

interface ValidRecord {
  readonly index: number;
  readonly event: AllUseEvent;
  readonly timeMs: number;
  /** The payload as received: the lake keeps it verbatim (one line) instead of re-serialising the event. */
  readonly text: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function describePayload(data: Uint8Array): Pick<QuarantinedRecord, 'payload' | 'payloadEncoding'> {
  try {
    return { payload: decoder.decode(data), payloadEncoding: 'utf8' };
  } catch {
    return { payload: Buffer.from(data).toString('base64'), payloadEncoding: 'base64' };
  }
}

function summarise(errors: readonly ValidationIssue[]): string {
  const shown = errors
    .slice(0, 5)
    .map((e) => `${e.path || '(root)'}: ${e.message} (${e.rule})`)
    .join('; ');
  return errors.length > 5 ? `${shown}; and ${errors.length - 5} more` : shown;
}

/** Market quotes become up to three series of the component `market:<SYMBOL>`. */
function toSeriesPoints(event: AllUseEvent, timeMs: number): SeriesPoint[] {
  if (event.type === 'metric') {
    const d = event.data;
    return [
      {
        eventId: event.id,
        component: d.component,
        metric: d.name,
        dimensions: d.dimensions ?? {},
        time: timeMs,
        value: d.value,
        unit: d.unit,
      },
    ];
  }
  if (event.type === 'market') {
    const d = event.data;
    const component = `market:${d.symbol}`;
    const points: SeriesPoint[] = [
      {
        eventId: `${event.id}#price`,
        component,
        metric: 'price',
        dimensions: {},
        time: timeMs,
        value: d.price,
        unit: 'usd',
      },
    ];
    if (d.impliedVolatility !== undefined) {
      points.push({
        eventId: `${event.id}#iv`,
        component,
        metric: 'implied_volatility',
        dimensions: {},
        time: timeMs,
        value: d.impliedVolatility,
        unit: 'ratio',
      });
    }
    if (d.vix !== undefined) {
      points.push({
        eventId: `${event.id}#vix`,
        component,
        metric: 'vix',
        dimensions: {},
        time: timeMs,
        value: d.vix,
        unit: 'none',
      });
    }
    return points;
  }
  return [];
}

/** The event id a series point belongs to (market quotes carry a `#measure` suffix). */
function eventIdOf(pointEventId: string): string {
  const hash = pointEventId.lastIndexOf('#');
  return hash === -1 ? pointEventId : pointEventId.slice(0, hash);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs one batch through validation, the lake and the stores.
 *
 * @example
 * const outcome = await processBatch(records, 'shardId-000000000000-4959...', { series, documents, lake });
 * return { batchItemFailures: outcome.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
 */
export async function processBatch(
  records: readonly StreamRecord[],
  batchId: string,
  ports: IngestPorts,
  options: ProcessOptions = {},
): Promise<BatchOutcome> {
  const now = ports.now ?? Date.now;
  const nowMs = now();
  const outcomes: RecordOutcome[] = new Array(records.length);
  const quarantine: { index: number; record: QuarantinedRecord }[] = [];
  const valid: ValidRecord[] = [];
  const seenIds = new Set<string>();

  records.forEach((record, index) => {
    let text: string | undefined;
    try {
      text = decoder.decode(record.data);
    } catch {
      // Not UTF-8: the validator reports it with its own rule.
    }
    const result = parseEventPayload(text ?? record.data, { now: nowMs });
    if (!result.ok) {
      quarantine.push({
        index,
        record: {
          origin: record.origin,
          ...describePayload(record.data),
          reason: `invalid event: ${summarise(result.errors)}`,
          errors: result.errors,
          quarantinedAt: nowMs,
        },
      });
      return;
    }
    if (seenIds.has(result.event.id)) {
      outcomes[index] = 'duplicate';
      return;
    }
    seenIds.add(result.event.id);
    // JSON allows raw line breaks only between tokens, so folding them keeps the text one valid JSON line.
    const line = text!.includes('\n') || text!.includes('\r') ? text!.replace(/[\r\n]/g, ' ') : text!;
    valid.push({ index, event: result.event, timeMs: result.timeMs, text: line });
  });

  const failed = new Set<number>();
  let failureReason: string | undefined;
  const fail = (indexes: Iterable<number>, reason: string): void => {
    for (const i of indexes) failed.add(i);
    failureReason ??= reason;
  };

  // 3. The lake first.
  if (valid.length > 0) {
    const lakeRecords: LakeRecord[] = valid.map(({ event, timeMs, text }) => ({
      id: event.id,
      type: event.type,
      time: timeMs,
      line: text,
    }));
    try {
      await ports.lake.append(lakeRecords, batchId);
    } catch (error) {
      fail(
        valid.map((v) => v.index),
        `lake append failed: ${errorMessage(error)}`,
      );
    }
  }

  // 4. The stores, only for what the lake holds.
  const inLake = valid.filter((v) => !failed.has(v.index));
  const indexById = new Map(inLake.map((v) => [v.event.id, v.index]));
  const points = inLake.flatMap((v) => toSeriesPoints(v.event, v.timeMs));
  const documents: DomainDocument[] = inLake
    .filter((v) => v.event.type === 'trade' || v.event.type === 'week')
    .map((v) => ({ id: v.event.id, type: v.event.type, time: v.timeMs, body: v.event }));

  const rejectedReasons = new Map<number, string[]>();
  const duplicateIndexes = new Set<number>();
  const writes: Promise<void>[] = [];
  if (points.length > 0) {
    writes.push(
      ports.series.write(points).then(
        (result) => {
          for (const id of result.duplicates) {
            const i = indexById.get(eventIdOf(id));
            if (i !== undefined) duplicateIndexes.add(i);
          }
          for (const { eventId, reason } of result.rejected) {
            const i = indexById.get(eventIdOf(eventId));
            if (i === undefined) continue;
            const reasons = rejectedReasons.get(i) ?? [];
            reasons.push(`${eventId}: ${reason}`);
            rejectedReasons.set(i, reasons);
          }
        },
        (error: unknown) => {
          const ids = error instanceof TransientStoreError && error.eventIds ? error.eventIds : undefined;
          const indexes = ids
            ? ids.map((id) => indexById.get(eventIdOf(id))).filter((i): i is number => i !== undefined)
            : inLake
                .filter((v) => v.event.type === 'metric' || v.event.type === 'market')
                .map((v) => v.index);
          fail(indexes, `series store: ${errorMessage(error)}`);
        },
      ),
    );
  }
  if (documents.length > 0) {
    writes.push(
      ports.documents.putIfAbsent(documents).then(
        (result) => {
          for (const id of result.duplicates) {
            const i = indexById.get(id);
            if (i !== undefined) duplicateIndexes.add(i);
          }
        },
        (error: unknown) => {
          const ids = error instanceof TransientStoreError && error.eventIds ? error.eventIds : undefined;
          const indexes = ids
            ? ids.map((id) => indexById.get(id)).filter((i): i is number => i !== undefined)
            : documents.map((d) => indexById.get(d.id)!);
          fail(indexes, `document store: ${errorMessage(error)}`);
        },
      ),
    );
  }
  await Promise.all(writes);

  for (const v of inLake) {
    if (failed.has(v.index)) continue;
    const reasons = rejectedReasons.get(v.index);
    if (reasons) {
      quarantine.push({
        index: v.index,
        record: {
          origin: records[v.index]!.origin,
          ...describePayload(records[v.index]!.data),
          reason: `rejected by the series store: ${reasons.join('; ')}`,
          quarantinedAt: nowMs,
        },
      });
    } else {
      // An event counts as a duplicate only when the store already held all of it.
      outcomes[v.index] = duplicateIndexes.has(v.index) ? 'duplicate' : 'stored';
    }
  }

  if (options.finalAttempt) {
    // Redrive: no more retries. What still fails is quarantined with the reason; every record settles.
    for (const i of failed) {
      quarantine.push({
        index: i,
        record: {
          origin: records[i]!.origin,
          ...describePayload(records[i]!.data),
          reason: `${options.finalAttempt.reason}; last failure: ${failureReason ?? 'unknown'}`,
          quarantinedAt: nowMs,
        },
      });
    }
    failed.clear();
    quarantine.sort((a, b) => a.index - b.index);
    // A failed quarantine write throws: the redrive message is then retried by its queue, nothing is lost.
    if (quarantine.length > 0) {
      await ports.lake.quarantine(
        quarantine.map((q) => q.record),
        batchId,
      );
    }
    for (const q of quarantine) outcomes[q.index] = 'quarantined';
  } else {
    // 5. Everything from the lowest failed record on is redelivered; settle only what lies before it.
    const lowestFailed = failed.size === 0 ? records.length : Math.min(...failed);
    const toQuarantine = quarantine.filter((q) => q.index < lowestFailed).sort((a, b) => a.index - b.index);
    if (toQuarantine.length > 0) {
      try {
        await ports.lake.quarantine(
          toQuarantine.map((q) => q.record),
          batchId,
        );
        for (const q of toQuarantine) outcomes[q.index] = 'quarantined';
      } catch (error) {
        fail(
          toQuarantine.map((q) => q.index),
          `quarantine write failed: ${errorMessage(error)}`,
        );
      }
    }
  }

  const firstFailure = failed.size === 0 ? records.length : Math.min(...failed);
  for (let i = firstFailure; i < records.length; i++) outcomes[i] = 'failed';
  // Every record must now have exactly one outcome; this keeps the invariant honest if the code above changes.
  for (let i = 0; i < records.length; i++) {
    if (outcomes[i] === undefined) throw new Error(`ingest invariant broken: record ${i} has no outcome`);
  }

  const count = (o: RecordOutcome) => outcomes.reduce((n, x) => (x === o ? n + 1 : n), 0);
  const counters: IngestionCounters = {
    received: records.length,
    stored: count('stored'),
    duplicates: count('duplicate'),
    quarantined: count('quarantined'),
    retried: count('failed'),
  };
  return {
    counters,
    // Reporting the first failed record is enough: the mapping resumes from the lowest one reported.
    failedSequenceNumbers: firstFailure < records.length ? [records[firstFailure]!.sequenceNumber] : [],
    outcomes,
    ...(failureReason === undefined ? {} : { failureReason }),
  };
}

/** Capture rate: the share of settled records that reached the store (stored or already there). */
export function captureRate(c: Pick<IngestionCounters, 'stored' | 'duplicates' | 'quarantined'>): number {
  const settled = c.stored + c.duplicates + c.quarantined;
  return settled === 0 ? 1 : (c.stored + c.duplicates) / settled;
}
