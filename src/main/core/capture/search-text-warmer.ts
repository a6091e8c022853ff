/**
 * Makes the filter's search text while capture is idle. A text filter reads
 * each payload buffer as one latin1 string (see frame-filter.ts); making those
 * strings is most of the first scan's cost (fresh memory for a million
 * payloads: about 0.6 s on this kind of machine), and every scan after it
 * reuses them. So when no frame has arrived for a while, this walks the rows
 * captured since its last walk, in short slices that yield to the event loop,
 * and makes the strings of the buffers that hold text payloads — until the
 * cache is full, never past it (a full cache starts over, which would undo
 * the work).
 *
 * It stays out of capture's way: a new frame stops the walk at the next slice,
 * and the walk resumes only after the store has been quiet again for `idleMs`.
 */
import { OPCODE_BITS, RSV1_BIT, VIOLATION_BIT } from '../../../shared/frame-bits';
import { payloadBufferOf, sharedTextCache, type BufferTextCache, type ScannableStore } from './frame-filter';

export interface WarmerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
  now(): number;
}

const systemTimers: WarmerTimers = {
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

export interface WarmerOptions {
  /** The store must have been quiet this long before a walk starts. */
  idleMs?: number;
  /** A walk yields after about this long. */
  sliceMs?: number;
  cache?: BufferTextCache;
  timers?: WarmerTimers;
  /** Rows before this id need no text here (the parallel scan's worker searches them: parallel-scan.ts). */
  skipBelow?: () => number;
}

/** Rows looked at between clock reads. */
const ROWS_PER_CHECK = 2048;

export class SearchTextWarmer {
  private readonly idleMs: number;
  private readonly sliceMs: number;
  private readonly cache: BufferTextCache;
  private readonly timers: WarmerTimers;
  private readonly skipBelow: () => number;
  /** Rows before this id have been walked. */
  private walkedTo = 0;
  /** store.nextId at the last look: a change means frames arrived. */
  private seenNextId = -1;
  private timer: unknown = null;
  private stopped = false;
  /** Buffers made so far. */
  warmedBuffers = 0;

  constructor(
    private readonly store: ScannableStore,
    options: WarmerOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 250;
    this.sliceMs = options.sliceMs ?? 8;
    this.cache = options.cache ?? sharedTextCache;
    this.timers = options.timers ?? systemTimers;
    this.skipBelow = options.skipBelow ?? (() => 0);
    this.schedule();
  }

  /** Walks again from the oldest row (the rows skipBelow gave away need text here after all). */
  rewind(): void {
    this.walkedTo = 0;
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

  /** Every idleMs: walk when nothing arrived since the last look and there is something new to walk. */
  private look(): void {
    this.timer = null;
    const { nextId } = this.store.scanColumns();
    const quiet = nextId === this.seenNextId;
    this.seenNextId = nextId;
    this.walkedTo = Math.max(this.walkedTo, this.skipBelow());
    if (quiet && this.walkedTo < nextId) this.walk();
    else this.schedule();
  }

  private walk(): void {
    if (this.stopped) return;
    const started = this.timers.now();
    const cols = this.store.scanColumns();
    // Frames arrived: capture comes first; look again once it is quiet.
    if (cols.nextId !== this.seenNextId) return this.schedule();
    let id = Math.max(this.walkedTo, cols.firstId, this.skipBelow());
    let last: ArrayBufferLike | null = null;
    while (id < cols.nextId) {
      const end = Math.min(cols.nextId, id + ROWS_PER_CHECK);
      for (; id < end; id++) {
        const slot = id & cols.mask;
        const bits = cols.bits[slot];
        const opcode = bits & OPCODE_BITS;
        // Text frames and continuations; a compressed message's first frame holds DEFLATE bytes (RFC 7692 §6), which nobody searches.
        if (bits & (VIOLATION_BIT | RSV1_BIT) || (opcode !== 0x1 && opcode !== 0x0)) continue;
        const buffer = payloadBufferOf(cols, slot);
        if (buffer === null || buffer === last) continue;
        last = buffer;
        if (this.cache.has(buffer, id)) continue;
        if (!this.cache.hasRoomFor(buffer.byteLength)) {
          // Full: what is made stays; rows after these are made by the scans that need them.
          this.walkedTo = cols.nextId;
          return this.schedule();
        }
        this.cache.prepare(buffer, cols.nextId, id);
        this.warmedBuffers++;
      }
      this.walkedTo = id;
      if (this.timers.now() - started >= this.sliceMs) {
        this.timers.setImmediate(() => this.walk());
        return;
      }
    }
    this.schedule();
  }
}
