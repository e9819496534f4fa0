/**
 * An in-process stand-in for EventBridge, for the local runtime (no npm emulator exists): PutEvents over
 * the AWS JSON 1.1 protocol, so the real EventBridge client and publisher adapter run unchanged against
 * it through AWS_ENDPOINT_URL_EVENTBRIDGE. It keeps the events it received (for tests and the local
 * `/local/events` route). Event-pattern rules on custom buses are not evaluated here; schedules are run by
 * the runtime (see runtime.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  readonly id: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly time: string;
}

export interface LocalEventBridge {
  readonly url: string;
  /** Every event received, oldest first (bounded to the last 10,000). */
  readonly events: ReceivedEvent[];
  stop(): Promise<void>;
}

const MAX_KEPT = 10_000;

export async function startLocalEventBridge(knownBuses: readonly string[]): Promise<LocalEventBridge> {
  const events: ReceivedEvent[] = [];
  const buses = new Set(['default', ...knownBuses]);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (target !== 'AWSEvents.PutEvents') {
        reply(400, { __type: 'UnknownOperationException', message: `${target} is not supported locally` });
        return;
      }
      let body: { Entries?: Record<string, unknown>[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply(400, { __type: 'SerializationException', message: 'body is not JSON' });
        return;
      }
      const entries = body.Entries ?? [];
      if (entries.length === 0 || entries.length > 10) {
        reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 events' });
        return;
      }
      let failed = 0;
      const results = entries.map((e) => {
        const bus = String(e.EventBusName ?? 'default')
          .split('/')
          .pop()!;
        if (!buses.has(bus)) {
          failed++;
          return { ErrorCode: 'NotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
        }
        let detail: unknown;
        try {
          detail = JSON.parse(String(e.Detail));
        } catch {
          failed++;
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        const id = randomUUID();
        const time =
          typeof e.Time === 'number' ? new Date(e.Time * 1000).toISOString() : new Date().toISOString();
        events.push({
          id,
          eventBusName: bus,
          source: String(e.Source),
          detailType: String(e.DetailType),
          detail,
          time,
        });
        if (events.length > MAX_KEPT) events.splice(0, events.length - MAX_KEPT);
        return { EventId: id };
      });
      reply(200, { FailedEntryCount: failed, Entries: results });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Milliseconds of an EventBridge `rate(...)` expression, or undefined for anything else (cron). */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}
