import { describe, expect, it } from 'vitest';
import {
  alignVix,
  BacktestDataError,
  checkTargets,
  classifyWeek,
  computeMetrics,
  maxDrawdown,
  moveBucket,
  parsePriceCsv,
  parseVixCsv,
  type WeekFacts,
  weekTypeFrequencies,
} from '../../../src/core/backtest/index.ts';

describe('price and VIX parsing', () => {
  it('reads the Yahoo shape and the LEAN shape (adjusted columns)', () => {
    const y = parsePriceCsv(
      'Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-03,1.5,2,1,1.8,10\n',
    );
    expect(y.map((b) => b.close)).toEqual([1.5, 1.8]);
    const lean = parsePriceCsv(
      'date,open,high,low,close,volume,split_factor,price_factor,adj_open,adj_high,adj_low,adj_close,adj_volume\n' +
        '2020-01-02,100,110,90,105,1,1,0.5,50,55,45,52.5,1\n',
    );
    expect(lean[0]?.close).toBe(52.5);
    expect(lean[0]?.high).toBe(55);
  });

  it('rejects unsorted or duplicate dates, bad dates and non-positive prices with the row', () => {
    const h = 'Date,Open,High,Low,Close,Volume\n';
    expect(() => parsePriceCsv(`${h}2020-01-03,1,1,1,1,1\n2020-01-02,1,1,1,1,1\n`, 'X.csv')).toThrow(
      /X\.csv row 3: dates must be strictly increasing, got 2020-01-02 after 2020-01-03/,
    );
    expect(() => parsePriceCsv(`${h}2020-01-03,1,1,1,1,1\n2020-01-03,1,1,1,1,1\n`)).toThrow(/duplicate/);
    expect(() => parsePriceCsv(`${h}2020-02-30,1,1,1,1,1\n`)).toThrow(/row 2: date must be YYYY-MM-DD/);
    expect(() => parsePriceCsv(`${h}2020-01-03,1,1,1,0,1\n`)).toThrow(/row 2: close must be > 0, got 0/);
    expect(() => parsePriceCsv(`${h}2020-01-03,1,1,1,-2,1\n`)).toThrow(BacktestDataError);
    expect(() => parsePriceCsv('Date,Open,High,Low\n2020-01-03,1,1,1\n')).toThrow(/no close column/);
  });

  it('aligns VIX by date, errors on a missing day unless filling is allowed', () => {
    const bars = parsePriceCsv(
      'Date,Open,High,Low,Close\n2020-01-02,1,1,1,1\n2020-01-03,1,1,1,1\n2020-01-06,1,1,1,1\n',
    );
    const vix = parseVixCsv('DATE,OPEN,HIGH,LOW,CLOSE\n2020-01-02,12,12,12,12\n2020-01-06,14,14,14,14\n');
    expect(() => alignVix(bars, vix)).toThrow(/no VIX close for trading day 2020-01-03/);
    const filled = alignVix(bars, vix, { maxFillDays: 1 });
    expect(filled.vix).toEqual([12, 12, 14]);
    expect(filled.filled).toEqual(['2020-01-03']);
    const late = parseVixCsv('DATE,CLOSE\n2020-01-03,12\n2020-01-06,14\n');
    expect(() => alignVix(bars, late, { maxFillDays: 5 })).toThrow(/before the first VIX observation/);
  });
});

describe('week-type classification table', () => {
  const f = (o: Partial<WeekFacts>): WeekFacts => ({
    side: 'put',
    move: 0,
    assigned: false,
    rolled: false,
    stopped: false,
    underwater: false,
    ...o,
  });
  it.each([
    [{ side: 'idle' as const, move: -0.2 }, 'W-IDL'],
    [{ move: 0.004 }, 'P-EW'],
    [{ move: -0.03, assigned: true }, 'P-AWL'],
    [{ move: -0.07, assigned: true }, 'P-AOL'],
    [{ move: -0.02, stopped: true }, 'P-AOL'],
    [{ move: -0.12, assigned: true }, 'P-DD'],
    [{ move: -0.12, rolled: true }, 'P-DD'],
    [{ move: -0.04, rolled: true }, 'P-RO'],
    [{ side: 'call' as const, move: 0.02, assigned: true }, 'C-WAP'],
    [{ side: 'call' as const, move: 0.06, assigned: true }, 'C-WAP+'],
    [{ side: 'call' as const, move: 0.01, rolled: true }, 'C-RO'],
    [{ side: 'call' as const, move: 0.01, underwater: true }, 'C-REC'],
    [{ side: 'call' as const, move: -0.01 }, 'C-PNO'],
  ])('%o → %s', (facts, type) => {
    expect(classifyWeek(f(facts))).toBe(type);
  });

  it('labels move buckets at ±1, 5, 10, 15 %', () => {
    expect(moveBucket(0.004)).toBe('-1..1%');
    expect(moveBucket(0.03)).toBe('1..5%');
    expect(moveBucket(-0.07)).toBe('-10..-5%');
    expect(moveBucket(0.2)).toBe('>=15%');
    expect(moveBucket(-0.15)).toBe('<=-15%');
  });
});

describe('metrics', () => {
  it('computes Sharpe, Sortino, CAGR, drawdown and Calmar on a hand-built series', () => {
    // Prepare: +10 %, −5 %, +10 %, −5 %. mean 0.025, sample sd √0.0075, downside dev √(0.005/4).
    const r = [0.1, -0.05, 0.1, -0.05];
    // Act
    const m = computeMetrics(r);
    // Assess
    expect(m.sharpe).toBeCloseTo((0.025 / Math.sqrt(0.0075)) * Math.sqrt(52), 10);
    expect(m.sortino).toBeCloseTo((0.025 / Math.sqrt(0.00125)) * Math.sqrt(52), 10);
    expect(m.totalReturn).toBeCloseTo(1.092025 - 1, 12);
    expect(m.cagr).toBeCloseTo(1.092025 ** 13 - 1, 10);
    expect(m.maxDrawdown).toBeCloseTo(0.05, 12);
    expect(m.calmar).toBeCloseTo(m.cagr / 0.05, 10);
    expect(m.positiveWeeksShare).toBe(0.5);
    expect(m.medianWeeklyReturn).toBeCloseTo(0.025, 12);
  });

  it('measures drawdown from the initial capital and checks targets', () => {
    expect(maxDrawdown([90, 120, 60], 100)).toBeCloseTo(0.5, 12);
    const r = [0.02, 0.01, -0.01, 0.03];
    const m = computeMetrics(r);
    const t = checkTargets(r, m, { weeklyReturn: 0.01, maxDrawdown: 0.05 });
    expect(t.meetsWeeklyTarget).toBe(true);
    expect(t.weeksAtTarget).toBe(0.75);
    expect(t.withinDrawdownLimit).toBe(true);
  });

  it('counts week types and rejects bad series', () => {
    const f = weekTypeFrequencies(['P-EW', 'P-EW', 'C-REC', 'W-IDL']);
    expect(f['P-EW']).toBe(0.5);
    expect(f['C-WAP+']).toBe(0);
    expect(() => computeMetrics([0.1])).toThrow(/at least 2 weeks/);
    expect(() => computeMetrics([0.1, -1.2])).toThrow(/weeklyReturns\[1\] must be a finite number > -1/);
  });
});

describe('protocol parameters', () => {
  it('PARAM_SPACE names only protocol fields; withTrialParams merges and validates', async () => {
    const { BASELINE_PARAMS, PARAM_SPACE, withTrialParams } = await import(
      '../../../src/core/backtest/index.ts'
    );
    for (const k of Object.keys(PARAM_SPACE)) expect(k in BASELINE_PARAMS.GEN).toBe(true);
    expect(withTrialParams(BASELINE_PARAMS.REV, { profitTakePct: 0.65 }).profitTakePct).toBe(0.65);
    expect(() => withTrialParams(BASELINE_PARAMS.REV, { bogus: 1 })).toThrow(
      /bogus is not a protocol parameter/,
    );
    expect(() => withTrialParams(BASELINE_PARAMS.REV, { cashBufferPct: 1 })).toThrow(
      /cashBufferPct must be in \[0, 1\)/,
    );
  });
});
