/**
 * The worker side of the parallel filter scan (see parallel-scan.ts): a copy
 * of the older part of the capture store, made from segments the main side
 * sends while capture is idle, over which the worker runs the very same
 * scanFrames as the main side does over the rest.
 *
 * The copy keeps the original's ids (startAt), so a scan here answers in the
 * same ids, and it holds exactly the original's rows below the point it has
 * reached: segments arrive in id order, every eviction is forwarded
 * (evictBefore), and the one change a row can see after it is appended,
 * inflated content attached to a compressed message's last frame, follows as
 * an 'inflated' message. Payload bytes come as copies of the spans of the
 * original's buffers that each segment's rows use; the search text is made
 * from them here, off the main thread.
 *
 * No I/O: scan-worker.ts feeds messages in and posts replies out.
 */
import type { FilterResult, FrameQuery } from '../../../shared/contract';
import { CaptureStore, NO_BUFFER, type CapturedRowExtras } from './capture-store';
import { BufferTextCache, compileQuery, scanFrames } from './frame-filter';

/** Rows [firstId, firstId + count) in columns, with copies of the payload buffers they need. */
export interface MirrorSegment {
  type: 'segment';
  firstId: number;
  count: number;
  /** The original's connection ids, when the list grew since the last segment (conn values index it). */
  connectionIds?: string[];
  conn: Uint32Array;
  time: Float64Array;
  bits: Uint32Array;
  length: Float64Array;
  offset: Float64Array;
  maskKey: Uint32Array;
  /** The original's buffer number per row, or NO_BUFFER. */
  buffer: Uint32Array;
  payloadOffset: Float64Array;
  payloadLength: Float64Array;
  /** Per buffer these rows use: a copy of the bytes they span, which starts at byte `base` of the original. */
  buffers: Array<{ number: number; base: number; bytes: ArrayBuffer }>;
  extras: Array<[number, CapturedRowExtras]>;
}

export type MirrorMessage =
  | MirrorSegment
  | { type: 'inflated'; id: number; inflated: Uint8Array }
  | { type: 'evict'; beforeId: number }
  | { type: 'scan'; seq: number; query: FrameQuery; fromId: number; toId: number; budgetMs?: number }
  | { type: 'cancel'; seq: number };

export type MirrorReply =
  /** A segment is in: the copy holds rows up to nextId. */
  | { type: 'held'; nextId: number }
  | { type: 'result'; seq: number; result: FilterResult }
  | { type: 'error'; seq: number; message: string }
  /** The copy can no longer be trusted (a segment it could not apply): stop using this worker. */
  | { type: 'failed'; message: string };

/** What the copy's text cache may hold; it holds text for part of the capture only. */
const MIRROR_TEXT_LIMIT_CHARS = 256 * 1024 * 1024;

export class ScanMirror {
  private store = new CaptureStore(Number.POSITIVE_INFINITY);
  private connectionIds: string[] = [];
  private readonly cancelled = new Set<number>();
  /** Scans running now: a cancel for any other seq (one that already answered) is dropped. */
  private readonly running = new Set<number>();
  /** Evictions and inflated content queued and not applied yet (see receive). */
  private pendingChanges = 0;
  /** Messages applied in order (see receive). */
  private queue: Promise<void> = Promise.resolve();
  readonly textCache = new BufferTextCache(MIRROR_TEXT_LIMIT_CHARS);

  /** Rows held: [firstId, nextId). */
  get firstId(): number {
    return this.store.firstId;
  }

  get nextId(): number {
    return this.store.nextId;
  }

  /**
   * Takes messages as they come: applied one at a time, in order, so a scan
   * sees every segment and eviction sent before it. A cancel is the
   * exception: it must reach the scan it stops while that scan runs. A
   * segment that cannot be applied leaves a copy that can no longer be
   * trusted: 'failed'.
   */
  receive(message: MirrorMessage, reply: (reply: MirrorReply) => void): void {
    if (message.type === 'cancel') {
      if (this.running.has(message.seq)) this.cancelled.add(message.seq);
      return;
    }
    if (message.type === 'scan' && this.pendingChanges === 0 && message.fromId >= this.store.firstId && message.toId <= this.store.nextId) {
      // Every row it reads is here already, as it will stay: it need not wait behind segments still
      // queued (they only append after its range).
      void this.answer(message, reply);
      return;
    }
    const change = message.type === 'evict' || message.type === 'inflated';
    if (change) this.pendingChanges++;
    this.queue = this.queue.then(async () => {
      await this.answer(message, reply);
      if (change) this.pendingChanges--;
    });
  }

  private async answer(message: Exclude<MirrorMessage, { type: 'cancel' }>, reply: (reply: MirrorReply) => void): Promise<void> {
    let answer: MirrorReply | null;
    try {
      answer = await this.handle(message);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      answer = message.type === 'scan' ? { type: 'error', seq: message.seq, message: text } : { type: 'failed', message: text };
    }
    if (answer !== null) reply(answer);
  }

  /** Applies a message; a segment and a scan answer with a reply, everything else with null. */
  private async handle(message: Exclude<MirrorMessage, { type: 'cancel' }>): Promise<MirrorReply | null> {
    switch (message.type) {
      case 'segment':
        this.append(message);
        return { type: 'held', nextId: this.store.nextId };
      case 'inflated':
        this.store.attachInflated(message.id, message.inflated);
        return null;
      case 'evict':
        this.store.evictBefore(message.beforeId);
        return null;
      case 'scan':
        return this.scan(message);
    }
  }

  private append(s: MirrorSegment): void {
    if (s.connectionIds) this.connectionIds = s.connectionIds;
    if (s.firstId !== this.store.nextId) {
      // A gap (the original cleared or evicted past what was sent): start over from this segment.
      this.store = new CaptureStore(Number.POSITIVE_INFINITY);
    }
    if (this.store.nextId === this.store.firstId && this.store.nextId < s.firstId) this.store.startAt(s.firstId);
    const copies = new Map(s.buffers.map((b) => [b.number, b]));
    const extras = new Map(s.extras);
    const warm = new Set<ArrayBuffer>();
    for (let i = 0; i < s.count; i++) {
      const n = s.buffer[i];
      let payload: Uint8Array | null = null;
      if (n !== NO_BUFFER) {
        const copy = copies.get(n);
        if (copy === undefined) throw new Error(`mirror: segment at ${s.firstId} refers to buffer ${n}, which it does not carry`);
        payload = new Uint8Array(copy.bytes, s.payloadOffset[i] - copy.base, s.payloadLength[i]);
        warm.add(copy.bytes);
      }
      this.store.appendFrame(this.connectionIds[s.conn[i]], s.time[i], s.bits[i], s.length[i], s.offset[i], payload, s.maskKey[i], extras.get(s.firstId + i));
    }
    // The search text of the new rows, made now: this thread has nothing else to do.
    const nextId = this.store.nextId;
    for (const bytes of warm) this.textCache.prepare(bytes, nextId, s.firstId);
  }

  private async scan(m: Extract<MirrorMessage, { type: 'scan' }>): Promise<MirrorReply> {
    const compiled = compileQuery(m.query);
    if (!compiled.ok) return { type: 'error', seq: m.seq, message: compiled.error };
    if (m.fromId < this.store.firstId || m.toId > this.store.nextId) {
      return { type: 'error', seq: m.seq, message: `mirror holds [${this.store.firstId}, ${this.store.nextId}), not [${m.fromId}, ${m.toId})` };
    }
    this.running.add(m.seq);
    try {
      const result = await scanFrames(this.store, compiled.value, m.fromId, m.toId, {
        budgetMs: m.budgetMs,
        textCache: this.textCache,
        isCancelled: () => this.cancelled.has(m.seq),
      });
      return { type: 'result', seq: m.seq, result };
    } finally {
      this.running.delete(m.seq);
      this.cancelled.delete(m.seq);
    }
  }
}
