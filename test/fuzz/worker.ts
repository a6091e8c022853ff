/**
 * The worker side of harness.ts: loads one target, runs its property under fast-check,
 * and posts the outcome. Before each input it writes a description of it to shared
 * memory, so that the test can name the input should this thread never answer.
 */
import fc from 'fast-check';
import { workerData, parentPort } from 'node:worker_threads';
import { checkAnswer, COUNTERS, DESCRIPTION_BYTES, type FuzzTarget } from './harness';

const { file, name, runs, seed, shared } = workerData as { file: string; name: string; runs: number; seed?: number; shared: SharedArrayBuffer };
const counters = new Int32Array(shared, 0, COUNTERS);
const description = new Uint8Array(shared, COUNTERS * 4, DESCRIPTION_BYTES);
const encoder = new TextEncoder();

function describe(input: unknown): string {
  const text = JSON.stringify(input, (_k, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v));
  return text === undefined ? String(input) : text;
}

const module = (await import(file)) as Record<string, FuzzTarget<unknown>>;
const target = module[name];
if (target === undefined) throw new Error(`${file} has no fuzz target '${name}'`);

const property = fc.asyncProperty(target.arbitrary, async (input) => {
  const { written } = encoder.encodeInto(describe(input), description);
  Atomics.store(counters, 1, written);
  Atomics.add(counters, 0, 1);
  checkAnswer(await target.run(input));
});
const details = await fc.check(property, { numRuns: runs, seed });
const error = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance);
const report = details.failed ? `${fc.defaultReportMessage(details)}\nThe failure: ${error}` : '';
parentPort!.postMessage({ failed: details.failed, report, runs: details.numRuns });
