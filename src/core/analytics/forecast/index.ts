/**
 * Forecasting: one entry point, {@link forecast}, and a registry of methods by name.
 *
 * @example
 * const r = forecast(hourlyLoad, 48, { season: 24, level: [80, 95], method: 'ets' });
 * r.mean; r.lower[95]; r.upper[95]; r.model; // e.g. "ETS(M,Ad,M)"
 */
import { ForecastInputError, validateForecastInput } from './errors.ts';
import { arComb } from './global.ts';
import type { Forecaster, ForecastOptions, ForecastResult } from './methods.ts';
import * as m from './methods.ts';

export { ForecastInputError } from './errors.ts';
export { autoEts, type EtsFit, type EtsSpec, fitEts, forecastEts } from './ets.ts';
export {
  AR_COMB_ERROR_CORRELATION,
  type ArModel,
  type ArOptions,
  arComb,
  arCombPooled,
  arOptionsFor,
  combineWithAr,
  fitAr,
  predictAr,
} from './global.ts';
export type { Forecaster, ForecastOptions, ForecastResult } from './methods.ts';
export { onAdjusted } from './methods.ts';
export { coverage, mase, maseScale, owa, smape } from './metrics.ts';
export { acf, decompose, seasonalAdjustment, seasonalityTest } from './seasonality.ts';

/** Every method by name. */
export const forecasters = {
  naive: m.naive,
  snaive: m.seasonalNaive,
  naive2: m.naive2,
  ses: m.ses,
  holt: m.holt,
  damped: m.damped,
  theta: m.theta,
  comb: m.comb,
  'comb-sdt': m.combSdt,
  ets: m.ets,
  auto: m.auto,
  'ar-comb': arComb,
} as const satisfies Record<string, Forecaster>;

export type MethodName = keyof typeof forecasters;

/** Names of the registered methods. */
export const methodNames = Object.keys(forecasters) as MethodName[];

/** The default method. */
export const DEFAULT_METHOD: MethodName = 'auto';

/**
 * Forecasts `horizon` steps ahead of `y` with the named method (default {@link DEFAULT_METHOD}: holdout selection, the most accurate on M4 Hourly and Weekly here).
 * Throws {@link ForecastInputError} for an empty series, a non-finite value, horizon < 1, season < 1,
 * a level outside (0, 100) or an unknown method.
 */
export function forecast(
  y: readonly number[],
  horizon: number,
  options: ForecastOptions & { readonly method?: MethodName } = {},
): ForecastResult {
  const season = options.season ?? 1;
  const levels = options.level ?? [80, 95];
  validateForecastInput(y, horizon, season, levels);
  const method = options.method ?? DEFAULT_METHOD;
  const f = (forecasters as Record<string, Forecaster>)[method];
  if (!f)
    throw new ForecastInputError(`method must be one of ${methodNames.join(', ')}, got ${String(method)}`);
  const extra = options.seasons ?? [];
  for (const p of extra) {
    if (!Number.isInteger(p) || p < 1)
      throw new ForecastInputError(`seasons must hold integers >= 1, got ${String(p)}`);
  }
  return f(y, horizon, season, levels, extra);
}
