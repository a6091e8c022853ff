/**
 * The workbench against an independent implementation, python3-websockets, over ws and
 * wss: what Framescope puts in the handshake (headers, query, credentials, Origin,
 * subprotocols, permessage-deflate parameters, client certificates) is checked where it
 * lands — in the server's own report — and what the server does with fragments, pings
 * and closes is seen from its side.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { ClientSession } from '../../src/main/core/client/client-session';
import { prepareConnection } from '../../src/main/core/client/prepare';
import type { ConnectionInfo } from '../../src/shared/records';
import { makeCerts, requirePythonWebsockets, startConnectProxy, startPythonPeer, type PeerEvent, type PythonPeer, type TestCerts, type TestProxy } from './peers';
import { bench, rowsOf, value, waitForInfo, type Bench } from './workbench-helpers';

let certs: TestCerts;
let plain: PythonPeer;
let secure: PythonPeer;
let mutual: PythonPeer;
let otherName: PythonPeer;
let proxy: TestProxy;
let b: Bench;

beforeAll(async () => {
  requirePythonWebsockets();
  certs = await makeCerts();
  [plain, secure, mutual, otherName, proxy] = await Promise.all([
    startPythonPeer({ subprotocols: ['chat.v2', 'chat.v1'] }),
    startPythonPeer({ tls: { cert: certs.serverCert, key: certs.serverKey } }),
    startPythonPeer({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert } }),
    startPythonPeer({ tls: { cert: certs.otherNameCert, key: certs.otherNameKey } }),
    startConnectProxy(),
  ]);
});
afterAll(async () => {
  await Promise.all([plain, secure, mutual, otherName].map((p) => p?.stop()));
  await proxy?.stop();
});
afterEach(async () => b?.dispose());

/** The server's report of the connection whose path carries `tag`. */
const opened = (peer: PythonPeer, tag: string): Promise<PeerEvent> => peer.waitFor((e) => e.event === 'open' && String(e.path).includes(tag));
const header = (e: PeerEvent, name: string): string | undefined => (e.headers as Array<[string, string]>).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

describe('what reaches python3-websockets over ws://', () => {
  it('sends the headers, query rows, Origin, credentials from the URL and the subprotocols offered', async () => {
    b = bench();
    const info = value(
      await b.workspace.handlers.connect({
        url: `ws://clown:big%20clown@127.0.0.1:${plain.port}/echo?tag=h1`,
        query: [
          ['room', 'a b'],
          ['n', '1'],
        ],
        headers: [['X-Trace', 'abc-123']],
        origin: 'https://console.example',
        subprotocols: ['chat.v3', 'chat.v1'],
      }),
    );
    expect(info).toMatchObject({ state: 'open', subprotocol: 'chat.v1' });
    // The password never reaches a URL a person sees or the request line (RFC 9110 §4.2.4).
    expect(info.url).toBe(`ws://127.0.0.1:${plain.port}/echo?tag=h1&room=a%20b&n=1`);
    const seen = await opened(plain, 'tag=h1');
    expect(seen.path).toBe('/echo?tag=h1&room=a%20b&n=1');
    expect(header(seen, 'X-Trace')).toBe('abc-123');
    expect(header(seen, 'Origin')).toBe('https://console.example');
    expect(header(seen, 'Authorization')).toBe(`Basic ${Buffer.from('clown:big clown').toString('base64')}`);
    expect(header(seen, 'Sec-WebSocket-Protocol')).toBe('chat.v3, chat.v1');
    expect(seen.subprotocol).toBe('chat.v1');
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: info.id }));
    expect(view.subprotocol).toBe('chat.v1');
    expect(view.checks.every((c) => c.pass)).toBe(true);
    expect(view.request?.raw).toMatch(/^GET \/echo\?tag=h1&room=a%20b&n=1 HTTP\/1\.1\r\n/);
    expect(view.request?.raw).not.toContain('big');
  });

  it('turns the auth panel into Authorization: Bearer, and shows that the server chose no subprotocol', async () => {
    b = bench();
    const info = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${plain.port}/echo?tag=bearer`, auth: { kind: 'bearer', token: 'tok.en-42' }, subprotocols: ['mqtt'] }));
    // RFC 6455 §4.2.2: a server may select none of the offered subprotocols; the connection opens.
    expect(info.state).toBe('open');
    expect(info.subprotocol).toBeUndefined();
    expect(header(await opened(plain, 'tag=bearer'), 'Authorization')).toBe('Bearer tok.en-42');
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: info.id }));
    expect(view.checks.find((c) => c.id === 'response.protocol')).toMatchObject({ pass: true, detail: expect.stringMatching(/selected none of mqtt/) });
  });

  it('offers permessage-deflate with the chosen parameters, and none when it is off', async () => {
    b = bench();
    const on = value(
      await b.workspace.handlers.connect({
        url: `ws://127.0.0.1:${plain.port}/echo?tag=deflate-on`,
        deflate: { clientMaxWindowBits: 10, serverMaxWindowBits: 11, clientNoContextTakeover: true, serverNoContextTakeover: true },
      }),
    );
    const seen = await opened(plain, 'tag=deflate-on');
    expect(header(seen, 'Sec-WebSocket-Extensions')).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=10');
    expect(seen.extensions).toEqual([
      { name: 'permessage-deflate', clientNoContextTakeover: true, serverNoContextTakeover: true, clientMaxWindowBits: 10, serverMaxWindowBits: 11 },
    ]);
    expect(on.extensions).toMatch(/^permessage-deflate;.*server_no_context_takeover/);
    // A compressed round trip: RSV1 on both frames, the text readable in the capture.
    const text = 'compress me '.repeat(200);
    value(await b.workspace.handlers.send({ connectionId: on.id, payload: { kind: 'text', text } }));
    await expect.poll(() => rowsOf(b.workspace, on.id).filter((r) => r.opcode === 1).length).toBe(2);
    for (const row of rowsOf(b.workspace, on.id).filter((r) => r.opcode === 1)) {
      expect(row.rsv1).toBe(true);
      expect(row.length).toBeLessThan(text.length);
    }

    const off = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${plain.port}/echo?tag=deflate-off`, deflate: false }));
    const plainSeen = await opened(plain, 'tag=deflate-off');
    expect(header(plainSeen, 'Sec-WebSocket-Extensions')).toBeUndefined();
    expect(plainSeen.extensions).toEqual([]);
    expect(off.extensions).toBeUndefined();
  });

  it('puts fragments, pings and the chosen close code on the wire as sent', async () => {
    b = bench();
    const info = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${plain.port}/echo?tag=wire`, deflate: false }));
    expect(value(await b.workspace.handlers.send({ connectionId: info.id, payload: { kind: 'text', text: 'héllo, fragments' }, fragments: 3 }))).toEqual({ bytes: 17, frames: 3 });
    // python reassembles the three frames into one message (RFC 6455 §5.4).
    await plain.waitFor((e) => e.event === 'message' && e.path === '/echo?tag=wire' && e.text === 'héllo, fragments');
    const out = rowsOf(b.workspace, info.id).filter((r) => r.direction === 'out');
    expect(out.map((r) => [r.opcode, r.fin, r.masked])).toEqual([
      [1, false, true],
      [0, false, true],
      [0, true, true],
    ]);

    const { rttMs } = value(await b.workspace.handlers.ping({ connectionId: info.id, payload: { kind: 'hex', text: 'ca fe' } }));
    expect(rttMs).toBeGreaterThan(0);
    await expect.poll(() => rowsOf(b.workspace, info.id).filter((r) => r.opcode === 0xa && r.direction === 'in').length).toBe(1);

    expect(value(await b.workspace.handlers.closeConnection({ connectionId: info.id, code: 4001, reason: 'done here' })).state).toBe('closing');
    const closed = await plain.waitFor((e) => e.event === 'closed' && e.path === '/echo?tag=wire');
    expect(closed).toMatchObject({ code: 4001, reason: 'done here' });
    expect(await waitForInfo(b, info.id, (i) => i.state === 'closed')).toMatchObject({ closeCode: 4001, closeReason: 'done here' });
  });

  it('with automatic pong off, lets the server’s keepalive timeout close the connection', async () => {
    const strict = await startPythonPeer({ pingInterval: 0.1, pingTimeout: 0.15 });
    try {
      b = bench();
      const info = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${strict.port}/echo` }));
      // Answered automatically, the server's pings keep the connection up.
      await new Promise((r) => setTimeout(r, 500));
      expect(b.latest(info.id)?.state).toBe('open');
      expect(rowsOf(b.workspace, info.id).some((r) => r.opcode === 0xa && r.direction === 'out')).toBe(true);
      expect(value(await b.workspace.handlers.setAutoPong({ connectionId: info.id, enabled: false }))).toEqual({ autoPong: false });
      const closed = await waitForInfo(b, info.id, (i) => i.state === 'closed' || i.state === 'failed', 3000);
      // websockets fails the connection with 1011 when its ping goes unanswered.
      expect(closed).toMatchObject({ closeCode: 1011, autoPong: false });
      expect(closed.closeReason).toMatch(/keepalive ping timeout/);
    } finally {
      await strict.stop();
    }
  });
});

describe('wss:// to python3-websockets', () => {
  it('verifies the server against a CA file and shows protocol, cipher, chain and timings', async () => {
    b = bench();
    const info = value(await b.workspace.handlers.connect({ url: `wss://localhost:${secure.port}/echo?tag=tls`, tls: { verify: true, caFile: certs.caCert } }));
    expect(info.state).toBe('open');
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: info.id }));
    expect(view.tls).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/), cipher: expect.stringMatching(/^TLS_/), authorized: true, alpn: false });
    const leaf = new X509Certificate(readFileSync(certs.serverCert));
    expect(view.tls?.chain[0]).toMatchObject({
      subject: 'CN=localhost',
      issuer: 'CN=Framescope Test CA',
      fingerprint256: leaf.fingerprint256,
      validTo: new Date(leaf.validTo).toISOString(),
      subjectAltName: 'DNS:localhost, IP Address:127.0.0.1',
    });
    for (const phase of ['dnsMs', 'connectMs', 'tlsMs', 'upgradeMs', 'totalMs'] as const) expect(view.timings[phase]).toBeGreaterThanOrEqual(0);
    value(await b.workspace.handlers.sendText({ connectionId: info.id, text: 'over TLS' }));
    await secure.waitFor((e) => e.event === 'message' && e.text === 'over TLS');
  });

  it('connects by IP with a server name override that matches the certificate (SNI, RFC 6066 §3)', async () => {
    b = bench();
    const wrong = value(await b.workspace.handlers.connect({ url: `wss://127.0.0.1:${otherName.port}/echo`, tls: { verify: true, caFile: certs.caCert } }));
    expect(wrong.state).toBe('failed');
    expect(wrong.error).toMatch(/certificate of 127\.0\.0\.1:\d+ is for a different host name; it is issued for DNS:framescope\.test/);
    const right = value(await b.workspace.handlers.connect({ url: `wss://127.0.0.1:${otherName.port}/echo`, tls: { verify: true, caFile: certs.caCert, serverName: 'framescope.test' } }));
    expect(right.state).toBe('open');
  });

  it('presents a client certificate, as PEM files or as PKCS#12 with a passphrase', async () => {
    b = bench();
    const pem = value(
      await b.workspace.handlers.connect({ url: `wss://localhost:${mutual.port}/echo?tag=pem`, tls: { verify: true, caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey } }),
    );
    expect(pem.state).toBe('open');
    expect((await opened(mutual, 'tag=pem')).peercert).toEqual({ commonName: 'framescope-client' });
    const pfx = value(
      await b.workspace.handlers.connect({ url: `wss://localhost:${mutual.port}/echo?tag=pfx`, tls: { verify: true, caFile: certs.caCert, pfxFile: certs.clientPfx, passphrase: certs.pfxPassphrase } }),
    );
    expect(pfx.state).toBe('open');
    expect((await opened(mutual, 'tag=pfx')).peercert).toEqual({ commonName: 'framescope-client' });
    const wrongPass = await b.workspace.handlers.connect({ url: `wss://localhost:${mutual.port}/echo`, tls: { verify: true, pfxFile: certs.clientPfx, passphrase: 'nope' } });
    expect(wrongPass).toEqual({ ok: false, error: `tls: PKCS#12 file ${certs.clientPfx}: the passphrase is wrong` });
    const none = value(await b.workspace.handlers.connect({ url: `wss://localhost:${mutual.port}/echo?tag=none`, tls: { verify: true, caFile: certs.caCert } }));
    expect(none.state).toBe('failed');
    // Seen as a reset right after the TLS 1.3 handshake, or as the server's certificate_required alert.
    expect(none.error).toMatch(/^(localhost:\d+ reset the connection right after the TLS handshake; it may|TLS: localhost:\d+) requires? a client certificate/);
  });
});

describe('through an HTTP proxy (CONNECT, RFC 9110 §9.3.6)', () => {
  it('tunnels ws:// and wss:// through a proxy from the settings', async () => {
    b = bench();
    const before = proxy.requests.length;
    const ws = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${plain.port}/echo?tag=proxied`, proxy: proxy.url }));
    expect(ws).toMatchObject({ state: 'open', proxy: proxy.url });
    const wss = value(await b.workspace.handlers.connect({ url: `wss://localhost:${secure.port}/echo?tag=proxied-tls`, proxy: proxy.url, tls: { verify: true, caFile: certs.caCert } }));
    expect(wss.state).toBe('open');
    expect(proxy.requests.slice(before).map((r) => r.line)).toEqual([`CONNECT 127.0.0.1:${plain.port} HTTP/1.1`, `CONNECT localhost:${secure.port} HTTP/1.1`]);
    value(await b.workspace.handlers.sendText({ connectionId: wss.id, text: 'via proxy' }));
    await secure.waitFor((e) => e.event === 'message' && e.text === 'via proxy');
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: wss.id }));
    expect(view.tls?.authorized).toBe(true);
  });

  it('sends the proxy credentials, and explains a 407', async () => {
    const guarded = await startConnectProxy({ requireAuth: `Basic ${Buffer.from('me:pw').toString('base64')}` });
    try {
      b = bench();
      const refused = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${plain.port}/echo`, proxy: guarded.url }));
      expect(refused.state).toBe('failed');
      expect(refused.error).toMatch(/refused CONNECT 127\.0\.0\.1:\d+: 407 Proxy Authentication Required; put user:password@ in the proxy URL/);
      const withAuth = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${plain.port}/echo`, proxy: guarded.url.replace('http://', 'http://me:pw@') }));
      expect(withAuth.state).toBe('open');
      expect(withAuth.proxy).toBe(guarded.url);
    } finally {
      await guarded.stop();
    }
  });

  it('takes the proxy from HTTPS_PROXY and honours NO_PROXY', async () => {
    const infos: ConnectionInfo[] = [];
    const logs: string[] = [];
    const session = async (url: string, env: Record<string, string>) => {
      const prepared = await prepareConnection({ url, tls: { verify: true, caFile: certs.caCert, serverName: 'localhost' } });
      if (!prepared.ok) throw new Error(prepared.error);
      const s = new ClientSession(`env${infos.length}`, prepared.value, { store: new CaptureStore(), publish: (i) => infos.push(i), log: (_l, m) => logs.push(m), env });
      return { s, info: await s.connect() };
    };
    const before = proxy.requests.length;
    // A name that is not loopback (an environment proxy is never used for loopback); the test proxy maps *.test to 127.0.0.1.
    const via = await session(`wss://peer.framescope.test:${secure.port}/echo?tag=env`, { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.org' });
    expect(via.info).toMatchObject({ state: 'open', proxy: proxy.url });
    expect(proxy.requests.slice(before).map((r) => r.line)).toEqual([`CONNECT peer.framescope.test:${secure.port} HTTP/1.1`]);
    expect(logs).toContain(`via proxy ${proxy.url} (HTTPS_PROXY is set)`);
    via.s.close({ code: 1000 });
    // NO_PROXY matches: a direct connection, which for this name fails in DNS (RFC 6761: .invalid never resolves).
    const direct = await session(`wss://peer.framescope.invalid:${secure.port}/echo`, { HTTPS_PROXY: proxy.url, NO_PROXY: '.invalid' });
    expect(direct.info.state).toBe('failed');
    expect(direct.info.error).toBe(`Cannot resolve peer.framescope.invalid:${secure.port}: the host name was not found in DNS`);
    expect(proxy.requests.length).toBe(before + 1);
  });
});
