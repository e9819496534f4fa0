/**
 * Multi-layer perceptron (the deep-learning family): several ReLU hidden layers, softmax / logistic / identity
 * output, L2 penalty, mini-batches, Adam, early stopping on a held-out validation share with the best
 * weights restored. Training follows scikit-learn's MLPClassifier / MLPRegressor (Glorot-uniform init,
 * batch min(200, n), alpha 1e-4, validation 10 %, stop after more than `nIterNoChange` epochs without a
 * validation-score gain of `tol`), so the figures are comparable. Scale the inputs (pipeline).
 * Speed: every buffer of a fit is allocated once, and the three products of each layer (forward, weight
 * gradient, back-propagated delta) run in the register-blocked kernels of gemm.ts, which sum in the same order
 * as the plain loops, so a seed gives the same weights as before they were introduced.
 */
import { mulberry32, type Rng, randomInt } from '../random.ts';
import { affine, backDelta, gemmTN } from './gemm.ts';
import {
  argmaxLabels,
  checkClassTarget,
  checkParam,
  checkX,
  checkY,
  type Matrix,
  MlInputError,
} from './matrix.ts';
import {
  artifact,
  type Classifier,
  checkArtifact,
  f64,
  type Model,
  type ModelArtifact,
  notFitted,
} from './model.ts';

/** Options of the MLPs. */
export interface MlpOptions {
  /** Units per hidden layer. @default [100] */
  readonly hiddenLayerSizes?: readonly number[];
  /** Adam step size. @default 0.001 */
  readonly learningRate?: number;
  /** L2 penalty. @default 0.0001 */
  readonly alpha?: number;
  /** @default min(200, n) */
  readonly batchSize?: number;
  /** Epochs. @default 200 */
  readonly maxIter?: number;
  /** @default false */
  readonly earlyStopping?: boolean;
  /** @default 0.1 */
  readonly validationFraction?: number;
  /** @default 10 */
  readonly nIterNoChange?: number;
  /** @default 1e-4 */
  readonly tol?: number;
  /** @default 0 */
  readonly seed?: number;
}

type Output = 'softmax' | 'logistic' | 'identity';

const ADAM_B1 = 0.9;
const ADAM_B2 = 0.999;

interface Net {
  sizes: number[];
  W: Float64Array[];
  b: Float64Array[];
}

function forward(net: Net, X: Float64Array, B: number, acts: Float64Array[], out: Output): void {
  acts[0] = X;
  const L = net.W.length;
  for (let l = 0; l < L; l++) {
    const k = net.sizes[l] as number;
    const m = net.sizes[l + 1] as number;
    const Z = acts[l + 1] as Float64Array;
    const hidden = l < L - 1;
    affine(acts[l] as Float64Array, B, k, net.W[l] as Float64Array, m, net.b[l] as Float64Array, Z, hidden);
    if (hidden) continue;
    if (out === 'softmax') {
      for (let i = 0; i < B; i++) {
        const zo = i * m;
        let mx = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < m; j++) mx = Math.max(mx, Z[zo + j] as number);
        let s = 0;
        for (let j = 0; j < m; j++) {
          const e = Math.exp((Z[zo + j] as number) - mx);
          Z[zo + j] = e;
          s += e;
        }
        for (let j = 0; j < m; j++) Z[zo + j] = (Z[zo + j] as number) / s;
      }
    } else if (out === 'logistic') {
      for (let q = 0; q < B * m; q++) Z[q] = 1 / (1 + Math.exp(-(Z[q] as number)));
    }
  }
}

/** Rows per forward pass when predicting (and scoring the validation rows). */
const CHUNK = 256;

/** Activation buffers for forward passes of up to CHUNK rows. */
function chunkBuffers(sizes: readonly number[]): Float64Array[] {
  return sizes.map((s) => new Float64Array(CHUNK * s));
}

/** Buffers of one fit, allocated once and reused by every batch. */
interface Workspace {
  /** Activations per layer (B x size); acts[0] is the batch input. */
  acts: Float64Array[];
  /** Loss gradients with respect to each layer's pre-activations (B x size). */
  deltas: Float64Array[];
  gW: Float64Array[];
  gb: Float64Array[];
  /** The batch's inputs (B x d) and encoded targets (B x nOut). */
  xb: Float64Array;
  tb: Float64Array;
}

/**
 * Forward and backward pass over the first `bs` rows of `ws.xb` / `ws.tb`: fills `ws.gW` / `ws.gb` with the
 * mean gradient (L2 term included) and returns the batch loss. Kept out of `train` so the optimiser compiles a
 * small, stable function.
 */
function batchGradient(net: Net, ws: Workspace, bs: number, out: Output, alpha: number): number {
  const { sizes } = net;
  const L = net.W.length;
  forward(net, ws.xb, bs, ws.acts, out);
  const nOut = sizes[L] as number;
  let loss =
    outputDelta(ws.acts[L] as Float64Array, ws.tb, ws.deltas[L] as Float64Array, bs * nOut, out) / bs;
  let pen = 0;
  for (let l = L - 1; l >= 0; l--) {
    const k = sizes[l] as number;
    const m = sizes[l + 1] as number;
    const A = ws.acts[l] as Float64Array;
    const Dl = ws.deltas[l + 1] as Float64Array;
    const W = net.W[l] as Float64Array;
    gemmTN(A, Dl, bs, k, m, ws.gW[l] as Float64Array);
    biasGradient(Dl, bs, m, ws.gb[l] as Float64Array);
    pen = penaliseAndScale(W, ws.gW[l] as Float64Array, alpha, bs, pen);
    if (l > 0) backDelta(Dl, W, A, bs, k, m, ws.deltas[l] as Float64Array);
  }
  loss += (0.5 * alpha * pen) / bs;
  return loss;
}

/**
 * D = Y - T (the output delta has that form for softmax + cross-entropy, logistic + cross-entropy and
 * identity + half squared error); returns the summed loss of the `count` outputs.
 */
function outputDelta(Y: Float64Array, T: Float64Array, D: Float64Array, count: number, out: Output): number {
  let loss = 0;
  for (let q = 0; q < count; q++) {
    const yv = Y[q] as number;
    const tv = T[q] as number;
    D[q] = yv - tv;
    if (out === 'identity') loss += 0.5 * (yv - tv) ** 2;
    else if (out === 'softmax') {
      if (tv > 0) loss -= Math.log(Math.max(yv, 1e-300));
    } else loss -= tv * Math.log(Math.max(yv, 1e-300)) + (1 - tv) * Math.log(Math.max(1 - yv, 1e-300));
  }
  return loss;
}

/** Gb = mean over the `bs` rows of D (bs x m). */
function biasGradient(D: Float64Array, bs: number, m: number, Gb: Float64Array): void {
  Gb.fill(0);
  for (let i = 0; i < bs; i++) {
    const dof = i * m;
    for (let j = 0; j < m; j++) Gb[j] = (Gb[j] as number) + (D[dof + j] as number);
  }
  for (let j = 0; j < m; j++) Gb[j] = (Gb[j] as number) / bs;
}

/**
 * G = (G + alpha W) / bs, the mean gradient with the L2 term; returns `pen` plus the squared weights (one
 * running sum over all layers, as the loss has always been summed).
 */
function penaliseAndScale(W: Float64Array, G: Float64Array, alpha: number, bs: number, pen0: number): number {
  let pen = pen0;
  for (let q = 0; q < G.length; q++) {
    const w = W[q] as number;
    pen += w * w;
    G[q] = ((G[q] as number) + alpha * w) / bs;
  }
  return pen;
}

/** One Adam update of the parameters P from their gradient G (moments M, V), step size already bias-corrected. */
function adamStep(P: Float64Array, G: Float64Array, M: Float64Array, V: Float64Array, lrT: number): void {
  for (let q = 0; q < P.length; q++) {
    const g = G[q] as number;
    const mq = ADAM_B1 * (M[q] as number) + (1 - ADAM_B1) * g;
    const vq = ADAM_B2 * (V[q] as number) + (1 - ADAM_B2) * g * g;
    M[q] = mq;
    V[q] = vq;
    P[q] = (P[q] as number) - (lrT * mq) / (Math.sqrt(vq) + 1e-8);
  }
}

function initNet(sizes: number[], rng: Rng): Net {
  const W: Float64Array[] = [];
  const b: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const k = sizes[l] as number;
    const m = sizes[l + 1] as number;
    const bound = Math.sqrt(6 / (k + m));
    W.push(Float64Array.from({ length: k * m }, () => (2 * rng() - 1) * bound));
    b.push(Float64Array.from({ length: m }, () => (2 * rng() - 1) * bound));
  }
  return { sizes, W, b };
}

function cloneNet(n: Net): Net {
  return {
    sizes: [...n.sizes],
    W: n.W.map((w) => Float64Array.from(w)),
    b: n.b.map((v) => Float64Array.from(v)),
  };
}

abstract class MlpBase {
  readonly opts: MlpOptions;
  net?: Net;
  nFeatures = 0;
  /** Epochs run by the last fit. */
  nIter = 0;
  /** Training loss per epoch. */
  lossCurve: number[] = [];

  constructor(opts: MlpOptions) {
    this.opts = { ...opts, hiddenLayerSizes: [...(opts.hiddenLayerSizes ?? [100])] };
    const o = this.resolved();
    o.hiddenLayerSizes.forEach((h, i) => {
      checkParam(`hiddenLayerSizes[${i}]`, h, 1, 1e6, true);
    });
    checkParam('learningRate', o.learningRate, Number.MIN_VALUE);
    checkParam('alpha', o.alpha, 0);
    checkParam('maxIter', o.maxIter, 1, 1e7, true);
    checkParam('validationFraction', o.validationFraction, Number.MIN_VALUE, 0.99);
    checkParam('nIterNoChange', o.nIterNoChange, 1, 1e6, true);
    checkParam('tol', o.tol, 0);
    if (o.batchSize !== undefined) checkParam('batchSize', o.batchSize, 1, 1e9, true);
  }

  protected resolved() {
    const o = this.opts;
    return {
      hiddenLayerSizes: o.hiddenLayerSizes ?? [100],
      learningRate: o.learningRate ?? 1e-3,
      alpha: o.alpha ?? 1e-4,
      batchSize: o.batchSize,
      maxIter: o.maxIter ?? 200,
      earlyStopping: o.earlyStopping ?? false,
      validationFraction: o.validationFraction ?? 0.1,
      nIterNoChange: o.nIterNoChange ?? 10,
      tol: o.tol ?? 1e-4,
      seed: o.seed ?? 0,
    };
  }

  /**
   * Trains on X and the encoded target T (n x nOut: one-hot, 0/1 or values). `score(pred, rows)` is the
   * validation score (higher is better).
   */
  protected train(
    X: Matrix,
    T: Float64Array,
    nOut: number,
    out: Output,
    strata: Int32Array | null,
    score: (P: Float64Array, rows: Int32Array) => number,
  ): void {
    const o = this.resolved();
    const rng = mulberry32(o.seed);
    const n = X.rows;
    const d = X.cols;
    let trainRows: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
    let valRows: Int32Array = new Int32Array(0);
    if (o.earlyStopping) {
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = randomInt(rng, i + 1);
        const t = perm[i] as number;
        perm[i] = perm[j] as number;
        perm[j] = t;
      }
      const isVal = new Uint8Array(n);
      if (strata) {
        const groups = new Map<number, number[]>();
        for (const i of perm) {
          const c = strata[i] as number;
          const g = groups.get(c);
          if (g) g.push(i);
          else groups.set(c, [i]);
        }
        for (const g of groups.values())
          for (let a = 0; a < Math.round(g.length * o.validationFraction); a++) isVal[g[a] as number] = 1;
      } else for (let a = 0; a < Math.ceil(n * o.validationFraction); a++) isVal[perm[a] as number] = 1;
      const tr: number[] = [];
      const va: number[] = [];
      for (let i = 0; i < n; i++) (isVal[i] ? va : tr).push(i);
      trainRows = Int32Array.from(tr);
      valRows = Int32Array.from(va);
      if (valRows.length === 0 || trainRows.length === 0)
        throw new MlInputError('validationFraction', 'rows', 'leaves no rows for training or validation');
    }
    const sizes = [d, ...o.hiddenLayerSizes, nOut];
    let net = initNet(sizes, rng);
    const L = net.W.length;
    const nTr = trainRows.length;
    const B = Math.min(o.batchSize ?? 200, nTr);
    const ws: Workspace = {
      acts: sizes.map((s) => new Float64Array(B * s)),
      deltas: sizes.map((s) => new Float64Array(B * s)),
      gW: net.W.map((w) => new Float64Array(w.length)),
      gb: net.b.map((v) => new Float64Array(v.length)),
      xb: new Float64Array(B * d),
      tb: new Float64Array(B * nOut),
    };
    const { gW, gb, xb, tb } = ws;
    const mW = net.W.map((w) => new Float64Array(w.length));
    const vW = net.W.map((w) => new Float64Array(w.length));
    const mb = net.b.map((v) => new Float64Array(v.length));
    const vb = net.b.map((v) => new Float64Array(v.length));
    const order = Int32Array.from(trainRows);
    let step = 0;
    let best = Number.NEGATIVE_INFINITY;
    let bestNet: Net | undefined;
    let noImprove = 0;
    let bestLoss = Number.POSITIVE_INFINITY;
    this.lossCurve = [];
    const Xv: Matrix = { rows: valRows.length, cols: d, data: new Float64Array(valRows.length * d) };
    for (let a = 0; a < valRows.length; a++)
      Xv.data.set(X.data.subarray((valRows[a] as number) * d, (valRows[a] as number) * d + d), a * d);
    const valActs = chunkBuffers(sizes);
    let epoch = 0;
    for (; epoch < o.maxIter; epoch++) {
      for (let i = nTr - 1; i > 0; i--) {
        const j = randomInt(rng, i + 1);
        const t = order[i] as number;
        order[i] = order[j] as number;
        order[j] = t;
      }
      let epochLoss = 0;
      for (let s = 0; s < nTr; s += B) {
        const bs = Math.min(B, nTr - s);
        for (let a = 0; a < bs; a++) {
          const i = order[s + a] as number;
          // Plain copies: a subarray view per row would allocate 2 * B objects per batch.
          for (let c = 0; c < d; c++) xb[a * d + c] = X.data[i * d + c] as number;
          for (let c = 0; c < nOut; c++) tb[a * nOut + c] = T[i * nOut + c] as number;
        }
        const loss = batchGradient(net, ws, bs, out, o.alpha);
        epochLoss += loss * bs;
        // Adam step.
        step++;
        const lrT = (o.learningRate * Math.sqrt(1 - ADAM_B2 ** step)) / (1 - ADAM_B1 ** step);
        for (let l = 0; l < L; l++) {
          adamStep(
            net.W[l] as Float64Array,
            gW[l] as Float64Array,
            mW[l] as Float64Array,
            vW[l] as Float64Array,
            lrT,
          );
          adamStep(
            net.b[l] as Float64Array,
            gb[l] as Float64Array,
            mb[l] as Float64Array,
            vb[l] as Float64Array,
            lrT,
          );
        }
      }
      epochLoss /= nTr;
      this.lossCurve.push(epochLoss);
      if (o.earlyStopping) {
        const P = this.forwardAll(net, Xv, out, valActs);
        const sc = score(P, valRows);
        if (sc < best + o.tol) noImprove++;
        else noImprove = 0;
        if (sc > best) {
          best = sc;
          bestNet = cloneNet(net);
        }
      } else {
        if (epochLoss > bestLoss - o.tol) noImprove++;
        else noImprove = 0;
        if (epochLoss < bestLoss) bestLoss = epochLoss;
      }
      if (noImprove > o.nIterNoChange) {
        epoch++;
        break;
      }
    }
    if (o.earlyStopping && bestNet) net = bestNet;
    this.net = net;
    this.nFeatures = d;
    this.nIter = epoch;
  }

  protected forwardAll(
    net: Net,
    X: Matrix,
    out: Output,
    acts: Float64Array[] = chunkBuffers(net.sizes),
  ): Float64Array {
    const sizes = net.sizes;
    const nOut = sizes[sizes.length - 1] as number;
    const res = new Float64Array(X.rows * nOut);
    for (let s = 0; s < X.rows; s += CHUNK) {
      const bs = Math.min(CHUNK, X.rows - s);
      forward(net, X.data.subarray(s * X.cols, (s + bs) * X.cols), bs, acts, out);
      res.set((acts[sizes.length - 1] as Float64Array).subarray(0, bs * nOut), s * nOut);
    }
    return res;
  }

  protected predictRaw(X: Matrix, kind: string, out: Output): Float64Array {
    if (!this.net) return notFitted(kind);
    checkX(X, { nFeatures: this.nFeatures });
    return this.forwardAll(this.net, X, out);
  }

  protected netState(): Record<string, unknown> {
    const net = this.net as Net;
    return {
      sizes: net.sizes,
      W: net.W.map((w) => Array.from(w)),
      b: net.b.map((v) => Array.from(v)),
      nIter: this.nIter,
    };
  }

  protected loadNet(a: ModelArtifact) {
    const s = a.state;
    const sizes = s.sizes;
    if (
      !Array.isArray(sizes) ||
      !Array.isArray(s.W) ||
      !Array.isArray(s.b) ||
      s.W.length !== sizes.length - 1
    )
      throw new MlInputError('artifact.state', 'shape', 'sizes, W and b do not describe a network');
    const W = (s.W as unknown[]).map((_, l) => f64(s.W as unknown as Record<string, unknown>, String(l)));
    const b = (s.b as unknown[]).map((_, l) => f64(s.b as unknown as Record<string, unknown>, String(l)));
    W.forEach((w, l) => {
      if (
        w.length !== (sizes[l] as number) * (sizes[l + 1] as number) ||
        (b[l] as Float64Array).length !== sizes[l + 1]
      )
        throw new MlInputError(`artifact.state.W[${l}]`, 'shape', 'does not match sizes');
    });
    this.net = { sizes: sizes as number[], W, b };
    this.nFeatures = a.nFeatures;
  }
}

/**
 * MLP classifier (softmax output; logistic for two classes).
 *
 * @example
 * new MLPClassifier({ hiddenLayerSizes: [64, 32], earlyStopping: true }).fit(X, y).predictProba(X);
 */
export class MLPClassifier extends MlpBase implements Classifier {
  readonly kind = 'mlp_classifier';
  readonly task = 'classification' as const;
  classes: Float64Array = new Float64Array(0);

  constructor(opts: MlpOptions = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    const { classes, codes } = checkClassTarget(y, X.rows);
    const K = classes.length;
    const nOut = K === 2 ? 1 : K;
    const T = new Float64Array(X.rows * nOut);
    for (let i = 0; i < X.rows; i++) {
      if (nOut === 1) T[i] = codes[i] as number;
      else T[i * K + (codes[i] as number)] = 1;
    }
    this.classes = classes;
    this.train(X, T, nOut, nOut === 1 ? 'logistic' : 'softmax', codes, (P, rows) => {
      let ok = 0;
      for (let a = 0; a < rows.length; a++) {
        const c = codes[rows[a] as number] as number;
        let pred = 0;
        if (nOut === 1) pred = (P[a] as number) > 0.5 ? 1 : 0;
        else for (let k = 1; k < K; k++) if ((P[a * K + k] as number) > (P[a * K + pred] as number)) pred = k;
        if (pred === c) ok++;
      }
      return ok / rows.length;
    });
    return this;
  }

  predictProba(X: Matrix): Matrix {
    const K = this.classes.length;
    const raw = this.predictRaw(X, this.kind, K === 2 ? 'logistic' : 'softmax');
    if (K > 2) return { rows: X.rows, cols: K, data: raw };
    const out = new Float64Array(X.rows * 2);
    for (let i = 0; i < X.rows; i++) {
      out[i * 2] = 1 - (raw[i] as number);
      out[i * 2 + 1] = raw[i] as number;
    }
    return { rows: X.rows, cols: 2, data: out };
  }

  predict(X: Matrix): Float64Array {
    return argmaxLabels(this.predictProba(X), this.classes);
  }

  toArtifact(): ModelArtifact {
    if (!this.net) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.nFeatures,
      { ...this.opts },
      { classes: Array.from(this.classes), ...this.netState() },
    );
  }

  static fromArtifact(a: ModelArtifact): MLPClassifier {
    checkArtifact(a, 'mlp_classifier');
    const m = new MLPClassifier(a.params as MlpOptions);
    m.classes = f64(a.state, 'classes');
    m.loadNet(a);
    return m;
  }
}

/** MLP regressor (identity output, half squared error; the target is not scaled). */
export class MLPRegressor extends MlpBase implements Model {
  readonly kind = 'mlp_regressor';
  readonly task = 'regression' as const;

  constructor(opts: MlpOptions = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    checkY(y, X.rows);
    const T = Float64Array.from(y);
    this.train(X, T, 1, 'identity', null, (P, rows) => {
      let mean = 0;
      for (const i of rows) mean += T[i] as number;
      mean /= rows.length;
      let res = 0;
      let tot = 0;
      for (let a = 0; a < rows.length; a++) {
        const t = T[rows[a] as number] as number;
        res += (t - (P[a] as number)) ** 2;
        tot += (t - mean) ** 2;
      }
      return tot === 0 ? -res : 1 - res / tot;
    });
    return this;
  }

  predict(X: Matrix): Float64Array {
    return this.predictRaw(X, this.kind, 'identity');
  }

  toArtifact(): ModelArtifact {
    if (!this.net) return notFitted(this.kind);
    return artifact(this.kind, this.task, this.nFeatures, { ...this.opts }, this.netState());
  }

  static fromArtifact(a: ModelArtifact): MLPRegressor {
    checkArtifact(a, 'mlp_regressor');
    const m = new MLPRegressor(a.params as MlpOptions);
    m.loadNet(a);
    return m;
  }
}
