/**
 * Conformance of the embedded server's echo route, modelled on the Autobahn TestSuite's
 * fuzzingclient categories 1-7 (https://github.com/crossbario/autobahn-testsuite, case
 * numbers kept where a case mirrors one). Raw frames come from the project's crafter over a
 * plain TCP socket; what the server sends back is read with the project's decoder.
 *
 *   1 framing at the length boundaries    2 ping/pong          3 reserved bits
 *   4 opcodes                             5 fragmentation      6 UTF-8, fail-fast
 *   7 close codes and payloads
 *
 * Delays Autobahn spells in seconds are tens of milliseconds here; what they test (frames
 * arriving in separate reads) is the same. A bystander connection stays open through the whole
 * suite and must still echo at the end: one client's violation never touches another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Opcode } from '../../src/main/core/protocol/constants';
import { type FrameSpec, closePayload } from '../../src/main/core/protocol/encoder';
import { type TestServer, startTestServer } from '../server/helpers';
import { RawClient } from '../server/raw-client';

type Payload = string | Uint8Array;

interface Case {
  id: string;
  title: string;
  /** Sends the case's frames; may assert on what arrived in between (fail-fast, sync). */
  run(c: RawClient): Promise<void>;
  /** Messages echoed back, in order (strings are text messages, bytes binary). */
  echoes?: Payload[];
  /** Pong payloads, in order. */
  pongs?: Payload[];
  /**
   * 'open': no violation; the client then closes with 1000 and the server answers 1000.
   * A number: the server's Close frame carries this code. 'empty': a Close frame without a body.
   */
  close: 'open' | 'empty' | number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bytes = (...b: number[]) => Uint8Array.from(b);
const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const text = (s: string, more: Partial<FrameSpec> = {}): FrameSpec => ({ opcode: Opcode.Text, payload: s, ...more });
const binary = (b: Uint8Array, more: Partial<FrameSpec> = {}): FrameSpec => ({ opcode: Opcode.Binary, payload: b, ...more });
const ping = (p: Payload = '', more: Partial<FrameSpec> = {}): FrameSpec => ({ opcode: Opcode.Ping, payload: p, ...more });
const pong = (p: Payload = ''): FrameSpec => ({ opcode: Opcode.Pong, payload: p });
const cont = (p: Payload, fin: boolean): FrameSpec => ({ opcode: Opcode.Continuation, payload: p, fin });
const close = (code?: number, reason: string | Uint8Array = ''): FrameSpec => ({ opcode: Opcode.Close, payload: closePayload(code, reason) });
const send = (...frames: FrameSpec[]) => (c: RawClient) => c.send(frames);
const chopped = (chop: number, ...frames: FrameSpec[]) => (c: RawClient) => c.send(frames, chop);
/** Frame by frame with a pause between them (Autobahn's "with delays" / "frame-wise"). */
const paced = (...frames: FrameSpec[]) => async (c: RawClient) => {
  for (const f of frames) {
    await c.send([f]);
    await sleep(15);
  }
};
/** Waits until `n` messages have been echoed (Autobahn's "sync" variants). */
const echoed = (c: RawClient, n: number) => c.until(() => c.messages().length >= n, 2000);

/** One text frame per byte of `payload` (fragments that split characters are legal, RFC 6455 §5.4). */
function perByte(payload: Uint8Array): FrameSpec[] {
  if (payload.length <= 1) return [{ opcode: Opcode.Text, payload }];
  return [...payload].map((b, i) => ({ opcode: i === 0 ? Opcode.Text : Opcode.Continuation, payload: bytes(b), fin: i === payload.length - 1 }));
}

const cases: Case[] = [];
const add = (c: Case) => cases.push(c);

// ---- 1 framing: text and binary at the length boundaries of RFC 6455 §5.2 -------------------
const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];
LENGTHS.forEach((n, i) => {
  const t = '*'.repeat(n);
  add({ id: `1.1.${i + 1}`, title: `text message of ${n} bytes`, run: send(text(t)), echoes: [t], close: 'open' });
  const b = new Uint8Array(n).fill(0xfe);
  add({ id: `1.2.${i + 1}`, title: `binary message of ${n} bytes`, run: send(binary(b)), echoes: [b], close: 'open' });
});
add({ id: '1.1.8', title: 'text message of 65536 bytes sent in chops of 997 bytes', run: chopped(997, text('*'.repeat(65536))), echoes: ['*'.repeat(65536)], close: 'open' });
add({ id: '1.2.8', title: 'binary message of 65536 bytes sent in chops of 997 bytes', run: chopped(997, binary(new Uint8Array(65536).fill(0xfe))), echoes: [new Uint8Array(65536).fill(0xfe)], close: 'open' });

// ---- 2 ping / pong (RFC 6455 §5.5.2, §5.5.3) --------------------------------------------------
add({ id: '2.1', title: 'ping without payload is answered with an empty pong', run: send(ping()), pongs: [''], close: 'open' });
add({ id: '2.2', title: 'ping with a small text payload', run: send(ping('Hello, world!')), pongs: ['Hello, world!'], close: 'open' });
add({ id: '2.3', title: 'ping with a small binary payload', run: send(ping(bytes(0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff))), pongs: [bytes(0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff)], close: 'open' });
add({ id: '2.4', title: 'ping with 125 bytes', run: send(ping(new Uint8Array(125).fill(0xfe))), pongs: [new Uint8Array(125).fill(0xfe)], close: 'open' });
add({ id: '2.5', title: 'ping with 126 bytes fails the connection (control frames ≤ 125 bytes, §5.5)', run: send(ping(new Uint8Array(126).fill(0xfe))), close: 1002 });
add({ id: '2.6', title: 'ping with 125 bytes sent one byte at a time', run: chopped(1, ping(new Uint8Array(125).fill(0xfe))), pongs: [new Uint8Array(125).fill(0xfe)], close: 'open' });
add({ id: '2.7', title: 'unsolicited pong without payload is ignored', run: send(pong()), close: 'open' });
add({ id: '2.8', title: 'unsolicited pong with payload is ignored', run: send(pong('unsolicited pong payload')), close: 'open' });
add({ id: '2.9', title: 'unsolicited pong, then ping: only the ping is answered', run: send(pong('unsolicited pong payload'), ping('ping payload')), pongs: ['ping payload'], close: 'open' });
const tenPings = Array.from({ length: 10 }, (_, i) => ping(`payload-${i}`));
add({ id: '2.10', title: '10 pings get 10 pongs, in order', run: send(...tenPings), pongs: tenPings.map((p) => p.payload as string), close: 'open' });
add({ id: '2.11', title: '10 pings sent one byte at a time get 10 pongs', run: chopped(1, ...tenPings), pongs: tenPings.map((p) => p.payload as string), close: 'open' });

// ---- 3 reserved bits (RFC 6455 §5.2: "MUST be 0 unless an extension is negotiated") ----------
add({ id: '3.1', title: 'text with RSV1 fails the connection', run: send(text('Hello, world!', { rsv1: true })), close: 1002 });
add({ id: '3.2', title: 'text, text with RSV2, ping: echo, then fail, no pong', run: send(text('Hello, world!'), text('Hello, world!', { rsv2: true }), ping()), echoes: ['Hello, world!'], close: 1002 });
add({
  id: '3.3',
  title: 'the same frame by frame, waiting for the echo',
  run: async (c) => {
    await c.send([text('Hello, world!')]);
    expect(await echoed(c, 1)).toBe(true);
    await c.send([text('Hello, world!', { rsv2: true, rsv1: true }), ping()]);
  },
  echoes: ['Hello, world!'],
  close: 1002,
});
add({
  id: '3.4',
  title: 'text, text with RSV3, ping, chopped into single bytes',
  run: chopped(1, text('Hello, world!'), text('Hello, world!', { rsv3: true }), ping()),
  echoes: ['Hello, world!'],
  close: 1002,
});
add({ id: '3.5', title: 'binary with RSV1 and RSV3', run: send(binary(bytes(0, 0xff, 0xfe), { rsv1: true, rsv3: true })), close: 1002 });
add({ id: '3.6', title: 'ping with RSV2 and RSV3', run: send(ping('Hello, world!', { rsv2: true, rsv3: true })), close: 1002 });
add({ id: '3.7', title: 'close with every RSV bit set', run: send({ ...close(1000), rsv1: true, rsv2: true, rsv3: true }), close: 1002 });

// ---- 4 opcodes (RFC 6455 §5.2: reserved opcodes fail the connection) --------------------------
[3, 4, 5, 6, 7].forEach((op, i) => {
  add({ id: `4.1.${i + 1}`, title: `reserved data opcode ${op}, after a valid text message`, run: send(text('Hello, world!'), { opcode: op, payload: i % 2 ? 'reserved opcode payload' : '' }, ping()), echoes: ['Hello, world!'], close: 1002 });
});
[11, 12, 13, 14, 15].forEach((op, i) => {
  add({ id: `4.2.${i + 1}`, title: `reserved control opcode ${op}, after a valid text message`, run: paced(text('Hello, world!'), { opcode: op, payload: i % 2 ? 'reserved opcode payload' : '' }, ping()), echoes: ['Hello, world!'], close: 1002 });
});

// ---- 5 fragmentation (RFC 6455 §5.4) -----------------------------------------------------------
add({ id: '5.1', title: 'ping in 2 fragments fails (control frames are not fragmented)', run: send(ping('fragment1', { fin: false }), cont('fragment2', true)), close: 1002 });
add({ id: '5.2', title: 'pong in 2 fragments fails', run: send({ opcode: Opcode.Pong, payload: 'fragment1', fin: false }, cont('fragment2', true)), close: 1002 });
const twoFrags = [text('fragment1', { fin: false }), cont('fragment2', true)];
add({ id: '5.3', title: 'text in 2 fragments is echoed as one message', run: send(...twoFrags), echoes: ['fragment1fragment2'], close: 'open' });
add({ id: '5.4', title: 'text in 2 fragments, chopped into single bytes', run: chopped(1, ...twoFrags), echoes: ['fragment1fragment2'], close: 'open' });
add({ id: '5.5', title: 'text in 2 fragments, frame by frame with pauses', run: paced(...twoFrags), echoes: ['fragment1fragment2'], close: 'open' });
const withPing = [text('fragment1', { fin: false }), ping('pongme!'), cont('fragment2', true)];
add({ id: '5.6', title: 'ping between the fragments of a text message', run: send(...withPing), echoes: ['fragment1fragment2'], pongs: ['pongme!'], close: 'open' });
add({ id: '5.7', title: 'ping between fragments, chopped into single bytes', run: chopped(1, ...withPing), echoes: ['fragment1fragment2'], pongs: ['pongme!'], close: 'open' });
add({ id: '5.8', title: 'ping between fragments, frame by frame with pauses', run: paced(...withPing), echoes: ['fragment1fragment2'], pongs: ['pongme!'], close: 'open' });
const strayFinal = [cont('non-continuation payload', true), text('Hello, world!')];
add({ id: '5.9', title: 'continuation (FIN) with nothing to continue fails', run: send(...strayFinal), close: 1002 });
add({ id: '5.10', title: 'the same, chopped into single bytes', run: chopped(1, ...strayFinal), close: 1002 });
add({ id: '5.11', title: 'the same, frame by frame with pauses', run: paced(...strayFinal), close: 1002 });
const strayOpen = [cont('non-continuation payload', false), text('Hello, world!')];
add({ id: '5.12', title: 'continuation (no FIN) with nothing to continue fails', run: send(...strayOpen), close: 1002 });
add({ id: '5.13', title: 'the same, chopped into single bytes', run: chopped(1, ...strayOpen), close: 1002 });
add({ id: '5.14', title: 'the same, frame by frame with pauses', run: paced(...strayOpen), close: 1002 });
add({
  id: '5.15',
  title: 'a valid fragmented message, then a continuation without a start: echo, then fail',
  run: send(text('fragment1', { fin: false }), cont('fragment2', true), cont('fragment3', false), text('fragment4')),
  echoes: ['fragment1fragment2'],
  close: 1002,
});
add({ id: '5.16', title: 'repeated: stray continuation (no FIN), then a fragmented text', run: send(cont('fragment1', false), text('fragment2', { fin: false }), cont('fragment3', true), cont('fragment1', false), text('fragment2', { fin: false }), cont('fragment3', true)), close: 1002 });
add({ id: '5.17', title: 'repeated: stray continuation (FIN), then a fragmented text', run: send(cont('fragment1', true), text('fragment2', { fin: false }), cont('fragment3', true)), close: 1002 });
add({ id: '5.18', title: 'two text frames where a continuation was due fails', run: send(text('fragment1', { fin: false }), text('fragment2')), close: 1002 });
add({
  id: '5.19',
  title: 'five fragments with pings in between, frame by frame',
  run: paced(text('fragment1', { fin: false }), cont('fragment2', false), ping('pongme 1!'), cont('fragment3', false), ping('pongme 2!'), cont('fragment4', false), cont('fragment5', true)),
  echoes: ['fragment1fragment2fragment3fragment4fragment5'],
  pongs: ['pongme 1!', 'pongme 2!'],
  close: 'open',
});
add({
  id: '5.20',
  title: 'the same, waiting for each pong before going on',
  run: async (c) => {
    await c.send([text('fragment1', { fin: false }), cont('fragment2', false), ping('pongme 1!')]);
    expect(await c.until(() => c.frames(Opcode.Pong).length === 1)).toBe(true);
    await c.send([cont('fragment3', false), ping('pongme 2!')]);
    expect(await c.until(() => c.frames(Opcode.Pong).length === 2)).toBe(true);
    await c.send([cont('fragment4', false), cont('fragment5', true)]);
  },
  echoes: ['fragment1fragment2fragment3fragment4fragment5'],
  pongs: ['pongme 1!', 'pongme 2!'],
  close: 'open',
});

// ---- 6 UTF-8 (RFC 6455 §5.6, §8.1; sequences from Markus Kuhn's UTF-8 decoder stress test) ------
add({ id: '6.1.1', title: 'empty text message', run: send(text('')), echoes: [''], close: 'open' });
add({ id: '6.1.2', title: 'text message of three empty fragments', run: send(text('', { fin: false }), cont('', false), cont('', true)), echoes: [''], close: 'open' });
add({ id: '6.1.3', title: 'empty, non-empty and empty fragment', run: send(text('', { fin: false }), cont('middle frame payload', false), cont('', true)), echoes: ['middle frame payload'], close: 'open' });
const hello = 'Hello-µ@ßöäüàá-UTF-8!!';
add({ id: '6.2.1', title: 'valid UTF-8 in one frame', run: send(text(hello)), echoes: [hello], close: 'open' });
add({ id: '6.2.2', title: 'valid UTF-8 in 2 fragments split at a character boundary', run: send(text('Hello-µ@ßöä', { fin: false }), cont('üàá-UTF-8!!', true)), echoes: [hello], close: 'open' });
add({ id: '6.2.3', title: 'valid UTF-8 in one frame, chopped into single bytes', run: chopped(1, text(hello)), echoes: [hello], close: 'open' });
add({ id: '6.2.4', title: 'valid UTF-8 with a fragment per byte (characters split across fragments)', run: send(...perByte(hex('cebae1bdb9cf83cebcceb5'))), echoes: [Buffer.from(hex('cebae1bdb9cf83cebcceb5')).toString('utf8')], close: 'open' });
const kosmeEdited = hex('cebae1bdb9cf83cebcceb5eda080656469746564');
add({ id: '6.3.1', title: 'invalid UTF-8 (a surrogate) in one frame fails with 1007', run: send(text('', { payload: kosmeEdited })), close: 1007 });
add({ id: '6.3.2', title: 'the same with a fragment per byte', run: send(...perByte(kosmeEdited)), close: 1007 });

// Fail-fast (§8.1 "as soon as"): the server fails at the fragment where the text breaks, before
// the rest of the message is sent; the case checks that the Close frame arrives first.
const failFast = (first: Uint8Array, second: Uint8Array, rest: Uint8Array) => async (c: RawClient) => {
  await c.send([{ opcode: Opcode.Text, payload: first, fin: false }, { opcode: Opcode.Continuation, payload: second, fin: false }]);
  expect(await c.until(() => c.closeFrame() !== undefined, 1000), 'Close frame before the rest of the message').toBe(true);
  await c.send([{ opcode: Opcode.Continuation, payload: rest, fin: true }]);
};
add({ id: '6.4.1', title: 'fail-fast: valid fragment, invalid fragment (U+110000), rest not yet sent', run: failFast(hex('cebae1bdb9cf83cebcceb5'), hex('f4908080'), hex('656469746564')), close: 1007 });
add({ id: '6.4.2', title: 'fail-fast: the sequence breaks in the second fragment', run: failFast(hex('cebae1bdb9cf83cebcceb5f4'), hex('90'), hex('8080656469746564')), close: 1007 });
add({
  id: '6.4.3',
  title: 'one frame whose invalid bytes arrive in a separate read: failed when that frame is read, before any further frame',
  run: async (c) => {
    const frame = RawClient.bytes([{ opcode: Opcode.Text, payload: hex('cebae1bdb9cf83cebcceb5f4908080656469746564'), fin: false }]);
    c.write(frame.subarray(0, 17));
    await sleep(10);
    c.write(frame.subarray(17));
    expect(await c.until(() => c.closeFrame() !== undefined, 1000)).toBe(true);
    await c.send([cont('more', true)]);
  },
  close: 1007,
});
add({
  id: '6.4.4',
  title: 'a fragment ending in the lead byte of a valid sequence is not yet an error; the next one breaks it',
  run: async (c) => {
    await c.send([{ opcode: Opcode.Text, payload: hex('cebae1bdb9cf83cebcceb5f4'), fin: false }]);
    expect(await c.until(() => c.closeFrame() !== undefined, 100), 'no Close while the sequence can still be valid').toBe(false);
    // f4 8f bf is still the start of U+10FFFF; 41 ("A") in place of its last byte breaks it.
    await c.send([cont(hex('8f'), false), cont(hex('bf41'), false)]);
    expect(await c.until(() => c.closeFrame() !== undefined, 1000), 'Close frame before the rest of the message').toBe(true);
    await c.send([cont(hex('656469746564'), true)]);
  },
  close: 1007,
});

/** [id, hex bytes, valid] — each sent as one frame and as a fragment per byte. */
const SEQUENCES: Array<[string, string, boolean]> = [
  ['6.5.1', 'cebae1bdb9cf83cebcceb5', true],
  ['6.7.1', '00', true],
  ['6.7.2', 'c280', true],
  ['6.7.3', 'e0a080', true],
  ['6.7.4', 'f0908080', true],
  ['6.8.1', 'f888808080', false],
  ['6.8.2', 'fc8480808080', false],
  ['6.9.1', '7f', true],
  ['6.9.2', 'dfbf', true],
  ['6.9.3', 'efbfbf', true],
  ['6.9.4', 'f48fbfbf', true],
  ['6.10.1', 'f7bfbfbf', false],
  ['6.10.2', 'fbbfbfbfbf', false],
  ['6.10.3', 'fdbfbfbfbfbf', false],
  ['6.11.1', 'ed9fbf', true],
  ['6.11.2', 'ee8080', true],
  ['6.11.3', 'efbfbd', true],
  ['6.11.4', 'f48fbfbf', true],
  ['6.11.5', 'f4908080', false],
  ['6.12.1', '80', false],
  ['6.12.2', 'bf', false],
  ['6.12.3', '80bf', false],
  ['6.12.4', '80bf80', false],
  ['6.12.5', '80bf80bf', false],
  ['6.12.6', '80bf80bf80', false],
  ['6.12.7', '80bf80bf80bf', false],
  ['6.12.8', Array.from({ length: 64 }, (_, i) => (0x80 + i).toString(16)).join(''), false],
  ['6.13.1', Array.from({ length: 32 }, (_, i) => `${(0xc0 + i).toString(16)}20`).join(''), false],
  ['6.13.2', Array.from({ length: 16 }, (_, i) => `${(0xe0 + i).toString(16)}20`).join(''), false],
  ['6.13.3', Array.from({ length: 8 }, (_, i) => `${(0xf0 + i).toString(16)}20`).join(''), false],
  ['6.13.4', 'f820f920fa20fb20', false],
  ['6.13.5', 'fc20', false],
  ['6.14.1', 'c0', false],
  ['6.14.2', 'e080', false],
  ['6.14.3', 'f08080', false],
  ['6.14.4', 'f8808080', false],
  ['6.14.5', 'fc80808080', false],
  ['6.14.6', 'df', false],
  ['6.14.7', 'efbf', false],
  ['6.14.8', 'f7bfbf', false],
  ['6.14.9', 'fbbfbfbf', false],
  ['6.14.10', 'fdbfbfbfbf', false],
  ['6.15.1', 'c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf', false],
  ['6.16.1', 'fe', false],
  ['6.16.2', 'ff', false],
  ['6.16.3', 'fefeffff', false],
  ['6.17.1', 'c0af', false],
  ['6.17.2', 'e080af', false],
  ['6.17.3', 'f08080af', false],
  ['6.17.4', 'f8808080af', false],
  ['6.17.5', 'fc80808080af', false],
  ['6.18.1', 'c1bf', false],
  ['6.18.2', 'e09fbf', false],
  ['6.18.3', 'f08fbfbf', false],
  ['6.18.4', 'f887bfbfbf', false],
  ['6.18.5', 'fc83bfbfbfbf', false],
  ['6.19.1', 'c080', false],
  ['6.19.2', 'e08080', false],
  ['6.19.3', 'f0808080', false],
  ['6.19.4', 'f880808080', false],
  ['6.19.5', 'fc8080808080', false],
  ['6.20.1', 'eda080', false],
  ['6.20.2', 'edadbf', false],
  ['6.20.3', 'edae80', false],
  ['6.20.4', 'edafbf', false],
  ['6.20.5', 'edb080', false],
  ['6.20.6', 'edbe80', false],
  ['6.20.7', 'edbfbf', false],
  ['6.21.1', 'eda080edb080', false],
  ['6.21.2', 'eda080edbfbf', false],
  ['6.21.3', 'edadbfedb080', false],
  ['6.21.4', 'edadbfedbfbf', false],
  ['6.21.5', 'edae80edb080', false],
  ['6.21.6', 'edae80edbfbf', false],
  ['6.21.7', 'edafbfedb080', false],
  ['6.21.8', 'edafbfedbfbf', false],
  // Noncharacters are valid UTF-8 (Unicode Corrigendum #9): echoed.
  ['6.22.1', 'efbfbe', true],
  ['6.22.2', 'efbfbf', true],
  ['6.22.3', 'f09fbfbe', true],
  ['6.22.4', 'f09fbfbf', true],
  ['6.22.5', 'f48fbfbe', true],
  ['6.22.6', 'f48fbfbf', true],
  ['6.23.1', 'efbfbd', true],
  ['6.23.2', 'e282ac', true],
];
for (const [id, h, valid] of SEQUENCES) {
  const payload = hex(h);
  const decoded = valid ? Buffer.from(payload).toString('utf8') : '';
  add({ id: `${id}a`, title: `${valid ? 'valid' : 'invalid'} ${h.length > 24 ? `${h.slice(0, 24)}…` : h} in one frame`, run: send({ opcode: Opcode.Text, payload }), echoes: valid ? [decoded] : [], close: valid ? 'open' : 1007 });
  add({ id: `${id}b`, title: `${valid ? 'valid' : 'invalid'} ${h.length > 24 ? `${h.slice(0, 24)}…` : h} with a fragment per byte`, run: send(...perByte(payload)), echoes: valid ? [decoded] : [], close: valid ? 'open' : 1007 });
}
// 6.6: every prefix of "κόσμε": valid exactly when it ends at a character boundary.
const kosme = hex('cebae1bdb9cf83cebcceb5');
const boundaries = new Set([2, 5, 7, 9, 11]);
for (let n = 1; n <= kosme.length; n++) {
  const prefix = kosme.subarray(0, n);
  const valid = boundaries.has(n);
  add({ id: `6.6.${n}`, title: `the first ${n} bytes of κόσμε`, run: send({ opcode: Opcode.Text, payload: prefix }), echoes: valid ? [Buffer.from(prefix).toString('utf8')] : [], close: valid ? 'open' : 1007 });
}

// ---- 7 closing (RFC 6455 §5.5.1, §7.4) -----------------------------------------------------------
add({ id: '7.1.1', title: 'text message, then a Close: echo, then Close 1000', run: send(text('Hello World!'), close(1000)), echoes: ['Hello World!'], close: 1000 });
add({ id: '7.1.2', title: 'a second Close after the first is ignored', run: send(close(1000), close(1000)), close: 1000 });
add({ id: '7.1.3', title: 'a ping after the Close is not answered', run: send(close(1000), ping('Hello World!')), pongs: [], close: 1000 });
add({ id: '7.1.4', title: 'a text message after the Close is not echoed', run: send(close(1000), text('Hello World!')), echoes: [], close: 1000 });
add({ id: '7.1.5', title: 'a Close between two fragments ends the connection', run: send(text('fragment1', { fin: false }), close(1000), cont('fragment2', true)), echoes: [], close: 1000 });
add({ id: '7.1.6', title: 'a 256 KiB message, a Close, then a ping: echo, Close, no pong', run: send(text('BAsd7&jh23'.repeat(26214)), close(1000), ping('Hello World!')), echoes: ['BAsd7&jh23'.repeat(26214)], pongs: [], close: 1000 });
add({ id: '7.3.1', title: 'a Close without a body is answered with a Close without a body', run: send({ opcode: Opcode.Close }), close: 'empty' });
add({ id: '7.3.2', title: 'a Close with a 1-byte body fails (§5.5.1)', run: send({ opcode: Opcode.Close, payload: bytes(0x03) }), close: 1002 });
add({ id: '7.3.3', title: 'a Close with code 1000 only', run: send(close(1000)), close: 1000 });
add({ id: '7.3.4', title: 'a Close with code 1000 and a reason', run: send(close(1000, 'Hello World!')), close: 1000 });
add({ id: '7.3.5', title: 'a Close with a 123-byte reason (a 125-byte body)', run: send(close(1000, '*'.repeat(123))), close: 1000 });
add({ id: '7.3.6', title: 'a Close with a 124-byte reason fails (control frames ≤ 125 bytes)', run: send(close(1000, '*'.repeat(124))), close: 1002 });
add({ id: '7.5.1', title: 'a Close reason that is not UTF-8 fails with 1007', run: send(close(1000, kosmeEdited)), close: 1007 });
for (const [i, code] of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].entries()) {
  add({ id: `7.7.${i + 1}`, title: `Close with the valid code ${code} is answered with the same code`, run: send(close(code)), close: code });
}
for (const [i, code] of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].entries()) {
  add({ id: `7.9.${i + 1}`, title: `Close with the code ${code}, which may not be sent, fails with 1002`, run: send(close(code)), close: 1002 });
}

// ---------------------------------------------------------------------------------------------------

const asText = (p: Payload) => (typeof p === 'string' ? p : Buffer.from(p).toString('hex'));

let s: TestServer;
let bystander: RawClient;

beforeAll(async () => {
  s = await startTestServer({ routes: [{ path: '/echo', app: 'echo' }] });
  bystander = await RawClient.connect(s.port, '/echo');
});

afterAll(async () => {
  bystander?.destroy();
  await s?.stop();
});

describe.each(['1', '2', '3', '4', '5', '6', '7'])('Autobahn category %s against the echo route', (category) => {
  it.each(cases.filter((c) => c.id.startsWith(`${category}.`)).map((c) => [c.id, c.title, c] as const))('%s %s', async (_id, _title, kase) => {
    const c = await RawClient.connect(s.port, '/echo');
    try {
      await kase.run(c);
      const wantEchoes = kase.echoes ?? [];
      const wantPongs = kase.pongs;
      if (kase.close === 'open') {
        await c.until(() => c.messages().length >= wantEchoes.length && (wantPongs === undefined || c.frames(Opcode.Pong).length >= wantPongs.length), 3000);
        // Nothing was wrong: the connection is still open, and closes normally on request.
        expect(c.closeFrame()).toBeUndefined();
        await c.send([close(1000)]);
      }
      const closed = await c.closed(3000);
      expect(closed, 'the server sent a Close frame').not.toBeNull();
      if (kase.close === 'empty') expect(closed!.empty).toBe(true);
      else expect(closed!.code).toBe(kase.close === 'open' ? 1000 : kase.close);
      // What arrived before the Close: exactly the expected echoes and pongs.
      const messages = c.messages();
      expect(messages.map((m) => (m.opcode === Opcode.Text ? (m.text ?? '') : Buffer.from(m.data).toString('hex')))).toEqual(wantEchoes.map(asText));
      expect(messages.map((m) => m.opcode)).toEqual(wantEchoes.map((e) => (typeof e === 'string' ? Opcode.Text : Opcode.Binary)));
      if (wantPongs !== undefined) expect(c.frames(Opcode.Pong).map((f) => (wantPongs.some((p) => typeof p !== 'string') ? Buffer.from(f.payload).toString('hex') : Buffer.from(f.payload).toString('utf8')))).toEqual(wantPongs.map(asText));
      expect(c.violations, 'the server sends only valid frames').toEqual([]);
      expect(await c.until(() => c.tcpEnded, 3000), 'the server closed the TCP connection').toBe(true);
    } finally {
      c.destroy();
    }
  });
});

describe('beyond the categories', () => {
  it('fails a message whose declared length exceeds maxPayload with 1009 before its payload arrives', async () => {
    const small = await startTestServer({ routes: [{ path: '/echo', app: 'echo' }], policy: { maxPayload: 1000 } });
    try {
      const c = await RawClient.connect(small.port, '/echo');
      await c.send([text('*'.repeat(1000))]);
      expect(await echoed(c, 1)).toBe(true);
      // Only the header of a 1001-byte frame: the limit is checked on the declared length (§10.4).
      c.write(RawClient.bytes([text('*'.repeat(1001))]).subarray(0, 8));
      expect((await c.closed())?.code).toBe(1009);
      c.destroy();
    } finally {
      await small.stop();
    }
  });

  it('echoes frames sent in the same packet as the upgrade request, and fails at a bad one among them', async () => {
    const early = await RawClient.connect(s.port, '/echo', [], RawClient.bytes([text('too soon'), binary(bytes(1, 2))]));
    expect(await echoed(early, 2)).toBe(true);
    expect(early.messages().map((m) => m.opcode)).toEqual([Opcode.Text, Opcode.Binary]);
    early.destroy();
    const bad = await RawClient.connect(s.port, '/echo', [], RawClient.bytes([text('first'), text('second', { rsv3: true }), text('third')]));
    expect((await bad.closed())?.code).toBe(1002);
    expect(bad.messages().map((m) => m.text)).toEqual(['first']);
    bad.destroy();
    const id = [...s.connections.values()].filter((c) => c.state === 'closed' && c.closeCode === 1002).at(-1)?.id;
    expect(s.server.handshakeOf(id ?? '')?.response?.status).toBe(101);
  });

  it('records the violation in the capture and as the connection close code', async () => {
    const c = await RawClient.connect(s.port, '/echo');
    await c.send([text('Hello', { rsv2: true })]);
    await c.closed();
    c.destroy();
    const closed = await new Promise<import('../../src/shared/records').ConnectionInfo>((resolve) => {
      const poll = () => {
        const info = [...s.connections.values()].filter((i) => i.state === 'closed').at(-1);
        if (info && info.closeCode === 1002 && /RSV2/.test(info.error ?? '')) resolve(info);
        else setTimeout(poll, 10);
      };
      poll();
    });
    expect(closed.error).toMatch(/WS_ERR_UNEXPECTED_RSV_2_3/);
  });

  it('the bystander connection still echoes after every case', async () => {
    await bystander.send([text('still here')]);
    expect(await bystander.until(() => bystander.messages().length === 1)).toBe(true);
    expect(bystander.messages()[0].text).toBe('still here');
    expect(bystander.closeFrame()).toBeUndefined();
  });
});
