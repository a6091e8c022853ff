/**
 * The workspace: everything a Framescope window works with — the capture
 * store, embedded servers, client sessions — and the command handlers both
 * hosts bind to. Plain Node; its outputs go to injected listeners. Each
 * feature owns its handlers in its own module; this file only composes them.
 */
import type { CommandHandlers } from '../../../shared/contract';
import type { LogLine } from '../../../shared/records';
import { CaptureStore, DEFAULT_CAPTURE_BUDGET_BYTES } from '../capture/capture-store';
import { CaptureFeature, type FilterWorkerStatus } from './capture-feature';
import { ChangeHub, type ChangeListener } from './changes';
import { ClientFeature } from './client-feature';
import type { WorkspaceContext } from './context';
import { ServerFeature } from './server-feature';
import { TailFeature } from './tail-feature';

export interface WorkspaceOptions {
  dataDir: string;
  captureBudgetBytes?: number;
  /** Where the filter's scan worker is built (the Electron bundle passes it; see parallel-scan.ts). */
  scanWorkerUrl?: URL;
}

export class Workspace {
  readonly store: CaptureStore;
  readonly handlers: CommandHandlers;
  private readonly hub = new ChangeHub();
  private readonly server: ServerFeature;
  private readonly client: ClientFeature;
  private readonly capture: CaptureFeature;
  private readonly tail: TailFeature;

  constructor(readonly options: WorkspaceOptions) {
    this.store = new CaptureStore(options.captureBudgetBytes ?? DEFAULT_CAPTURE_BUDGET_BYTES);
    this.store.onAppend((lastId) => this.hub.emit({ kind: 'frames', lastId }));
    const ctx: WorkspaceContext = {
      store: this.store,
      hub: this.hub,
      dataDir: options.dataDir,
      scanWorkerUrl: options.scanWorkerUrl,
      log: (level, source, message) => this.log(level, source, message),
    };
    this.server = new ServerFeature(ctx);
    this.tail = new TailFeature(ctx);
    this.client = new ClientFeature(ctx);
    this.capture = new CaptureFeature(ctx, () => ({
      servers: this.server.serverStates(),
      connections: [...this.client.connectionStates(), ...this.server.connectionStates()],
      tails: this.tail.infos(),
    }), (connectionId) => this.client.handshakeOf(connectionId) ?? this.server.handshakeOf(connectionId));
    this.handlers = { ...this.server.handlers, ...this.client.handlers, ...this.capture.handlers, ...this.tail.handlers };
  }

  onChange(listener: ChangeListener): () => void {
    return this.hub.on(listener);
  }

  log(level: LogLine['level'], source: string, message: string): void {
    this.hub.emit({ kind: 'log', line: { time: Date.now(), level, source, message } });
  }

  /** How far the filter's scan worker has copied the capture, or why there is none (see parallel-scan.ts). */
  get filterWorker(): FilterWorkerStatus {
    return this.capture.filterWorker;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.client.dispose(), this.server.dispose(), this.capture.dispose(), this.tail.dispose()]);
  }
}
