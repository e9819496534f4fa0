import { describe, expect, it } from 'vitest';
import { coverScore, f1Details, f1Score } from '../../../src/core/analytics/changepoint/metrics.ts';

describe('f1Score (TCPDBench definition)', () => {
  it('reproduces the worked examples of van den Burg & Williams (2020)', () => {
    // Prepare: the examples that accompany the paper's definition (several annotators, keyed by id)
    const four = { 1: [10, 20], 2: [11, 20], 3: [10], 4: [0, 5] };
    const three = { 1: [], 2: [10], 3: [50] };
    // Act / Assess
    expect(f1Score(four, [10, 20], 60)).toBe(1);
    expect(f1Score(three, [10], 60)).toBeCloseTo(0.9090909090909091, 15);
    expect(f1Score(three, [], 60)).toBeCloseTo(0.8, 15);
  });

  it('counts index 0 as a change point of everyone, so no annotation and no prediction is a perfect score', () => {
    // Act
    const nothing = f1Details([[]], [], 10);
    const origin = f1Details([[]], [0], 10);
    // Assess
    expect(nothing).toEqual({ f1: 1, precision: 1, recall: 1 });
    expect(origin).toEqual(nothing);
  });

  it('counts a prediction exactly `margin` points away and not one point further', () => {
    // Prepare: one annotator at 10; X = {0, p}, T = {0, 10}
    // Act
    const at = f1Details([[10]], [15], 30);
    const past = f1Details([[10]], [16], 30);
    const before = f1Details([[10]], [5], 30);
    const tight = f1Details([[10]], [12], 30, 1);
    // Assess: a hit gives P = R = 1; a miss leaves only the origin matched, P = 1/2, R = 1/2
    expect(at.f1).toBe(1);
    expect(before.f1).toBe(1);
    expect(past).toEqual({ f1: 0.5, precision: 0.5, recall: 0.5 });
    expect(tight.f1).toBe(0.5);
  });

  it('removes duplicate predictions and lets one prediction match one annotation only', () => {
    // Prepare: annotations 10 and 12 compete for the single prediction 11
    // Act
    const shared = f1Details([[10, 12]], [11, 11, 11], 30);
    // Assess: TP = {0, 10}; P = 2/2, R = 2/3, F1 = 2·1·(2/3)/(1 + 2/3) = 0.8
    expect(shared.precision).toBe(1);
    expect(shared.recall).toBeCloseTo(2 / 3, 15);
    expect(shared.f1).toBeCloseTo(0.8, 15);
  });

  it('matches an annotation to its closest prediction, the others counting as false positives', () => {
    // Prepare: X = {0, 6, 9}; 10 takes 9, 6 is left over
    // Act
    const r = f1Details([[10]], [6, 9], 30);
    // Assess: P = 2/3, R = 1, F1 = 0.8
    expect(r.precision).toBeCloseTo(2 / 3, 15);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(0.8, 15);
  });

  it('takes precision against the union of annotators and recall as their mean', () => {
    // Prepare: annotator a marks 20, b marks 40; the prediction hits 20 only
    // Act
    const r = f1Details({ a: [20], b: [40] }, [20], 60);
    // Assess: union {0, 20, 40}: TP = 2 of |X| = 2 → P = 1; recalls 2/2 and 1/2 → R = 3/4; F1 = 1.5/1.75
    expect(r.precision).toBe(1);
    expect(r.recall).toBe(0.75);
    expect(r.f1).toBeCloseTo(1.5 / 1.75, 15);
  });

  it('does not depend on the order of the predictions', () => {
    expect(f1Score([[5, 30, 60]], [61, 4, 33], 80)).toBe(f1Score([[5, 30, 60]], [4, 33, 61], 80));
  });

  it('names the argument and the rule on bad input', () => {
    expect(() => f1Score([[1]], [1], 0)).toThrow(/n must be an integer >= 1/);
    expect(() => f1Score([[1]], [1], 2.5)).toThrow(/n must be an integer >= 1/);
    expect(() => f1Score([[1]], [-1], 10)).toThrow(
      /predictions\[0\] must be an integer index in \[0, n − 1 = 9\]/,
    );
    expect(() => f1Score([[1]], [10], 10)).toThrow(/predictions\[0\].*got 10/);
    expect(() => f1Score([[1]], [1.5], 10)).toThrow(/predictions\[0\]/);
    expect(() => f1Score({ x: [3, 12] }, [1], 10)).toThrow(/annotations\[x\]\[1\] must be an integer index/);
    expect(() => f1Score({}, [1], 10)).toThrow(/annotations must hold at least one annotator/);
    expect(() => f1Score([[1]], [1], 10, -1)).toThrow(/margin must be an integer >= 0/);
    expect(() => f1Score([[1]], 'x' as unknown as number[], 10)).toThrow(/predictions must be an array/);
    expect(() => f1Score(null as unknown as number[][], [], 10)).toThrow(/annotations must be/);
  });
});

describe('coverScore (segmentation covering)', () => {
  it('reproduces the worked examples of van den Burg & Williams (2020)', () => {
    // Prepare
    const three = { 1: [10, 20], 2: [10], 3: [0, 5] };
    const other = { 1: [], 2: [10], 3: [40] };
    // Act / Assess
    expect(coverScore(three, [10, 20], 45)).toBeCloseTo(0.7962962962962963, 15);
    expect(coverScore(other, [10], 45)).toBeCloseTo(0.7954144620811286, 15);
    expect(coverScore(other, [], 45)).toBeCloseTo(0.8189300411522634, 15);
  });

  it('is 1 for the true segmentation and the Jaccard-weighted mean otherwise (hand computed)', () => {
    // Prepare: truth splits 0..9 at 5
    // Act
    const exact = coverScore([[5]], [5], 10);
    const none = coverScore([[5]], [], 10);
    const early = coverScore([[5]], [3], 10);
    // Assess: none: each half has J = 5/10 → 0.5; early: [0,5) best J 3/5, [5,10) best J 5/7
    expect(exact).toBe(1);
    expect(none).toBe(0.5);
    expect(early).toBeCloseTo((5 * 0.6 + 5 * (5 / 7)) / 10, 15);
  });

  it('ignores a predicted change at index 0 and duplicate predictions', () => {
    expect(coverScore([[5]], [0, 3, 3], 10)).toBe(coverScore([[5]], [3], 10));
  });

  it('averages over annotators', () => {
    // Prepare: one annotator agrees exactly (1), the other marks nothing (0.5 by the case above)
    expect(coverScore([[5], []], [5], 10)).toBe(0.75);
  });

  it('names the argument and the rule on bad input', () => {
    expect(() => coverScore([[1]], [1], -3)).toThrow(/n must be an integer >= 1/);
    expect(() => coverScore([[1]], [11], 10)).toThrow(/predictions\[0\] must be an integer index/);
    expect(() => coverScore([[1, 99]], [1], 10)).toThrow(/annotations\[0\]\[1\] must be an integer index/);
    expect(() => coverScore([], [1], 10)).toThrow(/annotations must hold at least one annotator/);
  });
});
