/**
 * `npm start`: the whole system on this machine, with no Docker and no AWS account.
 * Emulators (kinesalite, dynalite, s3rver) in process, the synthesized stacks' resources, the real handlers,
 * the event-source mappings and the HTTP API on 127.0.0.1. Runs until Ctrl-C.
 *
 *   npm start                  seeds a small sample and serves on PORT (default 3000)
 *   npm start -- --no-seed     starts empty
 *   PORT=8080 npm start        another port
 */
import { EventCollector } from '../src/collector/index.ts';
import { startLocalRuntime } from './local/runtime.ts';
import { sampleEvents } from './local/seed.ts';

const args = new Set(process.argv.slice(2));
if (args.has('--help') || args.has('-h')) {
  console.log(
    'usage: npm start [-- --no-seed]   (PORT=3000 by default; LOG_LEVEL=DEBUG for verbose function logs)',
  );
  process.exit(0);
}
for (const a of args) {
  if (a !== '--no-seed') {
    console.error(`unknown option ${a}; usage: npm start [-- --no-seed]`);
    process.exit(2);
  }
}
const port = process.env.PORT === undefined ? 3000 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer 0-65535, got ${process.env.PORT}`);
  process.exit(2);
}

const log = (line: string) => console.log(`[local] ${line}`);
const runtime = await startLocalRuntime({ port, log }).catch((error: Error) => {
  console.error(`[local] could not start: ${error.message}`);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    console.error(`[local] port ${port} is taken: try PORT=3001 npm start`);
  process.exit(1);
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  await runtime.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

if (!args.has('--no-seed')) {
  const events = sampleEvents();
  const collector = new EventCollector({
    client: runtime.clients.kinesis,
    streamName: runtime.names.streams[0]!,
  });
  const started = Date.now();
  await Promise.all(events.map((e) => collector.put(e)));
  await collector.close();
  await runtime.waitForIdle(120_000);
  const stats = (await (await fetch(`${runtime.url}/v1/ingestion/stats`)).json()) as Record<string, number>;
  log(
    `seeded ${events.length} sample events in ${Date.now() - started} ms: stored ${stats.stored}, quarantined ${stats.quarantined}, duplicates ${stats.duplicates}`,
  );
}

const from = new Date(Date.now() - 3_600_000).toISOString();
console.log(`
ALL-USE learning layer, running locally
  API      ${runtime.url}   (IAM auth is not checked locally; bound to 127.0.0.1)
  logs     .local/logs/<function>.log

Try:
  curl -s '${runtime.url}/v1/ingestion/stats'
  curl -s '${runtime.url}/v1/series?metric=latency_ms&component=trading-engine&from=${from}&step=5m'
  curl -s -X POST '${runtime.url}/v1/events' -H 'content-type: application/json' \\
    -d '{"events":[{"version":1,"id":"hello-1","type":"metric","source":"curl","time":"${new Date().toISOString()}","data":{"component":"protocol-engine","name":"latency_ms","value":42,"unit":"ms"}}]}'

Ctrl-C stops.`);
