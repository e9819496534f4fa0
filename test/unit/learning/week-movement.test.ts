import { describe, expect, it } from 'vitest';
import { type Bar, MOVE_BUCKET_EDGES, moveBucket } from '../../../src/core/backtest/index.ts';
import {
  type Dataset,
  evaluateWeekMovement,
  majorityBaseline,
  moveBucketIndex,
  moveBucketName,
  persistenceBaseline,
  WEEK_FEATURES,
  weekMovementDataset,
  weekMovementRows,
} from '../../../src/core/learning/index.ts';
import { syntheticMarket } from './helpers.ts';

describe('move buckets', () => {
  it('index and name agree with the backtester buckets, edges included', () => {
    const moves = [0, 0.004, -0.004, 0.0099, 0.03, -0.07, 0.12, -0.149, 0.2, -0.5];
    for (const e of MOVE_BUCKET_EDGES) moves.push(e, -e, e - 1e-9, -e + 1e-9);
    for (const m of moves) expect(moveBucketName(moveBucketIndex(m)), `move ${m}`).toBe(moveBucket(m));
    expect([0.01, -0.01, 0.05, -0.1, 0.15, -0.15, 0.009].map(moveBucketIndex)).toEqual([
      1, -1, 2, -3, 4, -4, 0,
    ]);
  });
});

describe('weekMovementRows', () => {
  const { bars, vix } = syntheticMarket(400, 7);
  const rows = weekMovementRows(bars, vix);

  it('has one row per week from the 14th week on, features in WEEK_FEATURES order', () => {
    expect(rows.length).toBeGreaterThan(60);
    expect(rows.every((r) => r.features.length === WEEK_FEATURES.length)).toBe(true);
    expect(new Set(rows.map((r) => r.week)).size).toBe(rows.length);
    // Mondays, ascending.
    for (let i = 1; i < rows.length; i++)
      expect((rows[i] as { time: number }).time).toBeGreaterThan(rows[i - 1]!.time);
  });

  it('labels a week with the bucket of its own close-to-close move, known only after it', () => {
    // Prepare: a row in the middle.
    const r = rows[30]!;
    const asOf = bars.findIndex((b) => b.date === r.asOf);
    const weekBars = bars.filter((b) => b.date >= r.week && b.day < bars[asOf]!.day + 10 && b.date > r.asOf);
    const lastOfWeek = weekBars.filter((b) => b.day - bars[asOf]!.day <= 7).at(-1)!;
    // Assess
    expect(r.asOf < r.week).toBe(true);
    expect(r.move).toBeCloseTo(lastOfWeek.close / bars[asOf]!.close - 1, 14);
    expect(r.label).toBe(moveBucketIndex(r.move!));
    // The next week's ret_1w is this week's move: the persistence signal.
    expect(rows[31]!.features[0]).toBeCloseTo(r.move!, 14);
  });

  it("never looks ahead: changing or removing every bar after a week's as-of close leaves its features unchanged", () => {
    for (const r of [rows[5]!, rows[40]!]) {
      const cut = bars.findIndex((b) => b.date === r.asOf);
      // Prepare: the future multiplied by a crash and noise, VIX doubled.
      const changed: Bar[] = bars.map((b, i) =>
        i <= cut
          ? b
          : {
              ...b,
              open: b.open * 0.5,
              high: b.high * 0.6,
              low: b.low * 0.4,
              close: b.close * (0.45 + (i % 3) * 0.05),
            },
      );
      const changedVix = vix.map((v, i) => (i <= cut ? v : { ...v, close: v.close * 2 }));
      // Act
      const a = weekMovementRows(changed, changedVix).find((x) => x.week === r.week);
      const b = weekMovementRows(bars.slice(0, cut + 1), vix.slice(0, cut + 1)).find(
        (x) => x.week === r.week,
      );
      // Assess
      expect(a?.features).toEqual(r.features);
      expect(b?.features).toEqual(r.features);
    }
  });

  it('offers the coming week (no label) after a complete last week, and never a label for a partial week', () => {
    const endsFriday = bars.findLastIndex((b) => new Date(b.day * 86_400_000).getUTCDay() === 5);
    const full = weekMovementRows(bars.slice(0, endsFriday + 1), vix);
    expect(full.at(-1)?.label).toBeUndefined();
    expect(full.at(-1)?.asOf).toBe(bars[endsFriday]!.date);
    expect(full.at(-2)?.label).toBeDefined();
    const partial = weekMovementRows(bars.slice(0, endsFriday - 1), vix);
    expect(partial.at(-1)?.label).toBeUndefined();
    expect(partial.filter((r) => r.label === undefined)).toHaveLength(1);
  });

  it('computes no row across a hole in the data', () => {
    // Prepare: 30 trading days removed in the middle.
    const holed = [...bars.slice(0, 200), ...bars.slice(230)];
    const r = weekMovementRows(holed, vix);
    const holeStart = bars[199]!.date;
    const holeEnd = bars[230]!.date;
    // The first row after the hole needs 13 weeks and 50 bars of the new segment.
    const after = r.filter((x) => x.asOf >= holeEnd);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]!.asOf > bars[230 + 49]!.date).toBe(true);
    expect(r.some((x) => x.asOf > holeStart && x.asOf < holeEnd)).toBe(false);
  });

  it('gives RSI 100 and a positive trend on a steadily rising market', () => {
    const rising: Bar[] = bars.map((b, i) => {
      const c = 100 * 1.001 ** i;
      return { ...b, open: c, high: c * 1.001, low: c * 0.999, close: c };
    });
    const last = weekMovementRows(rising, vix).at(-1)!;
    expect(last.features[WEEK_FEATURES.indexOf('rsi14')]).toBe(100);
    expect(last.features[WEEK_FEATURES.indexOf('trend')]).toBeGreaterThan(0);
  });
});

describe('baselines', () => {
  const train: Dataset = {
    task: 'classification',
    featureNames: ['ret_1w'],
    // Last week's moves: buckets 0, 1, 1, 0 -> labels 1, 1, 0, 0: persistence right on rows 1 and 3.
    X: [[0.001], [0.02], [0.03], [0.0]],
    y: [1, 1, 0, 0],
    times: [0, 1, 2, 3],
    classes: [-1, 0, 1],
  };
  const test: Dataset = { ...train, X: [[-0.02]], y: [-1], times: [4] };

  it('majority predicts the training frequencies', () => {
    expect(majorityBaseline(train.y, [-1, 0, 1], 2)).toEqual({
      kind: 'proba',
      classes: [-1, 0, 1],
      proba: [
        [0, 0.5, 0.5],
        [0, 0.5, 0.5],
      ],
    });
  });

  it("persistence puts the training hit rate on last week's bucket", () => {
    // λ = 2/4; freq = [0, .5, .5]; last bucket -1 -> [0.5, 0.25, 0.25].
    expect(persistenceBaseline(train, test, [-1, 0, 1])).toEqual({
      kind: 'proba',
      classes: [-1, 0, 1],
      proba: [[0.5, 0.25, 0.25]],
    });
  });
});

describe('evaluateWeekMovement', () => {
  const { bars, vix } = syntheticMarket(700, 11);
  const opts = { folds: 3, candidates: [{ algorithm: 'logistic', params: {} }], seed: 1 } as const;

  it('reports every model and both baselines per walk-forward fold, deterministically', () => {
    // Act
    const a = evaluateWeekMovement(bars, vix, opts);
    const b = evaluateWeekMovement(bars, vix, opts);
    // Assess
    expect(a).toEqual(b);
    expect(a.results.map((r) => r.name)).toEqual(['logistic', 'majority', 'persistence']);
    const ds = weekMovementDataset(bars, vix);
    expect(a.weeks).toBe(ds.X.length);
    for (const r of a.results) {
      expect(r.error).toBeUndefined();
      expect(r.folds).toHaveLength(3);
      expect(r.mean.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.mean.accuracy).toBeLessThanOrEqual(1);
      expect(r.mean.log_loss).toBeGreaterThan(0);
    }
    // Folds are successive, training ends before each test window (purge 1 + embargo 1 = 2 weeks).
    for (const f of a.folds) {
      const testStart = ds.times.findIndex((t) => new Date(t).toISOString().slice(0, 10) === f.testFrom);
      expect(f.trainWeeks).toBe(testStart - 2);
    }
    expect(a.folds.at(-1)?.testTo).toBe(a.to);
  });

  it('majority accuracy equals the test share of the training majority bucket', () => {
    const ev = evaluateWeekMovement(bars, vix, opts);
    const ds = weekMovementDataset(bars, vix);
    const f = ev.folds[0]!;
    const train = ds.y.slice(0, f.trainWeeks);
    const counts = new Map<number, number>();
    for (const v of train) counts.set(v, (counts.get(v) ?? 0) + 1);
    const top = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]![0];
    const start = ds.times.findIndex((t) => new Date(t).toISOString().slice(0, 10) === f.testFrom);
    const test = ds.y.slice(start, start + f.testWeeks);
    const majority = ev.results.find((r) => r.name === 'majority')!;
    expect(majority.folds[0]?.accuracy).toBeCloseTo(test.filter((v) => v === top).length / test.length, 12);
  });
});
