import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_RULES,
  drawdowns,
  ewmaVolatility,
  historicalCVaR,
  historicalVaR,
  moments,
  parametricCVaR,
  parametricVaR,
  RiskInputError,
  type WeekRecord,
  weekRecordFromEvent,
  weekTypeAttribution,
} from '../../../src/core/analytics/risk/index.ts';
import { ACCOUNT_TYPES } from '../../../src/core/events/constants.ts';

const five = [0.03, -0.05, 0.01, -0.02, 0.02];
// 16 weekly returns with a fat left tail; reference figures from numpy 2.4 / scipy 1.17 (see each test).
const sample = [
  0.012, -0.034, 0.021, 0.005, -0.008, 0.017, -0.051, 0.009, 0.014, -0.003, 0.026, -0.019, 0.007, 0.011,
  -0.062, 0.018,
];

describe('historical VaR and CVaR (linear interpolation, numpy default)', () => {
  it('reads the quantile between order statistics', () => {
    // Prepare: sorted -0.05, -0.02, 0.01, 0.02, 0.03; p = 0.2 -> h = 0.8 -> -0.05 + 0.8 * 0.03 = -0.026
    // Act
    const linear = historicalVaR(five, 0.8);
    const lower = historicalVaR(five, 0.8, { quantile: 'lower' });
    // Assess
    expect(linear).toBeCloseTo(0.026, 12);
    expect(lower).toBeCloseTo(0.05, 12);
    // numpy: -np.quantile(sample, 0.05) = 0.05375, method='lower' -> 0.062
    expect(historicalVaR(sample, 0.95)).toBeCloseTo(0.05375, 12);
    expect(historicalVaR(sample, 0.95, { quantile: 'lower' })).toBeCloseTo(0.062, 12);
  });

  it('averages the returns at or below the quantile', () => {
    // Prepare: level 0.6: h = 1.6 -> q = -0.02 + 0.6 * 0.03 = -0.002, tail {-0.05, -0.02}
    // Act
    const cvar = historicalCVaR(five, 0.6);
    // Assess
    expect(cvar).toBeCloseTo(0.035, 12);
    expect(historicalCVaR(five, 0.8)).toBeCloseTo(0.05, 12);
    expect(historicalCVaR(sample, 0.95)).toBeCloseTo(0.062, 12);
  });

  it('CVaR is never below VaR, and both grow with the level', () => {
    let last = Number.NEGATIVE_INFINITY;
    for (const level of [0.5, 0.8, 0.9, 0.95, 0.99]) {
      const v = historicalVaR(sample, level);
      expect(historicalCVaR(sample, level)).toBeGreaterThanOrEqual(v);
      expect(v).toBeGreaterThanOrEqual(last);
      last = v;
    }
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => historicalVaR([], 0.95)).toThrow(/returns must hold at least 1 values, got 0/);
    expect(() => historicalVaR(five, 95)).toThrow(
      /level must be a fraction in \(0, 1\) such as 0.95, got 95/,
    );
    expect(() => historicalVaR([0.1, Number.NaN], 0.95)).toThrow(/returns\[1\] must be a finite number/);
    expect(() => historicalCVaR(five, 0.9, { quantile: 'nearest' as 'lower' })).toThrow(RiskInputError);
  });
});

describe('parametric VaR and CVaR', () => {
  it('normal: -(mu + z sigma) and sigma phi(z) / (1 - level) - mu', () => {
    // Prepare: mean and sample standard deviation by hand
    const mu = sample.reduce((a, b) => a + b, 0) / sample.length;
    const sd = Math.sqrt(sample.reduce((a, b) => a + (b - mu) ** 2, 0) / (sample.length - 1));
    // Act
    const var95 = parametricVaR(sample, 0.95);
    const cvar95 = parametricCVaR(sample, 0.95);
    const var99 = parametricVaR(sample, 0.99);
    // Assess: z(0.95) = 1.6448536269514722, phi(z) / 0.05 = 2.062712807...
    expect(var95).toBeCloseTo(1.6448536269514722 * sd - mu, 9);
    expect(cvar95).toBeCloseTo(2.0627128075074257 * sd - mu, 9);
    expect(var99).toBeCloseTo(2.3263478740408408 * sd - mu, 9);
    // scipy: the same figures
    expect(var95).toBeCloseTo(0.04540523220638908, 9);
    expect(cvar95).toBeCloseTo(0.05635252470259254, 9);
  });

  it('Cornish-Fisher: scipy reference, and the closed-form CVaR equals the integrated tail', () => {
    // Prepare: scipy.stats.skew / kurtosis (moment estimators) and quad over the expanded quantile
    const mo = moments(sample);
    // Act
    const cf95 = parametricVaR(sample, 0.95, { distribution: 'cornish-fisher' });
    const es95 = parametricCVaR(sample, 0.95, { distribution: 'cornish-fisher' });
    const es99 = parametricCVaR(sample, 0.99, { distribution: 'cornish-fisher' });
    // Assess
    expect(mo.skewness).toBeCloseTo(-1.1543733779206071, 10);
    expect(mo.excessKurtosis).toBeCloseTo(0.14219316166833984, 10);
    expect(cf95).toBeCloseTo(0.053271076035447715, 8);
    expect(es95).toBeCloseTo(0.06517652435012453, 7);
    expect(es99).toBeCloseTo(0.07982349410584134, 7);
    // A fat left tail makes the corrected loss larger than the normal one.
    expect(cf95).toBeGreaterThan(parametricVaR(sample, 0.95));
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => parametricVaR([0.01], 0.95)).toThrow(/returns must hold at least 2 values, got 1/);
    expect(() => parametricCVaR(sample, 0.95, { distribution: 't' as 'normal' })).toThrow(
      /distribution must be 'normal' or 'cornish-fisher'/,
    );
  });
});

describe('ewmaVolatility (RiskMetrics)', () => {
  it('follows the hand recursion', () => {
    // Prepare: v = 1e-4; v0 = .94e-4 + .06 * 1e-4 = 1e-4; v1 = .94e-4 + .06 * 4e-4 = 1.18e-4;
    // v2 = .94 * 1.18e-4 + .06 * 2.25e-4 = 1.2442e-4
    const r = [0.01, -0.02, 0.015];
    // Act
    const e = ewmaVolatility(r, 0.94, { initialVariance: 1e-4 });
    // Assess
    expect(e.variance[0]).toBeCloseTo(1e-4, 15);
    expect(e.variance[1]).toBeCloseTo(1.18e-4, 15);
    expect(e.variance[2]).toBeCloseTo(1.2442e-4, 15);
    expect(e.latest).toBeCloseTo(Math.sqrt(1.2442e-4), 15);
  });

  it('starts from the mean squared return of the first 30 by default, lambda 0.94', () => {
    // Act
    const e = ewmaVolatility([0.01, -0.02, 0.015]);
    // Assess: v(-1) = (1 + 4 + 2.25) / 3 * 1e-4
    const v0 = 0.94 * (7.25e-4 / 3) + 0.06 * 1e-4;
    expect(e.lambda).toBe(0.94);
    expect(e.variance[0]).toBeCloseTo(v0, 15);
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => ewmaVolatility([0.01], 1)).toThrow(/lambda must be a number in \(0, 1\)/);
    expect(() => ewmaVolatility([0.01], 0.94, { initialVariance: -1 })).toThrow(
      /initialVariance must be a finite number >= 0/,
    );
    expect(() => ewmaVolatility([])).toThrow(/returns must hold at least 1 values/);
  });
});

describe('drawdowns', () => {
  it('finds every episode of a hand-built equity curve', () => {
    // Prepare: peak 120 -> 90 (25 %) -> 130 recovers; then 130 -> 117 (10 %), still under water
    const equity = [100, 120, 90, 110, 130, 117];
    // Act
    const d = drawdowns(equity);
    // Assess
    expect(d.episodes).toHaveLength(2);
    expect(d.maxDrawdown).toBeCloseTo(0.25, 12);
    expect(d.maxEpisode).toEqual({
      peak: 1,
      trough: 2,
      recovery: 4,
      depth: 0.25,
      peakValue: 120,
      troughValue: 90,
      declineLength: 1,
      recoveryLength: 2,
      length: 3,
    });
    expect(d.episodes[1]).toMatchObject({
      peak: 4,
      trough: 5,
      recovery: null,
      recoveryLength: null,
      length: 1,
    });
    expect(d.episodes[1]!.depth).toBeCloseTo(0.1, 12);
    expect(d.currentDrawdown).toBeCloseTo(0.1, 12);
    expect(d.longestLength).toBe(3);
    expect(d.averageDepth).toBeCloseTo(0.175, 12);
    expect(d.timeUnderWater).toBeCloseTo(3 / 6, 12);
    const dd = [0, 0, 0.25, 1 - 110 / 120, 0, 0.1];
    expect(d.ulcerIndex).toBeCloseTo(Math.sqrt(dd.reduce((s, x) => s + x * x, 0) / 6), 12);
  });

  it('compounds returns from 1 and indexes the curve after t returns', () => {
    // Act
    const d = drawdowns([0.1, -0.5, 1.0], { input: 'returns' });
    // Assess
    expect(d.equity).toEqual([1, 1.1, 0.55, 1.1]);
    expect(d.maxEpisode).toMatchObject({ peak: 1, trough: 2, recovery: 3, depth: 0.5 });
  });

  it('a curve that never falls has no episode; a plateau is not a drawdown', () => {
    // Act
    const d = drawdowns([1, 2, 2, 3]);
    // Assess
    expect(d).toMatchObject({
      maxDrawdown: 0,
      maxEpisode: null,
      episodes: [],
      currentDrawdown: 0,
      ulcerIndex: 0,
    });
  });

  it('rejects bad input with the parameter and the rule', () => {
    expect(() => drawdowns([0, 1])).toThrow(/equity\[0\] must be > 0, got 0/);
    expect(() => drawdowns([1, -1])).toThrow(/equity\[1\] must be >= 0, got -1/);
    expect(() => drawdowns([-1.5], { input: 'returns' })).toThrow(/returns\[0\] must be >= -1, got -1.5/);
    expect(() => drawdowns([1], { input: 'prices' as 'equity' })).toThrow(
      /input must be 'equity' or 'returns'/,
    );
  });
});

describe('weekTypeAttribution', () => {
  const gen: WeekRecord[] = [
    { account: 'GEN', weekType: 'P-EW', actualReturn: 0.02, expectedReturn: 0.018 },
    { account: 'GEN', weekType: 'P-EW', actualReturn: 0.016, expectedReturn: 0.018 },
    { account: 'GEN', weekType: 'C-WAP', actualReturn: 0.025 },
    { account: 'GEN', weekType: 'P-RO', actualReturn: -0.01, expectedReturn: 0.005 },
  ];

  it('adds up by account and week type, against expectation', () => {
    // Act
    const r = weekTypeAttribution(gen);
    // Assess
    expect(r.byWeekType.map((w) => w.weekType)).toEqual(['P-EW', 'P-RO', 'C-WAP']);
    const pew = r.byWeekType[0]!;
    expect(pew.count).toBe(2);
    expect(pew.meanActual).toBeCloseTo(0.018, 12);
    expect(pew.meanExpected).toBeCloseTo(0.018, 12);
    expect(pew.shortfall).toBeCloseTo(0, 12);
    expect(pew.hitRate).toBe(0.5);
    // No expectation on the record: the account's weekly target stands in.
    expect(r.byWeekType[2]).toMatchObject({ weekType: 'C-WAP', expectedFromTarget: 1 });
    expect(r.byWeekType[2]!.meanExpected).toBe(ACCOUNT_RULES.GEN.weeklyTarget);
    expect(r.byWeekType[1]!.shortfall).toBeCloseTo(0.015, 12);
    // Week-type contributions add up to the account's summed return.
    const acc = r.accounts[0]!;
    const sum = r.byWeekType.reduce((s, w) => s + w.totalContribution, 0);
    expect(acc.totalReturn).toBeCloseTo(sum, 12);
    expect(acc.totalReturn).toBeCloseTo(0.051, 12);
    const growth = 1.02 * 1.016 * 1.025 * 0.99;
    expect(acc.compoundedReturn).toBeCloseTo(growth - 1, 12);
    expect(acc.geometricWeeklyReturn).toBeCloseTo(growth ** 0.25 - 1, 12);
    // About 1.27 % a week over 4 weeks: short of GEN's 1.5 %, a target breach; the 1 % drawdown is fine.
    expect(acc.meetsTarget).toBe(false);
    expect(acc.maxDrawdown).toBeCloseTo(0.01, 12);
    expect(acc.status).toBe('ok');
    expect(r.breaches).toMatchObject([{ account: 'GEN', rule: 'weekly_target', limit: 0.015, weeks: 4 }]);
  });

  it('flags a drawdown beyond the limit, a missed target and a warning', () => {
    // Prepare: COM loses 4 % twice (7.84 % drawdown > 7 %); REV makes 0.5 % a week (< 1 %) for 6 weeks;
    // GEN falls 13 % (>= 0.8 x 15 %) but makes its target over the weeks
    const weeks: WeekRecord[] = [
      { account: 'COM', weekType: 'P-DD', actualReturn: -0.04, isoWeek: '2026-W02' },
      { account: 'COM', weekType: 'P-EW', actualReturn: 0.01, isoWeek: '2026-W01' },
      { account: 'COM', weekType: 'P-DD', actualReturn: -0.04, isoWeek: '2026-W03' },
      ...Array.from(
        { length: 6 },
        (): WeekRecord => ({ account: 'REV', weekType: 'C-PNO', actualReturn: 0.005 }),
      ),
      { account: 'GEN', weekType: 'P-EW', actualReturn: 0.2 },
      { account: 'GEN', weekType: 'P-DD', actualReturn: -0.13 },
      { account: 'GEN', weekType: 'P-EW', actualReturn: 0.05 },
    ];
    // Act
    const r = weekTypeAttribution(weeks);
    // Assess
    const com = r.accounts.find((a) => a.account === 'COM')!;
    expect(com.maxDrawdown).toBeCloseTo(1 - 0.96 * 0.96, 12);
    expect(com.status).toBe('breach');
    expect(r.accounts.find((a) => a.account === 'GEN')!.status).toBe('warning');
    expect(r.breaches.map((b) => [b.account, b.rule])).toEqual([
      ['REV', 'weekly_target'],
      ['COM', 'max_drawdown'],
    ]);
    const dd = r.breaches[1]!;
    expect(dd).toMatchObject({ limit: 0.07, weeks: 3 });
    expect(dd.message).toBe('COM drew down 7.84 %, beyond its limit of 7 %');
    expect(r.breaches[0]!.message).toBe('REV returned 0.5 % a week over 6 weeks, below its target of 1 %');
    // COM has 3 weeks (< 4): missing its target is not yet a breach.
    expect(com.meetsTarget).toBe(false);
  });

  it('builds one equity curve per account id', () => {
    // Prepare: two GEN accounts interleaved; together they would look like a long slide
    const weeks: WeekRecord[] = [
      { account: 'GEN', accountId: 'a', weekType: 'P-EW', actualReturn: -0.1 },
      { account: 'GEN', accountId: 'b', weekType: 'P-EW', actualReturn: 0.2 },
      { account: 'GEN', accountId: 'a', weekType: 'P-EW', actualReturn: 0.2 },
      { account: 'GEN', accountId: 'b', weekType: 'P-DD', actualReturn: -0.16 },
    ];
    // Act
    const r = weekTypeAttribution(weeks);
    // Assess
    expect(r.accounts[0]!.maxDrawdown).toBeCloseTo(0.16, 12);
    expect(r.accounts[0]!.maxDrawdownAccountId).toBe('b');
    expect(r.breaches).toMatchObject([{ account: 'GEN', accountId: 'b', rule: 'max_drawdown' }]);
  });

  it('reads a week event, and keeps the account rules in one constant', () => {
    // Act
    const rec = weekRecordFromEvent({
      account: 'REV',
      isoWeek: '2026-W05',
      predictedWeekType: 'P-EW',
      actualWeekType: 'P-AWL',
      predictedReturn: 0.01,
      actualReturn: 0.004,
    });
    // Assess
    expect(rec).toEqual({
      account: 'REV',
      weekType: 'P-AWL',
      actualReturn: 0.004,
      expectedReturn: 0.01,
      isoWeek: '2026-W05',
    });
    expect(
      weekRecordFromEvent({ account: 'REV', isoWeek: '2026-W05', predictedWeekType: 'P-EW' }),
    ).toBeUndefined();
    expect(Object.keys(ACCOUNT_RULES)).toEqual([...ACCOUNT_TYPES]);
    expect([
      ACCOUNT_RULES.GEN.maxDrawdown,
      ACCOUNT_RULES.REV.maxDrawdown,
      ACCOUNT_RULES.COM.maxDrawdown,
    ]).toEqual([0.15, 0.1, 0.07]);
  });

  it('rejects bad records naming the record and the field', () => {
    const bad = [gen[0]!, { account: 'GEN', weekType: 'X-YZ', actualReturn: 0 }] as WeekRecord[];
    expect(() => weekTypeAttribution(bad)).toThrow(
      /weeks\[1\]\.weekType must be one of P-EW, .*W-IDL, got X-YZ/,
    );
    expect(() => weekTypeAttribution([{ ...gen[0]!, account: 'ABC' as 'GEN' }])).toThrow(
      /weeks\[0\]\.account must be one of GEN, REV, COM/,
    );
    expect(() => weekTypeAttribution([{ ...gen[0]!, actualReturn: -2 }])).toThrow(
      /weeks\[0\]\.actualReturn must be a finite fraction >= -1/,
    );
    expect(() => weekTypeAttribution(gen, { warningFraction: 0 })).toThrow(
      /warningFraction must be a number in \(0, 1\]/,
    );
  });
});
