/**
 * `npm run bench:analyses`: the speed of the analysis service path on the local runtime.
 * Stores one series of N points (default 10,000, one per second) through the real ingest path, then times
 * `POST /v1/analyses` (anomaly, the default ensemble detector) over all of it, end to end through the local
 * HTTP API: the series query on dynalite, the detector, the stored result. Target: under 2 s.
 * Options: --points N, --runs R (default 5), --detector NAME. Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import { EventCollector } from '../../src/collector/index.ts';
import { startLocalRuntime } from '../local/runtime.ts';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    detector: { type: 'string', default: 'ensemble' },
  },
});
const N = Number(values.points);
const RUNS = Number(values.runs);

const runtime = await startLocalRuntime({ port: 0, pollIntervalMs: 20 });
try {
  // Whole seconds ending a minute ago, inside the accepted event age.
  const end = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const start = end - N * 1000;
  const events = Array.from({ length: N }, (_, i) => ({
    version: 1,
    id: `bench-analysis-${i}`,
    type: 'metric',
    source: 'bench/analyses',
    time: new Date(start + i * 1000).toISOString(),
    data: {
      component: 'bench-analyses',
      name: 'latency_ms',
      // A daily-ish wave with noise and a few spikes.
      value: 50 + 10 * Math.sin(i / 300) + ((i * 7919) % 13) - 6 + (i % 2500 === 1999 ? 120 : 0),
      unit: 'ms',
    },
  }));
  process.stderr.write(`storing ${N} points through the ingest path...\n`);
  const collector = new EventCollector({
    client: runtime.clients.kinesis,
    streamName: runtime.names.streams[0]!,
  });
  await Promise.all(events.map((e) => collector.put(e)));
  await collector.close();
  await runtime.waitForIdle(600_000);

  const body = JSON.stringify({
    kind: 'anomaly',
    metric: 'latency_ms',
    component: 'bench-analyses',
    from: start,
    to: end,
    step: '1s',
    params: { detector: values.detector },
  });
  const times: number[] = [];
  let last: { durationMs: number; series: { points: number; anomalies: unknown[] }[] } | undefined;
  for (let r = 0; r < RUNS + 1; r++) {
    const t0 = performance.now();
    const res = await fetch(`${runtime.url}/v1/analyses`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    const json = (await res.json()) as typeof last & { message?: string };
    const ms = performance.now() - t0;
    if (res.status !== 201) throw new Error(`analysis failed: ${res.status} ${json?.message}`);
    if (r > 0) times.push(ms); // the first call also starts the function's container
    last = json;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const points = last!.series[0]!.points;
  console.log(
    `anomaly analysis through the local API (${values.detector}), ${points} points, ${RUNS} warm runs`,
  );
  console.log(
    `  end to end    median ${median.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms (target < 2000 ms)`,
  );
  console.log(
    `  in the handler (query + detector + store) ${last!.durationMs} ms; anomalies found ${last!.series[0]!.anomalies.length}`,
  );
  console.log(
    JSON.stringify({
      points,
      detector: values.detector,
      medianMs: Math.round(median),
      maxMs: Math.round(times.at(-1)!),
      handlerMs: last!.durationMs,
    }),
  );
} finally {
  await runtime.stop();
}
