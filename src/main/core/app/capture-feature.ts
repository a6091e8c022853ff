/**
 * The capture commands: open one row, clear, what a reloaded renderer needs,
 * and the inspector's work that must happen where the payloads are — filter
 * scans, rows on demand, exports to HAR and NDJSON, HAR imports.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_CAPTURE_BUDGET_BYTES, MIN_CAPTURE_BUDGET_BYTES } from '../../../shared/contract/capture';
import type {
  CaptureCommands,
  CommandHandler,
  ExportRequest,
  ExportResult,
  FilterRequest,
  FilterResult,
  HandshakeView,
  RowsPage,
  Snapshot,
} from '../../../shared/contract';
import { PreviewWriter } from '../../../shared/preview';
import type { PackedFrames } from '../../../shared/records';
import { fail, ok, type Result } from '../../../shared/result';
import { secretsRedactor } from '../../../shared/secrets';
import type { CaptureStore } from '../capture/capture-store';
import { writeHar, writeNdjson, type ChunkSink, type ExportContext, type ExportSummary } from '../capture/export';
import { compileQuery, firstIdsAfter, messageAround } from '../capture/frame-filter';
import { DEFAULT_MIN_ROWS, ParallelScanner } from '../capture/parallel-scan';
import { parseHar } from '../capture/har';
import { importHar, type ImportedConnection } from '../capture/har-import';
import { practiceRange, ScanWarmup } from '../capture/scan-warmup';
import { SearchTextWarmer } from '../capture/search-text-warmer';
import type { Feature, WorkspaceContext } from './context';
import { frameDetail } from './frame-detail';

export type CaptureHandlers = { [K in keyof CaptureCommands]: CommandHandler<K> };

/** Rows one getRows call may ask for: a screenful many times over, never the whole capture. */
const MAX_ROWS_PER_REQUEST = 20_000;
const MAX_IDS_PER_REQUEST = 2_000;
/** An export answered as text (the browser host's download) stays below this; larger ones need a path. */
export const MAX_EXPORT_TEXT_BYTES = 64 * 1024 * 1024;
/** A HAR file larger than this is refused before it is read (JSON.parse holds it all in memory). */
const MAX_IMPORT_BYTES = 512 * 1024 * 1024;
const MAX_TIMES_PER_REQUEST = 100_000;
/** A practice scan's time budget: it runs in idle time, in slices, and must reach the end of its rows to warm everything. */
const PRACTICE_BUDGET_MS = 5000;

function appVersion(): string {
  // The package file sits at the repository root in a checkout; a packaged app may not have it.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '../../../../package.json'), join(process.cwd(), 'package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'framescope' && pkg.version) return pkg.version;
    } catch {
      // Not there: try the next place.
    }
  }
  return 'unknown';
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A path the person typed: ~ is their home, relative paths start there too. */
export function resolveUserPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '~') return homedir();
  if (trimmed.startsWith('~/')) return join(homedir(), trimmed.slice(2));
  return isAbsolute(trimmed) ? trimmed : resolve(homedir(), trimmed);
}

function describeFsError(error: unknown, path: string): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return `cannot write ${path}: permission denied`;
    case 'ENOENT':
      return `cannot write ${path}: the folder ${dirname(path)} does not exist`;
    case 'ENOTDIR':
      return `cannot write ${path}: a part of the path is a file, not a folder`;
    case 'EISDIR':
      return `cannot write ${path}: it is a folder`;
    case 'ENOSPC':
      return `cannot write ${path}: the disk is full`;
    case 'EROFS':
      return `cannot write ${path}: the file system is read-only`;
    default:
      return `cannot write ${path}: ${e.message}`;
  }
}

/**
 * How the filter's background help stands: the scan worker (parallel-scan.ts) and the practice
 * scans (scan-warmup.ts). `lastSplit` is the last split scan's, a practice scan's included.
 */
export type FilterWorkerStatus = Pick<ParallelScanner, 'mirrored' | 'failure' | 'lastSplit'> & {
  /** All practice scans have run. */
  practised: boolean;
};

export class CaptureFeature implements Feature<CaptureHandlers> {
  readonly handlers: CaptureHandlers;
  private readonly imported = new Map<string, ImportedConnection>();
  private importCount = 0;
  /** The newest scan per cancel key: an older one still running stops at its next slice. */
  private readonly scans = new Map<string, number>();
  private scanCount = 0;
  /** A person's filter scans running now (practice scans wait for none). */
  private filtersRunning = 0;
  private readonly creator = { name: 'Framescope', version: appVersion() };
  /** Makes the filter's search text while capture is idle, so the first filter does not wait for it. */
  private readonly warmer: SearchTextWarmer;
  /** Runs big scans on two cores (see parallel-scan.ts). */
  private readonly scanner: ParallelScanner;
  /** Practice scans in idle time, so V8's compiles do not land on a person's first queries (see scan-warmup.ts). */
  private readonly warmup: ScanWarmup;

  constructor(
    private readonly ctx: WorkspaceContext,
    private readonly snapshot: () => Omit<Snapshot, 'capture'>,
    private readonly handshakeOf: (connectionId: string) => HandshakeView | undefined,
  ) {
    const { store } = ctx;
    this.scanner = new ParallelScanner(store, {
      workerUrl: ctx.scanWorkerUrl,
      onFailure: (reason) => {
        ctx.log('warn', 'filter', `${reason}; filters run on one thread from now on`);
        // The text of the rows the worker held is made on this thread again, while capture is idle.
        this.warmer.rewind();
      },
    });
    // Rows the scan worker holds, or is about to, need no search text on this thread.
    this.warmer = new SearchTextWarmer(store, { skipBelow: () => this.scanner.copyTarget });
    this.warmup = new ScanWarmup(
      store,
      (query, fromId, toId, isCancelled) => {
        const compiled = compileQuery(query);
        if (!compiled.ok) return Promise.reject(new Error(compiled.error));
        return this.scanner.scan(compiled.value, query, fromId, toId, { isCancelled, budgetMs: PRACTICE_BUDGET_MS });
      },
      {
        ready: () => this.warmer.done && this.scanner.copied,
        // Four times the split threshold, about 131 000 rows a thread, centred where full scans split.
        range: () => {
          const { firstId, nextId } = store.scanColumns();
          return practiceRange(firstId, nextId, this.scanner.mirrored.to, 4 * DEFAULT_MIN_ROWS);
        },
        filterGeneration: () => this.scanCount,
        filtering: () => this.filtersRunning > 0,
      },
    );
    this.handlers = {
      getHandshake: async ({ connectionId }) => {
        const view = this.imported.get(connectionId)?.handshake ?? handshakeOf(connectionId);
        return view ? ok(view) : fail(`no connection '${connectionId}'`);
      },
      getFrame: async ({ id, maxPayloadBytes }) => {
        const row = store.get(id);
        if (!row) {
          return fail(id < store.firstId ? `frame #${id} was evicted to stay within the capture budget` : `no frame #${id}`);
        }
        const around = messageAround(store.scanColumns(), id);
        if (!around) return ok(frameDetail(row, { maxPayloadBytes }));
        const { bytes, ...message } = around;
        return ok(frameDetail(row, { maxPayloadBytes, message, messageBytes: bytes }));
      },
      getSnapshot: async () => ok({ ...this.fullSnapshot(), capture: store.stats() }),
      clearCapture: async () => {
        const cleared = store.clear();
        ctx.hub.emit({ kind: 'capture' });
        return ok({ cleared });
      },
      filterFrames: (request) => this.filter(request),
      getRows: async (request) => this.rows(store, request),
      locateTimes: async ({ times }) => {
        if (!Array.isArray(times) || times.some((t) => typeof t !== 'number' || !Number.isFinite(t))) {
          return fail('times: a list of times in milliseconds since the epoch');
        }
        if (times.length > MAX_TIMES_PER_REQUEST) return fail(`times: at most ${MAX_TIMES_PER_REQUEST} per request`);
        const cols = store.scanColumns();
        return ok({ ids: firstIdsAfter(cols, times) });
      },
      exportCapture: (request) => this.export(store, request),
      setCaptureBudget: async ({ bytes }) => {
        if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < MIN_CAPTURE_BUDGET_BYTES || bytes > MAX_CAPTURE_BUDGET_BYTES) {
          return fail(`bytes: a budget from ${MIN_CAPTURE_BUDGET_BYTES / 1024 / 1024} MiB to ${MAX_CAPTURE_BUDGET_BYTES / 1024 ** 3} GiB`);
        }
        const before = store.stats().evicted;
        store.setBudget(Math.floor(bytes));
        const stats = store.stats();
        if (stats.evicted > before) ctx.log('info', 'capture', `budget lowered: ${stats.evicted - before} oldest frame(s) evicted`);
        // Every window shows the new budget, also when no frame is arriving to carry it.
        ctx.hub.emit({ kind: 'capture' });
        return ok(stats);
      },
      importHar: async ({ path, text, name }) => {
        let source = name ?? 'imported.har';
        let content = text;
        if (content === undefined) {
          if (typeof path !== 'string' || path.trim() === '') return fail('path: enter the path of a HAR file to open');
          const full = resolveUserPath(path);
          source = name ?? full.split(/[\\/]/).pop() ?? full;
          try {
            const info = await stat(full);
            if (info.isDirectory()) return fail(`cannot open ${full}: it is a folder`);
            if (info.size > MAX_IMPORT_BYTES) return fail(`cannot open ${full}: it is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
            content = await readFile(full, 'utf8');
          } catch (error) {
            const e = error as NodeJS.ErrnoException;
            return fail(e.code === 'ENOENT' ? `cannot open ${full}: no such file` : e.code === 'EACCES' ? `cannot open ${full}: permission denied` : `cannot open ${full}: ${e.message}`);
          }
        } else if (typeof content !== 'string') {
          return fail('text: the HAR file as text');
        }
        const parsed = parseHar(content);
        if (!parsed.ok) return fail(`${source}: ${parsed.error}`);
        if (parsed.value.connections.length === 0) {
          return fail(`${source}: ${parsed.value.warnings[0] ?? 'the file has no WebSocket connections'}`);
        }
        const summary = importHar(store, parsed.value, { prefix: 'har', firstNumber: this.importCount + 1, source });
        this.importCount += summary.connections.length;
        for (const c of summary.connections) {
          this.imported.set(c.info.id, c);
          ctx.hub.emit({ kind: 'connection', info: c.info });
        }
        ctx.log('info', 'import', `opened ${source}: ${summary.connections.length} connection(s), ${summary.frames} message(s)`);
        return ok({
          connections: summary.connections.map((c) => c.info),
          frames: summary.frames,
          skippedEntries: parsed.value.skippedEntries,
          warnings: parsed.value.warnings,
        });
      },
    };
  }

  private fullSnapshot(): Omit<Snapshot, 'capture'> {
    const base = this.snapshot();
    return { ...base, connections: [...base.connections, ...[...this.imported.values()].map((c) => c.info)] };
  }

  private async filter(request: FilterRequest): Promise<Result<FilterResult>> {
    if (typeof request.query !== 'object' || request.query === null) return fail('query: missing');
    if (!isId(request.fromId)) return fail('fromId: a row id (0 or more)');
    if (request.toId !== undefined && !isId(request.toId)) return fail('toId: a row id (0 or more)');
    const compiled = compileQuery(request.query);
    if (!compiled.ok) return compiled;
    const key = typeof request.cancelKey === 'string' ? request.cancelKey : null;
    const generation = ++this.scanCount;
    if (key !== null) this.scans.set(key, generation);
    const budgetMs = typeof request.budgetMs === 'number' && request.budgetMs > 0 ? Math.min(request.budgetMs, 5000) : undefined;
    this.filtersRunning++;
    try {
      const result = await this.scanner.scan(compiled.value, request.query, request.fromId, request.toId, {
        budgetMs,
        isCancelled: key === null ? undefined : () => this.scans.get(key) !== generation,
      });
      return ok(result);
    } finally {
      this.filtersRunning--;
      if (key !== null && this.scans.get(key) === generation) this.scans.delete(key);
    }
  }

  private rows(store: CaptureStore, request: { fromId?: number; count?: number; ids?: number[] }): Result<RowsPage | null> {
    if (Array.isArray(request.ids)) {
      if (request.ids.length > MAX_IDS_PER_REQUEST) return fail(`ids: at most ${MAX_IDS_PER_REQUEST} per request`);
      if (!request.ids.every(isId)) return fail('ids: row ids (0 or more)');
      const pages: PackedFrames[] = [];
      const ids: number[] = [];
      for (const id of request.ids) {
        if (!store.has(id)) continue;
        const page = store.pack(id, 1);
        if (page) {
          pages.push(page);
          ids.push(id);
        }
      }
      return ok(mergePages(pages, ids));
    }
    if (!isId(request.fromId)) return fail('fromId: a row id (0 or more)');
    const count = request.count ?? 1000;
    if (!isId(count)) return fail('count: a number of rows');
    return ok(store.pack(request.fromId, Math.min(count, MAX_ROWS_PER_REQUEST)));
  }

  private exportContext(store: CaptureStore): ExportContext {
    const snapshot = this.fullSnapshot();
    return {
      store,
      connections: snapshot.connections,
      servers: snapshot.servers,
      handshakeOf: (id) => this.imported.get(id)?.handshake ?? this.handshakeOf(id),
      creator: this.creator,
    };
  }

  private async export(store: CaptureStore, request: ExportRequest): Promise<Result<ExportResult>> {
    if (request.format !== 'har' && request.format !== 'ndjson') return fail(`format: 'har' or 'ndjson', not ${JSON.stringify(request.format)}`);
    if (request.path !== undefined && (typeof request.path !== 'string' || request.path.trim() === '')) {
      return fail('path: enter where to write the file, or leave it out to download');
    }
    if (request.connectionIds !== undefined && (!Array.isArray(request.connectionIds) || !request.connectionIds.every((id) => typeof id === 'string'))) {
      return fail('connectionIds: a list of connection ids, or leave it out for all');
    }
    const secrets = secretsRedactor({ includeSecrets: request.includeSecrets, secretHeaders: request.secretHeaders });
    if (!secrets.ok) return secrets;
    if (store.nextId === store.firstId) return fail('there is nothing to export: the capture is empty');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const fileName = `framescope-${stamp}.${request.format === 'har' ? 'har' : 'ndjson'}`;
    const ctx = this.exportContext(store);
    const options = { connectionIds: request.connectionIds, includeControlFrames: request.includeControlFrames, secrets: secrets.value };
    const produce = (sink: ChunkSink): Promise<ExportSummary> =>
      request.format === 'har' ? writeHar(ctx, options, sink) : writeNdjson(ctx, options, sink);

    if (request.path === undefined) {
      const chunks: string[] = [];
      let bytes = 0;
      try {
        const summary = await produce((text) => {
          bytes += Buffer.byteLength(text);
          if (bytes > MAX_EXPORT_TEXT_BYTES) throw new ExportTooLarge();
          chunks.push(text);
        });
        return ok({ text: chunks.join(''), fileName, bytes, ...summary });
      } catch (error) {
        if (error instanceof ExportTooLarge) {
          return fail(`the export is larger than ${MAX_EXPORT_TEXT_BYTES / 1024 / 1024} MiB: give a path to write it to instead`);
        }
        throw error;
      }
    }

    const statOf = (path: string) => stat(path).catch(() => null);
    let target = resolveUserPath(request.path);
    if ((await statOf(target))?.isDirectory()) target = join(target, fileName);
    // A file that is there stays unless the person said to replace it: an export never destroys data unasked.
    const existing = await statOf(target);
    if (request.overwrite !== true && existing !== null) {
      return fail(`${target} already exists, so nothing was written: choose another name, or tick "Replace an existing file"`);
    }
    // The rename below would put a file in place of a device or a pipe (/dev/null, as root).
    if (existing !== null && !existing.isFile()) return fail(`${target} is not a regular file, so nothing was written: choose a file name`);
    // Written beside the target and renamed at the end: a failed export never leaves half a file
    // in its place, nor destroys a file that was there.
    const partial = `${target}.partial-${process.pid}-${Date.now()}`;
    // 0600, as saved state is: an export holds what went over the wire, secrets included if asked.
    // Renamed over an existing file, the export is a new file with this mode, not the old one's.
    const stream = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
    let streamError: unknown = null;
    stream.on('error', (error) => (streamError = error));
    let bytes = 0;
    try {
      await new Promise<void>((resolveOpen, rejectOpen) => {
        stream.once('ready', () => resolveOpen());
        stream.once('error', rejectOpen);
      });
      const summary = await produce(async (text) => {
        if (streamError) throw streamError;
        bytes += Buffer.byteLength(text);
        if (!stream.write(text)) await new Promise<void>((r) => stream.once('drain', () => r()));
      });
      await new Promise<void>((resolveEnd, rejectEnd) => stream.end((error?: Error | null) => (error ? rejectEnd(error) : resolveEnd())));
      if (streamError) throw streamError;
      await rename(partial, target);
      this.ctx.log('info', 'export', `wrote ${summary.records} ${request.format === 'har' ? 'message(s)' : 'frame(s)'} to ${target}`);
      return ok({ path: target, fileName: target.split(/[\\/]/).pop() ?? fileName, bytes, ...summary });
    } catch (error) {
      stream.destroy();
      await unlink(partial).catch(() => undefined);
      return fail(describeFsError(error, target));
    }
  }

  get filterWorker(): FilterWorkerStatus {
    return { mirrored: this.scanner.mirrored, failure: this.scanner.failure, lastSplit: this.scanner.lastSplit, practised: this.warmup.finished };
  }

  async dispose(): Promise<void> {
    this.warmer.stop();
    this.warmup.stop();
    this.scanner.dispose();
    this.scans.clear();
  }
}

class ExportTooLarge extends Error {}

/** One page from single-row pages, keeping each row's id. */
function mergePages(pages: PackedFrames[], ids: number[]): RowsPage | null {
  if (pages.length === 0) return null;
  const count = pages.length;
  const connectionIds: string[] = [];
  const index = new Map<string, number>();
  const connection = new Uint32Array(count);
  const time = new Float64Array(count);
  const bits = new Uint32Array(count);
  const length = new Float64Array(count);
  const previews = new PreviewWriter(count);
  pages.forEach((p, i) => {
    const cid = p.connectionIds[p.connection[0]];
    let local = index.get(cid);
    if (local === undefined) {
      local = connectionIds.length;
      index.set(cid, local);
      connectionIds.push(cid);
    }
    connection[i] = local;
    time[i] = p.time[0];
    bits[i] = p.bits[0];
    length[i] = p.length[0];
    previews.copy(p, 0);
  });
  return { firstId: ids[0], count, connection, connectionIds, time, bits, length, ...previews.finish(), ids };
}
