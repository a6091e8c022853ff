import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { packFrameBits, unpackFrameBits } from '../../src/shared/frame-bits';
import { previewsOf, previewText } from '../../src/shared/preview';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const textBits = (direction: 'in' | 'out') =>
  packFrameBits({ opcode: 1, fin: true, rsv1: false, rsv2: false, rsv3: false, masked: direction === 'out', direction, violation: false });

function appendText(store: CaptureStore, text: string, connectionId = 'c1', direction: 'in' | 'out' = 'out'): number {
  const payload = new TextEncoder().encode(text);
  return store.append({ connectionId, time: 1000, bits: textBits(direction), length: payload.length, offset: 0, header: null, payload });
}

describe('CaptureStore', () => {
  it('keeps contiguous ids and returns rows by id', () => {
    const store = new CaptureStore(1 << 20);
    expect(appendText(store, 'a')).toBe(0);
    expect(appendText(store, 'bb', 'c2', 'in')).toBe(1);
    const row = store.get(1)!;
    expect(row.connectionId).toBe('c2');
    expect(unpackFrameBits(row.bits)).toMatchObject({ opcode: 1, direction: 'in', fin: true });
    expect(new TextDecoder().decode(row.payload!)).toBe('bb');
    expect(store.get(2)).toBeUndefined();
  });

  it('grows past its initial capacity without losing rows', () => {
    const store = new CaptureStore(1 << 30);
    for (let i = 0; i < 270_000; i++) appendText(store, `m${i}`);
    expect(store.stats().frames).toBe(270_000);
    for (const id of [4321, 262_143, 262_144, 269_999]) expect(new TextDecoder().decode(store.get(id)!.payload!)).toBe(`m${id}`);
  });

  it('grows a big ring ahead of need, step by step, with rows intact across evictions in between', () => {
    // Rows share slabs as the decoder's do: many payloads per buffer.
    const store = new CaptureStore(1 << 30);
    const slab = new Uint8Array(1 << 16);
    const payloadOf = (i: number): Uint8Array => {
      const at = (i * 8) % (slab.length - 8);
      new DataView(slab.buffer).setUint32(at, i);
      return slab.subarray(at, at + 8);
    };
    const bits = textBits('in');
    const appendRow = (i: number): number => store.appendFrame(`c${i % 3}`, 1000 + i, bits, 8, i * 10, new Uint8Array(payloadOf(i)), i, undefined);
    // Past 2^18 and 2^19 rows: both grown ahead (from three quarters full on), with a clear-free run.
    const total = (1 << 19) + 5000;
    let lastId = -1;
    for (let i = 0; i < total; i++) lastId = appendRow(i);
    expect(lastId).toBe(total - 1);
    for (const id of [0, 1, 196_607, 196_608, 262_143, 262_144, 393_215, 393_216, 524_287, 524_288, total - 1]) {
      const row = store.get(id)!;
      expect(row.connectionId).toBe(`c${id % 3}`);
      expect(row.time).toBe(1000 + id);
      expect(row.offset).toBe(id * 10);
      expect(new DataView(row.payload!.buffer, row.payload!.byteOffset).getUint32(0)).toBe(id);
    }
    // Eviction while the next growth is being prepared: the held rows stay right.
    store.setBudget(100_000 * 72);
    for (let i = total; i < total + 100_000; i++) appendRow(i);
    const stats = store.stats();
    expect(stats.frames + stats.evicted).toBe(total + 100_000);
    for (const id of [stats.firstId!, stats.nextId! - 1, Math.floor((stats.firstId! + stats.nextId!) / 2)]) {
      const row = store.get(id)!;
      expect(row.time).toBe(1000 + id);
      expect(new DataView(row.payload!.buffer, row.payload!.byteOffset).getUint32(0)).toBe(id);
    }
    expect(store.get(stats.firstId! - 1)).toBeUndefined();
  });

  it('lets go of a payload buffer once every row using it is evicted', async () => {
    const store = new CaptureStore(64 * 3 + 3 * 1024);
    let firstBuffer: WeakRef<ArrayBufferLike> | null = null;
    // Fewer buffers than the store compacts its buffer queue at: the release itself must let go.
    for (let i = 0; i < 1000; i++) {
      const payload = new Uint8Array(1024);
      firstBuffer ??= new WeakRef(payload.buffer);
      store.appendFrame('c1', i, textBits('in'), 1024, 0, payload, 0, undefined);
    }
    expect(store.stats().frames).toBeLessThanOrEqual(3);
    expect(store.get(999)!.payload!.length).toBe(1024);
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    expect(firstBuffer!.deref()).toBeUndefined();
  });

  it('evicts the oldest rows to stay inside the byte budget, and counts them', () => {
    const store = new CaptureStore(64 * 10 + 100);
    for (let i = 0; i < 100; i++) appendText(store, 'x'.repeat(10));
    const stats = store.stats();
    expect(stats.bytes).toBeLessThanOrEqual(stats.budgetBytes);
    expect(stats.evicted).toBeGreaterThan(80);
    expect(stats.frames + stats.evicted).toBe(100);
    expect(store.get(0)).toBeUndefined();
    expect(store.get(99)).toBeDefined();
  });

  it('packs rows in columns with per-batch connection ids and previews', () => {
    const store = new CaptureStore(1 << 20);
    appendText(store, 'hello', 'c1');
    appendText(store, 'world', 'c9', 'in');
    const packed = store.pack(0, 10)!;
    expect(packed.count).toBe(2);
    expect(packed.firstId).toBe(0);
    expect(packed.connectionIds).toEqual(['c1', 'c9']);
    expect([...packed.connection]).toEqual([0, 1]);
    expect(previewsOf(packed)).toEqual(['hello', 'world']);
    expect([...packed.length]).toEqual([5, 5]);
    expect(store.pack(2, 10)).toBeNull();
  });

  it('previews binary payloads as hex and cuts long text', () => {
    expect(previewText(new Uint8Array([0, 1, 0xff]), true)).toBe('00 01 ff');
    expect(previewText(new TextEncoder().encode('y'.repeat(500)), false)).toMatch(/^y{80}…$/);
    expect(previewText(new TextEncoder().encode('a\nb'), false)).toBe('a b');
  });

  it('clears everything it holds', () => {
    const store = new CaptureStore(1 << 20);
    appendText(store, 'a');
    appendText(store, 'b');
    expect(store.clear()).toBe(2);
    expect(store.stats()).toMatchObject({ frames: 0, bytes: 0 });
    expect(appendText(store, 'c')).toBe(2);
  });
});
