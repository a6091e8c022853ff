import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BufferTextCache, payloadBufferOf } from '../../src/main/core/capture/frame-filter';
import { SearchTextWarmer } from '../../src/main/core/capture/search-text-warmer';
import { manualTimers } from './manual-timers';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { append, newStore, Slabs } from './rows';

/** The distinct payload buffers of a store's rows, in row order. */
function buffersOf(store: CaptureStore): ArrayBufferLike[] {
  const cols = store.scanColumns();
  const seen: ArrayBufferLike[] = [];
  for (let id = cols.firstId; id < cols.nextId; id++) {
    const b = payloadBufferOf(cols, id & cols.mask);
    if (b !== null && !seen.includes(b)) seen.push(b);
  }
  return seen;
}

describe("the filter's search text, made while capture is idle", () => {
  it('makes the text of every buffer holding text frames once the store has been quiet', () => {
    const store = newStore();
    const slabs = new Slabs(1024);
    for (let i = 0; i < 200; i++) append(store, { payload: `{"seq":${i},"side":"buy"}` }, slabs);
    const cache = new BufferTextCache(1 << 20);
    const timers = manualTimers();
    const warmer = new SearchTextWarmer(store, { cache, timers, idleMs: 100 });
    const buffers = buffersOf(store);
    expect(buffers.length).toBeGreaterThan(3);
    // The first look only notes where the store is; nothing is made before it has been quiet.
    timers.advance(100);
    expect(buffers.some((b) => cache.has(b, 0))).toBe(false);
    timers.advance(100);
    expect(buffers.every((b) => cache.has(b, 0))).toBe(true);
    expect(warmer.warmedBuffers).toBe(buffers.length);
    warmer.stop();
    expect(timers.pending()).toBe(0);
  });

  it('waits while frames keep arriving, and then walks only the rows it has not seen', () => {
    const store = newStore();
    const slabs = new Slabs(1024);
    const cache = new BufferTextCache(1 << 20);
    const timers = manualTimers();
    const warmer = new SearchTextWarmer(store, { cache, timers, idleMs: 100 });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) append(store, { payload: `{"round":${round},"i":${i}}` }, slabs);
      timers.advance(100);
    }
    expect(warmer.warmedBuffers).toBe(0);
    timers.advance(200);
    const first = warmer.warmedBuffers;
    expect(first).toBe(buffersOf(store).length);
    for (let i = 0; i < 100; i++) append(store, { payload: `{"later":${i}}` }, new Slabs(1024));
    timers.advance(300);
    // The new rows' buffers, not the old ones again.
    expect(warmer.warmedBuffers - first).toBe(buffersOf(store).length - first);
    warmer.stop();
  });

  it('leaves binary and compressed frames alone, and stops at the cache limit instead of overflowing it', () => {
    const store = newStore();
    const binary = new Slabs(1024);
    const compressed = new Slabs(1024);
    const text = new Slabs(1024);
    for (let i = 0; i < 30; i++) append(store, { opcode: 2, payload: new Uint8Array(40).fill(i) }, binary);
    for (let i = 0; i < 30; i++) append(store, { opcode: 1, rsv1: true, payload: new Uint8Array(40).fill(0xf0) }, compressed);
    for (let i = 0; i < 200; i++) append(store, { payload: `text row ${i} ${'x'.repeat(30)}` }, text);
    const all = buffersOf(store);
    const textBuffers = all.slice(-Math.ceil((200 * 44) / 1024));
    // Room for two text buffers only.
    const cache = new BufferTextCache(2 * 1024 + 100);
    const timers = manualTimers();
    const warmer = new SearchTextWarmer(store, { cache, timers, idleMs: 50 });
    timers.advance(200);
    expect(warmer.warmedBuffers).toBe(2);
    expect(all.filter((b) => cache.has(b, 0))).toEqual(textBuffers.slice(0, 2));
    expect(cache.hasRoomFor(1024)).toBe(false);
    warmer.stop();
  });

  it('stops counting the text of buffers the store let go of, so warming carries on in a long session', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // Room for seven 1 KiB buffers of text; the store keeps about the last 60 rows (three buffers).
    const store = new CaptureStore(6000);
    const cache = new BufferTextCache(7 * 1024 + 100);
    const timers = manualTimers();
    const warmer = new SearchTextWarmer(store, { cache, timers, idleMs: 10 });
    const fill = (tag: string): void => {
      const slabs = new Slabs(1024);
      for (let i = 0; i < 60; i++) append(store, { payload: `${tag} row ${i} ${'x'.repeat(20)}` }, slabs);
      timers.advance(100);
    };
    fill('first');
    const firstWarmed = warmer.warmedBuffers;
    expect(firstWarmed).toBeGreaterThan(0);
    // Later bursts evict the earlier rows; their buffers are garbage once nothing refers to them.
    for (let round = 0; round < 6; round++) {
      fill(`burst${round}`);
      gc();
      // FinalizationRegistry callbacks run in tasks after the collection.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    expect(cache.heldChars).toBeLessThanOrEqual(7 * 1024 + 100);
    // Without the release the cache would have filled after seven buffers and warming would have stopped.
    expect(warmer.warmedBuffers).toBeGreaterThan(10);
    const newest = buffersOf(store).at(-1)!;
    expect(cache.has(newest, store.scanColumns().nextId - 1)).toBe(true);
    warmer.stop();
  });

  it('leaves alone rows another thread searches (skipBelow), and forgets text on request', () => {
    const store = newStore();
    const slabs = new Slabs(1024);
    for (let i = 0; i < 200; i++) append(store, { payload: `{"seq":${i},"side":"buy"}` }, slabs);
    const buffers = buffersOf(store);
    const cols = store.scanColumns();
    // Rows before the first row of the third buffer belong to the worker.
    let skip = 0;
    while (payloadBufferOf(cols, skip & cols.mask) !== buffers[2]) skip++;
    const cache = new BufferTextCache(1 << 20);
    const timers = manualTimers();
    const warmer = new SearchTextWarmer(store, { cache, timers, idleMs: 10, skipBelow: () => skip });
    timers.advance(100);
    expect(buffers.filter((b) => cache.has(b, 0))).toEqual(buffers.slice(2));
    const held = cache.heldChars;
    cache.forget(buffers[2]);
    expect(cache.has(buffers[2], 0)).toBe(false);
    expect(cache.heldChars).toBe(held - buffers[2].byteLength);
    // The other thread is gone: the rows it had are warmed here after all.
    skip = 0;
    warmer.rewind();
    timers.advance(100);
    expect(buffers.filter((b) => cache.has(b, 0))).toEqual(buffers);
    warmer.stop();
  });

  it('does not run after stop', () => {
    const store = newStore();
    append(store, { payload: 'hello' });
    const cache = new BufferTextCache(1 << 20);
    const timers = manualTimers();
    const warmer = new SearchTextWarmer(store, { cache, timers, idleMs: 10 });
    warmer.stop();
    timers.advance(1000);
    expect(warmer.warmedBuffers).toBe(0);
  });
});
