/**
 * Trees packed for fast prediction: all trees of an ensemble in one buffer of 16-byte nodes, each tree laid
 * out in preorder so a node's left child is the next node and its right child an absolute index. A node holds
 * its threshold (float64) and, in one more 8-byte word, its feature and right child (two int32). A leaf has
 * the sentinel feature `nFeatures` (a NaN appended to the row) and itself as right child; its value sits in
 * the threshold word (one output) or in the ceil(K/2) nodes after it (K class proportions). A step of a walk
 * so touches one cache line, and near the leaves often one already loaded; the four separate arrays of
 * {@link TreeArrays} cost up to four misses per step, which dominated the latency of a 100-tree forest
 * whose trees (0.4-2 M nodes on 16 000 rows) do not fit in cache.
 *
 * Prediction adds the trees' leaf values in tree order, exactly as the unpacked walk does, so results are
 * bit-identical. The packed form is derived state: artifacts keep the JSON layout of {@link TreeArrays}.
 */
import { MlInputError } from './matrix.ts';
import type { TreeArrays } from './tree.ts';

/** An ensemble of trees in one buffer; see the module comment for the layout. */
export interface PackedTrees {
  /** Node k: `words[2k]` threshold; leaf values live in further words of the same buffer. */
  readonly words: Float64Array;
  /** The same buffer as int32: `ints[4k+2]` feature (`nFeatures` for a leaf), `ints[4k+3]` right child. */
  readonly ints: Int32Array;
  /** Root node of each tree. */
  readonly roots: Int32Array;
  /** Depth of each tree: the steps from the root to its deepest leaf. */
  readonly depth: Int32Array;
  /** Scratch copy of the row being predicted, plus the NaN sentinel feature leaves test. */
  readonly row: Float64Array;
  /** Values per leaf (classes, or 1). */
  readonly nOut: number;
}

/**
 * Packs trees for {@link accumulateRow}. Every tree must be a proper tree (each node reached once from the
 * root, children after their parent), as {@link TreeArrays} from the builder or `treeFromJson` are.
 */
export function packTrees(trees: readonly TreeArrays[], nFeatures: number): PackedTrees {
  if (trees.length === 0) throw new MlInputError('trees', 'empty', 'needs at least one tree');
  const K = (trees[0] as TreeArrays).nOut;
  // A leaf takes its own node plus ceil(K/2) nodes of values (none when K = 1: the value sits in the node).
  const leafExtra = K === 1 ? 0 : (K + 1) >> 1;
  let total = 0;
  for (const t of trees) {
    if (t.nOut !== K) throw new MlInputError('trees', 'shape', `have ${t.nOut} and ${K} outputs per leaf`);
    for (let k = 0; k < t.feature.length; k++)
      if ((t.feature[k] as number) >= nFeatures)
        throw new MlInputError('trees', 'feature', `node ${k} uses feature ${t.feature[k]} of ${nFeatures}`);
    for (let k = 0; k < t.feature.length; k++) total += (t.feature[k] as number) < 0 ? 1 + leafExtra : 1;
  }
  const buffer = new ArrayBuffer(total * 16);
  const words = new Float64Array(buffer);
  const ints = new Int32Array(buffer);
  const roots = new Int32Array(trees.length);
  const depth = new Int32Array(trees.length);
  let next = 0;
  for (let ti = 0; ti < trees.length; ti++) {
    const t = trees[ti] as TreeArrays;
    const nn = t.feature.length;
    const placed = new Int32Array(nn).fill(-1);
    roots[ti] = next;
    const stack: number[] = [0, 0];
    let maxDepth = 0;
    while (stack.length > 0) {
      const level = stack.pop() as number;
      const old = stack.pop() as number;
      if (level > maxDepth) maxDepth = level;
      if (!(old >= 0 && old < nn) || (placed[old] as number) >= 0)
        throw new MlInputError('trees', 'structure', `tree ${ti} reaches node ${old} twice or out of range`);
      const k = next;
      placed[old] = k;
      const f = t.feature[old] as number;
      if (f >= 0) {
        words[2 * k] = t.threshold[old] as number;
        ints[4 * k + 2] = f;
        next += 1;
        stack.push(t.right[old] as number, level + 1, t.left[old] as number, level + 1);
      } else {
        ints[4 * k + 2] = nFeatures;
        ints[4 * k + 3] = k;
        if (K === 1) words[2 * k] = t.value[old] as number;
        else words.set(t.value.subarray(old * K, old * K + K), 2 * k + 2);
        next += 1 + leafExtra;
      }
    }
    depth[ti] = maxDepth;
    // Right children are known only once placed; left children are the next node by construction.
    for (let old = 0; old < nn; old++) {
      const k = placed[old] as number;
      if (k >= 0 && (t.feature[old] as number) >= 0)
        ints[4 * k + 3] = placed[t.right[old] as number] as number;
    }
  }
  if (next !== total)
    throw new MlInputError('trees', 'structure', 'some nodes are not reachable from the root');
  const row = new Float64Array(nFeatures + 1);
  row[nFeatures] = Number.NaN;
  return { words, ints, roots, depth, nOut: K, row };
}

/**
 * Adds every tree's leaf values for the row at `x[off..]` into `acc[0..nOut)`, in tree order (the caller
 * zeroes `acc` and scales it). No allocation, no checks: the caller validated the row once.
 *
 * Trees are walked eight at a time for the deepest one's depth in steps, without a test for leaves: a leaf
 * reads the sentinel feature (NaN, so never `<=`) and its right child is itself, so a finished walk stays
 * put. The eight independent walks let the processor overlap their cache misses, which a one-tree-at-a-time
 * walk, stalled on each miss and on a mispredicted loop exit per tree, cannot (2-3x faster on 100 deep trees).
 */
export function accumulateRow(p: PackedTrees, x: Float64Array, off: number, acc: Float64Array): void {
  const { words, ints, roots, depth, nOut, row } = p;
  const d = row.length - 1;
  for (let j = 0; j < d; j++) row[j] = x[off + j] as number;
  const nTrees = roots.length;
  const leafOff = nOut === 1 ? 0 : 2;
  let t = 0;
  for (; t + 8 <= nTrees; t += 8) {
    let k0 = roots[t + 0] as number;
    let k1 = roots[t + 1] as number;
    let k2 = roots[t + 2] as number;
    let k3 = roots[t + 3] as number;
    let k4 = roots[t + 4] as number;
    let k5 = roots[t + 5] as number;
    let k6 = roots[t + 6] as number;
    let k7 = roots[t + 7] as number;
    const steps = Math.max(
      depth[t + 0] as number,
      depth[t + 1] as number,
      depth[t + 2] as number,
      depth[t + 3] as number,
      depth[t + 4] as number,
      depth[t + 5] as number,
      depth[t + 6] as number,
      depth[t + 7] as number,
    );
    for (let s = 0; s < steps; s++) {
      k0 =
        (row[ints[4 * k0 + 2] as number] as number) <= (words[2 * k0] as number)
          ? k0 + 1
          : (ints[4 * k0 + 3] as number);
      k1 =
        (row[ints[4 * k1 + 2] as number] as number) <= (words[2 * k1] as number)
          ? k1 + 1
          : (ints[4 * k1 + 3] as number);
      k2 =
        (row[ints[4 * k2 + 2] as number] as number) <= (words[2 * k2] as number)
          ? k2 + 1
          : (ints[4 * k2 + 3] as number);
      k3 =
        (row[ints[4 * k3 + 2] as number] as number) <= (words[2 * k3] as number)
          ? k3 + 1
          : (ints[4 * k3 + 3] as number);
      k4 =
        (row[ints[4 * k4 + 2] as number] as number) <= (words[2 * k4] as number)
          ? k4 + 1
          : (ints[4 * k4 + 3] as number);
      k5 =
        (row[ints[4 * k5 + 2] as number] as number) <= (words[2 * k5] as number)
          ? k5 + 1
          : (ints[4 * k5 + 3] as number);
      k6 =
        (row[ints[4 * k6 + 2] as number] as number) <= (words[2 * k6] as number)
          ? k6 + 1
          : (ints[4 * k6 + 3] as number);
      k7 =
        (row[ints[4 * k7 + 2] as number] as number) <= (words[2 * k7] as number)
          ? k7 + 1
          : (ints[4 * k7 + 3] as number);
    }
    addLeaf(words, 2 * k0 + leafOff, nOut, acc);
    addLeaf(words, 2 * k1 + leafOff, nOut, acc);
    addLeaf(words, 2 * k2 + leafOff, nOut, acc);
    addLeaf(words, 2 * k3 + leafOff, nOut, acc);
    addLeaf(words, 2 * k4 + leafOff, nOut, acc);
    addLeaf(words, 2 * k5 + leafOff, nOut, acc);
    addLeaf(words, 2 * k6 + leafOff, nOut, acc);
    addLeaf(words, 2 * k7 + leafOff, nOut, acc);
  }
  for (; t < nTrees; t++) {
    let k = roots[t] as number;
    const steps = depth[t] as number;
    for (let s = 0; s < steps; s++)
      k =
        (row[ints[4 * k + 2] as number] as number) <= (words[2 * k] as number)
          ? k + 1
          : (ints[4 * k + 3] as number);
    addLeaf(words, 2 * k + leafOff, nOut, acc);
  }
}

function addLeaf(words: Float64Array, base: number, nOut: number, acc: Float64Array): void {
  for (let c = 0; c < nOut; c++) acc[c] = (acc[c] as number) + (words[base + c] as number);
}
