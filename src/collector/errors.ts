/** Base class of every error the collector produces, so callers can tell them from their own. */
export class CollectorError extends Error {
  override readonly name: string = 'CollectorError';
  constructor(
    message: string,
    /** Id of the event concerned, when the error is about one event. */
    readonly eventId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The event was refused at `put` time and never buffered: not an object with a string id, not serialisable,
 * refused by the `validate` hook, too large for one Kinesis record, a bad partition key, or the collector is closed.
 */
export class EventRefusedError extends CollectorError {
  override readonly name = 'EventRefusedError';
}

/** The event was buffered and sent, but Kinesis never accepted it; it was handed to `onDeadLetter`. */
export class EventGivenUpError extends CollectorError {
  override readonly name = 'EventGivenUpError';
  constructor(
    message: string,
    eventId: string,
    /** PutRecords attempts made for this event. */
    readonly attempts: number,
    /** Last failure, e.g. `ProvisionedThroughputExceededException: Rate exceeded for shard ...`. */
    readonly reason: string,
    /** Kinesis error code of the last failure, when there was one. */
    readonly errorCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, eventId, options);
  }
}
