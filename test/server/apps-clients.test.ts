/**
 * Every app of the embedded server, driven by three clients that share no code with it:
 * Framescope's own client (the tapped `ws` client with its capture), python3-websockets (Debian's,
 * a different implementation in another language), and Chromium's WebSocket (a page driven by
 * Playwright). The same scenario per app for each:
 *
 *   echo      text and binary come back as they went
 *   chat      one client's message reaches the other, not the author (NaviServer chat)
 *   pubsub    subscribe with a filter, another client publishes, the subscriber gets it
 *   log-view  a hello listing the files, then lines appended to the file (NaviServer log-view)
 *   periodic  pushes every interval, counting 1, 2, … (RRR)
 *   script    the person's module: a welcome on ready, an answer per message (ntopng hooks)
 *
 * The server negotiates permessage-deflate, which Python and Chromium offer (so their frames are
 * compressed) and Framescope's client here does not (so its frames go out plain).
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { ConnectionCapture } from '../../src/main/core/capture/connection-capture';
import { connectTappedWebSocket, tapTimeToEpochMs } from '../../src/main/core/capture/tap';
import { unpackFrameBits } from '../../src/shared/frame-bits';
// @ts-expect-error a plain .mjs helper shared with the e2e configuration
import { chromiumExecutable } from '../../scripts/chromium-path.mjs';
import { type TestServer, startTestServer } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'fs-apps-'));
const logFile = join(dir, 'app.log');
const scriptFile = join(dir, 'hooks.mjs');
let server: TestServer;
let base: string;
let appending: NodeJS.Timeout;

beforeAll(async () => {
  writeFileSync(logFile, '');
  writeFileSync(
    scriptFile,
    `export function onReady(conn) { conn.send('welcome ' + conn.id); }
export function onMessage(conn, message) { conn.send(typeof message === 'string' ? message.toUpperCase() : message); }
`,
  );
  server = await startTestServer({
    routes: [
      { path: '/echo', app: 'echo' },
      { path: '/chat', app: 'chat' },
      { path: '/ps', app: 'pubsub' },
      { path: '/logs', app: 'log-view', options: { files: [logFile], intervalMs: 25 } },
      { path: '/tick', app: 'periodic', options: { intervalMs: 40, template: '{"n":{{counter}}}' } },
      { path: '/script', app: 'script', options: { file: scriptFile, watch: false } },
    ],
    policy: { deflate: {} },
  });
  base = server.info.url;
  // log-view has something to report whenever a client is watching.
  let n = 0;
  appending = setInterval(() => appendFileSync(logFile, `line ${++n}\n`), 30);
});

afterAll(async () => {
  clearInterval(appending);
  await server?.stop();
});

/** What each client reports, in the same shape whatever the language. */
interface Report {
  echo: { text: string; binaryHex: string };
  chat: { bobGot: string; aliceGot: string };
  pubsub: { ack: unknown; delivery: unknown; publishAck: unknown };
  logView: { hello: { event: string; files: Array<{ path: string }> }; lines: { event: string; lines: string[] } };
  periodic: number[];
  script: { welcome: string; answer: string };
}

function checkReport(report: Report): void {
  expect(report.echo).toEqual({ text: 'hello', binaryHex: '010203' });
  expect(report.chat).toEqual({ bobGot: 'hi from alice', aliceGot: 'hi from bob' });
  expect(report.pubsub.ack).toEqual({ ok: true, op: 'subscribe', topic: 'news/+' });
  expect(report.pubsub.delivery).toEqual({ topic: 'news/today', payload: { n: 1 } });
  expect(report.pubsub.publishAck).toEqual({ ok: true, op: 'publish', topic: 'news/today', delivered: 1 });
  expect(report.logView.hello).toMatchObject({ event: 'hello', files: [{ path: logFile }] });
  expect(report.logView.lines.event).toBe('lines');
  expect(report.logView.lines.lines[0]).toMatch(/^line \d+$/);
  expect(report.periodic).toEqual([1, 2]);
  expect(report.script.welcome).toMatch(/^welcome t\d+-c\d+$/);
  expect(report.script.answer).toBe('ABC');
}

// ---- Framescope's own client ---------------------------------------------------------------------

const clientStore = new CaptureStore();
let clientCount = 0;

interface FsClient {
  id: string;
  ws: WebSocket;
  next(): Promise<{ data: string; binary: boolean; raw: Buffer }>;
}

function fsClient(path: string): Promise<FsClient> {
  const id = `fc${++clientCount}`;
  const capture = new ConnectionCapture(clientStore, id, 'client');
  const { websocket: ws } = connectTappedWebSocket(`${base}${path}`, (direction, bytes, ts) => capture.push(direction, bytes, tapTimeToEpochMs(ts)), {
    wsOptions: { perMessageDeflate: false },
  });
  const queue: Array<{ data: string; binary: boolean; raw: Buffer }> = [];
  const waiting: Array<(m: { data: string; binary: boolean; raw: Buffer }) => void> = [];
  ws.on('message', (d, binary) => {
    const raw = Buffer.from(d as Buffer);
    const m = { data: raw.toString(binary ? 'hex' : 'utf8'), binary, raw };
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        id,
        ws,
        next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))),
      }),
    );
    ws.once('error', reject);
  });
}

async function framescopeReport(): Promise<Report> {
  const json = async (c: FsClient) => JSON.parse((await c.next()).data) as Record<string, unknown>;
  const echo = await fsClient('/echo');
  echo.ws.send('hello');
  const text = (await echo.next()).data;
  echo.ws.send(Buffer.from([1, 2, 3]));
  const binaryHex = (await echo.next()).data;

  const alice = await fsClient('/chat');
  const bob = await fsClient('/chat');
  alice.ws.send('hi from alice');
  const bobGot = (await bob.next()).data;
  bob.ws.send('hi from bob');
  const aliceGot = (await alice.next()).data;

  const sub = await fsClient('/ps');
  const pub = await fsClient('/ps');
  sub.ws.send(JSON.stringify({ op: 'subscribe', topic: 'news/+' }));
  const ack = await json(sub);
  pub.ws.send(JSON.stringify({ op: 'publish', topic: 'news/today', payload: { n: 1 } }));
  const delivery = await json(sub);
  const publishAck = await json(pub);

  const logs = await fsClient('/logs');
  const hello = (await json(logs)) as Report['logView']['hello'];
  const lines = (await json(logs)) as Report['logView']['lines'];

  const tick = await fsClient('/tick');
  const periodic = [(await json(tick)).n as number, (await json(tick)).n as number];

  const script = await fsClient('/script');
  const welcome = (await script.next()).data;
  script.ws.send('abc');
  const answer = (await script.next()).data;

  for (const c of [echo, alice, bob, sub, pub, logs, tick, script]) c.ws.close();
  return { echo: { text, binaryHex }, chat: { bobGot, aliceGot }, pubsub: { ack, delivery, publishAck }, logView: { hello, lines }, periodic, script: { welcome, answer } };
}

// ---- python3-websockets ---------------------------------------------------------------------------

const PYTHON = String.raw`
import asyncio, json, sys
import websockets

base = sys.argv[1]

async def main():
    async def recv(ws):
        return await asyncio.wait_for(ws.recv(), 5)
    async def recv_json(ws):
        return json.loads(await recv(ws))
    out = {}
    async with websockets.connect(base + '/echo') as ws:
        await ws.send('hello')
        text = await recv(ws)
        await ws.send(bytes([1, 2, 3]))
        out['echo'] = {'text': text, 'binaryHex': (await recv(ws)).hex()}
    async with websockets.connect(base + '/chat') as alice, websockets.connect(base + '/chat') as bob:
        await alice.send('hi from alice')
        bob_got = await recv(bob)
        await bob.send('hi from bob')
        out['chat'] = {'bobGot': bob_got, 'aliceGot': await recv(alice)}
    async with websockets.connect(base + '/ps') as sub, websockets.connect(base + '/ps') as pub:
        await sub.send(json.dumps({'op': 'subscribe', 'topic': 'news/+'}))
        ack = await recv_json(sub)
        await pub.send(json.dumps({'op': 'publish', 'topic': 'news/today', 'payload': {'n': 1}}))
        out['pubsub'] = {'ack': ack, 'delivery': await recv_json(sub), 'publishAck': await recv_json(pub)}
    async with websockets.connect(base + '/logs') as logs:
        out['logView'] = {'hello': await recv_json(logs), 'lines': await recv_json(logs)}
    async with websockets.connect(base + '/tick') as tick:
        out['periodic'] = [(await recv_json(tick))['n'], (await recv_json(tick))['n']]
    async with websockets.connect(base + '/script') as script:
        welcome = await recv(script)
        await script.send('abc')
        out['script'] = {'welcome': welcome, 'answer': await recv(script)}
    print(json.dumps(out))

asyncio.run(main())
`;

function pythonReport(): Promise<Report> {
  return new Promise((resolve, reject) => {
    // Debian's python3 carries python3-websockets; the python3 first on PATH may not.
    execFile('/usr/bin/python3', ['-c', PYTHON, base], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`python3-websockets client failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

// ---- Chromium's WebSocket -----------------------------------------------------------------------

/** Plain JavaScript, run in the page as is. */
const BROWSER = String.raw`async (base) => {
  const open = (path) => new Promise((resolve, reject) => {
    const ws = new WebSocket(base + path);
    ws.binaryType = 'arraybuffer';
    const queue = [];
    const waiting = [];
    ws.onmessage = (e) => { const w = waiting.shift(); if (w) w(e.data); else queue.push(e.data); };
    ws.onerror = () => reject(new Error('WebSocket error on ' + path));
    ws.onopen = () => resolve({ ws, next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))) });
  });
  const json = async (c) => JSON.parse(await c.next());
  const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const out = { extensions: {} };

  const echo = await open('/echo');
  out.extensions.echo = echo.ws.extensions;
  echo.ws.send('hello');
  const text = await echo.next();
  echo.ws.send(new Uint8Array([1, 2, 3]));
  out.echo = { text, binaryHex: hex(await echo.next()) };

  const alice = await open('/chat');
  const bob = await open('/chat');
  alice.ws.send('hi from alice');
  const bobGot = await bob.next();
  bob.ws.send('hi from bob');
  out.chat = { bobGot, aliceGot: await alice.next() };

  const sub = await open('/ps');
  const pub = await open('/ps');
  sub.ws.send(JSON.stringify({ op: 'subscribe', topic: 'news/+' }));
  const ack = await json(sub);
  pub.ws.send(JSON.stringify({ op: 'publish', topic: 'news/today', payload: { n: 1 } }));
  out.pubsub = { ack, delivery: await json(sub), publishAck: await json(pub) };

  const logs = await open('/logs');
  out.logView = { hello: await json(logs), lines: await json(logs) };

  const tick = await open('/tick');
  out.periodic = [(await json(tick)).n, (await json(tick)).n];

  const script = await open('/script');
  const welcome = await script.next();
  script.ws.send('abc');
  out.script = { welcome, answer: await script.next() };

  for (const c of [echo, alice, bob, sub, pub, logs, tick, script]) c.ws.close(1000);
  return out;
}`;

async function chromiumReport(): Promise<Report & { extensions: { echo: string } }> {
  const executablePath = (chromiumExecutable as () => string | null)();
  if (!executablePath) throw new Error('no Chromium: install Debian chromium or run npx playwright install chromium');
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    // A page of its own on loopback: from about:blank, Chromium treats loopback as a more private
    // network than the page's and blocks the connection (Private Network Access).
    const http = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Framescope test page</title>'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
      return (await page.evaluate(`(${BROWSER})(${JSON.stringify(base)})`)) as Report & { extensions: { echo: string } };
    } finally {
      http.close();
    }
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------------------------------

describe('each app with three independent clients', () => {
  it("works with Framescope's own client, whose capture records both directions", async () => {
    checkReport(await framescopeReport());
    expect([...server.connections.values()].filter((c) => c.extensions)).toEqual([]);
    const packed = clientStore.pack(0, 10_000)!;
    const directions = new Set([...packed.bits].map((b) => unpackFrameBits(b).direction));
    expect(directions).toEqual(new Set(['in', 'out']));
  });

  it('works with python3-websockets, compressed', async () => {
    checkReport(await pythonReport());
    expect([...server.connections.values()].filter((c) => c.extensions?.startsWith('permessage-deflate')).length).toBeGreaterThanOrEqual(8);
  });

  it("works with Chromium's WebSocket, compressed", async () => {
    const report = await chromiumReport();
    checkReport(report);
    expect(report.extensions.echo).toMatch(/^permessage-deflate/);
  });

  it('shows every frame of these conversations in the server capture, without a violation', () => {
    const packed = server.store.pack(0, 100_000)!;
    const rows = [...packed.bits].map(unpackFrameBits);
    expect(rows.filter((r) => r.violation)).toEqual([]);
    expect(rows.some((r) => r.rsv1 && r.direction === 'in')).toBe(true);
    expect(server.logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});
