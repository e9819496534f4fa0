/**
 * Model serving: request validation, the per-container model cache, the circuit breaker around SageMaker
 * endpoints, the predictor (routing, fallback, shadow) and the prediction log. Pure TypeScript; the S3
 * artifact store and the SageMaker endpoint are adapters (src/adapters/s3-artifact-store.ts,
 * src/adapters/sagemaker-endpoint.ts) behind the ports declared here.
 */
export {
  type BreakerHooks,
  BreakerOpenError,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
  CircuitBreaker,
} from './breaker.ts';
export {
  type AliasMoveNotice,
  type ArtifactStore,
  type LoadedModel,
  ModelCache,
  type ModelCacheOptions,
  type ResolvedVersion,
  sha256Hex,
} from './model-cache.ts';
export {
  type ModelOutputs,
  PREDICTION_RECORD_TYPE,
  PREDICTION_SOURCE,
  PredictionLog,
  type PredictionLogData,
  type PredictionLogFailure,
  type PredictionLogLine,
  predictionLakeRecord,
  type ShadowLog,
} from './prediction-log.ts';
export {
  EndpointError,
  type EndpointOutput,
  type HostConfig,
  type LambdaHostConfig,
  type ModelEndpoint,
  Predictor,
  type PredictorOptions,
  parseServingConfig,
  runLoaded,
  type SageMakerHostConfig,
  type ServingConfig,
  type ServingObserver,
} from './predictor.ts';
export {
  checkRowLengths,
  DEFAULT_ALIAS,
  instancesMatrix,
  MAX_INSTANCES,
  MAX_ISSUES,
  type ModelSelector,
  type PredictRequest,
  type PredictResponse,
  parsePredictRequest,
  ServingError,
  type ServingErrorCode,
  type ServingHost,
  type ServingIssue,
} from './request.ts';
