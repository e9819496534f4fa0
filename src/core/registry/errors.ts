/** The registry's error type (kept apart from index.ts so rules.ts can import it without a cycle). */

/** What went wrong: maps onto HTTP 404, 400 and 409. */
export type RegistryErrorCode = 'not_found' | 'invalid' | 'conflict';

/** The one error type of the registry; `field` names the offending input when there is one. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
