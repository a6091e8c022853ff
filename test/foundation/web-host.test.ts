import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Workspace } from '../../src/main/core/app/workspace';
import { allowedHostsFor } from '../../src/main/web/access-policy';
import { startWebHost, type WebHost } from '../../src/main/web/web-host';
import { decodeReply, type BridgeReply } from '../../src/shared/bridge-protocol';

let host: WebHost;
let workspace: Workspace;
let base: string;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Try a bridge upgrade; resolves with the HTTP status of a refusal or 101. */
function upgrade(query: string, origin: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge${query}`, { headers, ...(origin ? { origin } : {}) });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode! }));
    ws.on('error', () => undefined);
  });
}

/** An upgrade request written by hand (ws always sends an Origin when asked, never leaves it out on purpose); resolves with the whole answer. */
function rawUpgrade(target: string, origin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1', () => {
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${origin ? `Origin: ${origin}\r\n` : ''}\r\n`,
      );
    });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // Accepted: the bridge keeps the socket open, so the answer ends with its head.
      if (answer.startsWith('HTTP/1.1 101') && answer.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'fs-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Framescope</title>');
  workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-data-')) });
  host = await startWebHost({ workspace, rendererDir, port: 0, batchIntervalMs: 10 });
  base = `http://127.0.0.1:${host.port}`;
});

afterAll(async () => {
  await host.close();
  await workspace.dispose();
});

describe('browser host', () => {
  it('binds 127.0.0.1 and prints a URL with a random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    expect(host.url).toContain(host.token);
  });

  it('serves the page and its assets without the token, and never sets a cookie', async () => {
    for (const path of ['/', `/?token=${host.token}`, '/index.html']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.body).toContain('<title>Framescope</title>');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('ignores a token cookie: the bridge takes the token only from its URL', async () => {
    const { status } = await upgrade('', `http://127.0.0.1:${host.port}`, { Cookie: `framescope_token=${host.token}` });
    expect(status).toBe(401);
  });

  it('refuses a foreign Origin', async () => {
    const res = await get('/', { Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/Origin 'http:\/\/evil.example' is not allowed/);
    expect((await get('/', { Origin: 'null' })).status).toBe(403);
    // Another port of the same machine is another origin (RFC 6454 §4).
    expect((await get('/', { Origin: 'http://127.0.0.1:1' })).status).toBe(403);
  });

  it('refuses a rebinding Host header', async () => {
    const res = await get('/', { Host: `evil.example:${host.port}` });
    expect(res.status).toBe(403);
    expect((await upgrade(`?token=${host.token}`, `http://127.0.0.1:${host.port}`, { Host: `evil.example:${host.port}` })).status).toBe(403);
  });

  it('refuses a bridge upgrade without a token, with a wrong one, and from a foreign Origin', async () => {
    expect((await upgrade('', `http://127.0.0.1:${host.port}`)).status).toBe(401);
    expect((await upgrade('?token=nope', `http://127.0.0.1:${host.port}`)).status).toBe(401);
    expect((await upgrade(`?token=${host.token}`, 'http://evil.example')).status).toBe(403);
  });

  it('refuses a bridge upgrade with the right token but no Origin (a script replaying a stolen token)', async () => {
    const refused = await rawUpgrade(`/bridge?token=${host.token}`);
    expect(refused.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(refused).toContain('needs an Origin header');
  });

  it('never echoes the token in a refusal or an error page', async () => {
    const answers = [
      (await get(`/no-such-file?token=${host.token}`)).body,
      (await get(`/?token=${host.token}`, { Origin: 'http://evil.example' })).body,
      (await get(`/?token=${host.token}`, { Host: `evil.example:${host.port}` })).body,
      await rawUpgrade(`/bridge?token=${host.token}`),
      await rawUpgrade(`/elsewhere?token=${host.token}`, `http://127.0.0.1:${host.port}`),
      await rawUpgrade(`/bridge?token=${host.token}x`, `http://127.0.0.1:${host.port}`),
    ];
    for (const answer of answers) {
      expect(answer.length).toBeGreaterThan(0);
      expect(answer).not.toContain(host.token);
    }
  });

  it('bridges commands and event batches for a same-origin client with the token', async () => {
    const { status, ws } = await upgrade(`?token=${host.token}`, `http://127.0.0.1:${host.port}`);
    expect(status).toBe(101);
    const replies: BridgeReply[] = [];
    ws!.on('message', (data: Buffer, isBinary) =>
      replies.push(decodeReply(isBinary ? new Uint8Array(data).slice().buffer : data.toString())),
    );
    ws!.send(JSON.stringify({ id: 1, command: 'startServer', request: { port: 0, routes: [{ path: '/echo', app: 'echo' }] } }));
    ws!.send(JSON.stringify({ id: 2, command: 'noSuchCommand', request: {} }));
    await expect.poll(() => replies.filter((r) => r.type === 'result').length).toBe(2);
    const results = replies.filter((r): r is Extract<BridgeReply, { type: 'result' }> => r.type === 'result');
    const started = results.find((r) => r.id === 1)!.result;
    expect(started).toMatchObject({ ok: true, value: { state: 'listening', host: '127.0.0.1' } });
    expect(results.find((r) => r.id === 2)!.result).toEqual({ ok: false, error: "unknown command 'noSuchCommand'" });
    await expect.poll(() => replies.some((r) => r.type === 'events' && r.batch.servers.length > 0)).toBe(true);
    ws!.close();
  });
});

describe('browser host bound to every interface (--host 0.0.0.0)', () => {
  // Bound wide, but every request below goes to 127.0.0.1: the other names are only forged Host headers.
  let wide: WebHost;
  let dataDir: string;
  let wideWorkspace: Workspace;
  beforeAll(async () => {
    const rendererDir = mkdtempSync(join(tmpdir(), 'fs-renderer-'));
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Framescope</title>');
    dataDir = mkdtempSync(join(tmpdir(), 'fs-data-'));
    wideWorkspace = new Workspace({ dataDir });
    wide = await startWebHost({ workspace: wideWorkspace, rendererDir, host: '0.0.0.0', port: 0 });
  });
  afterAll(async () => {
    await wide.close();
    await wideWorkspace.dispose();
  });

  const statusFor = (hostHeader: string, path = '/'): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: wide.port, path, headers: { Host: hostHeader } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });

  it('prints a loopback URL that works', async () => {
    expect(wide.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${wide.port}/\\?token=`));
    expect(await statusFor(`127.0.0.1:${wide.port}`)).toBe(200);
  });

  it("answers to localhost, the loopback addresses and each of this machine's IPv4 addresses, with its port", async () => {
    const own = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === 'IPv4')
      .map((a) => a!.address);
    expect(own).toContain('127.0.0.1');
    for (const name of ['localhost', '127.0.0.1', '[::1]', 'LOCALHOST', '0.0.0.0', ...own]) {
      expect(await statusFor(`${name}:${wide.port}`), name).toBe(200);
    }
  });

  it('still refuses other names, another port, and no port', async () => {
    expect(await statusFor(`evil.example:${wide.port}`)).toBe(403);
    expect(await statusFor(`localhost:${wide.port + 1 > 65535 ? 1 : wide.port + 1}`)).toBe(403);
    expect(await statusFor('localhost')).toBe(403);
  });

  it('opens the bridge for a page loaded from an interface address', async () => {
    const own = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
    const origin = `http://${own}:${wide.port}`;
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${wide.port}/bridge?token=${wide.token}`, { origin, headers: { Host: `${own}:${wide.port}` } });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(101);
  });
});

describe('allowedHostsFor', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4' }, { address: '::1', family: 'IPv6' }],
    eth0: [{ address: '192.168.1.20', family: 'IPv4' }, { address: 'FE80::1', family: 'IPv6' }],
  } as unknown as ReturnType<typeof networkInterfaces>;

  it('lists the loopback names and, for a wildcard bind, the interface addresses of its family', () => {
    expect(allowedHostsFor('0.0.0.0', 80, interfaces).sort()).toEqual(['0.0.0.0:80', '127.0.0.1:80', '192.168.1.20:80', '[::1]:80', 'localhost:80'].sort());
    expect(allowedHostsFor('::', 80, interfaces).sort()).toEqual(['127.0.0.1:80', '192.168.1.20:80', '[::1]:80', '[::]:80', '[fe80::1]:80', 'localhost:80'].sort());
  });

  it('answers a specific address only to that address, and loopback to every loopback name', () => {
    expect(allowedHostsFor('192.168.1.20', 80, interfaces)).toEqual(['192.168.1.20:80']);
    expect(allowedHostsFor('::1', 80, interfaces).sort()).toEqual(['127.0.0.1:80', '[::1]:80', 'localhost:80'].sort());
  });
});
