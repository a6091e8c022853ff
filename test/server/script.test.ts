import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ScriptApp, createScriptApp, validateScriptOptions } from '../../src/main/core/server/apps/script';
import { FakeConnection, eventually, fakeContext, fakeRequest, text } from './app-fakes';

let dir: string;
let apps: ScriptApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'framescope-script-'));
});
afterEach(() => {
  for (const a of apps) a.dispose?.();
  apps = [];
  rmSync(dir, { recursive: true, force: true });
});

const SCRIPT = `
export function onInit(conn, request) {
  if (request.query.get('token') !== 'secret') return false;
  conn.data.user = request.query.get('user') ?? 'anon';
}
export function onReady(conn) {
  conn.send('hello ' + conn.data.user);
}
export async function onMessage(conn, message) {
  if (typeof message !== 'string') { conn.send(message); return; }
  if (message === 'bye') return false;
  if (message === 'boom') throw new Error('kaboom');
  if (message === 'async boom') { await Promise.resolve(); throw new Error('later'); }
  if (message.startsWith('sub ')) { conn.subscribe(message.slice(4)); return; }
  if (message.startsWith('pub ')) { const [, topic, payload] = message.split(' '); conn.publish(topic, payload, { excludeSelf: true }); return; }
  if (message === 'who') { conn.send({ count: conn.api.connections().length, version: conn.api.version }); return; }
  conn.send(message.toUpperCase());
}
export function onClose(conn, code, reason) {
  conn.api.log('info', 'closed ' + conn.id + ' ' + code);
}
`;

async function setup(source = SCRIPT, opts: { watch?: boolean } = {}) {
  const file = join(dir, 'handler.mjs');
  writeFileSync(file, source);
  const { context, logs } = fakeContext([]);
  const app = createScriptApp(context, { file, watch: opts.watch ?? true, pollMs: 20 });
  apps.push(app);
  await app.ready;
  let n = 0;
  /** Runs the handshake hooks the way the server does: onInit, then (if accepted) onOpen. */
  const connect = (query = 'token=secret&user=ada') => {
    const conn = new FakeConnection(`c${++n}`, '/script', `10.0.0.${n}`);
    const accepted = app.onInit!(fakeRequest('/script', query, conn.remoteAddress)) !== false;
    if (accepted) app.onOpen!(conn);
    return { conn, accepted };
  };
  const say = (conn: FakeConnection, msg: string) => app.onMessage!(conn, text(msg), false);
  return { app, file, logs, connect, say };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('script app', () => {
  it('runs onInit, onReady and onMessage; conn.data carries from onInit to onReady', async () => {
    const { connect, say, app } = await setup();
    expect(app.status()).toEqual({ file: expect.stringMatching(/handler\.mjs$/), version: 1, loaded: true });
    const { conn, accepted } = connect();
    expect(accepted).toBe(true);
    say(conn, 'shout');
    await settle();
    expect(conn.texts()).toEqual(['hello ada', 'SHOUT']);
  });

  it('refuses the upgrade when onInit returns false', async () => {
    const { connect } = await setup();
    expect(connect('token=wrong').accepted).toBe(false);
  });

  it('ends the connection when onMessage resolves to false', async () => {
    const { connect, say } = await setup();
    const { conn } = connect();
    say(conn, 'bye');
    await settle();
    expect(conn.closed).toEqual({ code: 1000, reason: "ended by the script's onMessage" });
  });

  it('logs a hook error and closes only that connection, with 1011', async () => {
    const { connect, say, logs } = await setup();
    const one = connect().conn;
    const two = connect().conn;
    say(one, 'boom');
    say(two, 'still fine');
    await settle();
    expect(one.closed).toEqual({ code: 1011, reason: 'script error' });
    expect(two.closed).toBeUndefined();
    expect(two.texts()).toContain('STILL FINE');
    const err = logs.find((l) => l.level === 'error');
    expect(err?.message).toMatch(/script handler\.mjs: onMessage failed for c1: Error: kaboom \(.*handler\.mjs:\d+:\d+\)/);
  });

  it('catches rejected promises the same way', async () => {
    const { connect, say, logs } = await setup();
    const { conn } = connect();
    say(conn, 'async boom');
    await eventually(() => conn.closed);
    expect(conn.closed?.code).toBe(1011);
    expect(logs.some((l) => l.level === 'error' && /Error: later/.test(l.message))).toBe(true);
  });

  it('lets scripts subscribe and publish on the route, and calls onClose', async () => {
    const { app, connect, say, logs } = await setup();
    const a = connect().conn;
    const b = connect().conn;
    say(a, 'sub news/#');
    say(b, 'sub news/#');
    await settle();
    say(b, 'pub news/today sunny');
    await settle();
    expect(a.texts()).toContain('{"topic":"news/today","payload":"sunny"}');
    expect(b.texts().some((t) => t.includes('sunny'))).toBe(false);
    expect(app.snapshot().topics).toEqual([{ filter: 'news/#', subscribers: ['c1', 'c2'], messages: 1 }]);
    app.onClose!(a, 1001, 'going away');
    expect(app.snapshot().topics[0].subscribers).toEqual(['c2']);
    expect(logs.some((l) => l.message === 'script handler.mjs: closed c1 1001')).toBe(true);
  });

  it('echoes binary messages as bytes', async () => {
    const { app, connect } = await setup();
    const { conn } = connect();
    app.onMessage!(conn, new Uint8Array([1, 2, 3]), true);
    await settle();
    expect(conn.sent.at(-1)).toEqual({ data: new Uint8Array([1, 2, 3]), binary: true });
  });

  it('sends the bytes a script passed, even if it changes its array right after', async () => {
    const { connect, say } = await setup(`
export function onMessage(conn, message) {
  const bytes = new Uint8Array([1, 2, 3]);
  const buffer = new Uint8Array([4, 5]).buffer;
  conn.send(bytes);
  conn.send(buffer);
  conn.api.broadcast(bytes);
  bytes.fill(9);
  new Uint8Array(buffer).fill(9);
}
`);
    const { conn } = connect();
    say(conn, 'go');
    await settle();
    expect(conn.sent.map((m) => Array.from(m.data as Uint8Array))).toEqual([
      [1, 2, 3],
      [4, 5],
      [1, 2, 3],
    ]);
  });

  it('hands a script a copy of the bytes received, which it may write into', async () => {
    const { app, connect } = await setup(`
export function onMessage(conn, message) {
  message.fill(0);
}
`);
    const { conn } = connect();
    const received = new Uint8Array([1, 2, 3]);
    app.onMessage!(conn, received, true);
    await settle();
    expect(Array.from(received)).toEqual([1, 2, 3]);
  });

  it('reloads when the file changes; open connections carry on in the new version', async () => {
    const { app, file, connect, say, logs } = await setup();
    const { conn } = connect();
    writeFileSync(file, SCRIPT.replace('message.toUpperCase()', "'v2:' + message"));
    await eventually(() => app.status().version === 2);
    say(conn, 'hi');
    await settle();
    expect(conn.texts().at(-1)).toBe('v2:hi');
    expect(logs.some((l) => /reloaded version 2/.test(l.message))).toBe(true);
  });

  it('keeps the running version when the new one does not load', async () => {
    const { app, file, connect, say, logs } = await setup();
    writeFileSync(file, 'export function onMessage( {');
    await eventually(() => logs.some((l) => /version 2 failed to load, version 1 keeps running/.test(l.message)));
    expect(app.status()).toMatchObject({ version: 1, loaded: true, error: expect.any(String) });
    const { conn } = connect();
    say(conn, 'ok');
    await settle();
    expect(conn.texts().at(-1)).toBe('OK');
  });

  it('calls onUnload of the old version and onLoad(api) of the new one', async () => {
    const source = (v: number) => `
      let timer;
      export function onLoad(api) { globalThis.__fsLoads = [...(globalThis.__fsLoads ?? []), ${v}]; }
      export function onUnload() { globalThis.__fsUnloads = [...(globalThis.__fsUnloads ?? []), ${v}]; }
    `;
    const g = globalThis as { __fsLoads?: number[]; __fsUnloads?: number[] };
    delete g.__fsLoads;
    delete g.__fsUnloads;
    const { app, file } = await setup(source(1));
    writeFileSync(file, source(2));
    expect(await app.reload()).toBe(true);
    expect(g.__fsLoads).toEqual([1, 2]);
    expect(g.__fsUnloads).toEqual([1]);
    app.dispose!();
    await settle();
    expect(g.__fsUnloads).toEqual([1, 2]);
  });

  it('refuses connections, saying why, while no version has loaded', async () => {
    const file = join(dir, 'missing.mjs');
    const { context, logs } = fakeContext([]);
    const app = createScriptApp(context, { file, watch: true, pollMs: 20 });
    apps.push(app);
    await app.ready;
    expect(app.onInit!(fakeRequest('/s'))).toBe(false);
    expect(logs.map((l) => l.message)).toEqual([
      expect.stringMatching(/cannot read .*missing\.mjs: ENOENT/),
      expect.stringMatching(/refusing \/s from 127\.0\.0\.1: the script failed to load/),
    ]);
    // The file appears later: it is picked up without restarting the server.
    writeFileSync(file, 'export function onReady(conn) { conn.send("late but here"); }');
    await eventually(() => app.status().loaded);
    const conn = new FakeConnection('x');
    expect(app.onInit!(fakeRequest('/s'))).not.toBe(false);
    app.onOpen!(conn);
    expect(conn.texts()).toEqual(['late but here']);
  });

  it('reports a send from onInit as a script error and refuses that upgrade', async () => {
    const { connect, logs } = await setup('export function onInit(conn) { conn.send("too early"); }');
    expect(connect().accepted).toBe(false);
    expect(logs.find((l) => l.level === 'error')?.message).toMatch(/onInit failed: Error: send: the connection is not open yet/);
  });

  it('validates its options', () => {
    expect(validateScriptOptions({ file: 'x.mjs', pollMs: 1 }, 'routes[0].options')).toEqual({
      ok: false,
      errors: ['routes[0].options.file: must be an absolute path (got "x.mjs")', 'routes[0].options.pollMs: must be an integer from 10 to 3600000 (got 1)'],
    });
    expect(validateScriptOptions({ file: '/a/b.txt' }).ok).toBe(false);
    expect(validateScriptOptions({})).toEqual({ ok: false, errors: ['options.file: is required: the JavaScript module to run'] });
    expect(validateScriptOptions({ file: '/a/b.mjs' })).toEqual({ ok: true, value: { file: '/a/b.mjs', watch: true, pollMs: 1000 } });
  });
});
