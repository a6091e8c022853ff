/** The client workbench commands: connect, send, close. */
import type { ClientCommands, CommandHandler } from '../../../shared/contract';
import type { ConnectionInfo } from '../../../shared/records';
import { fail, ok } from '../../../shared/result';
import { ClientSession } from '../client/client-session';
import type { Feature, WorkspaceContext } from './context';
import { validateConnectRequest } from './request-validation';

export type ClientHandlers = { [K in keyof ClientCommands]: CommandHandler<K> };

export class ClientFeature implements Feature<ClientHandlers> {
  readonly handlers: ClientHandlers;
  private readonly sessions = new Map<string, ClientSession>();
  private count = 0;

  constructor(private readonly ctx: WorkspaceContext) {
    this.handlers = {
      connect: async (input) => {
        const request = validateConnectRequest(input);
        if (!request.ok) return request;
        const id = `c${++this.count}`;
        const session = new ClientSession(id, request.value, {
          store: ctx.store,
          publish: (info) => ctx.hub.emit({ kind: 'connection', info }),
        });
        this.sessions.set(id, session);
        const info = await session.connect();
        ctx.log(info.state === 'failed' ? 'warn' : 'info', `client ${id}`, info.error ?? `connected to ${info.url}`);
        return ok(info);
      },
      sendText: async ({ connectionId, text }) => {
        const session = this.sessions.get(connectionId);
        if (!session) return fail(`no client connection '${connectionId}'`);
        if (typeof text !== 'string') return fail('text must be a string');
        try {
          return ok({ bytes: session.sendText(text) });
        } catch (error) {
          return fail((error as Error).message);
        }
      },
      closeConnection: async ({ connectionId, code, reason }) => {
        const session = this.sessions.get(connectionId);
        if (!session) return fail(`no client connection '${connectionId}'`);
        return ok(session.close(code, reason));
      },
    };
  }

  connectionStates(): ConnectionInfo[] {
    return [...this.sessions.values()].map((s) => s.state);
  }

  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) session.close(1001, 'Framescope is closing');
  }
}
