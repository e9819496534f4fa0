/**
 * The one interface every model implements (fit, predict, class probabilities, serialisation) and the
 * versioned JSON artifact it serialises to. Artifacts are plain JSON: numbers round-trip exactly through
 * JSON.stringify/parse, so a reloaded model predicts bit-identically.
 */
import { type Matrix, MlInputError } from './matrix.ts';

/** What a model predicts. */
export type Task = 'classification' | 'regression' | 'clustering';

/** The artifact format name; a reader refuses anything else. */
export const ARTIFACT_FORMAT = 'all-use.ml';
/** Bumped whenever the layout of `state` changes incompatibly. */
export const ARTIFACT_VERSION = 1;

/** A fitted model (or pipeline) as JSON. */
export interface ModelArtifact {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly version: number;
  /** Which model, e.g. `random_forest_classifier`, or `pipeline`. */
  readonly kind: string;
  readonly task: Task;
  /** Number of input features the model was fitted on. */
  readonly nFeatures: number;
  /** The hyperparameters, as given to the constructor. */
  readonly params: Record<string, unknown>;
  /** The fitted state; layout is private to the model kind. */
  readonly state: Record<string, unknown>;
}

/** Every model: fit on a feature matrix and a target, predict, serialise. */
export interface Model {
  readonly kind: string;
  readonly task: Task;
  /** Fits on `X` (rows = samples) and `y` (one value per row; class labels for classifiers). */
  fit(X: Matrix, y: ArrayLike<number>): this;
  /** Predicted class label (classifiers), value (regressors) or cluster (clusterers) per row. */
  predict(X: Matrix): Float64Array;
  /** The fitted model as a versioned JSON artifact. */
  toArtifact(): ModelArtifact;
}

/** A model that also gives class probabilities. */
export interface Classifier extends Model {
  /** Class labels in the column order of {@link Classifier.predictProba}. */
  readonly classes: Float64Array;
  /** One row per sample, one column per class, rows sum to 1. */
  predictProba(X: Matrix): Matrix;
}

/** True when the model gives class probabilities. */
export function isClassifier(m: Model): m is Classifier {
  return m.task === 'classification' && typeof (m as Partial<Classifier>).predictProba === 'function';
}

/** Builds an artifact object with the common header. */
export function artifact(
  kind: string,
  task: Task,
  nFeatures: number,
  params: Record<string, unknown>,
  state: Record<string, unknown>,
): ModelArtifact {
  return { format: ARTIFACT_FORMAT, version: ARTIFACT_VERSION, kind, task, nFeatures, params, state };
}

/** Checks the header of an artifact for `kind` and returns it typed. */
export function checkArtifact(a: unknown, kind?: string): ModelArtifact {
  if (typeof a !== 'object' || a === null) throw new MlInputError('artifact', 'object', 'must be an object');
  const r = a as Partial<ModelArtifact>;
  if (r.format !== ARTIFACT_FORMAT)
    throw new MlInputError(
      'artifact.format',
      'format',
      `is ${String(r.format)}; expected "${ARTIFACT_FORMAT}"`,
    );
  if (r.version !== ARTIFACT_VERSION)
    throw new MlInputError(
      'artifact.version',
      'version',
      `is ${String(r.version)}; this code reads version ${ARTIFACT_VERSION}`,
    );
  if (typeof r.kind !== 'string') throw new MlInputError('artifact.kind', 'required', 'must be a string');
  if (kind !== undefined && r.kind !== kind)
    throw new MlInputError('artifact.kind', 'kind', `is "${r.kind}"; expected "${kind}"`);
  if (typeof r.nFeatures !== 'number' || !Number.isInteger(r.nFeatures) || r.nFeatures < 0)
    throw new MlInputError('artifact.nFeatures', 'integer', 'must be an integer >= 0');
  if (typeof r.state !== 'object' || r.state === null)
    throw new MlInputError('artifact.state', 'object', 'must be an object');
  if (typeof r.params !== 'object' || r.params === null)
    throw new MlInputError('artifact.params', 'object', 'must be an object');
  return r as ModelArtifact;
}

/** A numeric array from an artifact field, checked. */
export function f64(state: Record<string, unknown>, key: string): Float64Array {
  const v = state[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
    throw new MlInputError(`artifact.state.${key}`, 'number-array', 'must be an array of numbers');
  return Float64Array.from(v as number[]);
}

/** An integer array from an artifact field, checked. */
export function i32(state: Record<string, unknown>, key: string): Int32Array {
  const v = state[key];
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x)))
    throw new MlInputError(`artifact.state.${key}`, 'integer-array', 'must be an array of integers');
  return Int32Array.from(v as number[]);
}

/** A number from an artifact field, checked. */
export function num(state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (typeof v !== 'number') throw new MlInputError(`artifact.state.${key}`, 'number', 'must be a number');
  return v;
}

/** Throws when a model is used before fit. */
export function notFitted(kind: string): never {
  throw new MlInputError('model', 'fitted', `${kind} is not fitted; call fit() first`);
}
