/**
 * The contract every online anomaly detector meets.
 *
 * Online means causal: `update` sees one point at a time, in time order, and its score for that point
 * depends only on that point and the ones before it. State is plain JSON, so a detector can be stopped
 * after any point, stored (say in DynamoDB between Lambda invocations) and resumed with identical scores.
 */

/** Serialised detector: enough to rebuild it exactly with `restoreDetector` from the registry. */
export interface DetectorJSON {
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly state: unknown;
}

/** An online anomaly detector. */
export interface AnomalyDetector {
  /** Registry kind, used by `restoreDetector` to pick the class. */
  readonly kind: string;
  /**
   * Consumes one point and returns its anomaly score in [0, 1] (higher = more anomalous).
   * @param time epoch milliseconds (non-decreasing); most detectors ignore it
   * @param value the observation; must be finite
   */
  update(time: number, value: number): number;
  /** Complete state as plain JSON (no NaN or Infinity inside). */
  toJSON(): DetectorJSON;
}

/** Throws a clear error when a point cannot be scored. */
export function checkPoint(time: number, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`value must be a finite number, got ${String(value)}`);
  if (!Number.isFinite(time))
    throw new RangeError(`time must be a finite number (epoch ms), got ${String(time)}`);
}

/** Deep copy through JSON, which is exactly what a round trip through storage does. */
export function cloneJSON<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
