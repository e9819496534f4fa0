/**
 * `npm run bench:backtest`: the baseline ALL-USE protocol (BASELINE_PARAMS) per account type and ticker over
 * the shared daily prices and VIX, next to buy-and-hold of the same ticker over the same weeks.
 * GEN trades TSLA/NVDA, REV AAPL/AMZN/MSFT; COM has no symbols in the design and uses the REV symbols.
 * The walk-forward tuned out-of-sample column is not there yet (a later step of issue 5).
 *
 * Options: --data DIR (folder of <SYMBOL>.csv, default ../shared/data/prices/mag7; Yahoo or LEAN shape),
 *          --vix FILE (default ../shared/data/prices/vix/vix-daily.csv), --accounts GEN,REV,COM,
 *          --symbols (override the account's symbols), --from YYYY-MM-DD, --to YYYY-MM-DD,
 *          --vol vix-scaled|realised, --vix-fill N (carry VIX over at most N missing days, default 3).
 * Prints a table, then one JSON object as the last line. The price data is Yahoo-derived: benchmark use only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ACCOUNT_SYMBOLS,
  ACCOUNT_TARGETS,
  alignVix,
  BASELINE_PARAMS,
  buyAndHold,
  checkTargets,
  computeMetrics,
  parsePriceCsv,
  parseVixCsv,
  runBacktest,
  sliceBars,
  type VolModel,
  weekTypeFrequencies,
} from '../../src/core/backtest/index.ts';
import { ACCOUNT_TYPES, type AccountType, WEEK_TYPES } from '../../src/core/events/constants.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = resolve(ROOT, '..', 'shared', 'data');

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(DATA, 'prices', 'mag7') },
    vix: { type: 'string', default: resolve(DATA, 'prices', 'vix', 'vix-daily.csv') },
    accounts: { type: 'string', default: ACCOUNT_TYPES.join(',') },
    symbols: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    vol: { type: 'string', default: 'vix-scaled' },
    'vix-fill': { type: 'string', default: '3' },
  },
});
const accounts = values.accounts.split(',').map((a) => a.trim().toUpperCase());
for (const a of accounts)
  if (!(ACCOUNT_TYPES as readonly string[]).includes(a))
    throw new Error(`--accounts: unknown account type ${a} (use ${ACCOUNT_TYPES.join(', ')})`);
if (values.vol !== 'vix-scaled' && values.vol !== 'realised')
  throw new Error(`--vol must be vix-scaled or realised, got ${values.vol}`);
const volModel = values.vol as VolModel;
const vixFill = Number(values['vix-fill']);
if (!Number.isInteger(vixFill) || vixFill < 0)
  throw new Error(`--vix-fill must be an integer >= 0, got ${values['vix-fill']}`);

const vixPoints = parseVixCsv(readFileSync(values.vix, 'utf8'), values.vix);

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const pad = (s: string, w: number) => s.padStart(w);

interface Row {
  account: AccountType;
  symbol: string;
  from: string;
  to: string;
  weeks: number;
  strategy: ReturnType<typeof computeMetrics>;
  buyHold: ReturnType<typeof computeMetrics>;
  target: ReturnType<typeof checkTargets>;
  weekTypes: Record<string, number>;
  counters: Record<string, number>;
  vixFilled: number;
}

const rows: Row[] = [];
for (const account of accounts as AccountType[]) {
  const symbols = values.symbols
    ? values.symbols.split(',').map((s) => s.trim())
    : [...ACCOUNT_SYMBOLS[account]];
  for (const symbol of symbols) {
    const file = resolve(values.data, `${symbol}.csv`);
    if (!existsSync(file)) throw new Error(`--data: no ${symbol}.csv in ${values.data}`);
    process.stderr.write(`${account} ${symbol}…\n`);
    const bars = sliceBars(parsePriceCsv(readFileSync(file, 'utf8'), file), values.from, values.to);
    const { vix, filled } = alignVix(bars, vixPoints, { maxFillDays: vixFill });
    const r = runBacktest({ bars, vix, params: BASELINE_PARAMS[account], market: { volModel } });
    const weekly = r.weeks.map((w) => w.return);
    const strategy = computeMetrics(weekly, { equity: r.equity, initial: r.initialCapital });
    const bh = buyAndHold(bars, r.startIndex, r.initialCapital);
    const buyHold = computeMetrics(bh.weeklyReturns, { equity: bh.equity, initial: r.initialCapital });
    rows.push({
      account,
      symbol,
      from: r.startDate,
      to: r.endDate,
      weeks: r.weeks.length,
      strategy,
      buyHold,
      target: checkTargets(weekly, strategy, ACCOUNT_TARGETS[account]),
      weekTypes: weekTypeFrequencies(r.weeks.map((w) => w.weekType)),
      counters: { ...r.counters },
      vixFilled: filled.length,
    });
  }
}

console.log(
  `ALL-USE baseline protocol backtest (model: Black-Scholes on ${volModel} volatility, no option quotes)`,
);
console.log('Data: daily closes from', values.data, '| VIX', values.vix);
console.log(
  'COM has no symbols in the design: it trades the REV symbols here. Tuned (walk-forward OOS) column: not there yet.\n',
);
const head = [
  'acct',
  'sym',
  'from',
  'to',
  'weeks',
  'CAGR',
  'B&H CAGR',
  'Sharpe',
  'B&H Sh',
  'Sortino',
  'Calmar',
  'B&H Cal',
  'MaxDD',
  'B&H DD',
  'DD lim',
  '+weeks',
  'mean/wk',
  'target',
  'wk>=tgt',
];
const widths = [4, 5, 10, 10, 5, 7, 8, 6, 6, 7, 6, 7, 6, 6, 6, 6, 7, 6, 7];
console.log(head.map((h, i) => pad(h, widths[i] ?? 6)).join(' '));
for (const r of rows) {
  const s = r.strategy;
  const b = r.buyHold;
  const cells = [
    r.account,
    r.symbol,
    r.from,
    r.to,
    String(r.weeks),
    pct(s.cagr),
    pct(b.cagr),
    f2(s.sharpe),
    f2(b.sharpe),
    f2(s.sortino),
    f2(s.calmar),
    f2(b.calmar),
    pct(s.maxDrawdown),
    pct(b.maxDrawdown),
    pct(r.target.maxDrawdownLimit, 0),
    pct(s.positiveWeeksShare, 0),
    pct(s.meanWeeklyReturn, 2),
    pct(r.target.weeklyTarget, 1),
    pct(r.target.weeksAtTarget, 0),
  ];
  console.log(cells.map((c, i) => pad(c, widths[i] ?? 6)).join(' '));
}
console.log(
  '\nWeek-type frequencies (share of weeks; the design publishes no expected frequencies to compare with):',
);
console.log(['acct', 'sym', ...WEEK_TYPES].map((h, i) => pad(h, i < 2 ? 5 : 6)).join(' '));
for (const r of rows)
  console.log(
    [r.account, r.symbol, ...WEEK_TYPES.map((t) => pct(r.weekTypes[t] ?? 0, 0))]
      .map((c, i) => pad(c, i < 2 ? 5 : 6))
      .join(' '),
  );
console.log('\nActivity (counts; commissions/slippage in USD on 100k starting capital):');
console.log(
  [
    'acct',
    'sym',
    'puts',
    'calls',
    'assign',
    'calledA',
    'expired',
    'profitTk',
    'rolls',
    'skipVix',
    'skipSize',
    'commiss',
    'slippage',
    'vixFill',
  ]
    .map((h, i) => pad(h, i < 2 ? 5 : 8))
    .join(' '),
);
for (const r of rows) {
  const c = r.counters;
  console.log(
    [
      r.account,
      r.symbol,
      c.putsSold,
      c.callsSold,
      c.putsAssigned,
      c.callsAssigned,
      c.expiredWorthless,
      c.profitTakes,
      c.rolls,
      c.skippedVix,
      c.skippedSize,
      Math.round(c.commissions ?? 0),
      Math.round(c.slippage ?? 0),
      r.vixFilled,
    ]
      .map((v, i) => pad(String(v), i < 2 ? 5 : 8))
      .join(' '),
  );
}
const round = (o: Record<string, number | boolean>) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(5)) : v]),
  );
console.log(
  JSON.stringify({
    bench: 'backtest',
    volModel,
    tuned: null,
    rows: rows.map((r) => ({
      account: r.account,
      symbol: r.symbol,
      from: r.from,
      to: r.to,
      weeks: r.weeks,
      baseline: round({ ...r.strategy }),
      buyHold: round({ ...r.buyHold }),
      target: round({ ...r.target }),
      weekTypes: round(r.weekTypes),
      counters: round(r.counters),
    })),
  }),
);
