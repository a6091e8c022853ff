/**
 * The renderer's state: what main told it in event batches, plus what the
 * person selected. One external store read through useSyncExternalStore; a
 * batch bumps the version once, however many rows it carried.
 */
import { useSyncExternalStore } from 'react';
import type { CaptureStats, EventBatch, FramescopeApi, TailInfo, TailRecord } from '../../../shared/contract';
import type { ConnectionInfo, LogLine, ServerInfo } from '../../../shared/records';
import { FrameRows } from './frame-rows';

const MAX_LOG_LINES = 5000;
/** Lines kept per tail in the window; older ones scroll away (the file still has them). */
export const MAX_TAIL_LINES = 50_000;

export class AppStore {
  readonly rows = new FrameRows();
  servers = new Map<string, ServerInfo>();
  connections = new Map<string, ConnectionInfo>();
  logs: LogLine[] = [];
  tails = new Map<string, TailInfo>();
  tailLines = new Map<string, TailRecord[]>();
  capture: CaptureStats = { frames: 0, evicted: 0, bytes: 0, budgetBytes: 0 };
  /** What the main area shows: a connection (client or server side), or a server. */
  view: { kind: 'connection' | 'server' | 'logs' | 'frames'; id: string } | null = null;
  version = 0;
  /** True once main's snapshot has arrived; before that the lists are empty, not known-empty. */
  loaded = false;
  private readonly listeners = new Set<() => void>();
  /**
   * Frames and capture stats change with nearly every batch (20 a second on a
   * busy stream); only the frame views and the stats badge need to know, so
   * they have their own channel and the rest of the app is not re-rendered.
   */
  framesVersion = 0;
  private readonly frameListeners = new Set<() => void>();

  constructor(private readonly api: FramescopeApi) {}

  start(): () => void {
    const unsubscribe = this.api.onEvents((batch) => this.apply(batch));
    void this.api.getSnapshot({}).then((result) => {
      if (!result.ok) return;
      for (const server of result.value.servers) this.servers.set(server.id, server);
      for (const connection of result.value.connections) this.connections.set(connection.id, connection);
      for (const tail of result.value.tails) this.tails.set(tail.id, tail);
      this.capture = result.value.capture;
      this.loaded = true;
      this.changed();
    });
    return unsubscribe;
  }

  apply(batch: EventBatch): void {
    // The main side's oldest row id: a gap in the stream above it is counted as skipped.
    if (batch.frames) this.rows.append(batch.frames, batch.capture.firstId ?? 0);
    for (const server of batch.servers) this.servers.set(server.id, server);
    for (const connection of batch.connections) {
      const isNew = !this.connections.has(connection.id);
      this.connections.set(connection.id, connection);
      // Follow the newest client connection the person opened.
      if (isNew && connection.role === 'client') this.view = { kind: 'connection', id: connection.id };
    }
    if (batch.logs.length) this.logs = [...this.logs, ...batch.logs].slice(-MAX_LOG_LINES);
    for (const tail of batch.tails ?? []) this.tails.set(tail.id, tail);
    for (const record of batch.tail ?? []) {
      let lines = this.tailLines.get(record.tailId);
      if (!lines) this.tailLines.set(record.tailId, (lines = []));
      lines.push(record);
      if (lines.length > MAX_TAIL_LINES * 1.2) lines.splice(0, lines.length - MAX_TAIL_LINES);
    }
    this.capture = batch.capture;
    const onlyFrames =
      batch.connections.length === 0 &&
      batch.servers.length === 0 &&
      batch.logs.length === 0 &&
      (batch.tail?.length ?? 0) === 0 &&
      (batch.tails?.length ?? 0) === 0;
    if (onlyFrames) this.framesChanged();
    else this.changed();
  }

  show(view: AppStore['view']): void {
    this.view = view;
    this.changed();
  }

  get selectedConnectionId(): string | null {
    return this.view?.kind === 'connection' ? this.view.id : null;
  }

  clearRows(): void {
    this.rows.clear();
    this.changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Frames or capture stats changed (a change of anything else notifies these listeners too). */
  subscribeFrames = (listener: () => void): (() => void) => {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  };

  private framesChanged(): void {
    this.framesVersion++;
    for (const listener of this.frameListeners) listener();
  }

  private changed(): void {
    this.framesChanged();
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

/** Re-render when frames or capture stats change (and on any other change). */
export function useFramesVersion(store: AppStore): number {
  return useSyncExternalStore(store.subscribeFrames, () => store.framesVersion);
}

/** Re-render when the store changes; returns the version for memo keys. */
export function useStoreVersion(store: AppStore): number {
  return useSyncExternalStore(store.subscribe, () => store.version);
}
