/**
 * A pipeline: preprocessing steps followed by one model, fitted together on training rows and serialised
 * together, so serving applies exactly the transformation the model was trained with.
 */
import { checkX, type Matrix, MlInputError } from './matrix.ts';
import {
  artifact,
  type Classifier,
  isClassifier,
  type Model,
  type ModelArtifact,
  notFitted,
} from './model.ts';
import type { StepArtifact, Transformer } from './preprocess.ts';

/**
 * Steps then a model, behaving as one model.
 *
 * @example
 * const p = new Pipeline([new SimpleImputer(), new StandardScaler()], new LogisticRegression());
 * p.fit(Xtrain, ytrain).predictProba(Xtest);
 */
export class Pipeline implements Classifier {
  readonly kind = 'pipeline';
  nFeatures?: number;

  constructor(
    readonly steps: readonly Transformer[],
    readonly model: Model,
  ) {
    if (!model || typeof model.fit !== 'function')
      throw new MlInputError('model', 'required', 'a pipeline needs a model as its last stage');
  }

  get task() {
    return this.model.task;
  }

  /** Class labels of the final model (classifiers only). */
  get classes(): Float64Array {
    if (!isClassifier(this.model))
      throw new MlInputError('model', 'classifier', `${this.model.kind} has no classes`);
    return this.model.classes;
  }

  private apply(X: Matrix): Matrix {
    let Z = X;
    for (const s of this.steps) Z = s.transform(Z);
    return Z;
  }

  fit(X: Matrix, y: ArrayLike<number>): this {
    checkX(X, { allowNaN: true });
    let Z = X;
    for (const s of this.steps) Z = s.fit(Z).transform(Z);
    this.model.fit(Z, y);
    this.nFeatures = X.cols;
    return this;
  }

  /** The training matrix as the final model sees it (after every step). */
  transform(X: Matrix): Matrix {
    if (this.nFeatures === undefined) return notFitted(this.kind);
    checkX(X, { nFeatures: this.nFeatures, allowNaN: true });
    return this.apply(X);
  }

  predict(X: Matrix): Float64Array {
    return this.model.predict(this.transform(X));
  }

  predictProba(X: Matrix): Matrix {
    if (!isClassifier(this.model))
      throw new MlInputError('model', 'classifier', `${this.model.kind} does not give class probabilities`);
    return this.model.predictProba(this.transform(X));
  }

  toArtifact(): ModelArtifact {
    if (this.nFeatures === undefined) return notFitted(this.kind);
    const steps: StepArtifact[] = this.steps.map((s) => s.toArtifact());
    return artifact(this.kind, this.task, this.nFeatures, {}, { steps, model: this.model.toArtifact() });
  }
}
