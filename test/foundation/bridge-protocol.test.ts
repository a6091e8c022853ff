import { describe, expect, it } from 'vitest';
import { damagedReplyId, decodeReply, encodeReply, type BridgeReply } from '../../src/shared/bridge-protocol';
import type { EventBatch } from '../../src/shared/contract';
import type { PackedFrames } from '../../src/shared/records';
import { previewsOf, readyPreviews } from '../../src/shared/preview';

function packed(count: number, extra = 0): PackedFrames {
  // Columns longer than count, as views into bigger arrays can be: only count values travel.
  const time = new Float64Array(count + extra).map((_, i) => 1_764_777_000_000 + i * 0.125);
  return {
    firstId: 41,
    count,
    connection: new Uint32Array(count + extra).map((_, i) => i % 3),
    connectionIds: ['c1', 's1-c1', 'c"2'],
    time,
    bits: new Uint32Array(count + extra).map((_, i) => 0x81 + i),
    length: new Float64Array(count + extra).map((_, i) => i * 1000 + 2 ** 40),
    ...readyPreviews(Array.from({ length: count }, (_, i) => `{"seq":${i},"é":"\\u0001"}`)),
  };
}

function batch(frames: PackedFrames | null): EventBatch {
  return {
    seq: 7,
    frames,
    connections: [],
    servers: [],
    logs: [{ time: 1, level: 'info', source: 'x', message: 'ünïcode ✓' } as never],
    tail: [],
    tails: [],
    capture: { frames: 3, bytes: 10, evicted: 0, budgetBytes: 1 << 20 } as never,
    skipped: 2,
  };
}

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

describe('the browser bridge wire form', () => {
  it('sends an event batch with frames as one binary message whose columns come back as typed arrays, values intact', () => {
    const frames = packed(5, 3);
    const wire = encodeReply({ type: 'events', batch: batch(frames) });
    expect(wire).toBeInstanceOf(Uint8Array);
    const back = decodeReply(toArrayBuffer(wire as Uint8Array)) as Extract<BridgeReply, { type: 'events' }>;
    const f = back.batch.frames!;
    expect(f.time).toBeInstanceOf(Float64Array);
    expect(f.connection).toBeInstanceOf(Uint32Array);
    expect([...f.time]).toEqual([...frames.time.subarray(0, 5)]);
    expect([...f.length]).toEqual([...frames.length.subarray(0, 5)]);
    expect([...f.connection]).toEqual([...frames.connection.subarray(0, 5)]);
    expect([...f.bits]).toEqual([...frames.bits.subarray(0, 5)]);
    // Preview bytes and ends arrive as they went, and read back as the same texts.
    expect(f.previewEnds).toBeInstanceOf(Uint32Array);
    expect([...f.previewEnds]).toEqual([...frames.previewEnds]);
    expect([...f.previews]).toEqual([...frames.previews]);
    expect(previewsOf(f)).toEqual(Array.from({ length: 5 }, (_, i) => `{"seq":${i},"é":"\\u0001"}`));
    expect(f.connectionIds).toEqual(frames.connectionIds);
    expect({ ...back.batch, frames: null }).toEqual({ ...batch(null) });
  });

  it('sends a page of rows as binary too, keeping its ids; other replies as JSON text', () => {
    const page = { ...packed(3), ids: [5, 9, 200] };
    const wire = encodeReply({ type: 'result', id: 12, result: { ok: true, value: page } });
    expect(wire).toBeInstanceOf(Uint8Array);
    const back = decodeReply(toArrayBuffer(wire as Uint8Array));
    expect(back).toMatchObject({ type: 'result', id: 12, result: { ok: true, value: { ids: [5, 9, 200], count: 3, firstId: 41 } } });
    expect([...((back as { result: { value: PackedFrames } }).result.value.bits)]).toEqual([0x81, 0x82, 0x83]);

    const plain: BridgeReply = { type: 'result', id: 13, result: { ok: false, error: 'no frame #3' } };
    expect(typeof encodeReply(plain)).toBe('string');
    expect(decodeReply(encodeReply(plain) as string)).toEqual(plain);
    const empty: BridgeReply = { type: 'events', batch: batch(null) };
    expect(decodeReply(encodeReply(empty) as string)).toEqual(empty);
    const zeroRows = decodeReply(toArrayBuffer(encodeReply({ type: 'events', batch: batch(packed(0)) }) as Uint8Array));
    expect((zeroRows as { batch: EventBatch }).batch.frames!.count).toBe(0);
  });

  it('refuses bytes that are not its own, or cut short, with an error instead of garbage', () => {
    expect(() => decodeReply(new ArrayBuffer(8))).toThrow(/not a Framescope bridge message/);
    expect(() => decodeReply(new TextEncoder().encode('GARBAGE-GARBAGE-GARBAGE').buffer)).toThrow(/not a Framescope bridge message/);
    const wire = encodeReply({ type: 'events', batch: batch(packed(4)) }) as Uint8Array;
    expect(() => decodeReply(toArrayBuffer(wire.subarray(0, wire.length - 8)))).toThrow(/cut short/);
  });

  it("still finds which call a damaged reply answered, so that call can fail instead of waiting forever", () => {
    const rows = encodeReply({ type: 'result', id: 77, result: { ok: true, value: { ...packed(5), ids: [1, 2, 3, 4, 5] } } }) as Uint8Array;
    const cut = toArrayBuffer(rows.subarray(0, rows.length - 8));
    expect(() => decodeReply(cut)).toThrow(/cut short/);
    expect(damagedReplyId(cut)).toBe(77);
    // The JSON itself cut short, in either form.
    expect(damagedReplyId(toArrayBuffer(rows.subarray(0, 48)))).toBe(77);
    const text = encodeReply({ type: 'result', id: 78, result: { ok: true, value: { matched: 3 } } }) as string;
    expect(() => decodeReply(text.slice(0, -5))).toThrow();
    expect(damagedReplyId(text.slice(0, -5))).toBe(78);
    // Event batches and foreign bytes answer no call.
    const events = encodeReply({ type: 'events', batch: batch(packed(4)) }) as Uint8Array;
    expect(damagedReplyId(toArrayBuffer(events.subarray(0, events.length - 8)))).toBeNull();
    expect(damagedReplyId(new TextEncoder().encode('GARBAGE-GARBAGE-GARBAGE').buffer)).toBeNull();
    expect(damagedReplyId('{"id":5')).toBeNull();
  });
});
