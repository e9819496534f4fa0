/**
 * The ALL-USE protocol backtester: Black-Scholes pricing, the weekly wheel simulator, week-type
 * classification and performance metrics. Pure: callers read the CSV files and pass the text.
 */
export * from './black-scholes.ts';
export * from './data.ts';
export * from './metrics.ts';
export * from './params.ts';
export * from './simulate.ts';
export * from './week-types.ts';
