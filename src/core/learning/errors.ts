/**
 * The one error type of the learning core: `field` names what is wrong (a request path, a CSV column and
 * row, an argument) and `rule` the broken rule, so handlers map it to a 400 body without parsing text.
 */
export class LearningError extends Error {
  override readonly name = 'LearningError';
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
