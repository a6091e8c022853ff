import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { backoffDelay, backoffSchedule, baseDelay, ReconnectController, validateBackoffPolicy, type BackoffPolicy } from '../../src/main/core/client/backoff';
import { systemTimers } from '../../src/main/core/client/periodic-sender';

const policy = (over: Partial<BackoffPolicy> = {}): BackoffPolicy => ({ initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 0, ...over });

describe('backoff schedule', () => {
  it('doubles from the initial delay up to the cap when jitter is off', () => {
    const steps = [...take(backoffSchedule(policy({ jitter: 0 })), 8)].map((s) => s.delayMs);
    expect(steps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('stops after maxAttempts', () => {
    expect([...backoffSchedule(policy({ maxAttempts: 3, jitter: 0 }))].map((s) => s.attempt)).toEqual([1, 2, 3]);
  });

  it('applies equal jitter by default: between half and all of the base delay', () => {
    expect(backoffDelay(policy(), 3, () => 0)).toBe(4000);
    expect(backoffDelay(policy(), 3, () => 0.999999)).toBe(2000);
    expect(backoffDelay(policy({ jitter: 1 }), 3, () => 0.5)).toBe(2000);
  });

  it('never exceeds the cap nor goes below (1 - jitter) of the base, for any attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (initial, extra, jitter, attempt, r) => {
          const p = policy({ initialDelayMs: initial, maxDelayMs: initial + extra, jitter });
          const d = backoffDelay(p, attempt, () => r);
          const base = baseDelay(p, attempt);
          expect(d).toBeLessThanOrEqual(p.maxDelayMs);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          expect(Number.isFinite(d)).toBe(true);
        },
      ),
    );
  });

  it('validates the policy in words', () => {
    expect(validateBackoffPolicy(policy({ maxDelayMs: 10 }))).toBe('maximum delay 10 ms must be ≥ the initial delay (1000 ms)');
    expect(validateBackoffPolicy(policy({ jitter: 2 }))).toBe('jitter 2 must be between 0 and 1');
    expect(validateBackoffPolicy(policy({ maxAttempts: -1 }))).toMatch(/attempt limit -1/);
    expect(() => backoffDelay(policy(), 0)).toThrow(RangeError);
  });
});

describe('ReconnectController (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires attempts after growing delays and starts over after a success', () => {
    vi.useFakeTimers();
    const c = new ReconnectController(policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0, maxAttempts: 3 }), systemTimers);
    const fired: number[] = [];
    const attempt = (s: { attempt: number }) => fired.push(s.attempt);

    expect(c.schedule(attempt)).toEqual({ attempt: 1, delayMs: 100, baseDelayMs: 100 });
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1]);

    c.schedule(attempt);
    vi.advanceTimersByTime(200);
    c.schedule(attempt);
    expect(c.pending?.delayMs).toBe(400);
    vi.advanceTimersByTime(400);
    expect(fired).toEqual([1, 2, 3]);
    expect(c.schedule(attempt)).toBeNull(); // limit reached
    expect(c.exhausted).toBe(true);

    c.reset();
    expect(c.schedule(attempt)?.delayMs).toBe(100);
  });

  it('cancel() stops a pending attempt', () => {
    vi.useFakeTimers();
    const c = new ReconnectController(policy({ initialDelayMs: 50, jitter: 0 }), systemTimers);
    const fired: number[] = [];
    c.schedule((s) => fired.push(s.attempt));
    c.cancel();
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([]);
    expect(c.pending).toBeUndefined();
  });
});

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of it) {
    yield x;
    if (--n <= 0) return;
  }
}
