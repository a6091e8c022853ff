/**
 * The typed columns of PackedFrames: their layout in one buffer, recognising
 * a value that has them, and giving each column a buffer of its own.
 *
 * The main side packs a batch's columns as views of one ArrayBuffer (see
 * CaptureStore.pack), and the browser bridge sends them in the same order
 * (bridge-protocol.ts). That suits one clone of the whole batch, as Electron's
 * IPC makes, but Electron's contextBridge clones each typed array on its own,
 * with its whole backing buffer: six columns would carry the batch six times
 * into the page. The preload therefore copies each column into a buffer of
 * its own first (a few hundred kilobytes per batch, in the renderer process).
 */
import type { PackedFrames } from './records';

/** The numeric columns in layout order: 8-byte ones first, so each starts aligned to its element size. */
export const NUMERIC_COLUMNS = [
  ['time', Float64Array],
  ['length', Float64Array],
  ['connection', Uint32Array],
  ['bits', Uint32Array],
  ['previewEnds', Uint32Array],
] as const;
/** Bytes per row of the numeric columns. */
export const NUMERIC_BYTES_PER_ROW = NUMERIC_COLUMNS.reduce((sum, [, Type]) => sum + Type.BYTES_PER_ELEMENT, 0);
/** Every typed column: the numeric ones, then the preview bytes. */
export const TYPED_COLUMNS = [...NUMERIC_COLUMNS.map(([name]) => name), 'previews'] as const;

export type PackedColumns = Pick<PackedFrames, (typeof TYPED_COLUMNS)[number]>;

/**
 * Views of the columns of `count` rows laid out in `buffer` from byte `at`
 * (a multiple of 8): the numeric columns in NUMERIC_COLUMNS order, then
 * `previewLength` preview bytes.
 */
export function columnViews(buffer: ArrayBuffer, at: number, count: number, previewLength: number): PackedColumns {
  const views: Record<string, unknown> = {};
  for (const [name, Type] of NUMERIC_COLUMNS) {
    views[name] = new Type(buffer, at, count);
    at += count * Type.BYTES_PER_ELEMENT;
  }
  views.previews = new Uint8Array(buffer, at, previewLength);
  return views as unknown as PackedColumns;
}

/** True for packed frames (an event batch's, or a getRows page). */
export function isPackedFrames(value: unknown): value is PackedFrames {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PackedFrames>;
  return v.bits instanceof Uint32Array && v.time instanceof Float64Array;
}

/** The same frames, each column in a buffer of exactly its own size (columns that already are stay as they are). */
export function withOwnBuffers<T extends PackedFrames>(frames: T): T {
  const out = { ...frames };
  for (const name of TYPED_COLUMNS) {
    const column = frames[name];
    if (column.byteOffset !== 0 || column.byteLength !== column.buffer.byteLength) {
      (out as Record<string, unknown>)[name] = column.slice();
    }
  }
  return out;
}
