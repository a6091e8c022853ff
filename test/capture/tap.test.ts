import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import {
  ByteStreamSplitter,
  ConnectionSplitter,
  connectTappedWebSocket,
  tapServerUpgrade,
  tapSocket,
  tapTimeToEpochMs,
  type TapChunkInfo,
  type TapDirection,
  type TapSink,
} from '../../src/main/core/capture/tap';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { ConnectionCapture } from '../../src/main/core/capture/connection-capture';
import { encodeFrame } from '../../src/main/core/protocol/encoder';
import { computeAccept, parseHttpRequestHead, parseHttpResponseHead } from '../../src/main/core/protocol/handshake';
import { unpackFrameBits } from '../../src/shared/frame-bits';

// ---------------------------------------------------------------------------
// helpers

interface Recorded {
  direction: TapDirection;
  bytes: Uint8Array;
  t: bigint;
  info?: TapChunkInfo;
}

function recorder() {
  const chunks: Recorded[] = [];
  const sink: TapSink = (direction, bytes, t, info) => chunks.push({ direction, bytes, t, info });
  const all = (direction: TapDirection): Buffer => Buffer.concat(chunks.filter((c) => c.direction === direction).map((c) => c.bytes));
  return { chunks, sink, all };
}

interface WireFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** A minimal RFC 6455 §5.2 frame reader for the tests; it insists that the bytes end on a frame boundary. */
function readFrames(bytes: Uint8Array): WireFrame[] {
  const b = Buffer.from(bytes);
  const frames: WireFrame[] = [];
  let i = 0;
  while (i < b.length) {
    if (b.length - i < 2) throw new Error(`truncated frame header at ${i}`);
    const fin = (b[i] & 0x80) !== 0;
    const rsv1 = (b[i] & 0x40) !== 0;
    const opcode = b[i] & 0x0f;
    const masked = (b[i + 1] & 0x80) !== 0;
    let len = b[i + 1] & 0x7f;
    i += 2;
    if (len === 126) {
      len = b.readUInt16BE(i);
      i += 2;
    } else if (len === 127) {
      len = Number(b.readBigUInt64BE(i));
      i += 8;
    }
    let mask: Buffer | null = null;
    if (masked) {
      mask = b.subarray(i, i + 4);
      i += 4;
    }
    if (i + len > b.length) throw new Error(`truncated payload at ${i}: need ${len}, have ${b.length - i}`);
    const payload = Buffer.from(b.subarray(i, i + len));
    if (mask) for (let k = 0; k < payload.length; k++) payload[k] ^= mask[k & 3];
    i += len;
    frames.push({ fin, rsv1, opcode, masked, payload });
  }
  return frames;
}

/** Data messages from frames; permessage-deflate messages inflated (tests run without context takeover). */
function messages(frames: WireFrame[]): string[] {
  const out: string[] = [];
  let parts: Buffer[] = [];
  let compressed = false;
  for (const f of frames) {
    if (f.opcode >= 0x8) continue;
    if (f.opcode !== 0) compressed = f.rsv1;
    parts.push(f.payload);
    if (!f.fin) continue;
    const data = Buffer.concat(parts);
    // RFC 7692 §7.2.2: append 00 00 ff ff before inflating.
    const inflate = (d: Buffer) => inflateRawSync(Buffer.concat([d, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    out.push((compressed ? inflate(data) : data).toString());
    parts = [];
  }
  return out;
}

/** Splits one tapped direction with the module's splitter and reads the frames that follow the head. */
function splitDirection(bytes: Uint8Array, expect: 'request' | 'response') {
  const splitter = new ByteStreamSplitter(expect);
  const events = splitter.push(bytes);
  const head = events[0];
  const frameBytes = Buffer.concat(events.filter((e) => e.type === 'frames').map((e) => e.bytes));
  return { head, events, frames: readFrames(frameBytes), splitter };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A TCP relay that records what actually crossed the wire in each direction. */
async function recordingProxy(targetPort: number) {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const server = net.createServer((down) => {
    const up = net.connect(targetPort, '127.0.0.1');
    down.on('data', (b: Buffer) => {
      c2s.push(Buffer.from(b));
      up.write(b);
    });
    up.on('data', (b: Buffer) => {
      s2c.push(Buffer.from(b));
      down.write(b);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) resolveDone();
    };
    down.on('close', onClose);
    up.on('close', onClose);
  });
  const port = await listen(server);
  return {
    port,
    done,
    c2s: () => Buffer.concat(c2s),
    s2c: () => Buffer.concat(s2c),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

// Deflate without context takeover, and a 0 threshold so even short messages are compressed.
const DEFLATE_SERVER: PerMessageDeflateOptions = { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true };
const DEFLATE_CLIENT: PerMessageDeflateOptions = { threshold: 0 };

/** A ws server behind an http(s) server whose 'upgrade' handler taps the socket. */
async function tappedWsServer(server: http.Server | https.Server, compress: boolean) {
  const rec = recorder();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: compress ? DEFLATE_SERVER : false });
  const received: string[] = [];
  const serverClosed = new Promise<void>((resolve) => {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      tapServerUpgrade(req, socket, head, rec.sink);
      socket.on('close', () => resolve());
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data, isBinary) => {
          received.push(data.toString());
          ws.send(isBinary ? data : `echo:${data.toString()}`);
        });
      });
    });
  });
  const port = await listen(server);
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())), () => wss.close());
  return { port, rec, received, serverClosed };
}

/** Runs a small conversation: two text messages and one binary, echoed, then a normal close. */
async function converse(ws: WebSocket): Promise<string[]> {
  const got: string[] = [];
  await once(ws, 'open');
  ws.send('hello');
  ws.send(Buffer.alloc(300, 0x61)); // > 125 bytes: a 16-bit length (RFC 6455 §5.2)
  ws.send('x'.repeat(70_000)); // > 65535: a 64-bit length
  ws.on('message', (d) => got.push(d.toString()));
  while (got.length < 3) await once(ws, 'message');
  ws.close(1000, 'done');
  await once(ws, 'close');
  return got;
}

let pem: { key: string; cert: string };
beforeAll(async () => {
  // EC keys generate in milliseconds; RSA would cost seconds on a shared CI core.
  const r = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  pem = { key: r.private, cert: r.cert };
});

// ---------------------------------------------------------------------------

describe('tap on real ws connections', () => {
  for (const compress of [false, true]) {
    it(`records exactly the wire bytes on both ends over ws:// (compression ${compress ? 'on' : 'off'})`, async () => {
      const srv = await tappedWsServer(http.createServer(), compress);
      const proxy = await recordingProxy(srv.port);
      cleanups.push(proxy.close);
      const client = recorder();
      const tapped = connectTappedWebSocket(`ws://127.0.0.1:${proxy.port}/chat?x=1`, client.sink, {
        wsOptions: { perMessageDeflate: compress ? DEFLATE_CLIENT : false },
      });
      const got = await converse(tapped.websocket);
      await Promise.all([srv.serverClosed, proxy.done]);

      expect(got).toEqual(['echo:hello', 'a'.repeat(300), `echo:${'x'.repeat(70_000)}`]);
      expect(srv.received).toEqual(['hello', 'a'.repeat(300), 'x'.repeat(70_000)]);

      // The relay saw the wire; both taps must agree with it byte for byte.
      expect(hex(client.all('out'))).toBe(hex(proxy.c2s()));
      expect(hex(client.all('in'))).toBe(hex(proxy.s2c()));
      expect(hex(srv.rec.all('in'))).toBe(hex(proxy.c2s())); // request head reconstructed + head + rest
      expect(hex(srv.rec.all('out'))).toBe(hex(proxy.s2c()));

      // Re-parse the server's view: request head, then masked client frames.
      const inbound = splitDirection(srv.rec.all('in'), 'request');
      expect(inbound.head.type).toBe('request-head');
      if (inbound.head.type === 'request-head') expect(inbound.head.head.target).toBe('/chat?x=1');
      expect(inbound.frames.every((f) => f.masked)).toBe(true); // RFC 6455 §5.3
      expect(messages(inbound.frames)).toEqual(srv.received);
      expect(inbound.frames.at(-1)?.opcode).toBe(0x8);
      expect(inbound.frames.some((f) => f.rsv1)).toBe(compress);

      // ...and the 101, then unmasked server frames.
      const outbound = splitDirection(srv.rec.all('out'), 'response');
      expect(outbound.head.type).toBe('response-head');
      if (outbound.head.type === 'response-head') {
        expect(outbound.head.head.status).toBe(101);
        const ext = outbound.head.head.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-extensions');
        expect(ext !== undefined).toBe(compress);
      }
      expect(outbound.frames.every((f) => !f.masked)).toBe(true);
      expect(messages(outbound.frames)).toEqual(got);

      // The request head is reported as reconstructed, everything else as seen.
      expect(srv.rec.chunks[0].info).toEqual({ reconstructed: true });
      expect(srv.rec.chunks.slice(1).every((c) => c.info === undefined)).toBe(true);
      // Timestamps are monotonic nanoseconds and convert to a plausible wall time.
      const ts = client.chunks.map((c) => c.t);
      expect(ts).toEqual([...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(Math.abs(tapTimeToEpochMs(ts[0]) - Date.now())).toBeLessThan(10_000);
    });
  }

  it('records plaintext on both ends over wss:// with compression', async () => {
    const srv = await tappedWsServer(https.createServer({ key: pem.key, cert: pem.cert }), true);
    const client = recorder();
    const tapped = connectTappedWebSocket(`wss://localhost:${srv.port}/secure`, client.sink, {
      wsOptions: { ca: pem.cert, perMessageDeflate: DEFLATE_CLIENT },
    });
    const got = await converse(tapped.websocket);
    await srv.serverClosed;
    expect(got[0]).toBe('echo:hello');
    // TLS hides the wire, but the two plaintext taps must agree exactly.
    expect(hex(client.all('out'))).toBe(hex(srv.rec.all('in')));
    expect(hex(client.all('in'))).toBe(hex(srv.rec.all('out')));
    expect(Buffer.from(client.all('out').subarray(0, 16)).toString('latin1')).toBe('GET /secure HTTP');
    const inbound = splitDirection(client.all('out'), 'request');
    expect(messages(inbound.frames)).toEqual(srv.received);
    expect(inbound.frames.some((f) => f.rsv1)).toBe(true);
    const outbound = splitDirection(client.all('in'), 'response');
    expect(messages(outbound.frames)).toEqual(got);
    expect((tapped.socket as unknown as { encrypted?: boolean }).encrypted).toBe(true);
  });

  it('loses and duplicates nothing when the 101 and the first frame arrive in one write', async () => {
    // A raw server: answers the upgrade and sends a text frame in the same socket.write.
    let written = Buffer.alloc(0);
    const raw = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const parsed = parseHttpRequestHead(buf);
        if (!parsed.ok || written.length > 0) return;
        const key = parsed.value.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-key')![1];
        const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(key)}\r\n\r\n`;
        const frame = Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('first')]);
        written = Buffer.concat([Buffer.from(head, 'latin1'), frame]);
        sock.write(written); // one write: head and frame share a TCP segment
      });
      sock.on('error', () => {});
    });
    const port = await listen(raw);
    cleanups.push(() => new Promise<void>((r) => raw.close(() => r())));

    const client = recorder();
    const tapped = connectTappedWebSocket(`ws://127.0.0.1:${port}/`, client.sink, { wsOptions: { perMessageDeflate: false } });
    const [msg] = await once(tapped.websocket, 'message');
    expect(msg.toString()).toBe('first');
    tapped.websocket.terminate();

    // Everything the server wrote was read once: no double count of the bytes ws unshifted.
    expect(hex(client.all('in'))).toBe(hex(written));
    const split = new ConnectionSplitter('client');
    const events = split.push('in', client.all('in'));
    expect(events.map((e) => e.type)).toEqual(['response-head', 'frames']);
    const frames = events[1];
    if (frames.type !== 'frames') throw new Error('expected frames');
    expect(frames.offset).toBe(written.length - 7);
    expect(frames.frameOffset).toBe(0);
    expect(readFrames(frames.bytes)).toMatchObject([{ fin: true, opcode: 1, masked: false }]);
  });

  it('loses and duplicates nothing when a client sends the upgrade request and a frame in one write', async () => {
    const srv = await tappedWsServer(http.createServer(), false);
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const request =
      `GET /raw HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    // A masked text frame "early" (RFC 6455 §5.3: client frames are masked).
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from('early').map((b, i) => b ^ mask[i & 3]);
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 5]), mask, payload]);
    const close = Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from([0x03 ^ 1, 0xe8 ^ 2])]);
    const sock = net.connect(srv.port, '127.0.0.1');
    await once(sock, 'connect');
    const sent = Buffer.concat([Buffer.from(request, 'latin1'), frame]);
    sock.write(sent); // head and first frame in one write; the server gets them as `head`
    const fromServer: Buffer[] = [];
    sock.on('data', (d: Buffer) => fromServer.push(d));
    while (srv.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    sock.write(close);
    await srv.serverClosed;
    sock.destroy();

    expect(srv.received).toEqual(['early']);
    expect(hex(srv.rec.all('in'))).toBe(hex(Buffer.concat([sent, close])));
    expect(srv.rec.chunks[1].bytes.length).toBe(frame.length); // `head` reported once, as its own chunk
    expect(hex(srv.rec.all('out'))).toBe(hex(Buffer.concat(fromServer)));
    const outbound = splitDirection(srv.rec.all('out'), 'response');
    if (outbound.head.type !== 'response-head') throw new Error('expected a response head');
    expect(outbound.head.head.headers).toContainEqual(['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']);
    expect(messages(outbound.frames)).toEqual(['echo:early']);
  });

  it("shows why the tap does not use 'data': a listener sees ws's unshifted head again", async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    const viaData: Buffer[] = [];
    const rec = recorder();
    let headLength = -1;
    let serverSocketClosed!: Promise<unknown>;
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      headLength = head.length;
      serverSocketClosed = once(socket, 'close');
      tapServerUpgrade(req, socket, head, rec.sink);
      // Registered before ws's own listener, so it copies bytes before ws unmasks them in place.
      socket.on('data', (d: Buffer) => viaData.push(Buffer.from(d)));
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => ws.close()));
    });
    const port = await listen(server);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())), () => wss.close());
    const mask = Buffer.from([9, 9, 9, 9]);
    const frame = Buffer.concat([Buffer.from([0x82, 0x80 | 3]), mask, Buffer.from([1 ^ 9, 2 ^ 9, 3 ^ 9])]);
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    sock.on('data', () => sock.destroy()); // the 101 or the server's close: enough
    await once(sock, 'connect');
    sock.write(
      `GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n` +
        frame.toString('latin1'),
      'latin1',
    );
    await once(sock, 'close');
    await serverSocketClosed;
    expect(headLength).toBe(frame.length);
    // The 'data' listener gets the unshifted head, so head + 'data' would count the frame twice...
    expect(hex(Buffer.concat(viaData))).toBe(hex(frame));
    // ...while the tap has each byte once: reconstructed request, then the frame.
    expect(rec.chunks.filter((c) => c.direction === 'in' && !c.info).reduce((n, c) => n + c.bytes.length, 0)).toBe(frame.length);
  });

  it('reports bytes that arrived before a late tap attached as preBuffered, in order', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    const rec = recorder();
    const received: string[] = [];
    let resolveClosed!: () => void;
    const serverSocketClosed = new Promise<void>((r) => (resolveClosed = r));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      // An asynchronous step (say, authentication) before tapping: the next frame lands in the buffer meanwhile.
      setTimeout(() => {
        socket.on('close', () => resolveClosed());
        tapServerUpgrade(req, socket, head, rec.sink);
        wss.handleUpgrade(req, socket, head, (ws) =>
          ws.on('message', (d) => {
            received.push(d.toString());
            if (received.length === 2) ws.terminate();
          }),
        );
      }, 80);
    });
    const port = await listen(server);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())), () => wss.close());
    const mask = Buffer.from([5, 6, 7, 8]);
    const masked = (text: string) =>
      Buffer.concat([Buffer.from([0x81, 0x80 | text.length]), mask, Buffer.from(text).map((b, i) => b ^ mask[i & 3])]);
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    await once(sock, 'connect');
    const request = `GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    sock.write(Buffer.concat([Buffer.from(request, 'latin1'), masked('one')]));
    await new Promise((r) => setTimeout(r, 20));
    sock.write(masked('two'));
    await serverSocketClosed;
    expect(received).toEqual(['one', 'two']);
    expect(hex(rec.all('in'))).toBe(hex(Buffer.concat([Buffer.from(request, 'latin1'), masked('one'), masked('two')])));
    expect(rec.chunks.some((c) => c.info?.preBuffered)).toBe(true);
  });

  it('records a refusal sent with socket.end() and splits it as response head and body', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true, verifyClient: () => false });
    const rec = recorder();
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      tapServerUpgrade(req, socket, head, rec.sink);
      wss.handleUpgrade(req, socket, head, () => {});
    });
    const port = await listen(server);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())), () => wss.close());
    const client = recorder();
    const tapped = connectTappedWebSocket(`ws://127.0.0.1:${port}/`, client.sink);
    tapped.websocket.on('error', () => {});
    const [, res] = (await once(tapped.websocket, 'unexpected-response')) as [unknown, http.IncomingMessage];
    expect(res.statusCode).toBe(401);
    res.resume();
    await once(tapped.socket!, 'close');
    expect(hex(rec.all('out'))).toBe(hex(client.all('in')));
    const split = new ConnectionSplitter('server');
    const events = [...split.push('in', rec.all('in')), ...split.push('out', rec.all('out'))];
    expect(events.map((e) => `${e.direction}:${e.type}`)).toEqual(['in:request-head', 'out:response-head', 'out:body']);
    const parsed = parseHttpResponseHead(rec.all('out'));
    expect(parsed.ok && parsed.value.status).toBe(401);
  });

  it('stops recording after detach and leaves the socket working', async () => {
    const server = net.createServer((s) => s.pipe(s));
    const port = await listen(server);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const sock = net.connect(port, '127.0.0.1');
    const rec = recorder();
    const detach = tapSocket(sock, rec.sink);
    sock.write('ab');
    await once(sock, 'data');
    detach();
    detach();
    expect(Object.prototype.hasOwnProperty.call(sock, 'push')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(sock, '_write')).toBe(false);
    sock.write('cd');
    const [d] = await once(sock, 'data');
    expect(d.toString()).toBe('cd');
    sock.destroy();
    expect(rec.all('out').toString()).toBe('ab');
    expect(rec.all('in').toString()).toBe('ab');
  });

  for (const inPlace of [false, true]) {
    it(`feeds ConnectionCapture uncopied while ws reads the very same chunks, losing nothing (${inPlace ? 'unmasked in place' : 'unmasked into copies'})`, async () => {
      const store = new CaptureStore(1 << 30);
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
      const server = http.createServer();
      server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        const capture = new ConnectionCapture(store, 'c1', 'server', { unmaskIncomingInPlace: inPlace });
        tapServerUpgrade(req, socket, head, (direction, bytes, t) => capture.push(direction, bytes, tapTimeToEpochMs(t)), { copy: false });
        wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
      });
      const port = await listen(server);
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())), () => wss.close());

      // Masked client frames of 7-, 16- and 64-bit lengths, written in pieces of 1 to 3 000
      // bytes, one piece per turn of the event loop: frames end mid-read, span reads, share them.
      let seed = 11;
      const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
      const payloads = [5, 300, 70_000, 1, 125, 126, 4096, 0, 65_536, 20].map((n) => Buffer.alloc(n).map(() => next(256)));
      const wire = Buffer.concat(payloads.map((payload) => encodeFrame({ opcode: 2, payload, mask: 'random' })));
      const sock = net.connect(port, '127.0.0.1');
      cleanups.push(() => sock.destroy());
      await once(sock, 'connect');
      sock.write(
        `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      await once(sock, 'data');
      for (let at = 0; at < wire.length; ) {
        const end = Math.min(wire.length, at + 1 + next(3000));
        sock.write(wire.subarray(at, end));
        at = end;
        await new Promise((r) => setImmediate(r));
      }
      const rows = () => {
        const out: Record<'in' | 'out', string[]> = { in: [], out: [] };
        for (let id = store.firstId; id < store.nextId; id++) {
          const row = store.get(id)!;
          out[unpackFrameBits(row.bits).direction].push(Buffer.from(row.payload ?? []).toString('hex'));
        }
        return out;
      };
      for (let waited = 0; rows().out.length < payloads.length && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const expected = payloads.map((p) => Buffer.from(p).toString('hex'));
      expect(rows().in).toEqual(expected);
      expect(rows().out).toEqual(expected);
    });
  }

  it('records a corked batch (writev) part by part, in order, at one time, without copying', async () => {
    const server = net.createServer((s) => s.resume());
    const port = await listen(server);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const rec = recorder();
    tapSocket(sock, rec.sink);
    const first = Buffer.from([1, 2]);
    sock.cork();
    sock.write(first);
    sock.write('é', 'latin1');
    sock.write(Buffer.from([3]));
    sock.uncork();
    sock.end(Buffer.from([4]));
    await once(sock, 'finish');
    sock.destroy();
    expect(rec.chunks.map((c) => hex(c.bytes))).toEqual(['0102', 'e9', '03', '04']);
    expect(rec.chunks[0].bytes).toBe(first);
    expect(new Set(rec.chunks.slice(0, 3).map((c) => c.t)).size).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// An independent peer: Debian's python3-websockets (10.4). The PATH python3 may lack it.

const PYTHON = '/usr/bin/python3';
const PY_SERVER = `
import asyncio, sys, websockets
async def echo(ws, path=None):
    async for m in ws:
        await ws.send(m)
async def main():
    comp = "deflate" if sys.argv[1] == "on" else None
    async with websockets.serve(echo, "127.0.0.1", 0, compression=comp) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

describe('tap against python websockets', () => {
  let py: ChildProcess | null = null;
  let pyPort = 0;
  let available = true;
  beforeAll(async () => {
    try {
      py = spawn(PYTHON, ['-c', PY_SERVER, 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
      pyPort = await new Promise<number>((resolve, reject) => {
        py!.on('error', reject);
        py!.on('exit', (code) => reject(new Error(`python exited ${code}`)));
        py!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      });
    } catch {
      available = false;
    }
  });
  afterAll(() => {
    py?.kill();
  });

  it('records the handshake and frames of a ws client talking to a python websockets server', async () => {
    // .ci/run installs python3-websockets; without it this independent peer is missing, which is a failure.
    expect(available, '/usr/bin/python3 with the websockets module (apt-get install python3-websockets)').toBe(true);
    const proxy = await recordingProxy(pyPort);
    cleanups.push(proxy.close);
    const client = recorder();
    const tapped = connectTappedWebSocket(`ws://127.0.0.1:${proxy.port}/py`, client.sink, { wsOptions: { perMessageDeflate: false } });
    const ws = tapped.websocket;
    await once(ws, 'open');
    ws.send('from node');
    const [m] = await once(ws, 'message');
    expect(m.toString()).toBe('from node');
    ws.close(1000);
    await once(ws, 'close');
    await proxy.done;
    expect(hex(client.all('out'))).toBe(hex(proxy.c2s()));
    expect(hex(client.all('in'))).toBe(hex(proxy.s2c()));
    const inbound = splitDirection(client.all('in'), 'response');
    if (inbound.head.type !== 'response-head') throw new Error('expected a response head');
    expect(inbound.head.head.status).toBe(101);
    expect(inbound.head.head.headers.some(([n, v]) => n === 'Server' && v.includes('websockets'))).toBe(true);
    expect(messages(inbound.frames)).toEqual(['from node']);
    expect(inbound.frames.at(-1)?.opcode).toBe(0x8);
    const outbound = splitDirection(client.all('out'), 'request');
    expect(outbound.frames.every((f) => f.masked)).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('ByteStreamSplitter', () => {
  const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n`;
  const frames = Buffer.from([0x81, 0x02, 0x68, 0x69, 0x89, 0x00]); // text "hi", ping

  it('finds the same head and frame bytes whatever the chunk boundaries', () => {
    const wire = Buffer.concat([Buffer.from(head, 'latin1'), frames]);
    for (const size of [1, 2, 7, head.length - 1, head.length, head.length + 1, wire.length]) {
      const splitter = new ByteStreamSplitter('response');
      const events = [];
      for (let i = 0; i < wire.length; i += size) events.push(...splitter.push(wire.subarray(i, i + size)));
      expect(events[0]).toMatchObject({ type: 'response-head', offset: 0 });
      expect(events[0].bytes.length).toBe(head.length);
      const frameEvents = events.filter((e) => e.type === 'frames');
      expect(hex(Buffer.concat(frameEvents.map((e) => e.bytes)))).toBe(hex(frames));
      // Offsets are contiguous positions in the direction's stream.
      let expected = head.length;
      for (const e of frameEvents) {
        expect(e.offset).toBe(expected);
        if (e.type === 'frames') expect(e.frameOffset).toBe(expected - head.length);
        expected += e.bytes.length;
      }
      expect(splitter.framesStart).toBe(head.length);
      expect(splitter.offset).toBe(wire.length);
    }
  });

  it('skips an interim 100 Continue and waits for the final head (RFC 9110 §15.2)', () => {
    const splitter = new ByteStreamSplitter('response');
    const events = splitter.push(Buffer.from(`HTTP/1.1 100 Continue\r\n\r\n${head}\x81\x00`, 'latin1'));
    expect(events.map((e) => e.type)).toEqual(['response-head', 'response-head', 'frames']);
  });

  it('reports what follows a refusal as body, and bytes after an unreadable head as unparsed', () => {
    const refused = new ByteStreamSplitter('response');
    expect(refused.push(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy')).map((e) => e.type)).toEqual([
      'response-head',
      'body',
    ]);
    const garbage = new ByteStreamSplitter('request');
    const events = garbage.push(Buffer.from('\x16\x03\x01\x02\x00\r\n\r\n', 'latin1')); // a TLS ClientHello on a ws:// port
    expect(events).toMatchObject([{ type: 'unparsed', offset: 0 }]);
    expect(garbage.push(Buffer.from('more'))).toMatchObject([{ type: 'unparsed', offset: 9 }]);
  });

  it("a connection splitter turns the client's bytes after a refused upgrade into body", () => {
    const split = new ConnectionSplitter('client');
    split.push('out', Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    split.push('in', Buffer.from('HTTP/1.1 403 Forbidden\r\n\r\n'));
    expect(split.push('out', Buffer.from([0x81, 0x80, 1, 2, 3, 4]))).toMatchObject([{ direction: 'out', type: 'body' }]);
  });
});
