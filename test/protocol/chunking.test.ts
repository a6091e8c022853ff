/** Any split of the stream must give the same events (ws lib/receiver.js consume(n) semantics). */
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { FrameDecoder } from '../../src/main/core/protocol/decoder';
import { closePayload, createDeflateState, deflateMessage, encodeFrame, encodeFrames, fragment, type FrameSpec } from '../../src/main/core/protocol/encoder';
import { DEFLATE, decode, decodeByteByByte, decodeChunks, expectBytes, frames, hex, messages, normalise, splitAt } from './helpers';

function mixedStream(mask: 'random' | 'none'): Uint8Array {
  const deflater = createDeflateState(DEFLATE, mask === 'none' ? 'server' : 'client');
  const specs: FrameSpec[] = [
    { opcode: Opcode.Text, payload: 'héllo wörld ✓ 𝄞' },
    { opcode: Opcode.Binary, payload: new Uint8Array(300).map((_, i) => i) },
    ...fragment('a fragmented text message with a ping inside', 3),
    { opcode: Opcode.Ping, payload: 'ping!' },
    { opcode: Opcode.Text, rsv1: true, payload: deflateMessage('compressed compressed compressed', deflater) },
    ...fragment(deflateMessage('compressed again, fragmented', deflater), 4, { opcode: Opcode.Text, rsv1: true }),
    { opcode: Opcode.Binary, payload: new Uint8Array(70000).fill(7) },
    { opcode: Opcode.Close, payload: closePayload(1000, 'bye') },
  ];
  // A ping between the fragments of the third message (RFC 6455 §5.4).
  const withPing = [...specs.slice(0, 3), { opcode: Opcode.Pong, payload: '' }, ...specs.slice(3)];
  return encodeFrames(withPing.map((s) => ({ ...s, mask })));
}

describe('chunk boundaries', () => {
  for (const from of ['client', 'server'] as const) {
    const bytes = mixedStream(from === 'client' ? 'random' : 'none');
    const options = { from, deflate: DEFLATE };

    it(`gives the same events byte by byte as in one chunk (${from} frames)`, () => {
      const whole = decode(bytes, options);
      expect(whole.filter((e) => e.type === 'violation')).toEqual([]);
      expect(messages(whole)).toHaveLength(6);
      expect(normalise(decodeByteByByte(bytes, options))).toEqual(normalise(whole));
    });

    it(`gives the same events for chunks of every size from 2 to 17 bytes (${from} frames)`, () => {
      const whole = normalise(decode(bytes, options));
      for (let size = 2; size <= 17; size++) {
        const cuts: number[] = [];
        for (let at = size; at < bytes.length; at += size) cuts.push(at);
        expect(normalise(decodeChunks(splitAt(bytes, cuts), options))).toEqual(whole);
      }
    });
  }

  it('never modifies the chunks it was given, even when unmasking', () => {
    const bytes = mixedStream('random');
    const copy = Uint8Array.from(bytes);
    decodeChunks(splitAt(bytes, [1, 7, 100, 2000]), { from: 'client', deflate: DEFLATE });
    decode(bytes, { from: 'client', deflate: DEFLATE });
    expectBytes(bytes, copy);
  });

  for (const from of ['client', 'server'] as const) {
    it(`gives the same events from pushAll as from pushing its chunks one by one (${from} frames)`, () => {
      const bytes = mixedStream(from === 'client' ? 'random' : 'none');
      const options = { from, deflate: DEFLATE };
      const whole = normalise(decode(bytes, options));
      // Runs of 1 to 5 chunks of 1 to 40 bytes, some of them empty, fed with one pushAll each.
      let seed = 7;
      const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
      const d = new FrameDecoder(options);
      const events = [];
      let at = 0;
      while (at < bytes.length) {
        const run: Uint8Array[] = [];
        for (let k = 1 + next(5); k > 0 && at < bytes.length; k--) {
          const size = Math.min(next(41), bytes.length - at);
          run.push(bytes.subarray(at, at + size));
          at += size;
        }
        events.push(...d.pushAll(run));
      }
      events.push(...d.end());
      expect(normalise(events)).toEqual(whole);
    });
  }

  it('keeps a payload that lies inside one of the chunks given to pushAll as a view of it', () => {
    // ws writes a frame's header and its payload as two chunks.
    const header = hex('82 03');
    const payload = hex('01 02 03');
    const [frame] = frames(new FrameDecoder({ from: 'server' }).pushAll([header, payload]));
    expect(frame.payload.buffer).toBe(payload.buffer);
    expect(frame.payload.byteOffset).toBe(payload.byteOffset);
    expect(Array.from(frame.payload)).toEqual([1, 2, 3]);
  });

  it('with unmaskInPlace, unmasks a frame that lies whole in the newest chunk there and zeroes its key', () => {
    const first = encodeFrame({ opcode: Opcode.Binary, payload: Uint8Array.of(1, 2, 3, 4, 5), mask: [9, 8, 7, 6] });
    const second = encodeFrame({ opcode: Opcode.Text, payload: 'spans two chunks', mask: [1, 2, 3, 4] });
    const chunk = Uint8Array.from([...first, ...second.subarray(0, 8)]);
    const rest = Uint8Array.from(second.subarray(8));
    const decoder = new FrameDecoder({ from: 'client', unmaskInPlace: true });
    const [a] = frames(decoder.push(chunk));
    expect(Array.from(a.payload)).toEqual([1, 2, 3, 4, 5]);
    expect(a.payload.buffer).toBe(chunk.buffer);
    expect(Array.from(a.maskKey!)).toEqual([9, 8, 7, 6]);
    // The chunk now holds the same frame masked with a zero key: header with the MASK bit, key 0, plain payload.
    expect(Array.from(chunk.subarray(0, first.length))).toEqual([0x82, 0x85, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
    // A frame that began in an earlier chunk is unmasked into new memory; neither chunk changes.
    const before = Uint8Array.from(chunk);
    const [b] = frames(decoder.push(rest));
    expect(new TextDecoder().decode(b.payload)).toBe('spans two chunks');
    expect(b.payload.buffer).not.toBe(rest.buffer);
    expectBytes(chunk, before);
    expectBytes(rest, second.subarray(8));
  });

  it('hands out payloads that lie inside one chunk as views of it, without copying', () => {
    const bytes = hex('82 03 01 02 03');
    const [frame] = frames(decode(bytes, { from: 'server' }));
    expect(frame.payload.buffer).toBe(bytes.buffer);
    expect(frame.payload.byteOffset).toBe(bytes.byteOffset + 2);
  });

  it('tracks stream offsets from startOffset across pushes', () => {
    const d = new FrameDecoder({ from: 'server', startOffset: 1000 });
    expect(frames(d.push(hex('81 01 61 81')))).toMatchObject([{ offset: 1000 }]);
    expect(frames(d.push(hex('01 62')))).toMatchObject([{ offset: 1003 }]);
    expect(d.position).toBe(1006);
  });

  it('returns nothing until a frame is complete and does not lose a partial header', () => {
    const d = new FrameDecoder({ from: 'client' });
    const bytes = hex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    for (let i = 0; i < bytes.length - 1; i++) expect(d.push(bytes.subarray(i, i + 1))).toEqual([]);
    expect(messages(d.push(bytes.subarray(bytes.length - 1)))[0].text).toBe('Hello');
    expect(d.end()).toEqual([]);
  });
});
