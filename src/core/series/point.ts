/**
 * What every time-series store requires of a point before it tries to store it. Points failing it are
 * reported as `rejected` with this reason (they would fail the same way on every retry).
 */
import type { SeriesPoint } from '../ports.ts';

/** The reason a point cannot be stored, or undefined when it can. */
export function unstorablePointReason(point: SeriesPoint): string | undefined {
  if (typeof point.eventId !== 'string' || point.eventId === '') return 'eventId: must be a non-empty string';
  if (typeof point.component !== 'string' || point.component === '') {
    return 'component: must be a non-empty string';
  }
  if (typeof point.metric !== 'string' || point.metric === '') return 'metric: must be a non-empty string';
  if (typeof point.value !== 'number' || !Number.isFinite(point.value))
    return 'value: must be a finite number';
  if (!Number.isSafeInteger(point.time) || point.time < 0) {
    return 'time: must be a non-negative integer epoch-ms time';
  }
  return undefined;
}
