import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { EventBatcher, type BatcherTimers } from '../../src/main/core/capture/event-batcher';
import type { EventBatch } from '../../src/shared/contract';
import { packFrameBits } from '../../src/shared/frame-bits';

/** Timers driven by hand: `tick()` fires whatever is due. */
function manualTimers() {
  let pending: Array<{ fn: () => void; at: number }> = [];
  let now = 0;
  const timers: BatcherTimers = {
    setTimeout: (fn, ms) => {
      const entry = { fn, at: now + ms };
      pending.push(entry);
      return entry;
    },
    clearTimeout: (handle) => {
      pending = pending.filter((e) => e !== handle);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    const due = pending.filter((e) => e.at <= now);
    pending = pending.filter((e) => e.at > now);
    for (const e of due) e.fn();
  };
  return { timers, advance, pendingCount: () => pending.length };
}

const bits = packFrameBits({ opcode: 1, fin: true, rsv1: false, rsv2: false, rsv3: false, masked: true, direction: 'out', violation: false });
const append = (store: CaptureStore) =>
  store.append({ connectionId: 'c1', time: 1, bits, length: 1, offset: 0, header: null, payload: new Uint8Array([0x61]) });

describe('EventBatcher', () => {
  it('sends one batch per interval however many frames arrive, never one per frame', () => {
    const store = new CaptureStore(1 << 30);
    const sent: EventBatch[] = [];
    const clock = manualTimers();
    const batcher = new EventBatcher(store, (b) => sent.push(b), { intervalMs: 33, timers: clock.timers });
    store.onAppend((lastId) => batcher.accept({ kind: 'frames', lastId }));
    for (let i = 0; i < 10_000; i++) append(store);
    expect(sent).toHaveLength(0);
    clock.advance(33);
    expect(sent).toHaveLength(1);
    expect(sent[0].frames!.count).toBe(10_000);
    expect(sent[0].capture.frames).toBe(10_000);
    clock.advance(1000);
    expect(sent).toHaveLength(1);
  });

  it('drains a backlog larger than one batch over several intervals', () => {
    const store = new CaptureStore(1 << 30);
    for (let i = 0; i < 250; i++) append(store);
    const sent: EventBatch[] = [];
    const clock = manualTimers();
    new EventBatcher(store, (b) => sent.push(b), { intervalMs: 20, maxRowsPerBatch: 100, timers: clock.timers });
    clock.advance(20);
    clock.advance(20);
    clock.advance(20);
    expect(sent.map((b) => b.frames?.count)).toEqual([100, 100, 50]);
    expect(sent.map((b) => b.frames?.firstId)).toEqual([0, 100, 200]);
  });

  it('coalesces connection updates to the latest state per connection', () => {
    const store = new CaptureStore(1 << 30);
    const sent: EventBatch[] = [];
    const clock = manualTimers();
    const batcher = new EventBatcher(store, (b) => sent.push(b), { intervalMs: 33, timers: clock.timers });
    const base = { id: 'c1', role: 'client' as const, url: 'ws://x', openedAt: 1 };
    batcher.accept({ kind: 'connection', info: { ...base, state: 'connecting' } });
    batcher.accept({ kind: 'connection', info: { ...base, state: 'open' } });
    batcher.accept({ kind: 'log', line: { time: 1, level: 'info', source: 't', message: 'hello' } });
    clock.advance(33);
    expect(sent).toHaveLength(1);
    expect(sent[0].connections).toEqual([{ ...base, state: 'open' }]);
    expect(sent[0].logs.map((l) => l.message)).toEqual(['hello']);
  });

  it('flushes what is pending when closed, then sends nothing more', () => {
    const store = new CaptureStore(1 << 30);
    const sent: EventBatch[] = [];
    const clock = manualTimers();
    const batcher = new EventBatcher(store, (b) => sent.push(b), { intervalMs: 33, timers: clock.timers });
    append(store);
    batcher.accept({ kind: 'frames', lastId: 0 });
    batcher.close();
    expect(sent).toHaveLength(1);
    append(store);
    batcher.accept({ kind: 'frames', lastId: 1 });
    clock.advance(100);
    expect(sent).toHaveLength(1);
  });
});
