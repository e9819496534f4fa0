/**
 * M4 benchmark of the forecasting core: sMAPE, MASE and OWA (M4's definitions, OWA relative to Naive2 computed
 * in the same run), empirical coverage of the 80 % and 95 % intervals, and ms per series, beside the
 * statsmodels peer figures measured on the same subsets (../shared/data/reference/peers.json) and, as a guide,
 * the published full-set figures (../shared/data/m4/M4_point_forecast_summary.csv).
 *
 *   npm run bench:m4                                   # Hourly (h=48, m=24) and Weekly (h=13, m=1), shared files
 *   npm run bench:m4 -- --train F --test F --horizon H --season M [--methods naive2,ets] [--limit N]
 *   npm run bench:m4 -- --validate      # validation split: the last h points of each TRAINING series are
 *                                       # held out and forecast from the rest; the test file is not read
 *
 * `ar-comb-pooled` (bench only) is the pooled form of `ar-comb`: one AR fitted across all series of the set,
 * its fit time spread over the series in ms/series.
 *
 * Last line: one JSON object with every figure.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  arCombPooled,
  coverage,
  type ForecastResult,
  fitEts,
  forecast,
  forecastEts,
  type MethodName,
  mase,
  methodNames,
  onAdjusted,
  smape,
} from '../../src/core/analytics/forecast/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = resolve(ROOT, '..', 'shared', 'data');
const LEVELS = [80, 95];

interface Series {
  readonly id: string;
  readonly values: number[];
}

function readWide(file: string): Series[] {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const out: Series[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/^"|"$/g, '').trim());
    const values = cells
      .slice(1)
      .filter((c) => c !== '' && c !== 'NA')
      .map(Number);
    if (values.some((v) => !Number.isFinite(v)))
      throw new Error(`${file}: non-numeric value in series ${cells[0]}`);
    out.push({ id: cells[0] ?? '', values });
  }
  return out;
}

interface PeerFigures {
  sMAPE: number;
  MASE: number;
  OWA: number;
  ms_per_series_mean: number;
}

function loadPeers(): Record<string, { n_series: number; methods: Record<string, PeerFigures> }> {
  try {
    const j = JSON.parse(readFileSync(resolve(DATA, 'reference', 'peers.json'), 'utf8'));
    return j.forecasting_m4_visible ?? {};
  } catch {
    return {};
  }
}

/** Published full-set figures per method for one frequency, from the organisers' summary file. */
function loadPublished(freq: string): Record<string, { sMAPE: number; MASE: number; OWA: number }> {
  const out: Record<string, { sMAPE: number; MASE: number; OWA: number }> = {};
  try {
    const lines = readFileSync(resolve(DATA, 'm4', 'M4_point_forecast_summary.csv'), 'utf8').split(/\r?\n/);
    const header = parseCsvLine(lines[0] ?? '');
    const col = (name: string): number => header.indexOf(`${name}_${freq}`);
    let best: { name: string; owa: number } | null = null;
    for (const line of lines.slice(1)) {
      const cells = parseCsvLine(line);
      const owaV = Number(cells[col('OWA')]);
      if (!Number.isFinite(owaV) || !(owaV > 0) || !cells[1]) continue;
      const isM4 = cells[1] === 'The M4 Team';
      const name = isM4 ? (cells[0] ?? '') : (cells[1] ?? '');
      const fig = { sMAPE: Number(cells[col('sMAPE')]), MASE: Number(cells[col('MASE')]), OWA: owaV };
      if (isM4) out[name] = fig;
      else if (best === null || owaV < best.owa) best = { name, owa: owaV };
      if (!isM4 && best?.name === name) out[`best entry: ${name.split(',')[0]}`] = fig;
    }
    for (const k of Object.keys(out))
      if (k.startsWith('best entry:') && !k.includes(best?.name.split(',')[0] ?? '')) delete out[k];
  } catch {
    // The guide is optional.
  }
  return out;
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const PEER_NAME: Partial<Record<MethodName, string>> = {
  naive: 'Naive',
  snaive: 'sNaive',
  naive2: 'Naive2',
  ses: 'SES',
  damped: 'Damped',
  theta: 'Theta',
  'comb-sdt': 'Comb(SES,Damped,Theta)',
  ets: 'ETS_AAdA',
};
const PEER_VARIANT: Record<string, string> = { 'damped-nm': 'Damped', 'ets-aada': 'ETS_AAdA' };

/** Methods that need every series of the set at once (not in the single-series registry). */
const POOLED = ['ar-comb-pooled'] as const;

/**
 * Bench-only variants, run only when named in --methods: `damped-nm` is `damped` with the Nelder-Mead
 * optimiser the gradient fit replaced (before/after in one run), `ets-aada` the single ETS(A,Ad,A) on the raw
 * series that the peers' ETS_AAdA row fits.
 */
const VARIANTS: Record<string, (y: readonly number[], h: number, season: number) => ForecastResult> = {
  'damped-nm': (y, h, season) =>
    onAdjusted(y, h, season, LEVELS, (x) => ({
      ...forecastEts(
        fitEts(x, { error: 'A', trend: 'Ad', season: 'N', m: 1 }, { optimiser: 'nelder-mead' }),
        h,
        LEVELS,
      ),
      model: 'Damped-NM',
    })),
  'ets-aada': (y, h, season) => {
    const m = season > 1 && y.length > 2 * season ? season : 1;
    const fit = fitEts(y, { error: 'A', trend: 'Ad', season: m > 1 ? 'A' : 'N', m });
    return { ...forecastEts(fit, h, LEVELS), model: fit.name };
  },
};
type BenchMethod = MethodName | (typeof POOLED)[number] | string;
interface MethodFigures {
  sMAPE: number;
  MASE: number;
  OWA: number;
  coverage80: number;
  coverage95: number;
  msPerSeries: number;
  models: Record<string, number>;
  peer?: { sMAPE: number; MASE: number; OWA: number; msPerSeries: number; speedup: number };
}

function run(
  label: string,
  train: Series[],
  test: Series[],
  horizon: number,
  season: number,
  methods: BenchMethod[],
  extraSeasons: number[],
): {
  label: string;
  nSeries: number;
  horizon: number;
  season: number;
  methods: Record<string, MethodFigures>;
} {
  if (train.length !== test.length)
    throw new Error(`--train has ${train.length} series but --test has ${test.length}`);
  const all: BenchMethod[] = methods.includes('naive2') ? methods : ['naive2', ...methods];
  const figs: Record<string, MethodFigures> = {};
  for (const method of all) {
    let sSum = 0;
    let mSum = 0;
    let c80 = 0;
    let c95 = 0;
    let ms = 0;
    const models: Record<string, number> = {};
    let pooled: ForecastResult[] | null = null;
    if (method === 'ar-comb-pooled') {
      const t0 = performance.now();
      pooled = arCombPooled(
        train.map((s) => s.values),
        horizon,
        season,
        LEVELS,
        extraSeasons,
      );
      ms += performance.now() - t0;
    }
    for (let i = 0; i < train.length; i++) {
      const y = (train[i] as Series).values;
      const actual = (test[i] as Series).values.slice(0, horizon);
      const t0 = performance.now();
      const variant = VARIANTS[method];
      const r =
        pooled?.[i] ??
        (variant
          ? variant(y, horizon, season)
          : forecast(y, horizon, {
              season,
              level: LEVELS,
              method: method as MethodName,
              seasons: extraSeasons,
            }));
      ms += performance.now() - t0;
      sSum += smape(actual, r.mean);
      mSum += mase(y, actual, r.mean, season);
      c80 += coverage(actual, r.lower[80] ?? [], r.upper[80] ?? []);
      c95 += coverage(actual, r.lower[95] ?? [], r.upper[95] ?? []);
      const family = r.model.replace(/\+season.*$/, '');
      models[family] = (models[family] ?? 0) + 1;
    }
    const n = train.length;
    figs[method] = {
      sMAPE: sSum / n,
      MASE: mSum / n,
      OWA: Number.NaN,
      coverage80: c80 / n,
      coverage95: c95 / n,
      msPerSeries: ms / n,
      models,
    };
    process.stderr.write(`${label} ${method}: ${(ms / 1000).toFixed(1)} s\n`);
  }
  const n2 = figs.naive2 as MethodFigures;
  for (const f of Object.values(figs)) f.OWA = (f.sMAPE / n2.sMAPE + f.MASE / n2.MASE) / 2;
  return { label, nSeries: train.length, horizon, season, methods: figs };
}

function printTable(
  result: ReturnType<typeof run>,
  peers: ReturnType<typeof loadPeers>,
  published: Record<string, { sMAPE: number; MASE: number; OWA: number }>,
): void {
  const peer = peers[result.label];
  const samePeerSet = peer !== undefined && peer.n_series === result.nSeries;
  console.log(`\n## ${result.label}: ${result.nSeries} series, h=${result.horizon}, m=${result.season}`);
  console.log(
    '| method | sMAPE | MASE | OWA | cover 80 | cover 95 | ms/series | peer sMAPE | peer MASE | peer OWA | peer ms | speed-up | models chosen |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, f] of Object.entries(result.methods)) {
    const pName = PEER_NAME[name as MethodName] ?? PEER_VARIANT[name];
    const p = samePeerSet && pName ? peer?.methods[pName] : undefined;
    if (p) {
      f.peer = {
        sMAPE: p.sMAPE,
        MASE: p.MASE,
        OWA: p.OWA,
        msPerSeries: p.ms_per_series_mean,
        speedup: p.ms_per_series_mean / f.msPerSeries,
      };
    }
    const models = Object.entries(f.models)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    const pc = (v: number): string => `${(100 * v).toFixed(1)} %`;
    console.log(
      `| ${name}${pName && name === 'ets' ? ' (peer: ETS_AAdA)' : ''} | ${f.sMAPE.toFixed(3)} | ${f.MASE.toFixed(3)} | ${f.OWA.toFixed(3)} | ${pc(f.coverage80)} | ${pc(f.coverage95)} | ${f.msPerSeries.toFixed(2)} | ${p ? p.sMAPE.toFixed(3) : '-'} | ${p ? p.MASE.toFixed(3) : '-'} | ${p ? p.OWA.toFixed(3) : '-'} | ${p ? p.ms_per_series_mean.toFixed(1) : '-'} | ${f.peer ? `${f.peer.speedup.toFixed(1)}x` : '-'} | ${models} |`,
    );
  }
  if (!samePeerSet && peer)
    console.log(`(peer figures are for ${peer.n_series} series, not shown for this set)`);
  const pub = Object.entries(published);
  if (pub.length > 0) {
    console.log(
      `\nPublished on the full M4 ${result.label} set (guide only; a different, larger set of series):`,
    );
    console.log(pub.map(([k, v]) => `${k} ${v.sMAPE}/${v.MASE}/${v.OWA.toFixed(3)}`).join('; '));
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      train: { type: 'string' },
      test: { type: 'string' },
      horizon: { type: 'string' },
      season: { type: 'string' },
      methods: { type: 'string' },
      limit: { type: 'string' },
      'extra-seasons': { type: 'string' },
      validate: { type: 'boolean' },
    },
  });
  const known: BenchMethod[] = [...methodNames, ...POOLED];
  const methods = (values.methods ? values.methods.split(',').map((s) => s.trim()) : known) as BenchMethod[];
  for (const m of methods) {
    if (!known.includes(m) && !(m in VARIANTS))
      throw new Error(
        `--methods: unknown method "${m}"; known: ${[...known, ...Object.keys(VARIANTS)].join(', ')}`,
      );
  }
  const limit = values.limit ? Number(values.limit) : Number.POSITIVE_INFINITY;
  const jobs: { label: string; train: string; test: string; horizon: number; season: number }[] = [];
  if (values.train || values.test) {
    if (!values.train || (!values.test && !values.validate) || !values.horizon || !values.season) {
      throw new Error('--train, --test (unless --validate), --horizon and --season go together');
    }
    const horizon = Number(values.horizon);
    const season = Number(values.season);
    const label = /Hourly/i.test(values.train)
      ? 'Hourly'
      : /Weekly/i.test(values.train)
        ? 'Weekly'
        : 'custom';
    jobs.push({ label, train: resolve(values.train), test: resolve(values.test ?? ''), horizon, season });
  } else {
    for (const [label, horizon, season] of [
      ['Hourly', 48, 24],
      ['Weekly', 13, 1],
    ] as const) {
      jobs.push({
        label,
        train: resolve(DATA, 'm4', `${label}-train.csv`),
        test: resolve(DATA, 'm4', `${label}-test.csv`),
        horizon: Number(values.horizon ?? horizon),
        season: Number(values.season ?? season),
      });
    }
  }
  const peers = loadPeers();
  const results: ReturnType<typeof run>[] = [];
  if (values.validate)
    console.log('# Validation split: last h points of each training series held out; test files not read');
  for (const job of jobs) {
    let train = readWide(job.train).slice(0, limit);
    let test: Series[];
    if (values.validate) {
      const tooShort = train.find((s) => s.values.length <= job.horizon + 1);
      if (tooShort)
        throw new Error(`--validate: series ${tooShort.id} has no more than horizon + 1 training values`);
      test = train.map((s) => ({ id: s.id, values: s.values.slice(-job.horizon) }));
      train = train.map((s) => ({ id: s.id, values: s.values.slice(0, -job.horizon) }));
    } else test = readWide(job.test).slice(0, limit);
    const extra =
      values['extra-seasons'] !== undefined
        ? values['extra-seasons']
            .split(',')
            .filter((v) => v !== '')
            .map(Number)
        : job.season > 1
          ? [job.season * 7]
          : [];
    const r = run(job.label, train, test, job.horizon, job.season, methods, extra);
    // Peer and published figures are for the test split, not comparable with validation figures.
    printTable(r, values.validate ? {} : peers, values.validate ? {} : loadPublished(job.label));
    results.push(r);
  }
  console.log(
    JSON.stringify({
      benchmark: 'm4',
      split: values.validate ? 'validation' : 'test',
      levels: LEVELS,
      results,
    }),
  );
}

main();
