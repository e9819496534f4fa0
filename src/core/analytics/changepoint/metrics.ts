/**
 * Change-point accuracy against human annotations: the F1 score with a margin and the segmentation
 * covering, as defined for the Turing Change Point Dataset by G. J. J. van den Burg and C. K. I. Williams,
 * "An Evaluation of Change Point Detection Algorithms" (arXiv:2003.06222, 2020), and used by their
 * benchmark TCPDBench (github.com/alan-turing-institute/TCPDBench, MIT licence). This is an independent
 * implementation of those definitions; the benchmark script checks it reproduces TCPDBench's published
 * score of the no-change-point method on every dataset.
 *
 * The paper's conventions, which both metrics follow:
 * - Locations are 0-based indices into the series; duplicates count once.
 * - Index 0 is a change point of every annotator and of every prediction: the start of the series is
 *   always "detected", so a method that predicts nothing scores a positive F1.
 * - Several annotators: precision is taken against the union of all annotations, recall is the mean of the
 *   per-annotator recalls, and the covering is the mean over annotators.
 * - A true positive is an annotation with a prediction within `margin` points (inclusive); each prediction
 *   matches at most one annotation. Annotations are visited in increasing order and each takes its closest
 *   unused prediction (the earlier one on a tie). TCPDBench visits a Python set, whose order is increasing
 *   for the small indices of typical series; the two can differ only when two annotations compete for one
 *   prediction, and then by one match.
 */

/** One annotator's change points, or several keyed by annotator id (TCPD's `annotations.json` layout). */
export type Annotations = Readonly<Record<string, readonly number[]>> | readonly (readonly number[])[];

function checkLength(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${String(n)}`);
}

function checkLocations(name: string, locations: readonly number[], n: number): void {
  if (!Array.isArray(locations)) throw new TypeError(`${name} must be an array of indices`);
  for (let i = 0; i < locations.length; i++) {
    const v = locations[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n)
      throw new RangeError(
        `${name}[${i}] must be an integer index in [0, n − 1 = ${n - 1}], got ${String(v)}`,
      );
  }
}

/** Annotator sets in key order (JSON object order; integer-like ids ascend, as in TCPD's file). */
function annotatorLists(annotations: Annotations, n: number): (readonly number[])[] {
  if (annotations === null || typeof annotations !== 'object')
    throw new TypeError(
      'annotations must be an object of annotator id → indices, or an array of index arrays',
    );
  const entries: [string, readonly number[]][] = Array.isArray(annotations)
    ? (annotations as readonly (readonly number[])[]).map((v, i) => [String(i), v])
    : Object.entries(annotations as Readonly<Record<string, readonly number[]>>);
  if (entries.length === 0) throw new RangeError('annotations must hold at least one annotator');
  for (const [id, list] of entries) checkLocations(`annotations[${id}]`, list, n);
  return entries.map(([, list]) => list);
}

/** Sorted distinct locations with 0 added. */
function withOrigin(locations: readonly number[]): number[] {
  return [...new Set([0, ...locations])].sort((a, b) => a - b);
}

/** Number of `truth` locations matched by a distinct prediction within `margin` (both sorted, distinct). */
function truePositives(truth: readonly number[], predicted: readonly number[], margin: number): number {
  const used = new Uint8Array(predicted.length);
  let count = 0;
  let lo = 0;
  for (const tau of truth) {
    while (lo < predicted.length && (predicted[lo] as number) < tau - margin) lo++;
    let best = -1;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let j = lo; j < predicted.length && (predicted[j] as number) <= tau + margin; j++) {
      if (used[j]) continue;
      const d = Math.abs((predicted[j] as number) - tau);
      if (d < bestDist) {
        bestDist = d;
        best = j;
      }
    }
    if (best >= 0) {
      used[best] = 1;
      count++;
    }
  }
  return count;
}

/** F1 with its precision and recall. */
export interface F1Result {
  readonly f1: number;
  readonly precision: number;
  readonly recall: number;
}

/**
 * F1 of predicted change points against one or more annotators (van den Burg & Williams 2020, §4.1),
 * with its precision and recall. See {@link f1Score}.
 */
export function f1Details(
  annotations: Annotations,
  predictions: readonly number[],
  n: number,
  margin = 5,
): F1Result {
  checkLength(n);
  if (!Number.isInteger(margin) || margin < 0)
    throw new RangeError(`margin must be an integer >= 0, got ${String(margin)}`);
  checkLocations('predictions', predictions, n);
  const annotators = annotatorLists(annotations, n).map(withOrigin);
  const predicted = withOrigin(predictions);
  const union = withOrigin(annotators.flat());
  const precision = truePositives(union, predicted, margin) / predicted.length;
  // Same order of operations as the reference (1/K · Σ), so per-dataset scores agree to the last bit.
  let sum = 0;
  for (const tk of annotators) sum += truePositives(tk, predicted, margin) / tk.length;
  const recall = (1 / annotators.length) * sum;
  const f1 = (precision * recall) / (0.5 * recall + 0.5 * precision);
  return { f1, precision, recall };
}

/**
 * F1 score of predicted change points against human annotations, TCPDBench's `f_measure` definition:
 * index 0 always counts for everyone, precision against the union of annotators, recall averaged over
 * annotators, a match within `margin` points each side.
 *
 * @param annotations one array of indices, an array of per-annotator arrays, or `{annotatorId: indices}`
 * @param predictions predicted change points (0-based indices in [0, n − 1]; order and duplicates free)
 * @param n length of the series (checks the indices)
 * @param margin largest |annotation − prediction| counted as a hit @default 5
 *
 * @example
 * f1Score({ a: [10, 20], b: [11, 20], c: [10], d: [0, 5] }, [10, 20], 30); // 1
 */
export function f1Score(
  annotations: Annotations,
  predictions: readonly number[],
  n: number,
  margin = 5,
): number {
  return f1Details(annotations, predictions, n, margin).f1;
}

/** Segment boundaries [0, …, n] of the partition of 0..n−1 that the change points define. */
function boundaries(locations: readonly number[], n: number): number[] {
  const inner = [...new Set(locations)].filter((v) => v > 0 && v < n).sort((a, b) => a - b);
  return [0, ...inner, n];
}

/** Covering of partition `truth` by partition `cover` (Arbeláez et al. 2011, eq. 8), from boundaries. */
function coverOf(cover: readonly number[], truth: readonly number[], n: number): number {
  let c = 0;
  let j = 0;
  for (let i = 0; i + 1 < truth.length; i++) {
    const a = truth[i] as number;
    const b = truth[i + 1] as number;
    // Predicted segments overlapping [a, b): the others have Jaccard index 0.
    while ((cover[j + 1] as number) <= a) j++;
    let best = 0;
    for (let k = j; k + 1 < cover.length && (cover[k] as number) < b; k++) {
      const p = cover[k] as number;
      const q = cover[k + 1] as number;
      const inter = Math.min(b, q) - Math.max(a, p);
      const jaccard = inter / (b - a + (q - p) - inter);
      if (jaccard > best) best = jaccard;
    }
    c += (b - a) * best;
  }
  return c / n;
}

/**
 * Segmentation covering of the annotators' partitions by the predicted one (van den Burg & Williams 2020,
 * §4.1, after Arbeláez et al. 2011), averaged over annotators: each true segment contributes its length
 * times its best Jaccard index with a predicted segment, divided by n. 1 is a perfect segmentation.
 *
 * @param annotations one array of indices, an array of per-annotator arrays, or `{annotatorId: indices}`
 * @param predictions predicted change points (0-based indices in [0, n − 1]); 0 starts no new segment
 * @param n length of the series
 *
 * @example
 * coverScore([[10, 20], [10], [0, 5]], [10, 20], 45); // 0.7962962962962963
 */
export function coverScore(annotations: Annotations, predictions: readonly number[], n: number): number {
  checkLength(n);
  checkLocations('predictions', predictions, n);
  const annotators = annotatorLists(annotations, n);
  const predicted = boundaries(predictions, n);
  let sum = 0;
  for (const a of annotators) sum += coverOf(predicted, boundaries(a, n), n);
  return sum / annotators.length;
}
