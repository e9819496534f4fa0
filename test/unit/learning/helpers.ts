import type { Bar, VixPoint } from '../../../src/core/backtest/index.ts';
import { dayToIso, isoToDay, weekdayOf } from '../../../src/core/backtest/index.ts';
import type { Dataset } from '../../../src/core/learning/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** Weekday bars of a seeded random walk (daily sd 1.2 %) from `start`, and a VIX series on the same days. */
export function syntheticMarket(
  days: number,
  seed = 1,
  start = '2015-01-05',
): { bars: Bar[]; vix: VixPoint[] } {
  const rng = mulberry32(seed);
  const bars: Bar[] = [];
  const vix: VixPoint[] = [];
  let close = 100;
  let v = 18;
  for (let day = isoToDay(start); bars.length < days; day++) {
    const wd = weekdayOf(day);
    if (wd === 0 || wd === 6) continue;
    const open = close;
    close = open * Math.exp(normal(rng, 0.0003, 0.012));
    const high = Math.max(open, close) * (1 + Math.abs(normal(rng, 0, 0.004)));
    const low = Math.min(open, close) * (1 - Math.abs(normal(rng, 0, 0.004)));
    v = Math.max(9, v + normal(rng, 0, 0.8) + 0.05 * (18 - v));
    const date = dayToIso(day);
    bars.push({ date, day, open, high, low, close });
    vix.push({ date, day, close: v });
  }
  return { bars, vix };
}

/** A classification data set whose class depends on x0 (plus noise), times 0..n-1. */
export function toyClassification(n: number, seed = 3, noise = 0.3): Dataset {
  const rng = mulberry32(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = normal(rng);
    const x1 = normal(rng);
    X.push([x0, x1]);
    y.push(x0 + normal(rng, 0, noise) > 0 ? 1 : 0);
  }
  return {
    task: 'classification',
    featureNames: ['x0', 'x1'],
    X,
    y,
    times: X.map((_, i) => i),
    classes: [0, 1],
  };
}
