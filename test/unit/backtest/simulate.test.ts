import { describe, expect, it } from 'vitest';
import {
  BASELINE_PARAMS,
  type Bar,
  bsPrice,
  buyAndHold,
  dayToIso,
  isoToDay,
  type ProtocolParams,
  runBacktest,
  strikeForDelta,
  weekdayOf,
} from '../../../src/core/backtest/index.ts';

/** Weekday bars from Monday 2021-01-04, close = price(i), high/low ±0.5 %. */
function path(n: number, price: (i: number) => number): Bar[] {
  const out: Bar[] = [];
  let day = isoToDay('2021-01-04');
  for (let i = 0; i < n; i++) {
    while (weekdayOf(day) === 0 || weekdayOf(day) === 6) day++;
    const c = price(i);
    out.push({ date: dayToIso(day), day, open: c, high: c * 1.005, low: c * 0.995, close: c });
    day++;
  }
  return out;
}

// Realised-vol model: warm-up is 50 days (SMA50), so the simulation starts on Monday index 50 (2021-03-15).
const MARKET = { volModel: 'realised' as const, realisedWindowDays: 20 };
// Hold to expiry: no profit-take (closes only at value 0), no rolls, no stop.
const HOLD: ProtocolParams = { ...BASELINE_PARAMS.REV, profitTakePct: 1, maxRolls: 0 };

describe('weekly wheel on a flat market', () => {
  it('sells a put every Monday that expires worthless on Friday; the premium is kept', () => {
    // Prepare: 50 warm-up days + 4 weeks at 100.
    const bars = path(70, () => 100);
    const vix = bars.map(() => 20);
    // Act
    const r = runBacktest({ bars, vix, params: HOLD, market: MARKET });
    // Assess: flat → RV 0 → volatility floor 0.05; Chop regime, VIX 20 (normal band) → delta 0.35; no ATR widening.
    expect(r.startDate).toBe('2021-03-15');
    expect(r.weeks.map((w) => w.weekType)).toEqual(['P-EW', 'P-EW', 'P-EW', 'P-EW']);
    expect(r.counters.putsSold).toBe(4);
    expect(r.counters.expiredWorthless).toBe(4);
    expect(r.counters.putsAssigned).toBe(0);
    const strike = strikeForDelta('put', 0.35, { spot: 100, years: 4 / 365, rate: 0.02, vol: 0.05 });
    const premium = bsPrice('put', { spot: 100, strike, years: 4 / 365, rate: 0.02, vol: 0.05 });
    const contracts = Math.floor((100_000 * 0.9) / (100 * strike));
    const net = premium * 100 * contracts * (1 - 0.03) - 0.65 * contracts;
    const first = r.trades[0];
    expect(first?.strike).toBeCloseTo(strike, 10);
    expect(first?.contracts).toBe(contracts);
    expect(first?.cash).toBeCloseTo(net, 8);
    expect(r.finalEquity).toBeCloseTo(100_000 + 4 * net, 6);
    expect(r.weeks.every((w) => w.return > 0)).toBe(true);
  });

  it('commissions and slippage reduce P&L by exactly their amount', () => {
    const bars = path(70, (i) => 100 + (i % 2)); // some volatility so premiums are not tiny
    const vix = bars.map(() => 20);
    const free = runBacktest({
      bars,
      vix,
      params: { ...HOLD, commissionPerContract: 0, slippagePct: 0 },
      market: MARKET,
    });
    const paid = runBacktest({ bars, vix, params: HOLD, market: MARKET });
    const contracts = paid.trades
      .filter((t) => t.action === 'sell' || t.action === 'buyback')
      .reduce((a, t) => a + t.contracts, 0);
    expect(paid.counters.commissions).toBeCloseTo(0.65 * contracts, 10);
    const grossPremium = paid.trades
      .filter((t) => t.action === 'sell')
      .reduce((a, t) => a + t.price * 100 * t.contracts, 0);
    expect(paid.counters.slippage).toBeCloseTo(0.03 * grossPremium, 8);
    expect(free.finalEquity - paid.finalEquity).toBeCloseTo(
      paid.counters.commissions + paid.counters.slippage,
      6,
    );
  });
});

describe('weekly wheel through a crash and a recovery', () => {
  it('is assigned in the crash week, sells covered calls, and is called away on the rebound', () => {
    // Prepare: 100 until Wednesday of week 0 (index 52), then 80; Wednesday of week 2 (index 62) 110.
    const bars = path(70, (i) => (i < 52 ? 100 : i < 62 ? 80 : 110));
    const vix = bars.map(() => 20);
    const params = { ...HOLD, callStrikeFloorAtCost: 0 };
    // Act
    const r = runBacktest({ bars, vix, params, market: MARKET });
    // Assess
    expect(r.weeks.map((w) => w.weekType)).toEqual(['P-DD', 'C-REC', 'C-WAP+', 'P-EW']);
    const put = r.trades[0];
    const assign = r.trades.find((t) => t.action === 'assign');
    expect(assign?.date).toBe('2021-03-19');
    expect(assign?.strike).toBe(put?.strike);
    expect(assign?.cash).toBeCloseTo(-(put?.strike ?? 0) * 100 * (put?.contracts ?? 0), 6);
    const calls = r.trades.filter((t) => t.action === 'sell' && t.right === 'call');
    expect(calls.map((t) => t.date)).toEqual(['2021-03-22', '2021-03-29']);
    for (const c of calls) expect(c.strike).toBeGreaterThan(80);
    const away = r.trades.find((t) => t.action === 'call-away');
    expect(away?.date).toBe('2021-04-02');
    expect(away?.cash).toBeCloseTo((calls[1]?.strike ?? 0) * 100 * (put?.contracts ?? 0), 6);
    expect(r.shares).toBe(0);
    expect(r.openOption).toBeNull();
    // Nothing open at the end: equity is capital plus every cash flow.
    expect(r.finalEquity).toBeCloseTo(100_000 + r.trades.reduce((a, t) => a + t.cash, 0), 6);
  });

  it('with the cost-basis floor, calls are struck at or above the assignment price', () => {
    const bars = path(70, (i) => (i < 52 ? 100 : 95));
    const vix = bars.map(() => 20);
    const r = runBacktest({ bars, vix, params: HOLD, market: MARKET });
    const k = r.trades.find((t) => t.action === 'assign')?.strike ?? Number.NaN;
    for (const c of r.trades.filter((t) => t.right === 'call' && t.action === 'sell'))
      expect(c.strike).toBeGreaterThanOrEqual(k);
  });

  it('buy-and-hold follows the closes over the same weeks', () => {
    const bars = path(70, (i) => (i < 52 ? 100 : i < 62 ? 80 : 110));
    const bh = buyAndHold(bars, 50);
    expect(bh.weeklyReturns.map((x) => Number(x.toFixed(6)))).toEqual([-0.2, 0, 0.375, 0]);
  });
});

describe('bad input', () => {
  const bars = path(70, () => 100);
  const vix = bars.map(() => 20);
  it('names the problem', () => {
    expect(() => runBacktest({ bars, vix: vix.slice(1), params: HOLD })).toThrow(
      /one value per bar: 69 values for 70 bars/,
    );
    const swapped = [...bars];
    [swapped[10], swapped[11]] = [bars[11] as Bar, bars[10] as Bar];
    expect(() => runBacktest({ bars: swapped, vix, params: HOLD })).toThrow(
      /bars\[11\]: dates must be strictly increasing/,
    );
    const neg = bars.map((b, i) => (i === 5 ? { ...b, close: -1 } : b));
    expect(() => runBacktest({ bars: neg, vix, params: HOLD })).toThrow(
      /bars\[5\] \(2021-01-11\): prices must be > 0/,
    );
    expect(() =>
      runBacktest({ bars, vix: vix.map((v, i) => (i === 3 ? Number.NaN : v)), params: HOLD }),
    ).toThrow(/vix\[3\]/);
    expect(() =>
      runBacktest({ bars: bars.slice(0, 30), vix: vix.slice(0, 30), params: HOLD, market: MARKET }),
    ).toThrow(/too few/);
    expect(() => runBacktest({ bars, vix, params: { ...HOLD, deltaMin: 0.5, deltaMax: 0.4 } })).toThrow(
      /deltaMin must be <= deltaMax/,
    );
    expect(() => runBacktest({ bars, vix, params: HOLD, market: { initialCapital: 0 } })).toThrow(
      /initialCapital must be > 0/,
    );
  });
});
