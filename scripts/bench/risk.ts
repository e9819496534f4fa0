/**
 * `npm run bench:risk`: VaR and CVaR backtests on public daily prices. Every method forecasts each day's
 * VaR from the days before it only (rollingVaR), and the forecasts are scored by the standard tests
 * (backtestVaR): the violation rate against 1 − level, Kupiec's unconditional coverage, Christoffersen's
 * conditional coverage, the Basel traffic light per 250-day block at 99 %, and Acerbi & Szekely's Z2 for the
 * CVaR at 97.5 % (the Basel FRTB level).
 *
 *   npm run bench:risk
 *   npm run bench:risk -- --prices DIR[,DIR] --levels 0.95,0.99 --methods historical,filtered-historical
 *
 * Data: ../shared/data/prices/lean (Apache-2.0, QuantConnect: SPY, QQQ, IWM, EEM, USO, AAPL, IBM, BAC, AIG,
 * 1998-2021, split- and dividend-adjusted closes) and prices/mag7 (2013-2023, split-adjusted; benchmark use
 * only). A return over a gap of more than 10 calendar days (QQQ has one of six years) is dropped.
 * Last line: one JSON object {method: {level: {rate, kupiecRejected, ccRejected, ...}}}.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  backtestVaR,
  baselZone,
  rollingVaR,
  VAR_METHODS,
  type VarMethod,
} from '../../src/core/analytics/risk/index.ts';
import { type Bar, parsePriceCsv } from '../../src/core/backtest/data.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRICES = resolve(ROOT, '..', 'shared', 'data', 'prices');

const { values: opts } = parseArgs({
  options: {
    prices: { type: 'string', default: `${join(PRICES, 'lean')},${join(PRICES, 'mag7')}` },
    levels: { type: 'string', default: '0.95,0.975,0.99' },
    methods: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('npm run bench:risk -- [--prices DIR[,DIR]] [--levels 0.95,0.99] [--methods historical,ewma]');
  process.exit(0);
}

interface Variant {
  readonly name: string;
  readonly method: VarMethod;
  readonly window: number;
}

/** Each method at the windows practice uses: one trading year, and two for the historical ones. */
const ALL: Variant[] = [
  { name: 'historical-250', method: 'historical', window: 250 },
  { name: 'historical-500', method: 'historical', window: 500 },
  { name: 'normal-250', method: 'normal', window: 250 },
  { name: 'cornish-fisher-250', method: 'cornish-fisher', window: 250 },
  { name: 'ewma-0.94', method: 'ewma', window: 500 },
  { name: 'filtered-historical-250', method: 'filtered-historical', window: 250 },
  { name: 'filtered-historical-500', method: 'filtered-historical', window: 500 },
];
const wanted = opts.methods?.split(',').map((m) => m.trim());
for (const m of wanted ?? []) {
  if (!(VAR_METHODS as readonly string[]).includes(m)) {
    throw new RangeError(`--methods must name methods from ${VAR_METHODS.join(', ')}, got '${m}'`);
  }
}
const variants = ALL.filter((v) => !wanted || wanted.includes(v.method));
const levels = opts.levels.split(',').map(Number);
for (const l of levels) {
  if (!(l > 0 && l < 1)) throw new RangeError(`--levels must be fractions in (0, 1) such as 0.99, got ${l}`);
}

/** Daily simple returns of a price CSV's (adjusted) close, as the backtester reads it, skipping long gaps. */
function loadReturns(file: string): number[] {
  const bars = parsePriceCsv(readFileSync(file, 'utf8'), file);
  const out: number[] = [];
  for (let i = 1; i < bars.length; i++) {
    const prev = bars[i - 1] as Bar;
    const bar = bars[i] as Bar;
    if (bar.day - prev.day <= 10) out.push(bar.close / prev.close - 1);
  }
  return out;
}

const series = opts.prices.split(',').flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => ({
      name: `${basename(dir)}/${f.replace(/\.csv$/, '')}`,
      returns: loadReturns(join(dir, f)),
    })),
);
// Every method is tested on the same days: from the longest window on.
const start = Math.max(...variants.map((v) => v.window));
const totalDays = series.reduce((s, x) => s + Math.max(0, x.returns.length - start), 0);
console.log(
  `${series.length} series, ${totalDays} tested days (each from day ${start} of its series); levels ${levels.join(', ')}`,
);

interface Row {
  rate: number;
  kupiecRejected: number;
  ccRejected: number;
  basel?: { green: number; yellow: number; red: number };
  esZ2: number;
  forecastsPerSecond: number;
}
const results: Record<string, Record<string, Row>> = {};

for (const v of variants) {
  results[v.name] = {};
  for (const level of levels) {
    let violations = 0;
    let observations = 0;
    let kupiecRejected = 0;
    let ccRejected = 0;
    let z2Sum = 0;
    let z2Weight = 0;
    let forecasts = 0;
    let seconds = 0;
    const zones = { green: 0, yellow: 0, red: 0 };
    for (const s of series) {
      if (s.returns.length <= start + 250) continue;
      // Drop the days before the common start so that every variant is scored on the same days.
      const returns = s.returns.slice(start - v.window);
      const t0 = process.hrtime.bigint();
      const f = rollingVaR(returns, { method: v.method, level, window: v.window });
      seconds += Number(process.hrtime.bigint() - t0) / 1e9;
      forecasts += f.var.length;
      const b = backtestVaR(returns, f);
      violations += b.violations;
      observations += b.observations;
      if (b.kupiec.pValue < 0.05) kupiecRejected++;
      if (b.conditionalCoverage.pValue < 0.05) ccRejected++;
      z2Sum += b.esZ2 * b.observations;
      z2Weight += b.observations;
      if (Math.abs(level - 0.99) < 1e-12) {
        for (let i = 0; i + 250 <= b.observations; i += 250) {
          let k = 0;
          for (let j = i; j < i + 250; j++) if ((returns[f.start + j] as number) < -(f.var[j] as number)) k++;
          zones[baselZone(k)]++;
        }
      }
    }
    (results[v.name] as Record<string, Row>)[String(level)] = {
      rate: violations / observations,
      kupiecRejected,
      ccRejected,
      ...(Math.abs(level - 0.99) < 1e-12 ? { basel: zones } : {}),
      esZ2: z2Sum / z2Weight,
      forecastsPerSecond: forecasts / seconds,
    };
  }
}

const tested = series.filter((s) => s.returns.length > start + 250).length;
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
for (const level of levels) {
  console.log(`\n## VaR ${level} (expected violation rate ${pct(1 - level)}; ${tested} series)\n`);
  const basel = Math.abs(level - 0.99) < 1e-12;
  console.log(
    `| method | violation rate | Kupiec rejects (5 %) | cond. coverage rejects (5 %) | ${basel ? 'Basel blocks green/yellow/red | ' : ''}ES Z2 | forecasts/s |`,
  );
  console.log(`|---|---|---|---|${basel ? '---|' : ''}---|---|`);
  for (const v of variants) {
    const r = results[v.name]?.[String(level)] as Row;
    const zones = r.basel ? `${r.basel.green}/${r.basel.yellow}/${r.basel.red} | ` : '';
    console.log(
      `| ${v.name} | ${pct(r.rate)} | ${r.kupiecRejected}/${tested} | ${r.ccRejected}/${tested} | ${zones}${r.esZ2.toFixed(3)} | ${Math.round(r.forecastsPerSecond).toLocaleString('en-US')} |`,
    );
  }
}
console.log(JSON.stringify(results));
