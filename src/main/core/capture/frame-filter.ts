/**
 * The inspector's filter, run where the payloads are: over the capture
 * store's columns, in slices that yield to the event loop, so a regular
 * expression over a million frames never stalls capture or the bridge.
 *
 * Sans I/O apart from that yield (injectable): the caller owns cancellation
 * and the time budget. The answer is a bitmap over the id range scanned; the
 * renderer asks again from `scannedTo` for rows that arrived meanwhile, so a
 * scan carries no state between calls. What crosses a call boundary (the class
 * of a continuation frame, a fragmented message in progress) is recovered by
 * looking back in the store from the first row that needs it.
 *
 * Text is matched against whole payloads. Payloads live in a few large
 * buffers (decoder slabs, socket reads); each buffer is decoded once to a
 * latin1 string (cached across scans, bounded), a prefilter derived from the
 * pattern runs over that string, and only rows with a hit are decoded as
 * UTF-8 and tested exactly (see text-matcher.ts for why that is sound).
 */
import { Buffer, isAscii as isAsciiBytes } from 'node:buffer';
import type { FilterResult, FrameClass, FrameQuery, MessageSpan } from '../../../shared/contract';
import { FRAME_CLASSES } from '../../../shared/contract/capture';
import { FIN_BIT, INBOUND_BIT, OPCODE_BITS, RSV1_BIT, VIOLATION_BIT } from '../../../shared/frame-bits';
import type { FrameDetail } from '../../../shared/records';
import { ok, type Result } from '../../../shared/result';
import { PREVIEW_BYTES, previewText } from '../../../shared/preview';
import { NO_BUFFER, type CapturedRowExtras } from './capture-store';
import { compileText, type CompiledText, type Prefilter } from './text-matcher';

/** What a bulk scan reads of the store: its columns, valid until the next append, eviction or clear. */
export interface ScanColumns {
  readonly firstId: number;
  readonly nextId: number;
  /** slot = id & mask */
  readonly mask: number;
  readonly connIndex: Uint32Array;
  readonly times: Float64Array;
  readonly bits: Uint32Array;
  readonly lengths: Float64Array;
  /** Byte offset of each frame in its direction's stream. */
  readonly offsets: Float64Array;
  /** RFC 6455 §5.3 masking key as a big-endian uint32; meaningful when the MASK bit is set. */
  readonly maskKeys: Uint32Array;
  /** Per row: its payload's buffer number (see payloadBufferOf), or NO_BUFFER. */
  readonly bufferIds: Uint32Array;
  /** buffers[n - bufferBase] is buffer number n. */
  readonly buffers: ReadonlyArray<ArrayBufferLike | null>;
  readonly bufferBase: number;
  /** Times are non-decreasing from this id on; before it (imported rows) they may not be. */
  readonly timesOrderedFrom: number;
  readonly payloadOffsets: Float64Array;
  readonly payloadLengths: Float64Array;
  readonly extras: ReadonlyMap<number, CapturedRowExtras>;
  readonly connectionIds: readonly string[];
}

/** The buffer holding the payload of the row in `slot`, or null for a row without payload. */
export function payloadBufferOf(c: ScanColumns, slot: number): ArrayBufferLike | null {
  const n = c.bufferIds[slot];
  return n === NO_BUFFER ? null : c.buffers[n - c.bufferBase];
}

/** The payload of the row in `slot` (a view into its buffer), or null for a row without payload. */
export function payloadOf(c: ScanColumns, slot: number): Uint8Array | null {
  const buffer = payloadBufferOf(c, slot);
  return buffer === null ? null : new Uint8Array(buffer, c.payloadOffsets[slot], c.payloadLengths[slot]);
}

/** Per connection index: 1 when the connection is among `ids`; null when `ids` is null (every connection). */
export function connectionMask(cols: ScanColumns, ids: ReadonlySet<string> | null): Uint8Array | null {
  if (ids === null) return null;
  const allowed = new Uint8Array(cols.connectionIds.length);
  cols.connectionIds.forEach((cid, index) => {
    if (ids.has(cid)) allowed[index] = 1;
  });
  return allowed;
}

export interface ScannableStore {
  scanColumns(): ScanColumns;
}

const TEXT = 1;
const BINARY = 2;
const CONTROL = 4;
const VIOLATION = 8;
const CLASS_BIT: Record<FrameClass, number> = { text: TEXT, binary: BINARY, control: CONTROL, violation: VIOLATION };

export interface CompiledQuery {
  readonly unit: 'frames' | 'messages';
  /** INBOUND_BIT or 0 for the direction asked for; -1 for both. */
  readonly direction: number;
  /** OR of class bits; 0 = every class. */
  readonly classes: number;
  readonly connectionIds: ReadonlySet<string> | null;
  readonly fromTime: number;
  readonly toTime: number;
  readonly text: CompiledText | null;
  /** True when nothing narrows the rows (frames unit): every row matches. */
  readonly everything: boolean;
}

/** Checks and compiles a query; a bad regular expression is an error in words, not a throw. */
export function compileQuery(query: FrameQuery): Result<CompiledQuery> {
  if (query.unit !== 'frames' && query.unit !== 'messages') return { ok: false, error: `unit: must be 'frames' or 'messages', not ${JSON.stringify(query.unit)}` };
  let text: CompiledText | null = null;
  if (query.text && query.text.pattern !== '') {
    const compiled = compileText(query.text);
    if (!compiled.ok) return compiled;
    text = compiled.value;
  }
  let classes = 0;
  if (query.classes !== undefined && !Array.isArray(query.classes)) return { ok: false, error: `classes: a list of ${FRAME_CLASSES.join(', ')}` };
  for (const c of query.classes ?? []) {
    // Looked up in the list, not in CLASS_BIT: 'constructor' or 'toString' must not pass as a class.
    if (!FRAME_CLASSES.includes(c)) return { ok: false, error: `classes: unknown class ${JSON.stringify(c)} (${FRAME_CLASSES.join(', ')})` };
    classes |= CLASS_BIT[c];
  }
  if (classes === (TEXT | BINARY | CONTROL | VIOLATION)) classes = 0;
  if (query.direction !== undefined && query.direction !== 'in' && query.direction !== 'out') {
    return { ok: false, error: `direction: 'in', 'out' or absent for both, not ${JSON.stringify(query.direction)}` };
  }
  const direction = query.direction === 'in' ? INBOUND_BIT : query.direction === 'out' ? 0 : -1;
  if (query.connectionIds !== undefined && (!Array.isArray(query.connectionIds) || !query.connectionIds.every((id) => typeof id === 'string'))) {
    return { ok: false, error: 'connectionIds: a list of connection ids' };
  }
  const connectionIds = query.connectionIds && query.connectionIds.length > 0 ? new Set(query.connectionIds) : null;
  const fromTime = Number.isFinite(query.fromTime) ? (query.fromTime as number) : -Infinity;
  const toTime = Number.isFinite(query.toTime) ? (query.toTime as number) : Infinity;
  if (fromTime > toTime) return { ok: false, error: 'time range: the start is after the end' };
  const everything =
    query.unit === 'frames' && !text && classes === 0 && direction === -1 && !connectionIds && fromTime === -Infinity && toTime === Infinity;
  return ok({ unit: query.unit, direction, classes, connectionIds, fromTime, toTime, text, everything });
}

// ---------------------------------------------------------------------------------------
// Buffer text cache: a latin1 string per payload buffer, shared by scans.
// ---------------------------------------------------------------------------------------

/** What a scan needs of a payload buffer beyond its bytes; depends only on the bytes, so it is shared by scans. */
export interface BufferText {
  str: string;
  /** store.nextId when the string was made: rows from then on may have written more of the buffer. */
  builtAt: number;
  /** Where the bytes ≥ 0x80 are (found on first need); dense when too many to list (binary data). */
  high: Positions | null;
  /** Where the capitals A–Z are (found on first need), for lowered case-insensitive searches; dense: too many to use them. */
  upper: Positions | null;
}

/** Where one-character matches of a regex fall in a buffer's text, listed up to a limit. */
interface Positions {
  at: Int32Array;
  count: number;
  /** More than the limit: not listed, so not usable to answer range questions. */
  dense: boolean;
}

const NO_POSITIONS: Positions = { at: new Int32Array(0), count: 0, dense: false };

function positionsOf(re: RegExp, str: string, max: number): Positions {
  let at = new Int32Array(16);
  let count = 0;
  re.lastIndex = 0;
  for (let m = re.exec(str); m !== null; m = re.exec(str)) {
    if (count === max) return { at, count, dense: true };
    if (count === at.length) at = grow(at);
    at[count++] = m.index;
  }
  return { at, count, dense: false };
}

/** Answers "is any listed position in [start, end)?" for ranges that mostly move forward, with a cursor. */
class PositionCursor {
  private k = 0;
  constructor(private readonly p: Positions) {}

  anyIn(start: number, end: number): boolean {
    const { at, count } = this.p;
    if (count === 0) return false;
    let k = this.k;
    if (k > 0 && at[k - 1] >= start) k = lowerBound(at, count, start);
    while (k < count && at[k] < start) k++;
    this.k = k;
    return k < count && at[k] < end;
  }
}

const HIGH_BYTES = /[\x80-\xff]/g;
/** Beyond this many non-ASCII bytes in a buffer (binary data), rows are checked one by one instead. */
const MAX_HIGH_POSITIONS = 8192;
const CAPITALS = /[A-Z]/g;
/** Beyond this many capitals in a buffer, a case-insensitive search runs as written (see lowerForLowercaseText). */
const MAX_UPPER_POSITIONS = 4096;

/** A buffer's non-ASCII bytes, found once; ASCII-only buffers (the usual text stream) are recognised at memory speed. */
function highOf(entry: BufferText, buffer: ArrayBufferLike): Positions {
  if (entry.high === null) entry.high = isAsciiBytes(new Uint8Array(buffer as ArrayBuffer)) ? NO_POSITIONS : positionsOf(HIGH_BYTES, entry.str, MAX_HIGH_POSITIONS);
  return entry.high;
}

/** A buffer's capital letters, found once; text without any (much JSON) is the common case. */
function upperOf(entry: BufferText): Positions {
  if (entry.upper === null) entry.upper = positionsOf(CAPITALS, entry.str, MAX_UPPER_POSITIONS);
  return entry.upper;
}

/**
 * Latin1 strings of payload buffers, kept between scans (typing a filter runs
 * one scan per keystroke). Weak keys: a buffer the store let go of drops out,
 * and its characters stop counting against the limit once the garbage
 * collector has taken it (a FinalizationRegistry; without it, a long session
 * would reach the limit with text long gone and the idle-time warmer would
 * stop for good). Bounded: when the strings held would exceed the limit, the
 * cache starts over.
 */
export class BufferTextCache {
  private map = new WeakMap<ArrayBufferLike, BufferText>();
  private chars = 0;
  /** Bumped when the cache starts over: buffers of an earlier generation no longer count. */
  private generation = 0;
  private readonly released = new FinalizationRegistry<{ generation: number; chars: number }>((held) => {
    if (held.generation === this.generation) this.chars -= held.chars;
  });
  constructor(private readonly limitChars: number) {}

  /** Characters of text held (made and not yet released), which the limit bounds. */
  get heldChars(): number {
    return this.chars;
  }

  /** Makes a buffer's text and finds its non-ASCII bytes and capitals ahead of a scan (the idle-time warmer's step). */
  prepare(buffer: ArrayBufferLike, nextId: number, needAt: number): void {
    const entry = this.get(buffer, nextId, needAt);
    highOf(entry, buffer);
    upperOf(entry);
  }

  /** Lets go of a buffer's text now (another thread searches that buffer: parallel-scan.ts). */
  forget(buffer: ArrayBufferLike): void {
    const hit = this.map.get(buffer);
    if (hit === undefined) return;
    this.map.delete(buffer);
    this.released.unregister(buffer);
    this.chars -= hit.str.length;
  }

  /** Made already, for rows before `needAt`? */
  has(buffer: ArrayBufferLike, needAt: number): boolean {
    const hit = this.map.get(buffer);
    return hit !== undefined && needAt < hit.builtAt;
  }

  /** Would a buffer of this many bytes fit without starting over? */
  hasRoomFor(bytes: number): boolean {
    return this.chars + bytes <= this.limitChars;
  }

  get(buffer: ArrayBufferLike, nextId: number, needAt: number): BufferText {
    const hit = this.map.get(buffer);
    if (hit && needAt < hit.builtAt) return hit;
    const str = Buffer.from(buffer as ArrayBuffer).toString('latin1');
    if (!hit) {
      // A remade string (the buffer gained rows) has the buffer's length again: counted once.
      if (this.chars + str.length > this.limitChars) {
        this.map = new WeakMap();
        this.chars = 0;
        this.generation++;
      }
      this.chars += str.length;
      this.released.register(buffer, { generation: this.generation, chars: str.length }, buffer);
    }
    const entry: BufferText = { str, builtAt: nextId, high: null, upper: null };
    this.map.set(buffer, entry);
    return entry;
  }
}

/** The cache scans use unless told otherwise; the idle-time warmer (search-text-warmer.ts) fills it. */
export const sharedTextCache = new BufferTextCache(256 * 1024 * 1024);

const NON_ASCII = /[^\x00-\x7f]/;

function lowerBound(a: Int32Array, count: number, value: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Hits of a prefilter in a text: starts and ends, overlapping ones included, at most `limit`. */
function findHits(str: string, p: Prefilter, limit = Infinity, capacity = 64): { starts: Int32Array; ends: Int32Array; count: number } {
  let starts = new Int32Array(capacity);
  let ends = new Int32Array(capacity);
  let count = 0;
  const push = (at: number, end: number): void => {
    if (count === starts.length) {
      starts = grow(starts);
      ends = grow(ends);
    }
    starts[count] = at;
    ends[count++] = end;
  };
  if (p.literal !== null) {
    const lit = p.literal;
    for (let at = str.indexOf(lit); at !== -1 && count < limit; at = str.indexOf(lit, at + 1)) push(at, at + lit.length);
  } else {
    const re = p.re;
    re.lastIndex = 0;
    for (let m = re.exec(str); m !== null && count < limit; m = re.exec(str)) {
      push(m.index, m.index + m[0].length);
      // Overlapping hits too: a payload may start inside the previous hit.
      re.lastIndex = m.index + 1;
    }
  }
  return { starts, ends, count };
}

/**
 * The prefilter a scan uses: of the clauses every match satisfies, the one
 * with the fewest hits in a sample of the text (the first buffer scanned).
 */
export function choosePrefilter(prefilters: readonly Prefilter[], sample: string): { prefilter: Prefilter | null; hits: number } {
  const text = sample.length > 1 << 18 ? sample.slice(0, 1 << 18) : sample;
  let best: Prefilter | null = null;
  let fewest = Infinity;
  for (const p of prefilters) {
    const n = findHits(text, p, fewest).count;
    if (n < fewest) {
      fewest = n;
      best = p;
    }
  }
  return { prefilter: best, hits: best === null ? Infinity : fewest };
}

/**
 * Which of two regexes that find the same things in text without capitals runs faster here,
 * timed over a sample: V8's irregexp is several times faster on some patterns case-sensitive
 * ("side":"… in JSON) and on others case-insensitive (literals that start with a letter).
 * Only speed depends on the answer, never what a scan finds.
 */
function fasterOnSample(a: RegExp, b: RegExp, sample: string, now: () => number = () => performance.now()): RegExp {
  const text = sample.length > 1 << 18 ? sample.slice(0, 1 << 18) : sample;
  const once = (re: RegExp): number => {
    const t = now();
    everyMatch(re, text);
    return now() - t;
  };
  // The best of a few runs, after one that is not counted (V8 compiles a regex to machine code
  // only once it has run): a run takes well under a millisecond, so one alone is mostly noise.
  const best = (re: RegExp): number => Math.min(once(re), once(re), once(re));
  once(a);
  once(b);
  return best(b) < best(a) ? b : a;
}

/**
 * Runs a global regex over the whole text (overlapping matches too). A function of its own so
 * that V8's on-stack replacement of the loop does not take in the caller's code after it, which
 * deoptimised on every call when it did (see ChunkSweeper.group).
 */
function everyMatch(re: RegExp, text: string): number {
  let count = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    re.lastIndex = m.index + 1;
    count++;
  }
  return count;
}

/** Above this share of payloads with a prefilter hit, a sweep (where allowed) is cheaper than testing each. */
const SWEEP_ABOVE_HIT_RATE = 0.05;

/**
 * One payload buffer during a scan: its latin1 text (shared across scans),
 * the prefilter's hits in it, and its non-ASCII bytes. Rows of one buffer
 * mostly come in order, so lookups walk a cursor forward instead of searching.
 */
class BufferScan {
  private hitStarts: Int32Array = new Int32Array(0);
  private hitEnds: Int32Array = new Int32Array(0);
  private hitCount = 0;
  private hitCursor = 0;
  private highCursor: PositionCursor | null = null;
  private upperCursor: PositionCursor | null = null;
  /** The hits are of a case-insensitive prefilter's lowered form: a row with capitals may hold others. */
  readonly loweredHits: boolean = false;
  readonly str: string;
  readonly builtAt: number;

  constructor(
    readonly buffer: ArrayBufferLike,
    private readonly text: BufferText,
    prefilter: Prefilter | null,
    hitCapacityHint = 64,
    /** Search with the prefilter's lowered form where this buffer has few capitals. */
    preferLowered = false,
  ) {
    this.str = text.str;
    this.builtAt = text.builtAt;
    if (prefilter !== null) {
      if (preferLowered && prefilter.lowered !== null && this.fewCapitals()) {
        this.loweredHits = true;
        prefilter = { re: prefilter.lowered, literal: null, lowered: null };
      }
      // Sized for as many hits as the previous buffer had: buffers of one stream look alike, and growing twice per buffer showed in profiles.
      const hits = findHits(this.str, prefilter, Infinity, hitCapacityHint);
      this.hitStarts = hits.starts;
      this.hitEnds = hits.ends;
      this.hitCount = hits.count;
    }
  }

  /** How many prefilter hits the buffer has. */
  get hits(): number {
    return this.hitCount;
  }

  /** Does a prefilter hit lie wholly inside [start, end)? */
  hitInside(start: number, end: number): boolean {
    const starts = this.hitStarts;
    const count = this.hitCount;
    let k = this.hitCursor;
    if (k > 0 && starts[k - 1] >= start) k = lowerBound(starts, count, start);
    while (k < count && starts[k] < start) k++;
    this.hitCursor = k;
    for (let j = k; j < count && starts[j] < end; j++) if (this.hitEnds[j] <= end) return true;
    return false;
  }

  /** Few enough capitals A–Z to list, so lowered case-insensitive searches can be used here. */
  fewCapitals(): boolean {
    return !upperOf(this.text).dense;
  }

  /** Does [start, end) hold a capital A–Z? (Only after fewCapitals() said yes.) */
  hasCapital(start: number, end: number): boolean {
    this.upperCursor ??= new PositionCursor(upperOf(this.text));
    return this.upperCursor.anyIn(start, end);
  }

  /** Is the whole buffer ASCII (the usual text stream), so no row of it needs a look? */
  allAscii(): boolean {
    const high = highOf(this.text, this.buffer);
    return !high.dense && high.count === 0;
  }

  /** Are the bytes [start, end) known to be ASCII without looking at them one by one? */
  knownAscii(start: number, end: number): boolean {
    return !highOf(this.text, this.buffer).dense && this.isAscii(start, end, '');
  }

  /** Are the bytes [start, end) all ASCII (so the latin1 text is the UTF-8 text)? */
  isAscii(start: number, end: number, slice: string): boolean {
    const high = highOf(this.text, this.buffer);
    if (high.dense) return !NON_ASCII.test(slice);
    this.highCursor ??= new PositionCursor(high);
    return !this.highCursor.anyIn(start, end);
  }
}

/**
 * The BufferScans of one scan, by payload buffer. A class rather than a closure in scanFrames:
 * the per-chunk code calls it, and calls to a closure made afresh by each scan made that code
 * deoptimise ("wrong call target") hundreds of times in a round of 16 queries (--trace-deopt).
 */
class BufferScans {
  private readonly scans = new Map<ArrayBufferLike, BufferScan>();
  private latest: BufferScan | null = null;

  constructor(
    private readonly cache: BufferTextCache,
    private readonly prefilter: Prefilter | null,
    private readonly prefilterLowered: boolean,
  ) {}

  /** The scan state of a payload buffer; `id` is the row needing it (a buffer may have grown since). */
  of(buffer: ArrayBufferLike, id: number, nextId: number): BufferScan {
    let b = this.scans.get(buffer);
    if (b === undefined || id >= b.builtAt) {
      const hint = this.latest === null ? 64 : Math.max(64, (this.latest.hits * 1.25) | 0);
      b = new BufferScan(buffer, this.cache.get(buffer, nextId, id), this.prefilter, hint, this.prefilterLowered);
      this.latest = b;
      this.scans.set(buffer, b);
      // Rows visit buffers in order, so only the last few are needed again; holding every buffer's
      // hit lists to the end of a scan made them outlive the young generation and cost old-space GCs.
      if (this.scans.size > MAX_BUFFER_SCANS_KEPT) this.scans.delete(this.scans.keys().next().value!);
    }
    return b;
  }
}

/**
 * With a context-free regex: decides rows chunk by chunk by sweeping the regex over each
 * payload buffer once (see sweep). A class at module level rather than a closure in
 * scanFrames, with its hot loop in a method of its own (group), so that V8 keeps one
 * optimised version across scans: as a closure with the loop inline, it deoptimised hundreds
 * of times in a round of 16 queries (--trace-deopt: "wrong call target", "insufficient type
 * feedback").
 */
class ChunkSweeper {
  constructor(
    private readonly query: CompiledQuery,
    private readonly buffers: BufferScans,
    private readonly re: RegExp,
    /** `re` lowered, for buffers with few capitals, when that runs faster (see lowerForLowercaseText). */
    private readonly lowerRe: RegExp | null,
  ) {}

  /** The answers for rows [from, to) whose payload is plain text in a shared buffer (MATCH / NO_MATCH; 0 = not decided here). */
  decide(c: ScanColumns, from: number, to: number, allowed: Uint8Array | null): Uint8Array {
    const answers = new Uint8Array(to - from);
    for (const [buffer, rows] of this.group(c, from, to, allowed)) {
      const scan = this.buffers.of(buffer, rows[rows.length - 1], c.nextId);
      const ascii = scan.allAscii()
        ? rows
        : rows.filter((r) => {
            const slot = r & c.mask;
            return scan.knownAscii(c.payloadOffsets[slot], c.payloadOffsets[slot] + c.payloadLengths[slot]);
          });
      if (ascii.length === 0) continue;
      const lowered = this.lowerRe !== null && scan.fewCapitals();
      sweep(lowered ? this.lowerRe! : this.re, scan, ascii, c.payloadOffsets, c.payloadLengths, c.mask, from, answers, lowered);
    }
    return answers;
  }

  /**
   * Rows of [from, to) to sweep, grouped by payload buffer in first-seen order. A function of
   * its own, so that V8's on-stack replacement of this hot loop does not also compile the code
   * after it: OSR code compiled before that code had run deoptimised on every call, and stayed
   * cached (seen with --trace-deopt).
   */
  private group(c: ScanColumns, from: number, to: number, allowed: Uint8Array | null): Map<ArrayBufferLike, number[]> {
    const { direction, fromTime, toTime } = this.query;
    const groups = new Map<ArrayBufferLike, number[]>();
    let lastBuffer: ArrayBufferLike | null = null;
    let lastRows: number[] = [];
    for (let r = from; r < to; r++) {
      const slot = r & c.mask;
      const bits = c.bits[slot];
      // Rows whose text is not their own payload, and rows the columns rule out, are not swept.
      if (bits & VIOLATION_BIT || (bits & OPCODE_BITS) === 0x8) continue;
      if (direction !== -1 && (bits & INBOUND_BIT) !== direction) continue;
      const conn = c.connIndex[slot];
      if (allowed !== null && (conn >= allowed.length || allowed[conn] === 0)) continue;
      const time = c.times[slot];
      if (time < fromTime || time > toTime) continue;
      const buffer = payloadBufferOf(c, slot);
      if (buffer === null) continue;
      if (buffer !== lastBuffer) {
        let rows = groups.get(buffer);
        if (rows === undefined) groups.set(buffer, (rows = []));
        lastBuffer = buffer;
        lastRows = rows;
      }
      lastRows.push(r);
    }
    return groups;
  }
}

/** Rows looked at past a message's head for its preview, at most (other connections' rows interleave). */
const MAX_PREVIEW_WALK = 4096;

/**
 * The preview of a whole fragmented message (RFC 6455 §5.4): the start of its
 * frames' payloads joined, which the head frame's own preview cuts short. Only
 * the first PREVIEW_BYTES are gathered: frames after them are not visited.
 */
function messagePreview(c: ScanColumns, headId: number, lastId: number, binary: boolean, totalLength: number): string {
  const head = headId & c.mask;
  const conn = c.connIndex[head];
  const inbound = c.bits[head] & INBOUND_BIT;
  const parts: Uint8Array[] = [];
  let gathered = 0;
  const end = Math.min(lastId, headId + MAX_PREVIEW_WALK);
  for (let id = headId; id <= end && gathered <= PREVIEW_BYTES; id++) {
    const slot = id & c.mask;
    const bits = c.bits[slot];
    if (id !== headId && (c.connIndex[slot] !== conn || (bits & INBOUND_BIT) !== inbound || bits & VIOLATION_BIT || (bits & OPCODE_BITS) !== 0)) continue;
    const buffer = payloadBufferOf(c, slot);
    if (buffer === null) continue;
    const length = Math.min(c.payloadLengths[slot], PREVIEW_BYTES + 1 - gathered);
    parts.push(new Uint8Array(buffer, c.payloadOffsets[slot], length));
    gathered += length;
  }
  return previewText(Buffer.concat(parts), binary, totalLength);
}

/** Answers for a chunk of rows decided by sweeping a regex over their buffers: 0 undecided, 1 match, 2 no match. */
const MATCH = 1;
const NO_MATCH = 2;

/**
 * Runs a context-free regex (see isContextFree) over the text of one buffer,
 * from payload to payload, deciding each: a match starting inside a payload
 * and ending inside it is a match of that payload alone; a payload with no
 * match starting inside it has none (what matches a payload on its own
 * matches the same characters in the buffer). A match running past the
 * payload's end, or a payload with non-ASCII bytes, is left undecided for the
 * per-payload test. Each search starts at the next undecided payload, so the
 * buffer is read about once.
 */
function sweep(
  re: RegExp,
  scan: BufferScan,
  rows: number[],
  starts: Float64Array,
  lengths: Float64Array,
  mask: number,
  chunkStart: number,
  answers: Uint8Array,
  /** `re` is a case-insensitive regex lowered: a row with capitals and no match is left to the per-payload test. */
  lowered = false,
): void {
  const noMatch = (row: number): void => {
    const slot = row & mask;
    if (!lowered || !scan.hasCapital(starts[slot], starts[slot] + lengths[slot])) answers[row - chunkStart] = NO_MATCH;
  };
  // Payloads of one buffer are nearly always in offset order already.
  let sorted = true;
  for (let k = 1; k < rows.length; k++) {
    if (starts[rows[k] & mask] < starts[rows[k - 1] & mask]) {
      sorted = false;
      break;
    }
  }
  if (!sorted) rows.sort((a, b) => starts[a & mask] - starts[b & mask]);
  const str = scan.str;
  let k = 0;
  while (k < rows.length) {
    const slot = rows[k] & mask;
    const from = starts[slot];
    re.lastIndex = from;
    const m = re.exec(str);
    if (m === null) {
      for (; k < rows.length; k++) noMatch(rows[k]);
      return;
    }
    const at = m.index;
    // Payloads ending before the match have none starting inside them.
    while (k < rows.length && starts[rows[k] & mask] + lengths[rows[k] & mask] <= at) {
      noMatch(rows[k]);
      k++;
    }
    if (k === rows.length) return;
    const s = starts[rows[k] & mask];
    const e = s + lengths[rows[k] & mask];
    // The match starts between payloads (frame headers, another stream's bytes): search again from this one.
    if (at < s) continue;
    if (at + m[0].length <= e) answers[rows[k] - chunkStart] = MATCH;
    k++;
  }
}

// ---------------------------------------------------------------------------------------
// The scan
// ---------------------------------------------------------------------------------------

export interface ScanOptions {
  /** Stop after about this long and answer with what is done. */
  budgetMs?: number;
  /** Yield to the event loop after about this long. */
  sliceMs?: number;
  isCancelled?: () => boolean;
  /** How to yield (default setImmediate). */
  yieldTo?: () => Promise<void>;
  now?: () => number;
  textCache?: BufferTextCache;
  /**
   * Which form of a case-insensitive search to run where a buffer has few capitals: the lowered
   * one, the one as written, or (default) whichever is faster on a sample. Results are the same.
   */
  lowered?: 'auto' | 'always' | 'never';
}

const ROWS_PER_CHECK = 4096;
/** Buffer scans a scan keeps at once (see BufferScans). */
const MAX_BUFFER_SCANS_KEPT = 8;
/** How far back to look for the first frame of a message a continuation belongs to. */
const LOOKBACK_ROWS = 1 << 16;
/** Frames of one fragmented message gathered for a text test; beyond it the message is judged on its start. */
const MAX_MESSAGE_FRAMES = 4096;

const yieldImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A data message in progress on one connection and direction. */
interface OpenMessage {
  headId: number;
  opcode: number;
  compressed: boolean;
  frames: number;
  length: number;
  /** Ids of its frames, for assembling the text (only with a text criterion). */
  ids: number[] | null;
  /** Whether the head passed the column criteria (messages unit). */
  headPasses: boolean;
}

/**
 * Scans ids [fromId, toId) against a compiled query. Yields between slices;
 * re-reads the columns after each yield (the store may have grown, evicted or
 * been cleared meanwhile).
 */
export async function scanFrames(
  store: ScannableStore,
  query: CompiledQuery,
  fromId: number,
  toId: number | undefined,
  options: ScanOptions = {},
): Promise<FilterResult> {
  const now = options.now ?? (() => performance.now());
  const budgetMs = options.budgetMs ?? 400;
  const sliceMs = options.sliceMs ?? 8;
  const yieldTo = options.yieldTo ?? yieldImmediate;
  const cache = options.textCache ?? sharedTextCache;
  const started = now();

  let cols = store.scanColumns();
  const start = Math.max(Math.floor(fromId), cols.firstId);
  const end = Math.max(start, Math.min(toId === undefined ? cols.nextId : Math.floor(toId), cols.nextId));
  const text = query.text;
  // The plan, chosen on a sample of the first payload buffer in range (see choosePrefilter): a prefilter when the pattern yields one that is rare in the text, a sweep when it is
  // context-free and its literals are common (or it has none), else each payload tested alone.
  let prefilter: Prefilter | null = null;
  let globalRe: RegExp | null = null;
  /** globalRe lowered, for buffers with few capitals (see lowerForLowercaseText), when it runs faster. */
  let globalLowerRe: RegExp | null = null;
  /** The prefilter's lowered form is used where buffers have few capitals (it runs faster here). */
  let prefilterLowered = false;
  const loweredChoice = options.lowered ?? 'auto';
  if (text !== null) {
    const sample = sampleText(cols, start, end, cache);
    const useLowered = (asWritten: RegExp, lowered: RegExp): boolean =>
      loweredChoice === 'always' || (loweredChoice === 'auto' && sample !== null && fasterOnSample(asWritten, lowered, sample.text) === lowered);
    const chosen = sample && text.prefilters.length > 0 ? choosePrefilter(text.prefilters, sample.text) : { prefilter: text.prefilters[0] ?? null, hits: 0 };
    const hitRate = sample ? (chosen.hits * sample.averageLength) / Math.max(1, sample.text.length) : 0;
    if (text.global !== null && (chosen.prefilter === null || hitRate > SWEEP_ABOVE_HIT_RATE)) {
      globalRe = text.global;
      if (text.globalLower !== null && useLowered(text.global, text.globalLower)) globalLowerRe = text.globalLower;
    } else {
      prefilter = chosen.prefilter;
      prefilterLowered = prefilter !== null && prefilter.lowered !== null && useLowered(prefilter.re, prefilter.lowered);
    }
  }
  const buffers = new BufferScans(cache, prefilter, prefilterLowered);
  const sweeper = globalRe !== null ? new ChunkSweeper(query, buffers, globalRe, globalLowerRe) : null;
  const scan = new FrameScan(query, start, end, buffers, sweeper, prefilter, connectionMask(cols, query.connectionIds));

  let id = start;
  let sliceStart = started;
  while (id < end) {
    const chunkEnd = Math.min(end, id + ROWS_PER_CHECK, cols.nextId);
    scan.chunk(cols, id, chunkEnd);
    id = chunkEnd;
    if (id >= end) break;
    if (options.isCancelled?.()) return cancelled(start, id, cols);
    const t = now();
    if (t - started >= budgetMs) break;
    if (t - sliceStart >= sliceMs || id >= cols.nextId) {
      await yieldTo();
      if (options.isCancelled?.()) return cancelled(start, id, cols);
      sliceStart = now();
      cols = store.scanColumns();
      scan.allowed = connectionMask(cols, query.connectionIds);
      // Rows evicted while yielding are gone; the bitmap keeps their bits clear.
      if (id < cols.firstId) id = Math.min(end, cols.firstId);
      if (id >= cols.nextId) break;
    }
  }
  return filterResult({
    start,
    scannedTo: id,
    bitmap: scan.bitmap,
    matched: scan.matched,
    done: id >= end,
    firstId: cols.firstId,
    nextId: cols.nextId,
    elapsedMs: now() - started,
    late: scan.late,
    spans: scan.spans,
  });
}

/**
 * One scanFrames call: its results so far and the work on each row, a chunk at a time.
 * Methods of a class at module level rather than closures made by each call: V8 keeps one
 * optimised version of this code for every scan. As closures, each scan's functions were new
 * call targets to the code optimised during the last scan ("wrong call target" under
 * --trace-deopt), and the first queries after start paid for compiling scanFrames again and
 * again (44–83 ms of compiler time each, --trace-opt), on a core the scan needed.
 */
class FrameScan {
  readonly bitmap: Uint8Array;
  matched = 0;
  /** Ids below the start that the scan found match (a fragmented message's first frame). */
  readonly late: number[] = [];
  readonly spans = new Map<number, MessageSpan>();
  /** Fragmented messages open per connection and direction (key conn * 2 + inbound). */
  private readonly open = new Map<number, OpenMessage>();
  private readonly text: CompiledText | null;
  private readonly messagesUnit: boolean;
  /** A plain-text prefilter hit inside a payload is a match by itself. */
  private readonly decides: boolean;
  private lastScan: BufferScan | null = null;
  /** The columns of the chunk being scanned. */
  private cols: ScanColumns | null = null;

  constructor(
    private readonly query: CompiledQuery,
    private readonly start: number,
    end: number,
    private readonly buffers: BufferScans,
    private readonly sweeper: ChunkSweeper | null,
    private readonly prefilter: Prefilter | null,
    /** Connections the query allows (null: all); remade when connections appear. */
    public allowed: Uint8Array | null,
  ) {
    this.bitmap = new Uint8Array((end - start + 7) >>> 3);
    this.text = query.text;
    this.messagesUnit = query.unit === 'messages';
    this.decides = query.text !== null && query.text.prefilterDecides;
  }

  /** Rows [from, to), all held by `c`. */
  chunk(c: ScanColumns, from: number, to: number): void {
    this.cols = c;
    const { query, text, messagesUnit, open } = this;
    const { mask, bits: bitsCol, connIndex, times, payloadOffsets, payloadLengths } = c;
    const answers = this.sweeper !== null ? this.sweeper.decide(c, from, to, this.allowed) : null;
    for (let id = from; id < to; id++) {
      const slot = id & mask;
      const bits = bitsCol[slot];
      const conn = connIndex[slot];
      const inbound = bits & INBOUND_BIT;
      const opcode = bits & OPCODE_BITS;
      let cls: number;
      let compressedMessage = false;
      if (bits & VIOLATION_BIT) cls = VIOLATION;
      else if (opcode === 0x1) cls = TEXT;
      else if (opcode === 0x2) cls = BINARY;
      else if (opcode >= 0x8 && opcode <= 0xa) cls = CONTROL;
      // Reserved opcodes (3–7, 0xB–0xF), which only an import can bring as rows (the live decoder makes
      // them violation rows): a frame that fails the connection (RFC 6455 §5.2), so a violation.
      else if (opcode !== 0) cls = VIOLATION;
      else cls = 0;

      // Message bookkeeping: data frames open a message, continuations extend it.
      const key = conn * 2 + (inbound ? 1 : 0);
      if (cls === TEXT || cls === BINARY) {
        const compressed = (bits & RSV1_BIT) !== 0;
        if ((bits & FIN_BIT) === 0) {
          open.set(key, {
            headId: id,
            opcode,
            compressed,
            frames: 1,
            length: c.lengths[slot],
            ids: text && messagesUnit ? [id] : null,
            headPasses: false,
          });
        } else if (open.size !== 0) {
          open.delete(key);
        }
        compressedMessage = compressed;
      } else if (cls === 0) {
        let m = open.size === 0 ? undefined : open.get(key);
        if (m === undefined) {
          const found = lookBack(c, id, conn, inbound, text !== null && messagesUnit);
          if (found) {
            m = found;
            m.headPasses = messagesUnit && passesColumns(query, c, m.headId, this.allowed);
            open.set(key, m);
          }
        } else {
          m.frames++;
          m.length += c.lengths[slot];
          if (m.ids && m.ids.length < MAX_MESSAGE_FRAMES) m.ids.push(id);
        }
        cls = m ? (m.opcode === 0x1 ? TEXT : BINARY) : BINARY;
        compressedMessage = m?.compressed === true && (bits & FIN_BIT) === 0;
        if (m && bits & FIN_BIT) {
          open.delete(key);
          if (messagesUnit) {
            this.spanOf(m, id, true);
            // The message is whole now: a text criterion judges it here.
            if (text && m.headPasses && this.testMessage(m, id)) this.mark(m.headId);
            continue;
          }
        } else if (m && messagesUnit) {
          this.spanOf(m, id, false);
          continue;
        }
        if (messagesUnit && m) continue;
      }

      // Column criteria.
      if (query.direction !== -1 && inbound !== query.direction) continue;
      if (query.classes !== 0 && (query.classes & cls) === 0) continue;
      if (this.allowed !== null) {
        if (conn >= this.allowed.length) this.allowed = connectionMask(c, query.connectionIds);
        if (this.allowed![conn] === 0) continue;
      }
      const time = times[slot];
      if (time < query.fromTime || time > query.toTime) continue;

      // (A continuation whose head is gone, evicted or never sent, has opcode 0 and is a row of its own.)
      if (messagesUnit && opcode !== 0 && (cls === TEXT || cls === BINARY) && (bits & FIN_BIT) === 0) {
        // The first frame of a fragmented message: judged when the message completes.
        const m = open.get(key)!;
        m.headPasses = true;
        this.spanOf(m, id, false);
        if (!text) this.mark(id);
        continue;
      }
      if (text === null) {
        this.mark(id);
      } else if (compressedMessage || bits & VIOLATION_BIT || opcode === 0x8 || (opcode === 0 && bits & FIN_BIT)) {
        if (this.testSpecialRow(id, slot, bits, compressedMessage)) this.mark(id);
      } else {
        const buffer = payloadBufferOf(c, slot);
        const answer = answers === null ? 0 : answers[id - from];
        if (answer === MATCH) this.mark(id);
        else if (answer === 0 && buffer !== null && this.testBytes(buffer, payloadOffsets[slot], payloadLengths[slot], id)) this.mark(id);
      }
    }
  }

  private mark(id: number): void {
    if (id >= this.start) {
      const k = id - this.start;
      if ((this.bitmap[k >>> 3] & (1 << (k & 7))) === 0) {
        this.bitmap[k >>> 3] |= 1 << (k & 7);
        this.matched++;
      }
    } else {
      this.late.push(id);
    }
  }

  /** Bytes [offset, offset + length) of a buffer against the text criterion. */
  private testBytes(buffer: ArrayBufferLike, offset: number, length: number, id: number): boolean {
    let b = this.lastScan;
    if (b === null || b.buffer !== buffer || id >= b.builtAt) this.lastScan = b = this.buffers.of(buffer, id, this.cols!.nextId);
    const endAt = offset + length;
    if (this.prefilter && !b.hitInside(offset, endAt)) {
      // A lowered search does not see capitalised spellings: a row with capitals is tested whole.
      if (!b.loweredHits || !b.hasCapital(offset, endAt)) return false;
    } else if (this.decides && this.prefilter) {
      // A plain-text search needs nothing more once its hit is inside the payload.
      return true;
    }
    const slice = b.str.substring(offset, endAt);
    return this.text!.test(b.isAscii(offset, endAt, slice) ? slice : Buffer.from(buffer as ArrayBuffer, offset, length).toString('utf8'));
  }
  /**
   * An inflated message's text, tested on its own: inflation leaves each message in a
   * buffer of its own (zlib's 16 KiB chunks), so the buffer-wide text cache would decode
   * and keep 16 K characters per message.
   */
  private testInflated(inflated: Uint8Array): boolean {
    return this.text!.test(Buffer.from(inflated.buffer, inflated.byteOffset, inflated.length).toString('utf8'));
  }
  /** Rows whose text is not simply their payload: violations, close frames, compressed messages, last fragments. */
  private testSpecialRow(id: number, slot: number, bits: number, compressedMessage: boolean): boolean {
    if (bits & VIOLATION_BIT) {
      const v = this.cols!.extras.get(id)?.violation;
      return v !== undefined && this.text!.test(`${v.code} ${v.message}`);
    }
    const opcode = bits & OPCODE_BITS;
    if (opcode === 0x8) {
      const e = this.cols!.extras.get(id);
      return e?.closeCode !== undefined && this.text!.test(`${e.closeCode} ${e.closeReason ?? ''}`);
    }
    const inflated = this.cols!.extras.get(id)?.inflated;
    if (inflated) return this.testInflated(inflated);
    // A compressed frame's own bytes are DEFLATE output, not the payload a person searches.
    if (compressedMessage) return false;
    const buffer = payloadBufferOf(this.cols!, slot);
    return buffer !== null && this.testBytes(buffer, this.cols!.payloadOffsets[slot], this.cols!.payloadLengths[slot], id);
  }
  /** A whole fragmented message's text: inflated on its last frame, or its frames' bytes joined. */
  private testMessage(m: OpenMessage, lastId: number): boolean {
    const c = this.cols!;
    if (m.compressed) {
      const inflated = c.extras.get(lastId)?.inflated;
      return inflated !== undefined && this.testInflated(inflated);
    }
    const parts: Uint8Array[] = [];
    for (const id of m.ids ?? []) {
      if (id < c.firstId) return false;
      const payload = payloadOf(c, id & c.mask);
      if (payload !== null) parts.push(payload);
    }
    return this.text!.test(Buffer.concat(parts).toString('utf8'));
  }
  /** Fragmented messages whose first frame is shown: what that row stands for. */
  private spanOf(m: OpenMessage, lastId: number, complete: boolean): void {
    if (!m.headPasses) return;
    const span: MessageSpan = { headId: m.headId, lastId, frames: m.frames, length: m.length, complete };
    if (complete && m.compressed) {
      const inflated = this.cols!.extras.get(lastId)?.inflated;
      if (inflated) {
        span.inflatedLength = inflated.length;
        span.preview = previewText(inflated, m.opcode === 0x2);
      }
    } else if (complete) {
      span.preview = messagePreview(this.cols!, m.headId, lastId, m.opcode === 0x2, m.length);
    }
    this.spans.set(m.headId, span);
  }
}

/** What a scan (or two joined: parallel-scan.ts) found, as sent: the bitmap cut to the rows scanned, late matches once each and in order. */
export function filterResult(found: {
  start: number;
  scannedTo: number;
  /** Bit k: row start + k matches; may be longer than the rows scanned. */
  bitmap: Uint8Array;
  matched: number;
  done: boolean;
  firstId: number;
  nextId: number;
  elapsedMs: number;
  late: readonly number[];
  spans: ReadonlyMap<number, MessageSpan>;
}): FilterResult {
  const { start, scannedTo, elapsedMs } = found;
  const result: FilterResult = {
    fromId: start,
    scannedTo,
    matchBits: Buffer.from(found.bitmap.subarray(0, (scannedTo - start + 7) >>> 3)).toString('base64'),
    matched: found.matched,
    done: found.done,
    firstId: found.firstId,
    nextId: found.nextId,
    rate: elapsedMs > 0 ? Math.round((scannedTo - start) / elapsedMs) : undefined,
  };
  if (found.late.length > 0) result.lateMatches = [...new Set(found.late)].sort((a, b) => a - b);
  if (found.spans.size > 0) result.messages = [...found.spans.values()];
  return result;
}

function cancelled(start: number, id: number, cols: ScanColumns): FilterResult {
  return { fromId: start, scannedTo: id, matchBits: '', matched: 0, done: false, cancelled: true, firstId: cols.firstId, nextId: cols.nextId };
}

/** The text of the first payload buffer in a range, and the average payload length near its start, for planning a scan. */
function sampleText(cols: ScanColumns, start: number, end: number, cache: BufferTextCache): { text: string; averageLength: number } | null {
  for (let id = start; id < end && id < start + 4096; id++) {
    const slot = id & cols.mask;
    const buffer = payloadBufferOf(cols, slot);
    if (buffer === null) continue;
    let total = 0;
    let n = 0;
    for (let k = id; k < end && n < 64; k++) {
      total += cols.lengths[k & cols.mask];
      n++;
    }
    return { text: cache.get(buffer, cols.nextId, id).str, averageLength: Math.max(1, total / n) };
  }
  return null;
}

function passesColumns(query: CompiledQuery, c: ScanColumns, id: number, allowed: Uint8Array | null): boolean {
  if (id < c.firstId) return false;
  const slot = id & c.mask;
  const bits = c.bits[slot];
  if (query.direction !== -1 && (bits & INBOUND_BIT) !== query.direction) return false;
  const cls = (bits & OPCODE_BITS) === 1 ? TEXT : BINARY;
  if (query.classes !== 0 && (query.classes & cls) === 0) return false;
  const conn = c.connIndex[slot];
  if (allowed !== null && (conn >= allowed.length || allowed[conn] === 0)) return false;
  const time = c.times[slot];
  return time >= query.fromTime && time <= query.toTime;
}

/**
 * The message a continuation frame at `id` belongs to, found by walking back
 * over the same connection and direction: continuation frames, interleaved
 * control frames (RFC 6455 §5.4 allows them), then the data frame that opened
 * it. Null when there is none in reach (an orphan, or evicted).
 */
export function lookBack(c: ScanColumns, id: number, conn: number, inbound: number, collectIds: boolean): OpenMessage | null {
  const ids: number[] = [id];
  let frames = 1;
  let length = c.lengths[id & c.mask];
  const stop = Math.max(c.firstId, id - LOOKBACK_ROWS);
  for (let k = id - 1; k >= stop; k--) {
    const slot = k & c.mask;
    if (c.connIndex[slot] !== conn) continue;
    const bits = c.bits[slot];
    if ((bits & INBOUND_BIT) !== inbound) continue;
    // A violation row leaves the message open, as it does for a scan walking forward (scanFrames):
    // both must find the same message whether a scan starts before its first frame or after it.
    if (bits & VIOLATION_BIT) continue;
    const opcode = bits & OPCODE_BITS;
    if (opcode >= 0x8) continue;
    if (bits & FIN_BIT) return null;
    frames++;
    length += c.lengths[slot];
    if (collectIds && ids.length < MAX_MESSAGE_FRAMES) ids.push(k);
    if (opcode !== 0) {
      return {
        headId: k,
        opcode,
        compressed: (bits & RSV1_BIT) !== 0,
        frames,
        length,
        ids: collectIds ? ids.reverse() : null,
        headPasses: false,
      };
    }
  }
  return null;
}

/** Decodes a FilterResult bitmap into the matching ids (for callers and tests). */
export function matchedIds(result: FilterResult): number[] {
  const bytes = Buffer.from(result.matchBits, 'base64');
  const ids: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i];
    while (b !== 0) {
      const bit = 31 - Math.clz32(b & -b);
      ids.push(result.fromId + i * 8 + bit);
      b &= b - 1;
    }
  }
  return ids;
}

/** What the detail pane shows about the message a frame belongs to. */
export type MessageAround = NonNullable<FrameDetail['message']> & {
  /** The whole message's bytes (inflated if compressed), when it is complete and text. */
  bytes?: Uint8Array;
};

/** Largest message assembled for the detail pane's text. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The fragmented or compressed message a frame belongs to, found in the
 * store around it; null for control frames, violations and plain one-frame
 * messages (the frame is the message).
 */
export function messageAround(c: ScanColumns, id: number): MessageAround | null {
  if (id < c.firstId || id >= c.nextId) return null;
  const slot = id & c.mask;
  const bits = c.bits[slot];
  const opcode = bits & OPCODE_BITS;
  if (bits & VIOLATION_BIT || opcode >= 0x8) return null;
  if (opcode !== 0 && bits & FIN_BIT && (bits & RSV1_BIT) === 0) return null;
  const conn = c.connIndex[slot];
  const inbound = bits & INBOUND_BIT;
  const headId = opcode !== 0 ? id : lookBack(c, id, conn, inbound, false)?.headId;
  if (headId === undefined) return null;
  const head = c.bits[headId & c.mask];
  const ids = [headId];
  let wireLength = c.lengths[headId & c.mask];
  let complete = (head & FIN_BIT) !== 0;
  for (let k = headId + 1; !complete && k < c.nextId && k < headId + LOOKBACK_ROWS; k++) {
    const s = k & c.mask;
    if (c.connIndex[s] !== conn || (c.bits[s] & INBOUND_BIT) !== inbound) continue;
    const b = c.bits[s];
    if (b & VIOLATION_BIT) break;
    const op = b & OPCODE_BITS;
    if (op >= 0x8) continue;
    if (op !== 0) break;
    ids.push(k);
    wireLength += c.lengths[s];
    if (b & FIN_BIT) complete = true;
  }
  const lastId = ids[ids.length - 1];
  const compressed = (head & RSV1_BIT) !== 0;
  const out: MessageAround = { headId, lastId, frames: ids.length, opcode: head & OPCODE_BITS, wireLength, compressed, complete };
  const inflated = complete && compressed ? c.extras.get(lastId)?.inflated : undefined;
  if (inflated) out.inflatedLength = inflated.length;
  if (complete && out.opcode === 0x1) {
    if (compressed) out.bytes = inflated;
    else if (wireLength <= MAX_MESSAGE_BYTES) {
      out.bytes = Buffer.concat(ids.flatMap((k) => payloadOf(c, k & c.mask) ?? []));
    }
  }
  return out;
}

/**
 * For each time, the first id in [firstId, nextId) whose row, or a row before
 * it, has a later time: where a log line stamped then sits among the frames.
 * Captured rows come in time order, so that is a binary search; rows imported
 * with older times break the order up to `timesOrderedFrom`, and that part is
 * read once for all the times asked (sorted), keeping the running maximum.
 */
export function firstIdsAfter(c: ScanColumns, times: readonly number[]): number[] {
  const ids = new Array<number>(times.length);
  const order = times.map((_, k) => k).sort((a, b) => times[a] - times[b]);
  const orderedFrom = Math.max(c.firstId, Math.min(c.timesOrderedFrom, c.nextId));
  let id = c.firstId;
  let runningMax = -Infinity;
  for (const k of order) {
    const time = times[k];
    // The unordered part: the running maximum only grows, and so does the answer for sorted times.
    while (id < orderedFrom && runningMax <= time) runningMax = Math.max(runningMax, c.times[id++ & c.mask]);
    if (runningMax > time) {
      ids[k] = id - 1;
      continue;
    }
    let lo = orderedFrom;
    let hi = c.nextId;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (c.times[mid & c.mask] <= time) lo = mid + 1;
      else hi = mid;
    }
    ids[k] = lo;
  }
  return ids;
}
