/**
 * `npm run bench:backtest`: the baseline ALL-USE protocol (BASELINE_PARAMS) per account type and ticker over
 * the shared daily prices and VIX, next to buy-and-hold of the same ticker over the same weeks.
 * GEN trades TSLA/NVDA, REV AAPL/AMZN/MSFT; COM has no symbols in the design and uses the REV symbols.
 * Then the walk-forward tuned protocol (src/core/tuning): rolling IS windows tuned by the optimiser, each
 * followed by an OOS window; the stitched OOS metrics next to the baseline's on exactly the same OOS weeks,
 * the overfitting diagnostics and the proposal's oversight tier. By default both samplers run: TPE on the IS
 * Sharpe, and NSGA-II on IS CAGR against IS max drawdown (pick: best IS Sharpe within the account's
 * drawdown limit). The product's goal is an OOS Sharpe above the baseline's by more than 15 %.
 *
 * Options: --data DIR (folder of <SYMBOL>.csv, default ../shared/data/prices/mag7; Yahoo or LEAN shape),
 *          --vix FILE (default ../shared/data/prices/vix/vix-daily.csv), --accounts GEN,REV,COM,
 *          --symbols (override the account's symbols), --from YYYY-MM-DD, --to YYYY-MM-DD,
 *          --vol vix-scaled|realised, --vix-fill N (carry VIX over at most N missing days, default 3),
 *          --trials N (per window, default 60), --is-weeks N (default 104), --oos-weeks N (default 26),
 *          --samplers tpe,nsga2 (default both; 'none' skips tuning), --seed N (default 1),
 *          --oos-state warm|flat (position state at each OOS segment start, default warm; see src/core/tuning).
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
import {
  IMPROVEMENT_GOAL_PCT,
  type ParameterProposal,
  proposeParameters,
  type TuningSampler,
  type WalkForwardResult,
  walkForward,
} from '../../src/core/tuning/index.ts';

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
    trials: { type: 'string', default: '60' },
    'is-weeks': { type: 'string', default: '104' },
    'oos-weeks': { type: 'string', default: '26' },
    samplers: { type: 'string', default: 'tpe,nsga2' },
    seed: { type: 'string', default: '1' },
    'oos-state': { type: 'string', default: 'warm' },
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

const intOption = (name: string, min: number): number => {
  const raw = (values as Record<string, string | undefined>)[name];
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${raw}`);
  return v;
};
const trials = intOption('trials', 2);
const isWeeks = intOption('is-weeks', 4);
const oosWeeks = intOption('oos-weeks', 2);
const seed = intOption('seed', 0);
const oosState = values['oos-state'];
if (oosState !== 'flat' && oosState !== 'warm')
  throw new Error(`--oos-state must be flat or warm, got ${oosState}`);
const samplers: TuningSampler[] =
  values.samplers === 'none'
    ? []
    : values.samplers.split(',').map((x) => {
        const v = x.trim();
        if (v !== 'tpe' && v !== 'nsga2' && v !== 'random')
          throw new Error(`--samplers: unknown sampler ${v} (use tpe, nsga2, random or none)`);
        return v;
      });

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

interface TunedRow {
  account: AccountType;
  symbol: string;
  sampler: TuningSampler;
  wf: WalkForwardResult;
  proposal: ParameterProposal;
  seconds: number;
}
const tunedRows: TunedRow[] = [];

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
    for (const sampler of samplers) {
      const t0 = performance.now();
      const wf = walkForward({
        bars,
        vix,
        account,
        market: { volModel },
        isWeeks,
        oosWeeks,
        trials,
        sampler,
        seed,
        oosState,
        onProgress: (p) =>
          process.stderr.write(
            `  ${account} ${symbol} ${sampler} window ${p.window}/${p.windows}: IS Sharpe ${f2(p.isSharpe)}, OOS ${f2(p.oosSharpe)} (baseline ${f2(p.baselineOosSharpe)})\n`,
          ),
      });
      tunedRows.push({
        account,
        symbol,
        sampler,
        wf,
        proposal: proposeParameters(wf, { bootstrap: { seed } }),
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }
}

console.log(
  `ALL-USE baseline protocol backtest (model: Black-Scholes on ${volModel} volatility, no option quotes)`,
);
console.log('Data: daily closes from', values.data, '| VIX', values.vix);
console.log(
  'COM has no symbols in the design: it trades the REV symbols here. Walk-forward tuned OOS columns: after the activity table.\n',
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
if (tunedRows.length > 0) {
  console.log(
    `\nWalk-forward tuning: rolling ${isWeeks}-week IS tuned with ${trials} trials per window, then ${oosWeeks} OOS weeks; OOS segments stitched.`,
  );
  console.log(
    oosState === 'flat'
      ? "Each OOS segment starts from the previous segment's equity, flat in positions (marked to market at the boundary);"
      : "Each OOS segment starts from the previous segment's equity, holding what its parameters would hold (run from the IS start);",
  );
  console.log(
    "the baseline runs on the same segments ('base Sh'); 'cont Sh' is the baseline over the same weeks without restarts.",
  );
  console.log(
    'tpe: max IS Sharpe. nsga2: max IS CAGR vs min IS drawdown, pick = best IS Sharpe within the account drawdown limit.',
  );
  console.log(
    `ΔSh% = (tuned − base Sharpe) / |base|; goal > ${IMPROVEMENT_GOAL_PCT} %. gap = mean(IS − OOS Sharpe) per window; stab = mean sd/range of`,
  );
  console.log(
    'the chosen parameters across windows (0.29 = uniform); DSR, PBO = means over windows; conf = P(beat) × (1 − PBO).\n',
  );
  const th = [
    'acct',
    'sym',
    'sampler',
    'OOS from',
    'OOS to',
    'weeks',
    'base Sh',
    'tuned Sh',
    'ΔSh%',
    'cont Sh',
    'base CAGR',
    'tun CAGR',
    'base DD',
    'tun DD',
    'gap',
    'stab',
    'DSR',
    'PBO',
    'P(beat)',
    'conf',
    'tier',
    'sec',
  ];
  const tw = [4, 5, 7, 10, 10, 5, 7, 8, 7, 7, 9, 8, 7, 6, 5, 5, 5, 5, 7, 5, 16, 4];
  console.log(th.map((h, i) => pad(h, tw[i] ?? 6)).join(' '));
  for (const r of tunedRows) {
    const p = r.proposal;
    const d = r.wf.diagnostics;
    const cells = [
      r.account,
      r.symbol,
      r.sampler,
      r.wf.oos.from,
      r.wf.oos.to,
      String(p.oos.weeks),
      f2(p.oos.baseline.sharpe),
      f2(p.oos.tuned.sharpe),
      p.improvement.sharpePct === null ? 'n/a' : `${p.improvement.sharpePct.toFixed(0)}%`,
      f2(r.wf.baselineContinuous.sharpe),
      pct(p.oos.baseline.cagr),
      pct(p.oos.tuned.cagr),
      pct(p.oos.baseline.maxDrawdown),
      pct(p.oos.tuned.maxDrawdown),
      f2(d.isOosGap.mean),
      f2(d.stability.mean),
      f2(d.dsr.mean),
      f2(d.pbo.mean),
      f2(p.evidence.pBeat),
      f2(p.confidence),
      p.tier,
      r.seconds.toFixed(0),
    ];
    console.log(cells.map((c, i) => pad(c, tw[i] ?? 6)).join(' '));
  }
  for (const sampler of samplers) {
    const rs = tunedRows.filter((r) => r.sampler === sampler);
    const beat = rs.filter((r) => r.proposal.beatsBaseline).length;
    const goal = rs.filter((r) => r.proposal.improvement.meetsGoal).length;
    const deltas = rs.map((r) => r.proposal.improvement.sharpeDelta).sort((a, b) => a - b);
    const med = deltas.length ? (deltas[Math.floor((deltas.length - 1) / 2)] as number) : Number.NaN;
    console.log(
      `${sampler}: tuned beats the baseline OOS on ${beat}/${rs.length} rows; > ${IMPROVEMENT_GOAL_PCT} % Sharpe improvement on ${goal}/${rs.length}; median Sharpe change ${f2(med)}.`,
    );
  }
  console.log("\nProposals (last window's choice):");
  for (const r of tunedRows) console.log(`  ${r.account} ${r.symbol} ${r.sampler}: ${r.proposal.summary}`);
}
const round = (o: Record<string, number | boolean>) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(5)) : v]),
  );
console.log(
  JSON.stringify({
    bench: 'backtest',
    volModel,
    tuned:
      tunedRows.length === 0
        ? null
        : {
            isWeeks,
            oosWeeks,
            trials,
            seed,
            oosState,
            samplers,
            goalPct: IMPROVEMENT_GOAL_PCT,
            rows: tunedRows.map((r) => ({
              account: r.account,
              symbol: r.symbol,
              sampler: r.sampler,
              oosFrom: r.wf.oos.from,
              oosTo: r.wf.oos.to,
              windows: r.wf.windows.length,
              baseline: round({ ...r.wf.baselineMetrics }),
              tuned: round({ ...r.wf.tunedMetrics }),
              baselineContinuous: round({ ...r.wf.baselineContinuous }),
              improvement: {
                sharpeDelta: Number(r.proposal.improvement.sharpeDelta.toFixed(5)),
                sharpePct:
                  r.proposal.improvement.sharpePct === null
                    ? null
                    : Number(r.proposal.improvement.sharpePct.toFixed(3)),
                meetsGoal: r.proposal.improvement.meetsGoal,
              },
              diagnostics: round({
                isOosGap: r.wf.diagnostics.isOosGap.mean,
                stability: r.wf.diagnostics.stability.mean,
                dsr: r.wf.diagnostics.dsr.mean,
                pbo: r.wf.diagnostics.pbo.mean,
              }),
              proposal: {
                tier: r.proposal.tier,
                confidence: Number(r.proposal.confidence.toFixed(5)),
                pBeat: Number(r.proposal.evidence.pBeat.toFixed(5)),
                beatsBaseline: r.proposal.beatsBaseline,
                changes: r.proposal.changes.length,
              },
              seconds: Number(r.seconds.toFixed(1)),
            })),
          },
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
