/** Pure helpers for series: the series key, bucketing and aggregation (no AWS). */
export * from './aggregate.ts';
export * from './point.ts';
export * from './selectors.ts';
export * from './series-key.ts';
