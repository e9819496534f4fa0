import { describe, expect, it } from 'vitest';
import { affine, backDelta, gemmTN } from '../../../src/core/ml/gemm.ts';
import { mulberry32 } from '../../../src/core/random.ts';

// The plain loops the kernels replace, summing in the order the MLP always used.
function plainAffine(A: Float64Array, rows: number, k: number, W: Float64Array, m: number, b: Float64Array) {
  const Z = new Float64Array(rows * m);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < m; j++) {
      let s = b[j] as number;
      for (let p = 0; p < k; p++) s += (A[i * k + p] as number) * (W[p * m + j] as number);
      Z[i * m + j] = s;
    }
  return Z;
}

function plainGemmTN(A: Float64Array, D: Float64Array, rows: number, k: number, m: number) {
  const G = new Float64Array(k * m);
  for (let i = 0; i < rows; i++)
    for (let p = 0; p < k; p++)
      for (let j = 0; j < m; j++)
        G[p * m + j] = (G[p * m + j] as number) + (A[i * k + p] as number) * (D[i * m + j] as number);
  return G;
}

function plainBackDelta(
  D: Float64Array,
  W: Float64Array,
  A: Float64Array,
  rows: number,
  k: number,
  m: number,
) {
  const P = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++)
    for (let p = 0; p < k; p++) {
      if ((A[i * k + p] as number) <= 0) continue;
      let s = 0;
      for (let j = 0; j < m; j++) s += (D[i * m + j] as number) * (W[p * m + j] as number);
      P[i * k + p] = s;
    }
  return P;
}

/** Values in [-1, 1), a share of them exactly 0 (as ReLU outputs are). */
function values(rng: () => number, n: number, zeroShare: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng() < zeroShare ? 0 : 2 * rng() - 1));
}

/** Positions where the two arrays differ under `===` (NaN equals NaN). */
function mismatches(a: Float64Array, b: Float64Array): number[] {
  expect(a.length).toBe(b.length);
  const bad: number[] = [];
  for (let q = 0; q < a.length; q++) {
    const x = a[q] as number;
    const y = b[q] as number;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) bad.push(q);
  }
  return bad;
}

const SHAPES: [number, number, number][] = [];
for (let rows = 1; rows <= 9; rows++)
  for (let k = 1; k <= 9; k++) for (let m = 1; m <= 9; m++) SHAPES.push([rows, k, m]);
SHAPES.push([200, 40, 64], [37, 64, 32], [13, 30, 1], [256, 13, 3]);

describe('MLP kernels', () => {
  it('affine gives exactly the plain loop on every block/remainder shape, with and without ReLU', () => {
    // Prepare
    const rng = mulberry32(21);
    let bad = 0;
    for (const [rows, k, m] of SHAPES) {
      const A = values(rng, rows * k, 0.4);
      const W = values(rng, k * m, 0);
      const b = values(rng, m, 0);
      const Z = new Float64Array(rows * m);
      const expected = plainAffine(A, rows, k, W, m, b);
      // Act
      affine(A, rows, k, W, m, b, Z, false);
      bad += mismatches(Z, expected).length;
      affine(A, rows, k, W, m, b, Z, true);
      // No NaN in these data, and === does not tell -0 from 0, so Math.max is the plain loop's ReLU here.
      bad += mismatches(
        Z,
        expected.map((v) => Math.max(v, 0)),
      ).length;
    }
    // Assess
    expect(bad).toBe(0);
  });

  it('affine on a hand-computed case: bias first, then the terms; ReLU zeroes negatives and keeps NaN', () => {
    // Prepare: A is 2 x 2, W is 2 x 3.
    const A = Float64Array.of(1, 2, 0, -1);
    const W = Float64Array.of(1, 0, 2, 0, 1, 3);
    const b = Float64Array.of(0.5, -3, Number.NaN);
    const Z = new Float64Array(6);
    // Act
    affine(A, 2, 2, W, 3, b, Z, false);
    const linear = Array.from(Z);
    affine(A, 2, 2, W, 3, b, Z, true);
    // Assess: row 0 = [0.5+1, -3+2, NaN], row 1 = [0.5, -3-1, NaN].
    expect(linear).toEqual([1.5, -1, Number.NaN, 0.5, -4, Number.NaN]);
    expect(Array.from(Z)).toEqual([1.5, 0, Number.NaN, 0.5, 0, Number.NaN]);
  });

  it('gemmTN gives exactly Aᵀ D summed in row order, on every shape', () => {
    // Prepare
    const rng = mulberry32(22);
    let bad = 0;
    for (const [rows, k, m] of SHAPES) {
      const A = values(rng, rows * k, 0.4);
      const D = values(rng, rows * m, 0.3);
      const G = new Float64Array(k * m).fill(Number.NaN);
      // Act
      gemmTN(A, D, rows, k, m, G);
      // Assess
      bad += mismatches(G, plainGemmTN(A, D, rows, k, m)).length;
    }
    expect(bad).toBe(0);
  });

  it('gemmTN on a hand-computed case', () => {
    // Prepare: A = [[1, 2], [3, 4]], D = [[5], [6]].
    const G = new Float64Array(2);
    // Act
    gemmTN(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6), 2, 2, 1, G);
    // Assess: Aᵀ D = [1*5 + 3*6, 2*5 + 4*6].
    expect(Array.from(G)).toEqual([23, 34]);
  });

  it('backDelta gives exactly D Wᵀ masked by A > 0, on every shape (stale output overwritten)', () => {
    // Prepare
    const rng = mulberry32(23);
    let bad = 0;
    for (const [rows, k, m] of SHAPES) {
      const D = values(rng, rows * m, 0.3);
      const W = values(rng, k * m, 0);
      const A = values(rng, rows * k, 0.5);
      const P = new Float64Array(rows * k).fill(7);
      // Act
      backDelta(D, W, A, rows, k, m, P);
      // Assess
      bad += mismatches(P, plainBackDelta(D, W, A, rows, k, m)).length;
    }
    expect(bad).toBe(0);
  });

  it('backDelta on a hand-computed case: inactive units get 0', () => {
    // Prepare: D = [[1, 2]], W = [[3, 4], [5, 6]], A = [[0.2, -1]].
    const P = new Float64Array(2).fill(9);
    // Act
    backDelta(Float64Array.of(1, 2), Float64Array.of(3, 4, 5, 6), Float64Array.of(0.2, -1), 1, 2, 2, P);
    // Assess: unit 0 = 1*3 + 2*4 = 11; unit 1 is inactive.
    expect(Array.from(P)).toEqual([11, 0]);
  });

  it('a block whose A entries are all zero still gets the bias (forward) and zero (gradient)', () => {
    // Prepare: 4 rows x 4 inputs, all zero, so the kernels skip every term.
    const A = new Float64Array(16);
    const W = Float64Array.from({ length: 16 }, (_, q) => q + 1);
    const b = Float64Array.of(1, -2, 3, -4);
    const Z = new Float64Array(16).fill(Number.NaN);
    const G = new Float64Array(16).fill(Number.NaN);
    // Act
    affine(A, 4, 4, W, 4, b, Z, false);
    gemmTN(A, W, 4, 4, 4, G);
    // Assess
    expect(Array.from(Z)).toEqual([1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4]);
    expect(Array.from(G)).toEqual(new Array(16).fill(0));
  });
});
