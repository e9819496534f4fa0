/**
 * `npm run analyses -- --now`: runs every scheduled analysis of the stage once, now, on the local runtime
 * started by `npm start` (PORT, default 3000), and prints what each found. On AWS the same schedules run
 * by themselves (EventBridge rules); to run one there by hand, invoke the scheduled-analysis function with
 * the rule's input (`aws lambda invoke`).
 */
const args = process.argv.slice(2);
if (!args.includes('--now') || args.some((a) => a !== '--now')) {
  console.error(
    'usage: npm run analyses -- --now   (runs the scheduled analyses once on the running local runtime)',
  );
  process.exit(2);
}
const port = process.env.PORT ?? '3000';
const url = `http://127.0.0.1:${port}/local/schedules/run`;
let res: Response;
try {
  res = await fetch(url, { method: 'POST' });
} catch {
  console.error(`no local runtime answers on port ${port}: start it with \`npm start\` (or set PORT)`);
  process.exit(1);
}
const { results } = (await res.json()) as {
  results: {
    schedule: string;
    ok: boolean;
    result?: { id: string; events: number; durationMs: number };
    error?: string;
  }[];
};
if (results.length === 0) console.log('the stage has no scheduled analyses');
for (const r of results) {
  console.log(
    r.ok
      ? `${r.schedule}: analysis ${r.result!.id} in ${r.result!.durationMs} ms, ${r.result!.events} AnomalyDetected event(s); GET /v1/analyses/${r.result!.id}`
      : `${r.schedule}: FAILED: ${r.error}`,
  );
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
