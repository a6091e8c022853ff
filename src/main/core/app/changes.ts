/**
 * What the workspace announces to its observers. Frames are not announced one
 * by one: observers read them from the capture store by id when they flush.
 */
import type { TailInfo, TailRecord } from '../../../shared/contract';
import type { ConnectionInfo, LogLine, ServerInfo } from '../../../shared/records';

export type WorkspaceChange =
  | { kind: 'connection'; info: ConnectionInfo }
  | { kind: 'server'; info: ServerInfo }
  | { kind: 'log'; line: LogLine }
  | { kind: 'tail'; record: TailRecord }
  | { kind: 'tailInfo'; info: TailInfo }
  | { kind: 'frames'; lastId: number }
  /** The capture's budget or contents changed other than by new frames (a new budget, a clear): observers send fresh stats. */
  | { kind: 'capture' };

export type ChangeListener = (change: WorkspaceChange) => void;

/** A tiny observer list; listeners' errors must not break the emitter's loop. */
export class ChangeHub {
  private readonly listeners = new Set<ChangeListener>();

  on(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: WorkspaceChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        // An observer (a window, a bridge client) failing must not stop capture.
        console.error('framescope: change listener failed', error);
      }
    }
  }
}
