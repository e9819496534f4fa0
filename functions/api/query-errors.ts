/**
 * Query-string validation shared by the GET handlers: every problem of a request is reported at once, not
 * only the first one found.
 */
import type { ValidationIssue } from '../../src/core/events/index.ts';
import { HttpError } from '../commons/http.ts';

/**
 * Runs a parser that throws a 400 and collects its field problems instead, so that a request hears of all
 * its problems at once.
 */
export function collecting<T>(errors: ValidationIssue[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400 && error.errors) {
      errors.push(...error.errors);
      return undefined;
    }
    throw error;
  }
}

/** The message of a 400 for a query: the problem itself when there is one, a count otherwise. */
export function invalidQueryMessage(what: string, errors: readonly ValidationIssue[]): string {
  return errors.length === 1
    ? `invalid ${what} query: ${errors[0]!.path}: ${errors[0]!.message}`
    : `invalid ${what} query: ${errors.length} problems`;
}
