/**
 * Work that runs only while capture is idle: the search-text warmer
 * (search-text-warmer.ts) and the scan worker's copy (parallel-scan.ts). Both
 * must stay out of capture's way, so both wait until no row has been appended
 * for a while, then work in short steps, one per turn of the event loop, and
 * go back to waiting as soon as a row arrives.
 */
import type { ScannableStore } from './frame-filter';

/** The clock and timers idle work uses; systemIdleTimers in the app, a hand-run fake in tests. */
export interface IdleTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
  now(): number;
}

export const systemIdleTimers: IdleTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // An idle watcher must not keep a CLI or a test process alive.
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setImmediate: (fn) => setImmediate(fn),
  now: () => performance.now(),
};

export interface IdleWorkOptions {
  /** The store must have been quiet this long before the first step. */
  idleMs?: number;
  timers?: IdleTimers;
}

/**
 * Calls `step` once the store has been quiet for idleMs (its nextId did not
 * move between two looks), and again on each following turn of the event loop
 * while `step` returns true (more to do) and still no row has arrived. A new
 * row, or `false`, sends it back to watching.
 */
export class IdleWork {
  readonly timers: IdleTimers;
  private readonly idleMs: number;
  private timer: unknown = null;
  /** store.nextId at the last look: a change means rows arrived. */
  private seenNextId = -1;
  private stopped = false;

  constructor(
    private readonly store: ScannableStore,
    private readonly step: () => boolean,
    options: IdleWorkOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 250;
    this.timers = options.timers ?? systemIdleTimers;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => this.look(), this.idleMs);
  }

  private look(): void {
    this.timer = null;
    const { nextId } = this.store.scanColumns();
    const quiet = nextId === this.seenNextId;
    this.seenNextId = nextId;
    if (quiet) this.run();
    else this.schedule();
  }

  private run(): void {
    if (this.stopped) return;
    // Rows arrived: capture comes first; look again once it is quiet.
    if (this.store.scanColumns().nextId !== this.seenNextId) return this.schedule();
    if (this.step()) this.timers.setImmediate(() => this.run());
    else this.schedule();
  }
}
