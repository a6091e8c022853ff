/**
 * The filter scan on two cores. A regular-expression filter over a million
 * frames is a few hundred megabytes of regex matching and per-row checks, and
 * one thread does it in 60–200 ms; the machine has another core that sits idle
 * meanwhile.
 *
 * So while capture is idle, the older half of the capture store is copied,
 * segment by segment, into a worker thread (scan-mirror.ts), which also makes
 * the search text for it there. A scan is then split at a row id: the worker
 * runs scanFrames over the older part of the range, this thread over the newer
 * part, at the same time, and the two answers are joined. Splitting a scan at
 * an id is what a live filter already does every time new rows arrive (it
 * scans on from where it stopped), so the join follows the same rules: a
 * fragmented message (RFC 6455 §5.4) that starts in the older part and ends in
 * the newer one is judged by the newer part, which reports its first frame as
 * a late match.
 *
 * Where there is no worker (it failed to start, died, or has not copied enough
 * yet), or the range is small (a live filter's new rows), the scan runs here
 * alone, as before. A worker that answers with an error or not at all costs a
 * scan its speed, never its result: that part is scanned here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FilterResult, FrameQuery, MessageSpan } from '../../../shared/contract';
import { NO_BUFFER, type CaptureStore, type CapturedRowExtras } from './capture-store';
import { filterResult, scanFrames, sharedTextCache, type BufferTextCache, type CompiledQuery, type ScanOptions } from './frame-filter';
import type { MirrorMessage, MirrorReply, MirrorSegment } from './scan-mirror';
import { IdleWork, type IdleWorkOptions } from './idle-work';

/** The channel to the worker; the worker_threads one is spawnScanWorker's. */
export interface ScanPort {
  post(message: MirrorMessage, transfer?: ArrayBuffer[]): void;
  onReply(listener: (reply: MirrorReply) => void): void;
  /** The worker died or could not start: the port is of no more use. */
  onFailure(listener: (error: Error) => void): void;
  close(): void;
}

export interface ParallelScanOptions extends IdleWorkOptions {
  /** Starts the worker (default: spawnScanWorker with workerUrl). */
  spawn?: () => ScanPort;
  /** The built worker entry (the Electron bundle's scan-worker.js); without it, the TypeScript source through tsx. */
  workerUrl?: URL;
  /** No worker for stores holding fewer rows than this. */
  minRows?: number;
  /** Rows per segment. */
  segmentRows?: number;
  /** Copying yields to the event loop after about this long. */
  sliceMs?: number;
  /** This thread's search-text cache: text of buffers the worker holds is let go of here. */
  textCache?: BufferTextCache;
  /** Told once why the worker stopped (the app logs it); scans go on in this thread. */
  onFailure?: (reason: string) => void;
}

/** Below this many rows in the worker's part, a split costs more (a message each way) than it saves. */
export const DEFAULT_MIN_ROWS = 65_536;
/** A worker that has not answered a scan this long after its budget is taken for stuck. */
const WORKER_GRACE_MS = 2000;
/** How often a scan waiting for the worker checks whether it was superseded. */
const CANCEL_POLL_MS = 5;
/** About 0.6 MB of columns and payload copies for short messages: a few milliseconds of this thread. */
const DEFAULT_SEGMENT_ROWS = 4096;

export class ParallelScanner {
  private port: ScanPort | null = null;
  /** Why there is no worker, once it failed; no second try in this session. */
  failure: string | null = null;
  /** The last split scan: each side's rows and milliseconds (for benchmarks and the log). */
  lastSplit: { workerRows: number; workerMs: number; localRows: number; localMs: number } | null = null;
  /** Rows [mirrorFirst, mirroredTo) of the store have been sent to the worker... */
  private mirrorFirst = 0;
  private mirroredTo = 0;
  /** ...and it holds them up to here (it says so after each segment): scans split only where it holds. */
  private heldTo = 0;
  /** Evictions forwarded: the worker has let go of rows before this id. */
  private evictedTo = 0;
  private sentConnections = 0;
  private seq = 0;
  private readonly waiting = new Map<number, (reply: MirrorReply | null) => void>();
  private readonly minRows: number;
  private readonly segmentRows: number;
  private readonly sliceMs: number;
  /** Copies the older half while capture is idle (see copy). */
  private readonly idle: IdleWork;
  private readonly spawn: () => ScanPort;
  private readonly textCache: BufferTextCache;
  private readonly onFailure: (reason: string) => void;
  private disposed = false;
  private readonly stopAmend: () => void;
  private readonly stopAppend: () => void;
  private readonly forwardEvictionsLater = (): void => this.forwardEvictions();

  constructor(
    private readonly store: CaptureStore,
    options: ParallelScanOptions = {},
  ) {
    this.minRows = options.minRows ?? DEFAULT_MIN_ROWS;
    this.segmentRows = options.segmentRows ?? DEFAULT_SEGMENT_ROWS;
    this.sliceMs = options.sliceMs ?? 8;
    this.spawn = options.spawn ?? (() => spawnScanWorker(options.workerUrl));
    this.textCache = options.textCache ?? sharedTextCache;
    this.onFailure = options.onFailure ?? (() => {});
    // Inflated content attached after a row was copied: the copy follows (see scan-mirror.ts).
    this.stopAmend = store.onAmend((id) => {
      if (this.port === null || id < this.mirrorFirst || id >= this.mirroredTo) return;
      const inflated = store.extrasOf(id)?.inflated;
      if (inflated) this.port.post({ type: 'inflated', id, inflated: inflated.slice() });
    });
    // Rows the budget pushes out go from the copy too, as they go here, not at the next copy or scan.
    // (onAppend comes at the first append of a burst; the evictions come with the later ones.)
    this.stopAppend = store.onAppend(() => {
      if (this.port !== null) queueMicrotask(this.forwardEvictionsLater);
    });
    this.idle = new IdleWork(store, () => this.copy(), options);
  }

  /** Where the worker's copy is headed (the older half), or 0 once there is no worker to copy to. */
  get copyTarget(): number {
    return this.failure === null && !this.disposed ? this.target() : 0;
  }

  /** The worker holds all it should (or there is no worker to copy to): a scan now splits as far as it can. */
  get copied(): boolean {
    const target = this.copyTarget;
    return target === 0 || (this.port !== null && this.heldTo >= target);
  }

  /** Rows the worker holds, [from, to); empty without a worker. */
  get mirrored(): { from: number; to: number } {
    return this.port === null ? { from: 0, to: 0 } : { from: this.mirrorFirst, to: Math.max(this.mirrorFirst, this.heldTo) };
  }

  dispose(): void {
    this.disposed = true;
    this.stopAmend();
    this.stopAppend();
    this.idle.stop();
    this.drop('the scanner was disposed');
  }

  /** scanFrames over [fromId, toId), split with the worker when it holds enough of the range. */
  async scan(compiled: CompiledQuery, query: FrameQuery, fromId: number, toId: number | undefined, options: ScanOptions = {}): Promise<FilterResult> {
    const cols = this.store.scanColumns();
    const start = Math.max(Math.floor(fromId), cols.firstId);
    const end = Math.max(start, Math.min(toId === undefined ? cols.nextId : Math.floor(toId), cols.nextId));
    this.forwardEvictions();
    const port = this.port;
    // The worker takes the older half of the range, or as much of it as it holds; a byte-aligned
    // split lets the two bitmaps be joined byte by byte (see joinResults).
    const mid = start + ((Math.min(this.heldTo, start + ((end - start) >>> 1)) - start) & ~7);
    if (port === null || this.mirrorFirst > start || mid - start < this.minRows) return scanFrames(this.store, compiled, fromId, toId, options);

    const seq = ++this.seq;
    const now = options.now ?? (() => performance.now());
    const started = now();
    let workerMs = -1;
    const remote = new Promise<MirrorReply | null>((resolve) => this.waiting.set(seq, resolve)).then((reply) => {
      workerMs = now() - started;
      return reply;
    });
    port.post({ type: 'scan', seq, query, fromId: start, toId: mid, budgetMs: options.budgetMs });
    const local = await scanFrames(this.store, compiled, mid, end, options);
    const localMs = now() - started;
    if (local.cancelled) {
      port.post({ type: 'cancel', seq });
      this.waiting.get(seq)?.(null);
      this.waiting.delete(seq);
      return { ...local, fromId: start };
    }
    const reply = await this.awaitWorker(remote, seq, options);
    if (reply === 'cancelled') return { ...local, fromId: start, scannedTo: start, matchBits: '', matched: 0, done: false, cancelled: true };
    let older: FilterResult;
    if (reply !== null && reply.type === 'result' && !reply.result.cancelled) older = reply.result;
    // No answer from the worker: its part is scanned here, at the old speed.
    else older = await scanFrames(this.store, compiled, start, mid, options);
    if (older.cancelled) return { ...older, fromId: start };
    this.lastSplit = { workerRows: mid - start, workerMs, localRows: end - mid, localMs };
    return joinResults(older, local, mid, now() - started);
  }

  /**
   * The worker's answer, watching meanwhile for the scan being superseded (a
   * newer keystroke: the worker is told to stop) and for a worker that has
   * stopped answering (it is let go of; the caller scans its part here).
   */
  private async awaitWorker(remote: Promise<MirrorReply | null>, seq: number, options: ScanOptions): Promise<MirrorReply | null | 'cancelled'> {
    const deadline = Date.now() + (options.budgetMs ?? 400) + WORKER_GRACE_MS;
    const tick = (): Promise<'tick'> => new Promise((resolve) => setTimeout(() => resolve('tick'), CANCEL_POLL_MS));
    for (;;) {
      const next = await Promise.race([remote, tick()]);
      if (next !== 'tick') return next;
      if (options.isCancelled?.()) {
        this.port?.post({ type: 'cancel', seq });
        this.waiting.get(seq)?.(null);
        this.waiting.delete(seq);
        return 'cancelled';
      }
      if (Date.now() > deadline) {
        this.drop(`the scan worker did not answer within ${Math.round((options.budgetMs ?? 400) + WORKER_GRACE_MS)} ms`);
        return null;
      }
    }
  }

  /** Where the copy should reach: the older half of what the store holds, if that is worth a worker. */
  private target(): number {
    const { firstId, nextId } = this.store.scanColumns();
    const half = (nextId - firstId) >>> 1;
    return half < this.minRows ? 0 : firstId + half;
  }

  /** Segments for about sliceMs (one step of the idle work); true while the target is not reached. */
  private copy(): boolean {
    // A worker that failed is not started again (drop() said why, once); scans stay on this thread.
    if (this.disposed || this.failure !== null) return false;
    const started = this.idle.timers.now();
    const { firstId } = this.store.scanColumns();
    const target = this.target();
    if (this.mirroredTo >= target) return false;
    if (this.port === null) {
      try {
        const port = this.spawn();
        port.onReply((reply) => this.onReply(reply));
        port.onFailure((error) => this.drop(`the scan worker stopped: ${error.message}`));
        this.port = port;
      } catch (error) {
        this.failure = `the scan worker could not start: ${(error as Error).message}`;
        this.onFailure(this.failure);
        return false;
      }
    }
    if (this.mirroredTo < firstId) {
      // Evicted past the copy (or cleared): start again from the oldest row.
      this.mirrorFirst = this.mirroredTo = this.heldTo = this.evictedTo = firstId;
      this.sentConnections = 0;
    }
    this.forwardEvictions();
    do {
      // (A port can fail as it is posted to.)
      const port = this.port;
      if (port === null) return false;
      const { segment, transfer } = this.segment(this.mirroredTo, Math.min(target, this.mirroredTo + this.segmentRows));
      this.mirroredTo += segment.count;
      port.post(segment, transfer);
    } while (this.mirroredTo < target && this.idle.timers.now() - started < this.sliceMs);
    return this.mirroredTo < target;
  }

  /** Runs once per burst of appends: no allocation when nothing was evicted. */
  private forwardEvictions(): void {
    if (this.port === null) return;
    const firstId = this.store.firstId;
    if (firstId <= this.evictedTo) return;
    this.evictedTo = firstId;
    this.mirrorFirst = Math.min(Math.max(this.mirrorFirst, firstId), this.mirroredTo);
    this.port.post({ type: 'evict', beforeId: firstId });
  }

  /** Rows [from, to) as a segment, with copies of the bytes they span in their buffers. */
  private segment(from: number, to: number): { segment: MirrorSegment; transfer: ArrayBuffer[] } {
    const c = this.store.scanColumns();
    const count = to - from;
    const segment: MirrorSegment = {
      type: 'segment',
      firstId: from,
      count,
      conn: new Uint32Array(count),
      time: new Float64Array(count),
      bits: new Uint32Array(count),
      length: new Float64Array(count),
      offset: new Float64Array(count),
      maskKey: new Uint32Array(count),
      buffer: new Uint32Array(count),
      payloadOffset: new Float64Array(count),
      payloadLength: new Float64Array(count),
      buffers: [],
      extras: [],
    };
    if (c.connectionIds.length !== this.sentConnections) {
      segment.connectionIds = [...c.connectionIds];
      this.sentConnections = c.connectionIds.length;
    }
    // The columns, copied in runs contiguous in the ring (at most two).
    for (let id = from; id < to; ) {
      const slot = id & c.mask;
      const n = Math.min(to - id, c.mask + 1 - slot);
      const at = id - from;
      segment.conn.set(c.connIndex.subarray(slot, slot + n), at);
      segment.time.set(c.times.subarray(slot, slot + n), at);
      segment.bits.set(c.bits.subarray(slot, slot + n), at);
      segment.length.set(c.lengths.subarray(slot, slot + n), at);
      segment.offset.set(c.offsets.subarray(slot, slot + n), at);
      segment.maskKey.set(c.maskKeys.subarray(slot, slot + n), at);
      segment.buffer.set(c.bufferIds.subarray(slot, slot + n), at);
      segment.payloadOffset.set(c.payloadOffsets.subarray(slot, slot + n), at);
      segment.payloadLength.set(c.payloadLengths.subarray(slot, slot + n), at);
      id += n;
    }
    // Per buffer number in this segment (numbers only grow along the rows): the bytes its rows span.
    const numbers: number[] = [];
    const lows: number[] = [];
    const highs: number[] = [];
    for (let i = 0; i < count; i++) {
      const n = segment.buffer[i];
      if (n === NO_BUFFER) continue;
      const start = segment.payloadOffset[i];
      const end = start + segment.payloadLength[i];
      const last = numbers.length - 1;
      if (last >= 0 && numbers[last] === n) {
        if (start < lows[last]) lows[last] = start;
        if (end > highs[last]) highs[last] = end;
      } else {
        numbers.push(n);
        lows.push(start);
        highs.push(end);
      }
    }
    if (c.extras.size > 0) {
      for (let id = from; id < to; id++) {
        const extras = c.extras.get(id);
        if (extras !== undefined) segment.extras.push([id, copyExtras(extras)]);
      }
    }
    // Only the span these rows use is copied (bytes between payloads included, as a sweep expects):
    // a whole 256 KiB slab per segment would copy most bytes several times.
    const transfer: ArrayBuffer[] = [];
    for (let k = 0; k < numbers.length; k++) {
      const buffer = c.buffers[numbers[k] - c.bufferBase];
      if (buffer === null) continue;
      const bytes = new Uint8Array(buffer, lows[k], highs[k] - lows[k]).slice().buffer;
      segment.buffers.push({ number: numbers[k], base: lows[k], bytes });
      transfer.push(bytes);
    }
    // The worker searches these rows from now on: their text here would be a second copy. (Not the
    // buffer the last rows are in: later rows may continue in it.)
    const continued = numbers.length === 0 ? null : c.buffers[numbers[numbers.length - 1] - c.bufferBase];
    for (const n of numbers) {
      const buffer = c.buffers[n - c.bufferBase];
      if (buffer && buffer !== continued) this.textCache.forget(buffer);
    }
    for (const column of [segment.conn, segment.time, segment.bits, segment.length, segment.offset, segment.maskKey, segment.buffer, segment.payloadOffset, segment.payloadLength]) {
      transfer.push(column.buffer as ArrayBuffer);
    }
    return { segment, transfer };
  }

  private onReply(reply: MirrorReply): void {
    if (reply.type === 'failed') return this.drop(`the scan worker stopped: ${reply.message}`);
    if (reply.type === 'held') {
      // (An answer to a segment sent before the copy started over is below mirrorFirst: no effect.)
      this.heldTo = Math.max(this.heldTo, reply.nextId);
      return;
    }
    const resolve = this.waiting.get(reply.seq);
    this.waiting.delete(reply.seq);
    resolve?.(reply);
  }

  /** Stops using the worker; scans in flight finish here. */
  private drop(reason: string): void {
    if (this.port !== null && !this.disposed) {
      this.failure = reason;
      this.onFailure(reason);
    }
    this.port?.close();
    this.port = null;
    this.mirrorFirst = this.mirroredTo = this.heldTo = this.evictedTo = this.sentConnections = 0;
    for (const resolve of this.waiting.values()) resolve(null);
    this.waiting.clear();
  }
}

/** Extras as the worker needs them: inflated content copied out of whatever larger buffer it views. */
function copyExtras(extras: CapturedRowExtras): CapturedRowExtras {
  return extras.inflated ? { ...extras, inflated: extras.inflated.slice() } : extras;
}

/**
 * One answer from the older part's [older.fromId, mid) and the newer part's
 * [mid, …): bitmaps side by side, the newer part's late matches at or after
 * the older part's start moved into the bitmap, and its message spans over
 * the older part's (it saw those messages end). The older part starts later
 * than the scan asked when rows were evicted before it ran (it was scanned
 * here after the worker failed): the answer then starts there too.
 */
export function joinResults(older: FilterResult, newer: FilterResult, mid: number, elapsedMs: number): FilterResult {
  if (!older.done || older.scannedTo < mid) return { ...older, done: false, firstId: newer.firstId, nextId: newer.nextId };
  const start = older.fromId;
  const scannedTo = newer.scannedTo;
  const bitmap = new Uint8Array((scannedTo - start + 7) >>> 3);
  placeBits(bitmap, 0, Buffer.from(older.matchBits, 'base64'));
  placeBits(bitmap, mid - start, Buffer.from(newer.matchBits, 'base64'));
  let matched = older.matched + newer.matched;
  const late = [...(older.lateMatches ?? [])];
  for (const id of newer.lateMatches ?? []) {
    if (id < start) {
      late.push(id);
      continue;
    }
    const k = id - start;
    if ((bitmap[k >>> 3] & (1 << (k & 7))) === 0) {
      bitmap[k >>> 3] |= 1 << (k & 7);
      matched++;
    }
  }
  const spans = new Map<number, MessageSpan>();
  for (const span of older.messages ?? []) spans.set(span.headId, span);
  for (const span of newer.messages ?? []) spans.set(span.headId, span);
  return filterResult({ start, scannedTo, bitmap, matched, done: newer.done, firstId: newer.firstId, nextId: newer.nextId, elapsedMs, late, spans });
}

/** ORs a bitmap (bit k: row from + k) into `target` from bit `at` on; bytewise when `at` is a multiple of 8. */
function placeBits(target: Uint8Array, at: number, source: Uint8Array): void {
  if ((at & 7) === 0) {
    const to = at >>> 3;
    for (let i = 0; i < source.length && to + i < target.length; i++) target[to + i] |= source[i];
    return;
  }
  for (let i = 0; i < source.length; i++) {
    for (let b = source[i]; b !== 0; b &= b - 1) {
      const k = at + i * 8 + (31 - Math.clz32(b & -b));
      if (k >>> 3 < target.length) target[k >>> 3] |= 1 << (k & 7);
    }
  }
}

/** tsx's ESM API (tsx/esm/api, its "import" export), as a file URL a worker can import. */
export function tsxEsmApi(from: string): string {
  const require = createRequire(from);
  const manifest = require.resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(join(dirname(manifest), exports['./esm/api'].import.default)).href;
}

/**
 * The worker thread. From the built app, its own bundle entry (workerUrl);
 * from the TypeScript sources (CLI, browser host, tests), scan-worker.ts
 * loaded through tsx, which the worker registers first.
 */
export function spawnScanWorker(workerUrl?: URL): ScanPort {
  let worker: Worker;
  if (workerUrl !== undefined) {
    worker = new Worker(workerUrl);
  } else {
    const here = import.meta.url;
    const entry = new URL('./scan-worker.ts', here).href;
    // A worker does not inherit the main thread's module hooks, and its execArgv's --import does
    // not install tsx's there (Node 20): the worker registers tsx itself, then loads the entry.
    const boot = `import(${JSON.stringify(tsxEsmApi(here))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    worker = new Worker(`${boot}.catch((error) => { console.error(error); process.exit(70); });`, { eval: true });
  }
  // A scan worker must not keep a CLI or a test process alive.
  worker.unref();
  const failures: Array<(error: Error) => void> = [];
  let closed = false;
  const fail = (error: Error): void => {
    if (closed) return;
    closed = true;
    for (const listener of failures) listener(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    onReply: (listener) => void worker.on('message', listener),
    onFailure: (listener) => void failures.push(listener),
    close: () => {
      closed = true;
      void worker.terminate();
    },
  };
}
