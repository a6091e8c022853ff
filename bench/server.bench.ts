/**
 * The embedded server beside bare `ws` doing the same, in the same run:
 *
 *   idle connections  memory per connection with 10 000 connections open on loopback
 *   broadcast fan-out messages delivered per second to 1 000 subscribers
 *
 * Framescope's server runs as the app runs it (ServerFeature → EmbeddedServer, the capture tap
 * and decoder on every connection, frames stored in the capture store). Each server runs in a
 * child process of its own, started fresh for each measurement, and the clients in another,
 * so the server process's memory is what is measured.
 *
 *   npm run bench:server
 *   BENCH_CONNECTIONS=2000 BENCH_SUBSCRIBERS=500 BENCH_MESSAGES=100 BENCH_ROUNDS=5 npm run bench:server
 *   BENCH_ONLY=fanout BENCH_PROFILE_DIR=/tmp/prof npm run bench:server   (one half, with CPU profiles)
 *
 * The fan-out goes through the pubsub app as the console's "publish" does: the app sends the
 * same delivery text to every subscriber with AppConnection.send, which encodes that text frame
 * once and writes it to each socket (connection.ts, textFrame), every copy still passing the tap
 * and the decoder. The bare ws server calls ws.send per subscriber, as ws's broadcast example does.
 * On a shared machine the fan-out figures vary by tens of percent between rounds: read the medians.
 *
 * The last line of output is one JSON object:
 *   {"bytesPerConnection","wsBytesPerConnection","fanoutPerSec","wsFanoutPerSec"}
 * Memory is the growth of the server process's resident set (RSS) after a full GC, divided by
 * the number of connections; heap-only figures are printed above it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { ChangeHub } from '../src/main/core/app/changes';
import { ServerFeature } from '../src/main/core/app/server-feature';
import { CaptureStore } from '../src/main/core/capture/capture-store';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** 'memory' or 'fanout' runs one half only (for quick iterations); the JSON line then has zeros for the other. */
const ONLY = process.env.BENCH_ONLY;
/** A directory: each server child writes a V8 CPU profile there. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const PAYLOAD = JSON.stringify({ price: 101.25, symbol: 'FSCP', note: 'a typical small broadcast message' });
const SELF = fileURLToPath(import.meta.url);

type Variant = 'framescope' | 'ws';
type Message = Record<string, unknown> & { cmd: string };

// ---------------------------------------------------------------------------------------------
// Server child: one variant, driven over IPC.

interface BenchServer {
  port: number;
  publish(): void;
}

async function startFramescope(app: 'echo' | 'pubsub'): Promise<BenchServer> {
  const feature = new ServerFeature({ store: new CaptureStore(), hub: new ChangeHub(), dataDir: '/tmp', log: () => {} });
  const started = await feature.handlers.startServer({ port: 0, routes: [{ match: 'prefix', path: '/', app }] });
  if (!started.ok) throw new Error(started.error);
  const serverId = started.value.id;
  return {
    port: started.value.port,
    publish: () => void feature.handlers.publish({ serverId, topic: 'bench', payload: PAYLOAD }),
  };
}

/** Bare ws doing the same: a subscriber set filled by the same subscribe message, ws.send to each. */
async function startWs(app: 'echo' | 'pubsub'): Promise<BenchServer> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, clientTracking: false });
  const subscribers = new Set<WebSocket>();
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => {
        if (app === 'echo') return void ws.send(data, { binary: isBinary });
        const msg = JSON.parse(data.toString()) as { op: string; topic: string };
        if (msg.op === 'subscribe') {
          subscribers.add(ws);
          ws.send(JSON.stringify({ ok: true, op: 'subscribe', topic: msg.topic }));
        }
      });
      ws.on('close', () => subscribers.delete(ws));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const delivery = JSON.stringify({ topic: 'bench', payload: JSON.parse(PAYLOAD) as unknown });
  return {
    port: (http.address() as AddressInfo).port,
    publish: () => {
      for (const ws of subscribers) ws.send(delivery);
    },
  };
}

function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the server child with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

async function serverChild(variant: Variant, app: 'echo' | 'pubsub'): Promise<void> {
  const server = variant === 'framescope' ? await startFramescope(app) : await startWs(app);
  const send = (m: Message) => process.send!(m);
  process.on('message', async (m: Message) => {
    if (m.cmd === 'memory') {
      await sleep(200);
      send({ cmd: 'memory', ...memory() });
    } else if (m.cmd === 'publish') {
      for (let i = 0; i < MESSAGES; i++) {
        server.publish();
        // Let the sockets drain between bursts, as a real publisher's event loop would.
        if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      }
      send({ cmd: 'published' });
    } else if (m.cmd === 'exit') {
      process.exit(0);
    }
  });
  send({ cmd: 'ready', port: server.port });
}

// ---------------------------------------------------------------------------------------------
// Client child: many plain ws clients.

async function clientChild(port: number, count: number, subscribe: boolean, expect: number): Promise<void> {
  const sockets: WebSocket[] = [];
  let received = 0;
  const total = count * expect;
  const send = (m: Message) => process.send!(m);
  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/bench`, { perMessageDeflate: false });
      sockets.push(ws);
      ws.once('error', reject);
      ws.once('open', () => {
        if (!subscribe) return resolve();
        ws.once('message', () => {
          ws.on('message', () => {
            if (++received === total) send({ cmd: 'received' });
          });
          resolve();
        });
        ws.send(JSON.stringify({ op: 'subscribe', topic: 'bench' }));
      });
    });
  for (let i = 0; i < count; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, count - i) }, open));
  }
  send({ cmd: 'connected' });
  process.on('message', (m: Message) => {
    if (m.cmd === 'exit') {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Driver.

function child(args: string[]): { proc: ChildProcess; next(cmd: string): Promise<Message> } {
  const proc = fork(SELF, args, { execArgv: ['--expose-gc', '--import', 'tsx', ...(PROFILE_DIR && args[0] === 'server' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: Message[] = [];
  const waiting: Array<{ cmd: string; resolve(m: Message): void }> = [];
  proc.on('message', (m: Message) => {
    const i = waiting.findIndex((w) => w.cmd === m.cmd);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
    else queue.push(m);
  });
  proc.on('exit', (code) => {
    if (code) throw new Error(`bench child ${args.join(' ')} exited with ${code}`);
  });
  return {
    proc,
    next: (cmd) =>
      new Promise((resolve) => {
        const i = queue.findIndex((m) => m.cmd === cmd);
        if (i >= 0) resolve(queue.splice(i, 1)[0]);
        else waiting.push({ cmd, resolve });
      }),
  };
}

async function measureMemory(variant: Variant): Promise<{ rss: number; heap: number }> {
  const server = child(['server', variant, 'echo']);
  const { port } = await server.next('ready');
  const before = await (server.proc.send({ cmd: 'memory' }), server.next('memory'));
  const clients = child(['clients', String(port), String(CONNECTIONS), 'no', '0']);
  await clients.next('connected');
  const after = await (server.proc.send({ cmd: 'memory' }), server.next('memory'));
  clients.proc.send({ cmd: 'exit' });
  server.proc.send({ cmd: 'exit' });
  await Promise.all([new Promise((r) => clients.proc.once('exit', r)), new Promise((r) => server.proc.once('exit', r))]);
  return { rss: ((after.rss as number) - (before.rss as number)) / CONNECTIONS, heap: ((after.heap as number) - (before.heap as number)) / CONNECTIONS };
}

async function measureFanout(variant: Variant): Promise<number> {
  const server = child(['server', variant, 'pubsub']);
  const { port } = await server.next('ready');
  const clients = child(['clients', String(port), String(SUBSCRIBERS), 'yes', String(MESSAGES)]);
  await clients.next('connected');
  const start = performance.now();
  server.proc.send({ cmd: 'publish' });
  await clients.next('received');
  const seconds = (performance.now() - start) / 1000;
  clients.proc.send({ cmd: 'exit' });
  server.proc.send({ cmd: 'exit' });
  await Promise.all([new Promise((r) => clients.proc.once('exit', r)), new Promise((r) => server.proc.once('exit', r))]);
  return (SUBSCRIBERS * MESSAGES) / seconds;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : 0);

async function driver(): Promise<void> {
  console.log(`server bench: ${CONNECTIONS} idle connections; fan-out of ${MESSAGES} messages to ${SUBSCRIBERS} subscribers; median of ${ROUNDS} alternating rounds`);
  const mem: Record<Variant, Array<{ rss: number; heap: number }>> = { framescope: [], ws: [] };
  const fan: Record<Variant, number[]> = { framescope: [], ws: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of round % 2 ? (['ws', 'framescope'] as const) : (['framescope', 'ws'] as const)) {
      if (ONLY === 'fanout') break;
      const m = await measureMemory(variant);
      mem[variant].push(m);
      console.log(`  round ${round + 1} ${variant.padEnd(10)} memory: ${Math.round(m.rss)} B/connection RSS, ${Math.round(m.heap)} B/connection heap+external`);
    }
    for (const variant of round % 2 ? (['ws', 'framescope'] as const) : (['framescope', 'ws'] as const)) {
      if (ONLY === 'memory') break;
      const f = await measureFanout(variant);
      fan[variant].push(f);
      console.log(`  round ${round + 1} ${variant.padEnd(10)} fan-out: ${Math.round(f)} messages/s delivered`);
    }
  }
  const result = {
    bytesPerConnection: Math.round(median(mem.framescope.map((m) => m.rss))),
    wsBytesPerConnection: Math.round(median(mem.ws.map((m) => m.rss))),
    fanoutPerSec: Math.round(median(fan.framescope)),
    wsFanoutPerSec: Math.round(median(fan.ws)),
  };
  const heap = { framescope: Math.round(median(mem.framescope.map((m) => m.heap))), ws: Math.round(median(mem.ws.map((m) => m.heap))) };
  console.log(`memory per connection (RSS): framescope ${result.bytesPerConnection} B, ws ${result.wsBytesPerConnection} B, ratio ${(result.bytesPerConnection / result.wsBytesPerConnection).toFixed(2)} (target ≤ 1.5)`);
  console.log(`memory per connection (heap+external): framescope ${heap.framescope} B, ws ${heap.ws} B, ratio ${(heap.framescope / heap.ws).toFixed(2)}`);
  console.log(`fan-out: framescope ${result.fanoutPerSec}/s, ws ${result.wsFanoutPerSec}/s, ratio ${(result.fanoutPerSec / result.wsFanoutPerSec).toFixed(2)} (target ≥ 0.8)`);
  console.log(JSON.stringify(result));
}

const [role, ...args] = process.argv.slice(2);
if (role === 'server') await serverChild(args[0] as Variant, args[1] as 'echo' | 'pubsub');
else if (role === 'clients') await clientChild(Number(args[0]), Number(args[1]), args[2] === 'yes', Number(args[3]));
else await driver();
