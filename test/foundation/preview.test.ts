import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { FIN_BIT, VIOLATION_BIT } from '../../src/shared/frame-bits';
import {
  cutReady,
  MAX_READY_CHARS,
  PREVIEW_BINARY,
  PREVIEW_READY,
  PREVIEW_TEXT,
  PreviewWriter,
  previewOf,
  previewStartOf,
  previewsOf,
  previewText,
  readPreview,
  readyPreviews,
} from '../../src/shared/preview';

const TEXT_FRAME_BITS = FIN_BIT | 0x1;
const BINARY_FRAME_BITS = FIN_BIT | 0x2;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('row previews on the wire', () => {
  it('writes a kind byte and the bytes per row, nothing for an empty row, and ends that chain the rows', () => {
    const w = new PreviewWriter(4, new Uint8Array(2)); // a tiny scratch array has to grow
    w.ready('héllo');
    w.ready('');
    w.raw(PREVIEW_BINARY, Uint8Array.of(9, 0xde, 0xad, 7), 1, 2);
    w.raw(PREVIEW_TEXT, utf8('abc'), 0, 0);
    const { previews, previewEnds } = w.finish();
    expect([...previewEnds]).toEqual([7, 7, 10, 10]);
    expect([...previews]).toEqual([PREVIEW_READY, ...utf8('héllo'), PREVIEW_BINARY, 0xde, 0xad]);
    expect(previewsOf({ previews, previewEnds, length: [6, 0, 2, 0], count: 4 })).toEqual(['héllo', '', 'de ad', '']);
  });

  it('formats raw rows from the row length: the … appears exactly when the payload was longer than what was kept', () => {
    const hex24 = Array(24).fill('ab').join(' ');
    const bytes = new Uint8Array(25).fill(0xab);
    const raw = (kind: 1 | 2, b: Uint8Array): Uint8Array => Uint8Array.of(kind, ...b);
    expect(readPreview(raw(PREVIEW_BINARY, bytes.subarray(0, 24)), 0, 25, 24)).toBe(hex24);
    expect(readPreview(raw(PREVIEW_BINARY, bytes.subarray(0, 24)), 0, 25, 1000)).toBe(`${hex24} …`);
    expect(readPreview(raw(PREVIEW_TEXT, utf8('x'.repeat(80))), 0, 81, 80)).toBe('x'.repeat(80));
    expect(readPreview(raw(PREVIEW_TEXT, utf8('x'.repeat(80))), 0, 81, 81)).toBe(`${'x'.repeat(80)}…`);
    // Text is cut and cleaned the way previewText does it, whatever the bytes.
    const text = utf8(`é\u0001${'y'.repeat(94)}`);
    expect(readPreview(raw(PREVIEW_TEXT, text), 0, text.length + 1, 5000)).toBe(previewText(text, false, 5000));
  });

  it('cuts ready text at 200 characters without splitting a surrogate pair, and keeps a byte-order mark', () => {
    expect(cutReady('a'.repeat(MAX_READY_CHARS))).toBe('a'.repeat(MAX_READY_CHARS));
    expect(cutReady('a'.repeat(MAX_READY_CHARS + 1))).toBe(`${'a'.repeat(199)}…`);
    expect(cutReady(`${'a'.repeat(198)}😀😀`)).toBe(`${'a'.repeat(198)}…`);
    const rows = readyPreviews(['\uFEFFbom', `${'a'.repeat(198)}😀😀`]);
    expect(previewsOf({ ...rows, length: [0, 0], count: 2 })).toEqual(['\uFEFFbom', `${'a'.repeat(198)}…`]);
  });

  it('copies a row from other preview columns as it is', () => {
    const from = readyPreviews(['one', 'twö']);
    const w = new PreviewWriter(2);
    w.copy(from, 1);
    w.copy(from, 0);
    expect(previewsOf({ ...w.finish(), length: [0, 0], count: 2 })).toEqual(['twö', 'one']);
  });
});

describe('CaptureStore.pack previews', () => {
  it('sends a payload’s first bytes raw, and reads back the same text previewText makes of the payload', () => {
    const store = new CaptureStore(1 << 20);
    const payloads: Array<[number, Uint8Array]> = [
      [BINARY_FRAME_BITS, Uint8Array.from({ length: 40 }, (_, i) => i * 7)],
      [BINARY_FRAME_BITS, Uint8Array.of(1, 2)],
      [TEXT_FRAME_BITS, utf8('short text')],
      [TEXT_FRAME_BITS, utf8(`${'long '.repeat(40)}end`)],
      [TEXT_FRAME_BITS, utf8(`ünïcödé\t${'ü'.repeat(60)}`)],
    ];
    for (const [bits, payload] of payloads) store.appendFrame('c1', 1, bits, payload.length, 0, payload, 0, undefined);
    const packed = store.pack(0, 10)!;
    expect(previewsOf(packed)).toEqual(payloads.map(([bits, p]) => previewText(p, bits === BINARY_FRAME_BITS)));
    // Raw kinds, and no more bytes than a preview can show: 24 of binary, 96 of text.
    const kindAndSize = Array.from({ length: packed.count }, (_, i) => {
      const start = previewStartOf(packed.previewEnds, i);
      return [packed.previews[start], packed.previewEnds[i] - start - 1];
    });
    expect(kindAndSize).toEqual([
      [PREVIEW_BINARY, 24],
      [PREVIEW_BINARY, 2],
      [PREVIEW_TEXT, 10],
      [PREVIEW_TEXT, 96],
      [PREVIEW_TEXT, 96],
    ]);
  });

  it('sends ready text for rows whose preview is not their payload: violations and inflated messages', () => {
    const store = new CaptureStore(1 << 20);
    store.appendFrame('c1', 1, VIOLATION_BIT, 0, 0, null, 0, {
      violation: { code: 'x', closeCode: 1002, rule: 'r', message: 'a reserved opcode (3)' },
    });
    const id = store.appendFrame('c1', 2, TEXT_FRAME_BITS, 5, 0, Uint8Array.of(1, 2, 3, 4, 5), 0, undefined);
    store.attachInflated(id, utf8('inflated text'));
    const packed = store.pack(0, 10)!;
    expect(packed.previews[0]).toBe(PREVIEW_READY);
    expect(previewOf(packed, 0)).toBe('a reserved opcode (3)');
    expect(packed.previews[packed.previewEnds[0]]).toBe(PREVIEW_READY);
    expect(previewOf(packed, 1)).toBe('inflated text');
  });

  it('packs a batch of long ready previews bigger than its scratch space, and the next batch after it, intact', () => {
    const store = new CaptureStore(1 << 30);
    const message = (i: number): string => `violation ${i} ${'ü'.repeat(190)}`;
    // ~400 bytes each: 12 000 rows need about 4.6 MiB, past the 4 MiB the scratch space is kept at.
    for (let i = 0; i < 12_000; i++) {
      store.appendFrame('c1', i, VIOLATION_BIT, 0, 0, null, 0, { violation: { code: 'x', closeCode: 1002, rule: 'r', message: message(i) } });
    }
    const big = store.pack(0, 12_000)!;
    expect(big.previews.length).toBeGreaterThan(4 << 20);
    for (const i of [0, 5_000, 11_999]) expect(previewOf(big, i)).toBe(cutReady(message(i)));
    store.appendFrame('c1', 1, TEXT_FRAME_BITS, 5, 0, utf8('after'), 0, undefined);
    const next = store.pack(12_000, 10)!;
    expect(previewsOf(next)).toEqual(['after']);
    // The first batch did not change under the second.
    expect(previewOf(big, 11_999)).toBe(cutReady(message(11_999)));
  });
});

describe('previewText', () => {
  it('drops a payload’s leading byte-order mark, as previews always did, and never ends on half a surrogate pair', () => {
    expect(previewText(Uint8Array.of(0xef, 0xbb, 0xbf, 0x68, 0x69), false)).toBe('hi');
    const text = utf8(`é${'x'.repeat(78)}😀yyyyy`);
    expect(previewText(text, false)).toBe(`é${'x'.repeat(78)}…`);
    // READY text keeps a leading U+FEFF: it is text the main side made, shown as it is.
    expect(previewsOf({ ...readyPreviews(['\uFEFFready']), length: [0], count: 1 })).toEqual(['\uFEFFready']);
  });
});
