/** The crafter builds any frame, valid or not; only impossible requests throw. */
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { FrameDecoder } from '../../src/main/core/protocol/decoder';
import { applyMask, closePayload, encodeFrame, encodeFrames, fragment, minimalLengthEncoding } from '../../src/main/core/protocol/encoder';
import { decode, expectBytes, frames, hex, messages, toHexString, violations } from './helpers';

describe('encodeFrame', () => {
  it('sets FIN, RSV1-3 and any opcode 0-15, reserved ones included', () => {
    for (let opcode = 0; opcode < 16; opcode++) {
      expect(encodeFrame({ opcode, fin: false })[0]).toBe(opcode);
      expect(encodeFrame({ opcode, rsv1: true, rsv2: true, rsv3: true })[0]).toBe(0xf0 | opcode);
    }
  });

  it('masks with a chosen key (RFC 6455 §5.3) and with a fresh random key per frame', () => {
    expect(toHexString(encodeFrame({ opcode: Opcode.Text, payload: 'Hello', mask: [0x37, 0xfa, 0x21, 0x3d] }))).toBe('818537fa213d7f9f4d5158');
    const a = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(8), mask: 'random' });
    const b = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(8), mask: 'random' });
    expect(a[1]).toBe(0x88);
    expect(toHexString(a.subarray(2, 6))).not.toBe(toHexString(b.subarray(2, 6)));
    // Masking zeros writes the key itself, repeated.
    expect(toHexString(a.subarray(6))).toBe(toHexString(a.subarray(2, 6)).repeat(2));
  });

  it('writes a declared length that differs from the real payload', () => {
    const bytes = encodeFrame({ opcode: Opcode.Text, payload: 'abc', declaredLength: 10 });
    expect(toHexString(bytes)).toBe('810a616263');
    // The decoder waits for the 7 missing bytes, then reports the stream truncated.
    expect(violations(decode(bytes, { from: 'server' }))).toMatchObject([{ code: 'WS_ERR_TRUNCATED_FRAME', offset: 0 }]);
    // A shorter declared length makes the rest of the payload the next "frame".
    const short = decode(encodeFrame({ opcode: Opcode.Text, payload: hex('61 62 81 00'), declaredLength: 2 }), { from: 'server' });
    expect(frames(short).map((f) => f.length)).toEqual([2, 0]);
  });

  it('forces non-minimal length encodings on purpose', () => {
    expect(toHexString(encodeFrame({ opcode: Opcode.Binary, payload: 'a', lengthEncoding: 16 }))).toBe('827e000161');
    expect(toHexString(encodeFrame({ opcode: Opcode.Binary, payload: 'a', lengthEncoding: 64 }))).toBe('827f000000000000000161');
    expect(toHexString(encodeFrame({ opcode: Opcode.Binary, declaredLength: 2n ** 64n - 1n }))).toBe('827fffffffffffffffff');
  });

  it('throws for requests that cannot be put into bits', () => {
    expect(() => encodeFrame({ opcode: 16 })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: -1 })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: 1, declaredLength: 126, lengthEncoding: 7 })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: 1, declaredLength: 65536, lengthEncoding: 16 })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: 1, declaredLength: 2n ** 64n })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: 1, mask: [1, 2, 3] })).toThrow(RangeError);
  });

  it('picks the minimal length encoding by default', () => {
    expect([0, 125, 126, 65535, 65536].map(minimalLengthEncoding)).toEqual([7, 7, 16, 16, 64]);
  });
});

describe('fragment', () => {
  it('splits a message into N frames: opcode first, continuations after, FIN last', () => {
    const specs = fragment('Hello, world', 3, { mask: 'random' });
    expect(specs.map((s) => [s.opcode, s.fin])).toEqual([[1, false], [0, false], [0, true]]);
    const events = decode(encodeFrames(specs), { from: 'client' });
    expect(messages(events)).toMatchObject([{ text: 'Hello, world', frames: 3 }]);
  });

  it('makes empty fragments when there are more frames than bytes, and RSV1 only on the first', () => {
    const specs = fragment(new Uint8Array([1, 2]), 4, { rsv1: true });
    expect(specs.map((s) => (s.payload as Uint8Array).length)).toEqual([1, 1, 0, 0]);
    expect(specs.map((s) => s.rsv1)).toEqual([true, false, false, false]);
    expect(() => fragment('x', 0)).toThrow(RangeError);
  });
});

describe('closePayload', () => {
  it('writes the status code in network byte order, then the UTF-8 reason (RFC 6455 §5.5.1)', () => {
    expect(toHexString(closePayload(1000, 'bye'))).toBe('03e8627965');
    expect(toHexString(closePayload(4999))).toBe('1387');
    expect(closePayload()).toHaveLength(0);
  });

  it('writes invalid codes too, for crafting', () => {
    expect(toHexString(closePayload(1005))).toBe('03ed');
    expect(() => closePayload(65536)).toThrow(RangeError);
    expect(() => closePayload(undefined, 'reason without code')).toThrow(RangeError);
  });
});

describe('applyMask', () => {
  it('is its own inverse at every size and source offset', () => {
    const key = hex('37 fa 21 3d');
    for (const n of [0, 1, 3, 4, 5, 63, 64, 1023, 1024, 1027, 5000]) {
      const src = Uint8Array.from({ length: n + 3 }, (_, i) => (i * 13) & 0xff);
      const masked = new Uint8Array(n);
      applyMask(masked, src, 3, n, key);
      for (let i = 0; i < Math.min(n, 16); i++) expect(masked[i]).toBe(src[3 + i] ^ key[i & 3]);
      const back = new Uint8Array(n);
      applyMask(back, masked, 0, n, key);
      expectBytes(back, src.subarray(3));
      applyMask(masked, masked, 0, n, key); // in place
      expectBytes(masked, src.subarray(3));
    }
  });
});

describe('round trip', () => {
  it('decodes crafted masked frames of many sizes back to their payloads', () => {
    const d = new FrameDecoder({ from: 'client' });
    for (const n of [0, 1, 2, 3, 4, 7, 8, 125, 126, 4095, 4096, 4097, 70000]) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 131) & 0xff);
      const events = d.push(encodeFrame({ opcode: Opcode.Binary, payload, mask: 'random' }));
      expect(violations(events)).toEqual([]);
      expectBytes(messages(events)[0].data, payload);
    }
  });
});
