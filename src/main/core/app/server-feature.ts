/**
 * The embedded-server commands: start and stop listeners, list and act on their connections,
 * and their pub/sub subscriptions. Requests come from the renderer, which main does not trust:
 * each is checked and a bad one gets an error naming the field.
 */
import type { CommandHandler, HandshakeView, ServerCommands } from '../../../shared/contract';
import type { ConnectionInfo, ServerInfo } from '../../../shared/records';
import { fail, ok, type Result } from '../../../shared/result';
import { validateServerConfig } from '../server/config';
import type { ServerConnection } from '../server/connection';
import { EmbeddedServer } from '../server/embedded-server';
import { encodeRawFrames, resolveBytes, resolveMessage } from '../server/payload';
import type { Feature, WorkspaceContext } from './context';

export type ServerHandlers = { [K in keyof ServerCommands]: CommandHandler<K> };

/** Closed and refused connections kept in the snapshot, beyond the open ones. */
const ENDED_CONNECTIONS_KEPT = 512;
/** How long close and terminate wait for the connection to be gone before answering. */
const CLOSE_WAIT_MS = 2000;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length < 200;
}

export class ServerFeature implements Feature<ServerHandlers> {
  readonly handlers: ServerHandlers;
  private readonly servers = new Map<string, EmbeddedServer>();
  /** Closed and refused connections, oldest first. */
  private readonly ended = new Map<string, ConnectionInfo>();
  private count = 0;

  constructor(private readonly ctx: WorkspaceContext) {
    this.handlers = {
      startServer: async (input) => {
        const checked = validateServerConfig(input);
        if (!checked.ok) return fail(checked.errors.join('; '));
        const id = `s${++this.count}`;
        const server = new EmbeddedServer(id, checked.value, {
          store: ctx.store,
          publishServer: (info) => ctx.hub.emit({ kind: 'server', info }),
          publishConnection: (info) => this.connectionChanged(info),
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
        const server = this.server(serverId);
        if (!server.ok) return server;
        return ok(await server.value.stop());
      },
      listServerConnections: async ({ serverId }) => {
        const server = this.server(serverId);
        return server.ok ? ok(server.value.connectionViews()) : server;
      },
      serverSend: async ({ connectionId, payload }) => {
        const conn = this.connection(connectionId);
        if (!conn.ok) return conn;
        const message = await resolveMessage(payload, 'payload');
        if (!message.ok) return message;
        return conn.value.sendMessage(message.value.data, message.value.binary);
      },
      serverSendRaw: async ({ connectionId, frames }) => {
        const conn = this.connection(connectionId);
        if (!conn.ok) return conn;
        const bytes = await encodeRawFrames(frames, 'frames');
        if (!bytes.ok) return bytes;
        return conn.value.sendRaw(bytes.value);
      },
      serverPing: async ({ connectionId, payload }) => {
        const conn = this.connection(connectionId);
        if (!conn.ok) return conn;
        const bytes = await resolveBytes(payload ?? { kind: 'text', text: '' }, 'payload');
        if (!bytes.ok) return bytes;
        return conn.value.ping(bytes.value);
      },
      serverClose: async ({ connectionId, code, reason }) => {
        const conn = this.connection(connectionId);
        if (!conn.ok) return conn;
        if (code !== undefined && typeof code !== 'number') return fail(`code: must be a number (got ${JSON.stringify(code)})`);
        if (reason !== undefined && typeof reason !== 'string') return fail('reason: must be a string');
        return conn.value.closeWith(code, reason, CLOSE_WAIT_MS);
      },
      serverTerminate: async ({ connectionId }) => {
        const conn = this.connection(connectionId);
        if (!conn.ok) return conn;
        return conn.value.terminate(CLOSE_WAIT_MS);
      },
      getSubscriptions: async ({ serverId }) => {
        const server = this.server(serverId);
        return server.ok ? ok(server.value.subscriptions()) : server;
      },
      publish: async ({ serverId, route, topic, payload, excludeConnectionId }) => {
        const server = this.server(serverId);
        if (!server.ok) return server;
        if (route !== undefined && typeof route !== 'string') return fail('route: must be a route path');
        if (typeof topic !== 'string') return fail('topic: must be a string');
        if (typeof payload !== 'string') return fail('payload: must be a string (JSON text, or any text)');
        if (excludeConnectionId !== undefined && typeof excludeConnectionId !== 'string') return fail('excludeConnectionId: must be a connection id');
        return server.value.publishMessage(route === '' ? undefined : route, topic, payload, excludeConnectionId || undefined);
      },
    };
  }

  private server(serverId: unknown): Result<EmbeddedServer> {
    if (!isId(serverId)) return fail('serverId: must be a server id such as "s1"');
    const server = this.servers.get(serverId);
    return server ? ok(server) : fail(`serverId: no server '${serverId}'`);
  }

  private connection(connectionId: unknown): Result<ServerConnection> {
    if (!isId(connectionId)) return fail('connectionId: must be a connection id such as "s1-c1"');
    for (const server of this.servers.values()) {
      const conn = server.connection(connectionId);
      if (conn) return ok(conn);
      if (server.knows(connectionId)) return fail(`connectionId: connection '${connectionId}' is closed`);
    }
    return fail(`connectionId: no server connection '${connectionId}'`);
  }

  private connectionChanged(info: ConnectionInfo): void {
    // Open connections are listed from their servers when asked; only ended ones are kept here,
    // a bounded number, so a flood of refusals or short connections cannot grow the snapshot.
    if (info.state === 'closed' || info.state === 'failed') {
      if (!this.ended.has(info.id) && this.ended.size >= ENDED_CONNECTIONS_KEPT) {
        const oldest = this.ended.keys().next().value;
        if (oldest !== undefined) this.ended.delete(oldest);
      }
      this.ended.set(info.id, info);
    }
    this.ctx.hub.emit({ kind: 'connection', info });
  }

  serverStates(): ServerInfo[] {
    return [...this.servers.values()].map((s) => s.state);
  }

  connectionStates(): ConnectionInfo[] {
    const open = [...this.servers.values()].flatMap((s) => s.connectionInfos());
    return [...open, ...this.ended.values()];
  }

  /** The handshake of a server-side connection (accepted or refused), for getHandshake. */
  handshakeOf(connectionId: string): HandshakeView | undefined {
    for (const server of this.servers.values()) {
      const view = server.handshakeOf(connectionId);
      if (view) return view;
    }
    return undefined;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }
}
