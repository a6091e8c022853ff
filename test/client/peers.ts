/**
 * Real peers for the client tests, all on 127.0.0.1 with ephemeral ports:
 *  - python3-websockets (Debian's, at /usr/bin/python3), an independent implementation
 *    that reports on stdout what reached it;
 *  - a small HTTP CONNECT proxy that records what it was asked;
 *  - a raw TCP "server" for the cases no real server produces (a wrong
 *    Sec-WebSocket-Accept, garbage after the 101, a close in the middle of a frame);
 *  - certificates made here: a CA, server certificates (valid, expired, for another
 *    name), a client certificate, and a PKCS#12 bundle.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';

export const PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = fileURLToPath(new URL('./fixtures/ws_peer.py', import.meta.url));

/** Fails with the fix when python3-websockets is missing, rather than skipping silently. */
export function requirePythonWebsockets(): void {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3 and python3-websockets (apt-get install python3-websockets)`);
  try {
    execFileSync(PYTHON, ['-c', 'import websockets'], { stdio: 'pipe' });
  } catch {
    throw new Error(`${PYTHON} cannot import websockets: apt-get install python3-websockets`);
  }
}

export type PeerEvent = Record<string, unknown> & { event: string };

export interface PythonPeer {
  port: number;
  events: PeerEvent[];
  /** Resolves with the first event (already seen or still to come) that matches. */
  waitFor(match: (e: PeerEvent) => boolean, timeoutMs?: number): Promise<PeerEvent>;
  stop(): Promise<void>;
}

export interface PythonPeerConfig {
  tls?: { cert: string; key: string; clientCa?: string };
  subprotocols?: string[];
  compression?: boolean;
  pingInterval?: number | null;
  pingTimeout?: number | null;
}

export async function startPythonPeer(config: PythonPeerConfig = {}): Promise<PythonPeer> {
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [PEER_SCRIPT, JSON.stringify({ pingInterval: null, pingTimeout: null, ...config })]);
  const events: PeerEvent[] = [];
  const waiters: Array<{ match: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as PeerEvent;
    events.push(event);
    for (const w of waiters.splice(0)) {
      if (w.match(event)) w.resolve(event);
      else waiters.push(w);
    }
  });
  const waitFor = (match: (e: PeerEvent) => boolean, timeoutMs = 5000): Promise<PeerEvent> => {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python peer: no matching event within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${stderr}`)), timeoutMs);
      waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await Promise.race([
    waitFor((e) => e.event === 'listening', 10_000),
    exited.then(() => {
      throw new Error(`python peer exited: ${stderr}`);
    }),
  ]);
  return {
    port: listening.port as number,
    events,
    waitFor,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Certificates

export interface TestCerts {
  dir: string;
  caCert: string;
  /** For localhost and 127.0.0.1, signed by the CA. */
  serverCert: string;
  serverKey: string;
  /** Same names, but its validity ended a year ago. */
  expiredCert: string;
  expiredKey: string;
  /** Only for framescope.test (not localhost, not 127.0.0.1). */
  otherNameCert: string;
  otherNameKey: string;
  /** Self-signed, for localhost and 127.0.0.1. */
  selfSignedCert: string;
  selfSignedKey: string;
  clientCert: string;
  clientKey: string;
  /** The client certificate and key as PKCS#12, protected by `pfxPassphrase`. */
  clientPfx: string;
  pfxPassphrase: string;
}

const DAY = 86_400_000;

export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-certs-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const ec = { keyType: 'ec' as const, algorithm: 'sha256' };
  const ca = await generate([{ name: 'commonName', value: 'Framescope Test CA' }], {
    ...ec,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signed = (cn: string, names: Array<{ type: 2; value: string } | { type: 7; ip: string }>, extra: { notBeforeDate?: Date; notAfterDate?: Date; clientAuth?: boolean } = {}) =>
    generate([{ name: 'commonName', value: cn }], {
      ...ec,
      notBeforeDate: extra.notBeforeDate,
      notAfterDate: extra.notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: !extra.clientAuth, clientAuth: extra.clientAuth === true },
        ...(names.length > 0 ? [{ name: 'subjectAltName' as const, altNames: names }] : []),
      ],
    });
  const local = [
    { type: 2 as const, value: 'localhost' },
    { type: 7 as const, ip: '127.0.0.1' },
  ];
  const server = await signed('localhost', local);
  const expired = await signed('localhost', local, { notBeforeDate: new Date(Date.now() - 730 * DAY), notAfterDate: new Date(Date.now() - 365 * DAY) });
  const other = await signed('framescope.test', [{ type: 2, value: 'framescope.test' }]);
  const client = await signed('framescope-client', [], { clientAuth: true });
  const self = await generate([{ name: 'commonName', value: 'localhost' }], { ...ec, extensions: [{ name: 'subjectAltName', altNames: local }] });
  const clientCert = file('client.pem', client.cert);
  const clientKey = file('client.key', client.private);
  const clientPfx = join(dir, 'client.p12');
  const pfxPassphrase = 'p12-secret';
  execFileSync('openssl', ['pkcs12', '-export', '-in', clientCert, '-inkey', clientKey, '-out', clientPfx, '-passout', `pass:${pfxPassphrase}`, '-name', 'framescope-client']);
  return {
    dir,
    caCert: file('ca.pem', ca.cert),
    serverCert: file('server.pem', server.cert),
    serverKey: file('server.key', server.private),
    expiredCert: file('expired.pem', expired.cert),
    expiredKey: file('expired.key', expired.private),
    otherNameCert: file('other.pem', other.cert),
    otherNameKey: file('other.key', other.private),
    selfSignedCert: file('self.pem', self.cert),
    selfSignedKey: file('self.key', self.private),
    clientCert,
    clientKey,
    clientPfx,
    pfxPassphrase,
  };
}

// ---------------------------------------------------------------------------------------
// CONNECT proxy

export interface TestProxy {
  url: string;
  /** Every CONNECT received: its request line and headers. */
  requests: Array<{ line: string; headers: Array<[string, string]> }>;
  stop(): Promise<void>;
}

/**
 * A minimal HTTP proxy (RFC 9110 §9.3.6): answers CONNECT with 200 and pipes bytes.
 * Names under .test resolve to 127.0.0.1 here, so a test can reach its local server
 * by a name that is not loopback (environment proxies are never used for loopback).
 * With `requireAuth` it answers 407 unless Proxy-Authorization matches.
 */
export async function startConnectProxy(options: { requireAuth?: string } = {}): Promise<TestProxy> {
  const requests: TestProxy['requests'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const [line, ...rest] = head.subarray(0, end).toString('latin1').split('\r\n');
      const headers = rest.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
      requests.push({ line, headers });
      const auth = headers.find(([n]) => n.toLowerCase() === 'proxy-authorization')?.[1];
      if (options.requireAuth !== undefined && auth !== options.requireAuth) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const m = /^CONNECT (\S+):(\d+) HTTP\/1\.1$/.exec(line);
      if (!m) {
        client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const host = m[1].endsWith('.test') ? '127.0.0.1' : m[1];
      const upstream = net.connect({ host, port: Number(m[2]) }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const early = head.subarray(end + 4);
        if (early.length > 0) upstream.write(early);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------
// A raw TCP peer and an independent frame reader

export interface RawPeer {
  port: number;
  /** Bytes received per connection, in order. */
  received: Buffer[];
  /** Resolves when a connection has received `predicate`-satisfying bytes. */
  waitForBytes(predicate: (bytes: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
  stop(): Promise<void>;
}

/** RFC 6455 §4.2.2 step 5.4, written out again here rather than imported, as an independent check. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/**
 * Calls `onRequest(head, socket)` once a connection's request head has arrived; what it
 * writes is the "server's" answer. Everything the client sends is recorded.
 */
export async function startRawPeer(onRequest: (head: string, socket: net.Socket, key: string) => void): Promise<RawPeer> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const index = received.push(Buffer.alloc(0)) - 1;
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index], chunk]);
      const all = received[index];
      const end = all.indexOf('\r\n\r\n');
      if (!answered && end >= 0) {
        answered = true;
        const head = all.subarray(0, end).toString('latin1');
        const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
        onRequest(head, socket, key);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const waitForBytes = async (predicate: (bytes: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = received.find(predicate);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`raw peer: bytes not seen within ${timeoutMs} ms; got ${received.map((b) => b.toString('hex')).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    waitForBytes,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface WireFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  length: number;
  payload: Buffer;
}

/** RFC 6455 §5.2, read independently of the decoder under test. Stops at an incomplete frame. */
export function readWireFrames(bytes: Buffer): WireFrame[] {
  const frames: WireFrame[] = [];
  let i = 0;
  while (i + 2 <= bytes.length) {
    const b0 = bytes[i];
    const b1 = bytes[i + 1];
    let len = b1 & 0x7f;
    let at = i + 2;
    if (len === 126) {
      if (at + 2 > bytes.length) break;
      len = bytes.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      if (at + 8 > bytes.length) break;
      len = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? bytes.subarray(at, at + 4) : null;
    if (masked) at += 4;
    if (at + len > bytes.length) break;
    const payload = Buffer.from(bytes.subarray(at, at + len));
    if (key) for (let k = 0; k < payload.length; k++) payload[k] ^= key[k & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, rsv2: (b0 & 0x20) !== 0, rsv3: (b0 & 0x10) !== 0, opcode: b0 & 0x0f, masked, length: len, payload });
    i = at + len;
  }
  return frames;
}

/** The frames a raw peer received after the request head. */
export function framesAfterHead(bytes: Buffer): WireFrame[] {
  const end = bytes.indexOf('\r\n\r\n');
  return end < 0 ? [] : readWireFrames(bytes.subarray(end + 4));
}

/** A 101 answer for a raw peer, correct unless told otherwise. */
export function switchingProtocols(key: string, extra = ''): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n${extra}\r\n`;
}
