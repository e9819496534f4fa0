/**
 * Random forests (Breiman 2001): bootstrap samples, a random subset of features per split, fully grown CART
 * trees; classification averages the trees' class proportions, regression their means. Defaults follow
 * scikit-learn: 100 trees, sqrt(d) features per split for classification and all features for regression.
 * The features are sorted once per forest and shared by all trees. Prediction walks the trees packed into one
 * buffer (packed-trees.ts), built once after fit or load and rebuilt if `trees` is replaced.
 */
import { mulberry32, randomInt } from '../random.ts';
import { argmaxLabels, checkClassTarget, checkParam, checkX, checkY, type Matrix } from './matrix.ts';
import {
  artifact,
  type Classifier,
  checkArtifact,
  f64,
  type Model,
  type ModelArtifact,
  notFitted,
} from './model.ts';
import { accumulateRow, type PackedTrees, packTrees } from './packed-trees.ts';
import {
  growTree,
  type MaxFeatures,
  prepareTreeData,
  resolveMaxFeatures,
  type TreeArrays,
  type TreeOptions,
  treeFromJson,
  treeParams,
  treeToJson,
  treeWorkspace,
} from './tree.ts';

/** Options of the forests. */
export interface ForestOptions extends TreeOptions {
  /** @default 100 */
  readonly nEstimators?: number;
  /** Draw a bootstrap sample per tree. @default true */
  readonly bootstrap?: boolean;
  readonly criterion?: 'gini' | 'entropy';
}

abstract class ForestBase {
  readonly opts: ForestOptions;
  readonly nEstimators: number;
  trees: TreeArrays[] = [];
  nFeatures = 0;
  private packedFrom: TreeArrays[] | null = null;
  private packedTrees: PackedTrees | null = null;
  /** Reused per row; prediction is synchronous so one buffer per model is enough. */
  private acc = new Float64Array(1);

  constructor(opts: ForestOptions) {
    this.opts = { ...opts };
    this.nEstimators = opts.nEstimators ?? 100;
    checkParam('nEstimators', this.nEstimators, 1, 100_000, true);
  }

  protected growAll(X: Matrix, codes: Int32Array | null, K: number, y: Float64Array | null, mf: MaxFeatures) {
    const data = prepareTreeData(X, codes, K, y);
    const criterion = codes ? (this.opts.criterion ?? 'gini') : 'squared_error';
    const params = {
      ...treeParams(this.opts, criterion),
      maxFeatures: resolveMaxFeatures(this.opts.maxFeatures ?? mf, X.cols),
    };
    const rng = mulberry32(this.opts.seed ?? 0);
    const ws = treeWorkspace(data);
    const n = X.rows;
    const weight = new Float64Array(n);
    this.trees = [];
    for (let t = 0; t < this.nEstimators; t++) {
      if (this.opts.bootstrap ?? true) {
        weight.fill(0);
        for (let s = 0; s < n; s++) weight[randomInt(rng, n)] = (weight[randomInt(rng, n)] as number) + 1;
      } else weight.fill(1);
      this.trees.push(growTree(data, weight, params, rng, ws));
    }
    this.nFeatures = X.cols;
    this.packed();
  }

  /** The trees packed for prediction, rebuilt when `trees` was replaced since the last call. */
  protected packed(): PackedTrees {
    if (this.packedFrom !== this.trees || this.packedTrees === null) {
      this.packedTrees = packTrees(this.trees, this.nFeatures);
      this.packedFrom = this.trees;
      this.acc = new Float64Array(this.packedTrees.nOut);
    }
    return this.packedTrees;
  }

  /** Sums the trees' leaf values for row `i` of `X` into the reused buffer and returns it. */
  protected sumRow(p: PackedTrees, X: Matrix, i: number): Float64Array {
    const acc = this.acc;
    acc.fill(0);
    accumulateRow(p, X.data, i * X.cols, acc);
    return acc;
  }

  protected state(): Record<string, unknown> {
    return { trees: this.trees.map(treeToJson) };
  }

  protected loadTrees(a: ModelArtifact) {
    const trees = a.state.trees;
    if (!Array.isArray(trees)) throw new Error('artifact.state.trees: must be an array');
    this.trees = trees.map((t) => treeFromJson(t as Record<string, unknown>, a.nFeatures));
    this.nFeatures = a.nFeatures;
    this.packed();
  }
}

/**
 * Random forest classifier.
 *
 * @example
 * const rf = new RandomForestClassifier({ nEstimators: 100, seed: 0 }).fit(X, y);
 * rf.predictProba(X);
 */
export class RandomForestClassifier extends ForestBase implements Classifier {
  readonly kind = 'random_forest_classifier';
  readonly task = 'classification' as const;
  classes: Float64Array = new Float64Array(0);

  constructor(opts: ForestOptions = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    const { classes, codes } = checkClassTarget(y, X.rows);
    this.classes = classes;
    this.growAll(X, codes, classes.length, null, 'sqrt');
    return this;
  }

  predictProba(X: Matrix): Matrix {
    if (this.trees.length === 0) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures });
    const p = this.packed();
    const K = p.nOut;
    const out = new Float64Array(X.rows * K);
    const inv = 1 / this.trees.length;
    for (let i = 0; i < X.rows; i++) {
      const acc = this.sumRow(p, X, i);
      for (let k = 0; k < K; k++) out[i * K + k] = (acc[k] as number) * inv;
    }
    return { rows: X.rows, cols: K, data: out };
  }

  predict(X: Matrix): Float64Array {
    return argmaxLabels(this.predictProba(X), this.classes);
  }

  toArtifact(): ModelArtifact {
    if (this.trees.length === 0) return notFitted(this.kind);
    return artifact(
      this.kind,
      this.task,
      this.nFeatures,
      { ...this.opts },
      {
        classes: Array.from(this.classes),
        ...this.state(),
      },
    );
  }

  static fromArtifact(a: ModelArtifact): RandomForestClassifier {
    checkArtifact(a, 'random_forest_classifier');
    const m = new RandomForestClassifier(a.params as ForestOptions);
    m.classes = f64(a.state, 'classes');
    m.loadTrees(a);
    return m;
  }
}

/** Random forest regressor. */
export class RandomForestRegressor extends ForestBase implements Model {
  readonly kind = 'random_forest_regressor';
  readonly task = 'regression' as const;

  constructor(opts: Omit<ForestOptions, 'criterion'> = {}) {
    super(opts);
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X);
    checkY(y, X.rows);
    this.growAll(X, null, 1, Float64Array.from(y), 'all');
    return this;
  }

  predict(X: Matrix): Float64Array {
    if (this.trees.length === 0) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures });
    const p = this.packed();
    const out = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = (this.sumRow(p, X, i)[0] as number) / this.trees.length;
    return out;
  }

  toArtifact(): ModelArtifact {
    if (this.trees.length === 0) return notFitted(this.kind);
    return artifact(this.kind, this.task, this.nFeatures, { ...this.opts }, this.state());
  }

  static fromArtifact(a: ModelArtifact): RandomForestRegressor {
    checkArtifact(a, 'random_forest_regressor');
    const m = new RandomForestRegressor(a.params as ForestOptions);
    m.loadTrees(a);
    return m;
  }
}
