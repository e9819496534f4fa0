/**
 * Turns zod issues into the project's validation issues: a dotted path, a stable rule name and a message a
 * producer can act on. Rule names are part of the API (quarantine records and HTTP 400 bodies carry them),
 * so they never depend on zod's wording.
 */
import type { z } from 'zod';
import { SCHEMA_VERSIONS } from './constants.ts';

/** One problem with one field of an event. */
export interface ValidationIssue {
  /** Dotted field path, e.g. `data.dimensions.region`; the event itself is `(root)`. */
  readonly path: string;
  /** Stable machine-readable rule name, e.g. `required`, `finite`, `time.future`. */
  readonly rule: string;
  readonly message: string;
}

/** Path used for issues about the event as a whole. */
export const ROOT_PATH = '(root)';

/** Dotted path of `segments`, or `(root)` when there are none. */
export function joinPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return ROOT_PATH;
  let path = String(segments[0]);
  for (let i = 1; i < segments.length; i++) path += `.${String(segments[i])}`;
  return path;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `number ${value}`;
  if (typeof value === 'string')
    return value.length > 40 ? `string "${value.slice(0, 40)}…"` : `string "${value}"`;
  return typeof value;
}

// JSON producers often send null for "absent"; say how to express that instead.
const NULL_HINT = '; omit an optional field instead of sending null';

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a finite number',
  int: 'an integer',
  object: 'an object',
  record: 'an object',
  boolean: 'a boolean',
  array: 'an array',
};

/** Keys a strict object at `path` accepts, for the message of an `unknown_key` issue. */
export type KnownKeys = (path: string) => readonly string[] | undefined;

function expectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return EXPECTED_NAMES[issue.expected] ?? issue.expected;
  if (issue.code === 'invalid_value') return `one of: ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

/** Where the validated value came from, to tell a missing field from a wrong one after the fact. */
export interface IssueContext {
  /** The whole input that was parsed. */
  readonly root: unknown;
  readonly knownKeys?: KnownKeys;
}

/**
 * The value at `path` in `root`, and whether it is present as an own property. Looked up only for failed
 * fields, so the parse itself runs without zod's `reportInput`.
 */
function lookup(root: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) {
      return { present: false, value: undefined };
    }
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return { present: true, value };
}

/** Appends the validation issues of one zod issue to `out` (an unrecognized-keys issue becomes one per key). */
export function appendZodIssue(issue: z.core.$ZodIssue, out: ValidationIssue[], context: IssueContext): void {
  const path = joinPath(issue.path);
  const { present, value: input } = lookup(context.root, issue.path);
  if (!present && issue.code !== 'unrecognized_keys') {
    // zod reports a missing key by what the value should have been (a type, an enum, a literal).
    out.push({ path, rule: 'required', message: `is required (${expectation(issue)})` });
    return;
  }
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      if (typeof input === 'number' && !Number.isFinite(input)) {
        out.push({ path, rule: 'finite', message: `must be a finite number (got ${describe(input)})` });
      } else if (issue.expected === 'int' && typeof input === 'number') {
        out.push({ path, rule: 'integer', message: `must be an integer (got ${input})` });
      } else {
        const hint = input === null && issue.path.length > 0 ? NULL_HINT : '';
        out.push({ path, rule: 'type', message: `must be ${expected} (got ${describe(input)}${hint})` });
      }
      return;
    }
    case 'too_small': {
      if (issue.origin === 'string') {
        out.push({
          path,
          rule: 'min_length',
          message: `must be at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'} long`,
        });
      } else {
        const op = issue.inclusive === false ? '>' : '>=';
        out.push({ path, rule: 'min', message: `must be ${op} ${issue.minimum} (got ${describe(input)})` });
      }
      return;
    }
    case 'too_big': {
      if (issue.origin === 'string') {
        const got = typeof input === 'string' ? ` (got ${input.length})` : '';
        out.push({
          path,
          rule: 'max_length',
          message: `must be at most ${issue.maximum} characters long${got}`,
        });
      } else {
        const op = issue.inclusive === false ? '<' : '<=';
        out.push({ path, rule: 'max', message: `must be ${op} ${issue.maximum} (got ${describe(input)})` });
      }
      return;
    }
    case 'invalid_format': {
      if (issue.format === 'regex') {
        out.push({ path, rule: 'pattern', message: `must match ${issue.pattern} (got ${describe(input)})` });
      } else {
        out.push({ path, rule: 'format', message: `must be a valid ${issue.format}` });
      }
      return;
    }
    case 'invalid_value': {
      out.push(invalidValue(issue, path, input));
      return;
    }
    case 'unrecognized_keys': {
      const allowed = context.knownKeys?.(path);
      const suffix = allowed ? `; allowed keys: ${allowed.join(', ')}` : '';
      for (const key of issue.keys) {
        out.push({
          path: issue.path.length === 0 ? key : `${path}.${key}`,
          rule: 'unknown_key',
          message: `unknown key "${key}"${suffix}`,
        });
      }
      return;
    }
    case 'custom': {
      const rule = typeof issue.params?.rule === 'string' ? issue.params.rule : 'custom';
      out.push({ path, rule, message: issue.message });
      return;
    }
    default:
      // Codes of schema kinds the event schemas do not use (unions, maps, sets); kept generic, never dropped.
      out.push({ path, rule: issue.code, message: issue.message });
  }
}

function invalidValue(issue: z.core.$ZodIssueInvalidValue, path: string, input: unknown): ValidationIssue {
  const options = issue.values.map(String).join(', ');
  if (path === 'version') {
    if (typeof input === 'number') {
      return {
        path,
        rule: 'version.unknown',
        message: `unknown schema version ${input}; known versions: ${SCHEMA_VERSIONS.join(', ')}`,
      };
    }
    return {
      path,
      rule: 'type',
      message: `must be a number, one of the known schema versions: ${SCHEMA_VERSIONS.join(', ')} (got ${describe(input)})`,
    };
  }
  if (path === 'type') {
    if (typeof input === 'string') {
      return {
        path,
        rule: 'type.unknown',
        message: `unknown event type "${input}"; known types: ${options}`,
      };
    }
    return { path, rule: 'type', message: `must be a string, one of: ${options} (got ${describe(input)})` };
  }
  const hint = input === null ? NULL_HINT : '';
  return { path, rule: 'enum', message: `must be one of: ${options} (got ${describe(input)}${hint})` };
}

/**
 * One-line summary of issues for logs and quarantine reasons.
 *
 * @example formatValidationIssues(errors) // 'data.value: must be a finite number (got NaN) [finite]; …'
 */
export function formatValidationIssues(issues: readonly ValidationIssue[], max = 5): string {
  const shown = issues
    .slice(0, max)
    .map((i) => `${i.path}: ${i.message} [${i.rule}]`)
    .join('; ');
  return issues.length > max ? `${shown}; and ${issues.length - max} more` : shown;
}
