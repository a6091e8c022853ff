/**
 * The renderer's copy of captured rows: compact columns (no object per row),
 * appended from packed batches. Payloads stay on the main side; only a short
 * preview string per row is kept for the table.
 */
import type { PackedFrames } from '../../../shared/records';

const INITIAL_CAPACITY = 4096;

export class FrameRows {
  private capacity = INITIAL_CAPACITY;
  ids = new Float64Array(INITIAL_CAPACITY);
  connection = new Uint32Array(INITIAL_CAPACITY);
  time = new Float64Array(INITIAL_CAPACITY);
  bits = new Uint32Array(INITIAL_CAPACITY);
  length = new Float64Array(INITIAL_CAPACITY);
  preview: string[] = [];
  count = 0;
  readonly connectionIds: string[] = [];
  private readonly connectionIndex = new Map<string, number>();
  /** Row indices per connection, for the per-connection view. */
  private readonly byConnection = new Map<number, number[]>();

  append(batch: PackedFrames): void {
    this.ensure(this.count + batch.count);
    const local = batch.connectionIds.map((id) => this.indexOfConnection(id));
    for (let i = 0; i < batch.count; i++) {
      const row = this.count++;
      const conn = local[batch.connection[i]];
      this.ids[row] = batch.firstId + i;
      this.connection[row] = conn;
      this.time[row] = batch.time[i];
      this.bits[row] = batch.bits[i];
      this.length[row] = batch.length[i];
      this.preview[row] = batch.preview[i];
      this.byConnection.get(conn)!.push(row);
    }
  }

  clear(): void {
    this.count = 0;
    this.preview = [];
    for (const rows of this.byConnection.values()) rows.length = 0;
  }

  connectionOf(row: number): string {
    return this.connectionIds[this.connection[row]];
  }

  /** Row indices of one connection, or null when it has none yet. */
  rowsOf(connectionId: string): readonly number[] {
    const index = this.connectionIndex.get(connectionId);
    return index === undefined ? [] : this.byConnection.get(index)!;
  }

  private indexOfConnection(id: string): number {
    let index = this.connectionIndex.get(id);
    if (index === undefined) {
      index = this.connectionIds.length;
      this.connectionIds.push(id);
      this.connectionIndex.set(id, index);
      this.byConnection.set(index, []);
    }
    return index;
  }

  private ensure(needed: number): void {
    if (needed <= this.capacity) return;
    let capacity = this.capacity;
    while (capacity < needed) capacity *= 2;
    const grow = <T extends Float64Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.count));
      return next;
    };
    this.ids = grow(this.ids, (n) => new Float64Array(n));
    this.connection = grow(this.connection, (n) => new Uint32Array(n));
    this.time = grow(this.time, (n) => new Float64Array(n));
    this.bits = grow(this.bits, (n) => new Uint32Array(n));
    this.length = grow(this.length, (n) => new Float64Array(n));
    this.capacity = capacity;
  }
}
