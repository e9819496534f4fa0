/**
 * POST /v1/models/{name}/predict: serves a registered model.
 *   body {instances: number[][] (1..1000 rows), alias? (default champion) | version?, shadow?: boolean}
 *   200 {predictionId, model: {name, version, alias?, host}, predictions, probabilities?, classes?}
 *   400 bad instances or body (each problem names its field) · 404 unknown model, alias or version
 *   503 host unavailable without a fallback · 500 an artifact refused (checksum or format)
 *
 * Environment: DOCUMENTS_TABLE_NAME (registry), LAKE_BUCKET_NAME (prediction log), SERVING_CONFIG (JSON,
 * optional: which models are SageMaker-hosted, see parseServingConfig), SHADOW (`true` to shadow the
 * challenger by default), MODEL_ALIAS_TTL_MS (optional, default 30000). The predictor (its model cache and
 * breakers) is built on first use and lives as long as the container.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SageMakerEndpoint } from '../../src/adapters/sagemaker-endpoint.ts';
import {
  ModelCache,
  type ModelEndpoint,
  Predictor,
  parseServingConfig,
  ServingError,
  type ServingErrorCode,
} from '../../src/core/serving/index.ts';
import { oneOfEnv } from '../commons/env.ts';
import { HttpError, httpErrorHandler, json, parseJsonBody } from '../commons/http.ts';
import { logger, metrics } from '../commons/observability.ts';
import { clients, lakeStore, lazy, modelRegistry, objectStore } from '../commons/ports.ts';

/** 1000 rows of a few hundred features fit; API Gateway and Lambda cap payloads at 6 MB anyway. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

const STATUS_OF: Record<ServingErrorCode, number> = {
  invalid: 400,
  not_found: 404,
  unavailable: 503,
  artifact: 500,
};

function servingConfigFromEnv() {
  const raw = process.env.SERVING_CONFIG;
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`Environment variable SERVING_CONFIG is not JSON: ${(error as Error).message}`);
  }
  return parseServingConfig(parsed);
}

function aliasTtlFromEnv(): number | undefined {
  const raw = process.env.MODEL_ALIAS_TTL_MS;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`Environment variable MODEL_ALIAS_TTL_MS=${raw} is not an integer >= 0`);
  }
  return value;
}

export const predictor = lazy(() => {
  const config = servingConfigFromEnv();
  const needsEndpoint = Object.values(config).some((host) => host.host === 'sagemaker');
  const endpoint: ModelEndpoint | undefined = needsEndpoint
    ? new SageMakerEndpoint({ client: clients.sagemakerRuntime })
    : undefined;
  const aliasTtlMs = aliasTtlFromEnv();
  const cache = new ModelCache({
    registry: modelRegistry(),
    artifacts: objectStore(),
    ...(aliasTtlMs === undefined ? {} : { aliasTtlMs }),
    onAliasMoved: (notice) => logger.info('model alias moved', { ...notice }),
  });
  return new Predictor({
    cache,
    lake: lakeStore(),
    config,
    ...(endpoint === undefined ? {} : { endpoint }),
    shadow: oneOfEnv('SHADOW', ['true', 'false'] as const, 'false') === 'true',
    onLogFailure: ({ record, error }) => {
      // The line is logged whole so that the record can be recovered from CloudWatch Logs.
      logger.error('prediction record not written to the lake', { error: error as Error, line: record.line });
      metrics.addMetric('PredictionLogFailed', MetricUnit.Count, 1);
    },
    observer: {
      breakerStateChanged: (change) => {
        logger.warn('circuit breaker state changed', { ...change });
        if (change.to === 'open') metrics.addMetric('BreakerOpened', MetricUnit.Count, 1);
      },
      fellBack: (event) => {
        logger.warn('fallback model answered', { ...event });
        metrics.addMetric('PredictFallback', MetricUnit.Count, 1);
      },
      shadowFailed: (event) => {
        logger.warn('shadow prediction failed', { ...event });
        metrics.addMetric('ShadowFailed', MetricUnit.Count, 1);
      },
    },
  });
});

function asHttpError(error: unknown): unknown {
  if (!(error instanceof ServingError)) return error;
  const status = STATUS_OF[error.code];
  if (status >= 500) logger.error('prediction failed', { error });
  return new HttpError(status, error.message, error.issues.length > 0 ? error.issues : undefined);
}

async function predict(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const name = event.pathParameters?.name ?? '';
  const body = parseJsonBody(event, MAX_BODY_BYTES);
  try {
    const response = await predictor().predict(name, body);
    metrics.addMetric(`Predict_${response.model.host}`, MetricUnit.Count, 1);
    metrics.addMetric('PredictedRows', MetricUnit.Count, response.predictions.length);
    return json(200, response);
  } catch (error) {
    throw asHttpError(error);
  }
}

export const handler = middy(predict)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(httpErrorHandler());
