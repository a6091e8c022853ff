/**
 * Practice filter scans while capture is idle, once per process.
 *
 * V8 runs new code in its interpreter and compiles the hot parts to machine
 * code on a compiler thread, again each time the code meets a kind of input
 * it had not seen (a query with a prefilter, one swept over whole buffers, a
 * lowered regex, the messages unit…). Left to a person's first queries, that
 * work made them up to twice as slow as the same queries typed later (the
 * first round against the second in a fresh process, and --trace-opt showed
 * the compiles landing in the first round); on a 2-core machine the compiler
 * thread also takes a core the split scan needs (parallel-scan.ts).
 *
 * So once the search text is made and the scan worker holds its copy, a few
 * scans of different kinds run over the oldest rows — far enough for the scan
 * to split, so both threads warm — and their results are thrown away. A row
 * arriving or a person's filter stops a practice scan at its next slice; it
 * starts again when capture is idle. What a filter finds never depends on it.
 */
import type { FrameQuery } from '../../../shared/contract';
import type { ScannableStore } from './frame-filter';
import { IdleWork, type IdleWorkOptions } from './idle-work';

/**
 * One of each kind of scan the filter plans (see scanFrames): plain text that is
 * common or rare, regexes that are swept or prefiltered, case-sensitive and not,
 * and the messages unit. Generic on purpose: nothing here knows what a capture holds.
 */
export const PRACTICE_QUERIES: readonly FrameQuery[] = [
  { unit: 'frames', text: { pattern: 'e', regex: false, caseSensitive: false } },
  { unit: 'frames', text: { pattern: 'q~z|', regex: false, caseSensitive: false } },
  { unit: 'frames', text: { pattern: '"[a-z_]+":\\s*"?\\d', regex: true, caseSensitive: false } },
  { unit: 'frames', text: { pattern: '(true|false|null)[,}]', regex: true, caseSensitive: false } },
  { unit: 'frames', text: { pattern: 'error\\b.{0,8}\\d{3}', regex: true, caseSensitive: false } },
  { unit: 'frames', text: { pattern: 'ID', regex: false, caseSensitive: true } },
  { unit: 'messages', text: { pattern: '\\d{4}', regex: true, caseSensitive: false } },
];

/** A scan of [fromId, toId), as a person's filter runs it (both threads); its result is dropped. */
export type PracticeScan = (query: FrameQuery, fromId: number, toId: number, isCancelled: () => boolean) => Promise<{ cancelled?: boolean }>;

export interface ScanWarmupOptions extends IdleWorkOptions {
  /** Whether practice may start: the search text is made and the worker's copy complete. */
  ready: () => boolean;
  /** Bumps with each person's filter request: one that starts stops the practice scan, and practice waits until filters have been quiet for a while. */
  filterGeneration: () => number;
  /** How long after a person's last filter request practice may start (default 2 s). */
  quietAfterFilterMs?: number;
  /** Rows a practice scan covers (from the oldest). Below this many rows held, no practice: small scans are quick anyway. */
  rows: number;
  queries?: readonly FrameQuery[];
}

export class ScanWarmup {
  private readonly idle: IdleWork;
  private readonly queries: readonly FrameQuery[];
  /** Practice scans finished so far. */
  done = 0;
  private running = false;
  private stopped = false;
  /** filterGeneration() at the last step, and when it was last seen to change. */
  private seenGeneration: number;
  private filteredAt = -Infinity;

  constructor(
    private readonly store: ScannableStore,
    private readonly scan: PracticeScan,
    private readonly options: ScanWarmupOptions,
  ) {
    this.queries = options.queries ?? PRACTICE_QUERIES;
    this.seenGeneration = options.filterGeneration();
    this.idle = new IdleWork(store, () => this.step(), options);
  }

  get finished(): boolean {
    return this.done >= this.queries.length;
  }

  stop(): void {
    this.stopped = true;
    this.idle.stop();
  }

  /**
   * Starts the next practice scan; always false, so the idle watch looks again
   * after its quiet time rather than spinning while the scan runs.
   */
  private step(): boolean {
    if (this.running || this.stopped) return false;
    if (this.finished) {
      this.stop();
      return false;
    }
    // A person filtering needs both threads; practice waits until they have been quiet a while.
    const generation = this.options.filterGeneration();
    if (generation !== this.seenGeneration) {
      this.seenGeneration = generation;
      this.filteredAt = this.idle.timers.now();
    }
    if (this.idle.timers.now() - this.filteredAt < (this.options.quietAfterFilterMs ?? 2000)) return false;
    const { firstId, nextId } = this.store.scanColumns();
    if (nextId - firstId < this.options.rows || !this.options.ready()) return false;
    const isCancelled = (): boolean => this.stopped || this.store.scanColumns().nextId !== nextId || this.options.filterGeneration() !== generation;
    this.running = true;
    this.scan(this.queries[this.done], firstId, firstId + this.options.rows, isCancelled).then(
      (result) => {
        this.running = false;
        if (!result.cancelled) this.done++;
      },
      () => {
        // A practice scan that fails says nothing a person's filter would not say better: stop practising.
        this.running = false;
        this.stop();
      },
    );
    return false;
  }
}
