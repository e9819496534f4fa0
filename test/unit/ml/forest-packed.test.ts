import { describe, expect, it } from 'vitest';
import {
  fromRows,
  loadModel,
  type Matrix,
  RandomForestClassifier,
  RandomForestRegressor,
} from '../../../src/core/ml/index.ts';
import { accumulateRow, packTrees } from '../../../src/core/ml/packed-trees.ts';
import { leafIndex, type TreeArrays } from '../../../src/core/ml/tree.ts';
import { mulberry32 } from '../../../src/core/random.ts';
import { blobs, uniformData } from './helpers.ts';

// The prediction of the forests before packing: one tree at a time over the unpacked arrays.
function referenceProba(trees: TreeArrays[], K: number, X: Matrix): Float64Array {
  const out = new Float64Array(X.rows * K);
  const inv = 1 / trees.length;
  for (let i = 0; i < X.rows; i++) {
    const o = i * K;
    for (const t of trees) {
      const leaf = leafIndex(t, X.data, i * X.cols) * K;
      for (let k = 0; k < K; k++) out[o + k] = (out[o + k] as number) + (t.value[leaf + k] as number);
    }
    for (let k = 0; k < K; k++) out[o + k] = (out[o + k] as number) * inv;
  }
  return out;
}

function referenceMean(trees: TreeArrays[], X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (const t of trees) s += t.value[leafIndex(t, X.data, i * X.cols)] as number;
    out[i] = s / trees.length;
  }
  return out;
}

/** Indices where a and b differ bit for bit (Object.is also tells 0 from -0). */
function differences(a: Float64Array, b: Float64Array): number[] {
  expect(b.length).toBe(a.length);
  const bad: number[] = [];
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) bad.push(i);
  return bad;
}

// Rows on a coarse grid, so many test values equal a split threshold's neighbours exactly.
function gridData(n: number, d: number, seed: number) {
  const rng = mulberry32(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => Math.floor(rng() * 5) / 4);
    rows.push(x);
    y.push((x[0] as number) + (x[1] as number) > 1 ? 1 : (x[2] as number) > 0.5 ? 2 : 0);
  }
  return { X: fromRows(rows), y: Float64Array.from(y) };
}

const fresh = (n: number, d: number, seed: number) => uniformData(n, d, () => 0, seed).X;

describe('packed forest prediction', () => {
  const classCases = [
    {
      name: '3 blobs, 13 trees (a group of 8 and a remainder)',
      data: blobs(
        [
          [0, 0, 0],
          [1.5, 1, 0],
          [0, 1.5, 1],
        ],
        60,
        0.8,
        3,
      ),
      opts: { nEstimators: 13, seed: 1 },
    },
    {
      name: 'binary, entropy, 24 trees',
      data: blobs(
        [
          [0, 0, 0, 0],
          [1, 1, 0, 1],
        ],
        100,
        1,
        4,
      ),
      opts: { nEstimators: 24, seed: 2, criterion: 'entropy' as const },
    },
    {
      name: 'grid with ties, 3 classes, depth 4, no bootstrap',
      data: gridData(250, 5, 5),
      opts: { nEstimators: 9, seed: 3, maxDepth: 4, bootstrap: false },
    },
    { name: 'one tree', data: gridData(120, 3, 6), opts: { nEstimators: 1, seed: 4 } },
  ];

  it.each(classCases)(
    'classifier probabilities and labels equal the unpacked walk bit for bit: $name',
    ({ data, opts }) => {
      // Prepare
      const m = new RandomForestClassifier(opts).fit(data.X, data.y);
      const Xnew = fresh(80, data.X.cols, 11);
      for (const X of [data.X, Xnew]) {
        // Act
        const P = m.predictProba(X);
        const labels = m.predict(X);
        const ref = referenceProba(m.trees, m.classes.length, X);
        // Assess
        expect(differences(ref, P.data)).toEqual([]);
        for (let i = 0; i < X.rows; i++) {
          let best = 0;
          for (let k = 1; k < P.cols; k++)
            if ((ref[i * P.cols + k] as number) > (ref[i * P.cols + best] as number)) best = k;
          expect(labels[i]).toBe(m.classes[best]);
        }
      }
    },
  );

  const regCases = [
    {
      name: 'smooth function, 17 trees',
      data: uniformData(300, 4, (x) => Math.sin(3 * (x[0] as number)) + (x[1] as number) ** 2, 7),
      opts: { nEstimators: 17, seed: 5 },
    },
    {
      name: 'grid with ties, sqrt features, depth 6',
      data: (() => {
        const g = gridData(200, 6, 8);
        return { X: g.X, y: Float64Array.from(g.y, (v, i) => v * 1.7 - (i % 3) * 0.1) };
      })(),
      opts: { nEstimators: 8, seed: 6, maxFeatures: 'sqrt' as const, maxDepth: 6 },
    },
    {
      name: 'constant target (every tree a lone leaf)',
      data: { X: fresh(40, 2, 9), y: new Float64Array(40).fill(-2.5) },
      opts: { nEstimators: 10, seed: 7 },
    },
  ];

  it.each(regCases)('regressor means equal the unpacked walk bit for bit: $name', ({ data, opts }) => {
    // Prepare
    const m = new RandomForestRegressor(opts).fit(data.X, data.y);
    for (const X of [data.X, fresh(60, data.X.cols, 12)]) {
      // Act
      const p = m.predict(X);
      // Assess
      expect(differences(referenceMean(m.trees, X), p)).toEqual([]);
    }
  });

  it('single-row calls give the same values as one batch call', () => {
    // Prepare
    const { X, y } = blobs(
      [
        [0, 0],
        [2, 1],
      ],
      50,
      1,
      9,
    );
    const m = new RandomForestClassifier({ nEstimators: 11, seed: 8 }).fit(X, y);
    const batch = m.predictProba(X).data;
    // Act
    const rows = Array.from(
      { length: X.rows },
      (_, i) => m.predictProba({ rows: 1, cols: 2, data: X.data.slice(i * 2, i * 2 + 2) }).data,
    );
    // Assess
    expect(differences(batch, Float64Array.from(rows.flatMap((r) => Array.from(r))))).toEqual([]);
  });

  it('a model reloaded from its JSON artifact predicts bit-identically; the artifact layout is unchanged', () => {
    // Prepare
    const { X, y } = uniformData(150, 3, (x) => (x[0] as number) * 2 - (x[2] as number), 10);
    const m = new RandomForestRegressor({ nEstimators: 12, seed: 9 }).fit(X, y);
    const a = m.toArtifact();
    // Act
    const back = loadModel(JSON.parse(JSON.stringify(a)));
    // Assess
    expect(differences(m.predict(X), back.predict(X))).toEqual([]);
    const tree = (a.state.trees as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(Object.keys(tree).sort()).toEqual(['feature', 'left', 'nOut', 'right', 'threshold', 'value']);
  });

  it('replacing the trees repacks them before the next prediction', () => {
    // Prepare
    const { X, y } = uniformData(120, 2, (x) => x[0] as number, 11);
    const a = new RandomForestRegressor({ nEstimators: 5, seed: 1 }).fit(X, y);
    const b = new RandomForestRegressor({ nEstimators: 7, seed: 2 }).fit(X, y);
    a.predict(X);
    // Act
    a.trees = b.trees;
    // Assess
    expect(differences(b.predict(X), a.predict(X))).toEqual([]);
  });
});

describe('packTrees', () => {
  const leaf = (v: number): TreeArrays => ({
    feature: Int32Array.of(-1),
    threshold: Float64Array.of(0),
    left: Int32Array.of(-1),
    right: Int32Array.of(-1),
    value: Float64Array.of(v),
    nOut: 1,
  });
  // A stump on feature 1: x1 <= 0.5 gives 10, else 20; children stored right first to test the relayout.
  const stump: TreeArrays = {
    feature: Int32Array.of(1, -1, -1),
    threshold: Float64Array.of(0.5, 0, 0),
    left: Int32Array.of(2, -1, -1),
    right: Int32Array.of(1, -1, -1),
    value: Float64Array.of(15, 20, 10),
    nOut: 1,
  };

  it('sums leaf values in tree order, sending a value equal to the threshold left', () => {
    // Prepare
    const p = packTrees([stump, leaf(1), stump], 2);
    const acc = new Float64Array(1);
    // Act
    accumulateRow(p, Float64Array.of(9, 0.5), 0, acc);
    const atThreshold = acc[0];
    acc.fill(0);
    accumulateRow(p, Float64Array.of(0, 0, 9, 0.75), 2, acc);
    // Assess
    expect(atThreshold).toBe(21);
    expect(acc[0]).toBe(41);
    expect(Array.from(p.depth)).toEqual([1, 0, 1]);
  });

  it('refuses bad input with the rule broken', () => {
    // Prepare
    const shared: TreeArrays = { ...stump, left: Int32Array.of(1, -1, -1) };
    const twoOut: TreeArrays = { ...leaf(1), value: Float64Array.of(0.5, 0.5), nOut: 2 };
    // Act / Assess
    expect(() => packTrees([], 2)).toThrow(/trees.*at least one tree/);
    expect(() => packTrees([stump], 1)).toThrow(/feature 1 of 1/);
    expect(() => packTrees([shared], 2)).toThrow(/twice/);
    expect(() => packTrees([leaf(1), twoOut], 2)).toThrow(/outputs per leaf/);
  });
});
