import { describe, expect, it } from 'vitest';
import { MLPClassifier, MLPRegressor } from '../../../src/core/ml/index.ts';
import { blobs, uniformData } from './helpers.ts';

// Reference figures printed by the plain-loop implementation of mlp.ts (git 29894e4, before the
// register-blocked kernels) for exactly these data and options. Odd layer widths, batch sizes and input
// widths exercise every remainder path of the kernels; the three cases cover softmax with early stopping,
// logistic with the training-loss stopping rule, and identity with early stopping.
const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
const weighted = (v: Float64Array) => v.reduce((s, x, i) => s + x * ((i % 7) + 1), 0);

describe('MLP training reproduces the plain-loop implementation', () => {
  it('softmax classifier with early stopping (5 inputs, layers 7 and 6, batches of 13)', () => {
    // Prepare
    const { X, y } = blobs(
      [
        [0, 0, 0, 0, 0],
        [1.5, 0, 1, 0, -1],
        [0, 1.5, -1, 1, 0],
      ],
      40,
      1,
      11,
    );
    // Act
    const m = new MLPClassifier({
      hiddenLayerSizes: [7, 6],
      batchSize: 13,
      earlyStopping: true,
      maxIter: 25,
      seed: 4,
    }).fit(X, y);
    const P = m.predictProba(X).data;
    // Assess
    expect(m.nIter).toBe(25);
    close(m.lossCurve.at(-1) as number, 0.8002942040236456);
    const head = [
      0.42695308166399676, 0.21350628804289562, 0.3595406302931076, 0.3962454944930849, 0.3608924045746331,
      0.2428621009322821,
    ];
    head.forEach((v, q) => {
      close(P[q] as number, v);
    });
    close(weighted(P), 474.9034996969025);
  });

  it('logistic classifier stopping on the training loss (3 inputs, one layer of 5, batches of 9)', () => {
    // Prepare
    const { X, y } = blobs(
      [
        [0, 0, 0],
        [1, 1, -1],
      ],
      35,
      1,
      12,
    );
    // Act
    const m = new MLPClassifier({ hiddenLayerSizes: [5], batchSize: 9, maxIter: 40, seed: 5 }).fit(X, y);
    const P = m.predictProba(X).data;
    // Assess
    expect(m.nIter).toBe(40);
    close(m.lossCurve.at(-1) as number, 0.857226394080067);
    [0.8268048403658013, 0.17319515963419868, 0.7703289520257878, 0.22967104797421223].forEach((v, q) => {
      close(P[q] as number, v);
    });
    close(weighted(P), 280.72739931072607);
  });

  it('regressor with early stopping (6 inputs, layers 9 and 6, batches of 11)', () => {
    // Prepare
    const { X, y } = uniformData(
      120,
      6,
      (x) => Math.sin(3 * (x[0] as number)) + (x[1] as number) * (x[2] as number) - 0.5 * (x[5] as number),
      13,
    );
    // Act
    const m = new MLPRegressor({
      hiddenLayerSizes: [9, 6],
      batchSize: 11,
      earlyStopping: true,
      maxIter: 30,
      learningRate: 0.005,
      seed: 6,
    }).fit(X, y);
    const p = m.predict(X);
    // Assess
    expect(m.nIter).toBe(30);
    close(m.lossCurve.at(-1) as number, 0.023361038127854034);
    [0.6731463722847671, 0.20403673506702938, 0.4702386565381575, 0.7401222423645616].forEach((v, q) => {
      close(p[q] as number, v);
    });
    close(weighted(p), 311.28372839315085);
  });
});
