/**
 * `tail -F` for any number of files: start at the end, follow appends, and keep following the
 * *name* through truncation, rotation, deletion and re-creation (NaviServer's log-view app:
 * "a Tcl-based 'tail -f'-like command that watches certain files ... and reports recent
 * changes", with a configurable refresh interval).
 *
 * How changes are recognised, on every poll (fs.stat of the path, then reads on an open handle):
 *   - the path is gone                    → read what is left through the open handle, 'deleted';
 *                                           keep polling for the name
 *   - the name comes back                 → 'recreated' ('created' if it never existed), read from 0
 *   - the path is another inode/device    → rotation (logrotate's rename + create): read the rest
 *                                           of the old file through the open handle, 'rotated',
 *                                           open the new file and read it from 0
 *   - the size is below the read position → truncation (copytruncate, `> file`): 'truncated',
 *                                           read from 0
 *   - the size grew                       → read from the position to the end
 * Holding the handle open is what makes this lossless: lines appended to the old file between
 * the last poll and the rename/unlink are still read. It also means an inode cannot be reused
 * behind our back while we hold it, so "same inode" really means "same file".
 *
 * Symbolic links: whoever can write to a log's directory can rename the log and put a link to
 * any file in its place (`mv app.log app.log.1; ln -s /secret app.log`), and the next re-open
 * would stream that file to every subscriber. So a path is opened without following a final
 * link (O_NOFOLLOW), and a link found there is refused with a tail error, unless the path was
 * itself a link when it was added (the person chose the link, so it is followed). Every opened
 * descriptor is then checked (fstat, not a stat of the name before) to be a regular file; it
 * is opened O_NONBLOCK so that a pipe put there cannot block the open.
 *
 * Known limits (shared with tail(1)): a truncation followed, before the next poll, by writes that
 * make the file at least as long as before looks like an append; a rename-rotation whose new
 * file appears only after a poll found the name missing is reported as 'deleted' then
 * 'recreated'. Text is decoded as UTF-8 (invalid bytes become U+FFFD).
 */
import { constants, type FSWatcher, type Stats, watch } from 'node:fs';
import { type FileHandle, lstat, open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export const DEFAULT_TAIL_INTERVAL_MS = 1000;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const DEFAULT_READ_CHUNK_BYTES = 256 * 1024;
const DEFAULT_MAX_BYTES_PER_POLL = 16 * 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;

export interface FileTailOptions {
  /** Polling period (default 1000 ms, NaviServer log-view's `refresh`). */
  intervalMs?: number;
  /** Longer lines are cut here (at a UTF-8 character boundary) and the rest of the line dropped. */
  maxLineBytes?: number;
  /** Bytes per read() call; each read yields at most one 'lines' event. */
  readChunkBytes?: number;
  /** Reading stops after this many bytes in one poll and continues at the next one. */
  maxBytesPerPoll?: number;
  /** Also poll as soon as fs.watch reports a change in the file's directory (default false). */
  watch?: boolean;
  /** Clock for event timestamps (tests). */
  now?: () => number;
}

interface EventBase {
  /** The path as it was given to the tailer. */
  file: string;
  timestamp: number;
}

export type TailEvent =
  | (EventBase & { type: 'lines'; lines: string[]; /** Indexes into `lines` of lines cut at maxLineBytes. */ capped?: number[] })
  | (EventBase & { type: 'truncated'; /** Where reading was before. */ previousPosition: number; size: number })
  | (EventBase & { type: 'rotated' })
  | (EventBase & { type: 'deleted' })
  | (EventBase & { type: 'created' })
  | (EventBase & { type: 'recreated' })
  | (EventBase & { type: 'error'; code: string; message: string });

export type TailEventType = TailEvent['type'];
export type TailSink = (event: TailEvent) => void;

export interface TailFileState {
  path: string;
  exists: boolean;
  /** Bytes read so far in the current file (the read position). */
  position: number;
  /** The last error code, until the file is readable again. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Line splitting
// ---------------------------------------------------------------------------------------------

export interface SplitLines {
  lines: string[];
  /** Indexes into `lines` of lines that were cut at the maximum length. */
  capped: number[];
}

/**
 * Turns a byte stream into lines: LF ends a line, a CR before it is removed (CRLF files), a
 * last line without LF waits for the rest. Works on bytes and decodes whole lines only, so a
 * multi-byte character split across reads is never mangled (0x0A cannot occur inside a UTF-8
 * sequence). A line longer than `maxLineBytes` is emitted as soon as it exceeds the limit —
 * memory stays bounded even for a file that never writes a newline — and the rest of that line
 * is skipped.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private dropping = false;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer');
  }

  /** Bytes of an unfinished line being held. */
  get pendingBytes(): number {
    return this.size;
  }

  push(chunk: Uint8Array): SplitLines {
    const out: SplitLines = { lines: [], capped: [] };
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(LF, start);
      const end = nl === -1 ? bytes.length : nl;
      if (!this.dropping) this.append(bytes.subarray(start, end), out);
      if (nl === -1) break;
      if (this.dropping) this.dropping = false; // the over-long line, already emitted, ends here
      else this.emitPending(out);
      start = nl + 1;
    }
    return out;
  }

  /** Emits the unfinished line, if any (the file was truncated, rotated or deleted under it). */
  flush(): SplitLines {
    const out: SplitLines = { lines: [], capped: [] };
    if (this.dropping) this.dropping = false;
    else if (this.size > 0) this.emitPending(out);
    return out;
  }

  private append(bytes: Buffer, out: SplitLines): void {
    if (bytes.length === 0) return;
    if (this.size + bytes.length <= this.maxLineBytes) {
      // Copy: the caller reuses its read buffer.
      this.parts.push(Buffer.from(bytes));
      this.size += bytes.length;
      return;
    }
    const room = this.maxLineBytes - this.size;
    const joined = Buffer.concat([...this.parts, bytes.subarray(0, Math.min(bytes.length, room + 4))]);
    let cut = this.maxLineBytes;
    // Back up to the start of a character so the cut line decodes cleanly.
    while (cut > 0 && (joined[cut] & 0xc0) === 0x80) cut--;
    out.capped.push(out.lines.length);
    out.lines.push(joined.toString('utf8', 0, cut));
    this.parts = [];
    this.size = 0;
    this.dropping = true;
  }

  private emitPending(out: SplitLines): void {
    let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    out.lines.push(line.toString('utf8'));
    this.parts = [];
    this.size = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Following files
// ---------------------------------------------------------------------------------------------

interface FileState {
  readonly path: string;
  /** The path was a symbolic link when it was added: the person chose the link, so it is followed. */
  followLink: boolean;
  handle?: FileHandle;
  ino: number;
  dev: number;
  position: number;
  everExisted: boolean;
  splitter: LineSplitter;
  errorCode?: string;
  busy?: Promise<void>;
  again: boolean;
  removed: boolean;
}

function errorCode(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : 'EUNKNOWN';
}

function isMissing(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const ERROR_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTFILE: 'not a regular file',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
  ESYMLINK:
    'refused: the path is now a symbolic link, which could point at any file; Framescope follows a link only when the path was already one when its tail began',
};

// POSIX only; Windows has neither flag (nor unprivileged symlinks), and opens as before there.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCKING = constants.O_NONBLOCK ?? 0;

/** Opens a tailed path for reading: see the note on symbolic links at the top. */
async function openTailed(s: FileState): Promise<FileHandle> {
  try {
    return await open(s.path, constants.O_RDONLY | NON_BLOCKING | (s.followLink ? 0 : NO_FOLLOW));
  } catch (e) {
    // O_NOFOLLOW on a link fails with ELOOP (Linux, macOS) or EMLINK (FreeBSD).
    const code = errorCode(e);
    if (!s.followLink && NO_FOLLOW !== 0 && (code === 'ELOOP' || code === 'EMLINK')) {
      throw Object.assign(new Error('symbolic link refused'), { code: 'ESYMLINK' });
    }
    throw e;
  }
}

export class FileTailer {
  private readonly files = new Map<string, FileState>();
  private readonly dirWatchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly maxLineBytes: number;
  private readonly readChunkBytes: number;
  private readonly maxBytesPerPoll: number;
  private readonly useWatch: boolean;
  private readonly now: () => number;

  constructor(private readonly sink: TailSink, options: FileTailOptions = {}) {
    this.intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_TAIL_INTERVAL_MS);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.readChunkBytes = options.readChunkBytes ?? DEFAULT_READ_CHUNK_BYTES;
    this.maxBytesPerPoll = options.maxBytesPerPoll ?? DEFAULT_MAX_BYTES_PER_POLL;
    this.useWatch = options.watch ?? false;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts following `path` from its current end (a missing file is followed from its start once
   * it appears). Resolves once the starting point is known, so every byte appended after that
   * is reported. Adding a path twice is harmless.
   */
  async add(path: string): Promise<TailFileState> {
    if (this.stopped) throw new Error('this FileTailer was stopped; create a new one');
    const existing = this.files.get(path);
    if (existing) {
      await existing.busy;
      return this.stateOf(existing);
    }
    const s: FileState = {
      path,
      followLink: false,
      ino: 0,
      dev: 0,
      position: 0,
      everExisted: false,
      splitter: new LineSplitter(this.maxLineBytes),
      again: false,
      removed: false,
    };
    this.files.set(path, s);
    s.busy = lstat(path)
      .then((st) => (s.followLink = st.isSymbolicLink()), () => undefined)
      .then(() => this.openAtEnd(s))
      .catch((e: unknown) => this.reportError(s, e))
      .finally(() => {
        s.busy = undefined;
      });
    await s.busy;
    if (this.running && this.useWatch) this.watchDir(s);
    return this.stateOf(s);
  }

  async remove(path: string): Promise<void> {
    const s = this.files.get(path);
    if (!s) return;
    s.removed = true;
    this.files.delete(path);
    await s.busy;
    await this.closeHandle(s);
    const dir = dirname(path);
    if (![...this.files.keys()].some((p) => dirname(p) === dir)) {
      this.dirWatchers.get(dir)?.close();
      this.dirWatchers.delete(dir);
    }
  }

  /** Starts the polling loop (and fs.watch, if asked for). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    if (this.useWatch) for (const s of this.files.values()) this.watchDir(s);
    this.schedule();
  }

  /** Stops polling and closes every handle; the tailer cannot be restarted. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.dirWatchers.values()) w.close();
    this.dirWatchers.clear();
    const states = [...this.files.values()];
    this.files.clear();
    for (const s of states) s.removed = true;
    await Promise.all(states.map(async (s) => {
      await s.busy;
      await this.closeHandle(s);
    }));
  }

  /** Checks every file now (the timer does this every intervalMs). */
  async poll(): Promise<void> {
    await Promise.all([...this.files.values()].map((s) => this.pollFile(s)));
  }

  states(): TailFileState[] {
    return [...this.files.values()].map((s) => this.stateOf(s));
  }

  private stateOf(s: FileState): TailFileState {
    const st: TailFileState = { path: s.path, exists: s.handle !== undefined, position: s.position };
    if (s.errorCode) st.error = s.errorCode;
    return st;
  }

  private schedule(): void {
    if (!this.running) return;
    // A chain of timeouts rather than setInterval: a slow poll never overlaps the next one.
    this.timer = setTimeout(() => {
      this.poll().finally(() => this.schedule());
    }, this.intervalMs);
    // The server or the test keeps the process alive, not a log tail.
    this.timer.unref?.();
  }

  private watchDir(s: FileState): void {
    const dir = dirname(s.path);
    if (this.dirWatchers.has(dir)) return;
    try {
      // Watch the directory, not the file: a rename-rotation replaces the file's inode, and a
      // watch on the old inode would go quiet.
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        for (const f of this.files.values()) {
          if (dirname(f.path) === dir && (!filename || filename.toString() === basename(f.path))) void this.pollFile(f);
        }
      });
      w.on('error', () => {
        // Polling still runs; fs.watch is only a shortcut.
        w.close();
        this.dirWatchers.delete(dir);
      });
      this.dirWatchers.set(dir, w);
    } catch {
      // Unsupported here (or the directory is missing): polling alone is enough.
    }
  }

  /** One check at a time per file; a request during a check makes it run once more after. */
  private pollFile(s: FileState): Promise<void> {
    if (s.busy) {
      s.again = true;
      return s.busy;
    }
    s.busy = (async () => {
      try {
        do {
          s.again = false;
          await this.check(s);
        } while (s.again && !s.removed);
      } catch (e) {
        this.reportError(s, e);
      } finally {
        s.busy = undefined;
      }
    })();
    return s.busy;
  }

  private emit(event: TailEvent): void {
    try {
      this.sink(event);
    } catch {
      // A failing sink must not stop the tail of this or any other file.
    }
  }

  private reportError(s: FileState, e: unknown, code = errorCode(e)): void {
    if (s.errorCode === code) return; // once per distinct problem, not once per poll
    s.errorCode = code;
    const words = ERROR_WORDS[code];
    const message = words ? `${words} (${code})` : e instanceof Error ? e.message : String(e);
    this.emit({ type: 'error', file: s.path, code, message, timestamp: this.now() });
  }

  private async openAtEnd(s: FileState): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await openTailed(s);
    } catch (e) {
      if (!isMissing(e)) this.reportError(s, e);
      return;
    }
    let st: Stats;
    try {
      st = await handle.stat();
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    if (!st.isFile()) {
      await handle.close();
      this.reportError(s, new Error('not a regular file'), st.isDirectory() ? 'EISDIR' : 'ENOTFILE');
      return;
    }
    s.handle = handle;
    s.ino = st.ino;
    s.dev = st.dev;
    s.position = st.size;
    s.everExisted = true;
    s.errorCode = undefined;
    await this.seedUnfinishedLine(s, handle, st.size);
  }

  /**
   * If the file does not end with a newline we start in the middle of a line being written;
   * hold its beginning so the first reported line is whole, not just its tail.
   */
  private async seedUnfinishedLine(s: FileState, handle: FileHandle, size: number): Promise<void> {
    if (size === 0) return;
    const window = Math.min(size, this.maxLineBytes);
    const buf = Buffer.allocUnsafe(window);
    const { bytesRead } = await handle.read(buf, 0, window, size - window);
    const tail = buf.subarray(0, bytesRead);
    if (tail.length === 0 || tail[tail.length - 1] === LF) return;
    const lastNl = tail.lastIndexOf(LF);
    // No newline within maxLineBytes: that line is over-long anyway; keep what we have.
    s.splitter.push(tail.subarray(lastNl + 1));
  }

  private async check(s: FileState): Promise<void> {
    if (s.removed) return;
    let st: Stats;
    try {
      // Not following a link that was put in the file's place: it is another inode, so the
      // file counts as rotated, and its re-open refuses the link.
      st = await (s.followLink ? stat : lstat)(s.path);
    } catch (e) {
      if (!isMissing(e)) {
        this.reportError(s, e);
        return;
      }
      s.errorCode = undefined;
      if (s.handle) {
        await this.drain(s);
        this.flushPartial(s);
        await this.closeHandle(s);
        this.emit({ type: 'deleted', file: s.path, timestamp: this.now() });
      }
      return;
    }

    if (!s.handle) {
      await this.openFromStart(s, s.everExisted ? 'recreated' : 'created');
      return;
    }

    if (st.ino !== s.ino || st.dev !== s.dev) {
      await this.drain(s);
      this.flushPartial(s);
      await this.closeHandle(s);
      this.emit({ type: 'rotated', file: s.path, timestamp: this.now() });
      await this.openFromStart(s, undefined);
      return;
    }

    if (st.size < s.position) {
      const previousPosition = s.position;
      this.flushPartial(s);
      s.position = 0;
      this.emit({ type: 'truncated', file: s.path, previousPosition, size: st.size, timestamp: this.now() });
    }
    s.errorCode = undefined;
    if (st.size > s.position) await this.readAvailable(s, this.maxBytesPerPoll);
  }

  private async openFromStart(s: FileState, announce: 'created' | 'recreated' | undefined): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await openTailed(s);
    } catch (e) {
      // Gone again between stat and open: the next poll sees it missing or back.
      if (!isMissing(e)) this.reportError(s, e);
      return;
    }
    // Identify the file by the handle, not by the earlier stat of the name: it may have been
    // replaced in between.
    let st: Stats;
    try {
      st = await handle.stat();
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    if (!st.isFile()) {
      await handle.close();
      this.reportError(s, new Error('not a regular file'), st.isDirectory() ? 'EISDIR' : 'ENOTFILE');
      return;
    }
    s.handle = handle;
    s.ino = st.ino;
    s.dev = st.dev;
    s.position = 0;
    s.errorCode = undefined;
    s.splitter = new LineSplitter(this.maxLineBytes);
    if (announce) this.emit({ type: announce, file: s.path, timestamp: this.now() });
    s.everExisted = true;
    await this.readAvailable(s, this.maxBytesPerPoll);
  }

  /** Reads what is left of a file that is about to be closed (renamed or unlinked). */
  private drain(s: FileState): Promise<void> {
    return this.readAvailable(s, Number.POSITIVE_INFINITY);
  }

  private async readAvailable(s: FileState, budget: number): Promise<void> {
    const handle = s.handle;
    if (!handle) return;
    // One buffer per call: files are polled concurrently, a shared buffer would be overwritten.
    const buf = Buffer.allocUnsafe(this.readChunkBytes);
    let total = 0;
    while (total < budget) {
      // Read until the end, not up to the size seen by stat: bytes appended meanwhile count too.
      const { bytesRead } = await handle.read(buf, 0, buf.length, s.position);
      if (bytesRead === 0) break;
      s.position += bytesRead;
      total += bytesRead;
      const split = s.splitter.push(buf.subarray(0, bytesRead));
      this.emitLines(s, split);
    }
  }

  private flushPartial(s: FileState): void {
    this.emitLines(s, s.splitter.flush());
  }

  private emitLines(s: FileState, split: SplitLines): void {
    if (split.lines.length === 0) return;
    const event: TailEvent = { type: 'lines', file: s.path, lines: split.lines, timestamp: this.now() };
    if (split.capped.length) event.capped = split.capped;
    this.emit(event);
  }

  private async closeHandle(s: FileState): Promise<void> {
    const h = s.handle;
    s.handle = undefined;
    if (h) await h.close().catch(() => undefined);
  }
}

/** Follows `paths` (each from its current end) and starts polling. */
export async function tailFiles(paths: readonly string[], sink: TailSink, options: FileTailOptions = {}): Promise<FileTailer> {
  const tailer = new FileTailer(sink, options);
  for (const p of paths) await tailer.add(p);
  tailer.start();
  return tailer;
}
