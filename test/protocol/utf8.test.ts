/** The streaming, fail-fast UTF-8 validator (RFC 6455 §8.1, Unicode Table 3-7). */
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { Utf8Validator, decodeUtf8, findInvalidUtf8 } from '../../src/main/core/protocol/utf8';
import { hex } from './helpers';
import { utf8Arb } from './streams';

describe('Utf8Validator', () => {
  const cases: Array<[string, string, number]> = [
    ['ASCII', '48 65 6c 6c 6f', -1],
    ['2-, 3- and 4-byte sequences', 'c3 a9 e2 82 ac f0 9d 84 9e', -1],
    ['the largest code point U+10FFFF', 'f4 8f bf bf', -1],
    ['a stray continuation byte', '61 80', 1],
    ['C0, always overlong', 'c0 80', 0],
    ['C1, always overlong', 'c1 bf', 0],
    ['an overlong 3-byte sequence (E0 80..9F)', 'e0 9f bf', 1],
    ['an overlong 4-byte sequence (F0 80..8F)', 'f0 8f bf bf', 1],
    ['a surrogate (ED A0..BF)', '61 ed a0 80', 2],
    ['a code point above U+10FFFF (F4 90..)', 'f4 90 80 80', 1],
    ['F5, which never starts a sequence', 'f5 80 80 80', 0],
    ['FF', 'ff', 0],
    ['a missing continuation byte', 'e2 82 61', 2],
  ];
  for (const [name, bytes, at] of cases) {
    it(`${at === -1 ? 'accepts' : 'rejects'} ${name}${at === -1 ? '' : ` at byte ${at}`}`, () => {
      expect(new Utf8Validator().write(hex(bytes))).toBe(at);
      expect(findInvalidUtf8(hex(bytes))).toBe(at);
    });
  }

  it('carries a sequence across writes and knows when the input stops inside one', () => {
    const v = new Utf8Validator();
    expect(v.write(hex('61 f0 9d'))).toBe(-1);
    expect(v.complete).toBe(false);
    expect(v.write(hex('84'))).toBe(-1);
    expect(v.complete).toBe(false);
    expect(v.write(hex('9e 62'))).toBe(-1);
    expect(v.complete).toBe(true);
  });

  it('applies the narrowed second-byte range across a write boundary', () => {
    const v = new Utf8Validator();
    expect(v.write(hex('ed'))).toBe(-1);
    expect(v.write(hex('a0 80'))).toBe(0);
  });

  it('reports an index into the range it was given', () => {
    expect(new Utf8Validator().write(hex('ff ff 61 ff'), 2, 4)).toBe(3);
  });

  it('reports a truncated sequence at the end for one-shot checks', () => {
    expect(findInvalidUtf8(hex('61 e2 82'))).toBe(3);
  });

  it('agrees with simdutf (buffer.isUtf8) on random bytes, at every split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), (bytes, cutSeed) => {
        const cut = bytes.length === 0 ? 0 : cutSeed % (bytes.length + 1);
        const v = new Utf8Validator();
        const a = v.write(bytes, 0, cut);
        const b = a === -1 ? v.write(bytes, cut, bytes.length) : a;
        const valid = b === -1 && v.complete;
        expect(valid).toBe(isUtf8(bytes));
        if (!valid) expect(findInvalidUtf8(bytes)).toBe(b === -1 ? bytes.length : b);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with simdutf on valid text with one byte changed, streamed in two writes', () => {
    fc.assert(
      fc.property(utf8Arb(50), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (bytes, where, value, cutSeed) => {
        if (bytes.length > 0) bytes[where % bytes.length] = value;
        const cut = cutSeed % (bytes.length + 1);
        const v = new Utf8Validator();
        let at = v.write(bytes, 0, cut);
        if (at === -1) at = v.write(bytes, cut, bytes.length);
        expect(at === -1 && v.complete).toBe(isUtf8(bytes));
        // Fail-fast position: the prefix before it is a valid prefix, the prefix including it is not.
        if (at !== -1) {
          const before = new Utf8Validator();
          expect(before.write(bytes, 0, at)).toBe(-1);
          expect(new Utf8Validator().write(bytes, 0, at + 1)).toBe(at);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes validated text, keeping a byte order mark', () => {
    expect(decodeUtf8(hex('ef bb bf c3 a9'))).toBe('\ufeffé');
  });
});
