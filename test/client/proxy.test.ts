import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import https from 'node:https';
import tls from 'node:tls';
import { once } from 'node:events';
import selfsigned from 'selfsigned';
import WebSocket, { WebSocketServer } from 'ws';
import {
  connectThroughProxy,
  isLoopbackHost,
  matchNoProxy,
  parseProxyUrl,
  ProxyConnectError,
  resolveProxy,
} from '../../src/main/core/client/proxy';

// ---------------------------------------------------------------------------------------
// Environment resolution (pure)
// ---------------------------------------------------------------------------------------

describe('resolveProxy from the environment (curl conventions)', () => {
  const proxyOf = (target: string, env: Record<string, string>) => {
    const r = resolveProxy(target, 'env', env);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };

  it('uses http_proxy for ws:// and https_proxy for wss://', () => {
    const env = { http_proxy: 'http://plain:3128', https_proxy: 'http://secure:3129' };
    expect(proxyOf('ws://example.com/x', env).proxy).toMatchObject({ url: 'http://plain:3128/', source: 'http_proxy' });
    expect(proxyOf('wss://example.com/x', env).proxy).toMatchObject({ url: 'http://secure:3129/', source: 'https_proxy' });
  });

  it('prefers ws_proxy / wss_proxy, then lowercase over uppercase, then ALL_PROXY', () => {
    expect(proxyOf('ws://e.com', { ws_proxy: 'http://a:1', http_proxy: 'http://b:1' }).proxy?.source).toBe('ws_proxy');
    expect(proxyOf('wss://e.com', { HTTPS_PROXY: 'http://up:1', https_proxy: 'http://low:1' }).proxy?.source).toBe('https_proxy');
    expect(proxyOf('wss://e.com', { HTTPS_PROXY: 'http://up:1' }).proxy?.source).toBe('HTTPS_PROXY');
    expect(proxyOf('ws://e.com', { ALL_PROXY: 'http://all:1' }).proxy?.source).toBe('ALL_PROXY');
    expect(proxyOf('wss://e.com', { http_proxy: 'http://only-http:1' }).proxy).toBeNull();
  });

  it('honours uppercase HTTP_PROXY (documented deviation from curl)', () => {
    expect(proxyOf('ws://e.com', { HTTP_PROXY: 'http://p:8080' }).proxy).toMatchObject({ source: 'HTTP_PROXY' });
  });

  it('treats http(s):// targets as ws(s):// and empty variables as unset', () => {
    expect(proxyOf('https://e.com', { https_proxy: 'http://s:1' }).proxy?.source).toBe('https_proxy');
    expect(proxyOf('ws://e.com', { http_proxy: '  ', HTTP_PROXY: 'http://p:1' }).proxy?.source).toBe('HTTP_PROXY');
  });

  it('never sends loopback targets through an environment proxy, but does for an explicit one', () => {
    const env = { http_proxy: 'http://p:1' };
    for (const host of ['localhost', 'a.localhost', '127.0.0.1', '127.9.9.9', '[::1]']) {
      expect(proxyOf(`ws://${host}:9/`, env), host).toMatchObject({ proxy: null, reason: expect.stringContaining('loopback') });
    }
    const explicit = resolveProxy('ws://127.0.0.1:9/', 'http://u:p@127.0.0.1:3128', {});
    expect(explicit).toMatchObject({ ok: true, value: { proxy: { source: 'settings', displayUrl: 'http://127.0.0.1:3128/' } } });
  });

  it('bypasses hosts listed in NO_PROXY and says which entry matched', () => {
    const env = { https_proxy: 'http://p:1', NO_PROXY: 'internal.example, .corp.test,10.0.0.0/8, api.test:8443' };
    expect(proxyOf('wss://internal.example/', env)).toEqual({ proxy: null, reason: "internal.example matches NO_PROXY entry 'internal.example'" });
    expect(proxyOf('wss://a.b.corp.test/', env).proxy).toBeNull();
    expect(proxyOf('wss://10.2.3.4/', env).proxy).toBeNull();
    expect(proxyOf('wss://api.test:8443/', env).proxy).toBeNull();
    expect(proxyOf('wss://api.test/', env).proxy).not.toBeNull(); // port 443 ≠ 8443
    expect(proxyOf('wss://elsewhere.example/', env).proxy).not.toBeNull();
    expect(proxyOf('wss://x.y/', { https_proxy: 'http://p:1', no_proxy: '*' }).proxy).toBeNull();
    expect(proxyOf('wss://x.y/', { https_proxy: 'http://p:1', no_proxy: 'a.b', NO_PROXY: '*' }).proxy).not.toBeNull(); // lowercase wins
  });

  it('says why there is no proxy', () => {
    expect(proxyOf('ws://e.com', {}).reason).toBe('none of ws_proxy, WS_PROXY, http_proxy, HTTP_PROXY, all_proxy, ALL_PROXY is set');
    expect(resolveProxy('ws://e.com', null, { http_proxy: 'http://p:1' })).toEqual({ ok: true, value: { proxy: null, reason: 'no proxy is configured' } });
  });

  it('reports a bad proxy variable with its name', () => {
    expect(resolveProxy('ws://e.com', 'env', { http_proxy: 'socks5://p:1080' })).toEqual({
      ok: false,
      error: "http_proxy: 'socks5://p:1080' is a SOCKS proxy; only HTTP proxies (http:// or https://, using CONNECT) are supported",
    });
  });
});

describe('matchNoProxy', () => {
  it('matches names on dot boundaries only (curl lib/noproxy.c)', () => {
    expect(matchNoProxy('example.com', 443, 'example.com')).toBe('example.com');
    expect(matchNoProxy('www.example.com', 443, 'example.com')).toBe('example.com');
    expect(matchNoProxy('nonexample.com', 443, 'example.com')).toBeUndefined();
    expect(matchNoProxy('www.example.com', 443, '.example.com')).toBe('.example.com');
    expect(matchNoProxy('example.com', 443, '.example.com')).toBe('.example.com');
    expect(matchNoProxy('www.EXAMPLE.com.', 443, '*.example.com')).toBe('*.example.com');
  });

  it('matches IPs exactly or by CIDR, and never a name against an IP entry', () => {
    expect(matchNoProxy('192.168.1.7', 80, '192.168.0.0/16')).toBe('192.168.0.0/16');
    expect(matchNoProxy('192.169.1.7', 80, '192.168.0.0/16')).toBeUndefined();
    expect(matchNoProxy('10.0.0.1', 80, '10.0.0.1')).toBe('10.0.0.1');
    expect(matchNoProxy('[fd00::5]', 80, 'fd00::/8')).toBe('fd00::/8');
    expect(matchNoProxy('fd00::5', 8080, '[fd00::5]:8080')).toBe('[fd00::5]:8080');
    expect(matchNoProxy('localhost', 80, '127.0.0.1')).toBeUndefined();
  });

  it('splits on commas and blanks', () => {
    expect(matchNoProxy('b.test', 80, ' a.test  b.test,,c.test')).toBe('b.test');
  });
});

describe('proxy URLs', () => {
  it('reads a bare host:port as http:// and refuses other schemes', () => {
    expect(parseProxyUrl('proxy.local:3128')).toMatchObject({ ok: true, value: { href: 'http://proxy.local:3128/' } });
    expect(parseProxyUrl('ftp://p:1')).toMatchObject({ ok: false, error: expect.stringContaining("scheme 'ftp'") });
    expect(isLoopbackHost('[::1]')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// CONNECT over real TCP
// ---------------------------------------------------------------------------------------

interface SeenConnect {
  head: string;
  requestLine: string;
  headers: Record<string, string>;
}

/** A tiny CONNECT proxy: records the request, then tunnels (or answers with `refuse`). */
function startProxy(mode: 'tunnel' | { status: number; reason: string; headers?: string[]; body?: string } | 'silent' | 'hangup') {
  const seen: SeenConnect[] = [];
  const server = net.createServer((client) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.removeListener('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      const [requestLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      seen.push({ head, requestLine, headers });
      if (mode === 'silent') return;
      if (mode === 'hangup') {
        client.destroy();
        return;
      }
      if (mode !== 'tunnel') {
        const extra = (mode.headers ?? []).map((h) => `${h}\r\n`).join('');
        const body = mode.body ?? '';
        client.end(`HTTP/1.1 ${mode.status} ${mode.reason}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      const [, authority] = requestLine.split(' ');
      const colon = authority.lastIndexOf(':');
      const upstream = net.connect({ host: authority.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(authority.slice(colon + 1)) }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = buf.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    };
    client.on('data', onData);
    client.on('error', () => undefined);
  });
  return { server, seen };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

describe('connectThroughProxy', () => {
  let wss: WebSocketServer;
  let wsPort: number;
  const servers: net.Server[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    wsPort = (wss.address() as net.AddressInfo).port;
    wss.on('connection', (ws, req) => {
      ws.send(`hello ${req.url}`);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });

  async function proxy(mode: Parameters<typeof startProxy>[0]) {
    const p = startProxy(mode);
    servers.push(p.server);
    const port = await listen(p.server);
    return { ...p, port };
  }

  it('tunnels a WebSocket through CONNECT and sends Proxy-Authorization from the proxy URL', async () => {
    const p = await proxy('tunnel');
    const socket = await connectThroughProxy(`http://user:p%40ss@127.0.0.1:${p.port}`, '127.0.0.1', wsPort, { timeoutMs: 2000 });
    expect(p.seen).toHaveLength(1);
    expect(p.seen[0].requestLine).toBe(`CONNECT 127.0.0.1:${wsPort} HTTP/1.1`);
    expect(p.seen[0].headers.host).toBe(`127.0.0.1:${wsPort}`);
    expect(p.seen[0].headers['proxy-authorization']).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);

    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/through-proxy`, { createConnection: () => socket });
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(d.toString()));
    await once(ws, 'open');
    ws.send('echo me');
    await expect.poll(() => messages).toEqual(['hello /through-proxy', 'echo me']);
    ws.close();
    await once(ws, 'close');
  });

  it('sends extra headers and lets an explicit Proxy-Authorization win; no credentials, no header', async () => {
    const p = await proxy('tunnel');
    const s1 = await connectThroughProxy(`http://u:p@127.0.0.1:${p.port}`, 'localhost', wsPort, {
      timeoutMs: 2000,
      headers: [
        ['Proxy-Authorization', 'Bearer xyz'],
        ['User-Agent', 'framescope-test'],
      ],
    });
    s1.destroy();
    expect(p.seen[0].headers['proxy-authorization']).toBe('Bearer xyz');
    expect(p.seen[0].headers['user-agent']).toBe('framescope-test');
    const s2 = await connectThroughProxy(`127.0.0.1:${p.port}`, '::1', 443, { timeoutMs: 2000 }).catch((e: unknown) => e);
    // The tunnel to [::1]:443 may fail upstream; what matters is the request we sent.
    if (s2 instanceof net.Socket) s2.destroy();
    await expect.poll(() => p.seen.length).toBe(2);
    expect(p.seen[1].requestLine).toBe('CONNECT [::1]:443 HTTP/1.1');
    expect(p.seen[1].headers['proxy-authorization']).toBeUndefined();
  });

  it('keeps bytes the proxy sends right after its 200 for the next owner of the socket', async () => {
    const server = net.createServer((c) => {
      c.once('data', () => c.write('HTTP/1.1 200 Connection Established\r\nVia: test\r\n\r\nEARLY'));
      c.on('error', () => undefined);
    });
    servers.push(server);
    const port = await listen(server);
    const socket = await connectThroughProxy(`http://127.0.0.1:${port}`, 'e.com', 80, { timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 30)); // the next owner attaches later
    const got = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    expect(got).toBe('EARLY');
    socket.destroy();
  });

  it('carries wss:// through the tunnel (TLS to the target inside CONNECT)', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    const httpsServer = https.createServer({ key: pems.private, cert: pems.cert });
    const secure = new WebSocketServer({ server: httpsServer });
    secure.on('connection', (ws) => ws.send('secure hello'));
    httpsServer.listen(0, '127.0.0.1');
    await once(httpsServer, 'listening');
    const securePort = (httpsServer.address() as net.AddressInfo).port;
    try {
      const p = await proxy('tunnel');
      const raw = await connectThroughProxy(`http://127.0.0.1:${p.port}`, 'localhost', securePort, { timeoutMs: 2000 });
      expect(p.seen[0].requestLine).toBe(`CONNECT localhost:${securePort} HTTP/1.1`);
      const ws = new WebSocket(`wss://localhost:${securePort}/`, {
        createConnection: () => tls.connect({ socket: raw, servername: 'localhost', ca: pems.cert }),
      });
      const [msg] = await once(ws, 'message');
      expect(String(msg)).toBe('secure hello');
      ws.close();
      await once(ws, 'close');
    } finally {
      for (const c of secure.clients) c.terminate();
      await new Promise((r) => httpsServer.close(r));
    }
  });

  it('reports a 407 with status, reason and the Proxy-Authenticate challenge', async () => {
    const p = await proxy({ status: 407, reason: 'Proxy Authentication Required', headers: ['Proxy-Authenticate: Basic realm="corp"'], body: 'login first' });
    const err = await connectThroughProxy(`http://127.0.0.1:${p.port}`, 'example.com', 443, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyConnectError);
    const e = err as ProxyConnectError;
    expect(e.code).toBe('PROXY_REFUSED');
    expect(e.message).toBe(
      `proxy http://127.0.0.1:${p.port} refused CONNECT example.com:443: 407 Proxy Authentication Required; put user:password@ in the proxy URL (Proxy-Authenticate: Basic realm="corp")`,
    );
    expect(e.details).toMatchObject({ status: 407, statusText: 'Proxy Authentication Required', body: 'login first' });
  });

  it('reports other refusals with their status line', async () => {
    const p = await proxy({ status: 403, reason: 'Forbidden' });
    await expect(connectThroughProxy(`http://127.0.0.1:${p.port}`, 'blocked.test', 443, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'PROXY_REFUSED',
      message: `proxy http://127.0.0.1:${p.port} refused CONNECT blocked.test:443: 403 Forbidden`,
    });
  });

  it('reports an unreachable proxy', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r)); // nothing listens there now
    await expect(connectThroughProxy(`http://127.0.0.1:${port}`, 'e.com', 443, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'PROXY_UNREACHABLE',
      message: `cannot reach proxy http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    });
  });

  it('times out when the proxy never answers', async () => {
    const p = await proxy('silent');
    const started = Date.now();
    await expect(connectThroughProxy(`http://127.0.0.1:${p.port}`, 'e.com', 443, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'PROXY_TIMEOUT',
      message: `proxy http://127.0.0.1:${p.port} did not answer CONNECT e.com:443 within 150 ms`,
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports a proxy that hangs up without answering', async () => {
    const p = await proxy('hangup');
    await expect(connectThroughProxy(`http://127.0.0.1:${p.port}`, 'e.com', 443, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'PROXY_CLOSED' });
  });

  it('refuses header injection and bad URLs before connecting', async () => {
    await expect(connectThroughProxy('http://127.0.0.1:1', 'e.com', 443, { timeoutMs: 100, headers: { 'X-A': 'a\r\nX-B: b' } })).rejects.toMatchObject({ code: 'PROXY_INVALID' });
    await expect(connectThroughProxy('socks5://127.0.0.1:1', 'e.com', 443, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'PROXY_INVALID' });
    await expect(connectThroughProxy('http://127.0.0.1:1', 'e.com', 0, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'PROXY_INVALID' });
  });

  it('can be cancelled', async () => {
    const p = await proxy('silent');
    const ac = new AbortController();
    const pending = connectThroughProxy(`http://127.0.0.1:${p.port}`, 'e.com', 443, { timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(pending).rejects.toMatchObject({ code: 'PROXY_ABORTED' });
  });
});
