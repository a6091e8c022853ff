/**
 * The malformed-frame corpus: one case (at least) per violation code, each
 * checked for code, close code, offset and fatality, byte at a time too.
 */
import { describe, expect, it } from 'vitest';
import type { ViolationCode } from '../../src/main/core/protocol/constants';
import { Opcode, VIOLATIONS } from '../../src/main/core/protocol/constants';
import { FrameDecoder, type FrameDecoderOptions } from '../../src/main/core/protocol/decoder';
import { closePayload, encodeFrame, encodeFrames } from '../../src/main/core/protocol/encoder';
import { DEFLATE, concatBytes, decode, decodeByteByByte, frames, hex, messages, normalise, violations } from './helpers';

interface Case {
  name: string;
  bytes: Uint8Array;
  options: FrameDecoderOptions;
  code: ViolationCode;
  offset: number;
  /** Frames decoded before the decoder stopped (or in all, for non-fatal findings). */
  frames?: number;
}

const server = { from: 'server' } as const;
const client = { from: 'client' } as const;
const A = '81 01 61'; // a valid 3-byte server text frame "a"

const corpus: Case[] = [
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => ({
    name: `reports a violation for reserved opcode 0x${op.toString(16)}`,
    bytes: hex(`${A} ${(0x80 | op).toString(16)} 00`),
    options: server,
    code: 'WS_ERR_INVALID_OPCODE' as const,
    offset: 3,
    frames: 1,
  })),
  { name: 'reports a violation when RSV1 is set without a negotiated extension', bytes: hex('c1 01 61'), options: server, code: 'WS_ERR_UNEXPECTED_RSV_1', offset: 0 },
  { name: 'reports a violation when RSV2 is set', bytes: hex(`${A} a1 01 61`), options: server, code: 'WS_ERR_UNEXPECTED_RSV_2_3', offset: 3, frames: 1 },
  { name: 'reports a violation when RSV3 is set', bytes: hex('91 01 61'), options: server, code: 'WS_ERR_UNEXPECTED_RSV_2_3', offset: 0 },
  { name: 'reports a violation when RSV2 is set even with permessage-deflate', bytes: hex('e1 01 00'), options: { from: 'server', deflate: DEFLATE }, code: 'WS_ERR_UNEXPECTED_RSV_2_3', offset: 0 },
  { name: 'reports a violation when RSV1 is set on a control frame under permessage-deflate', bytes: hex('c9 00'), options: { from: 'server', deflate: DEFLATE }, code: 'WS_ERR_RSV1_NOT_FIRST_FRAME', offset: 0 },
  {
    name: 'reports a violation when RSV1 is set on a continuation frame under permessage-deflate',
    bytes: hex('41 03 f2 48 cd c0 04 c9 c9 07 00'),
    options: { from: 'server', deflate: DEFLATE },
    code: 'WS_ERR_RSV1_NOT_FIRST_FRAME',
    offset: 5,
    frames: 1,
  },
  { name: 'reports a violation for a continuation frame with nothing to continue', bytes: hex(`${A} 80 01 62`), options: server, code: 'WS_ERR_UNEXPECTED_CONTINUATION', offset: 3, frames: 1 },
  { name: 'reports a violation for a new data frame inside a fragmented message', bytes: hex('01 01 61 82 01 62'), options: server, code: 'WS_ERR_EXPECTED_CONTINUATION', offset: 3, frames: 1 },
  { name: 'reports a violation for a fragmented ping (FIN clear)', bytes: hex('09 00'), options: server, code: 'WS_ERR_EXPECTED_FIN', offset: 0 },
  {
    name: 'reports a violation for a ping longer than 125 bytes',
    bytes: encodeFrame({ opcode: Opcode.Ping, payload: new Uint8Array(126) }),
    options: server,
    code: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    offset: 0,
  },
  { name: 'reports a violation for a close frame with a 1-byte body', bytes: hex('88 01 03'), options: server, code: 'WS_ERR_INVALID_CLOSE_PAYLOAD_LENGTH', offset: 0 },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) => ({
    name: `reports a violation for close code ${code}`,
    bytes: encodeFrame({ opcode: Opcode.Close, payload: closePayload(code, 'x') }),
    options: server,
    code: 'WS_ERR_INVALID_CLOSE_CODE' as const,
    offset: 2, // where the status code is
    frames: 1,
  })),
  { name: 'reports a violation for a close reason that is not UTF-8', bytes: hex('88 05 03 e8 61 ff 62'), options: server, code: 'WS_ERR_INVALID_CLOSE_REASON_UTF8', offset: 5, frames: 1 },
  { name: 'reports a violation for an unmasked client frame', bytes: hex('81 01 61'), options: client, code: 'WS_ERR_EXPECTED_MASK', offset: 0 },
  { name: 'reports a violation for a masked server frame', bytes: hex(`${A} 81 81 00 00 00 00 61`), options: server, code: 'WS_ERR_UNEXPECTED_MASK', offset: 3, frames: 1 },
  {
    name: 'reports a non-minimal length encoding and keeps decoding',
    bytes: concatBytes(encodeFrame({ opcode: Opcode.Text, payload: 'abc', lengthEncoding: 16 }), hex(A)),
    options: server,
    code: 'WS_ERR_NON_MINIMAL_LENGTH',
    offset: 0,
    frames: 2,
  },
  {
    name: 'reports a violation for a 64-bit length with the most significant bit set',
    bytes: encodeFrame({ opcode: Opcode.Binary, declaredLength: (1n << 63n) + 5n, lengthEncoding: 64 }),
    options: server,
    code: 'WS_ERR_LENGTH_MSB_SET',
    offset: 0,
  },
  {
    name: 'reports a message over maxPayload with 1009',
    bytes: encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(11) }),
    options: { from: 'server', maxPayload: 10 },
    code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    offset: 0,
  },
  {
    name: 'reports a fragmented message whose fragments add up to more than maxPayload',
    bytes: encodeFrames([{ opcode: Opcode.Binary, fin: false, payload: new Uint8Array(6) }, { opcode: Opcode.Continuation, payload: new Uint8Array(6) }]),
    options: { from: 'server', maxPayload: 10 },
    code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    offset: 8,
    frames: 1,
  },
  {
    name: 'reports a declared 2^53-byte frame as too big',
    bytes: encodeFrame({ opcode: Opcode.Binary, declaredLength: 2n ** 53n, lengthEncoding: 64 }),
    options: server,
    code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    offset: 0,
  },
  { name: 'reports invalid UTF-8 in a text message at the offending byte', bytes: hex(`${A} 81 03 61 ff 62`), options: server, code: 'WS_ERR_INVALID_UTF8', offset: 6, frames: 2 },
  { name: 'reports an overlong encoding at its first byte (C0)', bytes: hex('81 02 c0 80'), options: server, code: 'WS_ERR_INVALID_UTF8', offset: 2, frames: 1 },
  { name: 'reports an encoded surrogate at its second byte', bytes: hex('81 03 ed a0 80'), options: server, code: 'WS_ERR_INVALID_UTF8', offset: 3, frames: 1 },
  { name: 'reports a code point above U+10FFFF at its second byte', bytes: hex('81 04 f4 90 80 80'), options: server, code: 'WS_ERR_INVALID_UTF8', offset: 3, frames: 1 },
  { name: 'reports a text message that ends inside a UTF-8 sequence', bytes: hex('81 02 61 e2'), options: server, code: 'WS_ERR_INVALID_UTF8', offset: 4, frames: 1 },
  {
    name: 'reports invalid UTF-8 in the fragment where it arrives, before the message ends',
    // "a" + first byte of "€" | "(" breaks the sequence | never sent: the final fragment
    bytes: hex('01 02 61 e2 00 02 28 62'),
    options: server,
    code: 'WS_ERR_INVALID_UTF8',
    offset: 6,
    frames: 2,
  },
  { name: 'reports a fragmented text message that ends inside a UTF-8 sequence', bytes: hex('01 02 61 e2 80 01 82'), options: server, code: 'WS_ERR_INVALID_UTF8', offset: 7, frames: 2 },
  { name: 'reports a broken DEFLATE stream with 1007', bytes: hex('c1 01 ff'), options: { from: 'server', deflate: DEFLATE }, code: 'WS_ERR_INFLATE_FAILED', offset: 0, frames: 1 },
  { name: 'reports compressed text that inflates to invalid UTF-8', bytes: compressedText(hex('61 ff')), options: { from: 'server', deflate: DEFLATE }, code: 'WS_ERR_INVALID_UTF8', offset: 0, frames: 1 },
  { name: 'reports a data frame after a close frame and keeps decoding', bytes: hex(`88 00 ${A}`), options: server, code: 'WS_ERR_FRAME_AFTER_CLOSE', offset: 2, frames: 2 },
  { name: 'reports a stream that ends inside a frame header', bytes: hex(`${A} 82`), options: server, code: 'WS_ERR_TRUNCATED_FRAME', offset: 3, frames: 1 },
  { name: 'reports a stream that ends inside a payload', bytes: hex('82 05 01 02'), options: server, code: 'WS_ERR_TRUNCATED_FRAME', offset: 0 },
  { name: 'reports a stream that ends inside a fragmented message', bytes: hex(`${A} 01 01 61`), options: server, code: 'WS_ERR_TRUNCATED_MESSAGE', offset: 3, frames: 2 },
];

function compressedText(raw: Uint8Array): Uint8Array {
  // A stored (uncompressed) DEFLATE block: BFINAL 0, BTYPE 00, LEN, NLEN, data (RFC 1951 §3.2.4).
  const len = raw.length;
  const block = concatBytes(hex('00'), Uint8Array.of(len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff), raw);
  return encodeFrame({ opcode: Opcode.Text, rsv1: true, payload: block });
}

describe('malformed frame corpus', () => {
  for (const c of corpus) {
    it(c.name, () => {
      for (const events of [decode(c.bytes, c.options), decodeByteByByte(c.bytes, c.options)]) {
        const [v, ...more] = violations(events);
        const info = VIOLATIONS[c.code];
        expect(v).toMatchObject({ type: 'violation', direction: c.options.from, code: c.code, closeCode: info.closeCode, offset: c.offset, fatal: info.fatal, rule: info.rule });
        expect(v.rule).toMatch(/^RFC (6455|7692) §/);
        expect(v.message.length).toBeGreaterThan(0);
        expect(more).toEqual([]);
        expect(frames(events)).toHaveLength(c.frames ?? 0);
      }
    });
  }

  it('has at least one case for every violation code', () => {
    const covered = new Set(corpus.map((c) => c.code));
    expect(Object.keys(VIOLATIONS).filter((code) => !covered.has(code as ViolationCode))).toEqual([]);
  });

  it('gives every violation a close code a real endpoint would use', () => {
    for (const info of Object.values(VIOLATIONS)) expect([1002, 1006, 1007, 1009]).toContain(info.closeCode);
  });
});

describe('after a violation', () => {
  it('stops after a fatal violation and drops everything that follows, as an endpoint would', () => {
    const d = new FrameDecoder({ from: 'server' });
    const events = d.push(hex(`${A} 83 00 ${A}`));
    expect(events.map((e) => e.type)).toEqual(['frame', 'message', 'violation']);
    expect(d.halted).toBe(true);
    expect(d.push(hex(A))).toEqual([]);
    expect(d.end()).toEqual([]);
  });

  it('keeps decoding after a non-fatal finding', () => {
    const d = new FrameDecoder({ from: 'server' });
    const events = d.push(concatBytes(encodeFrame({ opcode: Opcode.Text, payload: 'x', lengthEncoding: 64 }), hex(A)));
    expect(events.map((e) => e.type)).toEqual(['violation', 'frame', 'message', 'frame', 'message']);
    expect(d.halted).toBe(false);
  });

  it('shows the close frame whose code is invalid before reporting it', () => {
    const events = decode(encodeFrame({ opcode: Opcode.Close, payload: closePayload(1005, 'no') }), server);
    expect(events.map((e) => e.type)).toEqual(['frame', 'violation']);
    expect(events[0]).toMatchObject({ closeCode: 1005, closeReason: 'no' });
  });

  it('reports an over-long message as soon as its header arrives, before any payload', () => {
    const d = new FrameDecoder({ from: 'server', maxPayload: 1000 });
    const header = encodeFrame({ opcode: Opcode.Binary, declaredLength: 1_000_000_000 });
    expect(violations(d.push(header))).toMatchObject([{ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 }]);
  });

  it('accepts RSV bits that another negotiated extension defines', () => {
    const events = decode(hex('f1 01 61'), { from: 'server', rsvAllowed: { rsv1: true, rsv2: true, rsv3: true } });
    expect(violations(events)).toEqual([]);
    expect(frames(events)[0]).toMatchObject({ rsv1: true, rsv2: true, rsv3: true });
    expect(messages(events)[0]).toMatchObject({ text: 'a', compressed: false });
  });
});

describe('valid streams stay valid', () => {
  it('accepts control frames between the fragments of a message (RFC 6455 §5.4)', () => {
    const bytes = encodeFrames([
      { opcode: Opcode.Text, fin: false, payload: 'Hel' },
      { opcode: Opcode.Ping, payload: 'p' },
      { opcode: Opcode.Continuation, fin: false, payload: 'l' },
      { opcode: Opcode.Pong, payload: '' },
      { opcode: Opcode.Close, payload: closePayload(1000) },
      { opcode: Opcode.Continuation, payload: 'o' },
    ]);
    const events = decode(bytes, server);
    // The close arrives mid-message; the final fragment after it is reported, not dropped.
    expect(violations(events).map((v) => v.code)).toEqual(['WS_ERR_FRAME_AFTER_CLOSE']);
    expect(messages(events)).toMatchObject([{ text: 'Hello', frames: 3 }]);
  });

  it('accepts every close code that may be sent, and an empty close body', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
      const events = decode(encodeFrame({ opcode: Opcode.Close, payload: closePayload(code, 'ok ✓') }), server);
      expect(violations(events)).toEqual([]);
      expect(events[0]).toMatchObject({ closeCode: code, closeReason: 'ok ✓' });
    }
    expect(normalise(decode(hex('88 00'), server))).toMatchObject([{ opcode: 8, length: 0, closeCode: undefined }]);
  });

  it('accepts UTF-8 split across fragments in the middle of a code point', () => {
    const euro = hex('e2 82 ac');
    const bytes = encodeFrames([
      { opcode: Opcode.Text, fin: false, payload: euro.subarray(0, 1) },
      { opcode: Opcode.Continuation, fin: false, payload: euro.subarray(1, 2) },
      { opcode: Opcode.Continuation, payload: euro.subarray(2) },
    ]);
    expect(messages(decode(bytes, server))).toMatchObject([{ text: '€', frames: 3, length: 3 }]);
  });

  it('keeps a leading byte order mark in the text', () => {
    expect(messages(decode(hex('81 04 ef bb bf 61'), server))[0].text).toBe('\ufeffa');
  });
});
