/**
 * The ML core: models behind one interface (fit, predict, predictProba, toArtifact / loadModel), a
 * preprocessing pipeline, cross-validation splits and metrics. Pure TypeScript with typed arrays: no maintained
 * JS library offers scikit-learn-comparable trees, boosting, linear models and evaluation with deterministic
 * seeding and a serialisable pipeline in one small dependency-free package (ml.js covers parts, unevenly and
 * without histogram boosting or a versioned artifact), and the core must run inside Lambda without native code.
 */
export { loadModel, MODEL_KINDS } from './artifact.ts';
export { type ForestOptions, RandomForestClassifier, RandomForestRegressor } from './forest.ts';
export { type HistGbOptions, HistGradientBoostingClassifier, HistGradientBoostingRegressor } from './gbm.ts';
export { KMeans, type KMeansOptions } from './kmeans.ts';
export { KNeighborsClassifier, KNeighborsRegressor } from './knn.ts';
export { lbfgs } from './lbfgs.ts';
export { Lasso, LinearRegression, Ridge } from './linear.ts';
export { type LogisticOptions, LogisticRegression } from './logistic.ts';
export * from './matrix.ts';
export * from './metrics.ts';
export { MLPClassifier, MLPRegressor, type MlpOptions } from './mlp.ts';
export * from './model.ts';
export { GaussianNB } from './naive-bayes.ts';
export { Pipeline } from './pipeline.ts';
export * from './preprocess.ts';
export * from './splits.ts';
export { DecisionTreeClassifier, DecisionTreeRegressor, type TreeOptions } from './tree.ts';
