/**
 * Practice filter scans while capture is idle, once per workspace.
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
 * scans of different kinds run over a range that straddles the split point —
 * the worker practises on rows it holds, this thread on rows whose text it
 * made, so no text is made twice — and their results are thrown away. A row
 * arriving, a Clear or a person's filter stops a practice scan at its next
 * slice; it starts again when capture is idle and filters have been quiet.
 * Until the capture is big enough to practise on, it looks again each time
 * the store has been quiet (idle-work.ts), like the other idle jobs. What a
 * filter finds never depends on it.
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

/** A scan of [fromId, toId), as a person's filter runs it (both threads); its matches are dropped. */
export type PracticeScan = (query: FrameQuery, fromId: number, toId: number, isCancelled: () => boolean) => Promise<{ cancelled?: boolean; done: boolean }>;

/**
 * The rows a practice scan covers: `rows` of them centred on `splitAt` (the end of
 * the worker's copy, where a full scan splits), kept inside the store; without a
 * worker (splitAt 0), the newest `rows`. Null while the store holds fewer.
 */
export function practiceRange(firstId: number, nextId: number, splitAt: number, rows: number): { fromId: number; toId: number } | null {
  if (nextId - firstId < rows) return null;
  if (splitAt <= firstId) return { fromId: nextId - rows, toId: nextId };
  const fromId = Math.min(Math.max(firstId, splitAt - Math.floor(rows / 2)), nextId - rows);
  return { fromId, toId: fromId + rows };
}

export interface ScanWarmupOptions extends IdleWorkOptions {
  /** Whether practice may start: the search text is made and the worker's copy complete. */
  ready: () => boolean;
  /** Where to practise now (see practiceRange); null: not yet. */
  range: () => { fromId: number; toId: number } | null;
  /** Bumps with each person's filter request: one that starts stops the practice scan. */
  filterGeneration: () => number;
  /** Whether a person's filter scan is running now. */
  filtering: () => boolean;
  /** Practice starts only once no person's filter has been seen for this long (default 2 s; seen at the idle watch's looks). */
  quietAfterFilterMs?: number;
  queries?: readonly FrameQuery[];
}

export class ScanWarmup {
  private readonly idle: IdleWork;
  private readonly queries: readonly FrameQuery[];
  /** Practice scans that reached the end of their rows so far. */
  done = 0;
  private running = false;
  private stopped = false;
  /** filterGeneration() at the last look, and when a person's filter was last seen. */
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
    const now = this.idle.timers.now();
    const generation = this.options.filterGeneration();
    if (generation !== this.seenGeneration || this.options.filtering()) {
      this.seenGeneration = generation;
      this.filteredAt = now;
    }
    if (now - this.filteredAt < (this.options.quietAfterFilterMs ?? 2000)) return false;
    if (!this.options.ready()) return false;
    const range = this.options.range();
    if (range === null) return false;
    const { firstId, nextId } = this.store.scanColumns();
    const isCancelled = (): boolean => {
      if (this.stopped || this.options.filterGeneration() !== generation) return true;
      // A new row, or a Clear (the oldest row moves without a new one).
      const cols = this.store.scanColumns();
      return cols.nextId !== nextId || cols.firstId !== firstId;
    };
    this.running = true;
    this.scan(this.queries[this.done], range.fromId, range.toId, isCancelled).then(
      (result) => {
        this.running = false;
        // Cut short (cancelled, or out of time): the same query again at the next chance.
        if (!result.cancelled && result.done) this.done++;
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
