/**
 * Pure rules of the model registry shared by every adapter: input validation (errors name the field and
 * the rule), alias moves and rollback targets, and the opaque cursor of version pages.
 */
import { RegistryError } from './errors.ts';
import type {
  AliasMove,
  AliasState,
  JsonValue,
  ListVersionsOptions,
  MoveContext,
  NewModelVersion,
} from './index.ts';

/** Moves kept per alias: a DynamoDB item holds 400 KB, and rollback only needs the last move. */
export const ALIAS_HISTORY_LIMIT = 100;

const MODEL_NAME = /^[a-z][a-z0-9-]{1,63}$/;
const ALIAS_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
/** Bounds text fields so a version always fits one item. */
const MAX_TEXT = 1_024;
const MAX_PARAMS_BYTES = 64_000;
const MAX_METRICS = 200;
/** Versions are stored under a 10-digit sort key. */
const MAX_VERSION = 9_999_999_999;
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

function invalid(field: string, rule: string): RegistryError {
  return new RegistryError('invalid', `${field}: ${rule}`, field);
}

/** @throws {RegistryError} invalid unless `name` matches `[a-z][a-z0-9-]{1,63}`. */
export function validateModelName(name: unknown): string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw invalid('name', 'must match [a-z][a-z0-9-]{1,63} (2 to 64 lower-case letters, digits, dashes)');
  }
  return name;
}

/** @throws {RegistryError} invalid unless `alias` matches `[a-z][a-z0-9-]{0,31}`. */
export function validateAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS_NAME.test(alias)) {
    throw invalid('alias', 'must match [a-z][a-z0-9-]{0,31} (1 to 32 lower-case letters, digits, dashes)');
  }
  return alias;
}

/** @throws {RegistryError} invalid unless `version` is an integer in 1..9,999,999,999. */
export function validateVersionNumber(version: unknown, field = 'version'): number {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw invalid(field, `must be an integer from 1 to ${MAX_VERSION}`);
  }
  return version;
}

function text(value: unknown, field: string, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_TEXT) {
    throw invalid(field, `must be a non-blank string of at most ${MAX_TEXT} characters`);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Checks that `value` is JSON that round-trips exactly (no undefined, NaN, functions, dates, cycles). */
function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > 32) throw invalid(path, 'must nest at most 32 levels');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(path, 'must be a finite number');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkJson(item, `${path}[${index}]`, depth + 1);
    });
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJson(item, `${path}.${key}`, depth + 1);
    return;
  }
  throw invalid(path, 'must be JSON (null, boolean, finite number, string, array or plain object)');
}

/**
 * Validates a registration and returns a normalised copy (sha256 in lower case, deep-copied params), so
 * later mutation of the caller's object cannot reach a stored version.
 *
 * @example
 * normaliseNewVersion({ artifactUri: 's3://b/k', artifactSha256: 'AB'.repeat(32), algorithm: 'gbm',
 *   params: { depth: 3 }, metrics: { auc: 0.8 }, datasetFingerprint: 'd1', codeVersion: 'abc123' });
 */
export function normaliseNewVersion(input: NewModelVersion): NewModelVersion {
  if (!isPlainObject(input)) throw invalid('input', 'must be an object');
  const artifactUri = text(input.artifactUri, 'artifactUri') as string;
  if (typeof input.artifactSha256 !== 'string' || !SHA256.test(input.artifactSha256)) {
    throw invalid('artifactSha256', 'must be 64 hexadecimal characters (a SHA-256 digest)');
  }
  const algorithm = text(input.algorithm, 'algorithm') as string;
  if (!isPlainObject(input.params)) throw invalid('params', 'must be a plain object');
  checkJson(input.params, 'params', 0);
  const paramsJson = JSON.stringify(input.params);
  if (Buffer.byteLength(paramsJson) > MAX_PARAMS_BYTES) {
    throw invalid('params', `must be at most ${MAX_PARAMS_BYTES} bytes of JSON`);
  }
  if (!isPlainObject(input.metrics)) throw invalid('metrics', 'must be a plain object of finite numbers');
  const metricEntries = Object.entries(input.metrics);
  if (metricEntries.length > MAX_METRICS)
    throw invalid('metrics', `must hold at most ${MAX_METRICS} metrics`);
  const metrics: Record<string, number> = {};
  for (const [key, value] of metricEntries) {
    if (key.length === 0 || key.length > 128) throw invalid('metrics', 'names must be 1 to 128 characters');
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalid(`metrics.${key}`, 'must be a finite number');
    }
    metrics[key] = value;
  }
  const datasetFingerprint = text(input.datasetFingerprint, 'datasetFingerprint') as string;
  const codeVersion = text(input.codeVersion, 'codeVersion') as string;
  const runId = text(input.runId, 'runId', true);
  return {
    artifactUri,
    artifactSha256: input.artifactSha256.toLowerCase(),
    algorithm,
    params: JSON.parse(paramsJson) as { [key: string]: JsonValue },
    metrics,
    datasetFingerprint,
    codeVersion,
    ...(runId === undefined ? {} : { runId }),
  };
}

/** @throws {RegistryError} invalid unless reason and actor are non-blank strings. */
export function validateMoveContext(context: MoveContext): MoveContext {
  if (!isPlainObject(context)) throw invalid('context', 'must be an object with reason and actor');
  return {
    reason: text(context.reason, 'reason') as string,
    actor: text(context.actor, 'actor') as string,
  };
}

/** Validates page options; returns the page size and the version to start below (undefined: newest). */
export function validateListOptions(options: ListVersionsOptions = {}): {
  limit: number;
  before?: number;
} {
  const limit = options.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw invalid('limit', `must be an integer from 1 to ${MAX_PAGE}`);
  }
  if (options.cursor === undefined) return { limit };
  return { limit, before: decodeVersionCursor(options.cursor) };
}

/** The cursor after a page that ended at `version`: opaque to callers, the same for every adapter. */
export function encodeVersionCursor(version: number): string {
  return Buffer.from(JSON.stringify({ v: version })).toString('base64url');
}

/** @throws {RegistryError} invalid when the cursor was not made by {@link encodeVersionCursor}. */
export function decodeVersionCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown };
    return validateVersionNumber(parsed.v, 'cursor');
  } catch {
    throw invalid('cursor', 'must be the cursor of a previous page');
  }
}

/**
 * The alias after a move to `to`, or `undefined` when it already points there (no move to record).
 * History keeps the last {@link ALIAS_HISTORY_LIMIT} moves.
 */
export function applyAliasMove(
  current: AliasState | undefined,
  target: { name: string; alias: string; to: number; kind: AliasMove['kind']; at: number },
  context: MoveContext,
): AliasState | undefined {
  if (current !== undefined && current.version === target.to) return undefined;
  const move: AliasMove = {
    from: current?.version ?? null,
    to: target.to,
    at: target.at,
    reason: context.reason,
    actor: context.actor,
    kind: target.kind,
  };
  const history = [...(current?.history ?? []), move].slice(-ALIAS_HISTORY_LIMIT);
  return {
    name: target.name,
    alias: target.alias,
    version: target.to,
    revision: (current?.revision ?? 0) + 1,
    updatedAt: target.at,
    history,
  };
}

/**
 * The version a rollback returns to: where the alias pointed before its last move.
 * @throws {RegistryError} conflict naming the alias when it has no earlier version.
 */
export function rollbackTarget(state: AliasState): number {
  const last = state.history[state.history.length - 1];
  if (last === undefined || last.from === null) {
    throw new RegistryError(
      'conflict',
      `alias ${state.alias} of model ${state.name} has no earlier version to roll back to`,
      'alias',
    );
  }
  return last.from;
}
