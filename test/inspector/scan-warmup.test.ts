import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import { compileQuery, scanFrames } from '../../src/main/core/capture/frame-filter';
import { PRACTICE_QUERIES, ScanWarmup, type PracticeScan } from '../../src/main/core/capture/scan-warmup';
import type { FrameQuery } from '../../src/shared/contract';
import { manualTimers } from './manual-timers';
import { append, newStore, Slabs } from './rows';
import type { CaptureStore } from '../../src/main/core/capture/capture-store';

interface Call {
  query: FrameQuery;
  fromId: number;
  toId: number;
  isCancelled: () => boolean;
  finish(result?: { cancelled?: boolean }): void;
  fail(error: Error): void;
}

/** A practice scan run by hand: each call waits until the test finishes or fails it. */
function handScan(): { scan: PracticeScan; calls: Call[] } {
  const calls: Call[] = [];
  const scan: PracticeScan = (query, fromId, toId, isCancelled) =>
    new Promise((resolve, reject) => calls.push({ query, fromId, toId, isCancelled, finish: (r = {}) => resolve(r), fail: reject }));
  return { scan, calls };
}

function filledStore(rows: number): CaptureStore {
  const store = newStore();
  const slabs = new Slabs(64 * 1024);
  for (let i = 0; i < rows; i++) append(store, { payload: `{"seq":${i},"ok":true}` }, slabs);
  return store;
}

/** Lets the promise callbacks of a finished hand scan run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('practice scans while capture is idle', () => {
  it('runs each practice query once over the oldest rows, one at a time, then stops watching', async () => {
    const store = filledStore(300);
    const timers = manualTimers();
    const { scan, calls } = handScan();
    const queries = PRACTICE_QUERIES.slice(0, 3);
    const warmup = new ScanWarmup(store, scan, { ready: () => true, filterGeneration: () => 0, rows: 200, queries, timers, idleMs: 100, quietAfterFilterMs: 0 });
    timers.advance(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ query: queries[0], fromId: store.firstId, toId: store.firstId + 200 });
    // While a practice scan runs, no other starts.
    timers.advance(1000);
    expect(calls).toHaveLength(1);
    for (let k = 0; k < queries.length; k++) {
      calls[k].finish();
      await settle();
      timers.advance(200);
    }
    expect(calls.map((c) => c.query)).toEqual(queries);
    expect(warmup.done).toBe(3);
    expect(warmup.finished).toBe(true);
    expect(timers.pending()).toBe(0);
  });

  it('waits until the store holds enough rows and the search text and worker copy are ready', async () => {
    const store = filledStore(100);
    const timers = manualTimers();
    const { scan, calls } = handScan();
    let ready = false;
    const warmup = new ScanWarmup(store, scan, { ready: () => ready, filterGeneration: () => 0, rows: 200, timers, idleMs: 100, quietAfterFilterMs: 0 });
    timers.advance(1000);
    expect(calls).toHaveLength(0);
    const slabs = new Slabs(64 * 1024);
    for (let i = 0; i < 150; i++) append(store, { payload: `{"more":${i}}` }, slabs);
    timers.advance(1000);
    expect(calls).toHaveLength(0);
    ready = true;
    timers.advance(200);
    expect(calls).toHaveLength(1);
    warmup.stop();
    expect(calls[0].isCancelled()).toBe(true);
  });

  it("gives way to a person's filter: the running practice scan is cancelled, and practice resumes only after filters have been quiet", async () => {
    const store = filledStore(300);
    const timers = manualTimers();
    const { scan, calls } = handScan();
    let generation = 0;
    const warmup = new ScanWarmup(store, scan, { ready: () => true, filterGeneration: () => generation, rows: 200, timers, idleMs: 100, quietAfterFilterMs: 1000 });
    timers.advance(200);
    expect(calls).toHaveLength(1);
    expect(calls[0].isCancelled()).toBe(false);
    generation++;
    expect(calls[0].isCancelled()).toBe(true);
    calls[0].finish({ cancelled: true });
    await settle();
    timers.advance(500);
    expect(calls).toHaveLength(1);
    timers.advance(1000);
    // The same query again: a cancelled practice scan does not count.
    expect(calls).toHaveLength(2);
    expect(calls[1].query).toEqual(calls[0].query);
    expect(warmup.done).toBe(0);
    warmup.stop();
  });

  it('gives way to capture: a new row cancels the running practice scan', () => {
    const store = filledStore(300);
    const timers = manualTimers();
    const { scan, calls } = handScan();
    const warmup = new ScanWarmup(store, scan, { ready: () => true, filterGeneration: () => 0, rows: 200, timers, idleMs: 100, quietAfterFilterMs: 0 });
    timers.advance(200);
    expect(calls[0].isCancelled()).toBe(false);
    append(store, { payload: 'a new frame' }, new Slabs(1024));
    expect(calls[0].isCancelled()).toBe(true);
    warmup.stop();
  });

  it('stops practising when a practice scan fails', async () => {
    const store = filledStore(300);
    const timers = manualTimers();
    const { scan, calls } = handScan();
    const warmup = new ScanWarmup(store, scan, { ready: () => true, filterGeneration: () => 0, rows: 200, timers, idleMs: 100, quietAfterFilterMs: 0 });
    timers.advance(200);
    calls[0].fail(new Error('the scan worker stopped'));
    await settle();
    timers.advance(2000);
    expect(calls).toHaveLength(1);
    expect(warmup.finished).toBe(false);
    expect(timers.pending()).toBe(0);
  });

  it('has practice queries that compile and scan a real capture without changing what a filter finds', async () => {
    const store = filledStore(2000);
    const probe = compileQuery({ unit: 'frames', text: { pattern: '"seq":1\\d{2},', regex: true, caseSensitive: false } });
    if (!probe.ok) throw new Error(probe.error);
    const before = await scanFrames(store, probe.value, 0, undefined);
    for (const query of PRACTICE_QUERIES) {
      const compiled = compileQuery(query);
      expect(compiled.ok, JSON.stringify(query)).toBe(true);
      if (!compiled.ok) continue;
      const result = await scanFrames(store, compiled.value, store.firstId, store.firstId + 1000);
      expect(result.done).toBe(true);
    }
    const after = await scanFrames(store, probe.value, 0, undefined);
    expect(after.matched).toBe(100);
    // The same answer (timing fields aside).
    const { rate: _r1, ...found } = after;
    const { rate: _r2, ...foundBefore } = before;
    expect(found).toEqual(foundBefore);
  });

  it('runs in the app once the capture is idle, split across both threads', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fs-warmup-'));
    const workspace = new Workspace({ dataDir });
    try {
      const slabs = new Slabs(256 * 1024);
      // Just over four times the split threshold: the practice range is that many rows from the oldest.
      for (let i = 0; i < 4 * 65_536 + 1000; i++) append(workspace.store, { conn: `c${i % 3}`, payload: `{"seq":${i},"ok":${i % 2 === 0}}` }, slabs);
      expect(workspace.filterWorker.practised).toBe(false);
      const deadline = Date.now() + 60_000;
      while (!workspace.filterWorker.practised && workspace.filterWorker.failure === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(workspace.filterWorker.failure).toBeNull();
      expect(workspace.filterWorker.practised).toBe(true);
      // The last practice scan was split: the worker took the older part.
      expect(workspace.filterWorker.lastSplit?.workerRows).toBeGreaterThanOrEqual(65_536);
    } finally {
      await workspace.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
