/**
 * Reading artifacts back: one entry point that checks the header and dispatches on `kind`.
 */

import { RandomForestClassifier, RandomForestRegressor } from './forest.ts';
import { HistGradientBoostingClassifier, HistGradientBoostingRegressor } from './gbm.ts';
import { KMeans } from './kmeans.ts';
import { KNeighborsClassifier, KNeighborsRegressor } from './knn.ts';
import { Lasso, LinearRegression, Ridge } from './linear.ts';
import { LogisticRegression } from './logistic.ts';
import { MlInputError } from './matrix.ts';
import { MLPClassifier, MLPRegressor } from './mlp.ts';
import { checkArtifact, type Model, type ModelArtifact } from './model.ts';
import { GaussianNB } from './naive-bayes.ts';
import { Pipeline } from './pipeline.ts';
import { type StepArtifact, stepFromArtifact } from './preprocess.ts';
import { DecisionTreeClassifier, DecisionTreeRegressor } from './tree.ts';

const LOADERS: Record<string, (a: ModelArtifact) => Model> = {
  linear_regression: (a) => LinearRegression.fromArtifact(a),
  ridge: (a) => Ridge.fromArtifact(a),
  lasso: (a) => Lasso.fromArtifact(a),
  logistic_regression: (a) => LogisticRegression.fromArtifact(a),
  decision_tree_classifier: (a) => DecisionTreeClassifier.fromArtifact(a),
  decision_tree_regressor: (a) => DecisionTreeRegressor.fromArtifact(a),
  random_forest_classifier: (a) => RandomForestClassifier.fromArtifact(a),
  random_forest_regressor: (a) => RandomForestRegressor.fromArtifact(a),
  hist_gradient_boosting_classifier: (a) => HistGradientBoostingClassifier.fromArtifact(a),
  hist_gradient_boosting_regressor: (a) => HistGradientBoostingRegressor.fromArtifact(a),
  k_neighbors_classifier: (a) => KNeighborsClassifier.fromArtifact(a),
  k_neighbors_regressor: (a) => KNeighborsRegressor.fromArtifact(a),
  gaussian_nb: (a) => GaussianNB.fromArtifact(a),
  k_means: (a) => KMeans.fromArtifact(a),
  mlp_classifier: (a) => MLPClassifier.fromArtifact(a),
  mlp_regressor: (a) => MLPRegressor.fromArtifact(a),
  pipeline: (a) => {
    const steps = a.state.steps;
    if (!Array.isArray(steps)) throw new MlInputError('artifact.state.steps', 'array', 'must be an array');
    const p = new Pipeline(
      (steps as StepArtifact[]).map((s) => stepFromArtifact(s)),
      loadModel(a.state.model),
    );
    p.nFeatures = a.nFeatures;
    return p;
  },
};

/**
 * A fitted model (or pipeline) from its artifact, e.g. after `JSON.parse` of a stored file.
 *
 * @example
 * const model = loadModel(JSON.parse(JSON.stringify(fitted.toArtifact())));
 */
export function loadModel(a: unknown): Model {
  const art = checkArtifact(a);
  const loader = LOADERS[art.kind];
  if (!loader) throw new MlInputError('artifact.kind', 'kind', `unknown model kind "${art.kind}"`);
  return loader(art);
}

/** The model kinds {@link loadModel} reads. */
export const MODEL_KINDS: readonly string[] = Object.keys(LOADERS);
