/** Thrown for pattern-analysis input that breaks a rule; the message names the parameter and the rule. */
export class PatternInputError extends RangeError {
  override readonly name = 'PatternInputError';
}

/** Checks that `values` is an array of at least `min` finite numbers; names the first offending element. */
export function checkSeries(name: string, values: readonly number[], min: number): void {
  if (!Array.isArray(values)) throw new PatternInputError(`${name} must be an array of finite numbers`);
  if (values.length < min) {
    throw new PatternInputError(`${name} must hold at least ${min} values, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new PatternInputError(`${name}[${i}] must be a finite number, got ${String(v)}`);
    }
  }
}

/** Checks an integer parameter against an inclusive range. */
export function checkInteger(name: string, value: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    const range = hi === Number.MAX_SAFE_INTEGER ? `>= ${lo}` : `in [${lo}, ${hi}]`;
    throw new PatternInputError(`${name} must be an integer ${range}, got ${String(value)}`);
  }
  return value;
}

/** Checks a real parameter against an open or closed range. */
export function checkNumber(
  name: string,
  value: unknown,
  lo: number,
  hi: number,
  open: { lo?: boolean; hi?: boolean } = {},
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (open.lo ? value > lo : value >= lo) &&
    (open.hi ? value < hi : value <= hi);
  if (!ok) {
    throw new PatternInputError(
      `${name} must be a number in ${open.lo ? '(' : '['}${lo}, ${hi}${open.hi ? ')' : ']'}, got ${String(value)}`,
    );
  }
  return value as number;
}
