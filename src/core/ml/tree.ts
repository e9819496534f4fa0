/**
 * CART decision trees (gini, entropy or squared error), grown depth-first with exact best splits, as
 * scikit-learn's DecisionTreeClassifier/Regressor. Splits are found on feature lists sorted once per fit and
 * partitioned stably at every node (the SLIQ "presort" scheme), so growing costs O(n·d·depth) instead of a
 * sort per node; forests reuse the same sorted lists for all their trees.
 */
import { mulberry32, type Rng, randomInt } from '../random.ts';
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
  i32,
  type Model,
  type ModelArtifact,
  notFitted,
} from './model.ts';

/** Split criterion. */
export type Criterion = 'gini' | 'entropy' | 'squared_error';
/** Features considered per split: a count, a fraction (0, 1), or a rule. */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;

/** Hyperparameters shared by trees and forests. */
export interface TreeOptions {
  /** @default unlimited */
  readonly maxDepth?: number;
  /** Smallest node (in distinct training rows) that may be split. @default 2 */
  readonly minSamplesSplit?: number;
  /** Smallest leaf (in distinct training rows). @default 1 */
  readonly minSamplesLeaf?: number;
  /** @default 'all' for a single tree */
  readonly maxFeatures?: MaxFeatures;
  /** @default 0 */
  readonly seed?: number;
}

/** A fitted tree as flat arrays: node k is a leaf when `feature[k] < 0`. */
export interface TreeArrays {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** `nOut` values per node: class proportions or the mean target. */
  readonly value: Float64Array;
  readonly nOut: number;
}

/** The training data in the layout the builder needs; build once, grow many trees. */
export interface TreeData {
  readonly n: number;
  readonly d: number;
  /** Column-major copy of X. */
  readonly xt: Float64Array;
  /** Row indices sorted by each feature (feature f at f*n). */
  readonly order: Int32Array;
  /** Class code per row (classification) or null. */
  readonly codes: Int32Array | null;
  readonly nClasses: number;
  /** Target per row (regression) or null. */
  readonly y: Float64Array | null;
}

/** Prepares X and the target for {@link growTree}. */
export function prepareTreeData(
  X: Matrix,
  codes: Int32Array | null,
  nClasses: number,
  y: Float64Array | null,
): TreeData {
  const { rows: n, cols: d, data } = X;
  const xt = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xt[j * n + i] = data[i * d + j] as number;
  const order = new Int32Array(n * d);
  const idx = new Int32Array(n);
  for (let j = 0; j < d; j++) {
    const col = xt.subarray(j * n, (j + 1) * n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => (col[a] as number) - (col[b] as number) || a - b);
    order.set(idx, j * n);
  }
  return { n, d, xt, order, codes, nClasses, y };
}

function resolveMaxFeatures(mf: MaxFeatures | undefined, d: number): number {
  if (mf === undefined || mf === 'all') return d;
  if (mf === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(d)));
  if (mf === 'log2') return Math.max(1, Math.floor(Math.log2(d)));
  checkParam('maxFeatures', mf, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER);
  if (Number.isInteger(mf)) return Math.min(d, mf);
  if (mf > 1) throw new MlInputError('maxFeatures', 'range', `is ${mf}; a fraction must be in (0, 1]`);
  return Math.max(1, Math.floor(mf * d));
}

/** Checks tree hyperparameters; returns them with defaults filled in. */
export function treeParams(o: TreeOptions, criterion: Criterion) {
  const maxDepth = o.maxDepth ?? Number.MAX_SAFE_INTEGER;
  const minSamplesSplit = o.minSamplesSplit ?? 2;
  const minSamplesLeaf = o.minSamplesLeaf ?? 1;
  checkParam('maxDepth', maxDepth, 1, Number.MAX_SAFE_INTEGER, true);
  checkParam('minSamplesSplit', minSamplesSplit, 2, Number.MAX_SAFE_INTEGER, true);
  checkParam('minSamplesLeaf', minSamplesLeaf, 1, Number.MAX_SAFE_INTEGER, true);
  if (!['gini', 'entropy', 'squared_error'].includes(criterion))
    throw new MlInputError('criterion', 'enum', `is "${criterion}"; use gini, entropy or squared_error`);
  return { maxDepth, minSamplesSplit, minSamplesLeaf, criterion };
}

// Values closer than this are not separated (scikit-learn's FEATURE_THRESHOLD).
const FEATURE_THRESHOLD = 1e-7;

/** Reusable buffers for growing many trees on the same data. */
export interface TreeWorkspace {
  readonly lists: Int32Array;
  readonly tmp: Int32Array;
  readonly goesLeft: Uint8Array;
}

/** Buffers for {@link growTree}. */
export function treeWorkspace(data: TreeData): TreeWorkspace {
  return {
    lists: new Int32Array(data.n * data.d),
    tmp: new Int32Array(data.n),
    goesLeft: new Uint8Array(data.n),
  };
}

/**
 * Grows one tree on the rows with positive `weight` (all rows when `weight` is null; bootstrap counts for
 * a forest).
 */
export function growTree(
  data: TreeData,
  weight: Float64Array | null,
  params: ReturnType<typeof treeParams> & { maxFeatures: number },
  rng: Rng,
  ws: TreeWorkspace,
): TreeArrays {
  const { n, d, xt, order, codes, y } = data;
  const K = codes ? data.nClasses : 1;
  const classif = codes !== null;
  const entropy = params.criterion === 'entropy';
  const { lists, tmp, goesLeft } = ws;
  // Per-feature sorted lists restricted to rows in the sample.
  let m = n;
  if (weight) {
    m = 0;
    for (let i = 0; i < n; i++) if ((weight[i] as number) > 0) m++;
    for (let f = 0; f < d; f++) {
      let p = f * m;
      const o = f * n;
      for (let r = 0; r < n; r++) {
        const i = order[o + r] as number;
        if ((weight[i] as number) > 0) lists[p++] = i;
      }
    }
  } else lists.set(order.subarray(0, n * d));
  const W = (i: number) => (weight ? (weight[i] as number) : 1);

  const feat: number[] = [];
  const thr: number[] = [];
  const lft: number[] = [];
  const rgt: number[] = [];
  const val: number[] = [];
  const features = Int32Array.from({ length: d }, (_, j) => j);
  const cntTot = new Float64Array(K);
  const cntL = new Float64Array(K);
  const cntR = new Float64Array(K);
  // Stack of [start, end, depth, parent, isLeft].
  const stack: number[] = [0, m, 0, -1, 0];
  while (stack.length > 0) {
    const isLeft = stack.pop() as number;
    const parent = stack.pop() as number;
    const depth = stack.pop() as number;
    const end = stack.pop() as number;
    const start = stack.pop() as number;
    const node = feat.length;
    if (parent >= 0) (isLeft ? lft : rgt)[parent] = node;
    feat.push(-1);
    thr.push(0);
    lft.push(-1);
    rgt.push(-1);
    // Node statistics from feature 0's list (every list holds the same rows).
    let wTot = 0;
    let sumY = 0;
    let sumY2 = 0;
    cntTot.fill(0);
    for (let p = start; p < end; p++) {
      const i = lists[p] as number;
      const w = W(i);
      wTot += w;
      if (classif)
        cntTot[(codes as Int32Array)[i] as number] =
          (cntTot[(codes as Int32Array)[i] as number] as number) + w;
      else {
        const v = (y as Float64Array)[i] as number;
        sumY += w * v;
        sumY2 += w * v * v;
      }
    }
    let impurity: number;
    if (classif) {
      let sq = 0;
      for (let k = 0; k < K; k++) sq += (cntTot[k] as number) ** 2;
      impurity = 1 - sq / (wTot * wTot);
      for (let k = 0; k < K; k++) val.push((cntTot[k] as number) / wTot);
    } else {
      const mean = sumY / wTot;
      impurity = sumY2 / wTot - mean * mean;
      if (impurity < 1e-12 * (1 + mean * mean)) impurity = 0;
      val.push(mean);
    }
    const count = end - start;
    if (
      count < params.minSamplesSplit ||
      count < 2 * params.minSamplesLeaf ||
      depth >= params.maxDepth ||
      impurity <= 1e-15
    )
      continue;

    // Best split over a random subset of features (continuing past maxFeatures until one split is valid).
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestFeature = -1;
    let bestPos = -1;
    let bestThr = 0;
    let visited = 0;
    const minLeaf = params.minSamplesLeaf;
    for (let fi = 0; fi < d; fi++) {
      if (visited >= params.maxFeatures && bestFeature >= 0) break;
      const pick = fi + randomInt(rng, d - fi);
      const f = features[pick] as number;
      features[pick] = features[fi] as number;
      features[fi] = f;
      const lo = f * m;
      const col = f * n;
      const vFirst = xt[col + (lists[lo + start] as number)] as number;
      const vLast = xt[col + (lists[lo + end - 1] as number)] as number;
      if (vLast <= vFirst + FEATURE_THRESHOLD) continue; // constant in this node: does not count as visited
      visited++;
      let wL = 0;
      if (classif) {
        cntL.fill(0);
        cntR.set(cntTot);
        let sqL = 0;
        let sqR = 0;
        for (let k = 0; k < K; k++) sqR += (cntTot[k] as number) ** 2;
        for (let p = start; p < end - 1; p++) {
          const i = lists[lo + p] as number;
          const w = W(i);
          const c = (codes as Int32Array)[i] as number;
          const cl = cntL[c] as number;
          const cr = cntR[c] as number;
          sqL += 2 * w * cl + w * w;
          sqR += -2 * w * cr + w * w;
          cntL[c] = cl + w;
          cntR[c] = cr - w;
          wL += w;
          const nl = p + 1 - start;
          if (nl < minLeaf || end - p - 1 < minLeaf) continue;
          const v = xt[col + i] as number;
          const vn = xt[col + (lists[lo + p + 1] as number)] as number;
          if (vn <= v + FEATURE_THRESHOLD) continue;
          const wR = wTot - wL;
          let score: number;
          if (entropy) {
            let hl = 0;
            let hr = 0;
            for (let k = 0; k < K; k++) {
              const a = cntL[k] as number;
              const b = cntR[k] as number;
              if (a > 0) hl -= a * Math.log(a / wL);
              if (b > 0) hr -= b * Math.log(b / wR);
            }
            score = -(hl + hr);
          } else score = sqL / wL + sqR / wR;
          if (score > bestScore) {
            bestScore = score;
            bestFeature = f;
            bestPos = p + 1;
            let t = (v + vn) / 2;
            if (t === vn) t = v;
            bestThr = t;
          }
        }
      } else {
        let sL = 0;
        for (let p = start; p < end - 1; p++) {
          const i = lists[lo + p] as number;
          const w = W(i);
          sL += w * ((y as Float64Array)[i] as number);
          wL += w;
          const nl = p + 1 - start;
          if (nl < minLeaf || end - p - 1 < minLeaf) continue;
          const v = xt[col + i] as number;
          const vn = xt[col + (lists[lo + p + 1] as number)] as number;
          if (vn <= v + FEATURE_THRESHOLD) continue;
          const sR = sumY - sL;
          const score = (sL * sL) / wL + (sR * sR) / (wTot - wL);
          if (score > bestScore) {
            bestScore = score;
            bestFeature = f;
            bestPos = p + 1;
            let t = (v + vn) / 2;
            if (t === vn) t = v;
            bestThr = t;
          }
        }
      }
    }
    if (bestFeature < 0) continue;

    // Partition every feature's list stably into left then right.
    const bl = bestFeature * m;
    for (let p = start; p < end; p++) goesLeft[lists[bl + p] as number] = p < bestPos ? 1 : 0;
    for (let f = 0; f < d; f++) {
      if (f === bestFeature) continue;
      const lo = f * m;
      let a = start;
      let b = 0;
      for (let p = start; p < end; p++) {
        const i = lists[lo + p] as number;
        if (goesLeft[i]) lists[lo + a++] = i;
        else tmp[b++] = i;
      }
      lists.set(tmp.subarray(0, b), lo + a);
    }
    feat[node] = bestFeature;
    thr[node] = bestThr;
    // Push right first so the left subtree is grown first (depth-first, left to right).
    stack.push(bestPos, end, depth + 1, node, 0);
    stack.push(start, bestPos, depth + 1, node, 1);
  }
  return {
    feature: Int32Array.from(feat),
    threshold: Float64Array.from(thr),
    left: Int32Array.from(lft),
    right: Int32Array.from(rgt),
    value: Float64Array.from(val),
    nOut: K,
  };
}

/** Index of the leaf that row `off` of `x` (row-major, stride given by caller) falls into. */
export function leafIndex(t: TreeArrays, x: Float64Array, off: number): number {
  const { feature, threshold, left, right } = t;
  let node = 0;
  let f = feature[0] as number;
  while (f >= 0) {
    node =
      (x[off + f] as number) <= (threshold[node] as number)
        ? (left[node] as number)
        : (right[node] as number);
    f = feature[node] as number;
  }
  return node;
}

/** A tree as JSON. */
export function treeToJson(t: TreeArrays): Record<string, unknown> {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
    nOut: t.nOut,
  };
}

/** A tree from JSON, with its structure checked so prediction cannot loop or read out of range. */
export function treeFromJson(s: Record<string, unknown>, nFeatures: number): TreeArrays {
  const t: TreeArrays = {
    feature: i32(s, 'feature'),
    threshold: f64(s, 'threshold'),
    left: i32(s, 'left'),
    right: i32(s, 'right'),
    value: f64(s, 'value'),
    nOut: typeof s.nOut === 'number' ? s.nOut : 0,
  };
  const nn = t.feature.length;
  if (
    nn === 0 ||
    t.threshold.length !== nn ||
    t.left.length !== nn ||
    t.right.length !== nn ||
    t.value.length !== nn * t.nOut
  )
    throw new MlInputError('artifact.state.trees', 'shape', 'tree arrays have inconsistent lengths');
  for (let k = 0; k < nn; k++) {
    const f = t.feature[k] as number;
    if (f >= nFeatures)
      throw new MlInputError('artifact.state.trees', 'feature', `node ${k} uses feature ${f}`);
    if (
      f >= 0 &&
      !(
        (t.left[k] as number) > k &&
        (t.right[k] as number) > k &&
        (t.left[k] as number) < nn &&
        (t.right[k] as number) < nn
      )
    )
      throw new MlInputError('artifact.state.trees', 'structure', `node ${k} has invalid children`);
  }
  return t;
}

abstract class TreeBase {
  readonly criterion: Criterion;
  readonly opts: TreeOptions;
  tree?: TreeArrays;
  nFeatures = 0;

  constructor(opts: TreeOptions & { criterion?: Criterion }, defaultCriterion: Criterion) {
    this.criterion = opts.criterion ?? defaultCriterion;
    this.opts = { ...opts };
    treeParams(this.opts, this.criterion);
  }

  protected grow(X: Matrix, codes: Int32Array | null, K: number, y: Float64Array | null): void {
    const data = prepareTreeData(X, codes, K, y);
    const p = {
      ...treeParams(this.opts, this.criterion),
      maxFeatures: resolveMaxFeatures(this.opts.maxFeatures, X.cols),
    };
    this.tree = growTree(data, null, p, mulberry32(this.opts.seed ?? 0), treeWorkspace(data));
    this.nFeatures = X.cols;
  }

  /** Depth of the fitted tree (a lone root has depth 0). */
  get depth(): number {
    const t = this.tree;
    if (!t) return 0;
    const depth = new Int32Array(t.feature.length);
    let max = 0;
    for (let k = 0; k < t.feature.length; k++)
      if ((t.feature[k] as number) >= 0) {
        depth[t.left[k] as number] = (depth[k] as number) + 1;
        depth[t.right[k] as number] = (depth[k] as number) + 1;
        max = Math.max(max, (depth[k] as number) + 1);
      }
    return max;
  }

  protected params(): Record<string, unknown> {
    return { ...this.opts, criterion: this.criterion };
  }
}

/**
 * CART classification tree.
 *
 * @example
 * const t = new DecisionTreeClassifier({ maxDepth: 5 }).fit(X, y); t.predict(X);
 */
export class DecisionTreeClassifier extends TreeBase implements Classifier {
  readonly kind = 'decision_tree_classifier';
  readonly task = 'classification' as const;
  classes: Float64Array = new Float64Array(0);

  constructor(opts: TreeOptions & { criterion?: 'gini' | 'entropy' } = {}) {
    super(opts, 'gini');
    if (this.criterion === 'squared_error')
      throw new MlInputError('criterion', 'enum', 'a classifier uses gini or entropy');
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    const { classes, codes } = checkClassTarget(y, X.rows);
    this.classes = classes;
    this.grow(X, codes, classes.length, null);
    return this;
  }

  predictProba(X: Matrix): Matrix {
    const t = this.tree;
    if (!t) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures });
    const K = t.nOut;
    const out = new Float64Array(X.rows * K);
    for (let i = 0; i < X.rows; i++) {
      const leaf = leafIndex(t, X.data, i * X.cols);
      out.set(t.value.subarray(leaf * K, leaf * K + K), i * K);
    }
    return { rows: X.rows, cols: K, data: out };
  }

  predict(X: Matrix): Float64Array {
    return argmaxLabels(this.predictProba(X), this.classes);
  }

  toArtifact(): ModelArtifact {
    if (!this.tree) return notFitted(this.kind);
    return artifact(this.kind, this.task, this.nFeatures, this.params(), {
      classes: Array.from(this.classes),
      tree: treeToJson(this.tree),
    });
  }

  static fromArtifact(a: ModelArtifact): DecisionTreeClassifier {
    checkArtifact(a, 'decision_tree_classifier');
    const m = new DecisionTreeClassifier(a.params as TreeOptions & { criterion?: 'gini' });
    m.classes = f64(a.state, 'classes');
    m.nFeatures = a.nFeatures;
    m.tree = treeFromJson(a.state.tree as Record<string, unknown>, a.nFeatures);
    return m;
  }
}

/** CART regression tree (squared error). */
export class DecisionTreeRegressor extends TreeBase implements Model {
  readonly kind = 'decision_tree_regressor';
  readonly task = 'regression' as const;

  constructor(opts: TreeOptions = {}) {
    super({ ...opts, criterion: 'squared_error' }, 'squared_error');
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    checkY(y, X.rows);
    this.grow(X, null, 1, Float64Array.from(y));
    return this;
  }

  predict(X: Matrix): Float64Array {
    const t = this.tree;
    if (!t) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures });
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = t.value[leafIndex(t, X.data, i * X.cols)] as number;
    return out;
  }

  toArtifact(): ModelArtifact {
    if (!this.tree) return notFitted(this.kind);
    return artifact(this.kind, this.task, this.nFeatures, this.params(), { tree: treeToJson(this.tree) });
  }

  static fromArtifact(a: ModelArtifact): DecisionTreeRegressor {
    checkArtifact(a, 'decision_tree_regressor');
    const m = new DecisionTreeRegressor(a.params as TreeOptions);
    m.nFeatures = a.nFeatures;
    m.tree = treeFromJson(a.state.tree as Record<string, unknown>, a.nFeatures);
    return m;
  }
}

export { resolveMaxFeatures };
