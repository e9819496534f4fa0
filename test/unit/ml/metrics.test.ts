import { describe, expect, it } from 'vitest';
import {
  accuracy,
  adjustedRandIndex,
  fromRows,
  logLoss,
  MlInputError,
  macroF1,
  mae,
  r2,
  rmse,
  rocAuc,
  rocAucOvr,
} from '../../../src/core/ml/index.ts';

describe('classification metrics', () => {
  it('accuracy and macro-F1 match hand computation', () => {
    // Prepare: per class F1 = 2tp/(2tp+fp+fn): class 0 -> 2/4, class 1 -> 4/5, class 2 -> 0.
    const yTrue = [0, 0, 1, 1, 2];
    const yPred = [0, 1, 1, 1, 0];
    // Act / Assess
    expect(accuracy(yTrue, yPred)).toBeCloseTo(3 / 5, 12);
    expect(macroF1(yTrue, yPred)).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
  });

  it('log-loss is the mean negative log-probability of the true class, clipped', () => {
    const P = fromRows([
      [0.2, 0.8],
      [0.6, 0.4],
    ]);
    expect(logLoss([1, 0], P, [0, 1])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    // A zero probability for the truth is clipped to 2.22e-16, not infinite.
    const hard = fromRows([[1, 0]]);
    expect(logLoss([1], hard, [0, 1])).toBeCloseTo(-Math.log(Number.EPSILON), 6);
  });

  it('ROC-AUC counts tied scores as one half', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    // Positives 0.5, 0.9 vs negatives 0.5, 0.2: pairs 0.5 + 1 + 1 + 1 = 3.5 of 4.
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBeCloseTo(0.875, 12);
    expect(rocAuc([1, 1, 0, 0], [0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });

  it('one-vs-rest ROC-AUC of a perfect ranking is 1', () => {
    const P = fromRows([
      [0.8, 0.1, 0.1],
      [0.1, 0.8, 0.1],
      [0.1, 0.1, 0.8],
      [0.7, 0.2, 0.1],
    ]);
    expect(rocAucOvr([0, 1, 2, 0], P, [0, 1, 2])).toBe(1);
  });

  it('refuses ROC-AUC with one class only, and mismatched lengths', () => {
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(/at least one positive and one negative/);
    expect(() => accuracy([1, 2], [1])).toThrow(MlInputError);
    expect(() => accuracy([], [])).toThrow(/empty|no values/);
  });

  it('adjusted Rand index is 1 for the same partition under other labels and ~0 for unrelated ones', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9])).toBeCloseTo(1, 12);
    // Hand value: contingency [[1,1],[1,1]] for a = 0011, b = 0101 gives ARI = -0.5.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });
});

describe('regression metrics', () => {
  it('RMSE, MAE and R² match hand computation', () => {
    const yTrue = [1, 2, 3];
    const yPred = [1, 2, 4];
    expect(rmse(yTrue, yPred)).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(mae(yTrue, yPred)).toBeCloseTo(1 / 3, 12);
    expect(r2(yTrue, yPred)).toBeCloseTo(1 - 1 / 2, 12);
  });
});
