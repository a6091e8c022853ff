/**
 * Log lines (tails and Framescope's own log) placed among the frame rows on
 * one timeline: a line sits just before the first frame captured after it.
 * That frame's id (its anchor) comes from the main side (`locateTimes`, a
 * binary search over the capture's time column), because this window may not
 * hold the rows around the line's time.
 *
 * Positions are never stored: the merged list is the frame list with lines
 * slotted in, and index m of it is found with two binary searches (over the
 * lines, and over the frame list) whenever a screenful is drawn.
 */
import type { FramescopeApi, TailRecord } from '../../../shared/contract';
import type { LogLine } from '../../../shared/records';

export interface TimelineLine {
  time: number;
  /** 'framescope' or the tail's id. */
  source: string;
  kind: string;
  text: string;
  /** First frame id captured after the line; NaN until the main side answered. */
  anchor: number;
}

/** What the merged list needs of the frame list. */
export interface FrameList {
  readonly length: number;
  lowerBound(id: number): number;
}

export type TimelineItem = { kind: 'frame'; index: number } | { kind: 'log'; line: TimelineLine };

type LocateApi = Pick<FramescopeApi, 'locateTimes'>;

export class LogTimeline {
  /** Lines with a known anchor, by time (anchors then only grow). */
  lines: TimelineLine[] = [];
  private pending: TimelineLine[] = [];
  private lastLog: LogLine | undefined;
  private readonly seenTail = new Map<string, TailRecord | undefined>();
  private busy = false;
  private filter: ((text: string) => boolean) | null = null;
  private filtered: TimelineLine[] | null = null;
  version = 0;

  constructor(
    private readonly api: LocateApi,
    private readonly onChange: () => void,
  ) {}

  /** Takes in lines added since the last call (the arrays grow in place, or are trimmed at the front). */
  update(logs: readonly LogLine[], tails: ReadonlyMap<string, readonly TailRecord[]>): void {
    const fresh: TimelineLine[] = [];
    // The own log is capped by dropping its oldest lines; find where the new ones start.
    let from = 0;
    if (this.lastLog !== undefined) {
      const at = logs.lastIndexOf(this.lastLog);
      from = at >= 0 ? at + 1 : 0;
    }
    for (let i = from; i < logs.length; i++) {
      const l = logs[i];
      fresh.push({ time: l.time, source: 'framescope', kind: l.level, text: `[${l.source}] ${l.message}`, anchor: NaN });
    }
    this.lastLog = logs[logs.length - 1];
    for (const [tailId, records] of tails) {
      const last = this.seenTail.get(tailId);
      const at = last === undefined ? -1 : records.lastIndexOf(last);
      for (let i = at + 1; i < records.length; i++) {
        const r = records[i];
        fresh.push({ time: r.time, source: tailId, kind: r.kind, text: r.text, anchor: NaN });
      }
      this.seenTail.set(tailId, records[records.length - 1]);
    }
    if (fresh.length === 0) return;
    this.pending.push(...fresh);
    void this.locate();
  }

  /** Only lines whose text passes (the frame filter's text criterion applies to lines too). */
  setFilter(test: ((text: string) => boolean) | null): void {
    this.filter = test;
    this.filtered = null;
    this.version++;
  }

  get visible(): TimelineLine[] {
    if (this.filter === null) return this.lines;
    if (this.filtered === null) this.filtered = this.lines.filter((l) => this.filter!(l.text));
    return this.filtered;
  }

  private async locate(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, 50_000);
        const result = await this.api.locateTimes({ times: batch.map((l) => l.time) });
        if (!result.ok) {
          this.pending.unshift(...batch);
          return;
        }
        batch.forEach((l, i) => (l.anchor = result.value.ids[i]));
        this.lines = mergeByTime(this.lines, batch.sort((a, b) => a.time - b.time || a.anchor - b.anchor));
        this.filtered = null;
        this.version++;
        this.onChange();
      }
    } finally {
      this.busy = false;
    }
  }
}

function mergeByTime(a: TimelineLine[], b: TimelineLine[]): TimelineLine[] {
  if (a.length === 0) return b;
  if (b[0].time >= a[a.length - 1].time) return a.concat(b);
  const out: TimelineLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].time <= b[j].time)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}

/** Where line j lands in the merged list: before the first listed frame at or after its anchor. */
function linePosition(frames: FrameList, lines: readonly TimelineLine[], j: number): number {
  return frames.lowerBound(lines[j].anchor) + j;
}

/** Item m of the merged list. */
export function mergedAt(frames: FrameList, lines: readonly TimelineLine[], m: number): TimelineItem {
  // Lines before m: the count of j with position(j) < m (positions strictly increase with j).
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (linePosition(frames, lines, mid) < m) lo = mid + 1;
    else hi = mid;
  }
  if (lo < lines.length && linePosition(frames, lines, lo) === m) return { kind: 'log', line: lines[lo] };
  return { kind: 'frame', index: m - lo };
}

/** The merged index of a frame list index (to scroll to a selected frame). */
export function mergedIndexOfFrame(frames: FrameList, lines: readonly TimelineLine[], index: number): number {
  // Lines placed at or before this frame: position(j) - j <= index.
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (frames.lowerBound(lines[mid].anchor) <= index) lo = mid + 1;
    else hi = mid;
  }
  return index + lo;
}
