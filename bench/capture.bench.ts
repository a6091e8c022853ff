/**
 * Capture overhead: in-process echo throughput with Framescope's capture
 * pipeline (tap → decoder → capture store → batcher → serialised batches)
 * against a bare `ws` echo, in interleaved runs, median ratio.
 *
 *   npm run bench:capture
 *   BENCH_PAIRS=25 BENCH_MS=600 npm run bench:capture  # more and longer rounds
 *   BENCH_HOST=json npm run bench:capture      # browser host's JSON instead of structured clone
 *   BENCH_CASES=64,1024 npm run bench:capture  # only some sizes
 *   BENCH_ARMS=bare,pipeline npm run bench:capture   # skip the full embedded server
 *   BENCH_ARMS=bare,keep,pipeline npm run bench:capture   # with the floor arm (keepRatio)
 *   BENCH_ARM=pipeline BENCH_CASES=64 npx tsx --cpu-prof bench/capture.bench.ts  # one arm, to profile
 *     (one arm also prints the process's minor page faults per round trip: the fresh memory
 *     a growing capture store touches shows there, and not in the bare arm)
 *
 * Cases: 64 B and 1 KiB with 64 messages in flight, 16 KiB with 8, 1 MiB with 1.
 *
 * Arms (the peer is the same in all three):
 *  - peer: one `ws` client in this process, binary messages of `size` bytes,
 *    `inFlight` messages pipelined: each echo received sends the next one;
 *    perMessageDeflate off (the embedded server never negotiates it). Client
 *    and server share the one event loop, so the ratio is that of the CPU
 *    time per round trip, capture included or not.
 *  - bare: `ws` WebSocketServer (noServer) on an http server on 127.0.0.1:0,
 *    echoing `ws.send(data, { binary })`.
 *  - pipeline (the headline `ratio`): the same bare server, its connections
 *    captured by the generic tap — `tapServerUpgrade` (capture/tap.ts, uncopied
 *    as Framescope's client uses it; the embedded server has a tap of its own,
 *    server/server-tap.ts, which the app arm measures) → `ConnectionCapture`
 *    (unmasking reads in place before ws reads them, as the embedded server's
 *    does) → the store of a real Workspace, whose change hub
 *    feeds an EventBatcher wired as src/main/index.ts wires it. The batcher's
 *    `send` does what a host does with a batch: `v8.serialize` (Electron's
 *    structured clone) or `encodeReply` (the browser host's JSON). This is the
 *    cost of capture alone.
 *  - app (`appRatio`): a real Workspace's `startServer` with an `echo` route —
 *    capture plus everything else the embedded server does per connection
 *    (read filter, counters, the app API), i.e. what a person testing their
 *    client against Framescope gets.
 *  - keep (`keepRatio`, only when BENCH_ARMS names it): the bare server plus
 *    the generic tap (uncopied), whose sink keeps a reference to every chunk
 *    the socket reads and writes and does nothing else — no copy, no decoding,
 *    no store. It is the least a
 *    capture that keeps what it captures can cost on this machine, because
 *    what it keeps needs memory the process has not touched yet. How much
 *    that costs depends on whether the allocator hands back memory an earlier
 *    run freed: new pages are expensive in some VMs (npm run bench:fresh-memory),
 *    reused ones cheap, so this arm's ratio moves with the arm order.
 *  Capture budget: the default 512 MiB (eviction, when reached, is included).
 *  Each run gets a fresh server (and Workspace), a GC beforehand, a warm-up of
 *  BENCH_WARMUP_MS, then a window of BENCH_MS (or until 20 echoes); its rate
 *  is the echoes between the first and the last in the window over the time
 *  between them. Runs
 *  rotate through the arms in ABC/CBA order; ratio = arm / bare within each
 *  round, median over rounds, with the min and max as the spread. `cpuRatio`
 *  is the same with round trips per CPU-second of the process (user + system,
 *  all threads: GC helper threads count), which other work on a shared
 *  machine disturbs less.
 *
 * The last stdout line is one JSON object:
 *   {"cases":[{"size","inFlight","ratio","appRatio","cpuRatio",...,"bareMsgsPerSec","pipelineMsgsPerSec",...}], ...}
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket, { WebSocketServer } from 'ws';
import { Workspace } from '../src/main/core/app/workspace';
import { ConnectionCapture } from '../src/main/core/capture/connection-capture';
import { EventBatcher } from '../src/main/core/capture/event-batcher';
import { tapServerUpgrade, tapSocket, tapTimeToEpochMs } from '../src/main/core/capture/tap';
import { encodeReply } from '../src/shared/bridge-protocol';
import type { EventBatch } from '../src/shared/contract';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

// Many short interleaved rounds rather than a few long ones: on a shared
// machine, load comes and goes in bursts of seconds, and the median of many
// rounds shrugs off the rounds a burst hit.
const PAIRS = Number(process.env.BENCH_PAIRS ?? 15);
const RUN_MS = Number(process.env.BENCH_MS ?? 400);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 200);
/** A window lasts BENCH_MS, or longer until it holds this many echoes. */
const MIN_ECHOES = 20;
const HOST = process.env.BENCH_HOST === 'json' ? 'json' : 'electron';

type Arm = 'bare' | 'pipeline' | 'app' | 'keep';
const ARMS = (process.env.BENCH_ARMS?.split(',') ?? ['bare', 'pipeline', 'app']) as Arm[];
if (!ARMS.includes('bare')) ARMS.unshift('bare');

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

interface CaptureStats {
  batches: number;
  rows: number;
  serializedBytes: number;
  evicted: number;
}

interface Echo {
  url: string;
  close(): Promise<void>;
  /** Capture arms: what the consumer received. */
  stats?: () => CaptureStats;
}

const listen = async (server: Server): Promise<number> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
};

/** A Workspace (capture store + change hub) with one batch consumer, as a host window has. */
function consumer(): { workspace: Workspace; stats: () => CaptureStats; close: () => Promise<void> } {
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
  return {
    workspace,
    stats: () => ({ batches, rows, serializedBytes, evicted: workspace.store.stats().evicted }),
    close: async () => {
      unsubscribe();
      batcher.close();
      await workspace.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bare ws echo server; `captureInto` captures its connections (generic tap → ConnectionCapture); `hook` sees each upgraded socket first. */
async function wsEcho(captureInto?: Workspace, hook?: (socket: Duplex) => void): Promise<Echo> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer((_req, res) => res.end());
  let count = 0;
  http.on('upgrade', (req, socket, head) => {
    let capture: ConnectionCapture | null = null;
    hook?.(socket);
    if (captureInto) {
      const c = new ConnectionCapture(captureInto.store, `bench-c${++count}`, 'server', { unmaskIncomingInPlace: true });
      tapServerUpgrade(req, socket, head, (direction, bytes, ts) => c.push(direction, bytes, tapTimeToEpochMs(ts)), { copy: false });
      capture = c;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      ws.on('close', () => capture?.end(Date.now()));
    });
  });
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

/** The keep arm: the bare echo, with every chunk its sockets read and write kept by reference (tap.ts, uncopied). */
async function keepEcho(): Promise<Echo> {
  let kept: Uint8Array[] = [];
  const echo = await wsEcho(undefined, (socket) => tapSocket(socket, (_direction, bytes) => kept.push(bytes), { copy: false }));
  return {
    url: echo.url,
    close: async () => {
      await echo.close();
      kept = [];
    },
  };
}

async function pipelineEcho(): Promise<Echo> {
  const host = consumer();
  const echo = await wsEcho(host.workspace);
  return {
    url: echo.url,
    stats: host.stats,
    close: async () => {
      await echo.close();
      await host.close();
    },
  };
}

async function appEcho(): Promise<Echo> {
  const host = consumer();
  const started = await host.workspace.handlers.startServer({ host: '127.0.0.1', port: 0, routes: [{ path: '/echo', app: 'echo' }] });
  if (!started.ok) throw new Error(started.error);
  return {
    url: `${started.value.url}/echo`,
    stats: host.stats,
    close: async () => {
      await host.workspace.handlers.stopServer({ serverId: started.value.id });
      await host.close();
    },
  };
}

interface RunResult {
  msgsPerSec: number;
  /** Round trips per second of this process's CPU time (user + system, all threads). */
  msgsPerCpuSec: number;
  /** Minor page faults of the process per round trip in the window: fresh memory touched. */
  faultsPerMsg: number;
  extra?: CaptureStats;
}

/** Pipelined round trips: `inFlight` messages outstanding; each echo sends the next. */
async function run(arm: Arm, c: Case, payload: Buffer): Promise<RunResult> {
  gc();
  const echo =
    arm === 'bare' ? await wsEcho() : arm === 'pipeline' ? await pipelineEcho() : arm === 'keep' ? await keepEcho() : await appEcho();
  const client = new WebSocket(echo.url, { perMessageDeflate: false });
  await once(client, 'open');
  let sending = true;
  let measuring = false;
  let received = 0;
  let outstanding = 0;
  let firstAt = 0n;
  let lastAt = 0n;
  let drained: (() => void) | null = null;
  let enough: (() => void) | null = null;
  client.on('message', () => {
    // Rate = round trips between the first and the last echo of the window over
    // the time between them: no quantisation when a window holds few (1 MiB) echoes.
    if (measuring) {
      lastAt = process.hrtime.bigint();
      if (received === 0) firstAt = lastAt;
      received++;
      if (received >= MIN_ECHOES) enough?.();
    }
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
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const faults0 = process.resourceUsage().minorPageFault;
  measuring = true;
  await sleep(RUN_MS);
  // Large messages: extend the window until it holds enough echoes to time.
  if (received < MIN_ECHOES) await new Promise<void>((r) => (enough = r));
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const faults = process.resourceUsage().minorPageFault - faults0;
  const windowSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const count = received - 1;
  const seconds = Number(lastAt - firstAt) / 1e9;
  // CPU time covers the whole window; scale the count to it.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const perCpu = (count / seconds) * (windowSeconds / cpuSeconds);
  sending = false;
  if (outstanding > 0) await new Promise<void>((r) => (drained = r));
  // Let the last batch go out so its cost lands in this run's teardown, not the next run.
  await sleep(50);
  const extra = echo.stats?.();
  client.terminate();
  await echo.close();
  return { msgsPerSec: count / seconds, msgsPerCpuSec: perCpu, faultsPerMsg: faults / received, extra };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round3 = (x: number): number => Number(x.toFixed(3));
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sizeLabel = (n: number): string => (n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`);
/** Spread of runs of one arm: (max - min) / median, in percent. */
const spreadPct = (xs: number[]): number => Number(((100 * (Math.max(...xs) - Math.min(...xs))) / median(xs)).toFixed(1));

/** Binary, not text: the echo app turns text into a string and back, which is the app's cost, not capture's. */
function makePayload(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = Math.imul(i, 2654435761) >>> 24;
  return payload;
}

/** BENCH_ARM=bare|pipeline|app runs one arm only, for profiling (node --cpu-prof). */
async function profileOne(arm: Arm): Promise<void> {
  for (const c of CASES) {
    const payload = makePayload(c.size);
    const wall: number[] = [];
    const cpu: number[] = [];
    const faults: number[] = [];
    for (let p = 0; p < PAIRS; p++) {
      const r = await run(arm, c, payload);
      wall.push(r.msgsPerSec);
      cpu.push(r.msgsPerCpuSec);
      faults.push(r.faultsPerMsg);
    }
    console.log(`${arm} ${sizeLabel(c.size)} × ${c.inFlight}: ${wall.map((x) => fmt(x)).join(', ')} msg/s`);
    console.log(`  per CPU-second: ${cpu.map((x) => fmt(x)).join(', ')}`);
    console.log(`  page faults per round trip: ${faults.map((x) => fmt(x, 2)).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const one = process.env.BENCH_ARM as Arm | undefined;
  if (one) return profileOne(one);
  const armed = ARMS.filter((a) => a !== 'bare');
  // The ratio headlined (and judged against the target) is the capture pipeline's.
  const headline = armed.includes('pipeline') ? 'pipeline' : (armed[0] ?? 'bare');
  console.log(`capture overhead: in-process echo, ${ARMS.join(' / ')}; batches → ${HOST === 'json' ? 'JSON (browser host)' : 'v8.serialize (Electron)'}`);
  console.log(`${PAIRS} rounds per case (arm order alternating), ${RUN_MS} ms per run after ${WARMUP_MS} ms warm-up, node ${process.version}\n`);
  const results = [];
  for (const c of CASES) {
    const payload = makePayload(c.size);
    // One unmeasured round so JIT warm-up is not charged to the first round.
    for (const arm of ARMS) await run(arm, c, payload);
    const wall: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    const ratios: Record<string, number[]> = {};
    const cpuRatios: Record<string, number[]> = {};
    const extra: Record<string, CaptureStats | undefined> = {};
    for (const arm of ARMS) {
      wall[arm] = [];
      cpu[arm] = [];
      ratios[arm] = [];
      cpuRatios[arm] = [];
    }
    for (let p = 0; p < PAIRS; p++) {
      const order = p % 2 === 0 ? ARMS : [...ARMS].reverse();
      const got: Record<string, RunResult> = {};
      for (const arm of order) got[arm] = await run(arm, c, payload);
      for (const arm of ARMS) {
        wall[arm].push(got[arm].msgsPerSec);
        cpu[arm].push(got[arm].msgsPerCpuSec);
        ratios[arm].push(got[arm].msgsPerSec / got.bare.msgsPerSec);
        cpuRatios[arm].push(got[arm].msgsPerCpuSec / got.bare.msgsPerCpuSec);
        extra[arm] = got[arm].extra;
      }
    }
    const ratio = median(ratios[headline]);
    const r: Record<string, unknown> = {
      size: c.size,
      inFlight: c.inFlight,
      ratio: round3(ratio),
      target: c.target,
      met: ratio >= c.target,
      spread: { min: round3(Math.min(...ratios[headline])), max: round3(Math.max(...ratios[headline])) },
      cpuRatio: round3(median(cpuRatios[headline])),
      cpuSpread: { min: round3(Math.min(...cpuRatios[headline])), max: round3(Math.max(...cpuRatios[headline])) },
      ratios: ratios[headline].map(round3),
    };
    if (armed.includes('keep')) {
      r.keepRatio = round3(median(ratios.keep));
      r.keepSpread = { min: round3(Math.min(...ratios.keep)), max: round3(Math.max(...ratios.keep)) };
    }
    if (armed.includes('app')) {
      r.appRatio = round3(median(ratios.app));
      r.appSpread = { min: round3(Math.min(...ratios.app)), max: round3(Math.max(...ratios.app)) };
      r.appCpuRatio = round3(median(cpuRatios.app));
    }
    for (const arm of ARMS) {
      r[`${arm}MsgsPerSec`] = Math.round(median(wall[arm]));
      r[`${arm}RunSpreadPct`] = spreadPct(wall[arm]);
    }
    results.push(r);
    console.log(`${sizeLabel(c.size).padStart(6)} × ${String(c.inFlight).padStart(2)} in flight (target ≥ ${c.target}):`);
    for (const arm of ARMS) {
      const line = `  ${arm.padEnd(8)} ${fmt(median(wall[arm])).padStart(7)} msg/s (runs ±${(spreadPct(wall[arm]) / 2).toFixed(1)}%)`;
      if (arm === 'bare') {
        console.log(line);
        continue;
      }
      const rs = ratios[arm];
      const cs = cpuRatios[arm];
      console.log(
        `${line}  ratio ${median(rs).toFixed(3)} [${Math.min(...rs).toFixed(3)}–${Math.max(...rs).toFixed(3)}]` +
          `  per CPU-s ${median(cs).toFixed(3)} [${Math.min(...cs).toFixed(3)}–${Math.max(...cs).toFixed(3)}]` +
          (arm === headline ? (ratio >= c.target ? '  met' : '  NOT met') : ''),
      );
      const e = extra[arm];
      if (e) {
        console.log(
          `           last run: ${fmt(e.batches)} batches, ${fmt(e.rows)} rows, ${fmt(e.serializedBytes / 1e6, 1)} MB serialised, ${fmt(e.evicted)} rows evicted`,
        );
      }
    }
  }
  console.log(JSON.stringify({ configuration: headline, host: HOST, rounds: PAIRS, runMs: RUN_MS, cases: results }));
}

await main();
