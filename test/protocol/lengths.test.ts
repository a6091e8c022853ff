/** RFC 6455 §5.2 payload length encodings at their boundaries. */
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { encodeFrame } from '../../src/main/core/protocol/encoder';
import { decode, decodeChunks, expectBytes, frames, messages, splitAt, toHexString, violations } from './helpers';

const cases: Array<{ length: number; encoding: 7 | 16 | 64; header: string }> = [
  { length: 0, encoding: 7, header: '8200' },
  { length: 125, encoding: 7, header: '827d' },
  { length: 126, encoding: 16, header: '827e007e' },
  { length: 65535, encoding: 16, header: '827effff' },
  { length: 65536, encoding: 64, header: '827f0000000000010000' },
];

describe('payload length encodings', () => {
  for (const { length, encoding, header } of cases) {
    it(`uses the ${encoding}-bit encoding for a ${length}-byte payload`, () => {
      const payload = Uint8Array.from(Buffer.alloc(length, 'abcdefg'));
      const bytes = encodeFrame({ opcode: Opcode.Binary, payload });
      expect(toHexString(bytes.subarray(0, header.length / 2))).toBe(header);
      const events = decode(bytes, { from: 'server' });
      expect(violations(events)).toEqual([]);
      expect(frames(events)[0]).toMatchObject({ length, lengthEncoding: encoding, headerLength: header.length / 2 });
      expectBytes(messages(events)[0].data, payload);
    });

    it(`decodes a masked ${length}-byte client frame split in the middle of its header and payload`, () => {
      const payload = Uint8Array.from(Buffer.alloc(length, 'xyz\u00ff'));
      const bytes = encodeFrame({ opcode: Opcode.Binary, payload, mask: [1, 2, 3, 250] });
      const cuts = [1, Math.min(3, bytes.length), Math.floor(bytes.length / 2)].filter((c, i, a) => c < bytes.length && a.indexOf(c) === i).sort((a, b) => a - b);
      const events = decodeChunks(splitAt(bytes, cuts), { from: 'client' });
      expect(violations(events)).toEqual([]);
      expect(frames(events)[0]).toMatchObject({ length, lengthEncoding: encoding, masked: true });
      expectBytes(messages(events)[0].data, payload);
    });
  }

  it('reports a non-minimal 16-bit encoding of 125 bytes and keeps decoding', () => {
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(125), lengthEncoding: 16 });
    expect(toHexString(bytes.subarray(0, 4))).toBe('827e007d');
    const events = decode(bytes, { from: 'server' });
    expect(violations(events)).toMatchObject([{ code: 'WS_ERR_NON_MINIMAL_LENGTH', closeCode: 1002, offset: 0, fatal: false }]);
    expect(frames(events)[0]).toMatchObject({ length: 125, lengthEncoding: 16 });
    expect(messages(events)).toHaveLength(1);
  });

  it('reports a non-minimal 64-bit encoding of 65535 bytes and keeps decoding', () => {
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(65535), lengthEncoding: 64 });
    const events = decode(bytes, { from: 'server' });
    expect(violations(events)).toMatchObject([{ code: 'WS_ERR_NON_MINIMAL_LENGTH', fatal: false }]);
    expect(frames(events)[0]).toMatchObject({ length: 65535, lengthEncoding: 64 });
  });

  it('accepts the 64-bit encoding of 65536 bytes as minimal', () => {
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(65536), lengthEncoding: 64 });
    expect(violations(decode(bytes, { from: 'server' }))).toEqual([]);
  });
});
