/** GET /v1/series?metric=&component=&from=&to=&step= : aggregated points (count, sum, min, max, avg per step). */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ValidationIssue } from '../../src/core/events/index.ts';
import { COMPONENT_SELECTOR, METRIC_SELECTOR, parseDuration } from '../../src/core/series/index.ts';
import {
  badRequest,
  collecting,
  httpErrorHandler,
  invalidQueryMessage,
  json,
  parseTimeParam,
} from '../commons/http.ts';
import { logger } from '../commons/observability.ts';
import { seriesStore } from '../commons/ports.ts';

/** A query may span at most this many steps, so one response stays small and fast. */
export const MAX_STEPS = 10_000;

/** Parses a step such as `500ms`, `30s`, `5m`, `1h`, `1d` or plain seconds (`60`). */
export function parseStep(value: string | undefined): number {
  if (value === undefined || value === '') return 60_000;
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw badRequest('step must be a positive duration such as 30s, 5m, 1h (plain numbers are seconds)', [
      { path: 'step', rule: 'duration', message: `not a duration: ${value}` },
    ]);
  }
  return ms;
}

async function getSeries(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const q = event.queryStringParameters ?? {};
  const errors: ValidationIssue[] = [];
  if (!q.metric) errors.push({ path: 'metric', rule: 'required', message: 'metric is required' });
  else if (!METRIC_SELECTOR.test(q.metric))
    errors.push({ path: 'metric', rule: 'pattern', message: 'metric must match [a-z][a-z0-9_.]{0,63}' });
  if (q.component !== undefined && !COMPONENT_SELECTOR.test(q.component)) {
    errors.push({
      path: 'component',
      rule: 'pattern',
      message: 'component must match [a-z0-9][a-z0-9._:/-]{0,63}',
    });
  }
  const now = Date.now();
  const to = collecting(errors, () => parseTimeParam('to', q.to, now));
  const from = collecting(errors, () => parseTimeParam('from', q.from, (to ?? now) - 3_600_000));
  const stepMs = collecting(errors, () => parseStep(q.step));
  // The range checks need every part parsed; each part's own problem is already listed.
  if (from !== undefined && to !== undefined && from >= to) {
    errors.push({ path: 'from', rule: 'range', message: 'from must be before to: the range is empty' });
  } else if (from !== undefined && to !== undefined && stepMs !== undefined) {
    const steps = Math.ceil((to - from) / stepMs);
    if (steps > MAX_STEPS) {
      errors.push({
        path: 'step',
        rule: 'max_steps',
        message: `the range holds ${steps} steps; at most ${MAX_STEPS}: use a larger step or a shorter range`,
      });
    }
  }
  if (errors.length > 0 || from === undefined || to === undefined || stepMs === undefined) {
    throw badRequest(invalidQueryMessage('series', errors), errors);
  }
  const result = await seriesStore().query({
    metric: q.metric!,
    ...(q.component ? { component: q.component } : {}),
    from,
    to,
    stepMs,
  });
  return json(200, {
    metric: q.metric,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    stepMs,
    ...result,
  });
}

export const handler = middy(getSeries).use(injectLambdaContext(logger)).use(httpErrorHandler());
