/**
 * Histogram-based gradient-boosted trees (the LightGBM scheme, as scikit-learn's HistGradientBoosting*):
 * features are bucketed into at most 255 quantile bins once; each tree is grown leaf-wise (best gain first)
 * up to `maxLeafNodes` leaves on gradient/hessian histograms, building the smaller child's histogram and
 * subtracting it from the parent's for the larger. Losses: squared error (regression), binary and
 * multinomial log-loss (one tree per class per iteration). Early stopping on a held-out validation share
 * ('auto': on when more than 10 000 rows), stopping when the last `nIterNoChange` scores did not improve on
 * the one before them by more than `tol`, as scikit-learn does. The fitted trees are plain CART arrays with
 * real-valued thresholds, so prediction needs no binning.
 */
import { mulberry32, type Rng, randomInt } from '../random.ts';
import { checkClassTarget, checkParam, checkX, checkY, type Matrix, MlInputError } from './matrix.ts';
import {
  artifact,
  type Classifier,
  checkArtifact,
  f64,
  type Model,
  type ModelArtifact,
  notFitted,
  num,
} from './model.ts';
import { leafIndex, type TreeArrays, treeFromJson, treeToJson } from './tree.ts';

/** Options of the histogram gradient-boosting models (defaults = scikit-learn's). */
export interface HistGbOptions {
  /** @default 0.1 */
  readonly learningRate?: number;
  /** Boosting iterations. @default 100 */
  readonly maxIter?: number;
  /** @default 31 */
  readonly maxLeafNodes?: number;
  /** @default unlimited */
  readonly maxDepth?: number;
  /** @default 20 */
  readonly minSamplesLeaf?: number;
  /** L2 penalty on leaf values. @default 0 */
  readonly l2Regularization?: number;
  /** At most 255. @default 255 */
  readonly maxBins?: number;
  /** 'auto' enables it for more than 10 000 rows. @default 'auto' */
  readonly earlyStopping?: boolean | 'auto';
  /** @default 0.1 */
  readonly validationFraction?: number;
  /** @default 10 */
  readonly nIterNoChange?: number;
  /** @default 1e-7 */
  readonly tol?: number;
  /** @default 0 */
  readonly seed?: number;
}

const MIN_HESSIAN_TO_SPLIT = 1e-3;

interface BinMapper {
  /** Upper edges per feature: value <= edges[b] falls in bin b (last bin open-ended). */
  readonly edges: Float64Array[];
}

function fitBins(X: Matrix, maxBins: number): BinMapper {
  const { rows: n, cols: d, data } = X;
  const edges: Float64Array[] = [];
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = data[i * d + j] as number;
    const s = Float64Array.from(col).sort();
    const distinct: number[] = [];
    for (let i = 0; i < n; i++) if (i === 0 || s[i] !== s[i - 1]) distinct.push(s[i] as number);
    let e: number[];
    if (distinct.length <= maxBins) {
      e = [];
      for (let k = 0; k + 1 < distinct.length; k++)
        e.push(((distinct[k] as number) + (distinct[k + 1] as number)) / 2);
    } else {
      // Quantiles at 1/maxBins .. (maxBins-1)/maxBins, 'midpoint' interpolation as numpy's percentile.
      e = [];
      for (let q = 1; q < maxBins; q++) {
        const pos = (q / maxBins) * (n - 1);
        const lo = Math.floor(pos);
        const hi = Math.ceil(pos);
        const v = ((s[lo] as number) + (s[hi] as number)) / 2;
        if (e.length === 0 || v > (e[e.length - 1] as number)) e.push(v);
      }
    }
    edges.push(Float64Array.from(e));
  }
  return { edges };
}

/** Bin codes, feature-major (feature j at j*n). */
function applyBins(X: Matrix, bm: BinMapper): Uint8Array {
  const { rows: n, cols: d, data } = X;
  const out = new Uint8Array(n * d);
  for (let j = 0; j < d; j++) {
    const e = bm.edges[j] as Float64Array;
    const m = e.length;
    for (let i = 0; i < n; i++) {
      const v = data[i * d + j] as number;
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= (e[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      out[j * n + i] = lo;
    }
  }
  return out;
}

interface Hist {
  g: Float64Array;
  h: Float64Array;
  c: Float64Array;
}

interface SplitInfo {
  gain: number;
  feature: number;
  bin: number;
  gl: number;
  hl: number;
  cl: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  sumG: number;
  sumH: number;
  hist: Hist;
  split: SplitInfo | null;
}

class TreeGrower {
  readonly d: number;
  readonly n: number;
  private readonly pool: Hist[] = [];
  private readonly idx: Int32Array;
  private readonly tmp: Int32Array;
  /** Start of each feature's bins in a histogram (histograms hold only the bins that exist). */
  private readonly off: Int32Array;
  private readonly size: number;

  constructor(
    readonly bins: Uint8Array,
    n: number,
    d: number,
    readonly nBins: Int32Array,
    readonly edges: Float64Array[],
    readonly o: Required<Omit<HistGbOptions, 'maxDepth' | 'earlyStopping'>> & { maxDepth: number },
  ) {
    this.n = n;
    this.d = d;
    this.idx = new Int32Array(n);
    this.tmp = new Int32Array(n);
    this.off = new Int32Array(d);
    let at = 0;
    for (let f = 0; f < d; f++) {
      this.off[f] = at;
      at += nBins[f] as number;
    }
    this.size = at;
  }

  private hist(): Hist {
    const h = this.pool.pop();
    if (h) return h;
    const size = this.size;
    return { g: new Float64Array(size), h: new Float64Array(size), c: new Float64Array(size) };
  }

  private build(start: number, end: number, grad: Float64Array, hess: Float64Array): Hist {
    const H = this.hist();
    H.g.fill(0);
    H.h.fill(0);
    H.c.fill(0);
    const { bins, idx, n, d } = this;
    const m = end - start;
    const og = new Float64Array(m);
    const oh = new Float64Array(m);
    for (let p = 0; p < m; p++) {
      const i = idx[start + p] as number;
      og[p] = grad[i] as number;
      oh[p] = hess[i] as number;
    }
    for (let f = 0; f < d; f++) {
      const bo = f * n;
      const ho = this.off[f] as number;
      const G = H.g;
      const Hh = H.h;
      const C = H.c;
      for (let p = 0; p < m; p++) {
        const b = ho + (bins[bo + (idx[start + p] as number)] as number);
        G[b] = (G[b] as number) + (og[p] as number);
        Hh[b] = (Hh[b] as number) + (oh[p] as number);
        C[b] = (C[b] as number) + 1;
      }
    }
    return H;
  }

  private bestSplit(leaf: Leaf): SplitInfo | null {
    const { d, o } = this;
    const lam = o.l2Regularization;
    const count = leaf.end - leaf.start;
    if (count < 2 * o.minSamplesLeaf || leaf.depth >= o.maxDepth) return null;
    if (leaf.sumH < 2 * MIN_HESSIAN_TO_SPLIT) return null;
    const parentScore = (leaf.sumG * leaf.sumG) / (leaf.sumH + lam);
    let best: SplitInfo | null = null;
    const { g, h, c } = leaf.hist;
    for (let f = 0; f < d; f++) {
      const nb = this.nBins[f] as number;
      const ho = this.off[f] as number;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        gl += g[ho + b] as number;
        hl += h[ho + b] as number;
        cl += c[ho + b] as number;
        if (cl < o.minSamplesLeaf) continue;
        const cr = count - cl;
        if (cr < o.minSamplesLeaf) break;
        const hr = leaf.sumH - hl;
        if (hl < MIN_HESSIAN_TO_SPLIT || hr < MIN_HESSIAN_TO_SPLIT) continue;
        const gr = leaf.sumG - gl;
        const gain = (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parentScore;
        if (gain > 0 && (!best || gain > best.gain)) best = { gain, feature: f, bin: b, gl, hl, cl };
      }
    }
    return best;
  }

  /** Grows one tree on the rows in `rows`; adds the leaf values to `raw` (stride `rawStride`, offset `k`). */
  grow(
    rows: Int32Array,
    grad: Float64Array,
    hess: Float64Array,
    raw: Float64Array,
    rawStride: number,
    k: number,
  ): TreeArrays {
    const { o, idx } = this;
    idx.set(rows);
    const feat: number[] = [-1];
    const thr: number[] = [0];
    const lft: number[] = [-1];
    const rgt: number[] = [-1];
    const val: number[] = [0];
    let sumG = 0;
    let sumH = 0;
    for (let p = 0; p < rows.length; p++) {
      sumG += grad[rows[p] as number] as number;
      sumH += hess[rows[p] as number] as number;
    }
    const root: Leaf = {
      node: 0,
      start: 0,
      end: rows.length,
      depth: 0,
      sumG,
      sumH,
      hist: this.build(0, rows.length, grad, hess),
      split: null,
    };
    root.split = this.bestSplit(root);
    const open: Leaf[] = [root];
    const done: Leaf[] = [];
    let nLeaves = 1;
    while (nLeaves < o.maxLeafNodes) {
      let bi = -1;
      for (let a = 0; a < open.length; a++) {
        const s = (open[a] as Leaf).split;
        if (s && (bi < 0 || s.gain > ((open[bi] as Leaf).split as SplitInfo).gain)) bi = a;
      }
      if (bi < 0) break;
      const leaf = open[bi] as Leaf;
      open.splice(bi, 1);
      const s = leaf.split as SplitInfo;
      // Partition rows: bin <= s.bin goes left.
      const bo = s.feature * this.n;
      let a = leaf.start;
      let t = 0;
      for (let p = leaf.start; p < leaf.end; p++) {
        const i = idx[p] as number;
        if ((this.bins[bo + i] as number) <= s.bin) idx[a++] = i;
        else this.tmp[t++] = i;
      }
      idx.set(this.tmp.subarray(0, t), a);
      const mid = a;
      const ln = feat.length;
      const rn = ln + 1;
      feat.push(-1, -1);
      thr.push(0, 0);
      lft.push(-1, -1);
      rgt.push(-1, -1);
      val.push(0, 0);
      feat[leaf.node] = s.feature;
      thr[leaf.node] = (this.edges[s.feature] as Float64Array)[s.bin] as number;
      lft[leaf.node] = ln;
      rgt[leaf.node] = rn;
      const left: Leaf = {
        node: ln,
        start: leaf.start,
        end: mid,
        depth: leaf.depth + 1,
        sumG: s.gl,
        sumH: s.hl,
        hist: leaf.hist,
        split: null,
      };
      const right: Leaf = {
        node: rn,
        start: mid,
        end: leaf.end,
        depth: leaf.depth + 1,
        sumG: leaf.sumG - s.gl,
        sumH: leaf.sumH - s.hl,
        hist: leaf.hist,
        split: null,
      };
      const [small, large] = mid - leaf.start <= leaf.end - mid ? [left, right] : [right, left];
      small.hist = this.build(small.start, small.end, grad, hess);
      // Larger child = parent - smaller, in place in the parent's buffers.
      const P = leaf.hist;
      const S = small.hist;
      for (let q = 0; q < P.g.length; q++) {
        P.g[q] = (P.g[q] as number) - (S.g[q] as number);
        P.h[q] = (P.h[q] as number) - (S.h[q] as number);
        P.c[q] = (P.c[q] as number) - (S.c[q] as number);
      }
      large.hist = P;
      left.split = this.bestSplit(left);
      right.split = this.bestSplit(right);
      open.push(left, right);
      nLeaves++;
    }
    for (const l of open) done.push(l);
    const lr = o.learningRate;
    for (const l of done) {
      const v = (-l.sumG / (l.sumH + o.l2Regularization)) * lr;
      val[l.node] = v;
      for (let p = l.start; p < l.end; p++) {
        const i = idx[p] as number;
        raw[i * rawStride + k] = (raw[i * rawStride + k] as number) + v;
      }
      this.pool.push(l.hist);
    }
    // Each histogram buffer is shared by one leaf only after subtraction; dedupe the pool.
    const unique = new Set(this.pool);
    this.pool.length = 0;
    for (const h of unique) this.pool.push(h);
    return {
      feature: Int32Array.from(feat),
      threshold: Float64Array.from(thr),
      left: Int32Array.from(lft),
      right: Int32Array.from(rgt),
      value: Float64Array.from(val),
      nOut: 1,
    };
  }
}

type Loss = 'squared_error' | 'log_loss';

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Splits row indices into train and validation (stratified by `codes` when given). */
function holdout(
  n: number,
  frac: number,
  rng: Rng,
  codes: Int32Array | null,
): { train: Int32Array; val: Int32Array } {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = t;
  }
  const isVal = new Uint8Array(n);
  if (codes) {
    const groups = new Map<number, number[]>();
    for (const i of perm) {
      const c = codes[i] as number;
      const g = groups.get(c);
      if (g) g.push(i);
      else groups.set(c, [i]);
    }
    for (const g of groups.values()) {
      const take = Math.round(g.length * frac);
      for (let a = 0; a < take; a++) isVal[g[a] as number] = 1;
    }
  } else {
    const take = Math.ceil(n * frac);
    for (let a = 0; a < take; a++) isVal[perm[a] as number] = 1;
  }
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) (isVal[i] ? val : train).push(i);
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}

abstract class HistGbBase {
  readonly opts: HistGbOptions;
  /** Trees in iteration order, `nOutputs` per iteration. */
  trees: TreeArrays[] = [];
  baseline: Float64Array = new Float64Array(0);
  nOutputs = 1;
  nFeatures = 0;
  /** Boosting iterations done (fewer than maxIter when early stopping fired). */
  nIter = 0;

  constructor(opts: HistGbOptions) {
    this.opts = { ...opts };
    const o = this.resolved();
    checkParam('learningRate', o.learningRate, Number.MIN_VALUE);
    checkParam('maxIter', o.maxIter, 1, 1e6, true);
    checkParam('maxLeafNodes', o.maxLeafNodes, 2, 1e6, true);
    checkParam('minSamplesLeaf', o.minSamplesLeaf, 1, Number.MAX_SAFE_INTEGER, true);
    checkParam('l2Regularization', o.l2Regularization, 0);
    checkParam('maxBins', o.maxBins, 2, 255, true);
    checkParam('validationFraction', o.validationFraction, Number.MIN_VALUE, 0.99);
    checkParam('nIterNoChange', o.nIterNoChange, 1, 1e6, true);
    checkParam('tol', o.tol, 0);
    if (o.maxDepth !== Number.MAX_SAFE_INTEGER) checkParam('maxDepth', o.maxDepth, 1, 1e6, true);
  }

  protected resolved() {
    const o = this.opts;
    return {
      learningRate: o.learningRate ?? 0.1,
      maxIter: o.maxIter ?? 100,
      maxLeafNodes: o.maxLeafNodes ?? 31,
      maxDepth: o.maxDepth ?? Number.MAX_SAFE_INTEGER,
      minSamplesLeaf: o.minSamplesLeaf ?? 20,
      l2Regularization: o.l2Regularization ?? 0,
      maxBins: o.maxBins ?? 255,
      earlyStopping: o.earlyStopping ?? 'auto',
      validationFraction: o.validationFraction ?? 0.1,
      nIterNoChange: o.nIterNoChange ?? 10,
      tol: o.tol ?? 1e-7,
      seed: o.seed ?? 0,
    };
  }

  /**
   * Boosting loop. `target`: y (regression) or class codes; K outputs (1 for regression and binary).
   */
  protected boost(X: Matrix, target: Float64Array, loss: Loss, K: number, codes: Int32Array | null): void {
    const o = this.resolved();
    const n = X.rows;
    const d = X.cols;
    const rng = mulberry32(o.seed);
    const es = o.earlyStopping === 'auto' ? n > 10_000 : o.earlyStopping;
    let trainRows: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
    let valRows: Int32Array = new Int32Array(0);
    if (es) {
      const h = holdout(n, o.validationFraction, rng, codes);
      trainRows = h.train;
      valRows = h.val;
      if (trainRows.length < 2 || valRows.length < 1)
        throw new MlInputError('validationFraction', 'rows', 'leaves no rows for training or validation');
    }
    // Bin edges from the training rows only.
    const Xtr: Matrix = { rows: trainRows.length, cols: d, data: new Float64Array(trainRows.length * d) };
    for (let a = 0; a < trainRows.length; a++)
      Xtr.data.set(X.data.subarray((trainRows[a] as number) * d, (trainRows[a] as number) * d + d), a * d);
    const bm = fitBins(Xtr, o.maxBins);
    const bins = applyBins(X, bm);
    const nBins = Int32Array.from(bm.edges, (e) => e.length + 1);
    const grower = new TreeGrower(bins, n, d, nBins, bm.edges, o);

    // Baseline raw prediction.
    const baseline = new Float64Array(K);
    if (loss === 'squared_error') {
      let s = 0;
      for (const i of trainRows) s += target[i] as number;
      baseline[0] = s / trainRows.length;
    } else if (K === 1) {
      let s = 0;
      for (const i of trainRows) s += target[i] as number;
      const p = Math.min(Math.max(s / trainRows.length, 1e-15), 1 - 1e-15);
      baseline[0] = Math.log(p / (1 - p));
    } else {
      const cnt = new Float64Array(K);
      for (const i of trainRows) cnt[target[i] as number] = (cnt[target[i] as number] as number) + 1;
      let mean = 0;
      for (let k = 0; k < K; k++) {
        baseline[k] = Math.log(Math.max((cnt[k] as number) / trainRows.length, 1e-15));
        mean += (baseline[k] as number) / K;
      }
      for (let k = 0; k < K; k++) baseline[k] = (baseline[k] as number) - mean;
    }
    const raw = new Float64Array(n * K);
    for (let i = 0; i < n; i++) raw.set(baseline, i * K);
    const grad = new Float64Array(n * K);
    const hess = new Float64Array(n * K);
    const gk = new Float64Array(n);
    const hk = new Float64Array(n);
    const trees: TreeArrays[] = [];
    const scores: number[] = [];
    const valLoss = () => {
      let s = 0;
      for (const i of valRows) {
        if (loss === 'squared_error') s += 0.5 * ((raw[i] as number) - (target[i] as number)) ** 2;
        else if (K === 1) {
          const z = raw[i] as number;
          s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - (target[i] as number) * z;
        } else {
          let mx = Number.NEGATIVE_INFINITY;
          for (let k = 0; k < K; k++) mx = Math.max(mx, raw[i * K + k] as number);
          let se = 0;
          for (let k = 0; k < K; k++) se += Math.exp((raw[i * K + k] as number) - mx);
          s += mx + Math.log(se) - (raw[i * K + (target[i] as number)] as number);
        }
      }
      return s / valRows.length;
    };
    if (es) scores.push(-valLoss());
    let iter = 0;
    for (; iter < o.maxIter; iter++) {
      // Gradients and hessians of the loss at the current raw predictions (training rows only matter).
      for (const i of trainRows) {
        if (loss === 'squared_error') {
          grad[i] = (raw[i] as number) - (target[i] as number);
          hess[i] = 1;
        } else if (K === 1) {
          const p = sigmoid(raw[i] as number);
          grad[i] = p - (target[i] as number);
          hess[i] = p * (1 - p);
        } else {
          let mx = Number.NEGATIVE_INFINITY;
          for (let k = 0; k < K; k++) mx = Math.max(mx, raw[i * K + k] as number);
          let se = 0;
          for (let k = 0; k < K; k++) se += Math.exp((raw[i * K + k] as number) - mx);
          const c = target[i] as number;
          for (let k = 0; k < K; k++) {
            const p = Math.exp((raw[i * K + k] as number) - mx) / se;
            grad[i * K + k] = p - (k === c ? 1 : 0);
            hess[i * K + k] = p * (1 - p);
          }
        }
      }
      for (let k = 0; k < K; k++) {
        let g = grad;
        let h = hess;
        if (K > 1) {
          for (const i of trainRows) {
            gk[i] = grad[i * K + k] as number;
            hk[i] = hess[i * K + k] as number;
          }
          g = gk;
          h = hk;
        }
        const tree = grower.grow(trainRows, g, h, raw, K, k);
        trees.push(tree);
        // Training rows were updated by the grower; validation rows by walking the tree.
        for (const i of valRows)
          raw[i * K + k] =
            (raw[i * K + k] as number) + (tree.value[leafIndex(tree, X.data, i * d)] as number);
      }
      if (es) {
        scores.push(-valLoss());
        const m = o.nIterNoChange;
        if (scores.length > m) {
          const ref = scores[scores.length - m - 1] as number;
          let improved = false;
          for (let a = scores.length - m; a < scores.length; a++)
            if ((scores[a] as number) > ref + o.tol) improved = true;
          if (!improved) {
            iter++;
            break;
          }
        }
      }
    }
    this.trees = trees;
    this.baseline = baseline;
    this.nOutputs = K;
    this.nFeatures = d;
    this.nIter = iter;
  }

  protected rawPredict(X: Matrix, kind: string): Float64Array {
    if (this.trees.length === 0) return notFitted(kind);
    checkX(X, { nFeatures: this.nFeatures });
    const K = this.nOutputs;
    const d = X.cols;
    const raw = new Float64Array(X.rows * K);
    const trees = this.trees;
    for (let i = 0; i < X.rows; i++) {
      for (let k = 0; k < K; k++) raw[i * K + k] = this.baseline[k] as number;
      for (let t = 0; t < trees.length; t++) {
        const tree = trees[t] as TreeArrays;
        const k = t % K;
        raw[i * K + k] = (raw[i * K + k] as number) + (tree.value[leafIndex(tree, X.data, i * d)] as number);
      }
    }
    return raw;
  }

  protected state(): Record<string, unknown> {
    return {
      baseline: Array.from(this.baseline),
      nOutputs: this.nOutputs,
      nIter: this.nIter,
      trees: this.trees.map(treeToJson),
    };
  }

  protected load(a: ModelArtifact) {
    const trees = a.state.trees;
    if (!Array.isArray(trees)) throw new MlInputError('artifact.state.trees', 'array', 'must be an array');
    this.trees = trees.map((t) => treeFromJson(t as Record<string, unknown>, a.nFeatures));
    this.baseline = f64(a.state, 'baseline');
    this.nOutputs = num(a.state, 'nOutputs');
    this.nIter = num(a.state, 'nIter');
    this.nFeatures = a.nFeatures;
    if (this.baseline.length !== this.nOutputs || this.trees.length % this.nOutputs !== 0)
      throw new MlInputError('artifact.state', 'shape', 'baseline and trees do not match nOutputs');
  }
}

/**
 * Gradient boosting for classification with (multinomial) log-loss.
 *
 * @example
 * const m = new HistGradientBoostingClassifier({ maxIter: 100 }).fit(X, y); m.predictProba(X);
 */
export class HistGradientBoostingClassifier extends HistGbBase implements Classifier {
  readonly kind = 'hist_gradient_boosting_classifier';
  readonly task = 'classification' as const;
  classes: Float64Array = new Float64Array(0);

  constructor(opts: HistGbOptions = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    const { classes, codes } = checkClassTarget(y, X.rows);
    this.classes = classes;
    const K = classes.length === 2 ? 1 : classes.length;
    this.boost(X, Float64Array.from(codes), 'log_loss', K, codes);
    return this;
  }

  predictProba(X: Matrix): Matrix {
    const raw = this.rawPredict(X, this.kind);
    const K = this.nOutputs;
    const C = this.classes.length;
    const out = new Float64Array(X.rows * C);
    for (let i = 0; i < X.rows; i++) {
      if (K === 1) {
        const p = sigmoid(raw[i] as number);
        out[i * 2] = 1 - p;
        out[i * 2 + 1] = p;
      } else {
        let mx = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) mx = Math.max(mx, raw[i * K + k] as number);
        let s = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp((raw[i * K + k] as number) - mx);
          out[i * K + k] = e;
          s += e;
        }
        for (let k = 0; k < K; k++) out[i * K + k] = (out[i * K + k] as number) / s;
      }
    }
    return { rows: X.rows, cols: C, data: out };
  }

  predict(X: Matrix): Float64Array {
    const P = this.predictProba(X);
    const C = P.cols;
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let b = 0;
      for (let k = 1; k < C; k++) if ((P.data[i * C + k] as number) > (P.data[i * C + b] as number)) b = k;
      out[i] = this.classes[b] as number;
    }
    return out;
  }

  toArtifact(): ModelArtifact {
    if (this.trees.length === 0) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.nFeatures,
      { ...this.opts },
      { classes: Array.from(this.classes), ...this.state() },
    );
  }

  static fromArtifact(a: ModelArtifact): HistGradientBoostingClassifier {
    checkArtifact(a, 'hist_gradient_boosting_classifier');
    const m = new HistGradientBoostingClassifier(a.params as HistGbOptions);
    m.classes = f64(a.state, 'classes');
    m.load(a);
    return m;
  }
}

/** Gradient boosting for regression with squared error. */
export class HistGradientBoostingRegressor extends HistGbBase implements Model {
  readonly kind = 'hist_gradient_boosting_regressor';
  readonly task = 'regression' as const;

  constructor(opts: HistGbOptions = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    checkY(y, X.rows);
    this.boost(X, Float64Array.from(y), 'squared_error', 1, null);
    return this;
  }

  predict(X: Matrix): Float64Array {
    return this.rawPredict(X, this.kind);
  }

  toArtifact(): ModelArtifact {
    if (this.trees.length === 0) return notFitted(this.kind);
    return artifact(this.kind, this.task, this.nFeatures, { ...this.opts }, this.state());
  }

  static fromArtifact(a: ModelArtifact): HistGradientBoostingRegressor {
    checkArtifact(a, 'hist_gradient_boosting_regressor');
    const m = new HistGradientBoostingRegressor(a.params as HistGbOptions);
    m.load(a);
    return m;
  }
}
