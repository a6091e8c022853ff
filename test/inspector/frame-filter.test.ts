import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { compileQuery, firstIdsAfter, matchedIds, messageAround, scanFrames } from '../../src/main/core/capture/frame-filter';
import type { FrameQuery } from '../../src/shared/contract';
import { append, appendViolation, newStore, Slabs } from './rows';

async function ids(store: CaptureStore, query: FrameQuery, fromId = 0, options = {}): Promise<number[]> {
  const compiled = compileQuery(query);
  if (!compiled.ok) throw new Error(compiled.error);
  const result = await scanFrames(store, compiled.value, fromId, undefined, { yieldTo: async () => undefined, ...options });
  return [...matchedIds(result), ...(result.lateMatches ?? [])].sort((a, b) => a - b);
}

describe('the frame filter, run where the payloads are', () => {
  it('matches text anywhere in the payload, not only in the preview', async () => {
    const store = newStore();
    const slabs = new Slabs();
    append(store, { payload: `${'x'.repeat(500)}needle${'y'.repeat(500)}` }, slabs);
    append(store, { payload: 'no match here' }, slabs);
    append(store, { payload: 'NEEDLE at the start' }, slabs);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'needle', regex: false, caseSensitive: false } })).toEqual([0, 2]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'needle', regex: false, caseSensitive: true } })).toEqual([0]);
  });

  it('runs regular expressions with anchors per payload, not across the shared buffer', async () => {
    const store = newStore();
    const slabs = new Slabs();
    append(store, { payload: 'alpha' }, slabs);
    append(store, { payload: 'beta' }, slabs);
    append(store, { payload: 'alphabet' }, slabs);
    expect(await ids(store, { unit: 'frames', text: { pattern: '^a.*a$', regex: true, caseSensitive: true } })).toEqual([0]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'alpha$', regex: true, caseSensitive: true } })).toEqual([0]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'a\\w*a', regex: true, caseSensitive: true } })).toEqual([0, 2]);
  });

  it('decodes UTF-8 for non-ASCII payloads, and finds non-ASCII patterns', async () => {
    const store = newStore();
    const slabs = new Slabs();
    append(store, { payload: 'héllo wörld' }, slabs);
    append(store, { payload: 'hello world' }, slabs);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'h.llo', regex: true, caseSensitive: true } })).toEqual([0, 1]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'WÖRLD', regex: false, caseSensitive: false } })).toEqual([0]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'wörld', regex: false, caseSensitive: true } })).toEqual([0]);
  });

  it('classes rows with reserved opcodes (an imported capture can hold them) as violations', async () => {
    const store = newStore();
    append(store, { opcode: 3, payload: 'reserved data opcode' });
    append(store, { opcode: 0xb, payload: 'reserved control opcode' });
    append(store, { opcode: 2, payload: 'binary' });
    append(store, { opcode: 0xa, payload: 'pong' });
    expect(await ids(store, { unit: 'frames', classes: ['violation'] })).toEqual([0, 1]);
    expect(await ids(store, { unit: 'frames', classes: ['binary'] })).toEqual([2]);
    expect(await ids(store, { unit: 'frames', classes: ['control'] })).toEqual([3]);
    expect(await ids(store, { unit: 'frames', classes: ['violation'], text: { pattern: 'control', regex: false, caseSensitive: false } })).toEqual([1]);
  });

  it('filters by direction, class, connection and time', async () => {
    const store = newStore();
    append(store, { conn: 'c1', dir: 'out', opcode: 1, payload: 'a', time: 100 });
    append(store, { conn: 'c1', dir: 'in', opcode: 2, payload: 'b', time: 200 });
    append(store, { conn: 'c2', dir: 'in', opcode: 9, payload: '', time: 300 });
    appendViolation(store, 'reserved opcode', 'c2');
    append(store, { conn: 'c2', dir: 'out', opcode: 8, payload: new Uint8Array([3, 232]), time: 500, extras: { closeCode: 1000, closeReason: '' } });
    expect(await ids(store, { unit: 'frames', direction: 'out' })).toEqual([0, 4]);
    expect(await ids(store, { unit: 'frames', classes: ['control'] })).toEqual([2, 4]);
    expect(await ids(store, { unit: 'frames', classes: ['violation', 'binary'] })).toEqual([1, 3]);
    expect(await ids(store, { unit: 'frames', connectionIds: ['c2'] })).toEqual([2, 3, 4]);
    expect(await ids(store, { unit: 'frames', fromTime: 150, toTime: 300 })).toEqual([1, 2]);
    expect(await ids(store, { unit: 'frames', text: { pattern: '1000', regex: false, caseSensitive: true } })).toEqual([4]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'reserved', regex: false, caseSensitive: true } })).toEqual([3]);
  });

  it('gives a continuation frame the class of its message, even when the scan starts at it', async () => {
    const store = newStore();
    append(store, { dir: 'in', opcode: 2, fin: false, payload: 'bin-1' });
    append(store, { dir: 'out', opcode: 1, payload: 'other direction' });
    append(store, { dir: 'in', opcode: 9, payload: '' }); // a ping between fragments (RFC 6455 §5.4)
    append(store, { dir: 'in', opcode: 0, fin: true, payload: 'bin-2' });
    expect(await ids(store, { unit: 'frames', classes: ['binary'] })).toEqual([0, 3]);
    expect(await ids(store, { unit: 'frames', classes: ['binary'] }, 3)).toEqual([3]);
    expect(await ids(store, { unit: 'frames', classes: ['text'] }, 3)).toEqual([]);
  });

  it('in messages unit, folds fragments into the first frame and judges the whole message', async () => {
    const store = newStore();
    append(store, { opcode: 1, fin: false, payload: 'hello ' });
    append(store, { opcode: 0, fin: false, payload: 'wide ' });
    append(store, { opcode: 9, payload: 'ping' });
    append(store, { opcode: 0, fin: true, payload: 'world' });
    append(store, { opcode: 1, payload: 'single' });
    const q: FrameQuery = { unit: 'messages' };
    expect(await ids(store, q)).toEqual([0, 2, 4]);
    // "wide world" spans two fragments: only the assembled message contains it.
    expect(await ids(store, { ...q, text: { pattern: 'wide world', regex: false, caseSensitive: true } })).toEqual([0]);
    const compiled = compileQuery(q);
    if (!compiled.ok) throw new Error();
    const result = await scanFrames(store, compiled.value, 0, undefined);
    // The row stands for the whole message, so its preview is the joined payloads, not the head's part.
    expect(result.messages).toEqual([{ headId: 0, lastId: 3, frames: 3, length: 16, complete: true, preview: 'hello wide world' }]);
  });

  it('previews a fragmented message from its own frames only, and an unfinished one not at all', async () => {
    const store = newStore();
    append(store, { conn: 'a', opcode: 2, fin: false, payload: new Uint8Array([0xde, 0xad]) });
    append(store, { conn: 'b', opcode: 0, fin: false, payload: 'other connection' });
    append(store, { conn: 'a', opcode: 0, fin: true, payload: new Uint8Array([0xbe, 0xef]) });
    append(store, { conn: 'a', opcode: 1, fin: false, payload: 'still ' });
    const compiled = compileQuery({ unit: 'messages' });
    if (!compiled.ok) throw new Error();
    const result = await scanFrames(store, compiled.value, 0, undefined);
    expect(result.messages?.find((m) => m.headId === 0)?.preview).toBe('de ad be ef');
    expect(result.messages?.find((m) => m.headId === 3)?.preview).toBeUndefined();
    // A continuation with no head (evicted, or never sent) is a row of its own, not a crash.
    expect(matchedIds(result)).toEqual([0, 1, 3]);
  });

  it('finds the same message whether a scan starts before its first frame or after it, violations between its frames or not', async () => {
    const store = newStore();
    append(store, { opcode: 1, fin: false, payload: 'hello ' });
    appendViolation(store, 'control frame over 125 bytes');
    append(store, { opcode: 0, fin: true, payload: 'world' });
    const compiled = compileQuery({ unit: 'messages', text: { pattern: 'hello world', regex: false, caseSensitive: true } });
    if (!compiled.ok) throw new Error();
    const whole = await scanFrames(store, compiled.value, 0, undefined);
    expect(matchedIds(whole)).toEqual([0]);
    const fromMiddle = await scanFrames(store, compiled.value, 1, undefined);
    expect(fromMiddle.lateMatches).toEqual([0]);
    expect(fromMiddle.messages?.[0]).toMatchObject({ headId: 0, lastId: 2, frames: 2, complete: true });
  });

  it('reports a fragmented message that completes after the range it started in as a late match', async () => {
    const store = newStore();
    append(store, { opcode: 1, fin: false, payload: 'part one, ' });
    const compiled = compileQuery({ unit: 'messages', text: { pattern: 'one, part two', regex: false, caseSensitive: true } });
    if (!compiled.ok) throw new Error();
    const first = await scanFrames(store, compiled.value, 0, undefined);
    expect(matchedIds(first)).toEqual([]);
    append(store, { opcode: 0, fin: true, payload: 'part two' });
    const second = await scanFrames(store, compiled.value, first.scannedTo, undefined);
    expect(second.lateMatches).toEqual([0]);
  });

  it('searches the inflated text of compressed messages, not their DEFLATE bytes', async () => {
    const store = newStore();
    const inflated = new TextEncoder().encode('{"event":"trade","price":42}');
    append(store, { opcode: 1, rsv1: true, fin: true, payload: new Uint8Array([0xaa, 0xbb, 0xcc]), extras: { inflated } });
    append(store, { opcode: 1, rsv1: true, fin: false, payload: new Uint8Array([0x74, 0x72, 0x61, 0x64, 0x65]) }); // "trade" in raw bytes
    append(store, { opcode: 0, fin: true, payload: new Uint8Array([1]), extras: { inflated: new TextEncoder().encode('quote') } });
    expect(await ids(store, { unit: 'frames', text: { pattern: 'trade', regex: false, caseSensitive: true } })).toEqual([0]);
    expect(await ids(store, { unit: 'frames', text: { pattern: 'quote', regex: false, caseSensitive: true } })).toEqual([2]);
    expect(await ids(store, { unit: 'messages', text: { pattern: 'quote', regex: false, caseSensitive: true } })).toEqual([1]);
  });

  it('answers part of a long scan within its budget, and the rest from scannedTo', async () => {
    const store = newStore();
    const slabs = new Slabs(1 << 16);
    for (let i = 0; i < 20_000; i++) append(store, { payload: `row ${i}` }, slabs);
    const compiled = compileQuery({ unit: 'frames', text: { pattern: 'row \\d*7$', regex: true, caseSensitive: true } });
    if (!compiled.ok) throw new Error();
    let t = 0;
    const partial = await scanFrames(store, compiled.value, 0, undefined, { now: () => (t += 1), budgetMs: 3, yieldTo: async () => undefined });
    expect(partial.done).toBe(false);
    expect(partial.scannedTo).toBeGreaterThan(0);
    const rest = await scanFrames(store, compiled.value, partial.scannedTo, undefined);
    expect(rest.done).toBe(true);
    expect([...matchedIds(partial), ...matchedIds(rest)]).toHaveLength(2000);
  });

  it('stops when cancelled, and skips rows evicted while it yielded', async () => {
    const store = new CaptureStore(20_000 * 65 + 1000);
    const slabs = new Slabs();
    for (let i = 0; i < 20_000; i++) append(store, { payload: 'x' }, slabs);
    const compiled = compileQuery({ unit: 'frames', direction: 'in' });
    if (!compiled.ok) throw new Error();
    const stopped = await scanFrames(store, compiled.value, 0, undefined, { isCancelled: () => true, sliceMs: 0 });
    expect(stopped.cancelled).toBe(true);
    let evicted = false;
    const result = await scanFrames(store, compiled.value, store.firstId, undefined, {
      sliceMs: 0,
      yieldTo: async () => {
        if (!evicted) for (let i = 0; i < 5000; i++) append(store, { payload: 'y' }, slabs);
        evicted = true;
      },
    });
    expect(result.firstId).toBeGreaterThan(4096);
    // Rows evicted before the scan reached them are not reported as matches.
    expect(matchedIds(result).filter((id) => id >= 4096 && id < result.firstId)).toEqual([]);
    expect(matchedIds(result).length).toBeGreaterThan(0);
  });

  it('refuses a bad query in words', () => {
    expect(compileQuery({ unit: 'frames', text: { pattern: '[', regex: true, caseSensitive: false } })).toMatchObject({ ok: false });
    expect(compileQuery({ unit: 'rows' as never })).toMatchObject({ ok: false, error: expect.stringContaining('unit') });
    expect(compileQuery({ unit: 'frames', fromTime: 5, toTime: 1 })).toMatchObject({ ok: false });
  });

  it('refuses classes, directions and connection lists it does not know instead of ignoring them', () => {
    // Names of Object.prototype members are not classes either.
    for (const c of ['constructor', 'toString', 'ping']) {
      expect(compileQuery({ unit: 'frames', classes: [c as never] })).toMatchObject({ ok: false, error: expect.stringContaining(`unknown class "${c}"`) });
    }
    expect(compileQuery({ unit: 'frames', classes: 'text' as never })).toMatchObject({ ok: false, error: expect.stringContaining('classes') });
    expect(compileQuery({ unit: 'frames', direction: 'inbound' as never })).toMatchObject({ ok: false, error: expect.stringContaining('direction') });
    expect(compileQuery({ unit: 'frames', connectionIds: 'c1' as never })).toMatchObject({ ok: false, error: expect.stringContaining('connectionIds') });
    expect(compileQuery({ unit: 'frames', connectionIds: [1] as never })).toMatchObject({ ok: false, error: expect.stringContaining('connectionIds') });
    expect(compileQuery({ unit: 'frames', direction: 'out', classes: ['text', 'control'], connectionIds: ['c1'] })).toMatchObject({ ok: true });
  });

  // Whatever the rows and the query, the scan gives what a plain per-row filter over decoded payloads gives.
  it('agrees with a naive filter (property)', async () => {
    const words = ['alpha', 'beta', 'Gamma', 'ALPHA', 'ünï', 'x1', 'y22', '{"k":1}', '{"K":2}', ''];
    const row = fc.record({
      conn: fc.constantFrom('c1', 'c2'),
      dir: fc.constantFrom('in', 'out') as fc.Arbitrary<'in' | 'out'>,
      opcode: fc.constantFrom(1, 2, 9),
      words: fc.array(fc.constantFrom(...words), { maxLength: 4 }),
    });
    const query = fc.record({
      pattern: fc.constantFrom('alpha', 'a', 'ET', '^beta', 'y2+$', 'ü', '"k"', 'x1|gamma', '\\d', '"K":\\d'),
      regex: fc.boolean(),
      caseSensitive: fc.boolean(),
      direction: fc.constantFrom(undefined, 'in', 'out') as fc.Arbitrary<'in' | 'out' | undefined>,
      // Both forms of a case-insensitive search (see lowerForLowercaseText) must find the same rows.
      lowered: fc.constantFrom('always', 'never') as fc.Arbitrary<'always' | 'never'>,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 40 }), query, async (rows, q) => {
        const store = newStore();
        const slabs = new Slabs(256);
        const texts = rows.map((r) => r.words.join(' '));
        rows.forEach((r, i) => append(store, { conn: r.conn, dir: r.dir, opcode: r.opcode, payload: texts[i] }, slabs));
        const source = q.regex ? q.pattern : q.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const re = new RegExp(source, q.caseSensitive ? '' : 'i');
        const expected = rows.flatMap((r, i) => ((!q.direction || r.dir === q.direction) && re.test(texts[i]) ? [i] : []));
        const got = await ids(store, { unit: 'frames', direction: q.direction, text: { pattern: q.pattern, regex: q.regex, caseSensitive: q.caseSensitive } }, 0, {
          lowered: q.lowered,
        });
        expect(got).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });
});

describe('deciding many payloads with one search over their buffer', () => {
  it('is used only for regexes that look at nothing but what they consume, with bounded repetition', async () => {
    const { isContextFree } = await import('../../src/main/core/capture/text-matcher');
    expect(['\\d{7}', '"qty":(99|100)\\d,', 'a\\w+b', '[a-f0-9]{8}', 'x.{0,3}y', 'fill|reject'].map(isContextFree)).toEqual([true, true, true, true, true, true]);
    expect(['^a', 'a$', '\\bword', '(?=a)b', '(a)\\1', 'a.*b', '[^"]+', '(ab)+', '\\S+', 'x.{2,}'].map(isContextFree)).toEqual(Array(10).fill(false));
  });

  it('writes a counted repeat of one simple atom out in full, and leaves everything else as it was', async () => {
    const { unrollCountedRepeats } = await import('../../src/main/core/capture/text-matcher');
    expect(unrollCountedRepeats('\\d{7}')).toBe('\\d\\d\\d\\d\\d\\d\\d');
    expect(unrollCountedRepeats('^\\{"seq":12\\d{4},')).toBe('^\\{"seq":12\\d\\d\\d\\d,');
    expect(unrollCountedRepeats('[a-f0-9]{2}x{3}')).toBe('[a-f0-9][a-f0-9]xxx');
    expect(unrollCountedRepeats('\\\\{2}')).toBe('\\\\\\\\');
    // Groups, ranges, lazy repeats, multi-character escapes, an escaped brace, [] and [^] (JavaScript's empty and any class), huge counts.
    for (const same of ['(ab){3}', 'x.{0,3}y', 'a{2}?', '\\x41{3}', '\\u0041{2}', '\\u{41}{2}', 'a\\{3}', '[]a]{2}', '[^]]{2}', 'é{2}', '\\d{33}', '\\k<n>{2}', '\\b{2}']) {
      expect(unrollCountedRepeats(same)).toBe(same);
    }
  });

  it('unrolls only into the same regular expression (property: same matches at the same places)', async () => {
    const { unrollCountedRepeats } = await import('../../src/main/core/capture/text-matcher');
    const atom = fc.constantFrom('a', 'b', '\\d', '\\w', '.', '[ab]', '[^a]', '\\.', '(a|b)', '\\x61', '\\u0062', '[]', '[^]', ']', '\\\\', '-', '\\{');
    const quantifier = fc.constantFrom('', '{2}', '{3}', '{1}', '*', '+', '?', '{2}?', '{1,2}');
    const source = fc.array(fc.tuple(atom, quantifier), { minLength: 1, maxLength: 5 }).map((parts) => parts.map(([a, q]) => a + q).join(''));
    const text = fc.array(fc.constantFrom('a', 'b', '1', '.', 'x', '-', ']', '\\', '{', '\n'), { maxLength: 12 }).map((c) => c.join(''));
    await fc.assert(
      fc.property(source, fc.array(text, { minLength: 1, maxLength: 8 }), fc.constantFrom('g', 'gi', 'gs'), (pattern, texts, flags) => {
        const original = new RegExp(pattern, flags);
        const unrolled = new RegExp(unrollCountedRepeats(pattern), flags);
        for (const t of texts) {
          const found = (re: RegExp): string[] => [...t.matchAll(re)].map((m) => `${m.index}:${m[0]}`);
          expect(found(unrolled)).toEqual(found(original));
        }
      }),
      { numRuns: 3000 },
    );
  });

  // Payloads packed back to back, so a match can run from one into the next: the answer per
  // payload must still be what the regex gives on that payload alone.
  it('agrees with a naive filter when payloads touch (property)', async () => {
    // Capitals too: a case-insensitive sweep runs lowered where a buffer has few, and a payload holding one is tested whole.
    const piece = fc.constantFrom('a', 'b', '1', '2', '7', ' ', '"', ':', 'é', 'xy', 'A', 'XY');
    const payload = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
    const pattern = fc.constantFrom('\\d{2}', 'a\\w*b', '[ab]{2}', '7|ab', 'b\\s?1', '\\d+7', 'x.{0,2}a', '"\\w', 'é\\d', '[0-9a]{3}', 'XY?a', 'a(?:b|Y)', 'A\\x41');
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { maxLength: 30 }), pattern, fc.boolean(), fc.constantFrom('always', 'never'), async (texts, source, caseSensitive, lowered) => {
        const store = newStore();
        const slabs = new Slabs(64, false);
        texts.forEach((t) => append(store, { payload: t }, slabs));
        const re = new RegExp(source, caseSensitive ? '' : 'i');
        const expected = texts.flatMap((t, i) => (re.test(t) ? [i] : []));
        expect(await ids(store, { unit: 'frames', text: { pattern: source, regex: true, caseSensitive } }, 0, { lowered })).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('around a frame', () => {
  it('finds the message a middle fragment belongs to, and its whole text', () => {
    const store = newStore();
    append(store, { opcode: 1, fin: false, payload: 'ab' });
    append(store, { opcode: 0, fin: false, payload: 'cd' });
    append(store, { opcode: 0, fin: true, payload: 'ef' });
    const m = messageAround(store.scanColumns(), 1)!;
    expect(m).toMatchObject({ headId: 0, lastId: 2, frames: 3, opcode: 1, wireLength: 6, complete: true });
    expect(new TextDecoder().decode(m.bytes)).toBe('abcdef');
    expect(messageAround(store.scanColumns(), 5)).toBeNull();
  });

  it('places a time before the first frame captured after it', () => {
    const store = newStore();
    for (const time of [10, 20, 20, 30]) append(store, { payload: 'x', time });
    const cols = store.scanColumns();
    expect(firstIdsAfter(cols, [5, 10, 20, 25, 30, 99])).toEqual([0, 1, 3, 3, 4, 4]);
  });

  it('places times among rows whose times are out of order (an imported HAR after live rows)', () => {
    const store = newStore();
    // Live rows at 100..130, then a HAR imported with times 10..30, then live rows again at 200, 210.
    for (const time of [100, 110, 120, 130, 10, 20, 30, 200, 210]) append(store, { payload: 'x', time });
    const cols = store.scanColumns();
    // A time's place: the first row by which something later than it was captured.
    expect(firstIdsAfter(cols, [115, 5, 25, 150, 205, 999, 130])).toEqual([2, 0, 0, 7, 8, 9, 7]);
    // Asked one by one or all at once, the same answers.
    expect([115, 5, 25, 150, 205, 999, 130].map((t) => firstIdsAfter(cols, [t])[0])).toEqual([2, 0, 0, 7, 8, 9, 7]);
  });
});
