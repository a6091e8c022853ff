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
import { IdleWork, type IdleWorkOptions } from './idle-work';

export interface WarmerOptions extends IdleWorkOptions {
  /** A walk yields after about this long. */
  sliceMs?: number;
  cache?: BufferTextCache;
  /** Rows before this id need no text here (the parallel scan's worker searches them: parallel-scan.ts). */
  skipBelow?: () => number;
}

/** Rows looked at between clock reads. */
const ROWS_PER_CHECK = 2048;

export class SearchTextWarmer {
  private readonly sliceMs: number;
  private readonly cache: BufferTextCache;
  private readonly skipBelow: () => number;
  private readonly idle: IdleWork;
  /** Rows before this id have been walked. */
  private walkedTo = 0;
  /** Buffers made so far. */
  warmedBuffers = 0;

  constructor(
    private readonly store: ScannableStore,
    options: WarmerOptions = {},
  ) {
    this.sliceMs = options.sliceMs ?? 8;
    this.cache = options.cache ?? sharedTextCache;
    this.skipBelow = options.skipBelow ?? (() => 0);
    this.idle = new IdleWork(store, () => this.walk(), options);
  }

  /** Every row held has been walked (text made, or the cache full). */
  get done(): boolean {
    return this.walkedTo >= this.store.scanColumns().nextId;
  }

  /** Walks again from the oldest row (the rows skipBelow gave away need text here after all). */
  rewind(): void {
    this.walkedTo = 0;
  }

  stop(): void {
    this.idle.stop();
  }

  /** One slice of the walk; true when rows are left for the next one. */
  private walk(): boolean {
    const timers = this.idle.timers;
    const started = timers.now();
    const cols = this.store.scanColumns();
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
          return false;
        }
        this.cache.prepare(buffer, cols.nextId, id);
        this.warmedBuffers++;
      }
      this.walkedTo = id;
      if (timers.now() - started >= this.sliceMs) return id < cols.nextId;
    }
    return false;
  }
}
