/**
 * The server commands as the console calls them: every handler of ServerCommands, with the
 * errors a person sees for bad input (each naming its field).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChangeHub, type WorkspaceChange } from '../../src/main/core/app/changes';
import { ServerFeature } from '../../src/main/core/app/server-feature';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import type { Result } from '../../src/shared/result';
import { eventually } from './app-fakes';
import { rawRequest, upgradeRequest } from './raw-client';

let feature: ServerFeature;
let changes: WorkspaceChange[];
const dir = mkdtempSync(join(tmpdir(), 'fs-feature-'));

beforeEach(() => {
  const hub = new ChangeHub();
  changes = [];
  hub.on((c) => changes.push(c));
  feature = new ServerFeature({ store: new CaptureStore(), hub, dataDir: dir, log: () => {} });
});
afterEach(async () => feature.dispose());

/** Polls an async check until it returns something (eventually() in app-fakes is synchronous). */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

interface Client {
  ws: WebSocket;
  received: Array<{ data: string; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

function client(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], options);
    const received: Client['received'] = [];
    ws.on('message', (d, binary) => received.push({ data: binary ? Buffer.from(d as Buffer).toString('hex') : d.toString(), binary }));
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('error', () => {});
    ws.once('open', () => resolve({ ws, received, closed }));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function startEcho(extra: Record<string, unknown> = {}) {
  const info = value(await feature.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }], ...extra }));
  const c = await client(`${info.url}/echo`, { headers: { 'X-Test': 'yes' }, protocols: ['demo'] });
  const [view] = await until(async () => {
    const list = value(await feature.handlers.listServerConnections({ serverId: info.id }));
    return list.length ? list : undefined;
  });
  return { info, c, id: view.id };
}

describe('startServer / stopServer', () => {
  it('names the fields of a bad request', async () => {
    const r = await feature.handlers.startServer({ port: -1, routes: [{ path: 'x', app: 'echo' }], policy: { maxPayload: 0 } });
    expect(r).toEqual({
      ok: false,
      error:
        "port: must be a whole number from 0 to 65535, 0 picking a free one (got -1); policy.maxPayload: must be a whole number from 1 to 1073741824 (got 0); routes[0].path: must start with '/' (got \"x\")",
    });
  });

  it('starts, publishes the listener and stops it', async () => {
    const info = value(await feature.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] }));
    expect(info).toMatchObject({ id: 's1', state: 'listening', host: '127.0.0.1', tls: false, routes: [{ match: 'exact', path: '/echo', app: 'echo' }] });
    expect(changes.some((c) => c.kind === 'server' && c.info.state === 'listening')).toBe(true);
    expect(value(await feature.handlers.stopServer({ serverId: info.id })).state).toBe('stopped');
    expect(await feature.handlers.stopServer({ serverId: 's9' })).toEqual({ ok: false, error: "serverId: no server 's9'" });
  });
});

describe('connections', () => {
  it('lists each connection with its request, subprotocol and counters, and gives its handshake', async () => {
    const { info, c, id } = await startEcho();
    c.ws.send('hello');
    await eventually(() => c.received.length === 1);
    const [view] = value(await feature.handlers.listServerConnections({ serverId: info.id }));
    expect(view).toMatchObject({ id, serverId: info.id, path: '/echo', subprotocol: 'demo', framesIn: 1, framesOut: 1, subscriptions: [] });
    expect(view.requestHeaders).toContainEqual(['X-Test', 'yes']);
    expect(view.bytesIn).toBeGreaterThan(view.requestHeaders.length * 4);
    expect(view.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const hs = feature.handshakeOf(id)!;
    expect(hs.response?.raw).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(hs.subprotocol).toBe('demo');
    expect(hs.checks.every((check) => check.pass)).toBe(true);
    expect(feature.connectionStates().find((s) => s.id === id)).toMatchObject({ role: 'server', state: 'open', url: '/echo' });
    c.ws.close();
  });

  it('sends text, JSON, hex, base64 and files, and explains bad input', async () => {
    const { c, id } = await startEcho();
    const file = join(dir, 'payload.bin');
    writeFileSync(file, Buffer.from([1, 2, 3]));
    const send = (payload: unknown) => feature.handlers.serverSend({ connectionId: id, payload: payload as never });
    expect(value(await send({ kind: 'text', text: 'héllo' }))).toEqual({ bytes: 6 });
    expect(value(await send({ kind: 'json', text: '{"a": 12345678901234567890}' }))).toEqual({ bytes: 27 });
    expect(value(await send({ kind: 'hex', text: 'de ad be ef' }))).toEqual({ bytes: 4 });
    expect(value(await send({ kind: 'base64', text: 'AAE=' }))).toEqual({ bytes: 2 });
    expect(value(await send({ kind: 'file', path: file }))).toEqual({ bytes: 3 });
    await eventually(() => c.received.length === 5);
    expect(c.received).toEqual([
      { data: 'héllo', binary: false },
      { data: '{"a": 12345678901234567890}', binary: false },
      { data: 'deadbeef', binary: true },
      { data: '0001', binary: true },
      { data: '010203', binary: true },
    ]);
    expect(await send({ kind: 'json', text: '{"a": }' })).toEqual({ ok: false, error: expect.stringMatching(/^payload\.text: .*column 7/) });
    expect(await send({ kind: 'hex', text: 'zz' })).toEqual({ ok: false, error: expect.stringMatching(/^payload\.text: /) });
    expect(await send({ kind: 'file', path: 'relative' })).toEqual({ ok: false, error: 'payload.path: must be an absolute path (got "relative")' });
    // The workbench's rules, with the field named: a text message must be UTF-8 (RFC 6455 §5.6).
    expect(await send({ kind: 'text', text: 'half \ud83d' })).toEqual({ ok: false, error: expect.stringMatching(/^payload\.text: text: an unpaired surrogate/) });
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(await send({ kind: 'file', path: latin1, binary: false })).toEqual({ ok: false, error: expect.stringMatching(/^payload\.path: file .* is not UTF-8 text/) });
    expect(await send({ kind: 'file', path: '/dev/null' })).toEqual({ ok: false, error: 'payload.path: file /dev/null is not a regular file' });
    expect(await send({ kind: 'smoke' })).toEqual({ ok: false, error: "payload.kind: must be one of 'text', 'json', 'hex', 'base64', 'file' (got \"smoke\")" });
    expect(await feature.handlers.serverSend({ connectionId: 'nope', payload: { kind: 'text', text: '' } })).toEqual({ ok: false, error: "connectionId: no server connection 'nope'" });
    c.ws.close();
  });

  it('writes crafted frames as they are, even ones that break the rules', async () => {
    const { c, id } = await startEcho();
    const frame = (more: Record<string, unknown>) => ({ opcode: 1, fin: true, rsv1: false, rsv2: false, rsv3: false, mask: 'none', payload: { kind: 'text', text: '' }, ...more });
    const fragmented = await feature.handlers.serverSendRaw({
      connectionId: id,
      frames: [frame({ fin: false, payload: { kind: 'text', text: 'frag' } }), frame({ opcode: 0, payload: { kind: 'text', text: 'ments' } })] as never,
    });
    expect(value(fragmented)).toEqual({ bytes: 13 });
    await eventually(() => c.received.length === 1);
    expect(c.received[0]).toEqual({ data: 'fragments', binary: false });
    const badKey = await feature.handlers.serverSendRaw({ connectionId: id, frames: [frame({ mask: { keyHex: '0102' } })] as never });
    expect(badKey).toEqual({ ok: false, error: 'frames[0].mask: a masking key is 4 bytes (8 hex digits), got 2 (RFC 6455 §5.3)' });
    expect(await feature.handlers.serverSendRaw({ connectionId: id, frames: [frame({ fin: 'yes' })] as never })).toEqual({ ok: false, error: 'frames[0].fin: expected true or false' });
    expect(await feature.handlers.serverSendRaw({ connectionId: id, frames: [] })).toEqual({ ok: false, error: 'frames: must be a non-empty list of frames' });
    // RSV2 set with no extension: the client must fail the connection with 1002 (RFC 6455 §5.2).
    // (ws, having failed it, reads no more and reports 1006 on its side.)
    value(await feature.handlers.serverSendRaw({ connectionId: id, frames: [frame({ rsv2: true, payload: { kind: 'text', text: 'x' } })] as never }));
    await c.closed;
    const info = await eventually(() => feature.connectionStates().find((s) => s.id === id && s.state === 'closed'));
    expect(info.closeCode).toBe(1002);
  });

  it('pings with a measured round trip, closes with a code, and terminates', async () => {
    const { info, c, id } = await startEcho();
    const rtt = value(await feature.handlers.serverPing({ connectionId: id, payload: { kind: 'text', text: 'are you there' } }));
    expect(rtt.rttMs).toBeGreaterThanOrEqual(0);
    // A ping carries bytes, not a text message: what has no UTF-8 form goes out as U+FFFD.
    expect(value(await feature.handlers.serverPing({ connectionId: id, payload: { kind: 'text', text: '\ud83d' } })).rttMs).toBeGreaterThanOrEqual(0);
    expect(await feature.handlers.serverPing({ connectionId: id, payload: { kind: 'text', text: 'x'.repeat(126) } })).toEqual({
      ok: false,
      error: 'payload: a ping carries at most 125 bytes (RFC 6455 §5.5), this one has 126',
    });
    expect(await feature.handlers.serverClose({ connectionId: id, code: 1005 })).toEqual({
      ok: false,
      error: 'code: 1005 (no status received) must not be sent; it only reports locally that a Close frame had no code (RFC 6455 §7.4.1)',
    });
    expect(value(await feature.handlers.serverClose({ connectionId: id, code: 4000, reason: 'bye' }))).toEqual({ closed: true });
    expect(await c.closed).toEqual({ code: 4000, reason: 'bye' });
    expect(await feature.handlers.serverClose({ connectionId: id })).toEqual({ ok: false, error: `connectionId: connection '${id}' is closed` });
    expect(feature.connectionStates().find((s) => s.id === id)).toMatchObject({ state: 'closed', closeCode: 4000, closeReason: 'bye' });

    const other = await client(`${info.url}/echo`);
    const view = await until(async () => value(await feature.handlers.listServerConnections({ serverId: info.id })).find((v) => v.id !== id));
    expect(value(await feature.handlers.serverTerminate({ connectionId: view.id }))).toEqual({ closed: true });
    expect((await other.closed).code).toBe(1006);
  });
});

describe('subscriptions', () => {
  it('shows topics with their subscribers and counts, and publishes from the console', async () => {
    const logs = join(dir, 'app.log');
    writeFileSync(logs, '');
    const info = value(
      await feature.handlers.startServer({
        port: 0,
        routes: [
          { path: '/ps', app: 'pubsub' },
          { path: '/logs', app: 'log-view', options: { files: [logs], intervalMs: 50 } },
        ],
      }),
    );
    const a = await client(`${info.url}/ps`);
    const b = await client(`${info.url}/ps`);
    a.ws.send(JSON.stringify({ op: 'subscribe', topic: 'sensors/+' }));
    b.ws.send(JSON.stringify({ op: 'subscribe', topic: 'sensors/kitchen' }));
    await eventually(() => a.received.length === 1 && b.received.length === 1);

    const published = value(await feature.handlers.publish({ serverId: info.id, topic: 'sensors/kitchen', payload: '{"t": 21.5}' }));
    expect(published).toEqual({ delivered: 2 });
    await eventually(() => a.received.length === 2 && b.received.length === 2);
    expect(JSON.parse(a.received[1].data)).toEqual({ topic: 'sensors/kitchen', payload: { t: 21.5 } });

    const views = value(await feature.handlers.listServerConnections({ serverId: info.id }));
    const aId = views.find((v) => v.subscriptions.includes('sensors/+'))!.id;
    const excluded = value(await feature.handlers.publish({ serverId: info.id, route: '/ps', topic: 'sensors/hall', payload: 'plain text', excludeConnectionId: aId }));
    expect(excluded).toEqual({ delivered: 0 });

    const subs = value(await feature.handlers.getSubscriptions({ serverId: info.id }));
    expect(subs.topics.filter((t) => t.route === '/ps')).toEqual([
      { route: '/ps', filter: 'sensors/+', subscribers: [aId], messages: 2 },
      { route: '/ps', filter: 'sensors/kitchen', subscribers: [expect.any(String)], messages: 1 },
    ]);

    expect(await feature.handlers.publish({ serverId: info.id, route: '/logs', topic: 'x', payload: '1' })).toEqual({
      ok: false,
      error: 'route: /logs runs the log-view app, which has no topics to publish to (log-view is read-only)',
    });
    expect(await feature.handlers.publish({ serverId: info.id, route: '/ps', topic: 'a/#', payload: '1' })).toEqual({
      ok: false,
      error: "topic: a topic name must not contain the wildcards '+' or '#'; use them when subscribing (in 'a/#')",
    });
    expect(await feature.handlers.publish({ serverId: info.id, route: '/nope', topic: 'a', payload: '1' })).toEqual({ ok: false, error: 'route: no route "/nope"; routes are /ps, /logs' });
    a.ws.close();
    b.ws.close();
  });

  it('keeps refused handshakes visible, with a bounded history', async () => {
    const info = value(await feature.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }], policy: { maxConnections: 1 } }));
    const keep = await client(`${info.url}/echo`);
    const refused = await rawRequest(info.port, upgradeRequest('/echo', info.port));
    expect(refused.status).toBe(503);
    const failed = await eventually(() => feature.connectionStates().find((s) => s.state === 'failed'));
    expect(failed.error).toMatch(/^503 Service Unavailable: /);
    expect(feature.handshakeOf(failed.id)?.response?.headers).toContainEqual(['Retry-After', '10']);
    keep.ws.close();
  });
});
