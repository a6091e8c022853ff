/** What every feature of the workspace shares: the capture store, the change hub, the log. */
import type { LogLine } from '../../../shared/records';
import type { CaptureStore } from '../capture/capture-store';
import type { ChangeHub } from './changes';

export interface WorkspaceContext {
  readonly store: CaptureStore;
  readonly hub: ChangeHub;
  readonly dataDir: string;
  /** The built scan worker (Electron bundle); absent: the TypeScript source through tsx (see parallel-scan.ts). */
  readonly scanWorkerUrl?: URL;
  log(level: LogLine['level'], source: string, message: string): void;
}

/** One feature's slice of the command handlers, plus its snapshot and teardown. */
export interface Feature<Handlers> {
  readonly handlers: Handlers;
  dispose(): Promise<void>;
}
