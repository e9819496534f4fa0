/**
 * Walk-forward tuning of the ALL-USE protocol parameters: rolling or anchored in-sample tuning through the
 * optimiser, stitched out-of-sample evaluation against the baseline, overfitting diagnostics (IS/OOS gap,
 * parameter stability, deflated Sharpe ratio, PBO by CSCV), a parameter proposal with a confidence and the
 * protocol's oversight tier, and the ParametersProposed / ParametersApproved events. Pure and deterministic.
 */
export * from './events.ts';
export * from './overfitting.ts';
export * from './proposal.ts';
export * from './walk-forward.ts';
