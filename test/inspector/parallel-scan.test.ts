import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { compileQuery, matchedIds, scanFrames } from '../../src/main/core/capture/frame-filter';
import { ParallelScanner, spawnScanWorker, type ScanPort } from '../../src/main/core/capture/parallel-scan';
import { ScanMirror, type MirrorMessage, type MirrorReply } from '../../src/main/core/capture/scan-mirror';
import type { FilterResult, FrameQuery } from '../../src/shared/contract';
import { manualTimers } from './manual-timers';
import { append, appendViolation, Slabs } from './rows';

/** A port to a ScanMirror in this thread, with messages cloned (and transferred) as a worker's would be. */
function inProcessPort(): ScanPort & { mirror: ScanMirror; messages: MirrorMessage[] } {
  const mirror = new ScanMirror();
  const messages: MirrorMessage[] = [];
  let listener: (reply: MirrorReply) => void = () => {};
  return {
    mirror,
    messages,
    post(message, transfer) {
      const copy = structuredClone(message, { transfer });
      messages.push(copy);
      // Delivered on a later turn, as a worker's messages are.
      setImmediate(() => mirror.receive(copy, (reply) => listener(structuredClone(reply))));
    },
    onReply: (l) => void (listener = l),
    onFailure: () => {},
    close: () => {},
  };
}

/**
 * An in-process worker whose scan requests never reach its mirror (everything else does):
 * a worker busy elsewhere or stuck. The port's `messages` list records them.
 */
function withholdingScans(): { port: ReturnType<typeof inProcessPort>; silent: ScanPort } {
  const port = inProcessPort();
  const silent: ScanPort = { ...port, post: (message, transfer) => (message.type === 'scan' ? void port.messages.push(message) : port.post(message, transfer)) };
  return { port, silent };
}

/** A store of `count` rows "row 0", "row 1", … */
function rowStore(count: number): CaptureStore {
  const store = new CaptureStore(1 << 30);
  const slabs = new Slabs(200);
  for (let i = 0; i < count; i++) append(store, { payload: `row ${i}` }, slabs);
  return store;
}

const settle = async (turns = 20): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

/** Lets hand-run idle time pass (idleMs 10) and the in-thread worker take what was posted, `turns` times. */
async function idleTurns(timers: ReturnType<typeof manualTimers>, turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) {
    timers.advance(10);
    await settle();
  }
}

/** What a scan answers, in a form two scans of the same rows can be compared by. */
function answer(result: FilterResult): unknown {
  return {
    ids: [...matchedIds(result), ...(result.lateMatches ?? [])].sort((a, b) => a - b),
    matched: result.matched,
    scannedTo: result.scannedTo,
    done: result.done,
    messages: [...(result.messages ?? [])].sort((a, b) => a.headId - b.headId),
  };
}

function compiled(query: FrameQuery) {
  const c = compileQuery(query);
  if (!c.ok) throw new Error(c.error);
  return c.value;
}

/** A scanner whose worker is `port` (by default a mirror in this thread), after idle time in which it copied the older half of the store. */
async function mirrored<P extends ScanPort = ReturnType<typeof inProcessPort>>(store: CaptureStore, segmentRows = 7, port?: P) {
  const timers = manualTimers();
  const worker = port ?? (inProcessPort() as unknown as P);
  const scanner = new ParallelScanner(store, { spawn: () => worker, minRows: 4, segmentRows, idleMs: 10, timers });
  await idleTurns(timers);
  return { scanner, port: worker, timers };
}

describe('the filter scan split between this thread and a worker', () => {
  it("copies the store's older half in segments while capture is idle, and splits a scan there", async () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(300);
    for (let i = 0; i < 100; i++) append(store, { conn: i % 3 ? 'a' : 'b', payload: `{"seq":${i},"side":"${i % 4 ? 'buy' : 'sell'}"}` }, slabs);
    const { scanner, port } = await mirrored(store);
    expect(scanner.mirrored).toEqual({ from: 0, to: 50 });
    expect(port.mirror.firstId).toBe(0);
    expect(port.mirror.nextId).toBe(50);
    const segments = port.messages.filter((m) => m.type === 'segment');
    expect(segments.length).toBe(Math.ceil(50 / 7));
    // Each segment carries only the bytes its rows span: no byte of a buffer is sent twice.
    const spans = segments.flatMap((m) => (m.type === 'segment' ? m.buffers.map((b) => ({ n: b.number, from: b.base, to: b.base + b.bytes.byteLength })) : []));
    for (const a of spans) for (const b of spans) if (a !== b && a.n === b.n) expect(a.to <= b.from || b.to <= a.from).toBe(true);
    expect(spans.reduce((sum, b) => sum + b.to - b.from, 0)).toBeLessThan(50 * 40);
    const query: FrameQuery = { unit: 'frames', text: { pattern: '"side":"sell"', regex: false, caseSensitive: true } };
    const single = await scanFrames(store, compiled(query), 0, undefined);
    const split = await scanner.scan(compiled(query), query, 0, undefined);
    expect(answer(split)).toEqual(answer(single));
    expect(matchedIds(split)).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92, 96]);
    // The worker was asked for the older part: ids 0 up to a multiple of 8 at most halfway.
    const scan = port.messages.find((m) => m.type === 'scan');
    expect(scan).toMatchObject({ fromId: 0, toId: 48 });
    scanner.dispose();
  });

  it('answers as one scan would (property): fragments across the split, control frames, violations, inflated text attached late, evictions', async () => {
    const piece = fc.record({
      conn: fc.constantFrom('a', 'b'),
      dir: fc.constantFrom('in', 'out') as fc.Arbitrary<'in' | 'out'>,
      kind: fc.constantFrom('text', 'binary', 'ping', 'head', 'middle', 'last', 'violation', 'compressed'),
      word: fc.constantFrom('alpha', 'beta', 'Gamma', 'ünï', 'x1', '{"k":1}', ''),
    });
    const query = fc.record({
      unit: fc.constantFrom('frames', 'messages') as fc.Arbitrary<'frames' | 'messages'>,
      pattern: fc.constantFrom('', 'alpha', 'a', '^beta', 'x1|gamma', 'ü', 'alpha beta', '"k"'),
      regex: fc.boolean(),
      caseSensitive: fc.boolean(),
      direction: fc.constantFrom(undefined, 'in', 'out') as fc.Arbitrary<'in' | 'out' | undefined>,
    });
    let splits = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 40, maxLength: 150 }),
        query,
        fc.nat(24),
        fc.nat(12),
        fc.integer({ min: 2, max: 12 }),
        async (pieces, q, evictTo, fromOffset, segmentRows) => {
          const store = new CaptureStore(1 << 30);
          const slabs = new Slabs(96);
          const late: Array<{ id: number; text: string }> = [];
          const add = (p: (typeof pieces)[number]): void => {
            const base = { conn: p.conn, dir: p.dir };
            switch (p.kind) {
              case 'text':
                return void append(store, { ...base, opcode: 1, payload: p.word }, slabs);
              case 'binary':
                return void append(store, { ...base, opcode: 2, payload: p.word }, slabs);
              case 'ping':
                return void append(store, { ...base, opcode: 9, payload: p.word }, slabs);
              case 'head':
                return void append(store, { ...base, opcode: 1, fin: false, payload: `${p.word} ` }, slabs);
              case 'middle':
                return void append(store, { ...base, opcode: 0, fin: false, payload: `${p.word} ` }, slabs);
              case 'last':
                return void append(store, { ...base, opcode: 0, fin: true, payload: p.word }, slabs);
              case 'violation':
                return void appendViolation(store, `bad ${p.word}`, p.conn, p.dir);
              case 'compressed': {
                // The inflated text arrives after the row (inflation is asynchronous): attached later.
                const id = append(store, { ...base, opcode: 1, rsv1: true, payload: new Uint8Array([0xf2, 0x48, 0xcd]) }, slabs);
                late.push({ id, text: `inflated ${p.word}` });
                return;
              }
            }
          };
          const copied = Math.ceil(pieces.length * 0.7);
          pieces.slice(0, copied).forEach(add);
          const { scanner, port } = await mirrored(store, segmentRows);
          // After copying: inflated content attached, more rows, an eviction.
          for (const { id, text } of late) store.attachInflated(id, new TextEncoder().encode(text));
          pieces.slice(copied).forEach(add);
          store.evictBefore(Math.min(evictTo, store.nextId));
          await settle();
          const frameQuery: FrameQuery = {
            unit: q.unit,
            direction: q.direction,
            text: q.pattern === '' ? undefined : { pattern: q.pattern, regex: q.regex, caseSensitive: q.caseSensitive },
          };
          const from = store.firstId + Math.min(fromOffset, 8);
          const single = await scanFrames(store, compiled(frameQuery), from, undefined);
          const split = await scanner.scan(compiled(frameQuery), frameQuery, from, undefined);
          expect(answer(split)).toEqual(answer(single));
          if (port.messages.some((m) => m.type === 'scan')) splits++;
          scanner.dispose();
        },
      ),
      { numRuns: 300 },
    );
    // Many runs did split (the others had too few rows copied, or evicted past the copy).
    expect(splits).toBeGreaterThan(100);
  });

  it('scans the whole range here when the worker answers with an error or dies, and stops using a dead one', async () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(200);
    for (let i = 0; i < 80; i++) append(store, { payload: `row ${i} ${i % 5 === 0 ? 'needle' : 'hay'}` }, slabs);
    const port = inProcessPort();
    let fail: (error: Error) => void = () => {};
    const dying: ScanPort = {
      ...port,
      post(message, transfer) {
        // Segments arrive; scans go unanswered until the worker dies.
        if (message.type !== 'scan') port.post(message, transfer);
        else setTimeout(() => fail(new Error('it exited with code 1')), 5);
      },
      onFailure: (l) => void (fail = l),
    };
    const { scanner } = await mirrored(store, 16, dying);
    expect(scanner.mirrored.to).toBe(40);
    const query: FrameQuery = { unit: 'frames', text: { pattern: 'needle', regex: false, caseSensitive: true } };
    const result = await scanner.scan(compiled(query), query, 0, undefined);
    expect(matchedIds(result)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75]);
    expect(scanner.failure).toMatch(/scan worker stopped: it exited with code 1/);
    expect(scanner.mirrored).toEqual({ from: 0, to: 0 });
    scanner.dispose();
  });

  it('lets go of rows the capture budget evicts as they go, not at the next scan', async () => {
    const store = new CaptureStore(100 * (64 + 12));
    const slabs = new Slabs(200);
    for (let i = 0; i < 100; i++) append(store, { payload: `row ${String(i).padStart(4, '0')}` }, slabs);
    const { scanner, port } = await mirrored(store, 16);
    expect(port.mirror.firstId).toBe(0);
    expect(port.mirror.nextId).toBe(50);
    // Capture goes on: the budget evicts the oldest rows, and the worker's copy follows.
    for (let i = 100; i < 130; i++) append(store, { payload: `row ${String(i).padStart(4, '0')}` }, slabs);
    await settle();
    expect(store.firstId).toBeGreaterThan(0);
    expect(port.mirror.firstId).toBe(store.firstId);
    expect(scanner.mirrored.from).toBe(store.firstId);
    scanner.dispose();
  });

  it('does not start a worker again after one failed, and filters by connection rightly meanwhile', async () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(200);
    for (let i = 0; i < 100; i++) append(store, { conn: i % 2 ? 'a' : 'b', payload: `row ${i}` }, slabs);
    let spawned = 0;
    const reasons: string[] = [];
    const timers = manualTimers();
    const scanner = new ParallelScanner(store, {
      spawn: () => {
        spawned++;
        const port = inProcessPort();
        let fail: (error: Error) => void = () => {};
        let segments = 0;
        return {
          ...port,
          post(message, transfer) {
            port.post(message, transfer);
            // The first worker dies after its first segment.
            if (message.type === 'segment' && spawned === 1 && ++segments === 1) fail(new Error('it exited with code 134'));
          },
          onFailure: (l) => void (fail = l),
        };
      },
      minRows: 4,
      segmentRows: 8,
      idleMs: 10,
      timers,
      onFailure: (reason) => reasons.push(reason),
    });
    await idleTurns(timers, 6);
    expect(spawned).toBe(1);
    expect(reasons).toEqual(['the scan worker stopped: it exited with code 134']);
    expect(scanner.copyTarget).toBe(0);
    const query: FrameQuery = { unit: 'frames', connectionIds: ['a'] };
    const result = await scanner.scan(compiled(query), query, 0, undefined);
    expect(result.matched).toBe(50);
    scanner.dispose();
  });

  it('answers in the right ids when rows are evicted while the worker fails its part', async () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(200);
    for (let i = 0; i < 80; i++) append(store, { payload: `row ${i} ${i % 5 === 0 ? 'needle' : 'hay'}` }, slabs);
    const port = inProcessPort();
    const failing: ScanPort = {
      ...port,
      post(message, transfer) {
        if (message.type !== 'scan') return port.post(message, transfer);
        // The worker's part fails, after capture evicted the three oldest rows.
        setTimeout(() => {
          store.evictBefore(3);
          port.mirror.receive({ ...message, fromId: -1 }, () => {});
          listeners.forEach((l) => l({ type: 'error', seq: message.seq, message: 'mirror holds less' }));
        }, 5);
      },
      onReply: (l) => {
        listeners.push(l);
        port.onReply(l);
      },
    };
    const listeners: Array<(reply: MirrorReply) => void> = [];
    const { scanner } = await mirrored(store, 16, failing);
    const query: FrameQuery = { unit: 'frames', text: { pattern: 'needle', regex: false, caseSensitive: true } };
    const result = await scanner.scan(compiled(query), query, 0, undefined);
    expect(result.fromId).toBe(3);
    expect(matchedIds(result)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75]);
    expect(answer(result)).toEqual(answer(await scanFrames(store, compiled(query), 0, undefined)));
    scanner.dispose();
  });

  it('stops waiting for the worker when the scan is superseded, and tells the worker to stop', async () => {
    const store = rowStore(80);
    const { port, silent } = withholdingScans();
    const { scanner } = await mirrored(store, 16, silent);
    let superseded = false;
    setTimeout(() => (superseded = true), 20);
    const query: FrameQuery = { unit: 'frames', text: { pattern: 'row', regex: false, caseSensitive: true } };
    const result = await scanner.scan(compiled(query), query, 0, undefined, { isCancelled: () => superseded });
    expect(result.cancelled).toBe(true);
    await settle();
    expect(port.messages.some((m) => m.type === 'cancel')).toBe(true);
    expect(scanner.failure).toBeNull();
    scanner.dispose();
  });

  it('lets go of a worker that stops answering, and scans its part here', async () => {
    const store = rowStore(80);
    const { silent } = withholdingScans();
    const { scanner } = await mirrored(store, 16, silent);
    const query: FrameQuery = { unit: 'frames', text: { pattern: 'row 1', regex: false, caseSensitive: true } };
    const result = await scanner.scan(compiled(query), query, 0, undefined, { budgetMs: 1 });
    expect(answer(result)).toEqual(answer(await scanFrames(store, compiled(query), 0, undefined)));
    expect(scanner.failure).toMatch(/did not answer within 2001 ms/);
    scanner.dispose();
  }, 10_000);

  it('follows a cleared store: the copy starts again from the oldest row', async () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(200);
    for (let i = 0; i < 60; i++) append(store, { payload: `first ${i}` }, slabs);
    const { scanner, port, timers } = await mirrored(store, 50);
    expect(scanner.mirrored).toEqual({ from: 0, to: 30 });
    store.clear();
    for (let i = 0; i < 60; i++) append(store, { payload: `second ${i}` }, slabs);
    await idleTurns(timers);
    expect(scanner.mirrored).toEqual({ from: 60, to: 90 });
    expect(port.mirror.firstId).toBe(60);
    const query: FrameQuery = { unit: 'frames', text: { pattern: 'second 1', regex: false, caseSensitive: true } };
    const split = await scanner.scan(compiled(query), query, 0, undefined);
    expect(answer(split)).toEqual(answer(await scanFrames(store, compiled(query), 0, undefined)));
    expect(matchedIds(split)).toEqual([61, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79]);
    scanner.dispose();
  });

  it('runs in a real worker thread', async () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(64 * 1024);
    for (let i = 0; i < 20_000; i++) append(store, { conn: `c${i % 4}`, payload: `{"seq":${i},"user":"trader${i % 97}","qty":${i % 1000}}` }, slabs);
    const port = spawnScanWorker();
    const scanner = new ParallelScanner(store, { spawn: () => port, minRows: 1000, segmentRows: 4096, idleMs: 20 });
    const deadline = Date.now() + 30_000;
    while (scanner.mirrored.to < 10_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(scanner.mirrored).toEqual({ from: 0, to: 10_000 });
    const query: FrameQuery = { unit: 'frames', connectionIds: ['c1', 'c2'], text: { pattern: '"user":"trader9\\d"', regex: true, caseSensitive: false } };
    const split = await scanner.scan(compiled(query), query, 0, undefined);
    const single = await scanFrames(store, compiled(query), 0, undefined);
    expect(answer(split)).toEqual(answer(single));
    expect(split.matched).toBeGreaterThan(100);
    expect(scanner.failure).toBeNull();
    scanner.dispose();
  }, 60_000);
});
