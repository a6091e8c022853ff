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
 * Payloads are held as (ArrayBuffer, offset, length), not as the Uint8Array
 * the row came with: the views die young, and the buffers are shared by many
 * rows (the decoder's slabs, one socket read). Holding a view per row made
 * every captured frame an object the garbage collector had to copy out of the
 * young generation and track, which cost more than capturing it.
 */
import type { CaptureStats } from '../../../shared/contract';
import { MASKED_BIT, OPCODE_BITS, VIOLATION_BIT } from '../../../shared/frame-bits';
import type { PackedFrames } from '../../../shared/records';
import type { ScanColumns } from './frame-filter';

export const DEFAULT_CAPTURE_BUDGET_BYTES = 512 * 1024 * 1024;
/** What a row costs beyond its bytes: the column entries and the array slots. */
const ROW_OVERHEAD_BYTES = 64;
const INITIAL_CAPACITY = 1024;

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
  private headers: Array<Uint8Array | null> = new Array(INITIAL_CAPACITY).fill(null);
  private payloadBuffers: Array<ArrayBufferLike | null> = new Array(INITIAL_CAPACITY).fill(null);
  private payloadOffsets = new Float64Array(INITIAL_CAPACITY);
  private payloadLengths = new Float64Array(INITIAL_CAPACITY);
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
      this.headers[id & (this.capacity - 1)] = row.header;
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
    if (this.next - this.first === this.capacity) this.grow();
    const id = this.next++;
    const slot = id & (this.capacity - 1);
    this.connIndex[slot] = connectionId === this.lastConnectionId ? this.lastConnectionIndex : this.indexOfConnection(connectionId);
    this.times[slot] = time;
    this.bitsCol[slot] = bits;
    this.lengths[slot] = length;
    this.offsets[slot] = offset;
    this.maskKeys[slot] = maskKey;
    this.headers[slot] = null;
    let bytes = ROW_OVERHEAD_BYTES;
    if (payload) {
      this.payloadBuffers[slot] = payload.buffer;
      this.payloadOffsets[slot] = payload.byteOffset;
      this.payloadLengths[slot] = payload.length;
      bytes += payload.length;
    } else {
      this.payloadBuffers[slot] = null;
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
    if (this.bytes > this.budgetBytes) this.evictToBudget();
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
      header: this.headers[slot],
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
      payloadBuffers: this.payloadBuffers,
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
    const connection = new Uint32Array(count);
    const time = new Float64Array(count);
    const bits = new Uint32Array(count);
    const length = new Float64Array(count);
    const preview: string[] = new Array(count);
    // Connection ids are renumbered per batch so the batch is self-contained.
    const localIndex = new Map<number, number>();
    const connectionIds: string[] = [];
    // Consecutive rows mostly share a connection: remember the last mapping.
    let lastGlobal = -1;
    let lastLocal = 0;
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
      bits[i] = this.bitsCol[slot];
      length[i] = this.lengths[slot];
      preview[i] = this.previewAt(id, slot);
    }
    return { firstId: start, count, connection, connectionIds, time, bits, length, preview };
  }

  clear(): number {
    const cleared = this.next - this.first;
    for (let id = this.first; id < this.next; id++) this.releaseSlot(id & (this.capacity - 1));
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
    if (inflated) return inflated.length === 0 ? '' : previewBytes(inflated, opcode === 0x2);
    const buffer = this.payloadBuffers[slot];
    const length = this.payloadLengths[slot];
    if (buffer === null || length === 0) return '';
    // A view of the bytes a preview can show (a longer binary or text payload only adds the '…').
    const view = new Uint8Array(buffer, this.payloadOffsets[slot], Math.min(length, PREVIEW_BYTES + 1));
    return previewBytes(view, opcode === 0x2, length);
  }

  private payloadAt(slot: number): Uint8Array | null {
    const buffer = this.payloadBuffers[slot];
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
      (this.headers[slot]?.length ?? 0) +
      (this.payloadBuffers[slot] === null ? 0 : this.payloadLengths[slot]) +
      (this.extras.size === 0 ? 0 : (this.extras.get(id)?.inflated?.length ?? 0))
    );
  }

  private releaseSlot(slot: number): void {
    this.headers[slot] = null;
    this.payloadBuffers[slot] = null;
  }

  private evictToBudget(): void {
    const mask = this.capacity - 1;
    while (this.bytes > this.budgetBytes && this.first < this.next) {
      const slot = this.first & mask;
      this.bytes -= this.rowBytes(slot, this.first);
      this.releaseSlot(slot);
      this.extras.delete(this.first);
      this.first++;
      this.evictedRows++;
    }
  }

  private grow(): void {
    const oldCapacity = this.capacity;
    const capacity = oldCapacity * 2;
    const connIndex = new Uint32Array(capacity);
    const times = new Float64Array(capacity);
    const bitsCol = new Uint32Array(capacity);
    const lengths = new Float64Array(capacity);
    const offsets = new Float64Array(capacity);
    const maskKeys = new Uint32Array(capacity);
    const payloadOffsets = new Float64Array(capacity);
    const payloadLengths = new Float64Array(capacity);
    const headers: Array<Uint8Array | null> = new Array(capacity).fill(null);
    const payloadBuffers: Array<ArrayBufferLike | null> = new Array(capacity).fill(null);
    // The ring is full, so ids [first, next) fill every old slot; copy them in
    // runs that are contiguous in both rings (at most three).
    let id = this.first;
    while (id < this.next) {
      const from = id & (oldCapacity - 1);
      const to = id & (capacity - 1);
      const n = Math.min(this.next - id, oldCapacity - from, capacity - to);
      connIndex.set(this.connIndex.subarray(from, from + n), to);
      times.set(this.times.subarray(from, from + n), to);
      bitsCol.set(this.bitsCol.subarray(from, from + n), to);
      lengths.set(this.lengths.subarray(from, from + n), to);
      offsets.set(this.offsets.subarray(from, from + n), to);
      maskKeys.set(this.maskKeys.subarray(from, from + n), to);
      payloadOffsets.set(this.payloadOffsets.subarray(from, from + n), to);
      payloadLengths.set(this.payloadLengths.subarray(from, from + n), to);
      for (let k = 0; k < n; k++) {
        headers[to + k] = this.headers[from + k];
        payloadBuffers[to + k] = this.payloadBuffers[from + k];
      }
      id += n;
    }
    Object.assign(this, {
      capacity,
      connIndex,
      times,
      bitsCol,
      lengths,
      offsets,
      maskKeys,
      headers,
      payloadBuffers,
      payloadOffsets,
      payloadLengths,
    });
  }

}

const PREVIEW_BYTES = 96;
const PREVIEW_CHARS = 80;
const PREVIEW_HEX_BYTES = 24;
const textDecoder = new TextDecoder('utf-8', { fatal: false });
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/**
 * Previews are built as bytes here and turned into one flat string by a single
 * latin1 decode: a preview per row is the batcher's main cost, and a string
 * concatenated piece by piece is slower to build and to serialise (a rope
 * that structured clone or JSON must flatten first).
 */
const scratch = Buffer.allocUnsafe(Math.max(PREVIEW_CHARS, PREVIEW_HEX_BYTES * 3));

/**
 * A single-line preview: text with control characters made visible, or hex for
 * binary. `totalLength` is the length of the whole payload when `bytes` is only
 * its start.
 */
export function previewBytes(bytes: Uint8Array, binary: boolean, totalLength = bytes.length): string {
  if (binary) {
    const shown = Math.min(bytes.length, PREVIEW_HEX_BYTES);
    let p = 0;
    for (let i = 0; i < shown; i++) {
      if (i > 0) scratch[p++] = 0x20;
      const b = bytes[i];
      scratch[p++] = HEX_DIGITS[b >>> 4];
      scratch[p++] = HEX_DIGITS[b & 0x0f];
    }
    const hex = scratch.toString('latin1', 0, p);
    return totalLength > shown ? `${hex} …` : hex;
  }
  // Printable ASCII, the usual text, needs no UTF-8 decoding and has no
  // control characters to replace: one character per byte. Only the shown
  // characters need checking: UTF-8 is self-synchronising, so what follows
  // them cannot change them, and any byte after them makes the text longer.
  const shown = Math.min(bytes.length, PREVIEW_CHARS);
  let ascii = true;
  for (let i = 0; i < shown; i++) {
    const b = bytes[i];
    if (b < 0x20 || b > 0x7e) {
      ascii = false;
      break;
    }
    scratch[i] = b;
  }
  if (ascii) {
    const text = scratch.toString('latin1', 0, shown);
    return totalLength > PREVIEW_CHARS ? `${text}…` : text;
  }
  const text = textDecoder.decode(bytes.subarray(0, PREVIEW_BYTES)).replace(/[\u0000-\u001f\u007f]/g, ' ');
  return text.length > PREVIEW_CHARS || totalLength > PREVIEW_BYTES ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}
