/**
 * The embedded server: one listener, a route table mapping paths to apps, and
 * a capture pipeline on every accepted connection. Binds 127.0.0.1 unless the
 * person explicitly chose another host.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AppName, ConnectionInfo, ServerInfo } from '../../../shared/records';
import { ConnectionCapture } from '../capture/connection-capture';
import type { CaptureStore } from '../capture/capture-store';
import { tapServerUpgrade, tapTimeToEpochMs } from '../capture/tap';
import type { AppConnection, AppContext, RouteApp } from './app';
import { createEchoApp } from './apps/echo';

export interface EmbeddedServerConfig {
  host: string;
  port: number;
  routes: Array<{ path: string; app: AppName }>;
}

export interface EmbeddedServerDeps {
  store: CaptureStore;
  publishServer(info: ServerInfo): void;
  publishConnection(info: ConnectionInfo): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

interface MountedRoute {
  path: string;
  app: AppName;
  instance: RouteApp;
  connections: Set<ServerConnection>;
}

interface ServerConnection extends AppConnection {
  info: ConnectionInfo;
  ws: WebSocket;
}

export class EmbeddedServer {
  private info: ServerInfo;
  private http: Server | null = null;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly routes: MountedRoute[];
  private connectionCount = 0;

  constructor(
    readonly id: string,
    private readonly config: EmbeddedServerConfig,
    private readonly deps: EmbeddedServerDeps,
  ) {
    this.info = { id, host: config.host, port: config.port, url: '', routes: config.routes, state: 'stopped' };
    this.routes = config.routes.map((route) => {
      const mounted: MountedRoute = { ...route, instance: undefined as unknown as RouteApp, connections: new Set() };
      const context: AppContext = {
        connectionsOnRoute: () => mounted.connections,
        log: (level, message) => deps.log(level, `${route.path} (${route.app}): ${message}`),
      };
      mounted.instance = createApp(route.app, context);
      return mounted;
    });
  }

  get state(): ServerInfo {
    return this.info;
  }

  async start(): Promise<ServerInfo> {
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'Upgrade' });
      res.end('This is a Framescope WebSocket server: connect with a WebSocket client.\n');
    });
    http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http = http;
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(this.config.port, this.config.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      const reason =
        err.code === 'EADDRINUSE'
          ? `port ${this.config.port} on ${this.config.host} is already in use`
          : err.code === 'EACCES'
            ? `not allowed to listen on port ${this.config.port} (ports below 1024 need privileges)`
            : err.code === 'EADDRNOTAVAIL'
              ? `${this.config.host} is not an address of this machine`
              : err.message;
      this.publish({ state: 'failed', error: reason });
      throw new Error(`Cannot start the server: ${reason}`, { cause: error });
    }
    const port = (http.address() as AddressInfo).port;
    const urlHost = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    this.deps.log('info', `server ${this.id} listening on ws://${urlHost}:${port}`);
    return this.publish({ state: 'listening', port, url: `ws://${urlHost}:${port}` });
  }

  async stop(): Promise<ServerInfo> {
    for (const route of this.routes) {
      for (const conn of route.connections) conn.ws.close(1001, 'server stopping');
      route.instance.dispose?.();
    }
    const http = this.http;
    if (http) {
      setTimeout(() => http.closeAllConnections(), 1000).unref();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    this.deps.log('info', `server ${this.id} stopped`);
    return this.publish({ state: 'stopped' });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://placeholder').pathname;
    const route = this.routes.find((r) => r.path === path);
    if (!route) {
      this.deps.log('warn', `refused upgrade to ${path}: no route`);
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nNo WebSocket route at ${path}\n`);
      return;
    }
    const connectionId = `${this.id}-c${++this.connectionCount}`;
    const capture = new ConnectionCapture(this.deps.store, connectionId, 'server');
    tapServerUpgrade(req, socket, head, (direction, bytes, ts) => capture.push(direction, bytes, tapTimeToEpochMs(ts)));
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, req, route, connectionId, capture));
  }

  private onOpen(ws: WebSocket, req: IncomingMessage, route: MountedRoute, id: string, capture: ConnectionCapture): void {
    const remoteAddress = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    let lastMessageAt = Date.now();
    const conn: ServerConnection = {
      id,
      path: route.path,
      remoteAddress,
      ws,
      info: { id, role: 'server', url: route.path, serverId: this.id, remoteAddress, state: 'open', openedAt: Date.now() },
      get lastMessageAt() {
        return lastMessageAt;
      },
      send: (data, options) => ws.send(data, { binary: options?.binary ?? typeof data !== 'string' }),
      close: (code, reason) => ws.close(code, reason),
    };
    route.connections.add(conn);
    this.deps.publishConnection(conn.info);
    if (route.instance.onOpen?.(conn) === false) ws.close(1008, 'refused by the app');
    ws.on('message', (data: RawData, isBinary: boolean) => {
      lastMessageAt = Date.now();
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (route.instance.onMessage?.(conn, bytes, isBinary) === false) ws.close(1008, 'ended by the app');
    });
    ws.on('close', (code, reason) => {
      capture.end(Date.now());
      route.connections.delete(conn);
      route.instance.onClose?.(conn, code, reason.toString());
      conn.info = { ...conn.info, state: 'closed', closedAt: Date.now(), closeCode: code, closeReason: reason.toString() };
      this.deps.publishConnection(conn.info);
    });
    ws.on('error', (error) => this.deps.log('warn', `${id}: ${error.message}`));
  }

  private publish(change: Partial<ServerInfo>): ServerInfo {
    this.info = { ...this.info, ...change };
    this.deps.publishServer(this.info);
    return this.info;
  }
}

function createApp(app: AppName, context: AppContext): RouteApp {
  switch (app) {
    case 'echo':
      return createEchoApp(context, {});
    default:
      throw new Error(`app '${app}' is not available yet`);
  }
}
