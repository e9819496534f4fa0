/**
 * Glue for the dataset step of the training workflow: the request's data source plus the raw inputs the
 * handler fetched (CSV text from S3, or points from the series store) give the data set, checked up front
 * against the request's split so that a too-short data set fails once, at this step, not once per
 * candidate in the Map state.
 */
import { parsePriceCsv, parseVixCsv } from '../backtest/index.ts';
import { walkForward } from '../ml/index.ts';
import type { AggregatePoint } from '../ports.ts';
import type { SplitSpec } from './candidates.ts';
import {
  checkDataset,
  type Dataset,
  datasetFromCsv,
  datasetFromSeries,
  fingerprintDataset,
  holdoutSplit,
} from './dataset.ts';
import { LearningError } from './errors.ts';
import type { TrainingRequest } from './request.ts';
import { weekMovementDataset } from './week-movement.ts';

/** What the handler fetched for the request's data source. */
export type DatasetInput =
  | { readonly source: 'week-movement'; readonly pricesCsv: string; readonly vixCsv: string }
  | { readonly source: 'csv'; readonly text: string }
  | { readonly source: 'series'; readonly points: readonly Pick<AggregatePoint, 'time' | 'avg'>[] };

/**
 * The data set of a validated request from the fetched inputs, checked against the request's split.
 *
 * @throws {LearningError} (or the backtester's BacktestDataError for malformed price files) naming the
 * field, e.g. `split.folds` when there are too few rows for the folds.
 */
export function buildDataset(request: TrainingRequest, input: DatasetInput): Dataset {
  const src = request.dataset;
  if (src.source !== input.source)
    throw new LearningError(
      'input.source',
      'match',
      `is ${input.source}; the request's data set is ${src.source}`,
    );
  let ds: Dataset;
  if (src.source === 'week-movement' && input.source === 'week-movement') {
    const bars = parsePriceCsv(input.pricesCsv, src.pricesUri);
    const vix = parseVixCsv(input.vixCsv, src.vixUri);
    ds = weekMovementDataset(bars, vix, { from: src.from, to: src.to });
  } else if (src.source === 'csv' && input.source === 'csv') {
    ds = datasetFromCsv(input.text, {
      task: request.task,
      target: src.target,
      features: src.features,
      timeColumn: src.timeColumn,
    });
  } else if (src.source === 'series' && input.source === 'series') {
    ds = datasetFromSeries(input.points, src);
  } else throw new LearningError('input.source', 'match', 'does not match the request');
  checkDataset(ds);
  checkSplit(ds, request.split);
  return ds;
}

/** Fewest rows per walk-forward test window: a metric of fewer rows says next to nothing. */
export const MIN_FOLD_ROWS = 5;

/**
 * Throws unless the split works on this data set: a hold-out with training rows before it, and walk-forward
 * folds of at least 2 training rows and {@link MIN_FOLD_ROWS} test rows each; for classification, at least 2 classes before the hold-out.
 */
export function checkSplit(ds: Dataset, split: SplitSpec): void {
  const { train } = holdoutSplit(ds, split.holdoutFraction, split);
  const testSize = Math.floor(train.X.length / (split.folds + 1));
  if (testSize < MIN_FOLD_ROWS)
    throw new LearningError(
      'split.folds',
      'fold-size',
      `${split.folds} walk-forward folds of the ${train.X.length} rows before the hold-out test ${testSize} rows each; use at most ${Math.max(1, Math.floor(train.X.length / MIN_FOLD_ROWS) - 1)} folds or more data`,
    );
  try {
    walkForward(train.X.length, {
      nSplits: split.folds,
      purge: split.purge,
      embargo: split.embargo,
      minTrainSize: 2,
    });
  } catch (e) {
    throw new LearningError(
      'split.folds',
      'train-size',
      `${split.folds} walk-forward folds do not fit the ${train.X.length} rows before the hold-out (${(e as Error).message})`,
    );
  }
  if (ds.task === 'classification' && new Set(train.y).size < 2)
    throw new LearningError(
      'dataset',
      'classes',
      'the rows before the hold-out hold a single class; a classifier needs 2',
    );
}

/** A short description of a data set for the run record and the workflow state (no rows). */
export function describeDataset(ds: Dataset): {
  rows: number;
  features: readonly string[];
  from: number;
  to: number;
  fingerprint: string;
  classCounts?: Record<string, number>;
} {
  const out = {
    rows: ds.X.length,
    features: ds.featureNames,
    from: ds.times[0] as number,
    to: ds.times[ds.times.length - 1] as number,
    fingerprint: fingerprintDataset(ds),
  };
  if (!ds.classes) return out;
  const classCounts: Record<string, number> = {};
  ds.classes.forEach((c, k) => {
    classCounts[ds.classNames?.[k] ?? String(c)] = ds.y.filter((v) => v === c).length;
  });
  return { ...out, classCounts };
}
