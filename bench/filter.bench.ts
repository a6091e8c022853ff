/**
 * The inspector's filter on the main side alone, in Node: the scan a person's
 * query runs over 1 000 000 captured frames (144 MB of JSON payloads), beside
 * a naive filter over the same store (each payload decoded as UTF-8 and tested
 * with the regex, as a plain Array.filter would). No browser, no bridge: the
 * quick way to try a change to frame-filter.ts / text-matcher.ts before
 * running bench:inspector, whose filterP95Ms adds the trip to the screen.
 *
 *   npm run bench:filter
 *   BENCH_FRAMES=200000 BENCH_ROUNDS=2 npm run bench:filter
 *
 * Each query runs BENCH_ROUNDS times (default 3) after the search text has
 * been made by the idle-time warmer, the scan worker has copied the older
 * half of the capture and the practice scans have run, as in the app; its figure is the last round. `ms` is
 * the app's path (the Workspace's filterFrames: the scan split between this
 * thread and the worker, see parallel-scan.ts), `oneThreadMs` scanFrames alone
 * on this thread. The naive filter runs once per query. The last line is one JSON object:
 *   {"frames","queries":[{"query","ms","firstMs","oneThreadMs","naiveMs","matched"}…],"p95Ms","medianMs","firstP95Ms","oneThreadP95Ms","naiveP95Ms","ratio"}
 * where firstMs is a query's first round on the app's path (the first time it is typed in
 * this process: V8's compiles for a kind of query it has not met land there, see
 * scan-warmup.ts), and ratio = naive p95 / scan p95.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../src/main/core/app/workspace';
import { compileQuery, payloadOf, scanFrames } from '../src/main/core/capture/frame-filter';
import { SearchTextWarmer } from '../src/main/core/capture/search-text-warmer';
import type { TextCriterion } from '../src/shared/contract';
import { Feeder, QUERIES } from './inspector/corpus';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 1_000_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/** What the renderer sends for a typed query (src/renderer/src/features/frames/query.ts): /…/flags is a regex, the rest plain text; case-insensitive by default. */
function criterion(typed: string): TextCriterion {
  const m = /^\/(.*)\/([a-z]*)$/.exec(typed);
  if (m) return { pattern: m[1], regex: true, caseSensitive: false, flags: m[2].replace('i', '') || undefined };
  return { pattern: typed, regex: false, caseSensitive: false };
}

function naiveRegex(c: TextCriterion): RegExp {
  const source = c.regex ? c.pattern : c.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(source, `${c.caseSensitive ? '' : 'i'}${c.flags ?? ''}`);
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const round1 = (n: number): number => Number(n.toFixed(1));

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'framescope-bench-filter-'));
  const workspace = new Workspace({ dataDir });
  const feeder = new Feeder(workspace);
  for (let i = 0; i < FRAMES; i++) feeder.append(1_764_000_000_000 + i);
  console.log(`${FRAMES.toLocaleString()} frames, ${(feeder.payloadChars / 1e6).toFixed(0)} MB of payload text; node ${process.version}`);

  // The app makes the search text while capture is idle (search-text-warmer.ts); wait for it here too.
  const warmer = new SearchTextWarmer(workspace.store, { idleMs: 50 });
  let before = -1;
  while (warmer.warmedBuffers !== before) {
    before = warmer.warmedBuffers;
    await new Promise((r) => setTimeout(r, 300));
  }
  warmer.stop();
  // And for the scan worker's copy of the older half (parallel-scan.ts).
  const half = (workspace.store.nextId - workspace.store.firstId) >>> 1;
  while (workspace.filterWorker.mirrored.to < workspace.store.firstId + half && workspace.filterWorker.failure === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (workspace.filterWorker.failure !== null) throw new Error(workspace.filterWorker.failure);
  // And for the practice scans that follow in idle time (scan-warmup.ts).
  const practiseBy = Date.now() + 60_000;
  while (!workspace.filterWorker.practised && Date.now() < practiseBy) await new Promise((r) => setTimeout(r, 100));
  if (!workspace.filterWorker.practised) console.log('the practice scans did not finish within 60 s; measuring anyway');

  const decoder = new TextDecoder();
  const rows: Array<{ query: string; ms: number; firstMs: number; oneThreadMs: number; naiveMs: number; matched: number }> = [];
  for (const typed of QUERIES) {
    const c = criterion(typed);
    const compiled = compileQuery({ unit: 'frames', text: c });
    if (!compiled.ok) throw new Error(compiled.error);
    // The app's path first: its first round is the query as a person types it the first time.
    let ms = 0;
    let firstMs = 0;
    let splitMatched = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const result = await workspace.handlers.filterFrames({ query: { unit: 'frames', text: c }, fromId: 0, budgetMs: 5000 });
      ms = performance.now() - t;
      if (r === 0) firstMs = ms;
      if (!result.ok || !result.value.done) throw new Error(`the app's scan for ${typed} did not finish`);
      splitMatched = result.value.matched;
    }
    let oneThreadMs = 0;
    let matched = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const result = await scanFrames(workspace.store, compiled.value, 0, undefined, { budgetMs: 60_000 });
      oneThreadMs = performance.now() - t;
      matched = result.matched;
      if (!result.done) throw new Error(`the scan for ${typed} did not finish`);
    }
    if (splitMatched !== matched) throw new Error(`${typed}: the split scan matched ${splitMatched} frames, one thread ${matched}`);
    // The naive filter: every payload decoded and tested, one by one.
    const re = naiveRegex(c);
    const cols = workspace.store.scanColumns();
    const t = performance.now();
    let naiveMatched = 0;
    for (let id = cols.firstId; id < cols.nextId; id++) {
      const payload = payloadOf(cols, id & cols.mask);
      if (payload !== null && re.test(decoder.decode(payload))) naiveMatched++;
    }
    const naiveMs = performance.now() - t;
    if (naiveMatched !== matched) throw new Error(`${typed}: the scan matched ${matched} frames, the naive filter ${naiveMatched}`);
    rows.push({ query: typed, ms: round1(ms), firstMs: round1(firstMs), oneThreadMs: round1(oneThreadMs), naiveMs: round1(naiveMs), matched });
    console.log(
      `  ${typed.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms (first ${firstMs.toFixed(1).padStart(6)})   one thread ${oneThreadMs.toFixed(1).padStart(7)} ms   naive ${naiveMs.toFixed(1).padStart(7)} ms   ${matched.toLocaleString()} frames`,
    );
  }
  const p95 = percentile(rows.map((r) => r.ms), 95);
  const oneThreadP95 = percentile(rows.map((r) => r.oneThreadMs), 95);
  const naiveP95 = percentile(rows.map((r) => r.naiveMs), 95);
  console.log(`first rounds: p95 ${percentile(rows.map((r) => r.firstMs), 95).toFixed(1)} ms`);
  console.log(`p95 ${p95.toFixed(1)} ms (one thread ${oneThreadP95.toFixed(1)} ms, naive ${naiveP95.toFixed(1)} ms), ${(naiveP95 / p95).toFixed(2)}× faster than naive`);
  console.log(
    JSON.stringify({
      frames: FRAMES,
      queries: rows,
      p95Ms: p95,
      firstP95Ms: percentile(rows.map((r) => r.firstMs), 95),
      medianMs: percentile(rows.map((r) => r.ms), 50),
      oneThreadP95Ms: oneThreadP95,
      naiveP95Ms: naiveP95,
      ratio: round1(naiveP95 / p95),
    }),
  );
  await workspace.dispose();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
