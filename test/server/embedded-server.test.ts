/**
 * The embedded server over real sockets: handshake refusals from raw TCP requests, caps,
 * origin and credentials, the app's veto, the handshake timeout, subprotocols, deflate,
 * heartbeats and dead peers, TLS with and without client certificates. Every refusal must be
 * answered with its status and reason, be visible as a failed connection with its handshake,
 * and leave the other connections served.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { unpackFrameBits } from '../../src/shared/frame-bits';
import { eventually } from './app-fakes';
import { MAX_REFUSALS_KEPT } from '../../src/main/core/server/embedded-server';
import { type TestServer, startTestServer } from './helpers';
import { RawClient, rawRequest, upgradeRequest } from './raw-client';

const servers: TestServer[] = [];
const start = async (request: Record<string, unknown>, options?: { events?: boolean }) => {
  const s = await startTestServer(request, options);
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const echo = { routes: [{ path: '/echo', app: 'echo' }] };

function open(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function echoOnce(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(data.toString()));
    ws.send(text);
  });
}

const failedWith = (s: TestServer, status: number) => [...s.connections.values()].filter((c) => c.state === 'failed' && c.error?.startsWith(`${status} `));

describe('handshake refusals from raw TCP requests', () => {
  it('answers each with the RFC status and reason, records it, and keeps serving the others', async () => {
    const s = await start(echo);
    const healthy = await RawClient.connect(s.port, '/echo');
    const port = s.port;

    const noHost = await rawRequest(port, upgradeRequest('/echo', port, [], ['Host']));
    expect([noHost.status, noHost.body]).toEqual([400, 'Host header present: no Host header (RFC 6455 §4.2.1 item 2; RFC 9112 §3.2)\n']);

    const noConnection = await rawRequest(port, upgradeRequest('/echo', port, [], ['Connection']));
    expect([noConnection.status, noConnection.body]).toEqual([400, 'Connection includes the "Upgrade" token: no Connection header (RFC 6455 §4.2.1 item 4 (ASCII case-insensitive token))\n']);

    const noUpgrade = await rawRequest(port, upgradeRequest('/echo', port, [], ['Upgrade']));
    expect([noUpgrade.status, noUpgrade.body]).toEqual([400, 'Upgrade includes "websocket": no Upgrade header (RFC 6455 §4.2.1 item 3 (ASCII case-insensitive))\n']);

    const badKey = await rawRequest(port, upgradeRequest('/echo', port, ['Sec-WebSocket-Key: c2hvcnQ='], ['Sec-WebSocket-Key']));
    expect([badKey.status, badKey.body]).toEqual([400, 'Sec-WebSocket-Key is 16 bytes, base64: "c2hvcnQ=" decodes to 5 bytes, not 16 (RFC 6455 §4.2.1 item 5)\n']);

    const http10 = await rawRequest(port, upgradeRequest('/echo', port, [], [], 'GET', '1.0'));
    expect([http10.status, http10.body]).toEqual([400, 'HTTP/1.1 or higher: HTTP/1.0 is older than HTTP/1.1 (RFC 6455 §4.2.1 item 1)\n']);

    const v8 = await rawRequest(port, upgradeRequest('/echo', port, ['Sec-WebSocket-Version: 8'], ['Sec-WebSocket-Version']));
    expect(v8.status).toBe(426);
    expect(v8.head.headers).toContainEqual(['Sec-WebSocket-Version', '13']);

    const post = await rawRequest(port, upgradeRequest('/echo', port, [], [], 'POST'));
    expect(post.status).toBe(405);
    expect(post.head.headers).toContainEqual(['Allow', 'GET']);

    const nowhere = await rawRequest(port, upgradeRequest('/nowhere', port));
    expect([nowhere.status, nowhere.body]).toEqual([404, 'A route takes the path: no route takes /nowhere; routes: exact /echo\n']);

    const garbage = await rawRequest(port, 'HELLO THERE\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatch(/^The request is HTTP\/1\.1: /);

    // A browser opening the URL as a page is told what this is, not counted as a refused handshake.
    const page = await rawRequest(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    expect(page.status).toBe(426);
    expect(page.head.headers).toContainEqual(['Upgrade', 'websocket']);

    expect(s.server.state.refusals).toBe(9);
    expect(failedWith(s, 400)).toHaveLength(6);
    const refusal = failedWith(s, 426)[0];
    expect(refusal.error).toBe('426 Upgrade Required: Sec-WebSocket-Version is 13: Sec-WebSocket-Version is "8"');
    const view = s.server.handshakeOf(refusal.id)!;
    expect(view.request?.headers).toContainEqual(['Sec-WebSocket-Version', '8']);
    expect(view.response).toMatchObject({ status: 426, statusText: 'Upgrade Required' });
    expect(view.checks.find((c) => !c.pass)?.id).toBe('version');
    expect(s.logs.filter((l) => l.level === 'warn' && l.message.startsWith('refused '))).toHaveLength(9);

    await healthy.send([{ opcode: 1, payload: 'still served' }]);
    expect(await healthy.until(() => healthy.messages().length === 1)).toBe(true);
    healthy.destroy();
  });

  it('keeps a closed connection in its history through a flood of refusals, each history bounded on its own', async () => {
    const s = await start(echo);
    const ws = await open(`${s.info.url}/echo`);
    expect(await echoOnce(ws, 'before the flood')).toBe('before the flood');
    const closedId = s.server.connectionViews()[0].id;
    ws.close();
    await eventually(() => s.server.state.connections === 0);
    const refusals: string[] = [];
    for (let i = 0; i < MAX_REFUSALS_KEPT + 20; i++) {
      const r = await rawRequest(s.port, upgradeRequest(`/nowhere-${i}`, s.port));
      expect(r.status).toBe(404);
    }
    await eventually(() => failedWith(s, 404).length === MAX_REFUSALS_KEPT + 20);
    for (const c of failedWith(s, 404)) refusals.push(c.id);
    // The closed connection is still known, with its handshake.
    expect(s.server.knows(closedId)).toBe(true);
    expect(s.server.handshakeOf(closedId)?.response?.status).toBe(101);
    // Refusals: the newest MAX_REFUSALS_KEPT, not more.
    const kept = refusals.filter((id) => s.server.knows(id));
    expect(kept).toHaveLength(MAX_REFUSALS_KEPT);
    expect(s.server.handshakeOf(kept[kept.length - 1])?.response?.status).toBe(404);
    expect(s.server.knows(refusals[0])).toBe(false);
  });

  it('answers 503 with Retry-After at the server cap while the open ones carry on (ntopng)', async () => {
    const s = await start({ ...echo, policy: { maxConnections: 2, retryAfterSeconds: 4 } });
    const a = await open(`${s.info.url}/echo`);
    const b = await open(`${s.info.url}/echo`);
    const refused = await rawRequest(s.port, upgradeRequest('/echo', s.port));
    expect(refused.status).toBe(503);
    expect(refused.head.headers).toContainEqual(['Retry-After', '4']);
    expect(refused.body).toBe("Below the server's connection cap: the server holds its cap of 2 connections; retry after 4 s\n");
    expect(await echoOnce(a, 'a')).toBe('a');
    b.close();
    await eventually(() => s.server.state.connections === 1);
    const c = await open(`${s.info.url}/echo`);
    expect(await echoOnce(c, 'c')).toBe('c');
    a.close();
    c.close();
  });

  it('caps each route on its own', async () => {
    const s = await start({ routes: [{ path: '/one', app: 'echo', maxConnections: 1 }, { path: '/many', app: 'echo' }] });
    const first = await open(`${s.info.url}/one`);
    await expect(open(`${s.info.url}/one`)).rejects.toThrow('HTTP 503');
    const other = await open(`${s.info.url}/many`);
    expect(await echoOnce(other, 'x')).toBe('x');
    first.close();
    other.close();
  });

  it('checks the Origin and the credentials', async () => {
    const s = await start({ ...echo, policy: { originAllowList: ['https://app.example'], credentials: { kind: 'basic', username: 'ada', password: 'pw' } } });
    await expect(open(`${s.info.url}/echo`, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(open(`${s.info.url}/echo`, { origin: 'https://app.example' })).rejects.toThrow('HTTP 401');
    const unauthorized = await rawRequest(s.port, upgradeRequest('/echo', s.port, ['Origin: https://app.example']));
    expect(unauthorized.head.headers).toContainEqual(['WWW-Authenticate', 'Basic realm="Framescope", charset="UTF-8"']);
    const url = new URL(`${s.info.url}/echo`);
    url.username = 'ada';
    url.password = 'pw';
    const ok = await open(url.href, { origin: 'https://app.example' });
    expect(await echoOnce(ok, 'in')).toBe('in');
    ok.close();
  });

  it("refuses with 403 when the app's onInit says no (ntopng onWsInit), or fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-script-'));
    const file = join(dir, 'gate.mjs');
    writeFileSync(file, `export function onInit(conn, req) { if (req.query.get('boom')) throw new Error('kaput'); return req.query.get('let') === 'in'; }\nexport function onMessage(conn, m) { conn.send('got ' + m); }\n`);
    const s = await start({ routes: [{ path: '/gate', app: 'script', options: { file, watch: false } }] });
    const denied = await rawRequest(s.port, upgradeRequest('/gate', s.port));
    expect([denied.status, denied.body]).toEqual([403, "The app's onInit accepts: the script app refused the connection (onInit returned false)\n"]);
    // The script app reports its own onInit exception with the script's line, and refuses.
    const broken = await rawRequest(s.port, upgradeRequest('/gate?boom=1', s.port));
    expect(broken.status).toBe(403);
    expect(s.logs.find((l) => l.level === 'error')?.message).toMatch(/onInit failed: Error: kaput \(.*gate\.mjs:1/);
    const ws = await open(`${s.info.url}/gate?let=in`);
    expect(await echoOnce(ws, 'hi')).toBe('got hi');
    ws.close();
  });

  it('answers 408 when the upgrade request does not arrive within the handshake timeout', async () => {
    const s = await start({ ...echo, policy: { handshakeTimeoutMs: 150 } });
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(s.port, '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.write('GET /echo HTTP/1.1\r\nHost: x\r\n'); // never finished
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(failedWith(s, 408)[0].error).toBe('408 Request Timeout: Request within the handshake timeout: no complete upgrade request within 150 ms');
  });
});

describe('negotiation and liveness', () => {
  it('selects the subprotocol in the server preference order', async () => {
    const s = await start({ ...echo, policy: { subprotocols: ['chat.v2', 'chat.v1'] } });
    const ws = await open(`${s.info.url}/echo`, { protocols: ['chat.v1', 'chat.v2'] });
    expect(ws.protocol).toBe('chat.v2');
    await eventually(() => s.server.connectionViews()[0]?.subprotocol === 'chat.v2');
    ws.close();
  });

  it('negotiates permessage-deflate when on, and the capture shows the compressed frames', async () => {
    const s = await start({ ...echo, policy: { deflate: { serverNoContextTakeover: true } } });
    const ws = await open(`${s.info.url}/echo`, { perMessageDeflate: true });
    expect(ws.extensions).toMatch(/permessage-deflate/);
    expect(await echoOnce(ws, 'squeeze me '.repeat(20))).toBe('squeeze me '.repeat(20));
    const view = s.server.connectionViews()[0];
    expect(view.extensions).toMatch(/server_no_context_takeover/);
    const packed = s.store.pack(0, 100)!;
    const bits = [...packed.bits].map(unpackFrameBits);
    expect(bits.filter((b) => b.opcode === 1 && b.rsv1).map((b) => b.direction).sort()).toEqual(['in', 'out']);
    ws.close();

    const plain = await start(echo);
    const ws2 = await open(`${plain.info.url}/echo`, { perMessageDeflate: true });
    expect(ws2.extensions).toBe('');
    ws2.close();
  });

  it('pings every heartbeat and closes a peer that stops answering (1001), but not one that answers', async () => {
    const s = await start({ ...echo, policy: { heartbeatMs: 60, deadPeerTimeoutMs: 600 } });
    const alive = await open(`${s.info.url}/echo`); // ws answers pings by itself
    const silent = await RawClient.connect(s.port, '/echo'); // reads pings, never answers
    const closed = await silent.closed(2000);
    expect(closed?.code).toBe(1001);
    expect(silent.frames(0x9).length).toBeGreaterThanOrEqual(2);
    expect(Buffer.from(silent.frames(0x9)[0].payload).toString()).toBe('heartbeat');
    const info = await eventually(() => [...s.connections.values()].find((c) => c.state === 'closed'));
    expect(info.error).toMatch(/closed as a dead peer/);
    expect(alive.readyState).toBe(WebSocket.OPEN);
    expect(await echoOnce(alive, 'ok')).toBe('ok');
    alive.close();
    silent.destroy();
  });
});

describe('wss', () => {
  it('serves wss with a self-signed certificate for localhost, shown with its fingerprint', async () => {
    const s = await start({ ...echo, tls: { mode: 'self-signed' } });
    expect(s.info.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const cert = s.info.certificate!;
    expect(cert).toMatchObject({ selfSigned: true, subjectAltName: 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' });
    const ws = await open(`wss://localhost:${s.port}/echo`, { ca: cert.pem });
    expect(await echoOnce(ws, 'secure')).toBe('secure');
    const id = s.server.connectionViews()[0].id;
    expect(s.server.handshakeOf(id)?.tls).toMatchObject({ protocol: 'TLSv1.3', authorized: false, chain: [] });
    ws.close();
  });

  it('serves the person’s own certificate and checks client certificates against the CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-tls-'));
    const ec = { keyType: 'ec' as const, algorithm: 'sha256' };
    const ca = await generate([{ name: 'commonName', value: 'Framescope Test CA' }], { ...ec, extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true }] });
    const server = await generate([{ name: 'commonName', value: 'localhost' }], { ...ec, ca: { key: ca.private, cert: ca.cert }, extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }] });
    const client = await generate([{ name: 'commonName', value: 'ada' }], { ...ec, ca: { key: ca.private, cert: ca.cert }, extensions: [{ name: 'extKeyUsage', clientAuth: true }] });
    const files = { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.pem') };
    writeFileSync(files.certFile, server.cert);
    writeFileSync(files.keyFile, server.private);
    writeFileSync(files.caFile, ca.cert);
    const s = await start({ ...echo, tls: { mode: 'files', ...files }, policy: { requireClientCertificate: true } });
    expect(s.info.certificate).toMatchObject({ selfSigned: false, issuer: 'CN=Framescope Test CA' });

    await expect(open(`wss://localhost:${s.port}/echo`, { ca: ca.cert })).rejects.toThrow();
    const refusal = await eventually(() => [...s.connections.values()].find((c) => c.state === 'failed'));
    expect(refusal.error).toMatch(/^TLS handshake failed: .*\(a client certificate signed by tls\.caFile is required\)$/);

    const ws = await open(`wss://localhost:${s.port}/echo`, { ca: ca.cert, cert: client.cert, key: client.private });
    expect(await echoOnce(ws, 'mutual')).toBe('mutual');
    const id = s.server.connectionViews()[0].id;
    expect(s.server.handshakeOf(id)?.tls).toMatchObject({ authorized: true, chain: [expect.objectContaining({ subject: 'CN=ada' }), expect.objectContaining({ subject: 'CN=Framescope Test CA' })] });
    ws.close();
  });

  it('names the field when a certificate file cannot be used', async () => {
    await expect(startTestServer({ ...echo, tls: { mode: 'files', certFile: '/nonexistent/c.pem', keyFile: '/nonexistent/k.pem' } })).rejects.toThrow(
      'Cannot start the server: tls.certFile: cannot read /nonexistent/c.pem: no such file',
    );
  });
});

describe('listening', () => {
  it('says when the port is taken, and warns when other machines can connect', async () => {
    const s = await start(echo);
    await expect(startTestServer({ ...echo, port: s.port })).rejects.toThrow(`Cannot start the server: port ${s.port} on 127.0.0.1 is already in use`);
    const wide = await start({ ...echo, host: '0.0.0.0' });
    expect(wide.info).toMatchObject({ exposed: true, warning: 'listening on 0.0.0.0: other machines can reach this test server, and it asks for no credentials' });
    expect(wide.info.url).toBe(`ws://127.0.0.1:${wide.port}`);
    expect(s.info.exposed).toBe(false);
  });

  it('closes every client with 1001 when it stops', async () => {
    const s = await startTestServer(echo);
    const ws = await open(`${s.info.url}/echo`);
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    await s.stop();
    expect(await code).toBe(1001);
    expect(s.server.state.state).toBe('stopped');
  });
});

describe('capture', () => {
  it('keeps what the client sent, whole in one read or spread over several, while ws echoes it unchanged', async () => {
    // The server's capture unmasks client frames in the reads ws then parses (FrameDecoderOptions.unmaskInPlace).
    const s = await start(echo);
    let seed = 5;
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
    const payloads = [bytes(5), bytes(300), bytes(70_000), bytes(200)];
    const binary = (payload: Uint8Array) => ({ opcode: 2, payload });
    // The first frame in the same packet as the request, two in one write, the last in 7-byte pieces.
    const c = await RawClient.connect(s.port, '/echo', [], RawClient.bytes([binary(payloads[0])]));
    await c.send([binary(payloads[1]), binary(payloads[2])]);
    await c.send([binary(payloads[3])], 7, 1);
    expect(await c.until(() => c.messages().length === payloads.length)).toBe(true);
    const hex = (b: Uint8Array | null) => Buffer.from(b ?? []).toString('hex');
    expect(c.messages().map((m) => hex(m.data))).toEqual(payloads.map(hex));
    const captured: Record<'in' | 'out', string[]> = { in: [], out: [] };
    for (let id = s.store.firstId; id < s.store.nextId; id++) {
      const row = s.store.get(id)!;
      const bits = unpackFrameBits(row.bits);
      if (bits.opcode === 2) captured[bits.direction].push(hex(row.payload));
    }
    expect(captured).toEqual({ in: payloads.map(hex), out: payloads.map(hex) });
    c.destroy();
  });
});
