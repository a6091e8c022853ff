import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Workspace } from '../../src/main/core/app/workspace';
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
function upgrade(query: string, origin: string | undefined): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge${query}`, origin ? { origin } : {});
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode! }));
    ws.on('error', () => undefined);
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

  it('serves the app with the token, and sets it as a SameSite cookie', async () => {
    const res = await get(`/?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Framescope</title>');
    expect(String(res.headers['set-cookie'])).toMatch(/framescope_token=.*HttpOnly; SameSite=Strict/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses a request without a token', async () => {
    const res = await get('/');
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('<title>');
  });

  it('refuses a request with a wrong token', async () => {
    const res = await get(`/?token=${'x'.repeat(host.token.length)}`);
    expect(res.status).toBe(401);
  });

  it('refuses a foreign Origin even with the right token', async () => {
    const res = await get(`/?token=${host.token}`, { Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/Origin 'http:\/\/evil.example' is not allowed/);
  });

  it('refuses a rebinding Host header even with the right token', async () => {
    const res = await get(`/?token=${host.token}`, { Host: `evil.example:${host.port}` });
    expect(res.status).toBe(403);
  });

  it('accepts the token from the cookie for assets', async () => {
    const res = await get('/index.html', { Cookie: `framescope_token=${host.token}` });
    expect(res.status).toBe(200);
  });

  it('refuses a bridge upgrade without a token, with a wrong one, and from a foreign Origin', async () => {
    expect((await upgrade('', `http://127.0.0.1:${host.port}`)).status).toBe(401);
    expect((await upgrade('?token=nope', `http://127.0.0.1:${host.port}`)).status).toBe(401);
    expect((await upgrade(`?token=${host.token}`, 'http://evil.example')).status).toBe(403);
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
