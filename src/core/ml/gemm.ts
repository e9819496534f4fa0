/**
 * Dense kernels of the MLP's forward and backward passes on row-major Float64Arrays. They are register
 * blocked (four by four partial sums held in locals), so each value loaded from memory feeds four
 * multiply-adds instead of the plain triple loop's load-add-store per term, which is what bounds that loop in
 * V8. Every output element still sums its terms in the plain loop's order (bias or zero first, then the inner
 * index ascending), so the results are those of the plain loop: a skipped zero term and an added `0 * x` term
 * agree for every finite `x`.
 */

/**
 * Z (rows x m) = A (rows x k) W (k x m) + bias (broadcast over rows), then `max(z, 0)` when `relu` (negative
 * values become 0; NaN stays NaN). A block of four rows skips a term when all four A entries are zero (a unit
 * that ReLU switched off).
 *
 * @example
 * affine(A, 200, 64, W, 32, bias, Z, true); // one hidden layer's activations for a batch of 200 rows
 */
export function affine(
  A: Float64Array,
  rows: number,
  k: number,
  W: Float64Array,
  m: number,
  bias: Float64Array,
  Z: Float64Array,
  relu: boolean,
): void {
  const m4 = m - (m % 4);
  const r4 = rows - (rows % 4);
  for (let i = 0; i < r4; i += 4) {
    const a0o = i * k;
    const a1o = a0o + k;
    const a2o = a1o + k;
    const a3o = a2o + k;
    for (let j = 0; j < m4; j += 4) {
      const b0 = bias[j] as number;
      const b1 = bias[j + 1] as number;
      const b2 = bias[j + 2] as number;
      const b3 = bias[j + 3] as number;
      let s00 = b0;
      let s01 = b1;
      let s02 = b2;
      let s03 = b3;
      let s10 = b0;
      let s11 = b1;
      let s12 = b2;
      let s13 = b3;
      let s20 = b0;
      let s21 = b1;
      let s22 = b2;
      let s23 = b3;
      let s30 = b0;
      let s31 = b1;
      let s32 = b2;
      let s33 = b3;
      for (let p = 0; p < k; p++) {
        const a0 = A[a0o + p] as number;
        const a1 = A[a1o + p] as number;
        const a2 = A[a2o + p] as number;
        const a3 = A[a3o + p] as number;

        const w = p * m + j;
        const w0 = W[w] as number;
        const w1 = W[w + 1] as number;
        const w2 = W[w + 2] as number;
        const w3 = W[w + 3] as number;
        s00 += a0 * w0;
        s01 += a0 * w1;
        s02 += a0 * w2;
        s03 += a0 * w3;
        s10 += a1 * w0;
        s11 += a1 * w1;
        s12 += a1 * w2;
        s13 += a1 * w3;
        s20 += a2 * w0;
        s21 += a2 * w1;
        s22 += a2 * w2;
        s23 += a2 * w3;
        s30 += a3 * w0;
        s31 += a3 * w1;
        s32 += a3 * w2;
        s33 += a3 * w3;
      }
      let z = i * m + j;
      store4(Z, z, s00, s01, s02, s03, relu);
      z += m;
      store4(Z, z, s10, s11, s12, s13, relu);
      z += m;
      store4(Z, z, s20, s21, s22, s23, relu);
      z += m;
      store4(Z, z, s30, s31, s32, s33, relu);
    }
    for (let j = m4; j < m; j++) {
      let s0 = bias[j] as number;
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let p = 0; p < k; p++) {
        const w = W[p * m + j] as number;
        s0 += (A[a0o + p] as number) * w;
        s1 += (A[a1o + p] as number) * w;
        s2 += (A[a2o + p] as number) * w;
        s3 += (A[a3o + p] as number) * w;
      }
      const z = i * m + j;
      Z[z] = relu && s0 < 0 ? 0 : s0;
      Z[z + m] = relu && s1 < 0 ? 0 : s1;
      Z[z + 2 * m] = relu && s2 < 0 ? 0 : s2;
      Z[z + 3 * m] = relu && s3 < 0 ? 0 : s3;
    }
  }
  for (let i = r4; i < rows; i++) {
    const ao = i * k;
    const zo = i * m;
    for (let j = 0; j < m; j++) {
      let s = bias[j] as number;
      for (let p = 0; p < k; p++) s += (A[ao + p] as number) * (W[p * m + j] as number);
      Z[zo + j] = relu && s < 0 ? 0 : s;
    }
  }
}

/** max(x, 0) that keeps NaN and -0 as the comparison `x < 0` of the plain loop does. */
function relu0(x: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.max maps -0 to +0; the plain loop kept x.
  return x < 0 ? 0 : x;
}

function store4(
  Z: Float64Array,
  z: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  relu: boolean,
): void {
  if (relu) {
    Z[z] = relu0(s0);
    Z[z + 1] = relu0(s1);
    Z[z + 2] = relu0(s2);
    Z[z + 3] = relu0(s3);
  } else {
    Z[z] = s0;
    Z[z + 1] = s1;
    Z[z + 2] = s2;
    Z[z + 3] = s3;
  }
}

/**
 * G (k x m) = Aᵀ D for A (rows x k) and D (rows x m): the weight gradient of a batch, summed over rows in
 * row order. A block of four columns of A skips a row when all four entries are zero.
 *
 * @example
 * gemmTN(acts, deltas, 200, 64, 32, G);
 */
export function gemmTN(
  A: Float64Array,
  D: Float64Array,
  rows: number,
  k: number,
  m: number,
  G: Float64Array,
): void {
  const m4 = m - (m % 4);
  const k4 = k - (k % 4);
  for (let p = 0; p < k4; p += 4) {
    for (let j = 0; j < m4; j += 4) {
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      let s20 = 0;
      let s21 = 0;
      let s22 = 0;
      let s23 = 0;
      let s30 = 0;
      let s31 = 0;
      let s32 = 0;
      let s33 = 0;
      for (let i = 0; i < rows; i++) {
        const ao = i * k + p;
        const a0 = A[ao] as number;
        const a1 = A[ao + 1] as number;
        const a2 = A[ao + 2] as number;
        const a3 = A[ao + 3] as number;

        const d = i * m + j;
        const d0 = D[d] as number;
        const d1 = D[d + 1] as number;
        const d2 = D[d + 2] as number;
        const d3 = D[d + 3] as number;
        s00 += a0 * d0;
        s01 += a0 * d1;
        s02 += a0 * d2;
        s03 += a0 * d3;
        s10 += a1 * d0;
        s11 += a1 * d1;
        s12 += a1 * d2;
        s13 += a1 * d3;
        s20 += a2 * d0;
        s21 += a2 * d1;
        s22 += a2 * d2;
        s23 += a2 * d3;
        s30 += a3 * d0;
        s31 += a3 * d1;
        s32 += a3 * d2;
        s33 += a3 * d3;
      }
      let g = p * m + j;
      store4(G, g, s00, s01, s02, s03, false);
      g += m;
      store4(G, g, s10, s11, s12, s13, false);
      g += m;
      store4(G, g, s20, s21, s22, s23, false);
      g += m;
      store4(G, g, s30, s31, s32, s33, false);
    }
    for (let j = m4; j < m; j++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < rows; i++) {
        const dv = D[i * m + j] as number;
        const ao = i * k + p;
        s0 += (A[ao] as number) * dv;
        s1 += (A[ao + 1] as number) * dv;
        s2 += (A[ao + 2] as number) * dv;
        s3 += (A[ao + 3] as number) * dv;
      }
      const g = p * m + j;
      G[g] = s0;
      G[g + m] = s1;
      G[g + 2 * m] = s2;
      G[g + 3 * m] = s3;
    }
  }
  for (let p = k4; p < k; p++) {
    const go = p * m;
    for (let j = 0; j < m4; j += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < rows; i++) {
        const a = A[i * k + p] as number;
        const d = i * m + j;
        s0 += a * (D[d] as number);
        s1 += a * (D[d + 1] as number);
        s2 += a * (D[d + 2] as number);
        s3 += a * (D[d + 3] as number);
      }
      store4(G, go + j, s0, s1, s2, s3, false);
    }
    for (let j = m4; j < m; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += (A[i * k + p] as number) * (D[i * m + j] as number);
      G[go + j] = s;
    }
  }
}

/**
 * P (rows x k) = D Wᵀ for D (rows x m) and W (k x m), masked by the ReLU derivative: P is 0 wherever
 * A (rows x k, the layer's activations) is not positive. Blocks whose sixteen A entries are all inactive are
 * not computed.
 *
 * @example
 * backDelta(deltas, W, acts, 200, 64, 32, prevDeltas);
 */
export function backDelta(
  D: Float64Array,
  W: Float64Array,
  A: Float64Array,
  rows: number,
  k: number,
  m: number,
  P: Float64Array,
): void {
  const k4 = k - (k % 4);
  const r4 = rows - (rows % 4);
  for (let i = 0; i < r4; i += 4) {
    const d0o = i * m;
    const d1o = d0o + m;
    const d2o = d1o + m;
    const d3o = d2o + m;
    for (let p = 0; p < k4; p += 4) {
      const q = i * k + p;
      if (inactive4(A, q) && inactive4(A, q + k) && inactive4(A, q + 2 * k) && inactive4(A, q + 3 * k)) {
        store4(P, q, 0, 0, 0, 0, false);
        store4(P, q + k, 0, 0, 0, 0, false);
        store4(P, q + 2 * k, 0, 0, 0, 0, false);
        store4(P, q + 3 * k, 0, 0, 0, 0, false);
        continue;
      }
      const w0o = p * m;
      const w1o = w0o + m;
      const w2o = w1o + m;
      const w3o = w2o + m;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      let s20 = 0;
      let s21 = 0;
      let s22 = 0;
      let s23 = 0;
      let s30 = 0;
      let s31 = 0;
      let s32 = 0;
      let s33 = 0;
      for (let j = 0; j < m; j++) {
        const w0 = W[w0o + j] as number;
        const w1 = W[w1o + j] as number;
        const w2 = W[w2o + j] as number;
        const w3 = W[w3o + j] as number;
        const d0 = D[d0o + j] as number;
        s00 += d0 * w0;
        s01 += d0 * w1;
        s02 += d0 * w2;
        s03 += d0 * w3;
        const d1 = D[d1o + j] as number;
        s10 += d1 * w0;
        s11 += d1 * w1;
        s12 += d1 * w2;
        s13 += d1 * w3;
        const d2 = D[d2o + j] as number;
        s20 += d2 * w0;
        s21 += d2 * w1;
        s22 += d2 * w2;
        s23 += d2 * w3;
        const d3 = D[d3o + j] as number;
        s30 += d3 * w0;
        s31 += d3 * w1;
        s32 += d3 * w2;
        s33 += d3 * w3;
      }
      storeMasked4(P, A, q, s00, s01, s02, s03);
      storeMasked4(P, A, q + k, s10, s11, s12, s13);
      storeMasked4(P, A, q + 2 * k, s20, s21, s22, s23);
      storeMasked4(P, A, q + 3 * k, s30, s31, s32, s33);
    }
    for (let r = i; r < i + 4; r++) for (let p = k4; p < k; p++) backDeltaOne(D, W, A, r, p, k, m, P);
  }
  for (let r = r4; r < rows; r++) for (let p = 0; p < k; p++) backDeltaOne(D, W, A, r, p, k, m, P);
}

function inactive4(A: Float64Array, q: number): boolean {
  return (
    (A[q] as number) <= 0 &&
    (A[q + 1] as number) <= 0 &&
    (A[q + 2] as number) <= 0 &&
    (A[q + 3] as number) <= 0
  );
}

function storeMasked4(
  P: Float64Array,
  A: Float64Array,
  q: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
): void {
  P[q] = (A[q] as number) > 0 ? s0 : 0;
  P[q + 1] = (A[q + 1] as number) > 0 ? s1 : 0;
  P[q + 2] = (A[q + 2] as number) > 0 ? s2 : 0;
  P[q + 3] = (A[q + 3] as number) > 0 ? s3 : 0;
}

function backDeltaOne(
  D: Float64Array,
  W: Float64Array,
  A: Float64Array,
  r: number,
  p: number,
  k: number,
  m: number,
  P: Float64Array,
): void {
  const q = r * k + p;
  if ((A[q] as number) <= 0) {
    P[q] = 0;
    return;
  }
  const wo = p * m;
  const dOff = r * m;
  let s = 0;
  for (let j = 0; j < m; j++) s += (D[dOff + j] as number) * (W[wo + j] as number);
  P[q] = s;
}
