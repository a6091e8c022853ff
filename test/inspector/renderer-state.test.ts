import { describe, expect, it } from 'vitest';
import { compileQuery, scanFrames } from '../../src/main/core/capture/frame-filter';
import { FrameRows, BLOCK_SIZE } from '../../src/renderer/src/state/frame-rows';
import { FrameView } from '../../src/renderer/src/state/frame-view';
import { mergedAt, mergedIndexOfFrame, type TimelineLine } from '../../src/renderer/src/state/log-timeline';
import {
  anchorAt,
  anchorTop,
  atBottom,
  countNewRows,
  geometry,
  maxVirtualTop,
  MAX_PHYSICAL_PX,
  newRowsFrom,
  physicalFromVirtual,
  virtualFromPhysical,
  visibleRange,
} from '../../src/renderer/src/state/virtual-scroll';
import type { FramescopeApi, FrameQuery } from '../../src/shared/contract';
import { cutReady, PREVIEW_BINARY, PREVIEW_TEXT, PreviewWriter, readyPreviews } from '../../src/shared/preview';
import { ok } from '../../src/shared/result';
import { append, newStore, Slabs } from './rows';

function page(firstId: number, previews: string[], connection = 'c1') {
  const n = previews.length;
  return {
    firstId,
    count: n,
    connection: new Uint32Array(n),
    connectionIds: [connection],
    time: Float64Array.from(previews, (_, i) => 1000 + firstId + i),
    bits: new Uint32Array(n).fill(0x211),
    length: Float64Array.from(previews, (p) => p.length),
    ...readyPreviews(previews),
  };
}

describe('FrameRows: compact rows by id', () => {
  it('keeps columns and previews per row, across blocks and chunks', () => {
    const rows = new FrameRows();
    const previews = Array.from({ length: 5000 }, (_, i) => `row ${i} ${'é'.repeat(i % 3)}`);
    rows.append(page(0, previews));
    expect(rows.resident).toBe(5000);
    for (const id of [0, 255, 256, 4095, 4096, 4999]) {
      expect(rows.preview(id)).toBe(previews[id]);
      expect(rows.time(id)).toBe(1000 + id);
      expect(rows.connectionOf(id)).toBe('c1');
    }
    expect(rows.has(5000)).toBe(false);
  });

  it('keeps previews as bytes: any text comes back as it went in, cut at 200 characters, and is counted in bytes', () => {
    const rows = new FrameRows();
    const long = 'ü'.repeat(250);
    const previews = ['', 'plain', 'héllo ✓', '😀 emoji', long, 'after'];
    rows.append(page(250, previews)); // rows 250..255 end one chunk, so 'after' starts the next
    expect([250, 251, 252, 253, 255].map((id) => rows.preview(id))).toEqual(['', 'plain', 'héllo ✓', '😀 emoji', 'after']);
    expect(rows.preview(254)).toBe(`${'ü'.repeat(199)}…`);
    // A kind byte per non-empty row, then UTF-8: 'plain' 5, 'héllo ✓' 10, '😀 emoji' 10, 199 × 'ü' 398 + '…' 3, 'after' 5.
    expect(rows.previewBytes).toBe(5 + (5 + 10 + 10 + 401 + 5));
    // Replacing one row in the middle of a chunk keeps the others byte for byte.
    rows.store(page(252, ['ß']));
    expect([251, 252, 253, 254].map((id) => rows.preview(id))).toEqual(['plain', 'ß', '😀 emoji', `${'ü'.repeat(199)}…`]);
    expect(rows.previewBytes).toBe(5 + (5 + 2 + 10 + 401 + 5));
    // A byte-order mark stays, and the cut never splits a surrogate pair.
    const emoji = `${'a'.repeat(198)}😀😀`;
    rows.store(page(251, ['\uFEFFbom', emoji]));
    expect(rows.preview(251)).toBe('\uFEFFbom');
    expect(rows.preview(252)).toBe(`${'a'.repeat(198)}…`);
  });

  it('rebuilds a chunk whose previews outgrow its scratch space, keeping every row', () => {
    const rows = new FrameRows();
    // 256 rows of 200 characters of 'ü' (about 400 bytes each): one chunk, ~100 KB.
    const long = Array.from({ length: 256 }, (_, i) => `${i} ${'ü'.repeat(250)}`);
    rows.append(page(0, long));
    for (const id of [0, 128, 255]) expect(rows.preview(id)).toBe(cutReady(long[id]));
    rows.store(page(100, ['short']));
    expect([99, 100, 101].map((id) => rows.preview(id))).toEqual([cutReady(long[99]), 'short', cutReady(long[101])]);
  });

  it('formats raw payload previews when a row is read: hex or text, with the … the row length calls for', () => {
    const rows = new FrameRows();
    const w = new PreviewWriter(4);
    const bin = Uint8Array.from({ length: 30 }, (_, i) => i * 9);
    w.raw(PREVIEW_BINARY, bin, 0, 24);
    w.raw(PREVIEW_BINARY, bin, 2, 3);
    w.raw(PREVIEW_TEXT, new TextEncoder().encode(`tab\there ${'x'.repeat(100)}`), 0, 96);
    w.raw(PREVIEW_TEXT, new TextEncoder().encode('fin'), 0, 3);
    rows.append({ ...page(0, ['', '', '', '']), length: Float64Array.of(30, 3, 110, 3), ...w.finish() });
    expect(rows.preview(0)).toBe(`${[...bin.subarray(0, 24)].map((b) => b.toString(16).padStart(2, '0')).join(' ')} …`);
    expect(rows.preview(1)).toBe('12 1b 24');
    expect(rows.preview(2)).toBe(`tab here ${'x'.repeat(71)}…`);
    expect(rows.preview(3)).toBe('fin');
    // One kind byte per row, then the raw bytes: 24 + 3 + 96 + 3.
    expect(rows.previewBytes).toBe(4 + 24 + 3 + 96 + 3);
  });

  it('fills rows fetched out of order and by id list into the same blocks', () => {
    const rows = new FrameRows();
    rows.store(page(100, ['b', 'c']));
    rows.store({ ...page(0, ['x', 'z']), ids: [99, 102] });
    expect([99, 100, 101, 102].map((id) => rows.preview(id))).toEqual(['x', 'b', 'c', 'z']);
    // Replacing a row keeps its neighbours intact.
    rows.store(page(100, ['B']));
    expect([99, 100, 101].map((id) => rows.preview(id))).toEqual(['x', 'B', 'c']);
  });

  it('counts a gap in the stream as skipped, but not rows the main side evicted', () => {
    const rows = new FrameRows();
    rows.append(page(500, ['a']), 100); // opened late: 100..499 were never streamed
    expect(rows.skipped).toBe(400);
    rows.append(page(600, ['b']), 550); // 501..549 were evicted, 550..599 skipped
    expect(rows.skipped).toBe(450);
    rows.store(page(200, ['fetched'])); // fetched on demand: not a gap
    expect(rows.skipped).toBe(450);
  });

  it('stops counting skipped rows once the main side evicted them, and forgets them all on clear', () => {
    const rows = new FrameRows();
    rows.append(page(500, ['a']), 100); // 100..499 skipped
    rows.append(page(600, ['b']), 550); // 550..599 skipped
    expect(rows.skipped).toBe(450);
    rows.dropBefore(300); // 100..299 evicted
    expect(rows.skipped).toBe(250);
    rows.dropBefore(575); // the rest of the first gap and half the second
    expect(rows.skipped).toBe(25);
    rows.clear();
    expect(rows.skipped).toBe(0);
    // After a clear the stream goes on from the main side's next id: no phantom gap.
    rows.append(page(601, ['c']), 601);
    expect(rows.skipped).toBe(0);
  });

  // (AppStore.clearRows is rows.clear(); AppStore itself imports React, kept out of the Node type check.)
  it('a clear leaves no "skipped" badge behind', () => {
    const rows = new FrameRows();
    rows.append(page(500, ['a']), 100);
    expect(rows.skipped).toBe(400);
    rows.clear();
    expect(rows.skipped).toBe(0);
  });

  it('stays within its bound, dropping the least recently drawn blocks but never the newest', () => {
    const rows = new FrameRows(3);
    for (let b = 0; b < 5; b++) rows.append(page(b * BLOCK_SIZE, ['r']));
    expect(rows.has(4 * BLOCK_SIZE)).toBe(true);
    expect(rows.has(0)).toBe(false);
    rows.touch(2 * BLOCK_SIZE);
    rows.store(page(0, ['again']));
    expect(rows.has(2 * BLOCK_SIZE)).toBe(true);
    expect(rows.has(4 * BLOCK_SIZE)).toBe(true);
  });
});

describe('FrameView over the real scan', () => {
  function setup() {
    const store = newStore();
    const slabs = new Slabs();
    const api = {
      filterFrames: async (request: Parameters<FramescopeApi['filterFrames']>[0]) => {
        const compiled = compileQuery(request.query);
        if (!compiled.ok) return compiled;
        return ok(await scanFrames(store, compiled.value, request.fromId, request.toId));
      },
    };
    const view = new FrameView(api);
    const sync = () => view.setRange(store.firstId, store.nextId);
    return { store, slabs, view, sync, api };
  }
  const settle = async (view: FrameView) => {
    for (let i = 0; i < 50 && view.status === 'scanning'; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 5));
  };

  it('lists every row without a query, and matches with one, then follows new rows', async () => {
    const { store, slabs, view, sync } = setup();
    for (let i = 0; i < 10; i++) append(store, { payload: i % 3 === 0 ? `hit ${i}` : `miss ${i}` }, slabs);
    sync();
    expect(view.length).toBe(10);
    expect(view.idAt(3)).toBe(3);
    const q: FrameQuery = { unit: 'frames', text: { pattern: 'hit', regex: false, caseSensitive: true } };
    view.setQuery(q);
    await settle(view);
    expect(view.status).toBe('live');
    expect(Array.from({ length: view.length }, (_, i) => view.idAt(i))).toEqual([0, 3, 6, 9]);
    append(store, { payload: 'hit again' }, slabs);
    append(store, { payload: 'nothing' }, slabs);
    sync();
    await settle(view);
    expect(view.length).toBe(5);
    expect(view.idAt(4)).toBe(10);
    expect(view.lowerBound(7)).toBe(3);
    expect(view.indexOf(6)).toBe(2);
    expect(view.indexOf(7)).toBe(-1);
  });

  it('drops evicted rows from the front and reports a bad query', async () => {
    const { store, slabs, view, sync } = setup();
    for (let i = 0; i < 6; i++) append(store, { payload: 'x' }, slabs);
    sync();
    view.setQuery({ unit: 'frames', direction: 'in' });
    await settle(view);
    expect(view.length).toBe(6);
    view.setRange(4, 6);
    expect(view.length).toBe(2);
    expect(view.idAt(0)).toBe(4);
    view.setQuery({ unit: 'frames', text: { pattern: '(', regex: true, caseSensitive: true } });
    await settle(view);
    expect(view.status).toBe('error');
    expect(view.error).toMatch(/not a valid regular expression/);
  });

  it('lists a dense result whole, also when `matched` says less, skipping ids a rescan repeats, and keeps the list right as the head is dropped', async () => {
    const bitmap = (fromId: number, ids: number[], to: number): string => {
      const bytes = new Uint8Array((to - fromId + 7) >>> 3);
      for (const id of ids) bytes[(id - fromId) >>> 3] |= 1 << ((id - fromId) & 7);
      return Buffer.from(bytes).toString('base64');
    };
    const every3 = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k).filter((id) => id % 3 === 0);
    // Answers, in order: ids 0–29 999 in one reply whose `matched` undercounts; then 29 000–59 999,
    // overlapping the first by a thousand rows; then 60 000–119 999.
    const replies = [
      { fromId: 0, to: 30_000, matched: 10 },
      { fromId: 29_000, to: 60_000, matched: 10_334 },
      { fromId: 60_000, to: 120_000, matched: 20_000 },
    ];
    let next = 0;
    const view = new FrameView({
      filterFrames: async () => {
        const r = replies[next++];
        const ids = every3(r.fromId, r.to);
        return ok({ fromId: r.fromId, scannedTo: r.to, matchBits: bitmap(r.fromId, ids, r.to), matched: r.matched, done: true, firstId: 0, nextId: r.to });
      },
    });
    view.setRange(0, 30_000);
    view.setQuery({ unit: 'frames', text: { pattern: 'x', regex: false, caseSensitive: true } });
    for (let i = 0; i < 50 && view.status === 'scanning'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(view.length).toBe(10_000);
    view.setRange(0, 60_000);
    await new Promise((r) => setTimeout(r, 20));
    // The overlap is listed once.
    expect(view.length).toBe(20_000);
    // Most of the head goes (evicted), then more rows arrive: the list reuses the room at its front.
    view.setRange(55_000, 60_000);
    expect(view.idAt(0)).toBe(55_002);
    view.setRange(55_000, 120_000);
    await new Promise((r) => setTimeout(r, 20));
    const listed = Array.from({ length: view.length }, (_, i) => view.idAt(i));
    expect(listed).toEqual(every3(55_000, 120_000));
  });

  it('explains a scan the bridge dropped, instead of scanning forever, and retries on the next change', async () => {
    const { store, slabs, api } = setup();
    let drop = true;
    const view = new FrameView({ filterFrames: (request) => (drop ? Promise.reject(new Error('socket closed')) : api.filterFrames(request)) });
    const sync = () => view.setRange(store.firstId, store.nextId);
    for (let i = 0; i < 4; i++) append(store, { payload: i % 2 ? 'hit' : 'miss' }, slabs);
    sync();
    view.setQuery({ unit: 'frames', text: { pattern: 'hit', regex: false, caseSensitive: true } });
    await settle(view);
    expect(view.status).toBe('error');
    expect(view.error).toMatch(/lost contact with Framescope.*socket closed/);
    // The next change (new rows here) scans again; success clears the error.
    drop = false;
    append(store, { payload: 'hit' }, slabs);
    sync();
    await settle(view);
    expect(view.status).toBe('live');
    expect(view.error).toBeNull();
    expect(Array.from({ length: view.length }, (_, i) => view.idAt(i))).toEqual([1, 3, 4]);
  });
});

describe('the paused table: new rows and the reading position, by id', () => {
  const RH = 26;
  const noFilter = () => new FrameView({ filterFrames: async () => ({ ok: false as const, error: 'unused' }) });

  it('counts new rows while the capture is at its budget (the row count stays flat)', () => {
    const view = noFilter();
    view.setRange(0, 100);
    const from = newRowsFrom(view); // following stops here
    expect(from).toBe(100);
    view.setRange(50, 150); // 50 new rows, 50 old ones evicted: still 100 rows
    expect(view.length).toBe(100);
    expect(countNewRows(view, from)).toBe(50);
  });

  it('counts rows arriving after a clear, and none that were cleared', () => {
    const view = noFilter();
    view.setRange(0, 1000);
    const from = newRowsFrom(view);
    view.setRange(1010, 1010); // ten arrived, then everything was cleared
    expect(countNewRows(view, from)).toBe(0);
    view.setRange(1010, 1013);
    expect(countNewRows(view, from)).toBe(3);
  });

  it('keeps the rows being read in place when older rows are evicted', () => {
    const view = noFilter();
    view.setRange(0, 1000);
    const anchor = anchorAt(view, 600 * RH + 7, RH);
    expect(anchor).toEqual({ id: 600, delta: 7 });
    view.setRange(200, 1200);
    expect(anchorTop(view, anchor, RH)).toBe(400 * RH + 7);
    expect(visibleRange(geometry(view.length, RH, 260), anchorTop(view, anchor, RH), RH, view.length, 0).first).toBe(400);
    expect(view.idAt(400)).toBe(600);
    // Once the row itself is evicted, the oldest row held is shown.
    view.setRange(700, 1300);
    expect(anchorTop(view, anchor, RH)).toBe(0);
  });

  it('counts new matches by id when the filter changes while paused', async () => {
    const store = newStore();
    const slabs = new Slabs();
    const view = new FrameView({
      filterFrames: async (request) => {
        const compiled = compileQuery(request.query);
        if (!compiled.ok) return compiled;
        return ok(await scanFrames(store, compiled.value, request.fromId, request.toId));
      },
    });
    for (let i = 0; i < 20; i++) append(store, { payload: i % 2 ? 'odd' : 'even' }, slabs);
    view.setRange(store.firstId, store.nextId);
    const from = newRowsFrom(view); // 20
    const anchor = anchorAt(view, 9 * RH, RH); // reading row 9
    for (let i = 20; i < 26; i++) append(store, { payload: i % 2 ? 'odd' : 'even' }, slabs);
    view.setRange(store.firstId, store.nextId);
    expect(countNewRows(view, from)).toBe(6);
    view.setQuery({ unit: 'frames', text: { pattern: 'odd', regex: false, caseSensitive: true } });
    for (let i = 0; i < 50 && view.status === 'scanning'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(view.length).toBe(13);
    expect(countNewRows(view, from)).toBe(3); // 21, 23, 25
    // The reading position stays at the same point in the capture: row 9 is the fifth odd row.
    expect(anchorTop(view, anchor, RH)).toBe(4 * RH);
  });
});

describe('log lines on the frame timeline', () => {
  const frames = { length: 5, lowerBound: (id: number) => Math.max(0, Math.min(5, id - 10)) }; // ids 10..14
  const line = (anchor: number): TimelineLine => ({ time: 0, source: 't1', kind: 'line', text: `before ${anchor}`, anchor });

  it('places each line just before the first frame captured after it', () => {
    const lines = [line(10), line(12), line(12), line(99)];
    const merged = Array.from({ length: 9 }, (_, m) => {
      const item = mergedAt(frames, lines, m);
      return item.kind === 'log' ? item.line.text : `#${10 + item.index}`;
    });
    expect(merged).toEqual(['before 10', '#10', '#11', 'before 12', 'before 12', '#12', '#13', '#14', 'before 99']);
    expect(mergedIndexOfFrame(frames, lines, 2)).toBe(5);
  });
});

describe('scroll geometry beyond the browser height cap', () => {
  it('keeps the DOM height bounded and still reaches the first and last of two million rows', () => {
    const g = geometry(2_000_000, 26, 600);
    expect(g.scaled).toBe(true);
    expect(g.physical).toBe(MAX_PHYSICAL_PX);
    const bottom = virtualFromPhysical(g, g.physical - g.viewport);
    expect(bottom).toBe(maxVirtualTop(g));
    expect(atBottom(g, bottom, 26)).toBe(true);
    const last = visibleRange(g, bottom, 26, 2_000_000);
    expect(last.last).toBe(2_000_000);
    expect(visibleRange(g, virtualFromPhysical(g, 0), 26, 2_000_000).first).toBe(0);
    // Round trip: a row near the middle is where the scrollbar says.
    const mid = 1_000_000 * 26;
    expect(Math.abs(virtualFromPhysical(g, physicalFromVirtual(g, mid)) - mid)).toBeLessThan(1);
  });

  it('is one to one when the list fits', () => {
    const g = geometry(1000, 26, 600);
    expect(g.scaled).toBe(false);
    expect(virtualFromPhysical(g, 1234)).toBe(1234);
    expect(physicalFromVirtual(g, 1234)).toBe(1234);
  });
});
