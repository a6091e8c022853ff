/**
 * Turns the workspace's stream of changes into at most one EventBatch per
 * interval for one consumer (an Electron window or a browser-host client).
 * Frames are read from the capture store in packed columns at flush time, so
 * the cost per frame on the hot path is one comparison, not one message.
 */
import type { CaptureStats, EventBatch, TailInfo, TailRecord } from '../../../shared/contract';
import type { ConnectionInfo, LogLine, ServerInfo } from '../../../shared/records';
import type { WorkspaceChange } from '../app/changes';
import type { CaptureStore } from './capture-store';

/**
 * 50 ms, not one batch per 60 Hz frame: at 50 000 frames/s the page's thread
 * spends less on fewer, larger batches and has more time left to paint, so
 * rows reach the screen sooner. In bench:inspector's live phase, 33 ms gave a
 * capture-to-visible p99 of 60–189 ms over nine runs, 50 ms gave 54–102 ms
 * over nine, and 16 ms gave 137 and 590 ms.
 */
export const DEFAULT_BATCH_INTERVAL_MS = 50;
/** Rows per batch: a batch is one message the renderer parses in one task, so it must stay small. */
export const DEFAULT_MAX_ROWS_PER_BATCH = 20_000;
/**
 * Rows a consumer may fall behind before the batcher skips ahead to the
 * newest ones (a window opened on a big capture, or one that cannot keep
 * up). Skipped rows stay in the store; the renderer fetches them when
 * scrolled to (getRows) and counts them, so nothing is lost silently.
 */
export const DEFAULT_MAX_BACKLOG_ROWS = 100_000;

export interface BatcherTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: BatcherTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface EventBatcherOptions {
  intervalMs?: number;
  maxRowsPerBatch?: number;
  maxBacklogRows?: number;
  /**
   * False while the consumer is still busy with earlier batches (the browser
   * host's socket has a backlog): frames wait, and past maxBacklogRows are skipped.
   */
  canSend?: () => boolean;
  timers?: BatcherTimers;
}

export class EventBatcher {
  private readonly intervalMs: number;
  private readonly maxRows: number;
  private readonly maxBacklog: number;
  private readonly canSend: () => boolean;
  /** Rows skipped for this consumer so far. */
  private skipped = 0;
  private readonly timers: BatcherTimers;
  private timer: unknown = null;
  private seq = 0;
  private nextFrameId: number;
  private readonly connections = new Map<string, ConnectionInfo>();
  private readonly servers = new Map<string, ServerInfo>();
  private logs: LogLine[] = [];
  private tail: TailRecord[] = [];
  private readonly tails = new Map<string, TailInfo>();
  private lastStats: CaptureStats | null = null;
  private closed = false;

  constructor(
    private readonly store: CaptureStore,
    private readonly send: (batch: EventBatch) => void,
    options: EventBatcherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_BATCH_INTERVAL_MS;
    this.maxRows = options.maxRowsPerBatch ?? DEFAULT_MAX_ROWS_PER_BATCH;
    this.maxBacklog = Math.max(options.maxBacklogRows ?? DEFAULT_MAX_BACKLOG_ROWS, this.maxRows);
    this.canSend = options.canSend ?? (() => true);
    this.timers = options.timers ?? realTimers;
    // A new consumer first receives what is still held, in bounded batches (the newest
    // maxBacklogRows of it: older rows are skipped, see flush).
    this.nextFrameId = store.firstId;
    if (store.nextId > store.firstId) this.schedule();
  }

  /** Feed one workspace change; cheap, never sends synchronously. */
  accept = (change: WorkspaceChange): void => {
    switch (change.kind) {
      case 'connection':
        this.connections.set(change.info.id, change.info);
        break;
      case 'server':
        this.servers.set(change.info.id, change.info);
        break;
      case 'log':
        this.logs.push(change.line);
        break;
      case 'tail':
        this.tail.push(change.record);
        break;
      case 'tailInfo':
        this.tails.set(change.info.id, change.info);
        break;
      case 'frames':
      case 'capture':
        break;
    }
    this.schedule();
  };

  /** Send whatever is pending now (also used on close so nothing is lost). */
  flush(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.closed) return;
    if (!this.canSend()) {
      // The consumer is behind: send nothing now, try again next interval.
      this.skipAhead();
      this.schedule();
      return;
    }
    this.skipAhead();
    const frames = this.store.pack(this.nextFrameId, this.maxRows);
    if (frames) this.nextFrameId = frames.firstId + frames.count;
    const stats = this.store.stats();
    const statsChanged =
      !this.lastStats ||
      this.lastStats.frames !== stats.frames ||
      this.lastStats.evicted !== stats.evicted ||
      this.lastStats.budgetBytes !== stats.budgetBytes;
    const idle =
      !frames &&
      this.connections.size === 0 &&
      this.servers.size === 0 &&
      this.logs.length === 0 &&
      this.tail.length === 0 &&
      this.tails.size === 0;
    if (idle && !statsChanged) {
      return;
    }
    const batch: EventBatch = {
      seq: ++this.seq,
      frames,
      connections: [...this.connections.values()],
      servers: [...this.servers.values()],
      logs: this.logs,
      tail: this.tail,
      tails: [...this.tails.values()],
      capture: stats,
    };
    if (this.skipped > 0) batch.skipped = this.skipped;
    this.connections.clear();
    this.servers.clear();
    this.logs = [];
    this.tail = [];
    this.tails.clear();
    this.lastStats = stats;
    this.send(batch);
    // More rows than one batch may carry: keep draining at the same pace.
    if (this.store.nextId > this.nextFrameId) this.schedule();
  }

  /** Past maxBacklogRows behind, jump to the newest rows and count what was jumped over. */
  private skipAhead(): void {
    const from = Math.max(this.nextFrameId, this.store.firstId);
    if (this.store.nextId - from <= this.maxBacklog) return;
    const to = this.store.nextId - this.maxRows;
    this.skipped += to - from;
    this.nextFrameId = to;
  }

  close(): void {
    this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.intervalMs);
  }
}
