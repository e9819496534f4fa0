/**
 * Risk analyses of returns and equity: historical and parametric VaR/CVaR, RiskMetrics EWMA volatility,
 * rolling VaR forecasts (historical, parametric, EWMA, filtered historical) with their backtests,
 * drawdown statistics, and the ALL-USE week-type attribution with its protocol limits ({@link ACCOUNT_RULES}).
 * Returns are fractions per period; VaR and CVaR are positive loss fractions (see var.ts for the quantile
 * convention: linear interpolation, numpy's default).
 *
 * @example
 * historicalVaR(weeklyReturns, 0.95);                    // 0.031: a 3.1 % weekly loss is exceeded 5 % of weeks
 * parametricCVaR(weeklyReturns, 0.99, { distribution: 'cornish-fisher' });
 * ewmaVolatility(dailyReturns).latest;                   // tomorrow's volatility forecast
 * backtestVaR(dailyReturns, rollingVaR(dailyReturns, { method: 'filtered-historical', level: 0.99 }));
 * drawdowns(weeklyReturns, { input: 'returns' }).maxDrawdown;
 * weekTypeAttribution(weeks).breaches;                   // the basis of RiskLimitBreached events
 */
export {
  ACCOUNT_RULES,
  type AccountAttribution,
  type AccountRule,
  type AccountStatus,
  type AttributionOptions,
  type AttributionResult,
  type RiskBreach,
  type WeekRecord,
  type WeekTypeAttribution,
  weekRecordFromEvent,
  weekTypeAttribution,
} from './attribution.ts';
export {
  type BaselZone,
  backtestVaR,
  baselZone,
  independenceTest,
  kupiecTest,
  type LikelihoodRatio,
  type RollingVarOptions,
  rollingVaR,
  VAR_METHODS,
  type VarBacktest,
  type VarForecasts,
  type VarMethod,
} from './backtest.ts';
export {
  type DrawdownEpisode,
  type DrawdownOptions,
  type DrawdownResult,
  drawdowns,
} from './drawdowns.ts';
export { RiskInputError } from './errors.ts';
export { type EwmaOptions, type EwmaResult, ewmaVolatility } from './ewma.ts';
export {
  type HistoricalOptions,
  historicalCVaR,
  historicalVaR,
  type Moments,
  moments,
  type ParametricOptions,
  parametricCVaR,
  parametricVaR,
} from './var.ts';
