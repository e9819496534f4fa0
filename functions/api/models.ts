import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ExperimentError, type RunStatus, type SortOrder } from '../../src/core/experiments/index.ts';
import { RegistryError } from '../../src/core/registry/index.ts';
import { badRequest, codedHttpError, HttpError, json, routedHandler } from '../commons/http.ts';
import { experimentStore, modelRegistry } from '../commons/ports.ts';

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

export const handler = routedHandler(route, (error) =>
  error instanceof RegistryError || error instanceof ExperimentError ? codedHttpError(error) : error,
);
