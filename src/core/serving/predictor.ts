/**
 * The serving service behind `POST /v1/models/{name}/predict`.
 *
 * 1. The body is checked (shape), the model version resolved (alias through the cache's TTL, or a version).
 * 2. The request goes to the host the {@link ServingConfig} names for the model:
 *    - `lambda` (the default): the artifact is loaded in this container (once per version) and run here;
 *    - `sagemaker`: the endpoint is called behind a per-attempt timeout, retries with jittered exponential
 *      backoff for transient failures, and a circuit breaker per model. When the breaker is open or the call
 *      fails for good, the model's `fallbackAlias` answers here instead (host `fallback`); with no fallback
 *      configured the request fails with 503.
 * 3. In shadow mode the challenger alias is predicted after the main answer, run here, and only logged: its
 *    result never changes the response and its failure never fails the request.
 * 4. One prediction record per request goes to the lake (prediction-log.ts).
 *
 * The SageMaker-hosted model's artifact is not loaded here: the feature count is taken from the version's
 * `params.nFeatures` (or the host config's `nFeatures`), and rows are only checked for equal length when
 * neither is known. Keeping the endpoint in step with the alias is the deploy step's job; the response
 * names the registry's version.
 */
import { argmaxLabels, type Matrix } from '../ml/matrix.ts';
import { isClassifier } from '../ml/model.ts';
import type { Lake } from '../ports.ts';
import type { RegistryError } from '../registry/errors.ts';
import { validateAlias, validateModelName } from '../registry/rules.ts';
import {
  BreakerOpenError,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
  CircuitBreaker,
} from './breaker.ts';
import type { LoadedModel, ModelCache } from './model-cache.ts';
import {
  type ModelOutputs,
  PredictionLog,
  type PredictionLogData,
  type PredictionLogFailure,
  type ShadowLog,
} from './prediction-log.ts';
import {
  checkRowLengths,
  instancesMatrix,
  type PredictRequest,
  type PredictResponse,
  parsePredictRequest,
  ServingError,
  type ServingHost,
} from './request.ts';

/** What an endpoint answered, one prediction per instance. */
export interface EndpointOutput {
  readonly predictions: number[];
  readonly probabilities?: number[][];
  readonly classes?: number[];
}

/** The SageMaker port: invokes an endpoint with rows; honours `signal` (the per-attempt timeout). */
export interface ModelEndpoint {
  invoke(
    endpointName: string,
    instances: readonly (readonly number[])[],
    options: { readonly signal: AbortSignal },
  ): Promise<EndpointOutput>;
}

/** A failed endpoint call; `transient` failures (throttling, 5xx, timeouts) are retried. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(
    message: string,
    readonly transient: boolean,
    readonly reason: 'timeout' | 'throttled' | 'server' | 'client' | 'response' = transient
      ? 'server'
      : 'client',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A model answered in this container. */
export interface LambdaHostConfig {
  readonly host: 'lambda';
}

/** A model answered by a SageMaker endpoint. */
export interface SageMakerHostConfig {
  readonly host: 'sagemaker';
  readonly endpointName: string;
  /** Per attempt, ms. @default 2000 */
  readonly timeoutMs?: number;
  /** Retries after the first attempt, for transient failures only. @default 2 */
  readonly retries?: number;
  /** Base of the exponential backoff, ms (full jitter, capped at 1 s). @default 50 */
  readonly backoffMs?: number;
  readonly breaker?: BreakerOptions;
  /** Alias of the same model answered here when the endpoint cannot answer. No fallback when absent. */
  readonly fallbackAlias?: string;
  /** Feature count, when the version's `params.nFeatures` does not say. */
  readonly nFeatures?: number;
}

export type HostConfig = LambdaHostConfig | SageMakerHostConfig;

/** Where each model is served; a model not listed is served in Lambda. */
export type ServingConfig = Readonly<Record<string, HostConfig>>;

const MAX_TIMEOUT_MS = 25_000;
const MAX_RETRIES = 5;
const BACKOFF_CAP_MS = 1_000;
/** API Gateway's integration timeout is 30 s: the worst case of attempts and backoff must fit below it. */
const MAX_ENDPOINT_BUDGET_MS = 28_000;

function configError(path: string, rule: string): RangeError {
  return new RangeError(`SERVING_CONFIG.${path}: ${rule}`);
}

function optionalInt(
  value: unknown,
  path: string,
  min: number,
  max: number,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configError(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Checks a serving configuration (e.g. the parsed SERVING_CONFIG variable), naming the field and the rule.
 *
 * @example
 * parseServingConfig({ 'week-movement': { host: 'sagemaker', endpointName: 'wm-prod', fallbackAlias: 'champion-lambda' } });
 */
export function parseServingConfig(value: unknown): ServingConfig {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw configError('(root)', 'must be a JSON object');
  const out: Record<string, HostConfig> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    try {
      validateModelName(name);
    } catch {
      throw configError(name, 'is not a model name ([a-z][a-z0-9-]{1,63})');
    }
    if (typeof raw !== 'object' || raw === null) throw configError(name, 'must be an object with a host');
    const c = raw as Record<string, unknown>;
    if (c.host === 'lambda') {
      out[name] = { host: 'lambda' };
      continue;
    }
    if (c.host !== 'sagemaker') throw configError(`${name}.host`, 'must be "lambda" or "sagemaker"');
    if (typeof c.endpointName !== 'string' || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(c.endpointName)) {
      throw configError(
        `${name}.endpointName`,
        'must be a SageMaker endpoint name (1-63 letters, digits, dashes)',
      );
    }
    const timeoutMs = optionalInt(c.timeoutMs, `${name}.timeoutMs`, 1, MAX_TIMEOUT_MS, 2_000) as number;
    const retries = optionalInt(c.retries, `${name}.retries`, 0, MAX_RETRIES, 2) as number;
    const backoffMs = optionalInt(c.backoffMs, `${name}.backoffMs`, 0, BACKOFF_CAP_MS, 50) as number;
    if (timeoutMs * (retries + 1) + BACKOFF_CAP_MS * retries > MAX_ENDPOINT_BUDGET_MS) {
      throw configError(
        name,
        `timeoutMs x (retries + 1) + ${BACKOFF_CAP_MS} ms x retries must stay under ${MAX_ENDPOINT_BUDGET_MS} ms (API Gateway times out at 30 s)`,
      );
    }
    if (c.fallbackAlias !== undefined) {
      try {
        validateAlias(c.fallbackAlias);
      } catch {
        throw configError(`${name}.fallbackAlias`, 'must match [a-z][a-z0-9-]{0,31}');
      }
    }
    const nFeatures = optionalInt(c.nFeatures, `${name}.nFeatures`, 0, 1_000_000, undefined);
    if (c.breaker !== undefined && (typeof c.breaker !== 'object' || c.breaker === null)) {
      throw configError(`${name}.breaker`, 'must be an object');
    }
    const breaker = c.breaker as BreakerOptions | undefined;
    if (breaker !== undefined) {
      try {
        new CircuitBreaker(breaker); // validates the options, naming the bad one
      } catch (error) {
        throw configError(`${name}.${(error as Error).message}`, 'invalid');
      }
    }
    out[name] = {
      host: 'sagemaker',
      endpointName: c.endpointName,
      timeoutMs,
      retries,
      backoffMs,
      ...(breaker === undefined ? {} : { breaker }),
      ...(c.fallbackAlias === undefined ? {} : { fallbackAlias: c.fallbackAlias as string }),
      ...(nFeatures === undefined ? {} : { nFeatures }),
    };
  }
  return out;
}

/** Hooks for logs and metrics. Each must not throw. */
export interface ServingObserver {
  breakerStateChanged?(event: {
    model: string;
    endpointName: string;
    from: BreakerState;
    to: BreakerState;
    at: number;
  }): void;
  fellBack?(event: { model: string; endpointName: string; reason: string }): void;
  shadowFailed?(event: { model: string; alias: string; error: string }): void;
}

export interface PredictorOptions {
  readonly cache: ModelCache;
  /** Where prediction records go. */
  readonly lake: Lake;
  /** Called with a record the lake refused (the handler logs its line). */
  readonly onLogFailure?: PredictionLogFailure;
  readonly config?: ServingConfig;
  /** Required when a model is SageMaker-hosted. */
  readonly endpoint?: ModelEndpoint;
  /** Shadow the challenger by default (a request's `shadow` overrides it). @default false */
  readonly shadow?: boolean;
  /** @default 'challenger' */
  readonly shadowAlias?: string;
  /** How long the shadow path may add to a request while the challenger loads, ms. @default 1000 */
  readonly shadowTimeoutMs?: number;
  /** Epoch ms: record times and breaker clocks. @default Date.now */
  readonly now?: () => number;
  /** High-resolution ms for latencies. @default performance.now */
  readonly clock?: () => number;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  readonly observer?: ServingObserver;
}

interface Answer {
  readonly model: PredictResponse['model'];
  readonly outputs: ModelOutputs;
  readonly fallbackReason?: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a loaded model on the rows. Classifiers are run once through `predictProba`; their labels are its
 * row-wise argmax, which is exactly how every classifier of src/core/ml implements `predict`.
 */
export function runLoaded(loaded: LoadedModel, instances: readonly (readonly number[])[]): ModelOutputs {
  const X = instancesMatrix(instances, loaded.nFeatures, loaded);
  const { model } = loaded;
  if (!isClassifier(model)) return { predictions: Array.from(model.predict(X)) };
  const P = model.predictProba(X);
  return {
    predictions: Array.from(argmaxLabels(P, model.classes)),
    probabilities: rowsOf(P),
    classes: loaded.classes ?? Array.from(model.classes),
  };
}

function rowsOf(P: Matrix): number[][] {
  const rows: number[][] = new Array(P.rows);
  for (let i = 0; i < P.rows; i++) rows[i] = Array.from(P.data.subarray(i * P.cols, (i + 1) * P.cols));
  return rows;
}

function checkEndpointOutput(output: EndpointOutput, rows: number, endpointName: string): ModelOutputs {
  const bad = (why: string) =>
    new EndpointError(`endpoint ${endpointName} answered badly: ${why}`, false, 'response');
  if (!Array.isArray(output.predictions) || output.predictions.length !== rows) {
    throw bad(`${output.predictions?.length ?? 0} predictions for ${rows} instances`);
  }
  if (output.predictions.some((p) => typeof p !== 'number' || !Number.isFinite(p))) {
    throw bad('a prediction is not a finite number');
  }
  if (output.probabilities !== undefined && output.probabilities.length !== rows) {
    throw bad(`${output.probabilities.length} probability rows for ${rows} instances`);
  }
  return {
    predictions: output.predictions,
    ...(output.probabilities === undefined ? {} : { probabilities: output.probabilities }),
    ...(output.classes === undefined ? {} : { classes: output.classes }),
  };
}

function featureCountOf(
  params: Readonly<Record<string, unknown>>,
  config: SageMakerHostConfig,
): number | undefined {
  const n = params.nFeatures;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  return config.nFeatures;
}

/**
 * The serving service. Build one per container and keep it: it holds the model cache and the breakers.
 *
 * @example
 * const predictor = new Predictor({ cache, lake, config: parseServingConfig(JSON.parse(env.SERVING_CONFIG)) });
 * const response = await predictor.predict('week-movement', { instances: [[0.1, 0.2, 0.3]] });
 */
export class Predictor {
  private readonly cache: ModelCache;
  private readonly log: PredictionLog;
  private readonly config: ServingConfig;
  private readonly endpoint: ModelEndpoint | undefined;
  private readonly shadow: boolean;
  private readonly shadowAlias: string;
  private readonly shadowTimeoutMs: number;
  private readonly now: () => number;
  private readonly clock: () => number;
  private readonly newId: () => string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly observer: ServingObserver;
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(options: PredictorOptions) {
    this.cache = options.cache;
    this.log = new PredictionLog(options.lake, options.onLogFailure);
    this.config = options.config ?? {};
    this.endpoint = options.endpoint;
    this.shadow = options.shadow ?? false;
    this.shadowAlias = validateAlias(options.shadowAlias ?? 'challenger');
    this.shadowTimeoutMs = options.shadowTimeoutMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? (() => performance.now());
    this.newId = options.newId ?? (() => crypto.randomUUID());
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.observer = options.observer ?? {};
    for (const [name, host] of Object.entries(this.config)) {
      if (host.host === 'sagemaker' && this.endpoint === undefined) {
        throw new RangeError(`model ${name} is SageMaker-hosted but the predictor has no endpoint port`);
      }
    }
  }

  /**
   * Answers one predict request for model `name`, and logs it.
   * @throws {ServingError} invalid (400), not_found (404), unavailable (503), artifact (500).
   */
  async predict(name: string, body: unknown): Promise<PredictResponse> {
    const started = this.clock();
    const time = this.now();
    try {
      validateModelName(name);
    } catch (error) {
      const message = (error as RegistryError).message;
      throw new ServingError('invalid', `invalid model name: ${message}`, [
        { path: 'name', rule: 'pattern', message },
      ]);
    }
    const request = parsePredictRequest(body);
    const host = this.config[name] ?? { host: 'lambda' };
    const answer =
      host.host === 'lambda'
        ? await this.inLambda(name, request)
        : await this.viaEndpoint(name, host, request);
    const latencyMs = this.clock() - started;
    const predictionId = this.newId();
    const response: PredictResponse = {
      predictionId,
      model: answer.model,
      ...answer.outputs,
    } as PredictResponse;

    const shadowOn = request.shadow ?? this.shadow;
    const shadow = shadowOn ? await this.runShadow(name, request, answer.model) : undefined;
    const data: PredictionLogData = {
      predictionId,
      model: answer.model,
      requested: request.selector,
      ...(answer.fallbackReason === undefined ? {} : { fallbackReason: answer.fallbackReason }),
      instances: request.instances,
      outputs: answer.outputs,
      ...(shadow === undefined ? {} : { shadow }),
      latencyMs,
    };
    await this.log.write(data, time);
    return response;
  }

  /** The breaker of a SageMaker-hosted model, for metrics (undefined until the model is first called). */
  breakerSnapshot(name: string): BreakerSnapshot | undefined {
    return this.breakers.get(name)?.snapshot();
  }

  private async inLambda(name: string, request: PredictRequest): Promise<Answer> {
    const loaded = await this.cache.get(name, request.selector);
    const outputs = runLoaded(loaded, request.instances);
    const host: ServingHost = 'lambda';
    return {
      model: {
        name,
        version: loaded.version,
        ...(loaded.alias === undefined ? {} : { alias: loaded.alias }),
        host,
      },
      outputs,
    };
  }

  private async viaEndpoint(
    name: string,
    config: SageMakerHostConfig,
    request: PredictRequest,
  ): Promise<Answer> {
    const resolved = await this.cache.resolve(name, request.selector);
    const nFeatures = featureCountOf(resolved.meta.params, config);
    if (nFeatures === undefined) checkRowLengths(request.instances);
    else instancesMatrix(request.instances, nFeatures, resolved);
    const alias = resolved.alias === undefined ? {} : { alias: resolved.alias };
    let reason: string;
    try {
      const outputs = await this.callEndpoint(name, config, request.instances);
      return { model: { name, version: resolved.version, ...alias, host: 'sagemaker' }, outputs };
    } catch (error) {
      reason = error instanceof BreakerOpenError ? `circuit breaker open: ${error.message}` : describe(error);
    }
    if (config.fallbackAlias === undefined) {
      throw new ServingError(
        'unavailable',
        `model ${name}: endpoint ${config.endpointName} could not answer (${reason}) and no fallbackAlias is configured`,
      );
    }
    this.observer.fellBack?.({ model: name, endpointName: config.endpointName, reason });
    let loaded: LoadedModel;
    try {
      loaded = await this.cache.get(name, { alias: config.fallbackAlias });
    } catch (error) {
      const why = describe(error);
      throw new ServingError(
        'unavailable',
        `model ${name}: endpoint ${config.endpointName} could not answer (${reason}) and fallback alias ${config.fallbackAlias} failed: ${why}`,
        [],
        { cause: error },
      );
    }
    const outputs = runLoaded(loaded, request.instances);
    return {
      model: { name, version: loaded.version, alias: config.fallbackAlias, host: 'fallback' },
      outputs,
      fallbackReason: reason,
    };
  }

  private breakerFor(name: string, config: SageMakerHostConfig): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(config.breaker ?? {}, {
        now: this.now,
        onStateChange: (change) =>
          this.observer.breakerStateChanged?.({ model: name, endpointName: config.endpointName, ...change }),
      });
      this.breakers.set(name, breaker);
    }
    return breaker;
  }

  /** Attempts until success, a permanent failure, the retry budget, or the breaker refusing. */
  private async callEndpoint(
    name: string,
    config: SageMakerHostConfig,
    instances: readonly (readonly number[])[],
  ): Promise<ModelOutputs> {
    const endpoint = this.endpoint as ModelEndpoint;
    const breaker = this.breakerFor(name, config);
    const retries = config.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      if (!breaker.tryAcquire()) throw new BreakerOpenError(breaker.snapshot().retryAt);
      try {
        const output = await withTimeout(
          (signal) => endpoint.invoke(config.endpointName, instances, { signal }),
          config.timeoutMs ?? 2_000,
          config.endpointName,
        );
        const checked = checkEndpointOutput(output, instances.length, config.endpointName);
        breaker.onSuccess();
        return checked;
      } catch (error) {
        breaker.onFailure();
        const transient = error instanceof EndpointError && error.transient;
        if (!transient || attempt >= retries) throw error;
        const cap = Math.min(BACKOFF_CAP_MS, (config.backoffMs ?? 50) * 2 ** attempt);
        await this.sleep(this.random() * cap);
      }
    }
  }

  /** The challenger's answer for the log; never throws. */
  private async runShadow(
    name: string,
    request: PredictRequest,
    main: PredictResponse['model'],
  ): Promise<ShadowLog | undefined> {
    const alias = this.shadowAlias;
    const started = this.clock();
    let version: number | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const resolved = await this.cache.resolve(name, { alias }).catch((error: unknown) => {
        if (error instanceof ServingError && error.code === 'not_found') return undefined;
        throw error;
      });
      if (resolved === undefined) return undefined; // no challenger: nothing to shadow
      version = resolved.version;
      // The challenger is the champion (nothing to compare) unless the answer came from elsewhere.
      if (resolved.version === main.version && main.host === 'lambda') return undefined;
      // A first load may take long: wait a bounded time; the load goes on and serves the next request.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`challenger not loaded within ${this.shadowTimeoutMs} ms`)),
          this.shadowTimeoutMs,
        );
      });
      const loaded = await Promise.race([this.cache.load(resolved), deadline]);
      const outputs = runLoaded(loaded, request.instances);
      return { alias, version, outputs, latencyMs: this.clock() - started };
    } catch (error) {
      const message = describe(error);
      this.observer.shadowFailed?.({ model: name, alias, error: message });
      return {
        alias,
        ...(version === undefined ? {} : { version }),
        error: message,
        latencyMs: this.clock() - started,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs `call` with an AbortSignal that fires after `ms`; rejects with a transient timeout error then. */
async function withTimeout<T>(
  call: (signal: AbortSignal) => Promise<T>,
  ms: number,
  endpointName: string,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new EndpointError(
        `endpoint ${endpointName} did not answer within ${ms} ms`,
        true,
        'timeout',
      );
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
