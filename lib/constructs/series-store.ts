import type { SeriesStoreResources } from '../stacks/storage-stack.ts';
import type { ProjectFunction } from './project-function.ts';

/**
 * Points a function at the selected time-series store: SERIES_STORE plus either SERIES_TABLE_NAME
 * (DynamoDB) or TIMESTREAM_DATABASE / TIMESTREAM_TABLE, with read or write rights on that store only.
 *
 * @example bindSeriesStore(ingestFn, storage.seriesStore, 'write')
 */
export function bindSeriesStore(
  fn: ProjectFunction,
  store: SeriesStoreResources,
  access: 'read' | 'write',
): void {
  fn.setEnv('SERIES_STORE', store.kind);
  if (store.kind === 'dynamodb') {
    // Idempotent writes are conditional updates, which read the item they guard.
    fn.bindTable(store.table, 'SERIES_TABLE_NAME', access === 'write' ? 'readWrite' : 'read');
  } else {
    fn.bindTimestreamTable(store.table, access);
  }
}
