import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { FrameDecoder } from '../../src/main/core/protocol/decoder';
import { encodeFrame, encodeFrames } from '../../src/main/core/protocol/encoder';
import { decodeChunks, frames, messages, splitAt, toHexString, violations } from './helpers';

/**
 * The decoder computes FrameEvent.maskKey and MessageEvent.text on first
 * access and unmasks payloads word by word with a byte tail. These tests
 * pin what consumers see: the same values as an eager, byte-by-byte decoder
 * would give, for every payload size around the unmasking code's thresholds,
 * every alignment and every chunking.
 */

/** RFC 6455 §5.3, one octet at a time. */
function unmaskReference(payload: Uint8Array, key: Uint8Array): Uint8Array {
  return payload.map((b, i) => b ^ key[i & 3]);
}

function randomBytes(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

describe('unmasking', () => {
  // Word loop and byte tail (0-9), the 7/16-bit length boundary, the bulk
  // copy threshold (8 KiB), the slab limit (16 KiB) and a 64-bit length.
  const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 125, 126, 127, 8191, 8192, 8193, 16383, 16384, 16385, 70001];

  for (const n of sizes) {
    it(`gives the reference payload for ${n} bytes at every alignment and chunking`, () => {
      const plain = randomBytes(n, n + 1);
      const frame = encodeFrame({ opcode: Opcode.Binary, payload: plain, mask: KEY });
      expect(toHexString(unmaskReference(frame.subarray(frame.length - n), KEY))).toBe(toHexString(plain));
      for (const lead of [0, 1, 2, 3]) {
        // A leading ping of `lead` bytes moves the payload's start to every alignment within the chunk.
        const ping = encodeFrame({ opcode: Opcode.Ping, payload: new Uint8Array(lead).fill(0x61), mask: KEY });
        const bytes = new Uint8Array(ping.length + frame.length);
        bytes.set(ping);
        bytes.set(frame, ping.length);
        const mid = ping.length + Math.floor(frame.length / 2);
        for (const cuts of [[], [mid], [ping.length + 3, mid, bytes.length - 1]]) {
          const events = decodeChunks(splitAt(bytes, cuts.filter((c) => c > 0 && c < bytes.length)), { from: 'client' });
          expect(violations(events)).toEqual([]);
          const f = frames(events)[1];
          expect(f.payload.length).toBe(n);
          expect(Buffer.compare(Buffer.from(f.payload), Buffer.from(plain))).toBe(0);
          expect(Buffer.compare(Buffer.from(messages(events)[0].data), Buffer.from(plain))).toBe(0);
        }
      }
    });
  }

  it('never modifies the pushed chunks', () => {
    const bytes = encodeFrames([1, 100, 9000, 20000].map((n) => ({ opcode: Opcode.Binary, payload: randomBytes(n, n), mask: KEY })));
    const before = toHexString(bytes);
    decodeChunks(splitAt(bytes, [7, 500, 12000]), { from: 'client' });
    decodeChunks([bytes], { from: 'client' });
    expect(toHexString(bytes)).toBe(before);
  });
});

describe('FrameEvent.maskKey and maskKeyInt', () => {
  it('show the wire key of a masked frame, the same Uint8Array on every read', () => {
    const [f] = frames(decodeChunks([encodeFrame({ opcode: Opcode.Text, payload: 'Hello', mask: KEY })], { from: 'client' }));
    expect(f.masked).toBe(true);
    expect(f.maskKey).toBeInstanceOf(Uint8Array);
    expect(toHexString(f.maskKey as Uint8Array)).toBe('37fa213d');
    expect(f.maskKey).toBe(f.maskKey);
    expect(f.maskKeyInt).toBe(0x37fa213d);
  });

  it('are null and 0 for an unmasked frame', () => {
    const [f] = frames(decodeChunks([encodeFrame({ opcode: Opcode.Text, payload: 'Hello' })], { from: 'server' }));
    expect(f.maskKey).toBeNull();
    expect(f.maskKeyInt).toBe(0);
  });

  it('agree with each other for many keys, whatever is decoded in between', () => {
    const keys = Array.from({ length: 300 }, (_, i) => randomBytes(4, i * 7 + 1));
    // Enough frames to fill several slabs before any key is read.
    const bytes = encodeFrames(keys.map((mask, i) => ({ opcode: Opcode.Binary, payload: randomBytes(1000 + i, i), mask })));
    const fs = frames(decodeChunks(splitAt(bytes, [3, 1001, 5000]), { from: 'client' }));
    expect(fs).toHaveLength(keys.length);
    fs.forEach((f, i) => {
      expect(toHexString(f.maskKey as Uint8Array)).toBe(toHexString(keys[i]));
      expect(f.maskKeyInt.toString(16).padStart(8, '0')).toBe(toHexString(keys[i]));
    });
  });
});

describe('MessageEvent.text', () => {
  const cases: [string, string][] = [
    ['ASCII', 'Hello, world {"a":1}'],
    ['non-ASCII', 'héllo wörld ✓ 東京 😀'],
    ['a leading BOM', '\ufeffa'],
    ['empty', ''],
  ];
  for (const [label, text] of cases) {
    for (const from of ['client', 'server'] as const) {
      it(`decodes ${label} text from the ${from}, single and fragmented, the same string on every read`, () => {
        const mask = from === 'client' ? KEY : 'none';
        const utf8 = Buffer.from(text);
        const half = Math.floor(utf8.length / 2);
        const bytes = encodeFrames([
          { opcode: Opcode.Text, payload: text, mask },
          { opcode: Opcode.Text, fin: false, payload: utf8.subarray(0, half), mask },
          { opcode: Opcode.Continuation, payload: utf8.subarray(half), mask },
          { opcode: Opcode.Binary, payload: utf8, mask },
        ]);
        for (const chunks of [[bytes], splitAt(bytes, [1, 9, bytes.length - 2].filter((c) => c < bytes.length).sort((a, b) => a - b))]) {
          const ms = messages(decodeChunks(chunks, { from }));
          expect(ms.map((m) => m.text)).toEqual([text, text, undefined]);
          expect(ms[0].text).toBe(ms[0].text);
        }
      });
    }
  }

  it('stays correct when read after later messages were decoded', () => {
    const texts = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `ü${i}` : `message ${i} `.repeat(1 + (i % 40))));
    const d = new FrameDecoder({ from: 'client' });
    const bytes = encodeFrames(texts.map((t) => ({ opcode: Opcode.Text, payload: t, mask: KEY })));
    const events = [...d.push(bytes.subarray(0, 1000)), ...d.push(bytes.subarray(1000)), ...d.end()];
    expect(messages(events).map((m) => m.text)).toEqual(texts);
  });

  it('is still validated eagerly: invalid UTF-8 is a violation even if text is never read', () => {
    const events = decodeChunks([encodeFrame({ opcode: Opcode.Text, payload: Uint8Array.of(0x61, 0xff), mask: KEY })], { from: 'client' });
    expect(messages(events)).toEqual([]);
    expect(violations(events).map((v) => v.code)).toEqual(['WS_ERR_INVALID_UTF8']);
  });
});
