import { describe, expect, it } from 'vitest';
import { mulberry32, normal } from '../../../src/core/random.ts';
import {
  deflatedSharpe,
  expectedMaxSharpe,
  moments,
  parameterStability,
  probabilisticSharpe,
  probabilityOfBacktestOverfitting,
  TuningError,
} from '../../../src/core/tuning/index.ts';

describe('deflated and probabilistic Sharpe ratios', () => {
  it("reproduces the DSR paper's numerical example (SR0 ≈ 0.1132 daily, DSR ≈ 0.9004)", () => {
    // Prepare: Bailey & López de Prado 2014, section 5: annual SR 2.5 over 1250 daily observations, 100
    // trials with V[annual SR] = 0.5, skew −3, kurtosis 10.
    const sample = { sharpe: 2.5 / Math.sqrt(250), observations: 1250, skew: -3, kurtosis: 10 };
    // Act
    const r = deflatedSharpe(sample, 100, 0.5 / 250);
    // Assess: hand computation with Python's statistics.NormalDist gives 0.113172 and 0.900397.
    expect(r.benchmark).toBeCloseTo(0.113172, 5);
    expect(r.dsr).toBeCloseTo(0.900397, 4);
  });

  it('PSR against 0 matches the hand-computed normal case', () => {
    // Φ(0.1·√100 / √(1 + 0.5·0.01)) = Φ(0.99751) = 0.840741
    expect(probabilisticSharpe({ sharpe: 0.1, observations: 101 })).toBeCloseTo(0.840741, 5);
    expect(probabilisticSharpe({ sharpe: 0.2, observations: 50 }, 0.2)).toBeCloseTo(0.5, 12);
  });

  it('the selection benchmark is 0 for one trial and grows with the number of trials', () => {
    expect(expectedMaxSharpe(1, 0.04)).toBe(0);
    const a = expectedMaxSharpe(10, 0.04);
    const b = expectedMaxSharpe(1000, 0.04);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    // Scales with √V.
    expect(expectedMaxSharpe(10, 0.16)).toBeCloseTo(2 * a, 12);
  });

  it('moments: mean, n−1 sd, population skew and non-excess kurtosis', () => {
    const m = moments([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(m.skew).toBeCloseTo(0, 12);
    expect(m.kurtosis).toBeCloseTo(2.5625 / 1.5625, 12);
  });

  it('rejects bad inputs naming the field', () => {
    expect(() => expectedMaxSharpe(0, 1)).toThrow(/nTrials must be an integer >= 1/);
    expect(() => expectedMaxSharpe(5, -1)).toThrow(/variance must be a finite number >= 0/);
    expect(() => probabilisticSharpe({ sharpe: 0.1, observations: 1 })).toThrow(/observations/);
    expect(() => probabilisticSharpe({ sharpe: 0.1, observations: 10, kurtosis: 0 })).toThrow(/kurtosis/);
    expect(() => moments([1])).toThrow(TuningError);
  });
});

describe('probability of backtest overfitting (CSCV)', () => {
  it('is 1 for a hand-computed anti-persistent pair of strategies', () => {
    // Prepare: two blocks of two rows; A wins the first block, B the second. Whichever block is IS, its
    // winner is the loser OOS: rank 1 of 2, ω = 1/3, λ = ln(1/2) in both splits.
    const a = [1, 1, 0, 0];
    const b = [0, 0, 1, 1];
    // Act
    const r = probabilityOfBacktestOverfitting([a, b], { partitions: 2, metric: 'mean' });
    // Assess
    expect(r.combinations).toBe(2);
    expect(r.pbo).toBe(1);
    for (const l of r.logits) expect(l).toBeCloseTo(Math.log(0.5), 12);
  });

  it('is 0 for a strategy that dominates in every block', () => {
    const rng = mulberry32(3);
    const t = 96;
    const noise = Array.from({ length: 9 }, () => Array.from({ length: t }, () => normal(rng, 0, 0.02)));
    const best = Array.from({ length: t }, () => normal(rng, 0.05, 0.001));
    const r = probabilityOfBacktestOverfitting([...noise, best], { partitions: 8 });
    expect(r.combinations).toBe(70);
    expect(r.pbo).toBe(0);
  });

  it('is about 0.5 for interchangeable noise strategies (mean over seeds)', () => {
    let sum = 0;
    const seeds = 30;
    for (let s = 0; s < seeds; s++) {
      const rng = mulberry32(100 + s);
      const m = Array.from({ length: 10 }, () => Array.from({ length: 64 }, () => normal(rng, 0, 0.02)));
      sum += probabilityOfBacktestOverfitting(m, { partitions: 8 }).pbo;
    }
    // Each PBO is itself noisy (its splits share data); 30 seeds put the mean within a few hundredths.
    expect(sum / seeds).toBeGreaterThan(0.4);
    expect(sum / seeds).toBeLessThan(0.6);
  });

  it('drops the earliest T mod S rows and samples combinations above the cap, deterministically', () => {
    const rng = mulberry32(9);
    const m = Array.from({ length: 4 }, () => Array.from({ length: 67 }, () => normal(rng, 0, 1)));
    const full = probabilityOfBacktestOverfitting(m, { partitions: 16 });
    expect(full.rowsUsed).toBe(64);
    expect(full.combinations).toBe(12870);
    const a = probabilityOfBacktestOverfitting(m, { partitions: 16, maxCombinations: 500, seed: 4 });
    const b = probabilityOfBacktestOverfitting(m, { partitions: 16, maxCombinations: 500, seed: 4 });
    expect(a.combinations).toBe(500);
    expect(a.logits).toEqual(b.logits);
  });

  it('rejects bad inputs naming the field', () => {
    expect(() => probabilityOfBacktestOverfitting([[1, 2, 3, 4]])).toThrow(/returns must hold at least 2/);
    expect(() =>
      probabilityOfBacktestOverfitting([
        [1, 2, 3, 4],
        [1, 2, 3],
      ]),
    ).toThrow(/returns\[1\]/);
    expect(() =>
      probabilityOfBacktestOverfitting([
        [1, 2, 3, 4],
        [1, 2, 3, Number.NaN],
      ]),
    ).toThrow(/returns\[1\]\[3\] must be a finite number/);
    expect(() =>
      probabilityOfBacktestOverfitting(
        [
          [1, 2, 3, 4],
          [1, 2, 3, 4],
        ],
        { partitions: 3 },
      ),
    ).toThrow(/partitions must be an even integer/);
    expect(() =>
      probabilityOfBacktestOverfitting(
        [
          [1, 2, 3, 4],
          [1, 2, 3, 4],
        ],
        { partitions: 8 },
      ),
    ).toThrow(/partitions must leave at least one row per block/);
  });
});

describe('parameter stability', () => {
  it('is 0 for the same choice everywhere and sd/range otherwise', () => {
    const ranges = { a: { low: 0, high: 1 }, b: { low: 0, high: 10 } };
    expect(
      parameterStability(
        [
          { a: 0.3, b: 4 },
          { a: 0.3, b: 4 },
        ],
        ranges,
      ).mean,
    ).toBe(0);
    const r = parameterStability(
      [
        { a: 0, b: 5 },
        { a: 1, b: 5 },
      ],
      ranges,
    );
    expect(r.perParam.a).toBeCloseTo(Math.SQRT1_2, 12);
    expect(r.perParam.b).toBe(0);
    expect(r.mean).toBeCloseTo(Math.SQRT1_2 / 2, 12);
  });

  it('names a missing value and a bad range', () => {
    expect(() => parameterStability([{ a: 1 }, {}], { a: { low: 0, high: 1 } })).toThrow(/choices\[1\]\.a/);
    expect(() => parameterStability([{ a: 1 }], { a: { low: 1, high: 1 } })).toThrow(
      /ranges\.a must have high > low/,
    );
  });
});
