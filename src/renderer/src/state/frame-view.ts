/**
 * What the frame table lists: either every row the main side holds (ids
 * firstId … nextId-1, no list needed), or the ids matching a query, found by
 * the main side's scan (`filterFrames`) and kept as a sorted list of ids
 * (8 bytes a match). New rows are scanned as they arrive, from where the last
 * scan stopped, so a live filter costs the main side only the new rows.
 *
 * Nothing here runs on React's render path: results arrive as bitmaps, are
 * turned into ids in one pass, and the table reads `idAt(i)` for the rows it
 * draws.
 */
import type { FilterResult, FramescopeApi, FrameQuery, MessageSpan } from '../../../shared/contract';

export type ViewStatus = 'idle' | 'scanning' | 'live' | 'error';

type FilterApi = Pick<FramescopeApi, 'filterFrames'>;

function isEverything(query: FrameQuery): boolean {
  return (
    query.unit === 'frames' &&
    !query.direction &&
    !(query.classes && query.classes.length > 0 && query.classes.length < 4) &&
    !(query.connectionIds && query.connectionIds.length > 0) &&
    query.fromTime === undefined &&
    query.toTime === undefined &&
    !(query.text && query.text.pattern !== '')
  );
}

export class FrameView {
  private query: FrameQuery = { unit: 'frames' };
  private everything = true;
  firstId = 0;
  nextId = 0;
  private ids = new Float64Array(1024);
  private start = 0;
  private end = 0;
  private scannedTo = 0;
  private scanFrom = 0;
  private scanTarget = 0;
  private generation = 0;
  private pumping = -1;
  status: ViewStatus = 'idle';
  error: string | null = null;
  /** Fragmented messages among the matches (messages unit), by the id of their first frame. */
  readonly messages = new Map<number, MessageSpan>();
  /** performance.now() when the query was set, and when its first full scan finished. */
  queryAt = 0;
  doneAt = 0;
  /** Bumped whenever the list or its status changes. */
  version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly cancelKey = `view-${Math.random().toString(36).slice(2)}`;

  constructor(private readonly api: FilterApi) {}

  get currentQuery(): FrameQuery {
    return this.query;
  }

  get isFiltered(): boolean {
    return !this.everything;
  }

  /** How far the first scan of the current query has got, 0..1. */
  get progress(): number {
    if (this.everything || this.status !== 'scanning') return 1;
    const total = this.scanTarget - this.scanFrom;
    return total <= 0 ? 1 : Math.min(1, Math.max(0, (this.scannedTo - this.scanFrom) / total));
  }

  get length(): number {
    return this.everything ? Math.max(0, this.nextId - this.firstId) : this.end - this.start;
  }

  idAt(index: number): number {
    return this.everything ? this.firstId + index : this.ids[this.start + index];
  }

  /** Index of the first listed row whose id is ≥ id (length when none). */
  lowerBound(id: number): number {
    if (this.everything) return Math.min(this.length, Math.max(0, id - this.firstId));
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  /** Index of a listed id, or -1. */
  indexOf(id: number): number {
    const i = this.lowerBound(id);
    return i < this.length && this.idAt(i) === id ? i : -1;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  setQuery(query: FrameQuery, now = 0): void {
    this.query = query;
    this.everything = isEverything(query);
    this.generation++;
    this.start = this.end = 0;
    this.messages.clear();
    this.error = null;
    this.queryAt = now;
    this.doneAt = this.everything ? now : 0;
    this.scannedTo = this.scanFrom = this.firstId;
    this.scanTarget = this.nextId;
    this.status = this.everything ? 'idle' : this.scanTarget > this.scanFrom ? 'scanning' : 'live';
    if (this.status === 'live') this.doneAt = now;
    this.changed();
    this.pump();
  }

  /** The range the main side holds now (from each event batch). */
  setRange(firstId: number, nextId: number): void {
    if (firstId === this.firstId && nextId === this.nextId) return;
    const grew = nextId > this.nextId;
    const moved = firstId > this.firstId;
    if (moved) {
      while (this.start < this.end && this.ids[this.start] < firstId) this.start++;
      for (const head of this.messages.keys()) if (head < firstId) this.messages.delete(head);
      if (this.scannedTo < firstId) this.scannedTo = firstId;
    }
    this.firstId = firstId;
    this.nextId = Math.max(nextId, firstId);
    if (this.everything || moved) this.changed();
    if (!this.everything && grew) this.pump();
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  /** Room for `count` more ids after the list's end: the dropped head reclaimed, or a bigger array. */
  private reserve(count: number): void {
    if (this.ids.length - this.end >= count) return;
    const listed = this.end - this.start;
    if (this.start > 0 && this.ids.length - listed >= count && this.start > this.ids.length / 2) {
      this.ids.copyWithin(0, this.start, this.end);
    } else {
      let size = this.ids.length * 2;
      while (size - listed < count) size *= 2;
      const grown = new Float64Array(size);
      grown.set(this.ids.subarray(this.start, this.end));
      this.ids = grown;
    }
    this.start = 0;
    this.end = listed;
  }

  private push(id: number): void {
    this.reserve(1);
    this.ids[this.end++] = id;
  }

  /**
   * The ids set in a result's bitmap, appended in one pass (a dense result is hundreds of
   * thousands of ids: a call per id showed as most of the time from reply to screen). Ids
   * already listed (a rescan's overlap) are skipped: those in a bitmap only grow.
   */
  private appendMatches(result: Pick<FilterResult, 'fromId' | 'matchBits' | 'matched'>): void {
    if (result.matchBits === '') return;
    const bytes = atob(result.matchBits);
    this.reserve(Number.isFinite(result.matched) ? Math.max(0, result.matched) : 0);
    const last = this.end === this.start ? -1 : this.ids[this.end - 1];
    let ids = this.ids;
    let end = this.end;
    for (let i = 0; i < bytes.length; i++) {
      let b = bytes.charCodeAt(i);
      const base = result.fromId + i * 8;
      while (b !== 0) {
        const id = base + 31 - Math.clz32(b & -b);
        b &= b - 1;
        if (id <= last) continue;
        if (end === ids.length) {
          // More set bits than `matched` said: grow as push would.
          this.end = end;
          this.reserve(1);
          ids = this.ids;
          end = this.end;
        }
        ids[end++] = id;
      }
    }
    this.end = end;
  }

  /** A match before the scanned range (a fragmented message judged when it completed). */
  private insert(id: number): void {
    if (id < this.firstId || this.indexOf(id) >= 0) return;
    const at = this.start + this.lowerBound(id);
    this.push(0);
    this.ids.copyWithin(at + 1, at, this.end - 1);
    this.ids[at] = id;
  }

  private apply(result: FilterResult): void {
    this.appendMatches(result);
    for (const id of result.lateMatches ?? []) this.insert(id);
    for (const span of result.messages ?? []) this.messages.set(span.headId, span);
    this.scannedTo = Math.max(this.scannedTo, result.scannedTo);
    if (result.firstId > this.firstId) this.setRange(result.firstId, Math.max(this.nextId, result.nextId));
  }

  /** Scans what is not scanned yet; one request at a time per query, a new query cancels the old scan. */
  private pump(): void {
    if (this.everything || this.pumping === this.generation) return;
    const generation = this.generation;
    this.pumping = generation;
    const run = async (): Promise<void> => {
      try {
        while (generation === this.generation && this.scannedTo < this.nextId) {
          const result = await this.api.filterFrames({ query: this.query, fromId: this.scannedTo, cancelKey: this.cancelKey });
          if (generation !== this.generation) return;
          if (!result.ok) {
            this.status = 'error';
            this.error = result.error;
            this.changed();
            return;
          }
          if (result.value.cancelled) continue;
          this.apply(result.value);
          if (this.status === 'error') {
            // A retry after a dropped request got through.
            this.status = 'scanning';
            this.error = null;
          }
          if (this.status === 'scanning' && this.scannedTo >= this.scanTarget) {
            this.status = 'live';
            // The first full scan's time (a retry after an error does not restart the clock).
            if (this.doneAt === 0) this.doneAt = typeof performance === 'undefined' ? 0 : performance.now();
          }
          this.changed();
        }
      } catch (e) {
        // The request itself failed (the bridge to the main side dropped it), unlike a query the
        // main side refused. The list keeps what it had; new rows or a new query try again.
        if (generation !== this.generation) return;
        this.status = 'error';
        this.error = `Filtering stopped: lost contact with Framescope's main process (${e instanceof Error ? e.message : String(e)}). It retries when new frames arrive or the filter changes.`;
        this.changed();
      } finally {
        if (this.pumping === generation) this.pumping = -1;
      }
    };
    void run();
  }
}
