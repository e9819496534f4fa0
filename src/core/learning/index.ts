/**
 * The learning core of the training workflow and the ALL-USE week-movement task: request validation,
 * data sets (CSV, series, week movement), candidate training with walk-forward cross-validation, selection,
 * the champion comparison (paired bootstrap) and the ModelPromoted event. Pure: the Step Functions
 * handlers read S3 and the series store, call these functions, and write the results.
 */
export * from './candidates.ts';
export * from './champion.ts';
export * from './dataset.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './metrics.ts';
export * from './request.ts';
export * from './week-movement.ts';
export * from './workflow.ts';
