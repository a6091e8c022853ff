import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import { compileQuery, scanFrames } from '../../src/main/core/capture/frame-filter';
import { PRACTICE_QUERIES, practiceRange, ScanWarmup, type PracticeScan, type ScanWarmupOptions } from '../../src/main/core/capture/scan-warmup';
import type { FrameQuery } from '../../src/shared/contract';
import { manualTimers } from './manual-timers';
import { append, newStore, Slabs } from './rows';
import type { CaptureStore } from '../../src/main/core/capture/capture-store';

interface Call {
  query: FrameQuery;
  fromId: number;
  toId: number;
  isCancelled: () => boolean;
  finish(result?: { cancelled?: boolean; done?: boolean }): void;
  fail(error: Error): void;
}

/** A practice scan run by hand: each call waits until the test finishes or fails it. */
function handScan(): { scan: PracticeScan; calls: Call[] } {
  const calls: Call[] = [];
  const scan: PracticeScan = (query, fromId, toId, isCancelled) =>
    new Promise((resolve, reject) => calls.push({ query, fromId, toId, isCancelled, finish: (r = {}) => resolve({ done: true, ...r }), fail: reject }));
  return { scan, calls };
}

function filledStore(rows: number): CaptureStore {
  const store = newStore();
  const slabs = new Slabs(64 * 1024);
  for (let i = 0; i < rows; i++) append(store, { payload: `{"seq":${i},"ok":true}` }, slabs);
  return store;
}

/** Practice over the newest 200 rows (no worker), ready, no person filtering, hand-run timers; `over` replaces any of it. */
function options(store: CaptureStore, timers: ReturnType<typeof manualTimers>, over: Partial<ScanWarmupOptions> = {}): ScanWarmupOptions {
  return {
    ready: () => true,
    range: () => practiceRange(store.firstId, store.nextId, 0, 200),
    filterGeneration: () => 0,
    filtering: () => false,
    quietAfterFilterMs: 0,
    timers,
    idleMs: 100,
    ...over,
  };
}

/** A ScanWarmup over a store of `rows` rows, run by hand (see options, handScan). */
function practising(rows: number, over: Partial<ScanWarmupOptions> = {}) {
  const store = filledStore(rows);
  const timers = manualTimers();
  const { scan, calls } = handScan();
  const warmup = new ScanWarmup(store, scan, options(store, timers, over));
  return { store, timers, calls, warmup };
}

/** The second practice scan asked for the first one's query again, and none counted as done. */
function expectSameQueryAgain(calls: Call[], warmup: ScanWarmup): void {
  expect(calls).toHaveLength(2);
  expect(calls[1].query).toEqual(calls[0].query);
  expect(warmup.done).toBe(0);
}

/** Lets the promise callbacks of a finished hand scan run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('practice scans while capture is idle', () => {
  it('runs each practice query once over its range, one at a time, then stops watching', async () => {
    const queries = PRACTICE_QUERIES.slice(0, 3);
    const { store, timers, calls, warmup } = practising(300, { queries });
    timers.advance(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ query: queries[0], fromId: store.nextId - 200, toId: store.nextId });
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
    let ready = false;
    const { store, timers, calls, warmup } = practising(100, { ready: () => ready });
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
    let generation = 0;
    const { timers, calls, warmup } = practising(300, { filterGeneration: () => generation, quietAfterFilterMs: 1000 });
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
    // A cancelled practice scan does not count.
    expectSameQueryAgain(calls, warmup);
    warmup.stop();
  });

  it('does not start while a person\'s filter scan is still running', () => {
    let filtering = true;
    const { timers, calls, warmup } = practising(300, { filtering: () => filtering, quietAfterFilterMs: 1000 });
    timers.advance(3000);
    expect(calls).toHaveLength(0);
    filtering = false;
    timers.advance(500);
    expect(calls).toHaveLength(0);
    timers.advance(1000);
    expect(calls).toHaveLength(1);
    warmup.stop();
  });

  it('gives way to capture: a new row or a Clear cancels the running practice scan', async () => {
    const { store, timers, calls, warmup } = practising(300);
    timers.advance(200);
    expect(calls[0].isCancelled()).toBe(false);
    append(store, { payload: 'a new frame' }, new Slabs(1024));
    expect(calls[0].isCancelled()).toBe(true);
    calls[0].finish({ cancelled: true });
    await settle();
    timers.advance(200);
    expect(calls).toHaveLength(2);
    expect(calls[1].isCancelled()).toBe(false);
    store.clear();
    expect(calls[1].isCancelled()).toBe(true);
    warmup.stop();
  });

  it('runs a practice scan that was cut short (out of time) again', async () => {
    const { timers, calls, warmup } = practising(300);
    timers.advance(200);
    calls[0].finish({ done: false });
    await settle();
    timers.advance(200);
    expectSameQueryAgain(calls, warmup);
    warmup.stop();
  });

  it('practises across the split point: the worker on rows it holds, this thread on rows whose text it made', () => {
    // 1000 rows held, the worker holds 0–499: 200 rows around 500.
    expect(practiceRange(0, 1000, 500, 200)).toEqual({ fromId: 400, toId: 600 });
    // Kept inside the store at either end.
    expect(practiceRange(0, 1000, 50, 200)).toEqual({ fromId: 0, toId: 200 });
    expect(practiceRange(0, 1000, 990, 200)).toEqual({ fromId: 800, toId: 1000 });
    // No worker: the newest rows. Too few rows: not yet.
    expect(practiceRange(300, 1000, 0, 200)).toEqual({ fromId: 800, toId: 1000 });
    expect(practiceRange(900, 1000, 950, 200)).toBeNull();
  });

  it('stops practising when a practice scan fails', async () => {
    const { timers, calls, warmup } = practising(300);
    timers.advance(200);
    calls[0].fail(new Error('the scan worker stopped'));
    await settle();
    timers.advance(2000);
    expect(calls).toHaveLength(1);
    expect(warmup.finished).toBe(false);
    expect(timers.pending()).toBe(0);
  });

  it('has practice queries that compile and finish a scan of a real capture, without changing what a filter finds', async () => {
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
      expect(result.scannedTo).toBe(1000);
    }
    const after = await scanFrames(store, probe.value, 0, undefined);
    expect(after.matched).toBe(100);
    // The same answer (timing fields aside): the practice scans' caches change no result.
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
      // The last practice scan was split at the end of the worker's copy, half and half: this
      // thread scanned no row the worker holds (their text is the worker's, not this thread's).
      expect(workspace.filterWorker.lastSplit).toMatchObject({ workerRows: 2 * 65_536, localRows: 2 * 65_536 });
    } finally {
      await workspace.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
