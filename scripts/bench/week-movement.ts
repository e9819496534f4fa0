/**
 * `npm run bench:week`: the ALL-USE week-movement classifier (src/core/learning/week-movement.ts) on the
 * daily prices of ../shared/data/prices (LEAN 1998-2021 and Yahoo-derived mag7 2013-2023) with CBOE VIX,
 * evaluated walk-forward (5 test windows, purge 1 and embargo 1 week) against the majority-class and
 * persistence baselines on the same windows. Metrics are means over the test windows.
 * Options: --data DIR (default ../shared/data/prices), --symbols SPY,mag7/TSLA (bare symbols match every
 * folder), --folds N, --seed N. Progress on stderr; a table per symbol on stdout, then one JSON object as
 * the last line. Data licences: LEAN Apache-2.0, VIX ODC-PDDL, mag7 test and benchmark use only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePriceCsv, parseVixCsv } from '../../src/core/backtest/index.ts';
import { evaluateWeekMovement, type WeekEvaluation } from '../../src/core/learning/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(ROOT, '..', 'shared', 'data', 'prices') },
    symbols: { type: 'string' },
    folds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '0' },
  },
});
const DATA = resolve(values.data as string);
const folds = Number(values.folds);
const seed = Number(values.seed);
const wanted = values.symbols ? new Set(values.symbols.split(',').map((s) => s.trim())) : undefined;

const vix = parseVixCsv(readFileSync(join(DATA, 'vix', 'vix-daily.csv'), 'utf8'), 'vix-daily.csv');
const files: { id: string; path: string }[] = [];
for (const folder of ['lean', 'mag7']) {
  let names: string[];
  try {
    names = readdirSync(join(DATA, folder));
  } catch {
    continue;
  }
  for (const f of names.filter((n) => n.endsWith('.csv')).sort()) {
    const symbol = f.replace(/\.csv$/, '');
    const id = `${folder}/${symbol}`;
    if (!wanted || wanted.has(id) || wanted.has(symbol)) files.push({ id, path: join(DATA, folder, f) });
  }
}
if (files.length === 0)
  throw new Error(`no price file under ${DATA} matches --symbols ${values.symbols ?? ''}`);

const pad = (s: string, n: number) => s.padEnd(n);
const f3 = (x: number | undefined) => (x === undefined ? '   -  ' : x.toFixed(3).padStart(6));
const out: Record<string, unknown> = {};
const all: WeekEvaluation[] = [];
const t0 = performance.now();
for (const { id, path } of files) {
  const t = performance.now();
  process.stderr.write(`${id} ... `);
  const bars = parsePriceCsv(readFileSync(path, 'utf8'), id);
  const ev = evaluateWeekMovement(bars, vix, { folds, seed });
  all.push(ev);
  const ms = performance.now() - t;
  process.stderr.write(`${(ms / 1000).toFixed(1)} s\n`);
  const counts = Object.entries(ev.classCounts)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
  console.log(
    `\n== ${id}  weeks ${ev.from}..${ev.to} (${ev.weeks})  test ${ev.folds[0]?.testFrom}..${ev.to}`,
  );
  console.log(`   buckets ${counts}`);
  console.log(`   ${pad('algorithm', 14)} accuracy macro_f1 log_loss`);
  for (const r of ev.results) {
    const tag = r.kind === 'baseline' ? `${r.name}*` : r.name;
    if (r.error) console.log(`   ${pad(tag, 14)} failed: ${r.error}`);
    else
      console.log(
        `   ${pad(tag, 14)} ${f3(r.mean.accuracy)}   ${f3(r.mean.macro_f1)}   ${f3(r.mean.log_loss)}`,
      );
  }
  out[id] = {
    weeks: ev.weeks,
    from: ev.from,
    to: ev.to,
    classCounts: ev.classCounts,
    results: Object.fromEntries(ev.results.map((r) => [r.name, r.error ? { error: r.error } : r.mean])),
  };
}

// Across symbols: mean metric per algorithm, and on how many symbols it beats each baseline.
const names = all[0]?.results.map((r) => r.name) ?? [];
const summary: Record<string, Record<string, number>> = {};
for (const name of names) {
  const rs = all.map((e) => e.results.find((r) => r.name === name));
  const ok = rs.filter((r) => r && !r.error);
  const mean = (m: string) => ok.reduce((s, r) => s + (r?.mean[m] ?? 0), 0) / ok.length;
  const beats = (base: string, m: string, better: (a: number, b: number) => boolean) =>
    all.filter((e) => {
      const a = e.results.find((r) => r.name === name)?.mean[m];
      const b = e.results.find((r) => r.name === base)?.mean[m];
      return a !== undefined && b !== undefined && better(a, b);
    }).length;
  summary[name] = {
    accuracy: mean('accuracy'),
    macro_f1: mean('macro_f1'),
    log_loss: mean('log_loss'),
    f1BeatsMajority: beats('majority', 'macro_f1', (a, b) => a > b),
    f1BeatsPersistence: beats('persistence', 'macro_f1', (a, b) => a > b),
    logLossBeatsMajority: beats('majority', 'log_loss', (a, b) => a < b),
    logLossBeatsPersistence: beats('persistence', 'log_loss', (a, b) => a < b),
  };
}
console.log(
  `\n== mean over ${all.length} symbols (* = baseline; beats = symbols where it beats the baseline)`,
);
console.log(`   ${pad('algorithm', 14)} accuracy macro_f1 log_loss  F1>maj F1>pers LL<maj LL<pers`);
for (const [name, s] of Object.entries(summary)) {
  const tag = name === 'majority' || name === 'persistence' ? `${name}*` : name;
  console.log(
    `   ${pad(tag, 14)} ${f3(s.accuracy)}   ${f3(s.macro_f1)}   ${f3(s.log_loss)}   ${String(s.f1BeatsMajority).padStart(5)} ${String(s.f1BeatsPersistence).padStart(7)} ${String(s.logLossBeatsMajority).padStart(6)} ${String(s.logLossBeatsPersistence).padStart(7)}`,
  );
}
console.log(
  JSON.stringify({
    benchmark: 'week-movement',
    folds,
    purge: 1,
    embargo: 1,
    seed,
    symbols: out,
    summary,
    elapsedMs: Math.round(performance.now() - t0),
  }),
);
