/**
 * Reconnect delays: exponential growth, a cap, random jitter and an attempt limit.
 *
 * Jitter matters even for a single console: when a test server restarts, every
 * connected client (several workbench tabs, RRR clients in the seed) would otherwise
 * reconnect in lock-step. The delay for attempt n is
 *
 *     base(n)  = min(maxDelayMs, initialDelayMs · multiplier^(n-1))
 *     delay(n) = base(n) · (1 − jitter · r),   r uniform in [0, 1)
 *
 * so jitter 0 is deterministic, 1 is "full jitter" and the default 0.5 is "equal
 * jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter"): never more than
 * the cap, never less than half the base. The cap applies before jitter so the
 * longest wait is exactly maxDelayMs.
 */
import { systemTimers, type TimerHandle, type Timers } from './periodic-sender';

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Growth per attempt; default 2. */
  multiplier?: number;
  /** Fraction of the delay that is random, 0..1; default 0.5. */
  jitter?: number;
  /** 0 means no limit. */
  maxAttempts: number;
}

export interface BackoffStep {
  /** 1-based attempt number. */
  attempt: number;
  /** What to wait before this attempt. */
  delayMs: number;
  /** The delay before jitter, for display ("retrying in ~4 s"). */
  baseDelayMs: number;
}

export const DEFAULT_MULTIPLIER = 2;
export const DEFAULT_JITTER = 0.5;

/** Returns an error in words, or null. */
export function validateBackoffPolicy(p: BackoffPolicy): string | null {
  if (!Number.isFinite(p.initialDelayMs) || p.initialDelayMs < 0) return `initial delay ${p.initialDelayMs} ms must be ≥ 0`;
  if (!Number.isFinite(p.maxDelayMs) || p.maxDelayMs < p.initialDelayMs) return `maximum delay ${p.maxDelayMs} ms must be ≥ the initial delay (${p.initialDelayMs} ms)`;
  const m = p.multiplier ?? DEFAULT_MULTIPLIER;
  if (!Number.isFinite(m) || m < 1) return `multiplier ${m} must be ≥ 1`;
  const j = p.jitter ?? DEFAULT_JITTER;
  if (!Number.isFinite(j) || j < 0 || j > 1) return `jitter ${j} must be between 0 and 1`;
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 0) return `attempt limit ${p.maxAttempts} must be a whole number ≥ 0 (0 = no limit)`;
  return null;
}

/** The un-jittered delay for attempt n (1-based), computed without overflowing to Infinity. */
export function baseDelay(policy: BackoffPolicy, attempt: number): number {
  const m = policy.multiplier ?? DEFAULT_MULTIPLIER;
  let d = policy.initialDelayMs;
  for (let i = 1; i < attempt && d < policy.maxDelayMs; i++) d *= m;
  return Math.min(policy.maxDelayMs, d);
}

/** The delay before attempt n (1-based). `random` returns [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  const base = baseDelay(policy, attempt);
  const jitter = policy.jitter ?? DEFAULT_JITTER;
  return Math.round(base * (1 - jitter * random()));
}

/** Every step of the schedule; ends after maxAttempts (never, if 0). */
export function* backoffSchedule(policy: BackoffPolicy, random: () => number = Math.random): Generator<BackoffStep, void, undefined> {
  const problem = validateBackoffPolicy(policy);
  if (problem !== null) throw new RangeError(problem);
  for (let attempt = 1; policy.maxAttempts === 0 || attempt <= policy.maxAttempts; attempt++) {
    yield { attempt, delayMs: backoffDelay(policy, attempt, random), baseDelayMs: baseDelay(policy, attempt) };
  }
}

/**
 * The stateful side, for a client session: after a drop call schedule(); after a
 * successful (re)connection call reset() so the next drop starts from the initial delay.
 */
export class ReconnectController {
  private attemptCount = 0;
  private timer: TimerHandle | undefined;
  private nextStep: BackoffStep | undefined;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly timers: Timers = systemTimers,
    private readonly random: () => number = Math.random,
  ) {
    const problem = validateBackoffPolicy(policy);
    if (problem !== null) throw new RangeError(problem);
  }

  /** Attempts scheduled since the last reset(). */
  get attempts(): number {
    return this.attemptCount;
  }
  /** The scheduled attempt, if one is waiting. */
  get pending(): BackoffStep | undefined {
    return this.nextStep;
  }
  get exhausted(): boolean {
    return this.policy.maxAttempts !== 0 && this.attemptCount >= this.policy.maxAttempts;
  }

  /**
   * Schedules the next attempt and returns its step, or null when the limit is reached.
   * Scheduling while an attempt is pending replaces it (one reconnect at a time).
   */
  schedule(attempt: (step: BackoffStep) => void): BackoffStep | null {
    this.cancel();
    if (this.exhausted) return null;
    this.attemptCount++;
    const step: BackoffStep = {
      attempt: this.attemptCount,
      delayMs: backoffDelay(this.policy, this.attemptCount, this.random),
      baseDelayMs: baseDelay(this.policy, this.attemptCount),
    };
    this.nextStep = step;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.nextStep = undefined;
      attempt(step);
    }, step.delayMs);
    return step;
  }

  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextStep = undefined;
  }

  reset(): void {
    this.cancel();
    this.attemptCount = 0;
  }
}
