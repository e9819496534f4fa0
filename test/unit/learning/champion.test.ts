import { describe, expect, it } from 'vitest';
import {
  compareWithChampion,
  holdoutSplit,
  type Predictions,
  primaryMetric,
  scoreChampion,
  trainCandidate,
} from '../../../src/core/learning/index.ts';
import { mulberry32 } from '../../../src/core/random.ts';
import { toyClassification } from './helpers.ts';

const n = 200;
const rng = mulberry32(5);
const y = Array.from({ length: n }, () => (rng() < 0.5 ? 0 : 1));
const proba = (p: (i: number) => number): Predictions => ({
  kind: 'proba',
  classes: [0, 1],
  proba: y.map((_, i) => [1 - p(i), p(i)]),
});
// Right on every row with probability 0.9.
const good = proba((i) => (y[i] === 1 ? 0.9 : 0.1));
// Right on about 70 % of rows (every row whose index is not a multiple of 10/3).
const fair = proba((i) => ((i * 3) % 10 < 3 ? (y[i] === 1 ? 0.3 : 0.7) : y[i] === 1 ? 0.6 : 0.4));

describe('compareWithChampion', () => {
  const accuracy = primaryMetric('accuracy');

  it('is confident (~1) and promotes a clearly better challenger', () => {
    const c = compareWithChampion({
      yHoldout: y,
      challenger: good,
      champion: fair,
      metric: accuracy,
      seed: 1,
    });
    expect(c.challengerScore).toBe(1);
    expect(c.championScore).toBeCloseTo(0.7, 2);
    expect(c.delta).toBeCloseTo(0.3, 2);
    expect(c.confidence).toBe(1);
    expect(c.decision).toBe('promote');
  });

  it('gives exactly 0.5 for identical predictions and asks a human', () => {
    const c = compareWithChampion({
      yHoldout: y,
      challenger: fair,
      champion: fair,
      metric: accuracy,
      seed: 1,
    });
    expect(c.delta).toBe(0);
    expect(c.confidence).toBe(0.5);
    expect(c.decision).toBe('needs-approval');
  });

  it("is ~0 for a clearly worse challenger, in the metric's direction (log-loss: lower is better)", () => {
    const c = compareWithChampion({
      yHoldout: y,
      challenger: fair,
      champion: good,
      metric: primaryMetric('log_loss'),
      seed: 2,
    });
    expect(c.delta).toBeLessThan(0);
    expect(c.confidence).toBe(0);
    const d = compareWithChampion({
      yHoldout: y,
      challenger: good,
      champion: fair,
      metric: primaryMetric('log_loss'),
      seed: 2,
    });
    expect(d.delta).toBeGreaterThan(0);
    expect(d.decision).toBe('promote');
  });

  it('decides at the boundaries: confidence >= minConfidence and delta >= margin', () => {
    // Prepare: right on ~24 rows where the champion is wrong, wrong on ~18 where it is right: a small
    // improvement, so the confidence is strictly between 0 and 1.
    const fairRight = (i: number) => (i * 3) % 10 >= 3;
    const right = (i: number) => (fairRight(i) ? i % 8 !== 0 : i % 5 < 2);
    const slightly = proba((i) => (right(i) === (y[i] === 1) ? 0.6 : 0.4));
    const base = { yHoldout: y, challenger: slightly, champion: fair, metric: accuracy, seed: 3 };
    const c = compareWithChampion(base);
    expect(c.confidence).toBeGreaterThan(0.5);
    expect(c.confidence).toBeLessThan(1);
    // Act + Assess
    expect(compareWithChampion({ ...base, minConfidence: c.confidence }).decision).toBe('promote');
    expect(compareWithChampion({ ...base, minConfidence: c.confidence + 1e-9 }).decision).toBe(
      'needs-approval',
    );
    expect(compareWithChampion({ ...base, minConfidence: 0, margin: c.delta as number }).decision).toBe(
      'promote',
    );
    expect(
      compareWithChampion({ ...base, minConfidence: 0, margin: (c.delta as number) + 1e-9 }).decision,
    ).toBe('needs-approval');
  });

  it('is seeded: the same seed gives the same confidence', () => {
    const slightly = proba((i) =>
      i % 7 === 0 ? 0.5 : ((fair as Predictions & { kind: 'proba' }).proba[i]?.[1] as number),
    );
    const a = compareWithChampion({
      yHoldout: y,
      challenger: slightly,
      champion: fair,
      metric: accuracy,
      seed: 9,
    });
    const b = compareWithChampion({
      yHoldout: y,
      challenger: slightly,
      champion: fair,
      metric: accuracy,
      seed: 9,
    });
    expect(a).toEqual(b);
  });

  it('promotes a first version, and asks a human whenever approval is required', () => {
    const first = compareWithChampion({
      yHoldout: y,
      challenger: fair,
      champion: undefined,
      metric: accuracy,
    });
    expect(first).toMatchObject({
      decision: 'first-version',
      confidence: 1,
      championScore: null,
      delta: null,
    });
    for (const champion of [undefined, fair])
      expect(
        compareWithChampion({
          yHoldout: y,
          challenger: good,
          champion,
          metric: accuracy,
          requireApproval: true,
        }).decision,
      ).toBe('needs-approval');
  });

  it('compares regressors by RMSE', () => {
    const truth = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const c = compareWithChampion({
      yHoldout: truth,
      challenger: { kind: 'value', values: truth.map((v) => v + 0.1) },
      champion: { kind: 'value', values: truth.map((v, i) => v + (i % 2 ? 2 : -2)) },
      metric: primaryMetric('rmse'),
      seed: 1,
    });
    expect(c.challengerScore).toBeCloseTo(0.1, 12);
    expect(c.championScore).toBeCloseTo(2, 12);
    expect(c).toMatchObject({ confidence: 1, decision: 'promote' });
  });

  it('refuses predictions that do not cover the hold-out, naming the side', () => {
    const short: Predictions = { kind: 'proba', classes: [0, 1], proba: [[0.5, 0.5]] };
    expect(() =>
      compareWithChampion({ yHoldout: y, challenger: good, champion: short, metric: accuracy }),
    ).toThrow(/^champion: has 1 rows/);
    expect(() =>
      compareWithChampion({ yHoldout: y, challenger: good, champion: fair, metric: primaryMetric('rmse') }),
    ).toThrow(/challenger: holds proba predictions; rmse needs value/);
    expect(() =>
      compareWithChampion({ yHoldout: y, challenger: good, champion: fair, metric: accuracy, margin: -1 }),
    ).toThrow(/margin/);
  });
});

describe('scoreChampion', () => {
  it('scores a stored champion on exactly the hold-out rows', () => {
    // Prepare: a champion trained on an older data set of the same features.
    const ds = toyClassification(120, 8);
    const split = { holdoutFraction: 0.25, folds: 2, purge: 0, embargo: 0 };
    const champion = trainCandidate(
      toyClassification(120, 9),
      { algorithm: 'naive-bayes', params: {} },
      split,
      0,
    );
    const challenger = trainCandidate(ds, { algorithm: 'logistic', params: {} }, split, 0);
    const { holdout } = holdoutSplit(ds, split.holdoutFraction, split);
    // Act
    const preds = scoreChampion(JSON.parse(JSON.stringify(champion.artifact)), holdout);
    const c = compareWithChampion({
      yHoldout: [...holdout.y],
      challenger: challenger.holdoutPredictions,
      champion: preds,
      metric: primaryMetric('macro_f1'),
      seed: 0,
    });
    // Assess
    expect(preds.kind).toBe('proba');
    expect(c.challengerScore).toBeCloseTo(challenger.holdoutMetrics.macro_f1 as number, 12);
    expect(() =>
      scoreChampion(champion.artifact, {
        ...holdout,
        featureNames: ['x0'],
        X: holdout.X.map((r) => [r[0] ?? null]),
      }),
    ).toThrow(/champion: was fitted on 2 features/);
  });
});
