/** Input checks shared by the trend and seasonality functions: errors name the parameter and the rule. */

export function checkSeries(name: string, values: unknown, minLength: number): readonly number[] {
  if (!Array.isArray(values)) throw new TypeError(`${name} must be an array of numbers`);
  if (values.length < minLength)
    throw new RangeError(`${name} must hold at least ${minLength} values, got ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i]))
      throw new RangeError(`${name}[${i}] must be a finite number, got ${String(values[i])}`);
  }
  return values as number[];
}

export function checkLevel(level: number): number {
  if (typeof level !== 'number' || !(level > 0 && level < 1))
    throw new RangeError(`level must be a number in (0, 1), e.g. 0.95, got ${String(level)}`);
  return level;
}
