/** RFC 7692 permessage-deflate: inflation for display, context takeover, window bits, bombs. */
import { randomBytes } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { FrameDecoder } from '../../src/main/core/protocol/decoder';
import { Lz77Window, MessageInflater } from '../../src/main/core/protocol/deflate';
import { createDeflateState, deflateMessage, encodeFrame, encodeFrames, fragment } from '../../src/main/core/protocol/encoder';
import { DEFLATE, decode, expectBytes, messages, violations } from './helpers';

const text = (n: number, seed: string): string => Array.from({ length: n }, (_, i) => `${seed}-${i % 97} `).join('');

describe('MessageInflater', () => {
  it('inflates consecutive messages that refer back into earlier ones (context takeover)', () => {
    const deflater = createDeflateState(DEFLATE, 'client');
    const inflater = new MessageInflater(DEFLATE, 'client');
    const original = text(400, 'shared');
    for (let i = 0; i < 4; i++) {
      const compressed = deflateMessage(original, deflater);
      if (i > 0) expect(compressed.length).toBeLessThan(original.length / 50); // back-references into earlier messages
      const r = inflater.inflate([compressed], 1 << 20);
      expect(r.ok && Buffer.from(r.data).toString()).toBe(original);
    }
  });

  it('inflates each message alone when the sender does not take over context', () => {
    const params = { ...DEFLATE, serverNoContextTakeover: true };
    const deflater = createDeflateState(params, 'server');
    const inflater = new MessageInflater(params, 'server');
    const a = deflateMessage('Hello', deflater);
    const b = deflateMessage('Hello', deflater);
    expect(b).toEqual(a);
    expect(inflater.inflate([b], 100)).toMatchObject({ ok: true });
  });

  it('uses the window bits of the sending side (server_max_window_bits for server frames)', () => {
    expect(new MessageInflater({ ...DEFLATE, serverMaxWindowBits: 9, clientMaxWindowBits: 12 }, 'server').params.windowBits).toBe(9);
    expect(new MessageInflater({ ...DEFLATE, serverMaxWindowBits: 9, clientMaxWindowBits: 12 }, 'client').params.windowBits).toBe(12);
  });

  it('rejects a reference into an earlier message further back than the negotiated window', () => {
    // Compressed with a 32 KiB window, the second message points ~20000 bytes
    // back into the first; a sender limited to 2^10 bytes may not do that.
    const unique = Uint8Array.from(randomBytes(20000));
    const wide = createDeflateState(DEFLATE, 'client');
    const first = deflateMessage(unique, wide);
    const second = deflateMessage(unique.subarray(0, 3000), wide);
    const narrow = new MessageInflater({ ...DEFLATE, clientMaxWindowBits: 10 }, 'client');
    expect(narrow.inflate([first], 1 << 20)).toMatchObject({ ok: true });
    expect(narrow.inflate([second], 1 << 20)).toMatchObject({ ok: false, reason: 'corrupt' });
    const full = new MessageInflater(DEFLATE, 'client');
    expect(full.inflate([first], 1 << 20)).toMatchObject({ ok: true });
    expect(full.inflate([second], 1 << 20)).toMatchObject({ ok: true });
  });

  it('cuts a deflate bomb off at the limit quickly', () => {
    // 1 GiB of zeros compresses to about 1 MiB; stream it as one message.
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    const block = deflateRawSync(zeros, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const parts = Array.from({ length: 64 }, () => block);
    const started = performance.now();
    const r = new MessageInflater(DEFLATE, 'server').inflate(parts, 1024 * 1024);
    const elapsed = performance.now() - started;
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    expect(elapsed).toBeLessThan(2000);
  });

  it('reports a deflate bomb in a frame as 1009 without inflating it all', () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    const payload = deflateRawSync(zeros, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, -4);
    expect(payload.length).toBeLessThan(10_000);
    const started = performance.now();
    const events = decode(encodeFrame({ opcode: Opcode.Binary, rsv1: true, payload }), { from: 'server', deflate: DEFLATE, maxPayload: 64 * 1024 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(violations(events)).toMatchObject([{ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009, offset: 0, fatal: true }]);
  });
});

describe('Lz77Window', () => {
  it('keeps exactly the last 2^windowBits bytes', () => {
    const w = new Lz77Window(8);
    expect(w.dictionary).toBeUndefined();
    w.append(Uint8Array.from({ length: 200 }, (_, i) => i));
    w.append(Uint8Array.from({ length: 100 }, (_, i) => 200 + i));
    const d = w.dictionary as Uint8Array;
    expect(d.length).toBe(256);
    expect(d[0]).toBe(300 - 256);
    expect(d[255]).toBe(299 & 0xff);
    for (let i = 0; i < 50; i++) w.append(Uint8Array.of(i, i));
    expect((w.dictionary as Uint8Array).length).toBe(256);
    expect((w.dictionary as Uint8Array)[255]).toBe(49);
    w.append(new Uint8Array(1000).fill(9));
    expect(w.dictionary).toEqual(new Uint8Array(256).fill(9));
  });

  it('refuses window bits outside 8..15 (RFC 7692 §7.1.2)', () => {
    expect(() => new Lz77Window(7)).toThrow(RangeError);
    expect(() => new Lz77Window(16)).toThrow(RangeError);
  });
});

describe('compressed messages in the decoder', () => {
  it('inflates a long conversation in both directions with small windows', () => {
    const params = { ...DEFLATE, serverMaxWindowBits: 9, clientMaxWindowBits: 11 };
    for (const from of ['client', 'server'] as const) {
      const deflater = createDeflateState(params, from);
      const originals = Array.from({ length: 30 }, (_, i) => text(50 + i * 13, `m${i % 5}`));
      const specs = originals.flatMap((t, i) => fragment(deflateMessage(t, deflater), 1 + (i % 3), { opcode: Opcode.Text, rsv1: true, mask: from === 'client' ? 'random' : 'none' }));
      const d = new FrameDecoder({ from, deflate: params });
      const events = [...d.push(encodeFrames(specs)), ...d.end()];
      expect(violations(events)).toEqual([]);
      expect(messages(events).map((m) => m.text)).toEqual(originals);
    }
  });

  it('decodes uncompressed messages (RSV1 clear) between compressed ones without touching the window', () => {
    const deflater = createDeflateState(DEFLATE, 'server');
    const bytes = encodeFrames([
      { opcode: Opcode.Text, rsv1: true, payload: deflateMessage('Hello', deflater) },
      { opcode: Opcode.Binary, payload: new Uint8Array([1, 2, 3]) },
      { opcode: Opcode.Text, rsv1: true, payload: deflateMessage('Hello', deflater) },
    ]);
    const ms = messages(decode(bytes, { from: 'server', deflate: DEFLATE }));
    expect(ms.map((m) => m.compressed)).toEqual([true, false, true]);
    expect(ms[2].text).toBe('Hello');
    expectBytes(ms[1].data, new Uint8Array([1, 2, 3]));
  });

  it('inflates an empty compressed message', () => {
    const state = createDeflateState(DEFLATE, 'server');
    const payload = deflateMessage('', state);
    expect(Buffer.from(payload).toString('hex')).toBe('00');
    expect(messages(decode(encodeFrame({ opcode: Opcode.Text, rsv1: true, payload }), { from: 'server', deflate: DEFLATE }))).toMatchObject([{ text: '', length: 0, compressed: true }]);
  });
});
