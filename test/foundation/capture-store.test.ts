import { describe, expect, it } from 'vitest';
import { CaptureStore, previewBytes } from '../../src/main/core/capture/capture-store';
import { packFrameBits, unpackFrameBits } from '../../src/shared/frame-bits';

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
    for (let i = 0; i < 5000; i++) appendText(store, `m${i}`);
    expect(store.stats().frames).toBe(5000);
    expect(new TextDecoder().decode(store.get(4321)!.payload!)).toBe('m4321');
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
    expect(packed.preview).toEqual(['hello', 'world']);
    expect([...packed.length]).toEqual([5, 5]);
    expect(store.pack(2, 10)).toBeNull();
  });

  it('previews binary payloads as hex and cuts long text', () => {
    expect(previewBytes(new Uint8Array([0, 1, 0xff]), true)).toBe('00 01 ff');
    expect(previewBytes(new TextEncoder().encode('y'.repeat(500)), false)).toMatch(/^y{80}…$/);
    expect(previewBytes(new TextEncoder().encode('a\nb'), false)).toBe('a b');
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
