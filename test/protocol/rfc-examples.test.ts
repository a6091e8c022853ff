/**
 * The worked examples of RFC 6455 §5.7 and RFC 7692 §7.2.3, byte for byte,
 * decoded and encoded.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PERMESSAGE_DEFLATE_PARAMS } from '../../src/main/core/protocol/permessage-deflate-params';
import { Opcode } from '../../src/main/core/protocol/constants';
import { createDeflateState, deflateMessage, encodeFrame, encodeFrames } from '../../src/main/core/protocol/encoder';
import { DEFLATE, decode, decodeByteByByte, expectBytes, expectFrame, frames, hex, messages, toHexString, violations } from './helpers';

const HELLO = '48 65 6c 6c 6f';
const MASK = '37 fa 21 3d';

describe('RFC 6455 §5.7 examples', () => {
  it('decodes a single-frame unmasked text message sent by the server', () => {
    const bytes = hex(`81 05 ${HELLO}`);
    const events = decode(bytes, { from: 'server' });
    expect(violations(events)).toEqual([]);
    expectFrame(events[0], { offset: 0, fin: true, opcode: 1, opcodeName: 'text', masked: false, maskKey: null, length: 5, lengthEncoding: 7, headerLength: 2, payload: '48656c6c6f' });
    expect(messages(events)).toMatchObject([{ opcode: 1, frames: 1, text: 'Hello', length: 5, compressed: false }]);
    expect(encodeFrame({ opcode: Opcode.Text, payload: 'Hello' })).toEqual(bytes);
  });

  it('decodes a single-frame masked text message sent by the client', () => {
    const bytes = hex(`81 85 ${MASK} 7f 9f 4d 51 58`);
    const events = decode(bytes, { from: 'client' });
    expect(violations(events)).toEqual([]);
    expectFrame(events[0], { fin: true, opcode: 1, masked: true, maskKey: '37fa213d', length: 5, headerLength: 6, payload: '48656c6c6f' });
    expect(messages(events)[0].text).toBe('Hello');
    expect(encodeFrame({ opcode: Opcode.Text, payload: 'Hello', mask: hex(MASK) })).toEqual(bytes);
  });

  it('assembles a fragmented unmasked text message', () => {
    const bytes = hex('01 03 48 65 6c 80 02 6c 6f');
    const events = decode(bytes, { from: 'server' });
    expect(violations(events)).toEqual([]);
    expectFrame(events[0], { offset: 0, fin: false, opcode: 0x1, payload: '48656c', messageSeq: 0 });
    expectFrame(events[1], { offset: 5, fin: true, opcode: 0x0, opcodeName: 'continuation', payload: '6c6f', messageSeq: 0 });
    expect(events[2]).toMatchObject({ type: 'message', offset: 0, frames: 2, text: 'Hello', length: 5 });
    expect(encodeFrames([{ opcode: Opcode.Text, fin: false, payload: 'Hel' }, { opcode: Opcode.Continuation, payload: 'lo' }])).toEqual(bytes);
  });

  it('decodes an unmasked ping and a masked pong whose body matches it', () => {
    const ping = hex(`89 05 ${HELLO}`);
    const pong = hex(`8a 85 ${MASK} 7f 9f 4d 51 58`);
    expectFrame(decode(ping, { from: 'server' })[0], { opcode: 0x9, opcodeName: 'ping', payload: '48656c6c6f' });
    expectFrame(decode(pong, { from: 'client' })[0], { opcode: 0xa, opcodeName: 'pong', masked: true, payload: '48656c6c6f' });
    expect(encodeFrame({ opcode: Opcode.Ping, payload: 'Hello' })).toEqual(ping);
    expect(encodeFrame({ opcode: Opcode.Pong, payload: 'Hello', mask: hex(MASK) })).toEqual(pong);
  });

  it('decodes 256 bytes of binary data in a single unmasked frame (16-bit length)', () => {
    const payload = new Uint8Array(256).map((_, i) => i);
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(toHexString(bytes.subarray(0, 4))).toBe('827e0100');
    const events = decode(bytes, { from: 'server' });
    expectFrame(events[0], { opcode: 2, length: 256, lengthEncoding: 16, headerLength: 4 });
    expectBytes(messages(events)[0].data, payload);
  });

  it('decodes 64 KiB of binary data in a single unmasked frame (64-bit length)', () => {
    const payload = new Uint8Array(65536).fill(0xab);
    const bytes = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(toHexString(bytes.subarray(0, 10))).toBe('827f0000000000010000');
    const events = decode(bytes, { from: 'server' });
    expectFrame(events[0], { opcode: 2, length: 65536, lengthEncoding: 64, headerLength: 10 });
    expect(messages(events)[0].length).toBe(65536);
  });
});

describe('RFC 7692 §7.2.3 examples', () => {
  const inBothDirections = (bytes: Uint8Array, check: (events: ReturnType<typeof decode>) => void): void => {
    // The server's frames as they are; the client's the same frames masked.
    check(decode(bytes, { from: 'server', deflate: DEFLATE }));
    check(decodeByteByByte(bytes, { from: 'server', deflate: DEFLATE }));
    const masked = remask(bytes, hex(MASK));
    check(decode(masked, { from: 'client', deflate: DEFLATE }));
  };

  it('§7.2.3.1 inflates a message compressed in one DEFLATE block', () => {
    inBothDirections(hex('c1 07 f2 48 cd c9 c9 07 00'), (events) => {
      expect(violations(events)).toEqual([]);
      expectFrame(events[0], { rsv1: true, opcode: 1, length: 7, payload: 'f248cdc9c90700' });
      expect(messages(events)).toMatchObject([{ text: 'Hello', compressed: true, compressedLength: 7, length: 5, frames: 1 }]);
    });
  });

  it('§7.2.3.1 inflates the same message fragmented, RSV1 on the first frame only', () => {
    inBothDirections(hex('41 03 f2 48 cd 80 04 c9 c9 07 00'), (events) => {
      expect(violations(events)).toEqual([]);
      expect(frames(events).map((f) => [f.rsv1, f.fin])).toEqual([[true, false], [false, true]]);
      expect(messages(events)).toMatchObject([{ text: 'Hello', compressed: true, frames: 2, compressedLength: 7 }]);
    });
  });

  it('§7.2.3.2 inflates a second message that refers back into the shared LZ77 window', () => {
    inBothDirections(hex('c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00'), (events) => {
      expect(violations(events)).toEqual([]);
      expect(messages(events).map((m) => m.text)).toEqual(['Hello', 'Hello']);
    });
  });

  it('§7.2.3.2 reports the second message as broken when the sender declared no context takeover', () => {
    const events = decode(hex('c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00'), {
      from: 'server',
      deflate: { ...DEFLATE, serverNoContextTakeover: true },
    });
    expect(messages(events).map((m) => m.text)).toEqual(['Hello']);
    expect(violations(events)).toMatchObject([{ code: 'WS_ERR_INFLATE_FAILED', closeCode: 1007, offset: 9, fatal: true }]);
  });

  it('§7.2.3.3 inflates a DEFLATE block with no compression', () => {
    inBothDirections(hex('c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00'), (events) => {
      expect(messages(events)).toMatchObject([{ text: 'Hello', compressedLength: 11 }]);
    });
  });

  it('§7.2.3.4 inflates a DEFLATE block with BFINAL set, and the next message still inflates', () => {
    inBothDirections(hex('c1 08 f3 48 cd c9 c9 07 00 00 c1 07 f2 48 cd c9 c9 07 00'), (events) => {
      expect(violations(events)).toEqual([]);
      expect(messages(events).map((m) => m.text)).toEqual(['Hello', 'Hello']);
    });
  });

  it('§7.2.3.5 inflates two DEFLATE blocks in one message', () => {
    inBothDirections(hex('c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00'), (events) => {
      expect(messages(events)).toMatchObject([{ text: 'Hello', compressedLength: 13 }]);
    });
  });

  it('compresses "Hello" twice exactly as §7.2.3.1 and §7.2.3.2 show', () => {
    const state = createDeflateState(DEFAULT_PERMESSAGE_DEFLATE_PARAMS, 'server');
    const first = deflateMessage('Hello', state);
    const second = deflateMessage('Hello', state);
    expect(toHexString(first)).toBe('f248cdc9c90700');
    expect(toHexString(second)).toBe('f200110000');
    expect(encodeFrame({ opcode: Opcode.Text, rsv1: true, payload: first })).toEqual(hex('c1 07 f2 48 cd c9 c9 07 00'));
  });

  it('compresses every message afresh without context takeover', () => {
    const state = createDeflateState({ ...DEFAULT_PERMESSAGE_DEFLATE_PARAMS, clientNoContextTakeover: true }, 'client');
    expect(toHexString(deflateMessage('Hello', state))).toBe('f248cdc9c90700');
    expect(toHexString(deflateMessage('Hello', state))).toBe('f248cdc9c90700');
  });
});

/** Re-encodes an unmasked server stream as masked client frames (same headers otherwise). */
function remask(bytes: Uint8Array, key: Uint8Array): Uint8Array {
  const fs = frames(decode(bytes, { from: 'server', deflate: DEFLATE }));
  return encodeFrames(fs.map((f) => ({ opcode: f.opcode, fin: f.fin, rsv1: f.rsv1, payload: f.payload, mask: key })));
}
