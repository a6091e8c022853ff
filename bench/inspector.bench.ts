/**
 * The inspector under load, in Chromium through the browser host, beside a
 * naive inspector in the same run.
 *
 *   npm run bench:inspector            (builds the renderer first)
 *   BENCH_FRAMES=200000 BENCH_LIVE_S=5 npx tsx bench/inspector.bench.ts   (a quick look)
 *   BENCH_PROFILE=/tmp/live.cpuprofile …   (the page's CPU profile during the live phase)
 *   BENCH_TRACE=/tmp/live.json …           (a Chromium trace of the live phase, for chrome://tracing)
 *   BENCH_VERBOSE=1 …                       (each main-side filter scan's time)
 *
 * Framescope: a real Workspace and web host in this process, its capture store
 * pre-filled with BENCH_FRAMES frames (JSON payloads carved from 256 KiB slabs
 * as the decoder leaves them, two connections, both directions), then a feeder
 * appending BENCH_RATE frames a second for BENCH_LIVE_S seconds, each stamped
 * with the wall clock when appended. The page shows "All frames".
 *  - filterP95Ms: 95th percentile over a set of regular expressions and words
 *    typed into the filter (before the live phase, over the pre-filled
 *    frames): from the input event to the animation frame in which the
 *    filtered rows are drawn with their content (the scan runs on the main
 *    side; rows not held by the page are fetched before the filter counts as done).
 *  - longTasksOver50ms: PerformanceObserver('longtask') entries over 50 ms
 *    during the live phase.
 *  - scrollFps: animation frames per second while the wheel scrolls back
 *    through the capture (mouse wheel events through CDP every 16 ms) during
 *    the live phase.
 *  - p99CaptureToVisibleMs: for every row that appears on screen while the
 *    table follows the live stream, the time from its capture stamp to the
 *    animation frame it first shows in.
 *  - heapBytesPerFrame: what the renderer holds after the live phase (CDP
 *    HeapProfiler.collectGarbage, Runtime.getHeapUsage): its JS heap plus the
 *    array buffers outside it (backingStorageSize), where the rows' columns
 *    and previews live, minus the same for the page on an empty capture,
 *    minus the preview bytes (payloads aside), divided by the frames
 *    captured. The page holds the rows the stream delivered plus what
 *    scrolling fetched (the stream skips ahead past a backlog bound; older
 *    rows are fetched on demand); the detail line gives the parts per row
 *    held: JS heap, array buffers, and the previews' share of those.
 * Baseline (naive): one WebSocket message per frame into an array of row
 * objects in React state, Array.filter and every row rendered on each change
 * (bench/inspector/naive-app.js). Same probes, same payloads and rate; its run
 * is capped (BENCH_NAIVE_PREFILL frames, BENCH_NAIVE_LIVE_S seconds) so the
 * bench finishes, and its counts are reported beside it.
 *
 * The last stdout line is one JSON object:
 *   {"longTasksOver50ms","scrollFps","p99CaptureToVisibleMs","heapBytesPerFrame","filterP95Ms","baseline":{…}}
 */
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { Workspace } from '../src/main/core/app/workspace';
import { startWebHost, type WebHost } from '../src/main/web/web-host';
import { Feeder, payloadText, QUERIES } from './inspector/corpus';
// @ts-expect-error a plain .mjs helper shared with the Playwright config
import { chromiumExecutable } from '../scripts/chromium-path.mjs';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 50_000);
const LIVE_S = Number(process.env.BENCH_LIVE_S ?? 20);
const NAIVE_PREFILL = Number(process.env.BENCH_NAIVE_PREFILL ?? 10_000);
const NAIVE_LIVE_S = Number(process.env.BENCH_NAIVE_LIVE_S ?? 5);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RENDERER_DIR = join(ROOT, 'out/renderer');

const wallClock = (): number => performance.timeOrigin + performance.now();

/** Runs `each` RATE times a second for `seconds`, catching up on timer lateness. */
async function atRate(seconds: number, each: (time: number) => void): Promise<number> {
  const start = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed / 1000) * RATE), Math.floor(seconds * RATE));
      const time = wallClock();
      for (; done < due; done++) each(time);
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  return done;
}

// ---------------------------------------------------------------------------------------
// Probes in the page
// ---------------------------------------------------------------------------------------

/** The page-side probes (bench/inspector/probes.js), seen from here. */
interface Probes {
  __startPhase(): number;
  __endPhase(since: number): { longTasks: number[]; latency: number[]; arrival: number[]; count: number };
  __framesPerSecond(from: number): number;
  __attr(testId: string, key: string): string | undefined;
  __timeFilter(value: string, naive: boolean, timeoutMs: number): Promise<number>;
}
const PROBES_PATH = join(ROOT, 'bench/inspector/probes.js');

/** Types a filter and waits for the frame in which its rows are drawn; ms from the input event. */
function timeFilter(page: Page, value: string, naive: boolean, timeoutMs: number): Promise<number> {
  return page.evaluate(([v, n, t]) => (globalThis as unknown as Probes).__timeFilter(v, n, t), [value, naive, timeoutMs] as const);
}

async function attrAtLeast(page: Page, testId: string, key: string, n: number, timeout: number): Promise<void> {
  await page.waitForFunction(([t, k, min]) => Number((globalThis as unknown as Probes).__attr(t, k)) >= min, [testId, key, n] as const, { timeout, polling: 100 });
}

/** The page's JS heap in use, and the array-buffer contents it holds outside the heap. */
async function memoryUsed(page: Page): Promise<{ heap: number; offHeap: number }> {
  const cdp = await page.context().newCDPSession(page);
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
  await cdp.detach();
  // Without it the rows' columns (array buffers) would drop out of heapBytesPerFrame unseen.
  if (usage.backingStorageSize === undefined) throw new Error('this Chromium does not report backingStorageSize (Runtime.getHeapUsage), which heapBytesPerFrame needs');
  return { heap: usage.usedSize, offHeap: usage.backingStorageSize };
}

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const round = (n: number, digits = 1): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

interface Figures {
  longTasksOver50ms: number;
  scrollFps: number;
  p99CaptureToVisibleMs: number;
  heapBytesPerFrame: number;
  filterP95Ms: number;
}

/** Scrolls the table back with the wheel for `ms`, returning animation frames per second meanwhile. */
async function scrollFor(page: Page, ms: number, deltaY: number): Promise<number> {
  const box = await page.getByTestId('frame-body').boundingBox();
  if (!box) throw new Error('no frame table to scroll');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const from = await page.evaluate(() => performance.now());
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await page.mouse.wheel(0, deltaY);
    await new Promise((r) => setTimeout(r, 16));
  }
  return page.evaluate((f) => (globalThis as unknown as Probes).__framesPerSecond(f), from);
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: (chromiumExecutable as () => string | null)() ?? undefined,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-precise-memory-info',
      '--js-flags=--expose-gc',
      '--disable-renderer-backgrounding',
      '--disable-background-timer-throttling',
    ],
  });
}

// ---------------------------------------------------------------------------------------
// Framescope
// ---------------------------------------------------------------------------------------

async function framescope(browser: Browser): Promise<{ figures: Figures; detail: Record<string, unknown> }> {
  const dirs = [mkdtempSync(join(tmpdir(), 'fs-bench-')), mkdtempSync(join(tmpdir(), 'fs-bench-empty-'))];
  const workspace = new Workspace({ dataDir: dirs[0] });
  const empty = new Workspace({ dataDir: dirs[1] });
  const hosts: WebHost[] = [];
  try {
    const feeder = new Feeder(workspace);
    const t0 = wallClock() - FRAMES * 0.1;
    const fillStart = performance.now();
    for (let i = 0; i < FRAMES; i++) feeder.append(t0 + i * 0.1);
    const filledAt = performance.now();
    console.error(`prefilled ${FRAMES.toLocaleString()} frames in ${Math.round(filledAt - fillStart)} ms`);
    if (process.env.BENCH_VERBOSE) {
      // Each main-side scan: how long, how many rows, for which query.
      const filter = workspace.handlers.filterFrames;
      workspace.handlers.filterFrames = async (request) => {
        const t = performance.now();
        const result = await filter(request);
        const v = result.ok ? result.value : null;
        const worker = workspace.filterWorker;
        const split = worker.lastSplit;
        const held =
          worker.failure ??
          `worker holds ${worker.mirrored.from}–${worker.mirrored.to}` +
            (split ? `; last split: worker ${split.workerRows} rows ${split.workerMs.toFixed(0)} ms, here ${split.localRows} rows ${split.localMs.toFixed(0)} ms` : '');
        if (v && v.scannedTo - v.fromId > 10_000) console.error(`  scan ${JSON.stringify(request.query.text?.pattern ?? '')} ${v.scannedTo - v.fromId} rows ${(performance.now() - t).toFixed(1)} ms${v.cancelled ? ' (cancelled)' : ''} (${held})`);
        return result;
      };
    }
    const host = await startWebHost({ workspace, rendererDir: RENDERER_DIR });
    const emptyHost = await startWebHost({ workspace: empty, rendererDir: RENDERER_DIR });
    hosts.push(host, emptyHost);

    // The same page on an empty capture: the heap the app needs before any frame.
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const emptyPage = await context.newPage();
    await emptyPage.goto(emptyHost.url);
    await emptyPage.getByTestId('open-all-frames').click();
    await emptyPage.getByTestId('frames-panel').waitFor();
    await emptyPage.waitForTimeout(500);
    const emptyMemory = await memoryUsed(emptyPage);
    await emptyPage.close();

    const page = await context.newPage();
    await page.addInitScript({ path: PROBES_PATH });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const openStart = Date.now();
    await page.goto(host.url);
    await page.getByTestId('open-all-frames').click();
    await attrAtLeast(page, 'frames-panel', 'viewRows', FRAMES, 120_000);
    await page.waitForFunction(() => (globalThis as unknown as Probes).__attr('frame-body', 'pending') === '0', null, { timeout: 60_000 });
    const openMs = Date.now() - openStart;
    await page.waitForTimeout(1000);
    console.error(`page open with ${FRAMES.toLocaleString()} frames reachable in ${openMs} ms`);
    // The app's idle-time work on a capture (search text, the worker's copy, practice scans: see
    // scan-warmup.ts) is done a few seconds after capture stops; a person turning to the filter
    // then finds it done. Wait for it as they would, and say how long it took.
    const practiseDeadline = Date.now() + 60_000;
    while (!workspace.filterWorker.practised && workspace.filterWorker.failure === null && Date.now() < practiseDeadline) await page.waitForTimeout(100);
    const idleWorkMs = Math.round(performance.now() - filledAt);
    console.error(`idle-time work ${workspace.filterWorker.practised ? 'done' : 'NOT done'} ${idleWorkMs} ms after the capture was filled`);

    // Filters over the pre-filled capture.
    const filterMs: Record<string, number> = {};
    for (const q of QUERIES) {
      filterMs[q] = round(await timeFilter(page, q, false, 60_000));
      await timeFilter(page, '', false, 60_000);
      await page.waitForTimeout(200);
    }
    console.error(`filters (ms): ${JSON.stringify(filterMs)}`);

    // Live: follow, scroll back through the capture, jump back to the newest.
    await page.getByTestId('frame-body').focus();
    await page.keyboard.press('End');
    await page.waitForTimeout(300);
    if (process.env.BENCH_TRACE) await browser.startTracing(page, { categories: process.env.BENCH_TRACE_CATEGORIES?.split(',') ?? ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'renderer.scheduler'] });
    const profiler = process.env.BENCH_PROFILE ? await page.context().newCDPSession(page) : null;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.start');
    }
    const liveStart = await page.evaluate(() => (globalThis as unknown as Probes).__startPhase());
    const feeding = atRate(LIVE_S, (time) => feeder.append(time));
    const phase = (LIVE_S * 1000) / 10;
    await page.waitForTimeout(phase * 3);
    const scrollFps = await scrollFor(page, phase * 4, -240);
    const newMarker = page.getByTestId('new-marker');
    const sawNew = await newMarker.isVisible();
    if (sawNew) await newMarker.click();
    else await page.keyboard.press('End');
    await feeding;
    await page.waitForTimeout(500);
    const live = await page.evaluate((since) => (globalThis as unknown as Probes).__endPhase(since), liveStart);
    if (process.env.BENCH_TRACE) writeFileSync(process.env.BENCH_TRACE, await browser.stopTracing());
    if (profiler) {
      const { profile } = (await profiler.send('Profiler.stop')) as { profile: unknown };
      writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(profile));
      await profiler.detach();
    }
    const panel = page.getByTestId('frames-panel');
    const resident = Number(await panel.getAttribute('data-resident'));
    const previewBytes = Number(await panel.getAttribute('data-preview-bytes'));
    const skipped = Number(await panel.getAttribute('data-skipped'));
    const memory = await memoryUsed(page);
    const heap = memory.heap - emptyMemory.heap;
    const offHeap = memory.offHeap - emptyMemory.offHeap;
    const offHeapRows = offHeap - previewBytes;
    const frames = workspace.store.stats().frames;
    const figures: Figures = {
      longTasksOver50ms: live.longTasks.filter((d) => d > 50).length,
      scrollFps: round(scrollFps),
      p99CaptureToVisibleMs: round(percentile(live.latency, 99)),
      heapBytesPerFrame: round((heap + offHeapRows) / frames),
      filterP95Ms: round(percentile(Object.values(filterMs), 95)),
    };
    const detail = {
      framesCaptured: frames,
      rowsHeldByPage: resident,
      skippedByStream: skipped,
      heapBytesPerHeldRow: round(heap / resident),
      heapMiB: round(heap / 1048576),
      // Outside the JS heap: the rows' columns and previews (frame-rows.ts), in array buffers.
      offHeapBytesPerHeldRow: round(offHeap / resident),
      previewBytesPerHeldRow: round(previewBytes / resident),
      longestTaskMs: round(Math.max(0, ...live.longTasks)),
      latencySamples: live.latency.length,
      p50CaptureToVisibleMs: round(percentile(live.latency, 50)),
      p99CaptureToArrivalMs: round(percentile(live.arrival, 99)),
      p50CaptureToArrivalMs: round(percentile(live.arrival, 50)),
      filterMedianMs: round(percentile(Object.values(filterMs), 50)),
      filterMaxMs: round(Math.max(...Object.values(filterMs))),
      newMarkerShown: sawNew,
      openMs,
      idleWorkMs,
      pageErrors: errors,
    };
    await context.close();
    return { figures, detail };
  } finally {
    for (const h of hosts) await h.close();
    await workspace.dispose();
    await empty.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Naive baseline
// ---------------------------------------------------------------------------------------

interface NaiveServer {
  url: string;
  clients: Set<WebSocket>;
  close(): Promise<void>;
}

async function naiveServer(): Promise<NaiveServer> {
  const bundled = await build({
    entryPoints: [join(ROOT, 'bench/inspector/naive-app.js')],
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const script = bundled.outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><title>naive</title><body style="margin:0"><div id="root"></div><script src="/app.js"></script>';
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/app.js')) res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
  });
  const wss = new WebSocketServer({ server, path: '/feed' });
  const clients = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    clients,
    close: async () => {
      for (const c of clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** One message per frame, as the naive page expects. */
function naiveFrame(seq: number, time: number): string {
  const payload = payloadText(seq);
  const out = seq % 2 === 0;
  return JSON.stringify({ id: seq, time, connection: out ? 'c1' : 's1-c1', direction: out ? 'out' : 'in', opcode: 1, fin: true, rsv1: false, masked: out, length: payload.length, payload });
}

async function naive(browser: Browser): Promise<{ figures: Figures; detail: Record<string, unknown> }> {
  const server = await naiveServer();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const emptyPage = await context.newPage();
    await emptyPage.goto(server.url);
    await emptyPage.waitForTimeout(500);
    const emptyHeap = (await memoryUsed(emptyPage)).heap;
    await emptyPage.close();
    for (const c of server.clients) c.close();

    const page = await context.newPage();
    await page.addInitScript({ path: PROBES_PATH });
    await page.goto(server.url);
    await page.getByTestId('naive-panel').waitFor({ state: 'attached' });
    while (server.clients.size === 0) await new Promise((r) => setTimeout(r, 20));
    const [client] = server.clients;
    let seq = 0;
    let payloadChars = 0;
    const send = (time: number): void => {
      if (client.readyState !== client.OPEN) return;
      const text = naiveFrame(seq++, time);
      payloadChars += payloadText(seq - 1).length;
      client.send(text);
    };
    const t0 = wallClock() - NAIVE_PREFILL * 0.1;
    for (let i = 0; i < NAIVE_PREFILL; i++) send(t0 + i * 0.1);
    await attrAtLeast(page, 'naive-panel', 'count', NAIVE_PREFILL, 300_000);
    await page.waitForTimeout(500);

    const QUERY_LIMIT = 5;
    const filterMs: number[] = [];
    for (const q of QUERIES.slice(0, QUERY_LIMIT)) {
      const ms = await timeFilter(page, q, true, 30_000);
      filterMs.push(ms < 0 ? 30_000 : ms);
      await timeFilter(page, '', true, 30_000);
    }

    const liveStart = await page.evaluate(() => (globalThis as unknown as Probes).__startPhase());
    const sent = atRate(NAIVE_LIVE_S, send);
    await page.waitForTimeout((NAIVE_LIVE_S * 1000) / 2);
    const scrollFps = await scrollFor(page, (NAIVE_LIVE_S * 1000) / 3, -240).catch(() => 0);
    await sent;
    client.terminate();
    // What the page does with what it already received counts too (it was all captured by then).
    await attrAtLeast(page, 'naive-panel', 'count', seq, 30_000).catch(() => undefined);
    const live = await page.evaluate((since) => (globalThis as unknown as Probes).__endPhase(since), liveStart);
    const heap = (await memoryUsed(page)).heap;
    const held = live.count;
    const figures: Figures = {
      longTasksOver50ms: live.longTasks.filter((d) => d > 50).length,
      scrollFps: round(scrollFps),
      p99CaptureToVisibleMs: round(percentile(live.latency, 99)),
      heapBytesPerFrame: round((heap - emptyHeap - (payloadChars * held) / seq) / held),
      filterP95Ms: round(percentile(filterMs, 95)),
    };
    const detail = {
      framesSent: seq,
      framesHeldByPage: held,
      longestTaskMs: round(Math.max(0, ...live.longTasks)),
      latencySamples: live.latency.length,
      filterQueries: filterMs.length,
      filterFramesScanned: NAIVE_PREFILL,
    };
    await context.close();
    return { figures, detail };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    console.error(`the renderer is not built (${RENDERER_DIR}); run 'npm run build' or 'npm run bench:inspector'`);
    process.exit(1);
  }
  const browser = await launch();
  try {
    const mine = await framescope(browser);
    console.error(`framescope: ${JSON.stringify({ ...mine.figures, ...mine.detail })}`);
    const base = await naive(browser);
    console.error(`naive: ${JSON.stringify({ ...base.figures, ...base.detail })}`);
    console.log(JSON.stringify({ framescope: mine.detail, naive: base.detail }));
    console.log(JSON.stringify({ ...mine.figures, baseline: base.figures }));
  } finally {
    await browser.close();
  }
}

await main();
