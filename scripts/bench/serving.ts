/**
 * `npm run bench:serving`: the speed of model serving.
 *   1. In process: a 100-tree random forest classifier (fit on a seeded synthetic 10-feature set) predicting one
 *      row at a time, raw (`predictProba` + argmax, what the predictor runs) and through the whole predictor
 *      path (body validation, alias resolution through the cache, prediction, response, the prediction-log
 *      record built and handed to an in-memory lake). Target: well under 100 us per row.
 *   2. With --handler: the real handler (functions/api/predict.ts) in this process against dynalite (registry)
 *      and s3rver (artifact and one prediction-log object per request), driven at a steady rate; p50/p99 of the
 *      handler's latency. This is the handler and its emulators, not the HTTP front of `npm start`.
 *   3. With --local-api: the local runtime of `npm start` (HTTP API, the handler in its worker container),
 *      the same model registered in it, POST /v1/models/{name}/predict over HTTP at the same steady rate.
 * Options: --rows N (timed single-row requests, default 5000), --handler, --local-api, --rate R (req/s, default 50),
 * --seconds S (default 10). Prints a table, then one JSON object as the last line.
 */
import { parseArgs } from 'node:util';
import { argmaxLabels, fromRows, RandomForestClassifier } from '../../src/core/ml/index.ts';
import type { Lake, LakeRecord } from '../../src/core/ports.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { InMemoryModelRegistry } from '../../src/core/registry/memory.ts';
import { type ArtifactStore, ModelCache, Predictor, sha256Hex } from '../../src/core/serving/index.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000' },
    handler: { type: 'boolean', default: false },
    'local-api': { type: 'boolean', default: false },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
  },
});
const ROWS = Number(values.rows);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const FEATURES = 10;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function summary(samplesMs: number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    meanUs: mean * 1_000,
    p50Us: percentile(sorted, 0.5) * 1_000,
    p99Us: percentile(sorted, 0.99) * 1_000,
  };
}

/** A seeded synthetic set: 10 uniform features, three classes from a noisy linear score. */
function synthetic(n: number, seed: number) {
  const rng = mulberry32(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: FEATURES }, () => rng());
    const score = x[0]! + 0.5 * x[1]! - 0.8 * x[2]! + 0.3 * x[3]! * x[4]! + 0.2 * (rng() - 0.5);
    rows.push(x);
    y.push(score < 0.2 ? 0 : score < 0.6 ? 1 : 2);
  }
  return { rows, y };
}

/** Counts records without keeping them (the benchmark's sink). */
class CountingLake implements Lake {
  records = 0;
  bytes = 0;
  async append(records: readonly LakeRecord[]): Promise<readonly string[]> {
    this.records += records.length;
    for (const r of records) this.bytes += r.line.length;
    return [];
  }
  async quarantine(): Promise<string | undefined> {
    return undefined;
  }
}

async function inProcess() {
  const train = synthetic(2_000, 1);
  const fitStart = performance.now();
  const forest = new RandomForestClassifier({ nEstimators: 100, seed: 7 }).fit(fromRows(train.rows), train.y);
  const fitMs = performance.now() - fitStart;
  const bytes = new TextEncoder().encode(JSON.stringify(forest.toArtifact()));

  const registry = new InMemoryModelRegistry();
  const artifacts: ArtifactStore = { get: async () => bytes };
  await registry.registerVersion('bench-forest', {
    artifactUri: 's3://bench/forest.json',
    artifactSha256: await sha256Hex(bytes),
    algorithm: 'random_forest_classifier',
    params: { nEstimators: 100 },
    metrics: {},
    datasetFingerprint: 'synthetic-10f-seed1',
    codeVersion: 'bench',
  });
  await registry.setAlias('bench-forest', 'champion', 1, { reason: 'bench', actor: 'bench' });
  const lake = new CountingLake();
  const predictor = new Predictor({ cache: new ModelCache({ registry, artifacts }), lake });

  const test = synthetic(ROWS, 2).rows;
  const warm = Math.min(500, ROWS);
  // Raw: what the predictor runs for a classifier, one row at a time.
  for (let i = 0; i < warm; i++) argmaxLabels(forest.predictProba(fromRows([test[i]!])), forest.classes);
  const raw: number[] = [];
  for (const row of test) {
    const t = performance.now();
    argmaxLabels(forest.predictProba(fromRows([row])), forest.classes);
    raw.push(performance.now() - t);
  }
  // Through the predictor, single-row requests.
  for (let i = 0; i < warm; i++) await predictor.predict('bench-forest', { instances: [test[i]!] });
  const served: number[] = [];
  let agree = 0;
  for (const row of test) {
    const t = performance.now();
    const response = await predictor.predict('bench-forest', { instances: [row] });
    served.push(performance.now() - t);
    if (response.predictions[0] === forest.predict(fromRows([row]))[0]) agree += 1;
  }
  return {
    fitMs,
    artifactBytes: bytes.length,
    raw: summary(raw),
    predictor: summary(served),
    agreement: agree / test.length,
    logRecords: lake.records,
    logBytesPerRecord: lake.bytes / Math.max(1, lake.records),
  };
}

/** Drives `call` at RATE requests/s for SECONDS (open loop: a slow answer does not delay the next request). */
async function steadyLoad(
  call: (row: number[]) => Promise<{ ms: number; status: number }>,
  rows: readonly number[][],
) {
  for (let i = 0; i < 20; i++) await call(rows[i]!); // cold load, then warm
  const samples: number[] = [];
  const errors: number[] = [];
  const interval = 1_000 / RATE;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      call(rows[50 + i]!).then(({ ms, status }) => {
        samples.push(ms);
        if (status !== 200) errors.push(status);
      }),
    );
  }
  await Promise.all(pending);
  const s = summary(samples);
  return {
    rate: RATE,
    seconds: SECONDS,
    requests: samples.length,
    errors: errors.length,
    p50Ms: s.p50Us / 1_000,
    p99Ms: s.p99Us / 1_000,
    meanMs: s.meanUs / 1_000,
  };
}

/** The forest's artifact bytes and a registry entry + champion alias pointing at it. */
async function registerForest(
  registry: import('../../src/core/registry/index.ts').ModelRegistry,
  put: (key: string, bytes: Uint8Array) => Promise<string>,
) {
  const train = synthetic(2_000, 1);
  const forest = new RandomForestClassifier({ nEstimators: 100, seed: 7 }).fit(fromRows(train.rows), train.y);
  const bytes = new TextEncoder().encode(JSON.stringify(forest.toArtifact()));
  const artifactUri = await put('models/bench-forest/forest.json', bytes);
  await registry.registerVersion('bench-forest', {
    artifactUri,
    artifactSha256: await sha256Hex(bytes),
    algorithm: 'random_forest_classifier',
    params: {},
    metrics: {},
    datasetFingerprint: 'synthetic-10f-seed1',
    codeVersion: 'bench',
  });
  await registry.setAlias('bench-forest', 'champion', 1, { reason: 'bench', actor: 'bench' });
}

/** The HTTP front of `npm start`: the local runtime, POST /v1/models/bench-forest/predict over HTTP. */
async function throughLocalApi() {
  const { startLocalRuntime } = await import('../local/runtime.ts');
  const { DynamoDbModelRegistry } = await import('../../src/adapters/dynamodb-model-registry.ts');
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const rt = await startLocalRuntime({ port: 0, runSchedules: false });
  try {
    const documents = rt.names.tables.find((t) => t.includes('Storage-Documents'))!;
    await registerForest(
      new DynamoDbModelRegistry({ client: rt.clients.dynamodb, tableName: documents }),
      async (key, bytes) => {
        await rt.clients.s3.send(new PutObjectCommand({ Bucket: rt.names.lake, Key: key, Body: bytes }));
        return `s3://${rt.names.lake}/${key}`;
      },
    );
    const rows = synthetic(RATE * SECONDS + 50, 3).rows;
    return await steadyLoad(async (row) => {
      const t = performance.now();
      const res = await fetch(`${rt.url}/v1/models/bench-forest/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [row] }),
      });
      await res.arrayBuffer();
      return { ms: performance.now() - t, status: res.status };
    }, rows);
  } finally {
    await rt.stop();
  }
}

async function throughHandler() {
  const { startEmulators } = await import('../local/emulators.ts');
  const { createTablesForTest } = await import('../../test/support/dynamodb-tables.ts');
  const { createClients } = await import('../../src/adapters/clients.ts');
  const { DynamoDbModelRegistry } = await import('../../src/adapters/dynamodb-model-registry.ts');
  const { CreateBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const emulators = await startEmulators();
  try {
    Object.assign(process.env, emulators.env);
    const clients = createClients(emulators.env);
    const tables = await createTablesForTest(clients.dynamodb, 'bench-serving');
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'bench-lake' }));
    await registerForest(
      new DynamoDbModelRegistry({ client: clients.dynamodb, tableName: tables.documents }),
      async (key, bytes) => {
        await clients.s3.send(new PutObjectCommand({ Bucket: 'bench-lake', Key: key, Body: bytes }));
        return `s3://bench-lake/${key}`;
      },
    );
    process.env.DOCUMENTS_TABLE_NAME = tables.documents;
    process.env.LAKE_BUCKET_NAME = 'bench-lake';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const { handler } = await import('../../functions/api/predict.ts');
    const rows = synthetic(RATE * SECONDS + 50, 3).rows;
    const call = async (row: number[]) => {
      const event = {
        routeKey: 'POST /v1/models/{name}/predict',
        pathParameters: { name: 'bench-forest' },
        body: JSON.stringify({ instances: [row] }),
        isBase64Encoded: false,
      };
      const t = performance.now();
      const result = (await handler(event as never, { awsRequestId: 'bench' } as never)) as {
        statusCode: number;
      };
      return { ms: performance.now() - t, status: result.statusCode };
    };
    return await steadyLoad(call, rows);
  } finally {
    await emulators.stop();
  }
}

const local = await inProcess();
const fmt = (x: number) => x.toFixed(1).padStart(8);
console.log(`100-tree random forest, 10 features, 3 classes; fit ${local.fitMs.toFixed(0)} ms on 2000 rows`);
console.log(`artifact ${(local.artifactBytes / 1024).toFixed(0)} KiB; ${ROWS} timed single-row requests`);
console.log('path                         mean us   p50 us   p99 us');
console.log(
  `raw predictProba+argmax   ${fmt(local.raw.meanUs)} ${fmt(local.raw.p50Us)} ${fmt(local.raw.p99Us)}`,
);
console.log(
  `predictor.predict         ${fmt(local.predictor.meanUs)} ${fmt(local.predictor.p50Us)} ${fmt(local.predictor.p99Us)}`,
);
console.log(
  `agreement with model.predict ${(local.agreement * 100).toFixed(2)} %; ${local.logRecords} log records, ${local.logBytesPerRecord.toFixed(0)} B each`,
);
let handler: Awaited<ReturnType<typeof throughHandler>> | undefined;
if (values.handler) {
  handler = await throughHandler();
  console.log(
    `handler + dynalite + s3rver at ${handler.rate} req/s for ${handler.seconds} s: p50 ${handler.p50Ms.toFixed(1)} ms, p99 ${handler.p99Ms.toFixed(1)} ms, mean ${handler.meanMs.toFixed(1)} ms, ${handler.errors} non-200 of ${handler.requests}`,
  );
}
let localApi: Awaited<ReturnType<typeof throughLocalApi>> | undefined;
if (values['local-api']) {
  localApi = await throughLocalApi();
  console.log(
    `local API (npm start's HTTP front, worker container) at ${localApi.rate} req/s for ${localApi.seconds} s: p50 ${localApi.p50Ms.toFixed(1)} ms, p99 ${localApi.p99Ms.toFixed(1)} ms, mean ${localApi.meanMs.toFixed(1)} ms, ${localApi.errors} non-200 of ${localApi.requests}`,
  );
}
console.log(
  JSON.stringify({
    benchmark: 'serving',
    rows: ROWS,
    fitMs: Math.round(local.fitMs),
    rawUsPerRow: { mean: local.raw.meanUs, p50: local.raw.p50Us, p99: local.raw.p99Us },
    predictorUsPerRow: {
      mean: local.predictor.meanUs,
      p50: local.predictor.p50Us,
      p99: local.predictor.p99Us,
    },
    agreement: local.agreement,
    ...(handler === undefined ? {} : { handler }),
    ...(localApi === undefined ? {} : { localApi }),
  }),
);
