/**
 * Decoder throughput beside ws's own Receiver, on the same bytes, in the
 * same process, in alternating rounds (median reported).
 *
 *   npm run bench:decoder              # default sizes
 *   BENCH_FRAMES=400000 BENCH_ROUNDS=9 npm run bench:decoder
 *
 * The last line of output is one JSON object for machines:
 *   {"framesPerSec","mbPerSec","receiverFramesPerSec","receiverMbPerSec", ...}
 */
import type { EventEmitter } from 'node:events';
import * as ws from 'ws';
import { FrameDecoder } from '../src/main/core/protocol/decoder';
import { encodeFrame, type FrameSpec } from '../src/main/core/protocol/encoder';
import { Opcode } from '../src/main/core/protocol/constants';

// ws exports its Receiver (wrapper.mjs) but @types/ws does not declare it.
interface WsReceiver extends EventEmitter {
  write(chunk: Buffer): boolean;
}
const Receiver = (ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver }).Receiver;

const FRAMES = Number(process.env.BENCH_FRAMES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = 3;
const CHUNK = 64 * 1024; // what a socket read typically delivers

/** xorshift32: the same stream on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

// Mostly ASCII JSON-ish text, as most WebSocket traffic is; one message in
// ten carries non-ASCII characters (decoding those into JS strings costs
// about three times as much).
const asciiWords = ['{"op":"sub"', '"topic":"prices"', '"id":42}', 'alpha', 'beta', 'gamma', 'delta', 'ping', 'ok', '[1,2,3]'];
const otherWords = ['héllo', 'wörld', '✓', 'naïve', '東京'];

function text(rand: () => number, size: number): string {
  const mixed = rand() < 0.1;
  let s = '';
  while (s.length < size) {
    s += (mixed && rand() < 0.3 ? otherWords[Math.floor(rand() * otherWords.length)] : asciiWords[Math.floor(rand() * asciiWords.length)]) + ' ';
  }
  return s.slice(0, size);
}

function binary(rand: () => number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (rand() * 256) | 0;
  return b;
}

interface Stream {
  readonly chunks: Uint8Array[];
  readonly bytes: number;
  readonly frames: number;
  readonly payloadBytes: number;
}

/**
 * Masked client frames: mostly small text and binary messages, some medium
 * ones (1-16 KiB), an occasional ping/pong and a few fragmented messages.
 */
function buildStream(frameCount: number, smallOnly: boolean): Stream {
  const rand = rng(smallOnly ? 7 : 42);
  const frames: Uint8Array[] = [];
  let bytes = 0;
  let payloadBytes = 0;
  const add = (spec: FrameSpec): void => {
    const f = encodeFrame({ ...spec, mask: 'random' });
    frames.push(f);
    bytes += f.length;
  };
  while (frames.length < frameCount) {
    const r = rand();
    if (r < 0.6 || smallOnly) {
      const t = text(rand, 8 + Math.floor(rand() * 120));
      payloadBytes += Buffer.byteLength(t);
      add({ opcode: rand() < 0.8 ? Opcode.Text : Opcode.Binary, payload: t });
    } else if (r < 0.92) {
      const b = binary(rand, 2 + Math.floor(rand() * 200));
      payloadBytes += b.length;
      add({ opcode: Opcode.Binary, payload: b });
    } else if (r < 0.95) {
      const size = 1024 + Math.floor(rand() * 15 * 1024);
      const p = rand() < 0.5 ? text(rand, size) : binary(rand, size);
      payloadBytes += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
      add({ opcode: typeof p === 'string' ? Opcode.Text : Opcode.Binary, payload: p });
    } else if (r < 0.98) {
      add({ opcode: rand() < 0.5 ? Opcode.Ping : Opcode.Pong, payload: 'hb' });
      payloadBytes += 2;
    } else {
      const parts = [text(rand, 40), text(rand, 40), text(rand, 40)];
      parts.forEach((p, i) => add({ opcode: i === 0 ? Opcode.Text : Opcode.Continuation, fin: i === 2, payload: p }));
      payloadBytes += 120;
    }
  }
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return { chunks, bytes, frames: frames.length, payloadBytes };
}

/** One timed run: wall-clock and CPU time (user + system) of this process, in seconds. */
interface Timing {
  wall: number;
  cpu: number;
}

function timed(fn: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

function runDecoder(stream: Stream): Timing {
  const d = new FrameDecoder({ from: 'client', maxPayload: 1 << 30 });
  let frames = 0;
  const t = timed(() => {
    for (const c of stream.chunks) {
      const events = d.push(c);
      for (let i = 0; i < events.length; i++) if (events[i].type === 'frame') frames++;
    }
  });
  if (frames !== stream.frames || d.halted) throw new Error(`decoder saw ${frames}/${stream.frames} frames (halted ${d.halted})`);
  return t;
}

function runReceiver(stream: Stream): Timing {
  // ws unmasks in place: give it its own copy, made before the clock starts.
  const copies = stream.chunks.map((c) => Buffer.from(c));
  const r = new Receiver({ isServer: true, maxPayload: 0 });
  let events = 0;
  r.on('message', () => events++);
  r.on('ping', () => events++);
  r.on('pong', () => events++);
  r.on('error', (err: Error) => {
    throw err;
  });
  const t = timed(() => {
    for (const c of copies) r.write(c);
  });
  if (events === 0) throw new Error('receiver emitted nothing');
  return t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Figures {
  framesPerSec: number;
  mbPerSec: number;
  receiverFramesPerSec: number;
  receiverMbPerSec: number;
  wallFramesPerSec: number;
  wallReceiverFramesPerSec: number;
}

function measure(label: string, stream: Stream): Figures {
  // Warm both up so the JIT has settled (optimising tiers) before the timed rounds.
  for (let i = 0; i < WARMUP; i++) {
    runDecoder(stream);
    runReceiver(stream);
  }
  const ours: Timing[] = [];
  const theirs: Timing[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first so neither always runs on a warmer cache.
    if (round % 2 === 0) {
      ours.push(runDecoder(stream));
      theirs.push(runReceiver(stream));
    } else {
      theirs.push(runReceiver(stream));
      ours.push(runDecoder(stream));
    }
  }
  const cpuOurs = median(ours.map((t) => t.cpu));
  const cpuTheirs = median(theirs.map((t) => t.cpu));
  const wallOurs = median(ours.map((t) => t.wall));
  const wallTheirs = median(theirs.map((t) => t.wall));
  const mb = stream.bytes / 1e6;
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  const f: Figures = {
    framesPerSec: Math.round(stream.frames / cpuOurs),
    mbPerSec: round1(mb / cpuOurs),
    receiverFramesPerSec: Math.round(stream.frames / cpuTheirs),
    receiverMbPerSec: round1(mb / cpuTheirs),
    wallFramesPerSec: Math.round(stream.frames / wallOurs),
    wallReceiverFramesPerSec: Math.round(stream.frames / wallTheirs),
  };
  const m = (x: number): string => (x / 1e6).toFixed(2);
  console.log(`${label}: ${stream.frames} frames, ${mb.toFixed(1)} MB in ${stream.chunks.length} chunks of ${CHUNK / 1024} KiB`);
  console.log(`  FrameDecoder  ${m(f.framesPerSec)} M frames/s  ${f.mbPerSec} MB/s   (wall-clock ${m(f.wallFramesPerSec)} M frames/s)`);
  console.log(`  ws Receiver   ${m(f.receiverFramesPerSec)} M frames/s  ${f.receiverMbPerSec} MB/s   (wall-clock ${m(f.wallReceiverFramesPerSec)} M frames/s)`);
  console.log(`  ratio         ${(f.framesPerSec / f.receiverFramesPerSec).toFixed(2)}x ws (wall-clock ${(f.wallFramesPerSec / f.wallReceiverFramesPerSec).toFixed(2)}x)`);
  return f;
}

console.log(`median of ${ROUNDS} alternating rounds; rates are per CPU-second of this process (robust on shared machines), wall-clock in brackets`);
const small = measure('small frames (8-128 B text/binary, masked)', buildStream(FRAMES, true));
const mixed = measure('mixed stream (small, medium 1-16 KiB, control, fragmented; masked)', buildStream(FRAMES, false));
console.log(
  JSON.stringify({
    ...mixed,
    smallFramesPerSec: small.framesPerSec,
    smallReceiverFramesPerSec: small.receiverFramesPerSec,
  }),
);
