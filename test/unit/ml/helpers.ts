import { fromRows, type Matrix } from '../../../src/core/ml/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** Gaussian blobs around the given centres, `per` rows each; labels 0..k-1. */
export function blobs(
  centres: number[][],
  per: number,
  sd: number,
  seed = 1,
): { X: Matrix; y: Float64Array } {
  const rng = mulberry32(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  centres.forEach((c, k) => {
    for (let i = 0; i < per; i++) {
      rows.push(c.map((v) => normal(rng, v, sd)));
      y.push(k);
    }
  });
  return { X: fromRows(rows), y: Float64Array.from(y) };
}

/** Uniform [0,1) features and a target from `f`. */
export function uniformData(n: number, d: number, f: (x: number[]) => number, seed = 2) {
  const rng = mulberry32(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => rng());
    rows.push(x);
    y.push(f(x));
  }
  return { X: fromRows(rows), y: Float64Array.from(y) };
}
