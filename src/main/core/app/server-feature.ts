/** The embedded-server commands: start and stop listeners, and track their connections. */
import type { CommandHandler, ServerCommands } from '../../../shared/contract';
import type { ConnectionInfo, ServerInfo } from '../../../shared/records';
import { fail, ok } from '../../../shared/result';
import { EmbeddedServer } from '../server/embedded-server';
import type { Feature, WorkspaceContext } from './context';
import { validateStartServerRequest } from './request-validation';

export type ServerHandlers = { [K in keyof ServerCommands]: CommandHandler<K> };

export class ServerFeature implements Feature<ServerHandlers> {
  readonly handlers: ServerHandlers;
  private readonly servers = new Map<string, EmbeddedServer>();
  private readonly connections = new Map<string, ConnectionInfo>();
  private count = 0;

  constructor(private readonly ctx: WorkspaceContext) {
    this.handlers = {
      startServer: async (input) => {
        const request = validateStartServerRequest(input);
        if (!request.ok) return request;
        const id = `s${++this.count}`;
        const server = new EmbeddedServer(id, request.value, {
          store: ctx.store,
          publishServer: (info) => ctx.hub.emit({ kind: 'server', info }),
          publishConnection: (info) => {
            this.connections.set(info.id, info);
            ctx.hub.emit({ kind: 'connection', info });
          },
          log: (level, message) => ctx.log(level, `server ${id}`, message),
        });
        this.servers.set(id, server);
        try {
          return ok(await server.start());
        } catch (error) {
          return fail((error as Error).message);
        }
      },
      stopServer: async ({ serverId }) => {
        const server = this.servers.get(serverId);
        if (!server) return fail(`no server '${serverId}'`);
        return ok(await server.stop());
      },
    };
  }

  serverStates(): ServerInfo[] {
    return [...this.servers.values()].map((s) => s.state);
  }

  connectionStates(): ConnectionInfo[] {
    return [...this.connections.values()];
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }
}
