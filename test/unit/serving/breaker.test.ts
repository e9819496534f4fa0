/** The circuit breaker's state machine, driven by an injected clock (no timers). */
import { describe, expect, it } from 'vitest';
import { BreakerOpenError, type BreakerState, CircuitBreaker } from '../../../src/core/serving/index.ts';
import { manualClock } from './helpers.ts';

function breakerWithLog(options: ConstructorParameters<typeof CircuitBreaker>[0]) {
  const clock = manualClock(0);
  const changes: string[] = [];
  const breaker = new CircuitBreaker(options, {
    now: clock.now,
    onStateChange: ({ from, to }: { from: BreakerState; to: BreakerState }) => changes.push(`${from}->${to}`),
  });
  return { breaker, clock, changes };
}

const fail = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not before; a success in between resets the count', async () => {
    // Prepare
    const { breaker } = breakerWithLog({ consecutiveFailures: 3, minimumCalls: 1000 });

    // Act
    await expect(breaker.run(fail)).rejects.toThrow('boom');
    await expect(breaker.run(fail)).rejects.toThrow('boom');
    await breaker.run(ok);
    await expect(breaker.run(fail)).rejects.toThrow('boom');
    await expect(breaker.run(fail)).rejects.toThrow('boom');
    const before = breaker.state;
    await expect(breaker.run(fail)).rejects.toThrow('boom');

    // Assess
    expect(before).toBe('closed');
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot()).toMatchObject({ consecutiveFailures: 3, opens: 1 });
  });

  it('refuses calls while open without running them', async () => {
    // Prepare
    const { breaker } = breakerWithLog({ consecutiveFailures: 1, coolDownMs: 1_000 });
    await expect(breaker.run(fail)).rejects.toThrow('boom');
    let ran = false;

    // Act
    const refused = breaker.run(async () => {
      ran = true;
      return 1;
    });

    // Assess
    await expect(refused).rejects.toBeInstanceOf(BreakerOpenError);
    expect(ran).toBe(false);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', rejected: 1, retryAt: 1_000 });
  });

  it('opens on the failure rate in the window once the window holds minimumCalls', async () => {
    // Prepare: failures alternate with successes, so the consecutive count never reaches 5.
    const { breaker, clock } = breakerWithLog({ consecutiveFailures: 5, failureRate: 0.5, minimumCalls: 8 });

    // Act
    const states: BreakerState[] = [];
    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      if (i % 2 === 0) await expect(breaker.run(fail)).rejects.toThrow();
      else await breaker.run(ok);
      states.push(breaker.state);
    }

    // Assess: 4 failures of 7 calls is above 50 % but below minimumCalls; the 9th call (5 of 9) opens it.
    expect(states.slice(0, 8).every((s) => s === 'closed')).toBe(true);
    expect(states[8]).toBe('open');
  });

  it('forgets failures that left the window', async () => {
    // Prepare
    const { breaker, clock } = breakerWithLog({
      consecutiveFailures: 100,
      failureRate: 0.5,
      minimumCalls: 4,
      windowMs: 1_000,
    });
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();

    // Act: a window later, 1 failure among 4 fresh calls.
    clock.advance(2_000);
    for (let i = 0; i < 3; i++) await breaker.run(ok);
    await expect(breaker.run(fail)).rejects.toThrow();

    // Assess
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', windowCalls: 4, windowFailures: 1 });
  });

  it('goes half-open after the cool-down, lets exactly one probe through, and closes on its success', async () => {
    // Prepare
    const { breaker, clock, changes } = breakerWithLog({ consecutiveFailures: 1, coolDownMs: 5_000 });
    await expect(breaker.run(fail)).rejects.toThrow();
    clock.advance(4_999);
    const stillOpen = breaker.state;
    clock.advance(1);

    // Act
    const probePermitted = breaker.tryAcquire();
    const secondPermitted = breaker.tryAcquire();
    breaker.onSuccess();

    // Assess
    expect(stillOpen).toBe('open');
    expect(probePermitted).toBe(true);
    expect(secondPermitted).toBe(false);
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('re-opens with a fresh cool-down when the probe fails', async () => {
    // Prepare
    const { breaker, clock, changes } = breakerWithLog({ consecutiveFailures: 1, coolDownMs: 1_000 });
    await expect(breaker.run(fail)).rejects.toThrow();
    clock.advance(1_000);

    // Act
    await expect(breaker.run(fail)).rejects.toThrow('boom');

    // Assess
    expect(breaker.snapshot()).toMatchObject({ state: 'open', opens: 2, retryAt: 2_000 });
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->open']);
  });

  it('gives up on a probe that never reports back after a cool-down, so it cannot wedge half-open', () => {
    // Prepare
    const { breaker, clock } = breakerWithLog({ consecutiveFailures: 1, coolDownMs: 1_000 });
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    clock.advance(1_000);
    expect(breaker.tryAcquire()).toBe(true); // the probe, which is lost

    // Act
    clock.advance(999);
    const tooEarly = breaker.tryAcquire();
    clock.advance(1);
    const newProbe = breaker.tryAcquire();

    // Assess
    expect(tooEarly).toBe(false);
    expect(newProbe).toBe(true);
  });

  it('starts with a clean window after closing', async () => {
    // Prepare: open on the rate, then recover.
    const { breaker, clock } = breakerWithLog({
      consecutiveFailures: 100,
      failureRate: 0.5,
      minimumCalls: 2,
    });
    await breaker.run(ok);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    clock.advance(30_000);
    await breaker.run(ok);

    // Act: one failure after closing is 1 of 1 call, below minimumCalls.
    await expect(breaker.run(fail)).rejects.toThrow();

    // Assess
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', windowCalls: 1, windowFailures: 1 });
  });

  it('names the bad option', () => {
    // Act / Assess
    expect(() => new CircuitBreaker({ failureRate: 1.5 })).toThrow('breaker.failureRate: must be a number');
    expect(() => new CircuitBreaker({ consecutiveFailures: 0 })).toThrow('breaker.consecutiveFailures');
    expect(() => new CircuitBreaker({ coolDownMs: -1 })).toThrow('breaker.coolDownMs');
  });
});
