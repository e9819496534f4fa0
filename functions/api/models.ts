/**
 * Read-only API over the model registry and experiment tracking:
 *   GET /v1/models/{name}/versions?limit=&cursor=        newest first
 *   GET /v1/models/{name}/versions/{version}
 *   GET /v1/models/{name}/aliases/{alias}                current version and its history
 *   GET /v1/experiments/{name}/runs?status=&sortBy=&order=&limit=&cursor=   sorted by any metric
 *   GET /v1/runs/{id}
 * The stores validate (names, numbers, cursors); their error codes become 404 / 400 / 409 here.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ExperimentError, type RunStatus, type SortOrder } from '../../src/core/experiments/index.ts';
import { RegistryError } from '../../src/core/registry/index.ts';
import { badRequest, HttpError, httpErrorHandler, json } from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { experimentStore, modelRegistry } from '../commons/ports.ts';

const STATUS_OF = { not_found: 404, invalid: 400, conflict: 409 } as const;

/** The registry's and the experiment store's typed errors, as the HTTP status they mean. */
function asHttpError(error: unknown): unknown {
  if (error instanceof RegistryError || error instanceof ExperimentError) {
    const field = error.field ?? '(request)';
    return new HttpError(
      STATUS_OF[error.code],
      error.message,
      error.code === 'invalid' ? [{ path: field, rule: 'invalid', message: error.message }] : undefined,
    );
  }
  return error;
}

function integerParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw badRequest(`${name} must be a positive integer`, [
      { path: name, rule: 'integer', message: `not an integer: ${value}` },
    ]);
  }
  return Number(value);
}

async function route(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const p = event.pathParameters ?? {};
  const q = event.queryStringParameters ?? {};
  switch (event.routeKey) {
    case 'GET /v1/models/{name}/versions': {
      const limit = integerParam('limit', q.limit);
      return json(
        200,
        await modelRegistry().listVersions(p.name ?? '', {
          ...(limit ? { limit } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        }),
      );
    }
    case 'GET /v1/models/{name}/versions/{version}': {
      const version = integerParam('version', p.version) ?? 0;
      return json(200, await modelRegistry().getVersion(p.name ?? '', version));
    }
    case 'GET /v1/models/{name}/aliases/{alias}':
      return json(200, await modelRegistry().getAlias(p.name ?? '', p.alias ?? ''));
    case 'GET /v1/experiments/{name}/runs': {
      const limit = integerParam('limit', q.limit);
      return json(
        200,
        await experimentStore().listRuns(p.name ?? '', {
          ...(q.status ? { status: q.status as RunStatus } : {}),
          ...(q.sortBy ? { sortBy: q.sortBy } : {}),
          ...(q.order ? { order: q.order as SortOrder } : {}),
          ...(limit ? { limit } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        }),
      );
    }
    case 'GET /v1/runs/{id}': {
      const run = await experimentStore().getRun(p.id ?? '');
      if (!run) throw new HttpError(404, `no run ${p.id}`);
      return json(200, run);
    }
    default:
      throw new HttpError(404, `no route ${event.routeKey}`);
  }
}

async function models(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await route(event);
  } catch (error) {
    throw asHttpError(error);
  }
}

export const handler = middy(models).use(injectLambdaContext(logger)).use(httpErrorHandler());
