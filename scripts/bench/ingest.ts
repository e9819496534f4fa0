/**
 * `npm run bench:ingest`: the speed of the ingestion path.
 *   1. records/s per core through validation and batching (processBatch with in-memory stores), next to bare
 *      JSON.parse of the same records in the same run (target: at least 25 % of JSON.parse's rate);
 *   2. end-to-end events/s through the local runtime (collector → kinesalite → poller → real ingest handler →
 *      dynalite + s3rver), until the stats endpoint shows every event settled;
 *   3. the ingest bundle's size (esbuild, as NodejsFunction bundles it) and its cold import time in a fresh process.
 * Options: --records N (default 200000), --e2e N (default 5000), --batch N (default 100), --skip-e2e.
 * Prints a table, then one JSON object as the last line.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_SETTINGS } from '../../lib/constructs/project-function.ts';
import { InMemoryDocumentStore, InMemoryLake, InMemorySeriesStore } from '../../src/adapters/memory.ts';
import { EventCollector } from '../../src/collector/index.ts';
import { processBatch, type StreamRecord } from '../../src/core/ingest/process-batch.ts';
import { ROOT, startLocalRuntime } from '../local/runtime.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    e2e: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '100' },
    'skip-e2e': { type: 'boolean', default: false },
  },
});
const N = Number(values.records);
const E2E = Number(values.e2e);
const BATCH = Number(values.batch);

const COMPONENTS = ['protocol-engine', 'trading-engine', 'account-manager', 'market-data', 'risk-service'];
const METRICS = [
  'latency_ms',
  'error_rate',
  'throughput_ops_sec',
  'cpu_percent',
  'memory_usage_mb',
  'cache_hit_rate',
  'connection_success_rate',
];

function makeEvent(i: number, base: number) {
  return {
    version: 1,
    id: `bench-${i}`,
    type: 'metric',
    source: 'bench/producer',
    time: new Date(base + (i % 3_600) * 1000).toISOString(),
    data: {
      component: COMPONENTS[i % COMPONENTS.length],
      name: METRICS[i % METRICS.length],
      value: (i % 997) * 0.37,
      unit: 'ms',
      dimensions: { region: 'us-east-1', host: `ip-10-0-${i % 16}-${i % 7}` },
    },
  };
}

function hz(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

async function measureCore() {
  const base = Date.now() - 2 * 3_600_000;
  const payloads = Array.from({ length: N }, (_, i) => Buffer.from(JSON.stringify(makeEvent(i, base))));
  const avgBytes = Math.round(payloads.reduce((s, p) => s + p.length, 0) / N);
  const records: StreamRecord[] = payloads.map((data, i) => ({
    sequenceNumber: String(i),
    origin: `shardId-000000000000/${i}`,
    data,
  }));
  const decoder = new TextDecoder();

  const parseOnce = () => {
    let sink = 0;
    const t0 = performance.now();
    for (const p of payloads) sink += (JSON.parse(decoder.decode(p)) as { id: string }).id.length;
    return { ms: performance.now() - t0, sink };
  };
  const ingestOnce = async () => {
    const ports = {
      series: new InMemorySeriesStore(),
      documents: new InMemoryDocumentStore(),
      lake: new InMemoryLake(),
    };
    const t0 = performance.now();
    let stored = 0;
    for (let i = 0; i < records.length; i += BATCH) {
      const out = await processBatch(records.slice(i, i + BATCH), `b${i}`, ports);
      stored += out.counters.stored;
    }
    const ms = performance.now() - t0;
    if (stored !== N) throw new Error(`benchmark invalid: stored ${stored} of ${N}`);
    return ms;
  };
  // Warm up both paths, then alternate runs so machine noise hits both alike; keep the best of each.
  parseOnce();
  await ingestOnce();
  const parseMs: number[] = [];
  const ingestMs: number[] = [];
  for (let r = 0; r < 5; r++) {
    parseMs.push(parseOnce().ms);
    ingestMs.push(await ingestOnce());
  }
  const parseRate = hz(N, Math.min(...parseMs));
  const ingestRate = hz(N, Math.min(...ingestMs));
  return { avgBytes, parseRate, ingestRate, ratio: ingestRate / parseRate };
}

async function measureEndToEnd() {
  const runtime = await startLocalRuntime({ port: 0, pollIntervalMs: 20 });
  try {
    const base = Date.now() - 30 * 60_000;
    // 35 series (5 components x 7 metrics), as the platform's components report them: the DynamoDB store
    // writes once per series and minute bucket per batch, so cardinality, not volume, sets its write count.
    const events = Array.from({ length: E2E }, (_, i) => {
      const e = makeEvent(i, base);
      return {
        ...e,
        id: `e2e-${i}`,
        data: {
          ...e.data,
          name: METRICS[Math.floor(i / COMPONENTS.length) % METRICS.length],
          dimensions: { region: 'us-east-1' },
        },
      };
    });
    const collector = new EventCollector({
      client: runtime.clients.kinesis,
      streamName: runtime.names.streams[0]!,
    });
    const t0 = performance.now();
    await Promise.all(events.map((e) => collector.put(e)));
    await collector.close();
    const putMs = performance.now() - t0;
    let settled = 0;
    for (;;) {
      const s = (await (await fetch(`${runtime.url}/v1/ingestion/stats`)).json()) as {
        stored: number;
        quarantined: number;
        duplicates: number;
      };
      settled = s.stored + s.quarantined + s.duplicates;
      if (settled >= E2E) break;
      if (performance.now() - t0 > 600_000)
        throw new Error(`only ${settled} of ${E2E} settled after 10 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const totalMs = performance.now() - t0;
    const ingest = [...runtime.functions.values()].find(
      (f) => f.spec.entry === 'functions/ingest/handler.ts',
    )!;
    return {
      ingestBusy: ingest.busyMs / totalMs,
      invocations: ingest.invocations,
      events: E2E,
      series: COMPONENTS.length * METRICS.length,
      putRate: hz(E2E, putMs),
      endToEndRate: hz(E2E, totalMs),
      seconds: totalMs / 1000,
    };
  } finally {
    await runtime.stop();
  }
}

async function measureBundle() {
  // Inside the project, so a fresh process resolves exactly what the bundle would find in Lambda: itself
  // (and, for the variant that leaves the SDK out, the project's node_modules standing in for the runtime's).
  mkdirSync(join(ROOT, '.local'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.local', 'bundle-'));
  try {
    // The same settings as every deployed function (lib/constructs/project-function.ts): ESM, minified,
    // node22, source maps for --enable-source-maps; the pinned AWS SDK bundled in. The second variant leaves
    // @aws-sdk/* to the runtime, to show what bundling it buys.
    const bundleTo = async (name: string, external: string[]) => {
      const outfile = join(dir, name, 'index.mjs');
      await build({
        entryPoints: [join(ROOT, 'functions/ingest/handler.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: BUNDLE_SETTINGS.target,
        mainFields: [...BUNDLE_SETTINGS.mainFields],
        minify: BUNDLE_SETTINGS.minify,
        banner: { js: BUNDLE_SETTINGS.banner },
        sourcemap: true,
        sourcesContent: false,
        outfile,
        external,
        logLevel: 'silent',
      });
      return outfile;
    };
    const deployed = await bundleTo('deployed', []);
    const sdkExternal = await bundleTo('sdk-external', ['@aws-sdk/*']);
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '--enable-source-maps',
      SERIES_STORE: 'dynamodb',
      SERIES_TABLE_NAME: 't',
      DOCUMENTS_TABLE_NAME: 't',
      LAKE_BUCKET_NAME: 'b',
      AWS_REGION: 'us-east-1',
    };
    const coldImport = (file: string) => {
      const probe = `const t0 = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t0);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        env,
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return Number(out.toString().trim());
    };
    // Alternate the two variants so machine noise hits both alike; report medians of 7 fresh processes.
    const deployedMs: number[] = [];
    const externalMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      deployedMs.push(coldImport(deployed));
      externalMs.push(coldImport(sdkExternal));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[3]!;
    return {
      bytes: statSync(deployed).size,
      coldImportMsMedian: median(deployedMs),
      sdkExternalBytes: statSync(sdkExternal).size,
      sdkExternalColdImportMsMedian: median(externalMs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const core = await measureCore();
const bundle = await measureBundle();
const e2e = values['skip-e2e'] ? undefined : await measureEndToEnd();

console.log(
  `ingest benchmark on ${process.version}, ${N} records of ~${core.avgBytes} B, batches of ${BATCH}`,
);
console.log(`  JSON.parse (decode + parse)          ${core.parseRate.toLocaleString('en')} records/s`);
console.log(
  `  validate + batch (in-memory stores)  ${core.ingestRate.toLocaleString('en')} records/s  = ${(100 * core.ratio).toFixed(1)} % of JSON.parse (target >= 25 %)`,
);
if (e2e) {
  console.log(
    `  end to end, local runtime            ${e2e.endToEndRate.toLocaleString('en')} events/s (${e2e.events} events over ${e2e.series} series settled in ${e2e.seconds.toFixed(1)} s; ingest function busy ${(100 * e2e.ingestBusy).toFixed(0)} % of it, ${e2e.invocations} invocations; collector put ${e2e.putRate.toLocaleString('en')}/s)`,
  );
}
console.log(
  `  ingest bundle                        ${(bundle.bytes / 1024).toFixed(1)} KiB, cold import ${bundle.coldImportMsMedian.toFixed(0)} ms (median of 7 fresh processes)`,
);
console.log(
  `  same, AWS SDK left to the runtime    ${(bundle.sdkExternalBytes / 1024).toFixed(1)} KiB, cold import ${bundle.sdkExternalColdImportMsMedian.toFixed(0)} ms (alternated with the above)`,
);
console.log(
  JSON.stringify({
    recordBytes: core.avgBytes,
    jsonParsePerSec: core.parseRate,
    ingestPerSec: core.ingestRate,
    ratioToJsonParse: Number(core.ratio.toFixed(3)),
    ...(e2e ? { endToEndPerSec: e2e.endToEndRate } : {}),
    bundleBytes: bundle.bytes,
    coldImportMs: Number(bundle.coldImportMsMedian.toFixed(1)),
    sdkExternalColdImportMs: Number(bundle.sdkExternalColdImportMsMedian.toFixed(1)),
  }),
);
