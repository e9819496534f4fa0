/** Thrown for risk-analysis input that breaks a rule; the message names the parameter and the rule. */
export class RiskInputError extends RangeError {
  override readonly name = 'RiskInputError';
}

/** Checks that `values` holds at least `min` finite numbers, each at least `lowest`; names the first offender. */
export function checkValues(name: string, values: readonly number[], min: number, lowest = -Infinity): void {
  if (!Array.isArray(values)) throw new RiskInputError(`${name} must be an array of finite numbers`);
  if (values.length < min) {
    throw new RiskInputError(`${name} must hold at least ${min} values, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RiskInputError(`${name}[${i}] must be a finite number, got ${String(v)}`);
    }
    if (v < lowest) throw new RiskInputError(`${name}[${i}] must be >= ${lowest}, got ${v}`);
  }
}

/** Checks a confidence level: a fraction strictly between 0 and 1 (0.95, not 95). */
export function checkLevel(level: unknown): number {
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new RiskInputError(`level must be a fraction in (0, 1) such as 0.95, got ${String(level)}`);
  }
  return level;
}
