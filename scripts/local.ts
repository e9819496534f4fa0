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
import { sampleEvents, seedReferenceData } from './local/seed.ts';

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

// The ALL-USE learning task through the real workflow: the week-movement classifier trained on SPY and
// the VIX, registered, promoted and served; and a short study tuning the GEN account's protocol.
if (!args.has('--no-seed')) {
  const reference = await seedReferenceData(runtime.clients.s3, runtime.names.lake, ['SPY']);
  const [pricesUri] = reference.pricesUris;
  const { vixUri } = reference;
  if (reference.source === 'synthetic')
    log(
      '../shared/data/prices is not next to this checkout: training and tuning on seeded synthetic prices instead',
    );
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  const started = Date.now();
  await post('/v1/training-runs', {
    id: 'week-movement-spy',
    model: 'week-movement',
    task: 'classification',
    dataset: { source: 'week-movement', pricesUri, vixUri, symbol: 'SPY' },
  });
  await post('/v1/studies', {
    id: 'gen-spy-protocol',
    name: 'GEN protocol on SPY 2015-2020',
    objective: 'alluse-backtest',
    objectiveConfig: { account: 'GEN', symbol: 'SPY', from: '2015-01-01', to: '2020-12-31' },
    budget: { maxTrials: 40 },
    batchSize: 8,
  });
  log('training week-movement on SPY + VIX and tuning GEN on SPY (Step Functions, locally)...');
  await runtime.stepFunctions.waitForExecutions(600_000);
  const run = (await (await fetch(`${runtime.url}/v1/training-runs/week-movement-spy`)).json()) as {
    status: string;
    version?: number;
    outcome?: string;
    error?: string;
    candidates?: { algorithm: string; status: string; holdout?: Record<string, number> }[];
  };
  const study = (await (await fetch(`${runtime.url}/v1/studies/gen-spy-protocol`)).json()) as {
    status: string;
    counts: { complete: number };
    best?: { values: number[] };
  };
  log(
    `training run: ${run.status}${run.version ? `, version ${run.version} ${run.outcome}` : ''}${run.error ? ` (${run.error})` : ''}; hold-out macro-F1 ${(run.candidates ?? []).map((c) => `${c.algorithm} ${c.holdout?.macro_f1?.toFixed(3) ?? c.status}`).join(', ')}`,
  );
  log(
    `study: ${study.status}, ${study.counts.complete} trials, best Sharpe ${study.best?.values[0]?.toFixed(2) ?? '-'} (${Math.round((Date.now() - started) / 1000)} s for both)`,
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
  curl -s '${runtime.url}/v1/training-runs/week-movement-spy'
  curl -s -X POST '${runtime.url}/v1/models/week-movement/predict' -H 'content-type: application/json' \\
    -d '{"instances":[[0.01,0.02,0.03,0.02,55,0.15,0.5,18,0.5]]}'
  curl -s '${runtime.url}/v1/studies/gen-spy-protocol'
  curl -s -X POST '${runtime.url}/v1/studies' -H 'content-type: application/json' \\
    -d '{"name":"branin","objective":"branin","budget":{"maxTrials":50},"batchSize":5}'

Ctrl-C stops.`);
