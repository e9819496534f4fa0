/**
 * A circuit breaker for calls to a remote model host (a SageMaker endpoint).
 *
 *   closed ──(N consecutive failures, or failure rate >= r over >= m calls in the window)──► open
 *   open ──(cool-down elapsed)──► half-open: exactly one probe call is let through, the others are refused
 *   half-open ──probe succeeds──► closed (counts reset) · ──probe fails──► open (a fresh cool-down)
 *
 * Time is read from an injected clock and transitions happen lazily when the breaker is asked, never on a
 * timer: a Lambda container is frozen between invocations, so timers would fire late or not at all, and a
 * test drives the state machine by moving the clock.
 *
 * Why not opossum (the usual npm choice, 10.0.0 on the registry, not installed here): its cool-down and
 * rolling window run on setTimeout/setInterval (no injectable clock; fake timers in every test), it has no
 * consecutive-failure trigger (only a percentage over a time window; count-based windows are its open
 * issue #817), its half-open state has been reported to let every request through (issue #819), and it
 * bundles timeout and fallback, which the predictor needs around the retries, not inside each attempt.
 * The state machine below is ~150 lines with no dependency.
 */

/** The breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open a closed breaker. @default 5 */
  readonly consecutiveFailures?: number;
  /** Failure share (0..1] of the calls in the window that opens a closed breaker. @default 0.5 */
  readonly failureRate?: number;
  /** Calls the window must hold before the failure rate counts (so 1 failure of 1 call does not open it). @default 20 */
  readonly minimumCalls?: number;
  /** Length of the rolling window, ms (kept in 10 buckets). @default 60000 */
  readonly windowMs?: number;
  /** How long the breaker stays open before a probe is let through, ms. @default 30000 */
  readonly coolDownMs?: number;
}

/** Clock and observer hooks. */
export interface BreakerHooks {
  /** Epoch ms (or any monotone ms clock). @default Date.now */
  readonly now?: () => number;
  /** Called on every transition (metrics, logs). Must not throw. */
  readonly onStateChange?: (change: { from: BreakerState; to: BreakerState; at: number }) => void;
}

/** What a dashboard wants to know about a breaker. */
export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly windowCalls: number;
  readonly windowFailures: number;
  /** Times the breaker opened (including re-opens after a failed probe). */
  readonly opens: number;
  /** Calls refused because the breaker was open or a probe was in flight. */
  readonly rejected: number;
  /** When the breaker lets a probe through, if it is open. */
  readonly retryAt?: number;
}

/** Thrown by {@link CircuitBreaker.run} when the call is refused. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor(readonly retryAt: number | undefined) {
    super(
      retryAt === undefined
        ? 'circuit breaker is half-open and its probe is in flight'
        : `circuit breaker is open until ${new Date(retryAt).toISOString()}`,
    );
  }
}

const BUCKETS = 10;

function checkOption(name: string, value: number, min: number, max: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `breaker.${name}: must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/**
 * A circuit breaker with an injectable clock. Use {@link CircuitBreaker.run}, or {@link CircuitBreaker.tryAcquire}
 * plus {@link CircuitBreaker.onSuccess}/{@link CircuitBreaker.onFailure} when one logical call spans several
 * attempts.
 *
 * @example
 * const breaker = new CircuitBreaker({ consecutiveFailures: 3, coolDownMs: 10_000 });
 * const out = await breaker.run(() => endpoint.invoke(...)); // BreakerOpenError when refused
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly rate: number;
  private readonly minimumCalls: number;
  private readonly bucketMs: number;
  private readonly coolDownMs: number;
  private readonly now: () => number;
  private readonly onStateChange: BreakerHooks['onStateChange'];

  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  private probeStartedAt: number | undefined;
  private opens = 0;
  private rejected = 0;
  /** Ring of buckets: the bucket number (time / bucketMs) each slot holds, and its counts. */
  private readonly bucketIds = new Float64Array(BUCKETS).fill(Number.NaN);
  private readonly calls = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);

  constructor(options: BreakerOptions = {}, hooks: BreakerHooks = {}) {
    this.threshold = checkOption('consecutiveFailures', options.consecutiveFailures ?? 5, 1, 1e6, true);
    this.rate = checkOption('failureRate', options.failureRate ?? 0.5, Number.MIN_VALUE, 1, false);
    this.minimumCalls = checkOption('minimumCalls', options.minimumCalls ?? 20, 1, 1e9, true);
    this.bucketMs = checkOption('windowMs', options.windowMs ?? 60_000, BUCKETS, 1e10, false) / BUCKETS;
    this.coolDownMs = checkOption('coolDownMs', options.coolDownMs ?? 30_000, 0, 1e10, false);
    this.now = hooks.now ?? Date.now;
    this.onStateChange = hooks.onStateChange;
  }

  /** The state now (an open breaker whose cool-down has elapsed reads as half-open). */
  get state(): BreakerState {
    this.advance(this.now());
    return this.current;
  }

  /**
   * Asks to make a call. True when it may proceed: always when closed; in half-open only for the one probe
   * (a probe that never reports back is given up after a cool-down, so a lost probe cannot wedge the breaker).
   * Every true must be followed by exactly one {@link onSuccess} or {@link onFailure}.
   */
  tryAcquire(): boolean {
    const at = this.now();
    this.advance(at);
    if (this.current === 'closed') return true;
    if (
      this.current === 'half-open' &&
      (this.probeStartedAt === undefined || at - this.probeStartedAt >= this.coolDownMs)
    ) {
      this.probeStartedAt = at;
      return true;
    }
    this.rejected += 1;
    return false;
  }

  /** Reports a successful call. */
  onSuccess(): void {
    const at = this.now();
    this.advance(at);
    this.count(at, false);
    this.consecutive = 0;
    if (this.current === 'half-open') {
      this.resetWindow();
      this.transition('closed', at);
    }
  }

  /** Reports a failed call. */
  onFailure(): void {
    const at = this.now();
    this.advance(at);
    this.count(at, true);
    this.consecutive += 1;
    if (this.current === 'half-open') {
      this.open(at);
      return;
    }
    if (this.current !== 'closed') return;
    if (this.consecutive >= this.threshold) {
      this.open(at);
      return;
    }
    const { calls, failures } = this.windowCounts(at);
    if (calls >= this.minimumCalls && failures / calls >= this.rate) this.open(at);
  }

  /**
   * Runs `call` if the breaker lets it through, recording its outcome.
   * @throws {BreakerOpenError} when refused; otherwise whatever `call` throws.
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (!this.tryAcquire()) throw new BreakerOpenError(this.retryAt());
    let result: T;
    try {
      result = await call();
    } catch (error) {
      this.onFailure();
      throw error;
    }
    this.onSuccess();
    return result;
  }

  /** Counters and state, for metrics. */
  snapshot(): BreakerSnapshot {
    const at = this.now();
    this.advance(at);
    const { calls, failures } = this.windowCounts(at);
    const retryAt = this.retryAt();
    return {
      state: this.current,
      consecutiveFailures: this.consecutive,
      windowCalls: calls,
      windowFailures: failures,
      opens: this.opens,
      rejected: this.rejected,
      ...(retryAt === undefined ? {} : { retryAt }),
    };
  }

  private retryAt(): number | undefined {
    return this.current === 'open' ? this.openedAt + this.coolDownMs : undefined;
  }

  private advance(at: number): void {
    if (this.current === 'open' && at - this.openedAt >= this.coolDownMs) {
      this.probeStartedAt = undefined;
      this.transition('half-open', at);
    }
  }

  private open(at: number): void {
    this.openedAt = at;
    this.opens += 1;
    this.probeStartedAt = undefined;
    this.transition('open', at);
  }

  private transition(to: BreakerState, at: number): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.onStateChange?.({ from, to, at });
  }

  private count(at: number, failed: boolean): void {
    const id = Math.floor(at / this.bucketMs);
    const slot = ((id % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.bucketIds[slot] !== id) {
      this.bucketIds[slot] = id;
      this.calls[slot] = 0;
      this.failures[slot] = 0;
    }
    this.calls[slot] = (this.calls[slot] as number) + 1;
    if (failed) this.failures[slot] = (this.failures[slot] as number) + 1;
  }

  /** Calls and failures in the buckets of the last `windowMs`. */
  private windowCounts(at: number): { calls: number; failures: number } {
    const newest = Math.floor(at / this.bucketMs);
    let calls = 0;
    let failures = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const id = this.bucketIds[slot] as number;
      if (id > newest - BUCKETS && id <= newest) {
        calls += this.calls[slot] as number;
        failures += this.failures[slot] as number;
      }
    }
    return { calls, failures };
  }

  private resetWindow(): void {
    this.bucketIds.fill(Number.NaN);
    this.calls.fill(0);
    this.failures.fill(0);
  }
}
