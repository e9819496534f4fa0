/** Thrown for forecast input that breaks a rule; the message names the parameter and the rule. */
export class ForecastInputError extends RangeError {
  override readonly name = 'ForecastInputError';
}

/** Checks the arguments every forecaster shares; throws {@link ForecastInputError} naming the offending one. */
export function validateForecastInput(
  y: readonly number[],
  horizon: number,
  season: number,
  levels: readonly number[],
): void {
  if (!Array.isArray(y) || y.length === 0) {
    throw new ForecastInputError('y must be a non-empty array of finite numbers');
  }
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ForecastInputError(`y[${i}] must be a finite number, got ${String(v)}`);
    }
  }
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new ForecastInputError(`horizon must be an integer >= 1, got ${String(horizon)}`);
  }
  if (!Number.isInteger(season) || season < 1) {
    throw new ForecastInputError(`season must be an integer >= 1, got ${String(season)}`);
  }
  for (const level of levels) {
    if (typeof level !== 'number' || !(level > 0 && level < 100)) {
      throw new ForecastInputError(
        `level must be a percentage strictly between 0 and 100, got ${String(level)}`,
      );
    }
  }
}
