import { type Bar, dayToIso, isoToDay, weekdayOf } from '../../../src/core/backtest/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** Seeded geometric random walk of weekday bars from Monday 2020-01-06, with a VIX that tracks |returns|. */
export function syntheticMarket(days: number, seed = 1): { bars: Bar[]; vix: number[] } {
  const rng = mulberry32(seed);
  const bars: Bar[] = [];
  const vix: number[] = [];
  let day = isoToDay('2020-01-06');
  let close = 100;
  let v = 20;
  for (let i = 0; i < days; i++) {
    while (weekdayOf(day) === 0 || weekdayOf(day) === 6) day++;
    const r = normal(rng, 0.0004, 0.018);
    const open = close;
    close = close * Math.exp(r);
    v = Math.min(80, Math.max(10, 0.9 * v + 0.1 * (20 + 600 * Math.abs(r))));
    const hi = Math.max(open, close) * (1 + 0.004 * rng());
    const lo = Math.min(open, close) * (1 - 0.004 * rng());
    bars.push({ date: dayToIso(day), day, open, high: hi, low: lo, close });
    vix.push(v);
    day++;
  }
  return { bars, vix };
}

/** Realised-volatility market: a 50-day warm-up instead of vix-scaled's 127, so short series suffice. */
export const MARKET = { volModel: 'realised' as const, realisedWindowDays: 20 };
