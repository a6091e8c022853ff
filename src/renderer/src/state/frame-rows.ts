/**
 * The renderer's copy of captured rows: compact columns in blocks addressed by
 * row id, filled from the event stream and, on demand, from `getRows` (rows
 * the stream skipped, or that were dropped here to stay within a bound).
 * Payloads stay on the main side; each row keeps a short preview.
 *
 * Why blocks by id: the table must reach every row the main side holds (a
 * million or more) without this window holding them all. A block is 4 096 ids;
 * a row costs 27 bytes of columns plus its preview's bytes:
 *   connection u32, time f64, bits u16 (frame-bits.ts uses 13 bits), length f64,
 *   present u8, preview start u32.
 * Previews are kept as they arrive, in the compact form of shared/preview.ts
 * (a kind byte and the payload's first bytes, or ready UTF-8 text), and
 * formatted only when a row is drawn. They are not one string per row (a
 * string costs ~20 bytes of header and a pointer besides its characters), nor
 * strings at all: the previews of 256 consecutive rows sit in one byte array
 * with a table of start offsets. Bytes, because an array buffer's contents
 * live outside the JavaScript heap. As strings, every preview went through the
 * young generation, and each scavenge copied what had arrived since the last
 * one, once or twice: the inspector benchmark's live phase had 40–57 ms
 * scavenges that copied 16–18 MB each, and its heap held 160 MB for a million
 * rows. As bytes the heap holds about 2 MB for them.
 */
import { previewStartOf, readPreview, type PreviewColumns } from '../../../shared/preview';
import type { PackedFrames } from '../../../shared/records';

export const BLOCK_SIZE = 4096;
const CHUNK_SHIFT = 8;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const CHUNKS_PER_BLOCK = BLOCK_SIZE / CHUNK_SIZE;
const NO_BYTES = new Uint8Array(0);
/** Where a chunk's bytes are put together (grown when a chunk needs more). */
let chunkScratch = new Uint8Array(CHUNK_SIZE * 128);
/** Rows kept here at most; beyond it the least recently drawn blocks go (they can be fetched again). */
const DEFAULT_RESIDENT_BLOCKS = 640;

/** Row columns as they arrive (PackedFrames, or a getRows page with its ids). */
export interface RowsInput extends PreviewColumns {
  firstId: number;
  count: number;
  connection: ArrayLike<number>;
  connectionIds: string[];
  time: ArrayLike<number>;
  bits: ArrayLike<number>;
  length: ArrayLike<number>;
  /** When present, row i has id ids[i] instead of firstId + i. */
  ids?: ArrayLike<number>;
}

class Block {
  readonly present = new Uint8Array(BLOCK_SIZE);
  readonly connection = new Uint32Array(BLOCK_SIZE);
  readonly time = new Float64Array(BLOCK_SIZE);
  readonly bits = new Uint16Array(BLOCK_SIZE);
  readonly length = new Float64Array(BLOCK_SIZE);
  /** Byte offset of each row's preview in its chunk's bytes. */
  readonly previewStart = new Uint32Array(BLOCK_SIZE);
  /** Previews per 256-row chunk, in their wire form (shared/preview.ts), one after the other. */
  readonly chunkBytes: Uint8Array[] = new Array<Uint8Array>(CHUNKS_PER_BLOCK).fill(NO_BYTES);
  count = 0;
  used = 0;
  constructor(readonly index: number) {}

  /** Where row `offset`'s preview ends in its chunk's bytes (`bytes`). */
  private previewEnd(offset: number, bytes: Uint8Array): number {
    // Every row of a built chunk has a start (absent rows an empty span), so a row ends where the next starts.
    const next = offset + 1;
    return next & (CHUNK_SIZE - 1) ? this.previewStart[next] : bytes.length;
  }

  preview(offset: number): string {
    if (this.present[offset] === 0) return '';
    const bytes = this.chunkBytes[offset >>> CHUNK_SHIFT];
    return readPreview(bytes, this.previewStart[offset], this.previewEnd(offset, bytes), this.length[offset]);
  }

  /** Preview bytes held in this block. */
  previewBytes = 0;

  /**
   * Rebuilds one chunk's bytes with the previews of `count` rows from
   * `offset` on replaced (rows `from …` of `page`); the chunk's other rows keep theirs.
   */
  setPreviews(offset: number, page: PreviewColumns, from: number, count: number): void {
    const chunk = offset >>> CHUNK_SHIFT;
    const first = chunk << CHUNK_SHIFT;
    const old = this.chunkBytes[chunk];
    const ends = page.previewEnds;
    // Bytes the chunk can need: its old bytes plus the new rows'.
    const need = old.length + ends[from + count - 1] - previewStartOf(ends, from);
    if (need > chunkScratch.length) chunkScratch = new Uint8Array(Math.max(need, chunkScratch.length * 2));
    let at = 0;
    for (let k = first; k < first + CHUNK_SIZE; k++) {
      // Row k's old span is read before its start is overwritten (row k + 1's is still the old one).
      const start = this.previewStart[k];
      const end = this.present[k] ? this.previewEnd(k, old) : start;
      this.previewStart[k] = at;
      if (k >= offset && k < offset + count) {
        const row = from + k - offset;
        const newStart = previewStartOf(ends, row);
        const n = ends[row] - newStart;
        if (n > 0) chunkScratch.set(page.previews.subarray(newStart, newStart + n), at);
        at += n;
      } else if (end > start) {
        chunkScratch.set(old.subarray(start, end), at);
        at += end - start;
      }
    }
    this.previewBytes += at - old.length;
    this.chunkBytes[chunk] = at === 0 ? NO_BYTES : chunkScratch.slice(0, at);
    for (let k = offset; k < offset + count; k++) this.present[k] = 1;
  }
}

export class FrameRows {
  private readonly blocks = new Map<number, Block>();
  private lastBlock: Block | null = null;
  private useTick = 0;
  readonly connectionIds: string[] = [];
  private readonly connectionIndex = new Map<string, number>();
  /** One past the newest id the event stream delivered. */
  liveNext = -1;
  /**
   * Rows the event stream did not deliver to this window (it opened late, or
   * fell behind): still held on the main side and fetched when scrolled to.
   */
  skipped = 0;
  /**
   * The skipped ids as [from, to) runs, oldest first, so that eviction can
   * take back exactly the ones it removed from the main side. One run per gap
   * in the stream: a handful, not one entry per row.
   */
  private gaps: Array<[number, number]> = [];
  /** Rows held here, across blocks. */
  resident = 0;

  /**
   * Bytes of the previews held: the payload starts and texts this window keeps
   * (the rest of a row is its columns). They live in array buffers, off the JavaScript heap.
   */
  get previewBytes(): number {
    let n = 0;
    for (const block of this.blocks.values()) n += block.previewBytes;
    return n;
  }

  constructor(private readonly maxBlocks = DEFAULT_RESIDENT_BLOCKS) {}

  /**
   * Rows from the event stream. A gap before them (ids the stream jumped
   * over) is counted as skipped, except ids below `heldFrom`, which the main
   * side itself no longer holds (evicted, or cleared).
   */
  append(batch: RowsInput | PackedFrames, heldFrom = 0): void {
    if ((batch as RowsInput).ids === undefined) {
      // The first batch of a window that opened late starts above the oldest row held.
      const expected = this.liveNext >= 0 ? this.liveNext : heldFrom;
      const from = Math.max(expected, heldFrom);
      if (batch.firstId > from) {
        this.gaps.push([from, batch.firstId]);
        this.skipped += batch.firstId - from;
      }
      this.liveNext = Math.max(this.liveNext, batch.firstId + batch.count);
    }
    this.store(batch);
  }

  /** Rows fetched on demand (no gap accounting). */
  store(page: RowsInput | PackedFrames): void {
    const local: number[] = page.connectionIds.map((id) => this.indexOfConnection(id));
    const ids = (page as RowsInput).ids;
    let i = 0;
    while (i < page.count) {
      // A run of rows with consecutive ids inside one 256-row chunk: columns row by row, previews at once.
      const id0 = ids ? ids[i] : page.firstId + i;
      const block = this.blockFor(id0, true)!;
      const offset0 = id0 - block.index * BLOCK_SIZE;
      const chunkEnd = ((offset0 >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
      let n = 0;
      while (i + n < page.count && offset0 + n < chunkEnd && (ids ? ids[i + n] === id0 + n : true)) {
        const offset = offset0 + n;
        const row = i + n;
        if (block.present[offset] === 0) {
          block.count++;
          this.resident++;
        }
        block.connection[offset] = local[page.connection[row]];
        block.time[offset] = page.time[row];
        block.bits[offset] = page.bits[row];
        block.length[offset] = page.length[row];
        n++;
      }
      block.setPreviews(offset0, page, i, n);
      i += n;
    }
    this.trim();
  }

  /** Forget rows below an id (the main side evicted or cleared them), and stop offering to load them. */
  dropBefore(id: number): void {
    while (this.gaps.length > 0 && this.gaps[0][0] < id) {
      const gap = this.gaps[0];
      const gone = Math.min(gap[1], id) - gap[0];
      this.skipped -= gone;
      if (gap[1] <= id) this.gaps.shift();
      else gap[0] = id;
    }
    for (const [index, block] of this.blocks) {
      if ((index + 1) * BLOCK_SIZE <= id) {
        this.resident -= block.count;
        this.blocks.delete(index);
        if (this.lastBlock === block) this.lastBlock = null;
      }
    }
  }

  clear(): void {
    this.blocks.clear();
    this.lastBlock = null;
    this.resident = 0;
    // The skipped rows were cleared on the main side too: there is nothing left to load.
    this.gaps = [];
    this.skipped = 0;
  }

  has(id: number): boolean {
    const block = this.blockFor(id, false);
    return block !== null && block.present[id - block.index * BLOCK_SIZE] === 1;
  }

  /** Marks a row's block as drawn now (the most recently drawn blocks are kept). */
  touch(id: number): void {
    const block = this.blockFor(id, false);
    if (block) block.used = ++this.useTick;
  }

  time(id: number): number {
    const b = this.blockFor(id, false);
    return b ? b.time[id - b.index * BLOCK_SIZE] : NaN;
  }

  bits(id: number): number {
    const b = this.blockFor(id, false);
    return b ? b.bits[id - b.index * BLOCK_SIZE] : 0;
  }

  length(id: number): number {
    const b = this.blockFor(id, false);
    return b ? b.length[id - b.index * BLOCK_SIZE] : 0;
  }

  preview(id: number): string {
    const b = this.blockFor(id, false);
    return b ? b.preview(id - b.index * BLOCK_SIZE) : '';
  }

  connectionOf(id: number): string {
    const b = this.blockFor(id, false);
    return b ? this.connectionIds[b.connection[id - b.index * BLOCK_SIZE]] : '';
  }

  /** The renderer-local index of a connection id (stable for the window's life). */
  indexOfConnection(id: string): number {
    let index = this.connectionIndex.get(id);
    if (index === undefined) {
      index = this.connectionIds.length;
      this.connectionIds.push(id);
      this.connectionIndex.set(id, index);
    }
    return index;
  }

  private blockFor(id: number, create: boolean): Block | null {
    const index = Math.floor(id / BLOCK_SIZE);
    const last = this.lastBlock;
    if (last !== null && last.index === index) return last;
    let block = this.blocks.get(index) ?? null;
    if (block === null && create) {
      block = new Block(index);
      block.used = ++this.useTick;
      this.blocks.set(index, block);
    }
    if (block !== null) this.lastBlock = block;
    return block;
  }

  /** Keep at most maxBlocks: the least recently drawn go, never the newest (the live tail). */
  private trim(): void {
    if (this.blocks.size <= this.maxBlocks) return;
    const newest = Math.max(...this.blocks.keys());
    const byUse = [...this.blocks.values()].filter((b) => b.index !== newest).sort((a, b) => a.used - b.used);
    for (const block of byUse.slice(0, this.blocks.size - this.maxBlocks)) {
      this.resident -= block.count;
      this.blocks.delete(block.index);
      if (this.lastBlock === block) this.lastBlock = null;
    }
  }
}
