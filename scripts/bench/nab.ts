/**
 * NAB benchmark: runs each detector causally (one point at a time, fresh state per file) over a
 * NAB-format corpus and scores it with the NAB scorer (windows, probation, scaled sigmoid, three profiles,
 * one threshold per detector and profile tuned over the corpus, null/perfect normalisation).
 *
 *   npm run bench:nab                                   # shared corpus, default detectors
 *   npm run bench:nab -- --data DIR --labels FILE --detectors windowedGaussian,ensemble
 *   npm run bench:nab -- --nab-results DIR --detectors numenta,knncad   # score NAB's own result CSVs
 *   npm run bench:nab -- --split --detectors ensemble,ensembleContextual   # also score two disjoint halves
 *
 * --split scores the files at even and at odd positions (sorted by category/file) as two corpora of their
 * own, each with its own tuned thresholds, as NAB tunes one per corpus: a design change that helps only one
 * half is fitted to those files rather than better. Printed as a second table and in the JSON as `halves`.
 *
 * Prints a table and, as its last line, {detector: {standard, reward_low_FP, reward_low_FN}}.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type CostMatrix,
  createDetector,
  detectorNames,
  NAB_PROFILES,
  type NabFile,
  scoreCorpus,
  sweepFile,
} from '../../src/core/analytics/anomaly/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = resolve(ROOT, '..', 'shared', 'data', 'nab');

const DEFAULT_DETECTORS = [
  'null',
  'random',
  'windowedGaussian',
  'robust',
  'ewma',
  'cusum',
  'holt',
  'seasonal',
  'knn',
  'contextual',
  'robustLik',
  'ewmaLik',
  'cusumLik',
  'holtLik',
  'seasonalLik',
  'knnLik',
  'seasonalGate',
  'contextualLik',
  'ensemble',
  'ensembleContextual',
  'ensembleV1',
  'ensembleRaw',
  'ensembleWide',
];

/** Published full-corpus (58 files) scores, from ../shared/data/README.md (numenta/NAB results). */
const PUBLISHED: Record<string, [number, number, number]> = {
  ARTime: [74.9, 65.1, 80.4],
  'Numenta HTM': [70.5, 62.6, 75.2],
  'CAD OSE': [69.9, 67.0, 73.2],
  'KNN CAD': [58.0, 43.4, 64.8],
  'Random Cut Forest': [51.7, 38.4, 59.7],
  'Twitter ADVec': [47.1, 33.6, 53.5],
  'windowed Gaussian': [39.6, 20.9, 47.4],
  'Bayesian changepoint': [17.7, 3.2, 32.2],
  random: [11.0, 1.2, 19.5],
  null: [0, 0, 0],
};
const PUBLISHED_FOR: Record<string, string> = {
  windowedGaussian: 'windowed Gaussian',
  random: 'random',
  null: 'null',
  knn: 'KNN CAD',
};

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: join(SHARED, 'data') },
    labels: { type: 'string', default: join(SHARED, 'labels', 'combined_windows.json') },
    profiles: { type: 'string', default: join(SHARED, 'profiles.json') },
    detectors: { type: 'string', default: DEFAULT_DETECTORS.join(',') },
    'nab-results': { type: 'string' },
    digits: { type: 'string' },
    split: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  process.stdout.write(
    `usage: npm run bench:nab -- [--data DIR] [--labels FILE] [--profiles FILE] [--detectors a,b] [--nab-results DIR] [--split]\n` +
      `detectors: ${detectorNames().join(', ')}\n` +
      '--nab-results DIR scores NAB result CSVs (DIR/<detector>/<category>/<detector>_<file>.csv) instead of running detectors\n' +
      '--split also scores the even- and odd-position files (sorted by path) as two separate corpora\n',
  );
  process.exit(0);
}

/** "2014-04-10 07:15:00[.ffffff]" as UTC epoch ms. */
function parseTimestamp(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`timestamp must look like YYYY-MM-DD HH:MM:SS, got '${text}'`);
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return (
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + ms
  );
}

interface Series extends NabFile {
  readonly values: Float64Array;
}

function readCsv(path: string, column: string): { timestamps: number[]; values: Float64Array } {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  const col = header.indexOf(column);
  if (col < 0) throw new Error(`${path}: no '${column}' column in header ${header.join(',')}`);
  const timestamps: number[] = [];
  const values = new Float64Array(lines.length - 1);
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    timestamps.push(parseTimestamp(cells[0] ?? ''));
    values[i - 1] = Number(cells[col]);
  }
  return { timestamps, values };
}

function loadCorpus(dataDir: string, labelsPath: string): Series[] {
  const labels = JSON.parse(readFileSync(labelsPath, 'utf8')) as Record<string, [string, string][]>;
  const files: Series[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const dir = join(dataDir, category);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const windows = labels[name];
      if (!windows) {
        process.stderr.write(`skipping ${name}: no entry in the labels file\n`);
        continue;
      }
      const { timestamps, values } = readCsv(join(dir, file), 'value');
      files.push({
        name,
        timestamps,
        values,
        windows: windows.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as const),
      });
    }
  }
  if (files.length === 0) throw new Error(`no labelled CSV files under ${dataDir}`);
  return files;
}

function loadProfiles(path: string): Record<string, CostMatrix> {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { CostMatrix: CostMatrix }>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.CostMatrix]));
  } catch (error) {
    process.stderr.write(`profiles: ${(error as Error).message}; using NAB's built-in profiles\n`);
    return NAB_PROFILES;
  }
}

const OUT_KEY: Record<string, string> = {
  standard: 'standard',
  reward_low_FP_rate: 'reward_low_FP',
  reward_low_FN_rate: 'reward_low_FN',
};

const corpus = loadCorpus(resolve(opts.data), resolve(opts.labels));
const profiles = loadProfiles(resolve(opts.profiles));
const sweeps = corpus.map((f) => sweepFile(f));
const totalPoints = corpus.reduce((s, f) => s + f.values.length, 0);
const totalWindows = corpus.reduce((s, f) => s + f.windows.length, 0);
const names = opts.detectors
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
process.stderr.write(`NAB corpus: ${corpus.length} files, ${totalPoints} points, ${totalWindows} windows\n`);

interface Row {
  name: string;
  scores: Record<string, number>;
  threshold: number;
  hit: string;
  fp: number;
  pps: number;
  /** With --split: the scores of the even-position and odd-position halves, each tuned on its own. */
  halves?: [Record<string, number>, Record<string, number>];
}
const digits = opts.digits === undefined ? undefined : Number(opts.digits);
if (digits !== undefined && !(Number.isInteger(digits) && digits >= 1 && digits <= 17)) {
  throw new Error(`--digits must be an integer in [1, 17], got ${opts.digits}`);
}
const rows: Row[] = [];
for (const name of names) {
  let scores: Float64Array[];
  let pps = Number.NaN;
  if (opts['nab-results']) {
    scores = corpus.map((f) => {
      const [category, file] = f.name.split('/') as [string, string];
      return readCsv(
        join(resolve(opts['nab-results'] as string), name, category, `${name}_${file}`),
        'anomaly_score',
      ).values;
    });
  } else {
    createDetector(name); // fail fast on an unknown name
    let elapsed = 0;
    scores = corpus.map((f) => {
      const detector = createDetector(name);
      const out = new Float64Array(f.values.length);
      const t0 = performance.now();
      for (let i = 0; i < f.values.length; i++)
        out[i] = detector.update(f.timestamps[i] as number, f.values[i] as number);
      elapsed += performance.now() - t0;
      return out;
    });
    pps = totalPoints / (elapsed / 1000);
  }
  if (digits !== undefined)
    for (const s of scores)
      for (let i = 0; i < s.length; i++) s[i] = Number((s[i] as number).toPrecision(digits));
  const result = scoreCorpus(corpus, sweeps, scores, profiles);
  const std = result.standard ?? Object.values(result)[0];
  const normalised = (r: Record<string, { normalized: number }>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [OUT_KEY[k] ?? k, v.normalized]));
  const half = (parity: number) => {
    const pick = <T>(xs: readonly T[]) => xs.filter((_, i) => i % 2 === parity);
    return normalised(scoreCorpus(pick(corpus), pick(sweeps), pick(scores), profiles));
  };
  rows.push({
    name,
    scores: Object.fromEntries(Object.entries(result).map(([k, v]) => [OUT_KEY[k] ?? k, v.normalized])),
    threshold: std?.threshold ?? Number.NaN,
    hit: `${std?.detectedWindows ?? 0}/${(std?.detectedWindows ?? 0) + (std?.missedWindows ?? 0)}`,
    fp: std?.falsePositives ?? 0,
    pps,
    ...(opts.split ? { halves: [half(0), half(1)] as [Record<string, number>, Record<string, number>] } : {}),
  });
  process.stderr.write(`${name}: standard ${std?.normalized.toFixed(1)}\n`);
}

const fmt = (v: number | undefined, w: number, d = 1) =>
  (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d)).padStart(w);
const pub = (name: string) => PUBLISHED[PUBLISHED_FOR[name] ?? ''];
const lines: string[] = [];
lines.push(
  `NAB scores on ${corpus.length} files (${totalPoints} points, ${totalWindows} windows) from ${opts.data}`,
);
lines.push(
  "Note: the shared corpus is 41 of NAB v1.1's 58 files, so the published full-corpus scores are a guide, not a like-for-like comparison.",
);
lines.push('');
lines.push(
  `${'detector'.padEnd(18)}${'standard'.padStart(9)}${'low FP'.padStart(9)}${'low FN'.padStart(9)}${'thr(std)'.padStart(10)}${'windows'.padStart(9)}${'FP rows'.padStart(9)}${'points/s'.padStart(12)}   published (std/lowFP/lowFN)`,
);
for (const r of rows) {
  const p = pub(r.name);
  lines.push(
    `${r.name.padEnd(18)}${fmt(r.scores.standard, 9)}${fmt(r.scores.reward_low_FP, 9)}${fmt(r.scores.reward_low_FN, 9)}${fmt(r.threshold, 10, 4)}${r.hit.padStart(9)}${String(r.fp).padStart(9)}${(Number.isNaN(r.pps) ? '-' : Math.round(r.pps).toLocaleString('en-US')).padStart(12)}   ${p ? `${p[0]}/${p[1]}/${p[2]} (${PUBLISHED_FOR[r.name]})` : ''}`,
  );
}
if (opts.split) {
  const n0 = Math.ceil(corpus.length / 2);
  lines.push('');
  lines.push(
    `Split: half A = ${n0} files at even positions, half B = ${corpus.length - n0} at odd positions (sorted by path), thresholds tuned per half`,
  );
  lines.push(
    `${'detector'.padEnd(18)}${'whole std/lowFP/lowFN'.padStart(24)}${'A std/lowFP/lowFN'.padStart(24)}${'B std/lowFP/lowFN'.padStart(24)}`,
  );
  const three = (s: Record<string, number> | undefined) =>
    `${fmt(s?.standard, 6)}${fmt(s?.reward_low_FP, 6)}${fmt(s?.reward_low_FN, 6)}`.padStart(24);
  for (const r of rows)
    lines.push(`${r.name.padEnd(18)}${three(r.scores)}${three(r.halves?.[0])}${three(r.halves?.[1])}`);
}
lines.push('');
lines.push('Published full-corpus scores (numenta/NAB, 58 files): standard / reward_low_FP / reward_low_FN');
for (const [k, [a, b, c]] of Object.entries(PUBLISHED))
  lines.push(`  ${k.padEnd(22)}${fmt(a, 6)}${fmt(b, 6)}${fmt(c, 6)}`);
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(
  `${JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, { standard: r.scores.standard, reward_low_FP: r.scores.reward_low_FP, reward_low_FN: r.scores.reward_low_FN, ...(r.halves ? { halves: r.halves } : {}) }])))}\n`,
);
