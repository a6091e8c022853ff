/**
 * Runs a fuzz target's property in a worker thread, so that a hang is a failing test
 * rather than a stuck run: the worker counts the inputs it has fed the code under test
 * and writes the current one into shared memory before each call; when the count stops
 * moving for HANG_MS the worker is terminated (which stops even a synchronous endless
 * loop) and the test fails with that input and the seed.
 *
 * FUZZ_RUNS (default 200 per property) runs longer; FUZZ_SEED replays a run.
 */
import { Worker } from 'node:worker_threads';
import type fc from 'fast-check';
import { tsxEsmApi } from '../../src/main/core/capture/parallel-scan';

export const DEFAULT_FUZZ_RUNS = 200;

function positiveInteger(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || (name === 'FUZZ_RUNS' && n < 1)) throw new Error(`${name} must be a whole number, not '${raw}'`);
  return n;
}

export const FUZZ_RUNS = positiveInteger('FUZZ_RUNS', DEFAULT_FUZZ_RUNS)!;
export const FUZZ_SEED = positiveInteger('FUZZ_SEED', undefined);
/** An input that takes this long is a hang (inputs here are at most a few KiB). */
export const HANG_MS = 10_000;
/** For vitest: room for every run at a generous 50 ms each, and for a hang to be noticed. */
export const FUZZ_TEST_TIMEOUT_MS = 30_000 + FUZZ_RUNS * 50;

/** What a target module exports under each name: inputs, and the call that must answer with a result. */
export interface FuzzTarget<T> {
  arbitrary: fc.Arbitrary<T>;
  /** Feeds one input to the code under test; answers what it returned (a result, or a list of them). */
  run(input: T): unknown;
}

/** Shared between the test and its worker: [0] inputs started, [1] bytes of the current input's description. */
export const COUNTERS = 2;
export const DESCRIPTION_BYTES = 2048;

export interface FuzzOutcome {
  runs: number;
}

/** Runs `targets[name]` of the module at `file` FUZZ_RUNS times; rejects with fast-check's report, or a hang's input. */
export function fuzz(file: URL, name: string, options: { hangMs?: number } = {}): Promise<FuzzOutcome> {
  const hangMs = options.hangMs ?? HANG_MS;
  const shared = new SharedArrayBuffer(COUNTERS * 4 + DESCRIPTION_BYTES);
  const counters = new Int32Array(shared, 0, COUNTERS);
  const description = new Uint8Array(shared, COUNTERS * 4);
  const entry = new URL('./worker.ts', import.meta.url).href;
  // A worker does not inherit tsx's hooks (see parallel-scan.ts): it registers them, then loads the entry.
  const boot = `import(${JSON.stringify(tsxEsmApi(import.meta.url))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(`${boot}.catch((error) => { console.error(error); process.exit(70); });`, {
    eval: true,
    workerData: { file: file.href, name, runs: FUZZ_RUNS, seed: FUZZ_SEED, shared },
  });
  return new Promise<FuzzOutcome>((resolve, reject) => {
    let seen = -1;
    let stillSince = Date.now();
    const watchdog = setInterval(() => {
      const started = Atomics.load(counters, 0);
      if (started !== seen) {
        seen = started;
        stillSince = Date.now();
        return;
      }
      if (started === 0 || Date.now() - stillSince < hangMs) return;
      clearInterval(watchdog);
      const input = new TextDecoder().decode(description.subarray(0, Atomics.load(counters, 1)));
      void worker.terminate();
      reject(new Error(`${name}: input ${started} got no answer within ${hangMs} ms (a hang). The input: ${input}`));
    }, Math.min(250, hangMs / 4));
    worker.once('message', (message: { failed: boolean; report: string; runs: number }) => {
      clearInterval(watchdog);
      void worker.terminate();
      if (message.failed) reject(new Error(`${name}: ${message.report}`));
      else resolve({ runs: message.runs });
    });
    worker.once('error', (error) => {
      clearInterval(watchdog);
      reject(error);
    });
    worker.once('exit', (code) => {
      clearInterval(watchdog);
      reject(new Error(`${name}: the fuzz worker exited with code ${code}`));
    });
  });
}

/**
 * What every target must answer: a result value. Anything a person or a peer can cause
 * is { ok: true, value } or { ok: false, error: a sentence } (or `errors`, a list of them).
 */
export function checkAnswer(answer: unknown): void {
  const answers = Array.isArray(answer) ? answer : [answer];
  for (const a of answers) {
    if (typeof a !== 'object' || a === null || typeof (a as { ok?: unknown }).ok !== 'boolean') {
      throw new Error(`expected a result value, got ${String(JSON.stringify(a)).slice(0, 200)}`);
    }
    const r = a as { ok: boolean; error?: unknown; errors?: unknown };
    if (r.ok) continue;
    const words = typeof r.error === 'string' ? [r.error] : Array.isArray(r.errors) ? r.errors : [];
    if (words.length === 0 || !words.every((w) => typeof w === 'string' && w.trim() !== '')) {
      throw new Error(`a failure without words: ${JSON.stringify(a).slice(0, 200)}`);
    }
  }
}
