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
 * masked stream allocates nothing per row beyond its payload.
 */
import type { CaptureStats } from '../../../shared/contract';
import { MASKED_BIT, OPCODE_BITS, VIOLATION_BIT } from '../../../shared/frame-bits';
import type { PackedFrames } from '../../../shared/records';

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

/** A mask key's four wire bytes as one big-endian uint32. */
export function maskKeyToUint32(key: Uint8Array): number {
  return ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
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
  private payloads: Array<Uint8Array | null> = new Array(INITIAL_CAPACITY).fill(null);
  private extras = new Map<number, CapturedRowExtras>();

  private readonly connectionIds: string[] = [];
  private readonly connectionIndexById = new Map<string, number>();

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
    if (this.next - this.first === this.capacity) this.grow();
    const id = this.next++;
    const slot = id & (this.capacity - 1);
    this.connIndex[slot] = this.indexOfConnection(row.connectionId);
    this.times[slot] = row.time;
    this.bitsCol[slot] = row.bits;
    this.lengths[slot] = row.length;
    this.offsets[slot] = row.offset;
    this.maskKeys[slot] = row.maskKey ?? 0;
    this.headers[slot] = row.header;
    this.payloads[slot] = row.payload;
    if (row.extras) this.extras.set(id, row.extras);
    this.bytes += this.rowBytes(slot, id);
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
      payload: this.payloads[slot],
      maskKey: this.bitsCol[slot] & MASKED_BIT ? this.maskKeys[slot] : undefined,
      extras: this.extras.get(id),
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
    for (let i = 0; i < count; i++) {
      const id = start + i;
      const slot = id & mask;
      const global = this.connIndex[slot];
      let local = localIndex.get(global);
      if (local === undefined) {
        local = connectionIds.length;
        localIndex.set(global, local);
        connectionIds.push(this.connectionIds[global]);
      }
      connection[i] = local;
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
    const extras = this.extras.get(id);
    if (bits & VIOLATION_BIT) return extras?.violation?.message ?? 'protocol violation';
    const opcode = bits & OPCODE_BITS;
    if (opcode === 0x8 && extras?.closeCode !== undefined) {
      return `${extras.closeCode}${extras.closeReason ? ` ${extras.closeReason}` : ''}`;
    }
    const bytes = extras?.inflated ?? this.payloads[slot];
    if (!bytes || bytes.length === 0) return '';
    return previewBytes(bytes, opcode === 0x2);
  }

  private indexOfConnection(connectionId: string): number {
    let index = this.connectionIndexById.get(connectionId);
    if (index === undefined) {
      index = this.connectionIds.length;
      this.connectionIds.push(connectionId);
      this.connectionIndexById.set(connectionId, index);
    }
    return index;
  }

  private rowBytes(slot: number, id: number): number {
    return (
      ROW_OVERHEAD_BYTES +
      (this.headers[slot]?.length ?? 0) +
      (this.payloads[slot]?.length ?? 0) +
      (this.extras.get(id)?.inflated?.length ?? 0)
    );
  }

  private releaseSlot(slot: number): void {
    this.headers[slot] = null;
    this.payloads[slot] = null;
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
    const oldMask = this.capacity - 1;
    const capacity = this.capacity * 2;
    const mask = capacity - 1;
    const connIndex = new Uint32Array(capacity);
    const times = new Float64Array(capacity);
    const bitsCol = new Uint32Array(capacity);
    const lengths = new Float64Array(capacity);
    const offsets = new Float64Array(capacity);
    const maskKeys = new Uint32Array(capacity);
    const headers: Array<Uint8Array | null> = new Array(capacity).fill(null);
    const payloads: Array<Uint8Array | null> = new Array(capacity).fill(null);
    for (let id = this.first; id < this.next; id++) {
      const from = id & oldMask;
      const to = id & mask;
      connIndex[to] = this.connIndex[from];
      times[to] = this.times[from];
      bitsCol[to] = this.bitsCol[from];
      lengths[to] = this.lengths[from];
      offsets[to] = this.offsets[from];
      maskKeys[to] = this.maskKeys[from];
      headers[to] = this.headers[from];
      payloads[to] = this.payloads[from];
    }
    Object.assign(this, { capacity, connIndex, times, bitsCol, lengths, offsets, maskKeys, headers, payloads });
  }
}

const PREVIEW_BYTES = 96;
const PREVIEW_CHARS = 80;
const textDecoder = new TextDecoder('utf-8', { fatal: false });
/** '00'..'ff': a table lookup per byte instead of toString + padStart. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A single-line preview: text with control characters made visible, or hex for binary. */
export function previewBytes(bytes: Uint8Array, binary: boolean): string {
  if (binary) {
    const shown = Math.min(bytes.length, 24);
    let hex = shown > 0 ? HEX[bytes[0]] : '';
    for (let i = 1; i < shown; i++) hex += ' ' + HEX[bytes[i]];
    return bytes.length > shown ? `${hex} …` : hex;
  }
  const text = textDecoder.decode(bytes.subarray(0, PREVIEW_BYTES)).replace(/[\u0000-\u001f\u007f]/g, ' ');
  return text.length > PREVIEW_CHARS || bytes.length > PREVIEW_BYTES ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}
