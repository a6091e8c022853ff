/**
 * Bad input and bad peers, each with the sentence a person gets, and a workbench that
 * keeps running with what it had captured: an invalid URL, a refused port, a DNS
 * failure, a handshake that never completes, TLS failures, non-101 answers, a wrong
 * Sec-WebSocket-Accept, an unoffered subprotocol, garbage after the 101, a close in the
 * middle of a frame — and redirects, followed hop by hop or not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeConnectionError } from '../../src/main/core/client/connection-errors';
import { makeCerts, requirePythonWebsockets, startPythonPeer, startRawPeer, switchingProtocols, type PythonPeer, type RawPeer, type TestCerts } from './peers';
import { bench, rowsOf, value, waitForInfo, type Bench } from './workbench-helpers';

let b: Bench;
const raw: RawPeer[] = [];
afterEach(async () => {
  await b?.dispose();
  await Promise.all(raw.splice(0).map((p) => p.stop()));
});

async function rawPeer(onRequest: Parameters<typeof startRawPeer>[0]): Promise<RawPeer> {
  const p = await startRawPeer(onRequest);
  raw.push(p);
  return p;
}

async function echoServer(): Promise<string> {
  const started = value(await b.workspace.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] }));
  return started.url;
}

describe('input and network failures', () => {
  it('gives an invalid URL its tab and its reason, and keeps working', async () => {
    b = bench();
    const bad = value(await b.workspace.handlers.connect({ url: 'http//nope' }));
    expect(bad).toMatchObject({ state: 'failed', url: 'http//nope', error: "'http//nope' is not a valid URL: 'http' must be followed by '://' (e.g. ws://host:port/path)" });
    expect(value(await b.workspace.handlers.getHandshake({ connectionId: bad.id })).error).toBe(bad.error);
    expect(await b.workspace.handlers.sendText({ connectionId: bad.id, text: 'x' })).toEqual({ ok: false, error: `connection ${bad.id} never opened: ${bad.error}` });
    const alsoBad = value(await b.workspace.handlers.connect({ url: 'ftp://example.com/' }));
    expect(alsoBad.error).toBe("'ftp://example.com/' is not a ws:// or wss:// URL");
    // The workspace is unharmed: a good connection works next to the failed tabs.
    const good = value(await b.workspace.handlers.connect({ url: `${await echoServer()}/echo` }));
    expect(good.state).toBe('open');
    const snapshot = value(await b.workspace.handlers.getSnapshot({}));
    expect(snapshot.connections.filter((c) => c.role === 'client').map((c) => c.state)).toEqual(['failed', 'failed', 'open']);
  });

  it('refuses malformed options with the field named, before dialling', async () => {
    b = bench();
    expect(await b.workspace.handlers.connect({ url: 'ws://127.0.0.1:1/', headers: [['X Bad', 'v']] })).toEqual({
      ok: false,
      error: "headers[0]: 'X Bad' is not a valid header name (RFC 9110 §5.6.2: letters, digits and !#$%&'*+-.^_`|~ only)",
    });
    expect(await b.workspace.handlers.connect({ url: 'wss://127.0.0.1:1/', tls: { verify: true, caFile: '/nonexistent/ca.pem' } })).toEqual({
      ok: false,
      error: 'tls: cannot read CA file /nonexistent/ca.pem: no such file',
    });
  });

  it('explains a refused port, a DNS failure and a handshake that never completes', async () => {
    b = bench();
    const refused = value(await b.workspace.handlers.connect({ url: 'ws://127.0.0.1:1/' }));
    expect(refused).toMatchObject({ state: 'failed', error: 'Connection refused by 127.0.0.1:1: nothing is listening on that port' });
    // RFC 6761 §6.4: names under .invalid never resolve.
    // (proxy: null, so that an http_proxy in the test machine's environment cannot answer instead of DNS.)
    const dns = value(await b.workspace.handlers.connect({ url: 'ws://nothing.invalid/', proxy: null }));
    expect(dns.error).toBe('Cannot resolve nothing.invalid: the host name was not found in DNS');
    const silent = await rawPeer(() => {});
    const timeout = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${silent.port}/`, handshakeTimeoutMs: 300 }));
    expect(timeout.error).toBe(`The opening handshake with 127.0.0.1:${silent.port} timed out after 300 ms: the server did not answer the upgrade request`);
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: timeout.id }));
    expect(view.request?.raw).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    expect(view.response).toBeUndefined();
  });

  it('says what an unreachable host or network means', () => {
    // These need a route that fails, which a loopback-only test cannot make; the words are checked here.
    expect(describeConnectionError({ code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH 10.9.9.9:80' }, '10.9.9.9:80')).toBe('10.9.9.9:80 is unreachable from this machine');
    expect(describeConnectionError({ code: 'ENETUNREACH', message: 'connect ENETUNREACH' }, 'example.net')).toBe('The network of example.net is unreachable from this machine');
  });
});

describe('TLS failures', () => {
  let certs: TestCerts;
  let selfSigned: PythonPeer;
  let expired: PythonPeer;
  beforeAll(async () => {
    requirePythonWebsockets();
    certs = await makeCerts();
    [selfSigned, expired] = await Promise.all([
      startPythonPeer({ tls: { cert: certs.selfSignedCert, key: certs.selfSignedKey } }),
      startPythonPeer({ tls: { cert: certs.expiredCert, key: certs.expiredKey } }),
    ]);
  });
  afterAll(async () => Promise.all([selfSigned?.stop(), expired?.stop()]));

  it('refuses a self-signed certificate and shows it; connects with verification off', async () => {
    b = bench();
    const refused = value(await b.workspace.handlers.connect({ url: `wss://localhost:${selfSigned.port}/echo` }));
    expect(refused.error).toBe(`TLS: localhost:${selfSigned.port} presented a self-signed certificate (CN=localhost); add it as the CA file, or turn verification off for a test server`);
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: refused.id }));
    expect(view.tls?.chain).toEqual([expect.objectContaining({ subject: 'CN=localhost', issuer: 'CN=localhost' })]);

    const insecure = value(await b.workspace.handlers.connect({ url: `wss://localhost:${selfSigned.port}/echo`, tls: { verify: false } }));
    expect(insecure.state).toBe('open');
    const insecureView = value(await b.workspace.handlers.getHandshake({ connectionId: insecure.id }));
    expect(insecureView.tls).toMatchObject({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    // Trusting that very certificate as the CA works too.
    expect(value(await b.workspace.handlers.connect({ url: `wss://localhost:${selfSigned.port}/echo`, tls: { verify: true, caFile: certs.selfSignedCert } })).state).toBe('open');
  });

  it('refuses an expired certificate, saying since when', async () => {
    b = bench();
    const r = value(await b.workspace.handlers.connect({ url: `wss://localhost:${expired.port}/echo`, tls: { verify: true, caFile: certs.caCert } }));
    expect(r.error).toMatch(new RegExp(`^TLS: the certificate of localhost:${expired.port} has expired \\(valid until \\d{4}-\\d\\d-\\d\\dT`));
  });

  it('refuses wss:// to a plain ws:// server in words', async () => {
    b = bench();
    const url = (await echoServer()).replace('ws://', 'wss://');
    const r = value(await b.workspace.handlers.connect({ url: `${url}/echo` }));
    expect(r.error).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: the server does not speak TLS on this port \(is it a ws:\/\/ server\?\)/);
  });
});

describe('answers that are not a usable 101', () => {
  it('explains a 404 from the embedded server, with its status, headers and body', async () => {
    b = bench();
    const r = value(await b.workspace.handlers.connect({ url: `${await echoServer()}/nope` }));
    expect(r.error).toMatch(/^There is no WebSocket endpoint at this path \(404 Not Found\); check the URL's path\. The server said: ".*\/nope.*"\.$/);
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: r.id }));
    expect(view.response).toMatchObject({ status: 404, statusText: 'Not Found', body: expect.stringContaining('/nope') });
    expect(view.response?.raw).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(view.checks.find((c) => c.id === 'response.status')?.pass).toBe(false);
  });

  it('explains a 503 from a server at its connection limit, and a 401', async () => {
    b = bench();
    const body = 'Too many WebSocket connections (limit 2)';
    const busy = await rawPeer((_h, s) => s.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    const r = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${busy.port}/` }));
    expect(r.error).toBe(`The server is unavailable (503 Service Unavailable): it is at its connection limit or temporarily overloaded. It asks to retry after 5 seconds. The server said: "${body}".`);
    const auth = await rawPeer((_h, s) => s.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="ws"\r\nContent-Length: 0\r\n\r\n'));
    const r2 = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${auth.port}/` }));
    expect(r2.error).toMatch(/^The server requires authentication \(401 Unauthorized\) using Basic; supply credentials/);
  });

  it('fails on a wrong Sec-WebSocket-Accept, naming the expected value', async () => {
    b = bench();
    const liar = await rawPeer((_h, s) => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n'));
    const r = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${liar.port}/` }));
    expect(r.state).toBe('failed');
    expect(r.error).toMatch(/agreed to switch protocols \(101\), but its answer breaks RFC 6455 §4\.1 \(response item 4\): Sec-WebSocket-Accept matches the key — got AAAA.*=, expected .+ for key .+==\. Framescope failed the connection/);
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: r.id }));
    expect(view.checks.find((c) => c.id === 'response.accept')?.pass).toBe(false);
  });

  it('fails when the server selects a subprotocol that was not offered (RFC 6455 §4.1 item 6)', async () => {
    b = bench();
    const peer = await rawPeer((_h, s, key) => s.write(switchingProtocols(key, 'Sec-WebSocket-Protocol: evil\r\n')));
    const r = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${peer.port}/`, subprotocols: ['chat'] }));
    expect(r.error).toMatch(/Subprotocol is one the client offered — the server selected "evil", which is not among chat/);
  });

  it('keeps what it captured when the server sends garbage after the 101', async () => {
    b = bench();
    // A valid text frame "ok", then a frame with reserved opcode 0x3 (RFC 6455 §5.2).
    const peer = await rawPeer((_h, s, key) => s.write(Buffer.concat([Buffer.from(switchingProtocols(key)), Buffer.from('81026f6b', 'hex'), Buffer.from('8300', 'hex')])));
    const r = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${peer.port}/`, deflate: false }));
    const failed = await waitForInfo(b, r.id, (i) => i.state === 'failed');
    expect(failed.error).toMatch(/^The server broke the protocol: .*opcode.*RFC 6455 §5\.2.*Framescope closed the connection with 1002\.$/);
    const rows = rowsOf(b.workspace, r.id);
    expect(rows[0]).toMatchObject({ direction: 'in', opcode: 1, preview: 'ok' });
    expect(rows.some((row) => row.direction === 'in' && row.violation)).toBe(true);
    // ws answers the violation with Close 1002 (RFC 6455 §7.4.1), also captured.
    expect(rows.some((row) => row.direction === 'out' && row.opcode === 8)).toBe(true);
  });

  it('reports a close in the middle of a frame (1006)', async () => {
    b = bench();
    const peer = await rawPeer((_h, s, key) => {
      s.write(Buffer.concat([Buffer.from(switchingProtocols(key)), Buffer.from('81056865', 'hex')]));
      setTimeout(() => s.destroy(), 50);
    });
    const r = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${peer.port}/`, deflate: false }));
    const failed = await waitForInfo(b, r.id, (i) => i.state === 'failed');
    expect(failed).toMatchObject({ closeCode: 1006 });
    expect(failed.error).toMatch(/^The server closed the connection in the middle of a frame: the stream ended \d+ byte\(s\) into a frame that starts at offset 0 \(1006, RFC 6455 §7\.1\.5\)$/);
    expect(rowsOf(b.workspace, r.id).filter((row) => row.violation)).toHaveLength(1);
  });
});

describe('redirects', () => {
  it('shows a redirect it was not told to follow, and follows it hop by hop when told to', async () => {
    b = bench();
    const target = `${await echoServer()}/echo`;
    const redirector = await rawPeer((_h, s) => s.end(`HTTP/1.1 302 Found\r\nLocation: ${target.replace('ws://', 'http://')}\r\nContent-Length: 0\r\n\r\n`));
    const from = `ws://127.0.0.1:${redirector.port}/old`;
    const stay = value(await b.workspace.handlers.connect({ url: from }));
    expect(stay.error).toBe(`The server redirects (302 Found) to ${target.replace('ws://', 'http://')}; connect there instead, or enable following redirects.`);
    const follow = value(await b.workspace.handlers.connect({ url: from, followRedirects: true }));
    expect(follow.state).toBe('open');
    const view = value(await b.workspace.handlers.getHandshake({ connectionId: follow.id }));
    expect(view.hops).toEqual([
      { url: from, status: 302, location: target.replace('ws://', 'http://') },
      { url: target, status: 101 },
    ]);
    expect(b.logs.map((l) => l.message)).toContain(`302 redirect from ${from} to ${target}`);
  });

  it('drops credentials on a redirect to another host, and stops after maxRedirects', async () => {
    requirePythonWebsockets();
    const python = await startPythonPeer();
    try {
      b = bench();
      const elsewhere = await rawPeer((_h, s) => s.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ws://localhost:${python.port}/echo?tag=moved\r\nContent-Length: 0\r\n\r\n`));
      const r = value(await b.workspace.handlers.connect({ url: `ws://u:p@127.0.0.1:${elsewhere.port}/`, followRedirects: true }));
      expect(r.state).toBe('open');
      const seen = await python.waitFor((e) => e.event === 'open' && e.path === '/echo?tag=moved');
      expect((seen.headers as Array<[string, string]>).some(([n]) => n.toLowerCase() === 'authorization')).toBe(false);
      expect(b.logs.map((l) => l.message)).toContain(`not sending Authorization to localhost:${python.port}: the redirect leaves 127.0.0.1:${elsewhere.port}`);
      const loop = await rawPeer((_h, s) => s.end('HTTP/1.1 301 Moved Permanently\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n'));
      const looped = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${loop.port}/`, followRedirects: true, maxRedirects: 2 }));
      expect(looped.error).toBe(`Too many redirects: 3 in a row (the limit is 2); the last one pointed to /again`);
      expect(value(await b.workspace.handlers.getHandshake({ connectionId: looped.id })).hops).toHaveLength(3);
    } finally {
      await python.stop();
    }
  });
});
