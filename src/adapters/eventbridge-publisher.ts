/**
 * EventPublisher on EventBridge PutEvents: at most 10 entries and 256 KB per request; entries EventBridge
 * reports as failed (throttling, internal errors) are retried with backoff, the rest never resent, and
 * what still fails after the attempts makes `publish` throw with the count and the first error code.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { DomainEvent, EventPublisher } from '../core/ports.ts';

/** The `source` of every event this project publishes. */
export const EVENT_SOURCE = 'all-use.learning';
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export interface EventBridgePublisherProps {
  readonly client: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  /** Attempts per entry, the first included. @default 4 */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class EventBridgePublisher implements EventPublisher {
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly props: EventBridgePublisherProps) {
    this.maxAttempts = props.maxAttempts ?? 4;
    this.sleep = props.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    const entries = events.map((e): PutEventsRequestEntry => {
      const entry = {
        EventBusName: this.props.eventBusName,
        Source: EVENT_SOURCE,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
        Time: new Date(e.time),
      };
      // EventBridge counts Source, DetailType, Detail and resources toward the 256 KB entry limit.
      if (
        Buffer.byteLength(entry.Detail) + entry.DetailType.length + EVENT_SOURCE.length >
        MAX_REQUEST_BYTES
      ) {
        throw new RangeError(`event ${e.detailType}: detail exceeds EventBridge's 256 KB entry limit`);
      }
      return entry;
    });
    for (const batch of batches(entries)) await this.sendWithRetries(batch);
  }

  private async sendWithRetries(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await this.sleep(Math.min(2_000, 100 * 2 ** attempt) * Math.random());
      const res = await this.props.client.send(new PutEventsCommand({ Entries: pending }));
      if (!res.FailedEntryCount) return;
      const failed = pending.filter((_, i) => res.Entries?.[i]?.ErrorCode);
      lastError = res.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? 'unknown';
      pending = failed;
    }
    if (pending.length > 0) {
      throw new Error(
        `EventBridge did not take ${pending.length} event(s) after ${this.maxAttempts} attempts: ${lastError}`,
      );
    }
  }
}

/** Splits entries into PutEvents requests within the count and size limits. */
function* batches(entries: PutEventsRequestEntry[]): Generator<PutEventsRequestEntry[]> {
  let batch: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = Buffer.byteLength(e.Detail ?? '') + (e.DetailType?.length ?? 0) + EVENT_SOURCE.length;
    if (batch.length === MAX_ENTRIES || (batch.length > 0 && bytes + size > MAX_REQUEST_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
