import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { FIN_BIT } from '../../src/shared/frame-bits';
import { isPackedFrames, withOwnBuffers } from '../../src/shared/packed-columns';
import { previewsOf } from '../../src/shared/preview';

describe('packed columns for the page', () => {
  const store = new CaptureStore(1 << 20);
  for (let i = 0; i < 5; i++) store.appendFrame('c1', 1000 + i, FIN_BIT | 0x1, 6, i * 8, new TextEncoder().encode(`row ${i}!`), 0, undefined);
  const packed = store.pack(0, 10)!;

  it('recognises packed frames and nothing else', () => {
    expect(isPackedFrames(packed)).toBe(true);
    for (const other of [null, undefined, 3, 'x', {}, { bits: [1], time: [2] }]) expect(isPackedFrames(other)).toBe(false);
  });

  it('gives every column a buffer of exactly its own size, with the same values, so no clone carries the whole batch per column', () => {
    // pack() puts all columns on one buffer.
    expect(new Set([packed.time, packed.length, packed.connection, packed.bits, packed.previewEnds, packed.previews].map((c) => c.buffer)).size).toBe(1);
    const own = withOwnBuffers(packed);
    for (const name of ['time', 'length', 'connection', 'bits', 'previewEnds', 'previews'] as const) {
      expect(own[name].byteOffset).toBe(0);
      expect(own[name].buffer.byteLength).toBe(packed[name].byteLength);
      expect([...own[name]]).toEqual([...packed[name]]);
    }
    expect(previewsOf(own)).toEqual(previewsOf(packed));
    expect(own.connectionIds).toEqual(['c1']);
    // Already separate: left as they are.
    const again = withOwnBuffers(own);
    expect(again.time).toBe(own.time);
    expect(again.previews).toBe(own.previews);
  });
});
