/**
 * Sending a message every N milliseconds: ntopng's client `poll(ms)` asks the server for
 * fresh data on an interval, RRR clients send "alive" so the server does not drop them
 * as idle. The sender owns no socket and no real timers — both are injected — so it
 * runs the same under fake timers in tests as in the app.
 *
 * Scheduling is fixed-rate from the start time (slot n is due at start + n·interval), so
 * a slow event loop does not make the rate drift. When a send takes longer than an
 * interval (an async send waiting on back-pressure), the slots it overran are not fired
 * in a burst: all but the latest are skipped (and counted), the latest goes out once,
 * late, and the schedule continues on its grid.
 */
import { renderTemplate, type CompiledTemplate, type TemplateEnvironment, type TemplateState } from './template';

export type TimerHandle = unknown;

/** The clock and timer the sender uses; `systemTimers` in the app, a fake in tests. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Reads the globals at call time, so vitest's fake timers apply to it too. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export type OutgoingPayload = { type: 'text'; text: string } | { type: 'binary'; data: Uint8Array };

export type PeriodicMessage =
  | OutgoingPayload
  /** Rendered afresh for every send, e.g. `{"seq":{{counter}},"at":"{{iso}}"}`. */
  | { type: 'template'; template: CompiledTemplate; state: TemplateState; env?: TemplateEnvironment };

export interface PeriodicSendOptions {
  intervalMs: number;
  /** How many messages to send; 0 or undefined sends until stop(). */
  count?: number;
  message: PeriodicMessage;
  /** Send the first message at start() (default) or one interval later. */
  sendImmediately?: boolean;
}

export type PeriodicStop =
  | { reason: 'completed'; sent: number; skipped: number }
  | { reason: 'stopped'; sent: number; skipped: number }
  | { reason: 'error'; sent: number; skipped: number; error: string };

export interface PeriodicSenderEvents {
  onSent?(info: { index: number; payload: OutgoingPayload; at: number }): void;
  onStop?(stop: PeriodicStop): void;
}

/** 1 ms is allowed on purpose (flood tests); 24 h is plenty for any keep-alive. */
export const MIN_INTERVAL_MS = 1;
export const MAX_INTERVAL_MS = 86_400_000;

/** Returns an error in words, or null when the options are usable. */
export function validatePeriodicOptions(o: PeriodicSendOptions): string | null {
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < MIN_INTERVAL_MS || o.intervalMs > MAX_INTERVAL_MS) {
    return `interval: ${o.intervalMs} is not a whole number of milliseconds between ${MIN_INTERVAL_MS} and ${MAX_INTERVAL_MS}`;
  }
  if (o.count !== undefined && (!Number.isInteger(o.count) || o.count < 0)) {
    return `count: ${o.count} is not a whole number ≥ 0 (0 means until stopped)`;
  }
  return null;
}

export type PeriodicState = 'idle' | 'running' | 'stopped';

export class PeriodicSender {
  private stateValue: PeriodicState = 'idle';
  private sentCount = 0;
  private skippedCount = 0;
  private startedAt = 0;
  /** Index of the next slot to fire. */
  private slot = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly options: PeriodicSendOptions,
    private readonly send: (payload: OutgoingPayload, index: number) => void | Promise<void>,
    private readonly timers: Timers = systemTimers,
    private readonly events: PeriodicSenderEvents = {},
  ) {
    const problem = validatePeriodicOptions(options);
    if (problem !== null) throw new RangeError(problem);
  }

  get state(): PeriodicState {
    return this.stateValue;
  }
  get sent(): number {
    return this.sentCount;
  }
  get skipped(): number {
    return this.skippedCount;
  }

  start(): void {
    if (this.stateValue !== 'idle') throw new Error(`PeriodicSender.start(): already ${this.stateValue}`);
    this.stateValue = 'running';
    this.startedAt = this.timers.now();
    this.slot = this.options.sendImmediately === false ? 1 : 0;
    if (this.slot === 0) this.fire();
    else this.scheduleNext();
  }

  stop(): void {
    this.finish({ reason: 'stopped', sent: this.sentCount, skipped: this.skippedCount });
  }

  private finish(stop: PeriodicStop): void {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'stopped';
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.events.onStop?.(stop);
  }

  private payload(): OutgoingPayload {
    const m = this.options.message;
    if (m.type === 'template') return { type: 'text', text: renderTemplate(m.template, m.state, m.env) };
    return m;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stateValue !== 'running') return;
    const index = this.sentCount + 1;
    let result: void | Promise<void>;
    let payload: OutgoingPayload;
    try {
      payload = this.payload();
      result = this.send(payload, index);
    } catch (e) {
      this.finish({ reason: 'error', sent: this.sentCount, skipped: this.skippedCount, error: errorText(e) });
      return;
    }
    const after = () => {
      this.sentCount++;
      this.events.onSent?.({ index, payload, at: this.timers.now() });
      if (this.options.count !== undefined && this.options.count > 0 && this.sentCount >= this.options.count) {
        this.finish({ reason: 'completed', sent: this.sentCount, skipped: this.skippedCount });
        return;
      }
      this.slot++;
      this.scheduleNext();
    };
    if (result instanceof Promise) {
      result.then(
        () => {
          if (this.stateValue === 'running') after();
          else this.sentCount++; // it did go out, even though stop() came first
        },
        (e: unknown) => this.finish({ reason: 'error', sent: this.sentCount, skipped: this.skippedCount, error: errorText(e) }),
      );
    } else {
      after();
    }
  }

  private scheduleNext(): void {
    if (this.stateValue !== 'running') return;
    const interval = this.options.intervalMs;
    const now = this.timers.now();
    let due = this.startedAt + this.slot * interval;
    if (due < now) {
      // Slots that passed while a send was in flight are skipped, not replayed in a burst;
      // the most recent one is still sent, now.
      const behind = Math.floor((now - due) / interval);
      if (behind > 0) {
        this.slot += behind;
        this.skippedCount += behind;
        due += behind * interval;
      }
    }
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, due - now));
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
