/**
 * The workspace: everything a Framescope window works with — the capture
 * store, embedded servers, client sessions — and the command handlers both
 * hosts bind to. Plain Node; its outputs go to injected listeners.
 */
import type { CommandHandlers, CommandRequest } from '../../../shared/contract';
import type { ConnectionInfo, LogLine, ServerInfo } from '../../../shared/records';
import { fail, ok, type Result } from '../../../shared/result';
import { CaptureStore, DEFAULT_CAPTURE_BUDGET_BYTES } from '../capture/capture-store';
import { ClientSession } from '../client/client-session';
import { EmbeddedServer } from '../server/embedded-server';
import { ChangeHub, type ChangeListener } from './changes';
import { frameDetail } from './frame-detail';
import { validateConnectRequest, validateStartServerRequest } from './request-validation';

export interface WorkspaceOptions {
  dataDir: string;
  captureBudgetBytes?: number;
}

export class Workspace {
  readonly store: CaptureStore;
  readonly handlers: CommandHandlers;
  private readonly hub = new ChangeHub();
  private readonly servers = new Map<string, EmbeddedServer>();
  private readonly clients = new Map<string, ClientSession>();
  private readonly serverConnections = new Map<string, ConnectionInfo>();
  private serverCount = 0;
  private clientCount = 0;

  constructor(readonly options: WorkspaceOptions) {
    this.store = new CaptureStore(options.captureBudgetBytes ?? DEFAULT_CAPTURE_BUDGET_BYTES);
    this.store.onAppend((lastId) => this.hub.emit({ kind: 'frames', lastId }));
    this.handlers = {
      startServer: (request) => this.startServer(request),
      stopServer: async ({ serverId }) => {
        const server = this.servers.get(serverId);
        if (!server) return fail(`no server '${serverId}'`);
        return ok(await server.stop());
      },
      connect: (request) => this.connect(request),
      sendText: async ({ connectionId, text }) => {
        const client = this.clients.get(connectionId);
        if (!client) return fail(`no client connection '${connectionId}'`);
        if (typeof text !== 'string') return fail('text must be a string');
        try {
          return ok({ bytes: client.sendText(text) });
        } catch (error) {
          return fail((error as Error).message);
        }
      },
      closeConnection: async ({ connectionId, code, reason }) => {
        const client = this.clients.get(connectionId);
        if (!client) return fail(`no client connection '${connectionId}'`);
        return ok(client.close(code, reason));
      },
      getFrame: async ({ id }) => {
        const row = this.store.get(id);
        if (!row) {
          return fail(id < this.store.firstId ? `frame #${id} was evicted to stay within the capture budget` : `no frame #${id}`);
        }
        return ok(frameDetail(row));
      },
      getSnapshot: async () =>
        ok({
          servers: [...this.servers.values()].map((s) => s.state),
          connections: [...[...this.clients.values()].map((c) => c.state), ...this.serverConnections.values()],
          capture: this.store.stats(),
        }),
      clearCapture: async () => ok({ cleared: this.store.clear() }),
    };
  }

  onChange(listener: ChangeListener): () => void {
    return this.hub.on(listener);
  }

  log(level: LogLine['level'], source: string, message: string): void {
    this.hub.emit({ kind: 'log', line: { time: Date.now(), level, source, message } });
  }

  async dispose(): Promise<void> {
    for (const client of this.clients.values()) client.close(1001, 'Framescope is closing');
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }

  private async startServer(input: CommandRequest<'startServer'>): Promise<Result<ServerInfo>> {
    const request = validateStartServerRequest(input);
    if (!request.ok) return request;
    const id = `s${++this.serverCount}`;
    const server = new EmbeddedServer(id, request.value, {
      store: this.store,
      publishServer: (info) => this.hub.emit({ kind: 'server', info }),
      publishConnection: (info) => {
        this.serverConnections.set(info.id, info);
        this.hub.emit({ kind: 'connection', info });
      },
      log: (level, message) => this.log(level, `server ${id}`, message),
    });
    this.servers.set(id, server);
    try {
      return ok(await server.start());
    } catch (error) {
      return fail((error as Error).message);
    }
  }

  private async connect(input: CommandRequest<'connect'>): Promise<Result<ConnectionInfo>> {
    const request = validateConnectRequest(input);
    if (!request.ok) return request;
    const id = `c${++this.clientCount}`;
    const session = new ClientSession(id, request.value, {
      store: this.store,
      publish: (info) => this.hub.emit({ kind: 'connection', info }),
    });
    this.clients.set(id, session);
    const info = await session.connect();
    this.log(info.state === 'failed' ? 'warn' : 'info', `client ${id}`, info.error ?? `connected to ${info.url}`);
    return ok(info);
  }
}
