/** NDJSON records: exact field names, JSON-safe values. */
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { closePayload, encodeFrame } from '../../src/main/core/protocol/encoder';
import { toRecord } from '../../src/main/core/protocol/records';
import { DEFLATE, decode, hex } from './helpers';

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('toRecord', () => {
  it('writes a frame record with the unmasked payload and the mask key as hex', () => {
    const [frame, message] = decode(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { from: 'client' });
    expect(roundTrip(toRecord(frame))).toEqual({
      type: 'frame',
      direction: 'client',
      offset: 0,
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: 1,
      opcodeName: 'text',
      masked: true,
      maskKey: '37fa213d',
      length: 5,
      lengthEncoding: 7,
      headerLength: 6,
      payloadHex: '48656c6c6f',
      messageSeq: 0,
    });
    expect(roundTrip(toRecord(message))).toEqual({ type: 'message', direction: 'client', offset: 0, seq: 0, opcode: 1, frames: 1, length: 5, compressed: false, text: 'Hello' });
  });

  it('adds closeCode and closeReason to close frames (null for an empty body)', () => {
    const [withBody] = decode(encodeFrame({ opcode: Opcode.Close, payload: closePayload(1001, 'away') }), { from: 'server' });
    expect(toRecord(withBody)).toMatchObject({ opcode: 8, opcodeName: 'close', maskKey: null, closeCode: 1001, closeReason: 'away', payloadHex: '03e961776179' });
    const [empty] = decode(hex('88 00'), { from: 'server' });
    expect(roundTrip(toRecord(empty))).toMatchObject({ closeCode: null, closeReason: null, payloadHex: '' });
  });

  it('writes binary messages as payloadHex and compressed ones with both lengths', () => {
    const binary = decode(hex('82 02 00 ff'), { from: 'server' })[1];
    expect(roundTrip(toRecord(binary))).toMatchObject({ type: 'message', opcode: 2, payloadHex: '00ff', length: 2 });
    expect(toRecord(binary)).not.toHaveProperty('text');
    const compressed = decode(hex('c1 07 f2 48 cd c9 c9 07 00'), { from: 'server', deflate: DEFLATE })[1];
    expect(roundTrip(toRecord(compressed))).toMatchObject({ compressed: true, compressedLength: 7, length: 5, text: 'Hello' });
  });

  it('writes a violation record with code, close code, rule and offset', () => {
    const [v] = decode(hex('83 00'), { from: 'server' });
    expect(roundTrip(toRecord(v))).toEqual({
      type: 'violation',
      direction: 'server',
      offset: 0,
      frameOffset: 0,
      code: 'WS_ERR_INVALID_OPCODE',
      closeCode: 1002,
      rule: expect.stringMatching(/^RFC 6455 §5\.2: /),
      message: 'opcode 0x3 is reserved',
      fatal: true,
    });
  });
});
