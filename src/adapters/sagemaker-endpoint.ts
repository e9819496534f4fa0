/**
 * SageMakerEndpoint: the predictor's ModelEndpoint port on SageMaker real-time endpoints (InvokeEndpoint).
 *
 * Request: `ContentType: application/json`, body `{"instances": [[...], ...]}` (what the SageMaker
 * scikit-learn, XGBoost and TensorFlow containers accept). Response: JSON or CSV, read leniently because the
 * built-in containers differ:
 * - JSON `{"predictions": [...]}` (or a bare array) where each element is a number, a one-element array, an
 *   object with `predicted_label` / `prediction` / `score` (and optionally `probabilities`), or a row of class
 *   probabilities (then a top-level `classes` array is required to name the columns);
 * - CSV: one value per instance, one per line or comma-separated on one line.
 * Anything else is a non-transient `response` error naming what was wrong.
 *
 * Errors: the SDK client is built with `maxAttempts: 1` because the predictor owns retries (its timeout is
 * per attempt, and SDK retries inside it would blur the breaker's count). Throttling, 5xx, ModelNotReady and
 * an aborted call (the predictor's timeout) become transient EndpointErrors; ValidationError and a model
 * container's own 4xx/5xx (ModelError, except 429/503 from the container) are permanent.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { EndpointError, type EndpointOutput, type ModelEndpoint } from '../core/serving/index.ts';
import { describeError, isTransientAwsError } from './errors.ts';

export interface SageMakerEndpointProps {
  readonly client: SageMakerRuntimeClient;
}

const TRANSIENT_NAMES = new Set([
  'ModelNotReadyException',
  'InternalFailure',
  'ServiceUnavailable',
  'InternalDependencyException',
]);

/** Invokes SageMaker endpoints with JSON instances and parses their predictions. */
export class SageMakerEndpoint implements ModelEndpoint {
  private readonly client: SageMakerRuntimeClient;

  constructor(props: SageMakerEndpointProps) {
    this.client = props.client;
  }

  async invoke(
    endpointName: string,
    instances: readonly (readonly number[])[],
    options: { readonly signal: AbortSignal },
  ): Promise<EndpointOutput> {
    let body: Uint8Array | undefined;
    let contentType: string | undefined;
    try {
      const output = await this.client.send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: 'application/json',
          Accept: 'application/json, text/csv;q=0.5',
          Body: new TextEncoder().encode(JSON.stringify({ instances })),
        }),
        { abortSignal: options.signal },
      );
      body = output.Body;
      contentType = output.ContentType;
    } catch (error) {
      throw classify(error, endpointName, options.signal);
    }
    const text = body === undefined ? '' : new TextDecoder().decode(body);
    return parseEndpointBody(text, contentType, instances.length, endpointName);
  }
}

function classify(error: unknown, endpointName: string, signal: AbortSignal): EndpointError {
  const where = `endpoint ${endpointName}`;
  if (signal.aborted || (error as { name?: unknown }).name === 'AbortError') {
    return new EndpointError(`${where}: call aborted (timeout)`, true, 'timeout', { cause: error });
  }
  const e = error as {
    name?: unknown;
    OriginalStatusCode?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (e.name === 'ModelError') {
    const status = e.OriginalStatusCode;
    const transient = status === 429 || status === 503;
    return new EndpointError(
      `${where}: the model container answered ${String(status ?? '?')}: ${describeError(error)}`,
      transient,
      transient ? 'throttled' : 'client',
      { cause: error },
    );
  }
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) {
    return new EndpointError(`${where}: ${describeError(error)}`, true, 'server', { cause: error });
  }
  if (isTransientAwsError(error)) {
    const throttled = e.$metadata?.httpStatusCode === 429 || /thrott/i.test(String(e.name));
    return new EndpointError(`${where}: ${describeError(error)}`, true, throttled ? 'throttled' : 'server', {
      cause: error,
    });
  }
  return new EndpointError(`${where}: ${describeError(error)}`, false, 'client', { cause: error });
}

function badResponse(endpointName: string, why: string): EndpointError {
  return new EndpointError(`endpoint ${endpointName} answered badly: ${why}`, false, 'response');
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Predictions from an InvokeEndpoint body (JSON or CSV), checked to hold one prediction per instance.
 * @throws {EndpointError} response, naming what was wrong.
 */
export function parseEndpointBody(
  text: string,
  contentType: string | undefined,
  rows: number,
  endpointName: string,
): EndpointOutput {
  const trimmed = text.trim();
  const looksJson = /json/i.test(contentType ?? '') || trimmed.startsWith('{') || trimmed.startsWith('[');
  const output = looksJson ? fromJson(trimmed, endpointName) : fromCsv(trimmed, endpointName);
  if (output.predictions.length !== rows) {
    throw badResponse(endpointName, `${output.predictions.length} predictions for ${rows} instances`);
  }
  return output;
}

function fromCsv(text: string, endpointName: string): EndpointOutput {
  if (text === '') throw badResponse(endpointName, 'empty body');
  const cells = text.split(/[\n,]/).map((cell) => cell.trim());
  const predictions = cells.map(Number);
  const bad = predictions.findIndex((v, i) => !Number.isFinite(v) || cells[i] === '');
  if (bad >= 0) throw badResponse(endpointName, `CSV value ${bad} (${cells[bad]}) is not a number`);
  return { predictions };
}

function fromJson(text: string, endpointName: string): EndpointOutput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badResponse(endpointName, `body is not JSON: ${describeError(error)}`);
  }
  const top = Array.isArray(parsed) ? { predictions: parsed } : (parsed as Record<string, unknown> | null);
  if (top === null || typeof top !== 'object' || !Array.isArray(top.predictions)) {
    throw badResponse(endpointName, 'JSON body has no predictions array');
  }
  let classes: number[] | undefined;
  if (top.classes !== undefined) {
    if (!Array.isArray(top.classes) || !top.classes.every(isNumber)) {
      throw badResponse(endpointName, 'classes must be an array of numbers');
    }
    classes = top.classes;
  }
  const predictions: number[] = [];
  const probabilities: number[][] = [];
  top.predictions.forEach((item: unknown, i: number) => {
    const where = `predictions[${i}]`;
    if (isNumber(item)) {
      predictions.push(item);
      return;
    }
    if (Array.isArray(item) && item.every(isNumber)) {
      if (item.length === 1) {
        predictions.push(item[0] as number);
        return;
      }
      if (classes === undefined || classes.length !== item.length) {
        throw badResponse(
          endpointName,
          `${where} is a row of ${item.length} scores but no matching classes array`,
        );
      }
      probabilities.push(item);
      predictions.push(classes[argmax(item)] as number);
      return;
    }
    if (item !== null && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      const label = [o.predicted_label, o.prediction, o.score].find(isNumber);
      if (label === undefined)
        throw badResponse(endpointName, `${where} has no numeric predicted_label, prediction or score`);
      predictions.push(label);
      if (Array.isArray(o.probabilities) && o.probabilities.every(isNumber))
        probabilities.push(o.probabilities);
      return;
    }
    throw badResponse(endpointName, `${where} is not a number, an array of numbers or an object`);
  });
  if (probabilities.length !== 0 && probabilities.length !== predictions.length) {
    throw badResponse(endpointName, 'probabilities are given for some predictions but not all');
  }
  return {
    predictions,
    ...(probabilities.length > 0 ? { probabilities } : {}),
    ...(classes === undefined ? {} : { classes }),
  };
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}
