/**
 * Capture overhead: in-process echo throughput through Framescope's embedded
 * server (tap → decoder → capture store → batcher → serialised batches)
 * against a bare `ws` echo server, in alternating runs, median ratio.
 *
 *   npm run bench:capture
 *   BENCH_PAIRS=9 BENCH_MS=2000 npm run bench:capture
 *   BENCH_HOST=json npm run bench:capture     # browser host's JSON instead of structured clone
 *   BENCH_CASES=64,1024 npm run bench:capture # only some sizes
 *   BENCH_ARM=capture BENCH_CASES=64 npx tsx --cpu-prof bench/capture.bench.ts  # one arm, to profile
 *
 * Configuration (the same in both arms except the server):
 *  - Peer: one `ws` client in this process, binary messages of `size` random
 *    bytes, `inFlight` messages pipelined: each echo received sends the next.
 *    perMessageDeflate off (the embedded server never negotiates it).
 *  - bare: `ws` WebSocketServer (noServer) on an http server on 127.0.0.1:0,
 *    echoing `ws.send(data, { binary })`.
 *  - capture: a real Workspace, its `startServer` command with an `echo`
 *    route (server-side tap, as when a person tests their client against
 *    Framescope), the default 512 MiB capture budget (eviction included),
 *    and an EventBatcher wired as src/main/index.ts wires it, whose `send`
 *    does what the host does with a batch: `v8.serialize` (Electron's
 *    structured clone) or `encodeReply` (the browser host's JSON).
 *  - Each run gets a fresh server (and Workspace), a GC beforehand, a warm-up,
 *    then counts round trips for BENCH_MS. Runs alternate bare/capture in
 *    ABBA order; ratio = capture / bare per pair, median over pairs.
 *
 * The last stdout line is one JSON object:
 *   {"cases":[{"size","inFlight","ratio","spread":{min,max},"bareMsgsPerSec","captureMsgsPerSec",...}], ...}
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket, { WebSocketServer } from 'ws';
import { EventBatcher } from '../src/main/core/capture/event-batcher';
import { Workspace } from '../src/main/core/app/workspace';
import { encodeReply } from '../src/shared/bridge-protocol';
import type { EventBatch } from '../src/shared/contract';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const PAIRS = Number(process.env.BENCH_PAIRS ?? 7);
const RUN_MS = Number(process.env.BENCH_MS ?? 1000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 300);
const HOST = process.env.BENCH_HOST === 'json' ? 'json' : 'electron';

interface Case {
  size: number;
  inFlight: number;
  target: number;
}

const ALL_CASES: Case[] = [
  { size: 64, inFlight: 64, target: 0.92 },
  { size: 1024, inFlight: 64, target: 0.92 },
  { size: 16 * 1024, inFlight: 8, target: 0.95 },
  { size: 1024 * 1024, inFlight: 1, target: 0.95 },
];
const only = process.env.BENCH_CASES?.split(',').map(Number);
const CASES = only ? ALL_CASES.filter((c) => only.includes(c.size)) : ALL_CASES;

interface Echo {
  url: string;
  close(): Promise<void>;
  /** Capture arm only: what the consumer received. */
  stats?: () => { batches: number; rows: number; serializedBytes: number; evicted: number };
}

const listen = async (server: Server): Promise<number> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
};

async function bareEcho(): Promise<Echo> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer((_req, res) => res.end());
  http.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }))),
  );
  const port = await listen(http);
  return {
    url: `ws://127.0.0.1:${port}/echo`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

async function captureEcho(): Promise<Echo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'framescope-bench-'));
  const workspace = new Workspace({ dataDir });
  let batches = 0;
  let rows = 0;
  let serializedBytes = 0;
  // What a host does with each batch: the bytes have to be produced either way.
  const send = (batch: EventBatch): void => {
    batches++;
    rows += batch.frames?.count ?? 0;
    serializedBytes += HOST === 'json' ? encodeReply({ type: 'events', batch }).length : v8.serialize(batch).length;
  };
  const batcher = new EventBatcher(workspace.store, send);
  const unsubscribe = workspace.onChange(batcher.accept);
  const started = await workspace.handlers.startServer({ host: '127.0.0.1', port: 0, routes: [{ path: '/echo', app: 'echo' }] });
  if (!started.ok) throw new Error(started.error);
  return {
    url: `${started.value.url}/echo`,
    stats: () => ({ batches, rows, serializedBytes, evicted: workspace.store.stats().evicted }),
    close: async () => {
      await workspace.handlers.stopServer({ serverId: started.value.id });
      unsubscribe();
      batcher.close();
      await workspace.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface RunResult {
  msgsPerSec: number;
  /** Round trips per second of this process's CPU time (user + system, all threads). */
  msgsPerCpuSec: number;
  extra?: ReturnType<NonNullable<Echo['stats']>>;
}

/** Pipelined round trips: `inFlight` messages outstanding; each echo sends the next. */
async function run(arm: 'bare' | 'capture', c: Case, payload: Buffer): Promise<RunResult> {
  gc();
  const echo = arm === 'bare' ? await bareEcho() : await captureEcho();
  const client = new WebSocket(echo.url, { perMessageDeflate: false });
  await once(client, 'open');
  let sending = true;
  let received = 0;
  let outstanding = 0;
  let drained: (() => void) | null = null;
  client.on('message', () => {
    received++;
    outstanding--;
    if (sending) {
      client.send(payload, { binary: true });
      outstanding++;
    } else if (outstanding === 0) drained?.();
  });
  for (let i = 0; i < c.inFlight; i++) {
    client.send(payload, { binary: true });
    outstanding++;
  }
  await sleep(WARMUP_MS);
  const startCount = received;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await sleep(RUN_MS);
  const count = received - startCount;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  sending = false;
  if (outstanding > 0) await new Promise<void>((r) => (drained = r));
  // Let the last batch go out so its cost lands in this run's teardown, not the next run.
  await sleep(50);
  const extra = echo.stats?.();
  client.terminate();
  await echo.close();
  return { msgsPerSec: count / seconds, msgsPerCpuSec: count / cpuSeconds, extra };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sizeLabel = (n: number): string => (n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`);

/** Binary, not text: the echo app sends text back via decode/encode, which is the app's cost, not capture's. */
function makePayload(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = Math.imul(i, 2654435761) >>> 24;
  return payload;
}

/** BENCH_ARM=bare|capture runs one arm only, for profiling (node --cpu-prof). */
async function profileOne(arm: 'bare' | 'capture'): Promise<void> {
  for (const c of CASES) {
    const payload = makePayload(c.size);
    const got: number[] = [];
    const cpu: number[] = [];
    for (let p = 0; p < PAIRS; p++) {
      const r = await run(arm, c, payload);
      got.push(r.msgsPerSec);
      cpu.push(r.msgsPerCpuSec);
    }
    console.log(`${arm} ${sizeLabel(c.size)} × ${c.inFlight}: ${got.map((x) => fmt(x)).join(', ')} msg/s`);
    console.log(`  per CPU-second: ${cpu.map((x) => fmt(x)).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const arm = process.env.BENCH_ARM;
  if (arm === 'bare' || arm === 'capture') return profileOne(arm);
  console.log(
    `capture overhead: embedded-server echo (Workspace + tap + decoder + store + batcher → ${HOST === 'json' ? 'JSON' : 'v8.serialize'}) vs bare ws echo`,
  );
  console.log(`${PAIRS} ABBA pairs per case, ${RUN_MS} ms per run after ${WARMUP_MS} ms warm-up, node ${process.version}\n`);
  const results = [];
  for (const c of CASES) {
    const payload = makePayload(c.size);
    // One unmeasured pair so JIT warm-up is not charged to the first pair.
    await run('bare', c, payload);
    await run('capture', c, payload);
    const bare: number[] = [];
    const cap: number[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    let extra: RunResult['extra'];
    for (let p = 0; p < PAIRS; p++) {
      const order: Array<'bare' | 'capture'> = p % 2 === 0 ? ['bare', 'capture'] : ['capture', 'bare'];
      const got: Record<string, RunResult> = {};
      for (const arm of order) got[arm] = await run(arm, c, payload);
      bare.push(got.bare.msgsPerSec);
      cap.push(got.capture.msgsPerSec);
      ratios.push(got.capture.msgsPerSec / got.bare.msgsPerSec);
      cpuRatios.push(got.capture.msgsPerCpuSec / got.bare.msgsPerCpuSec);
      extra = got.capture.extra;
    }
    const ratio = median(ratios);
    const r = {
      size: c.size,
      inFlight: c.inFlight,
      ratio: Number(ratio.toFixed(3)),
      target: c.target,
      met: ratio >= c.target,
      spread: { min: Number(Math.min(...ratios).toFixed(3)), max: Number(Math.max(...ratios).toFixed(3)) },
      ratios: ratios.map((x) => Number(x.toFixed(3))),
      cpuRatio: Number(median(cpuRatios).toFixed(3)),
      cpuSpread: { min: Number(Math.min(...cpuRatios).toFixed(3)), max: Number(Math.max(...cpuRatios).toFixed(3)) },
      bareMsgsPerSec: Math.round(median(bare)),
      captureMsgsPerSec: Math.round(median(cap)),
      bareSpreadPct: Number(((100 * (Math.max(...bare) - Math.min(...bare))) / median(bare)).toFixed(1)),
      captureSpreadPct: Number(((100 * (Math.max(...cap) - Math.min(...cap))) / median(cap)).toFixed(1)),
      lastCaptureRun: extra,
    };
    results.push(r);
    console.log(
      `${sizeLabel(c.size).padStart(6)} × ${String(c.inFlight).padStart(2)} in flight: ` +
        `bare ${fmt(r.bareMsgsPerSec).padStart(7)} msg/s, capture ${fmt(r.captureMsgsPerSec).padStart(7)} msg/s, ` +
        `ratio ${r.ratio.toFixed(3)} (pairs ${r.spread.min.toFixed(3)}–${r.spread.max.toFixed(3)}; ` +
        `run spread bare ±${r.bareSpreadPct / 2}% capture ±${r.captureSpreadPct / 2}%) ` +
        `target ≥ ${c.target} ${r.met ? 'met' : 'NOT met'}`,
    );
    console.log(`        per CPU-second: ratio ${r.cpuRatio.toFixed(3)} (pairs ${r.cpuSpread.min.toFixed(3)}–${r.cpuSpread.max.toFixed(3)})`);
    if (extra) {
      console.log(
        `        last capture run: ${fmt(extra.batches)} batches, ${fmt(extra.rows)} rows, ` +
          `${fmt(extra.serializedBytes / 1e6, 1)} MB serialised, ${fmt(extra.evicted)} rows evicted`,
      );
    }
  }
  console.log(JSON.stringify({ host: HOST, pairs: PAIRS, runMs: RUN_MS, cases: results }));
}

await main();
