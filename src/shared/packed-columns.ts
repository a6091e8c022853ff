/**
 * PackedFrames as plain values: recognising one, and giving each of its
 * columns a buffer of its own.
 *
 * The main side packs a batch's columns as views of one ArrayBuffer (see
 * CaptureStore.pack). That suits one clone of the whole batch, as Electron's
 * IPC makes, but Electron's contextBridge clones each typed array on its own,
 * with its whole backing buffer: six columns would carry the batch six times
 * into the page. The preload therefore copies each column into a buffer of
 * its own first (a few hundred kilobytes per batch, in the renderer process).
 */
import type { PackedFrames } from './records';

const COLUMNS = ['time', 'length', 'connection', 'bits', 'previewEnds', 'previews'] as const;

/** True for packed frames (an event batch's, or a getRows page). */
export function isPackedFrames(value: unknown): value is PackedFrames {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PackedFrames>;
  return v.bits instanceof Uint32Array && v.time instanceof Float64Array;
}

/** The same frames, each column in a buffer of exactly its own size (columns that already are stay as they are). */
export function withOwnBuffers<T extends PackedFrames>(frames: T): T {
  const out = { ...frames };
  for (const name of COLUMNS) {
    const column = frames[name];
    if (column.byteOffset !== 0 || column.byteLength !== column.buffer.byteLength) {
      (out as Record<string, unknown>)[name] = column.slice();
    }
  }
  return out;
}
