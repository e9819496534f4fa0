import { describe, expect, it } from 'vitest';
import {
  foldsFromColumn,
  kFold,
  purgedKFold,
  stratifiedKFold,
  walkForward,
} from '../../../src/core/ml/index.ts';

describe('i.i.d. splits', () => {
  it('k-fold covers every row exactly once as test, with sizes differing by at most one', () => {
    const splits = kFold(23, 5, { shuffle: true, seed: 3 });
    const seen = new Int32Array(23);
    for (const s of splits) {
      for (const i of s.test) seen[i] = (seen[i] as number) + 1;
      expect(s.train.length + s.test.length).toBe(23);
      expect(s.test.length === 4 || s.test.length === 5).toBe(true);
    }
    expect(Array.from(seen).every((c) => c === 1)).toBe(true);
  });

  it('stratified folds keep the class ratio', () => {
    // Prepare: 60 rows of class 0, 30 of class 1 (2:1).
    const y = Array.from({ length: 90 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    // Act
    const splits = stratifiedKFold(y, 3, { shuffle: true, seed: 1 });
    // Assess
    for (const s of splits) {
      const ones = Array.from(s.test).filter((i) => y[i] === 1).length;
      expect(ones).toBe(10);
      expect(s.test.length).toBe(30);
    }
  });

  it('refuses a random split of time-ordered rows, naming the alternative', () => {
    expect(() => kFold(100, 5, { shuffle: true, timeOrdered: true })).toThrow(/walkForward/);
    expect(() => stratifiedKFold([0, 1, 0, 1], 2, { timeOrdered: true })).toThrow(/no-random-split|future/);
  });

  it('fold column gives one split per fold id', () => {
    const s = foldsFromColumn([0, 1, 0, 2, 1, 2]);
    expect(s.map((x) => Array.from(x.test))).toEqual([
      [0, 2],
      [1, 4],
      [3, 5],
    ]);
    expect(() => foldsFromColumn([0, -1])).toThrow(/fold\[1\]/);
  });
});

describe('time-series splits', () => {
  it('walk-forward never trains on the future; purge and embargo remove the rows just before the test window', () => {
    // Act
    const splits = walkForward(100, { nSplits: 4, testSize: 10, purge: 2, embargo: 1 });
    // Assess
    expect(splits).toHaveLength(4);
    splits.forEach((s, k) => {
      const testStart = 60 + 10 * k;
      expect(Array.from(s.test)).toEqual(Array.from({ length: 10 }, (_, i) => testStart + i));
      expect(s.train[0]).toBe(0);
      expect(s.train[s.train.length - 1]).toBe(testStart - 4); // rows testStart-3..-1 dropped
      expect(Math.max(...s.train)).toBeLessThan(Math.min(...s.test));
    });
  });

  it('a rolling window keeps only the most recent training rows', () => {
    const [first] = walkForward(50, { nSplits: 2, testSize: 10, maxTrainSize: 20 });
    expect(Array.from(first?.train ?? [])).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
  });

  it('refuses splits that leave too little training data', () => {
    expect(() => walkForward(20, { nSplits: 4, testSize: 5 })).toThrow(/minTrainSize|train/);
  });

  it('purged k-fold drops `purge` rows before and `embargo` rows after each test block', () => {
    const splits = purgedKFold(20, 4, { purge: 2, embargo: 1 });
    const second = splits[1];
    expect(Array.from(second?.test ?? [])).toEqual([5, 6, 7, 8, 9]);
    const train = new Set(second?.train);
    for (const i of [3, 4, 10]) expect(train.has(i)).toBe(false);
    for (const i of [0, 2, 11, 19]) expect(train.has(i)).toBe(true);
  });
});
