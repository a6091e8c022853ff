/**
 * The main-side capture store: every captured frame and violation, in columns,
 * bounded by a byte budget. Rows keep contiguous ids; when the budget is
 * exceeded the oldest rows are evicted and counted, never dropped silently.
 *
 * Columns live in a ring of typed arrays (slot = id mod capacity, capacity a
 * power of two) so appending is a handful of stores and no per-row object is
 * kept for the table. Payload and header bytes are kept by reference for the
 * detail pane. Everything every frame has (including the mask key and, in the
 * bits word, the length encoding) is a column; only what few rows have (close
 * code and reason, inflated text, violations) goes into `extras`, so a busy
 * masked stream allocates nothing per row.
 *
 * Payloads are held as (buffer number, offset, length), not as the Uint8Array
 * the row came with: the views die young, and the buffers are shared by many
 * rows (the decoder's slabs, one socket read). Holding a view per row made
 * every captured frame an object the garbage collector had to copy out of the
 * young generation and track, which cost more than capturing it. The buffers
 * themselves sit in a queue in the order rows first used them, and a row
 * holds its buffer's number in a typed column: no column holds pointers, so
 * growing the ring is a copy of plain memory (a million-row ring of pointer
 * arrays took 150 ms to grow, stalling capture and the bridge), and the
 * garbage collector has no per-row slot to trace.
 */
import type { CaptureStats } from '../../../shared/contract';
import { MASKED_BIT, OPCODE_BITS, VIOLATION_BIT } from '../../../shared/frame-bits';
import { columnViews, NUMERIC_BYTES_PER_ROW, type PackedColumns } from '../../../shared/packed-columns';
import { PREVIEW_BINARY, PREVIEW_BYTES, PREVIEW_HEX_BYTES, PREVIEW_TEXT, PreviewWriter, previewText } from '../../../shared/preview';
import type { PackedFrames } from '../../../shared/records';
import type { ScanColumns } from './frame-filter';

export const DEFAULT_CAPTURE_BUDGET_BYTES = 512 * 1024 * 1024;
/** What a row costs beyond its bytes: the column entries and the array slots. */
const ROW_OVERHEAD_BYTES = 64;
/** Rings this big or bigger grow ahead of need, a step every GROW_STEP_EVERY appends (see growStep). */
const GROW_AHEAD_FROM = 1 << 16;
/**
 * The first ring holds 262 144 rows: 14 MiB of columns, of which only the
 * pages rows have reached are ever touched (on Linux, untouched pages of a
 * large typed array take no memory; other systems may commit them). Growing
 * is the expensive part: each doubling copies every held row into new
 * columns, whose every page is a fresh page fault on the capture's event
 * loop (about 10 µs each on this project's machines), and V8 counts the new
 * columns as external memory, which brings garbage collections forward. A busy connection (50 000 echoes a second) reaches
 * 196 608 rows, where the first growth starts, after two seconds.
 * bench:capture, 64 B, alternating runs: 0.82 from a 1 024-row ring, 0.85
 * from 65 536 rows (grown ahead once per run), 0.90 from this size (not grown
 * within a run). Longer captures still grow: in 3-second runs
 * (BENCH_MS=3000), which grow once to 524 288 rows, 64 B measured 0.86.
 */
const INITIAL_CAPACITY = 1 << 18;
const GROW_STEP_EVERY = 256;
/** Rows copied into the bigger ring per step: well ahead of the GROW_STEP_EVERY rows appended meanwhile. */
const GROW_ROWS_PER_STEP = 2048;

const COLUMNS = ['connIndex', 'times', 'bitsCol', 'lengths', 'offsets', 'maskKeys', 'bufferIds', 'payloadOffsets', 'payloadLengths'] as const;
type ColumnName = (typeof COLUMNS)[number];
type Column = Uint32Array | Float64Array;

/** The buffer number of a row without payload. */
export const NO_BUFFER = 0xffffffff;

export interface CapturedRowExtras {
  closeCode?: number;
  closeReason?: string;
  /** Inflated text or bytes of the message a compressed frame completed, for previews. */
  inflated?: Uint8Array;
  violation?: { code: string; closeCode: number; rule: string; message: string };
}

export interface CaptureRowInput {
  connectionId: string;
  /** Milliseconds since the epoch. */
  time: number;
  bits: number;
  length: number;
  /** Byte offset of the frame in its direction's stream. */
  offset: number;
  header: Uint8Array | null;
  payload: Uint8Array | null;
  /**
   * The masking key (RFC 6455 §5.3) as the big-endian uint32 of its four wire
   * bytes; kept only when `bits` has the MASK bit.
   */
  maskKey?: number;
  extras?: CapturedRowExtras;
}

export interface CapturedRow extends CaptureRowInput {
  id: number;
}

type Listener = (lastId: number) => void;

/** The four wire bytes of a mask key held as a uint32 (see CaptureRowInput.maskKey). */
export function maskKeyBytes(key: number): Uint8Array {
  return new Uint8Array([key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff]);
}

export class CaptureStore {
  private capacity = INITIAL_CAPACITY;
  private connIndex = new Uint32Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private bitsCol = new Uint32Array(INITIAL_CAPACITY);
  private lengths = new Float64Array(INITIAL_CAPACITY);
  private offsets = new Float64Array(INITIAL_CAPACITY);
  private maskKeys = new Uint32Array(INITIAL_CAPACITY);
  /** Header bytes, for the few rows appended with them (imports, tests); capture re-encodes headers. */
  private readonly headers = new Map<number, Uint8Array>();
  /** Per row: the number of its payload's buffer, or NO_BUFFER. */
  private bufferIds = new Uint32Array(INITIAL_CAPACITY);
  /** Payload buffers, oldest first: buffers[k] has number bufferBase + k. */
  private buffers: Array<ArrayBufferLike | null> = [];
  /** Per buffer: the id of the newest row using it, to let it go once that row is evicted. */
  private bufferLastRow: number[] = [];
  private bufferBase = 0;
  /** Index in `buffers` of the oldest buffer still used (the ones before it wait for compaction). */
  private bufferHead = 0;
  private payloadOffsets = new Float64Array(INITIAL_CAPACITY);
  private payloadLengths = new Float64Array(INITIAL_CAPACITY);
  /** Times are non-decreasing from this id on (see firstIdsAfter in frame-filter.ts). */
  private timesOrderedFrom = 0;
  private lastTime = -Infinity;
  /** The bigger ring being prepared while this one fills (see growStep). */
  private growing: { capacity: number; columns: Column[]; copiedTo: number } | null = null;
  private extras = new Map<number, CapturedRowExtras>();

  private readonly connectionIds: string[] = [];
  private readonly connectionIndexById = new Map<string, number>();
  /** The last connection appended to: rows come in runs per connection. */
  private lastConnectionId = '';
  private lastConnectionIndex = -1;

  /** Id of the oldest row still held. */
  private first = 0;
  /** Id the next appended row gets. */
  private next = 0;
  private bytes = 0;
  private evictedRows = 0;
  private readonly listeners = new Set<Listener>();
  private readonly amendListeners = new Set<Listener>();
  /** True from a notification until the next microtask checkpoint (see onAppend). */
  private notified = false;
  private readonly rearm = (): void => {
    this.notified = false;
  };

  constructor(private budgetBytes: number = DEFAULT_CAPTURE_BUDGET_BYTES) {
    if (!(budgetBytes > 0)) throw new RangeError('capture budget must be positive');
  }

  get firstId(): number {
    return this.first;
  }

  /** One past the newest row's id. */
  get nextId(): number {
    return this.next;
  }

  stats(): CaptureStats {
    return {
      frames: this.next - this.first,
      evicted: this.evictedRows,
      bytes: this.bytes,
      budgetBytes: this.budgetBytes,
      firstId: this.first,
      nextId: this.next,
    };
  }

  setBudget(budgetBytes: number): void {
    if (!(budgetBytes > 0)) throw new RangeError('capture budget must be positive');
    this.budgetBytes = budgetBytes;
    this.evictToBudget();
  }

  /**
   * Called when rows were appended: synchronously on the first append after a
   * quiet point, then not again until the current task's microtasks have run.
   * `lastId` is the newest id at the time of the call; read `nextId` for the
   * rows appended since. Observers (batchers) only need to know "there is
   * something new" to arm their timer, and one socket read can append hundreds
   * of rows: a call per row cost more than the rest of appending them.
   */
  onAppend(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(row: CaptureRowInput): number {
    const id = this.appendFrame(row.connectionId, row.time, row.bits, row.length, row.offset, row.payload, row.maskKey ?? 0, row.extras);
    if (row.header) {
      this.headers.set(id, row.header);
      this.bytes += row.header.length;
      if (this.bytes > this.budgetBytes) this.evictToBudget();
    }
    return id;
  }

  /**
   * append() for the capture hot path: the same row as arguments, without a
   * row object per frame (and without header bytes, which capture never keeps:
   * the detail pane re-encodes the header from the decoded fields).
   */
  appendFrame(
    connectionId: string,
    time: number,
    bits: number,
    length: number,
    offset: number,
    payload: Uint8Array | null,
    maskKey: number,
    extras: CapturedRowExtras | undefined,
  ): number {
    const held = this.next - this.first;
    if (held === this.capacity) this.grow();
    else if ((this.next & (GROW_STEP_EVERY - 1)) === 0 && this.capacity >= GROW_AHEAD_FROM && held >= this.capacity - (this.capacity >>> 2)) this.growStep();
    const id = this.next++;
    const slot = id & (this.capacity - 1);
    this.connIndex[slot] = connectionId === this.lastConnectionId ? this.lastConnectionIndex : this.indexOfConnection(connectionId);
    this.times[slot] = time;
    // Captured rows come in time order; imported ones (a HAR's old times) may not.
    if (time < this.lastTime) this.timesOrderedFrom = id;
    this.lastTime = time;
    this.bitsCol[slot] = bits;
    this.lengths[slot] = length;
    this.offsets[slot] = offset;
    this.maskKeys[slot] = maskKey;
    let bytes = ROW_OVERHEAD_BYTES;
    if (payload) {
      this.bufferIds[slot] = this.bufferNumber(payload.buffer, id);
      this.payloadOffsets[slot] = payload.byteOffset;
      this.payloadLengths[slot] = payload.length;
      bytes += payload.length;
    } else {
      this.bufferIds[slot] = NO_BUFFER;
    }
    if (extras) {
      this.extras.set(id, extras);
      bytes += extras.inflated?.length ?? 0;
    }
    this.bytes += bytes;
    if (this.bytes > this.budgetBytes) this.evictToBudget();
    if (!this.notified && this.listeners.size > 0) this.notify(id);
    return id;
  }

  /** The number of a payload's buffer; rows come in runs sharing one, so mostly the last one. */
  private bufferNumber(buffer: ArrayBufferLike, id: number): number {
    const last = this.buffers.length - 1;
    if (last >= this.bufferHead && this.buffers[last] === buffer) {
      this.bufferLastRow[last] = id;
      return this.bufferBase + last;
    }
    this.buffers.push(buffer);
    this.bufferLastRow.push(id);
    return this.bufferBase + last + 1;
  }

  private bufferAt(slot: number): ArrayBufferLike | null {
    const n = this.bufferIds[slot];
    return n === NO_BUFFER ? null : this.buffers[n - this.bufferBase];
  }

  /** Lets go of buffers no held row uses any more. */
  private releaseBuffers(): void {
    while (this.bufferHead < this.buffers.length && this.bufferLastRow[this.bufferHead] < this.first) this.buffers[this.bufferHead++] = null;
    // Compact now and then, not per eviction: shifting the arrays is linear in their length.
    if (this.bufferHead > 1024 && this.bufferHead * 2 > this.buffers.length) {
      this.buffers.splice(0, this.bufferHead);
      this.bufferLastRow.splice(0, this.bufferHead);
      this.bufferBase += this.bufferHead;
      this.bufferHead = 0;
    }
  }

  private notify(id: number): void {
    this.notified = true;
    queueMicrotask(this.rearm);
    for (const listener of this.listeners) listener(id);
  }

  /** Keep the inflated content of a compressed message with the row of its last frame. */
  attachInflated(id: number, inflated: Uint8Array): void {
    if (!this.has(id)) return;
    const extras = this.extras.get(id);
    this.extras.set(id, { ...extras, inflated });
    this.bytes += inflated.length;
    for (const listener of this.amendListeners) listener(id);
    if (this.bytes > this.budgetBytes) this.evictToBudget();
  }

  /**
   * Called with the id of a row changed after it was appended (the only change
   * there is: inflated content attached when its message's inflation ends), so
   * a copy of the rows (the parallel scan's mirror) can follow.
   */
  onAmend(listener: Listener): () => void {
    this.amendListeners.add(listener);
    return () => this.amendListeners.delete(listener);
  }

  /** The extras of a held row (close code, violation, inflated content), if it has any. */
  extrasOf(id: number): CapturedRowExtras | undefined {
    return this.has(id) ? this.extras.get(id) : undefined;
  }

  /**
   * For a copy of another store's rows (the parallel scan's mirror): an empty
   * store starts numbering at `id`, so its ids are the original's.
   */
  startAt(id: number): void {
    if (this.next !== this.first) throw new Error('startAt: the store is not empty');
    if (!Number.isInteger(id) || id < this.next) throw new RangeError('startAt: ids only move forward');
    this.first = this.next = id;
  }

  /** Evicts every row before `id` (counted as evicted, like rows the budget pushes out). */
  evictBefore(id: number): void {
    const until = Math.min(id, this.next);
    if (until <= this.first) return;
    while (this.first < until) this.evictOldest();
    this.releaseBuffers();
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= this.first && id < this.next;
  }

  get(id: number): CapturedRow | undefined {
    if (!this.has(id)) return undefined;
    const slot = id & (this.capacity - 1);
    return {
      id,
      connectionId: this.connectionIds[this.connIndex[slot]],
      time: this.times[slot],
      bits: this.bitsCol[slot],
      length: this.lengths[slot],
      offset: this.offsets[slot],
      header: this.headers.get(id) ?? null,
      payload: this.payloadAt(slot),
      maskKey: this.bitsCol[slot] & MASKED_BIT ? this.maskKeys[slot] : undefined,
      extras: this.extras.get(id),
    };
  }

  /**
   * The columns themselves, for bulk scans (filters, exports) that would
   * otherwise build a row object per frame. Read-only, and valid only until
   * the next append, eviction or clear (growing replaces the arrays).
   */
  scanColumns(): ScanColumns {
    return {
      firstId: this.first,
      nextId: this.next,
      mask: this.capacity - 1,
      connIndex: this.connIndex,
      times: this.times,
      bits: this.bitsCol,
      lengths: this.lengths,
      offsets: this.offsets,
      maskKeys: this.maskKeys,
      bufferIds: this.bufferIds,
      buffers: this.buffers,
      bufferBase: this.bufferBase,
      timesOrderedFrom: this.timesOrderedFrom,
      payloadOffsets: this.payloadOffsets,
      payloadLengths: this.payloadLengths,
      extras: this.extras,
      connectionIds: this.connectionIds,
    };
  }

  /**
   * Rows [fromId, fromId + maxRows) packed in columns for the renderer.
   * fromId below the oldest held row starts at the oldest one.
   */
  pack(fromId: number, maxRows: number): PackedFrames | null {
    const start = Math.max(fromId, this.first);
    const count = Math.min(this.next - start, maxRows);
    if (count <= 0) return null;
    const mask = this.capacity - 1;
    const cols = packScratch(count);
    const { connection, time, bits, length } = cols;
    const previews = new PreviewWriter(count, cols.previewBytes);
    // Connection ids are renumbered per batch so the batch is self-contained.
    const localIndex = new Map<number, number>();
    const connectionIds: string[] = [];
    // Consecutive rows mostly share a connection: remember the last mapping.
    let lastGlobal = -1;
    let lastLocal = 0;
    // ... and a payload buffer: one byte view per buffer, not one per row.
    let lastBuffer = NO_BUFFER;
    let bufferBytes: Uint8Array<ArrayBufferLike> | null = null;
    for (let i = 0; i < count; i++) {
      const id = start + i;
      const slot = id & mask;
      const global = this.connIndex[slot];
      if (global !== lastGlobal) {
        let local = localIndex.get(global);
        if (local === undefined) {
          local = connectionIds.length;
          localIndex.set(global, local);
          connectionIds.push(this.connectionIds[global]);
        }
        lastGlobal = global;
        lastLocal = local;
      }
      connection[i] = lastLocal;
      time[i] = this.times[slot];
      const rowBits = this.bitsCol[slot];
      bits[i] = rowBits;
      const rowLength = this.lengths[slot];
      length[i] = rowLength;
      // The usual row: a frame whose preview is the start of its own payload, sent raw (see shared/preview.ts).
      const buffer = this.bufferIds[slot];
      const payloadLength = this.payloadLengths[slot];
      if (
        buffer !== NO_BUFFER &&
        payloadLength === rowLength &&
        (rowBits & VIOLATION_BIT) === 0 &&
        (rowBits & OPCODE_BITS) !== 0x8 &&
        (this.extras.size === 0 || !this.extras.has(id))
      ) {
        if (buffer !== lastBuffer) {
          const b = this.buffers[buffer - this.bufferBase]!;
          bufferBytes = new Uint8Array(b, 0, b.byteLength);
          lastBuffer = buffer;
        }
        const binary = (rowBits & OPCODE_BITS) === 0x2;
        previews.raw(binary ? PREVIEW_BINARY : PREVIEW_TEXT, bufferBytes!, this.payloadOffsets[slot], Math.min(payloadLength, binary ? PREVIEW_HEX_BYTES : PREVIEW_BYTES));
      } else {
        previews.ready(this.previewAt(id, slot));
      }
    }
    // Kept for the next batch, unless one odd batch of long previews grew it past 4 MiB.
    cols.previewBytes = previews.scratch.length > 1 << 22 ? new Uint8Array(1 << 16) : previews.scratch;
    return { firstId: start, count, connectionIds, ...packedColumns(cols, count, previews) };
  }

  clear(): number {
    const cleared = this.next - this.first;
    this.headers.clear();
    this.bufferBase += this.buffers.length;
    this.buffers = [];
    this.bufferLastRow = [];
    this.bufferHead = 0;
    this.extras.clear();
    this.first = this.next;
    this.bytes = 0;
    return cleared;
  }

  private previewAt(id: number, slot: number): string {
    const bits = this.bitsCol[slot];
    const extras = this.extras.size === 0 ? undefined : this.extras.get(id);
    if (bits & VIOLATION_BIT) return extras?.violation?.message ?? 'protocol violation';
    const opcode = bits & OPCODE_BITS;
    if (opcode === 0x8 && extras?.closeCode !== undefined) {
      return `${extras.closeCode}${extras.closeReason ? ` ${extras.closeReason}` : ''}`;
    }
    const inflated = extras?.inflated;
    if (inflated) return inflated.length === 0 ? '' : previewText(inflated, opcode === 0x2);
    const buffer = this.bufferAt(slot);
    const length = this.payloadLengths[slot];
    if (buffer === null || length === 0) return '';
    // A view of the bytes a preview can show (a longer binary or text payload only adds the '…').
    const view = new Uint8Array(buffer, this.payloadOffsets[slot], Math.min(length, PREVIEW_BYTES + 1));
    return previewText(view, opcode === 0x2, length);
  }

  private payloadAt(slot: number): Uint8Array | null {
    const buffer = this.bufferAt(slot);
    return buffer === null ? null : new Uint8Array(buffer, this.payloadOffsets[slot], this.payloadLengths[slot]);
  }

  private indexOfConnection(connectionId: string): number {
    let index = this.connectionIndexById.get(connectionId);
    if (index === undefined) {
      index = this.connectionIds.length;
      this.connectionIds.push(connectionId);
      this.connectionIndexById.set(connectionId, index);
    }
    this.lastConnectionId = connectionId;
    this.lastConnectionIndex = index;
    return index;
  }

  private rowBytes(slot: number, id: number): number {
    return (
      ROW_OVERHEAD_BYTES +
      (this.headers.size === 0 ? 0 : (this.headers.get(id)?.length ?? 0)) +
      (this.bufferIds[slot] === NO_BUFFER ? 0 : this.payloadLengths[slot]) +
      (this.extras.size === 0 ? 0 : (this.extras.get(id)?.inflated?.length ?? 0))
    );
  }

  private evictToBudget(): void {
    while (this.bytes > this.budgetBytes && this.first < this.next) this.evictOldest();
    this.releaseBuffers();
  }

  /** Drops the oldest row (the caller lets go of buffers afterwards: releaseBuffers). */
  private evictOldest(): void {
    const slot = this.first & (this.capacity - 1);
    this.bytes -= this.rowBytes(slot, this.first);
    if (this.headers.size > 0) this.headers.delete(this.first);
    this.extras.delete(this.first);
    this.first++;
    this.evictedRows++;
  }

  /**
   * Growing a big ring at once (allocating and copying every column) stalled
   * the append that found it full: 60 ms at a million rows, more beyond, and
   * with it the socket reads and the bridge. So from three quarters full on,
   * every GROW_STEP_EVERY appends do one step towards the ring twice the size:
   * allocate one column, or copy GROW_ROWS_PER_STEP held rows into it. Rows
   * never change after append, so what was copied stays valid; when the ring
   * is full, grow() copies only the rows appended since the last step.
   */
  private growStep(): void {
    const g = (this.growing ??= { capacity: this.capacity * 2, columns: [], copiedTo: this.first });
    if (g.columns.length < COLUMNS.length) {
      g.columns.push(this.newColumn(COLUMNS[g.columns.length], g.capacity));
      return;
    }
    const from = Math.max(g.copiedTo, this.first);
    const to = Math.min(this.next, from + GROW_ROWS_PER_STEP);
    COLUMNS.forEach((name, k) => copyRing(this[name], this.capacity, g.columns[k], g.capacity, from, to));
    g.copiedTo = to;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const g = this.growing ?? { capacity, columns: [], copiedTo: this.first };
    this.growing = null;
    while (g.columns.length < COLUMNS.length) g.columns.push(this.newColumn(COLUMNS[g.columns.length], capacity));
    const from = Math.max(g.copiedTo, this.first);
    COLUMNS.forEach((name, k) => {
      copyRing(this[name], this.capacity, g.columns[k], capacity, from, this.next);
      (this as unknown as Record<ColumnName, Column>)[name] = g.columns[k];
    });
    this.capacity = capacity;
  }

  private newColumn(name: ColumnName, capacity: number): Column {
    return this[name] instanceof Float64Array ? new Float64Array(capacity) : new Uint32Array(capacity);
  }
}

/**
 * Copies rows [fromId, toId) from one ring to another of a different
 * capacity (slot = id mod capacity), in runs contiguous in both.
 */
function copyRing(source: Column, sourceCapacity: number, target: Column, targetCapacity: number, fromId: number, toId: number): void {
  for (let id = fromId; id < toId; ) {
    const from = id & (sourceCapacity - 1);
    const to = id & (targetCapacity - 1);
    const n = Math.min(toId - id, sourceCapacity - from, targetCapacity - to);
    target.set(source.subarray(from, from + n), to);
    id += n;
  }
}

/** Where pack() builds a batch before it knows the batch's size; kept, so each batch does not grow new ones. */
interface PackScratch {
  connection: Uint32Array;
  time: Float64Array;
  bits: Uint32Array;
  length: Float64Array;
  previewBytes: Uint8Array<ArrayBuffer>;
}
let scratch: PackScratch | null = null;

function packScratch(rows: number): PackScratch {
  if (scratch === null || scratch.bits.length < rows) {
    const n = Math.max(rows, 1024);
    scratch = {
      connection: new Uint32Array(n),
      time: new Float64Array(n),
      bits: new Uint32Array(n),
      length: new Float64Array(n),
      previewBytes: scratch?.previewBytes ?? new Uint8Array(1 << 16),
    };
  }
  return scratch;
}

/**
 * A batch's columns and preview bytes as views of one ArrayBuffer: one
 * allocation per batch, and Node's v8.serialize (which bench:capture uses for
 * Electron's structured clone) copies one buffer of 5 000 rows about five
 * times faster than six typed arrays with a buffer each (36–52 µs against
 * 287 µs). Electron's contextBridge clones each typed array with its whole
 * buffer, so the preload gives each column its own (shared/packed-columns.ts)
 * before the page sees it.
 */
function packedColumns(from: PackScratch, count: number, previews: PreviewWriter): PackedColumns {
  const previewLength = previews.length;
  const cols = columnViews(new ArrayBuffer(count * NUMERIC_BYTES_PER_ROW + previewLength), 0, count, previewLength);
  cols.time.set(from.time.subarray(0, count));
  cols.length.set(from.length.subarray(0, count));
  cols.connection.set(from.connection.subarray(0, count));
  cols.bits.set(from.bits.subarray(0, count));
  cols.previewEnds.set(previews.ends);
  cols.previews.set(previews.scratch.subarray(0, previewLength));
  return cols;
}
