/**
 * The embedded server: one listener (ws or wss), a route table mapping paths to apps, the
 * handshake policy (handshake-policy.ts), and a capture pipeline on every accepted connection
 * (connection.ts). Binds 127.0.0.1 unless the person explicitly chose another host.
 *
 * Every upgrade attempt gets a connection id (RRR: "a unique ID for every HTTP connection"):
 * accepted ones are ServerConnections, refused ones are kept as refusal records (the last
 * MAX_REFUSALS_KEPT), both visible in the console with their handshake and, for refusals,
 * the reason.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ServerOptions, WebSocketServer, type WebSocket } from 'ws';
import type { HandshakeView, ServerConnectionView, SubscriptionsView } from '../../../shared/contract';
import type { ConnectionInfo, ServerInfo } from '../../../shared/records';
import type { CaptureStore } from '../capture/capture-store';
import { reconstructRequestHead } from '../capture/tap';
import {
  type HandshakeAnswer,
  type HandshakeCheck,
  WEBSOCKET_VERSION,
  formatAnswer,
  headersFromRaw,
  parseHttpRequestHead,
} from '../protocol/handshake';
import type { AppContext, AppRequest, RouteApp } from './app';
import { APP_FACTORIES, type AppName } from './apps/index';
import { type ServerConfig, isLoopbackHost } from './config';
import { type ConnectionHost, type MountedRoute, type Outcome, ServerConnection } from './connection';
import { decideUpgrade, refusalAnswer, summarizeRefusal, type UpgradeAttempt } from './handshake-policy';
import { type RefusalRecord, acceptedHandshakeView, refusedHandshakeView } from './handshake-view';
import { type ServerEvent, decodeEventToServerEvent } from './server-events';
import { attachServerTap } from './server-tap';
import { type CertificateSummary, loadTlsMaterial } from './tls-material';

/** Refused handshakes and closed connections kept for the console (a bounded history). */
export const MAX_REFUSALS_KEPT = 256;
export const MAX_CLOSED_KEPT = 256;
/** ws's closing-handshake timeout: how long a client may take to answer our Close frame. */
export const CLOSE_TIMEOUT_MS = 3000;
/** Payload of heartbeat pings, so a person reading the frames knows where they come from. */
const HEARTBEAT_PAYLOAD = new TextEncoder().encode('heartbeat');
const EMPTY = Buffer.alloc(0);

export type { ServerEvent } from './server-events';

export interface EmbeddedServerDeps {
  store: CaptureStore;
  publishServer(info: ServerInfo): void;
  publishConnection(info: ConnectionInfo): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Every event including each frame (headless mode); absent, frames are only captured. */
  onEvent?(event: ServerEvent): void;
}

type UpgradeSocket = Duplex & Partial<Pick<Socket, 'remoteAddress' | 'remotePort'>>;

function remoteOf(socket: UpgradeSocket | undefined): string {
  const address = socket?.remoteAddress ?? '?';
  return `${address.includes(':') ? `[${address}]` : address}:${socket?.remotePort ?? '?'}`;
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class EmbeddedServer {
  private info: ServerInfo;
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  private routes: MountedRoute[] = [];
  private readonly open = new Map<string, ServerConnection>();
  /** Closed connections and refused handshakes, kept apart: a flood of refusals must not push closed connections out. */
  private readonly closedHistory = new Map<string, ServerConnection>();
  private readonly refusalHistory = new Map<string, RefusalRecord>();
  /** Sockets waiting for their upgrade request, with their deadlines, oldest first. */
  private readonly pendingHandshakes = new Map<Duplex, number>();
  private handshakeSweep: NodeJS.Timeout | null = null;
  private readonly selectedProtocol = new WeakMap<IncomingMessage, string | null>();
  private heartbeat: NodeJS.Timeout | null = null;
  private deadPeerCheck: NodeJS.Timeout | null = null;
  private sequence = 0;
  private refusals = 0;
  private stopping: Promise<ServerInfo> | null = null;
  private certificate: CertificateSummary | undefined;
  private readonly host: ConnectionHost;

  constructor(
    readonly id: string,
    readonly config: ServerConfig,
    private readonly deps: EmbeddedServerDeps,
  ) {
    this.info = {
      id,
      host: config.host,
      port: config.port,
      url: '',
      routes: config.routes.map((r) => ({ match: r.match, path: r.path, app: r.app })),
      state: 'stopped',
      tls: config.tls !== null,
      exposed: !isLoopbackHost(config.host),
      connections: 0,
      refusals: 0,
    };
    const onEvent = deps.onEvent;
    this.host = {
      serverId: id,
      store: deps.store,
      maxPayload: config.policy.maxPayload,
      log: (level, message) => this.log(level, message),
      connectionClosed: (conn) => this.connectionClosed(conn),
      decodeListener: onEvent
        ? (conn, event, direction) => {
            const e = decodeEventToServerEvent(conn.id, event, direction);
            if (e) onEvent(e);
          }
        : undefined,
    };
  }

  get state(): ServerInfo {
    return this.info;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Mounts the apps, waits until they are ready, loads TLS material and listens. Throws with a sentence. */
  async start(): Promise<ServerInfo> {
    const { config } = this;
    try {
      this.routes = config.routes.map((route, i) => {
        const mounted = { match: route.match, path: route.path, app: route.app, maxConnections: route.maxConnections, connections: new Set<ServerConnection>() } as Omit<MountedRoute, 'instance'> & { instance: RouteApp };
        const context: AppContext = {
          connectionsOnRoute: () => mounted.connections,
          log: (level, message) => this.log(level, `${route.path} (${route.app}): ${message}`),
        };
        try {
          mounted.instance = (APP_FACTORIES[route.app as AppName] as (c: AppContext, o: unknown) => RouteApp)(context, route.options);
        } catch (e) {
          throw new Error(`routes[${i}]: the ${route.app} app could not start: ${(e as Error).message}`, { cause: e });
        }
        return mounted;
      });
      // onInit decides synchronously, so a script must be loaded (and log files opened) first.
      await Promise.all(this.routes.map((r) => r.instance.ready));
    } catch (e) {
      this.disposeApps();
      return this.failStart((e as Error).message, e);
    }

    let tlsOptions: { key: string | Buffer; cert: string | Buffer; ca?: Buffer } | null = null;
    if (config.tls) {
      const material = await loadTlsMaterial(config.tls);
      if (!material.ok) {
        this.disposeApps();
        return this.failStart(material.error);
      }
      tlsOptions = { key: material.value.key, cert: material.value.cert, ca: material.value.ca };
      this.certificate = material.value.summary;
    }

    const { policy } = config;
    const deflate = policy.deflate;
    const wsOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      maxPayload: policy.maxPayload,
      // ws ≥ 8.19 option, not yet in @types/ws: how long a client may take to answer a Close frame.
      closeTimeout: CLOSE_TIMEOUT_MS,
      handleProtocols: (_offered, req) => this.selectedProtocol.get(req) ?? false,
      // threshold 0: with permessage-deflate on, every message is compressed, so a person sees RSV1 at work.
      perMessageDeflate: deflate ? { ...deflate, threshold: 0 } : false,
    };
    this.wss = new WebSocketServer(wsOptions);
    this.wss.on('wsClientError', (error: Error, socket: Duplex, req: IncomingMessage) => this.wsRefused(error, socket, req));

    // requireHostHeader: false — the Host check is RFC 6455 §4.2.1 item 2 and answered by our policy with its reason.
    const requestListener = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    const http = tlsOptions
      ? createHttpsServer(
          {
            ...tlsOptions,
            requireHostHeader: false,
            requestCert: policy.requireClientCertificate,
            rejectUnauthorized: policy.requireClientCertificate,
            handshakeTimeout: policy.handshakeTimeoutMs,
          },
          requestListener,
        )
      : createServer({ requireHostHeader: false }, requestListener);
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    http.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => this.onClientError(error, socket));
    if (tlsOptions) {
      http.on('secureConnection', (socket: Duplex) => this.armHandshakeTimer(socket));
      http.on('tlsClientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.onTlsError(error, socket));
    } else {
      http.on('connection', (socket: Duplex) => this.armHandshakeTimer(socket));
    }
    this.http = http;

    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      const reason =
        err.code === 'EADDRINUSE'
          ? `port ${config.port} on ${config.host} is already in use`
          : err.code === 'EACCES'
            ? `not allowed to listen on port ${config.port} (ports below 1024 need privileges)`
            : err.code === 'EADDRNOTAVAIL'
              ? `${config.host} is not an address of this machine`
              : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
                ? `the host name ${config.host} does not resolve`
                : err.message;
      this.disposeApps();
      this.http = null;
      return this.failStart(reason, error);
    }
    http.on('error', (error) => this.log('error', `listener error: ${error.message}`));

    const port = (http.address() as AddressInfo).port;
    const dialHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
    const url = `${tlsOptions ? 'wss' : 'ws'}://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`;
    const warning = this.info.exposed
      ? `listening on ${config.host}: other machines can reach this test server${config.policy.credentials ? '' : ', and it asks for no credentials'}`
      : undefined;
    this.startTimers();
    this.log('info', `listening on ${url} (${this.routes.map((r) => `${r.path} → ${r.app}`).join(', ')})`);
    if (warning) this.log('warn', warning);
    const info = this.publish({ state: 'listening', port, url, warning, certificate: this.certificate, error: undefined });
    this.deps.onEvent?.({
      type: 'listening',
      timestamp: Date.now(),
      serverId: this.id,
      url,
      host: config.host,
      port,
      tls: tlsOptions !== null,
      routes: this.info.routes.map((r) => ({ match: r.match ?? 'exact', path: r.path, app: r.app })),
      ...(warning ? { warning } : {}),
    });
    return info;
  }

  private failStart(reason: string, cause?: unknown): never {
    this.publish({ state: 'failed', error: reason });
    this.log('error', `cannot start: ${reason}`);
    throw new Error(`Cannot start the server: ${reason}`, { cause });
  }

  /** Closes every client with 1001 (RFC 6455 §7.4.1 "going away"), then the listener. */
  stop(): Promise<ServerInfo> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<ServerInfo> {
    const http = this.http;
    if (!http) return this.info;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.deadPeerCheck) clearInterval(this.deadPeerCheck);
    if (this.handshakeSweep) clearInterval(this.handshakeSweep);
    this.pendingHandshakes.clear();
    const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
    const closing = [...this.open.values()].map((conn) => conn.closeWith(1001, 'server stopping', CLOSE_TIMEOUT_MS + 500));
    await Promise.all(closing);
    this.disposeApps();
    // Sockets still in a handshake, or kept alive by HTTP, are not waited for.
    http.closeAllConnections();
    await listenerClosed;
    this.log('info', 'stopped');
    this.deps.onEvent?.({ type: 'stopped', timestamp: Date.now(), serverId: this.id });
    return this.publish({ state: 'stopped' });
  }

  private disposeApps(): void {
    for (const route of this.routes) {
      try {
        route.instance?.dispose?.();
      } catch (e) {
        this.log('error', `${route.path} (${route.app}): dispose failed: ${(e as Error).message}`);
      }
    }
  }

  private startTimers(): void {
    const { heartbeatMs, deadPeerTimeoutMs } = this.config.policy;
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => {
        for (const conn of this.open.values()) conn.heartbeat(HEARTBEAT_PAYLOAD);
      }, heartbeatMs);
      this.heartbeat.unref();
    }
    if (deadPeerTimeoutMs > 0) {
      // Checked at a quarter of the timeout: a dead peer is closed within 1.25× the timeout.
      this.deadPeerCheck = setInterval(() => {
        const now = Date.now();
        for (const conn of this.open.values()) {
          const silent = now - conn.lastSeenAt;
          if (silent > deadPeerTimeoutMs) conn.failDeadPeer(silent);
        }
      }, Math.max(5, Math.floor(deadPeerTimeoutMs / 4)));
      this.deadPeerCheck.unref();
    }
  }

  // ---- handshakes ----------------------------------------------------------------------------

  private nextId(): string {
    return `${this.id}-c${++this.sequence}`;
  }

  /**
   * One sweep timer for every socket still in its handshake, rather than a timer per socket:
   * nothing of the timeout stays with a connection once it has upgraded.
   */
  private armHandshakeTimer(socket: Duplex): void {
    const ms = this.config.policy.handshakeTimeoutMs;
    this.pendingHandshakes.set(socket, Date.now() + ms);
    if (this.handshakeSweep) return;
    this.handshakeSweep = setInterval(() => {
      const now = Date.now();
      for (const [pending, deadline] of this.pendingHandshakes) {
        if (pending.destroyed) {
          this.pendingHandshakes.delete(pending);
          continue;
        }
        // Deadlines grow in insertion order: the first one in the future ends the sweep.
        if (deadline > now) break;
        this.pendingHandshakes.delete(pending);
        this.handshakeTimedOut(pending, ms);
      }
      if (this.pendingHandshakes.size === 0 && this.handshakeSweep) {
        clearInterval(this.handshakeSweep);
        this.handshakeSweep = null;
      }
    }, Math.max(20, Math.min(250, Math.floor(ms / 10))));
    this.handshakeSweep.unref();
  }

  private disarmHandshakeTimer(socket: Duplex): void {
    this.pendingHandshakes.delete(socket);
  }

  private handshakeTimedOut(socket: Duplex, ms: number): void {
    if (socket.destroyed) return;
    const check: HandshakeCheck = { id: 'timeout', label: 'Request within the handshake timeout', pass: false, detail: `no complete upgrade request within ${ms} ms`, rule: 'policy.handshakeTimeoutMs; RFC 9110 §15.5.9' };
    this.refuse(socket, refusalAnswer(408, 'Request Timeout', check), check, [check]);
  }

  /** Node could not parse the request as HTTP/1.x: answered here so the reason is recorded. */
  private onClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer; reason?: string }, socket: Duplex): void {
    this.disarmHandshakeTimer(socket);
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    const check: HandshakeCheck = {
      id: 'http',
      label: 'The request is HTTP/1.1',
      pass: false,
      detail: `${error.reason ?? error.message}${error.code ? ` (${error.code})` : ''}`,
      rule: 'RFC 9112 §2-§5; RFC 6455 §4.2.1',
    };
    this.refuse(socket, refusalAnswer(status, reason, check), check, [check], error.rawPacket);
  }

  private onTlsError(error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
    const id = this.nextId();
    const remoteAddress = remoteOf(socket as UpgradeSocket);
    // OpenSSL's message is a long line of internals; its reason part is what a person can act on.
    const detail =
      error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT'
        ? `no TLS handshake within ${this.config.policy.handshakeTimeoutMs} ms`
        : (error.reason ?? error.message.split(':').at(-2) ?? error.message).trim();
    const clientCert = this.config.policy.requireClientCertificate && /certificate|unknown ca|alert/i.test(`${detail} ${error.code ?? ''}`);
    const reason = `TLS handshake failed: ${detail}${clientCert ? ' (a client certificate signed by tls.caFile is required)' : ''}`;
    this.record({ id, time: Date.now(), remoteAddress, response: EMPTY, checks: [{ id: 'tls', label: 'TLS handshake', pass: false, detail: reason, rule: 'RFC 8446; RFC 6455 §4.1 (wss)' }], status: 0, reason });
    socket.destroy();
  }

  /** A plain HTTP request: not an upgrade, or one Node did not recognise as such. */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.disarmHandshakeTimer(req.socket);
    const headers = headersFromRaw(req.rawHeaders);
    const looksLikeWebSocket = headers.some(([n]) => /^(upgrade|sec-websocket-key|sec-websocket-version)$/i.test(n));
    let answer: HandshakeAnswer;
    if (!looksLikeWebSocket) {
      // RFC 9110 §15.5.22: 426 "MUST send an Upgrade header field"; the version says which WebSocket.
      answer = {
        status: 426,
        reason: 'Upgrade Required',
        headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', WEBSOCKET_VERSION]],
        body: `This is a Framescope WebSocket server; connect with a WebSocket client to ${this.routes.map((r) => r.path).join(', ')}.\n`,
      };
      this.log('info', `${req.method} ${req.url} from ${remoteOf(req.socket)}: not a WebSocket request, answered 426`);
      this.writeResponse(res, answer);
      return;
    }
    const decision = decideUpgrade(this.attemptOf(req), this.routes, this.config.policy, this.counts());
    const failed: HandshakeCheck = decision.ok
      ? { id: 'upgrade', label: 'The request is an upgrade', pass: false, detail: 'the request has WebSocket headers but no "Connection: Upgrade" with "Upgrade: websocket"', rule: 'RFC 6455 §4.2.1 items 3-4' }
      : decision.failed;
    answer = decision.ok ? refusalAnswer(400, 'Bad Request', failed) : decision.answer;
    const id = this.nextId();
    const response = Buffer.from(formatAnswer(answer), 'utf8');
    this.writeResponse(res, answer);
    this.record({
      id,
      time: Date.now(),
      remoteAddress: remoteOf(req.socket),
      path: req.url,
      request: reconstructRequestHead(req),
      response,
      checks: decision.ok ? [...decision.checks, failed] : decision.checks,
      status: answer.status,
      reason: summarizeRefusal(answer, failed),
    });
  }

  private writeResponse(res: ServerResponse, answer: HandshakeAnswer): void {
    const flat: string[] = [];
    for (const [n, v] of answer.headers) flat.push(n, v);
    flat.push('Connection', 'close', 'Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(answer.body)));
    res.writeHead(answer.status, answer.reason, flat);
    res.end(answer.body);
  }

  private attemptOf(req: IncomingMessage): UpgradeAttempt {
    return { method: req.method ?? '', target: req.url ?? '', httpVersion: req.httpVersion, headers: headersFromRaw(req.rawHeaders) };
  }

  private counts() {
    return { server: this.open.size, route: (route: MountedRoute) => route.connections.size };
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.disarmHandshakeTimer(socket);
    const receivedAt = performance.now();
    const decision = decideUpgrade(this.attemptOf(req), this.routes, this.config.policy, this.counts());
    if (!decision.ok) {
      this.refuse(socket, decision.answer, decision.failed, decision.checks, reconstructRequestHead(req), req.url);
      return;
    }
    const route = decision.route;
    const id = this.nextId();
    const remoteAddress = remoteOf(socket as UpgradeSocket);

    // ntopng onWsInit: the app may refuse before the 101 is sent.
    let accepted = true;
    let appError: string | undefined;
    try {
      if (route.instance.onInit) {
        const appRequest: AppRequest = { path: decision.path, query: new URLSearchParams(decision.query), headers: lowerCaseHeaders(req), remoteAddress, connectionId: id };
        accepted = route.instance.onInit(appRequest) !== false;
      }
    } catch (e) {
      accepted = false;
      appError = e instanceof Error ? e.message : String(e);
      this.log('error', `${route.path} (${route.app}): onInit failed for ${id}: ${appError}`);
    }
    if (!accepted) {
      const detail = appError ? `onInit threw: ${appError}` : `the ${route.app} app refused the connection (onInit returned false)`;
      const check: HandshakeCheck = { id: 'app', label: "The app's onInit accepts", pass: false, detail, rule: 'ntopng onWsInit' };
      const answer = appError ? refusalAnswer(500, 'Internal Server Error', check) : refusalAnswer(403, 'Forbidden', check);
      this.refuse(socket, answer, check, [...decision.checks, check], reconstructRequestHead(req), req.url, id);
      return;
    }

    // Node's parser read the request head itself, so the tap starts after it: the head is
    // rebuilt from what Node parsed (tap.ts reconstructRequestHead), `head` is reported with it.
    const conn = new ServerConnection(this.host, id, route, decision.path, remoteAddress, socket, reconstructRequestHead(req), head);
    attachServerTap(socket, conn);
    this.selectedProtocol.set(req, decision.subprotocol);
    // ws checks the whole Upgrade value; RFC 6455 §4.2.1 item 3 only asks that it include "websocket",
    // which the policy has checked.
    req.headers.upgrade = 'websocket';
    let ws: WebSocket | null = null;
    // ws unshifts `head` itself; it gets an empty one so that only what the decoder let through is unshifted.
    this.wss!.handleUpgrade(req, socket, EMPTY, (accepted) => {
      ws = accepted;
    });
    if (!ws) {
      // The client went away before the 101 (ws destroys such sockets), or ws refused (wsRefused recorded it).
      conn.capture?.end(Date.now());
      return;
    }
    conn.upgradeMs = Math.round((performance.now() - receivedAt) * 1000) / 1000;
    this.open.set(id, conn);
    conn.opened(ws, head, socket);
    if (conn.state === 'closed') return;
    this.deps.publishConnection(conn.info());
    this.log('info', `accepted ${id} from ${remoteAddress} on ${conn.path} (${route.app})${conn.subprotocol ? `, subprotocol ${conn.subprotocol}` : ''}${conn.extensions ? `, ${conn.extensions}` : ''}`);
    this.deps.onEvent?.({ type: 'open', timestamp: Date.now(), connectionId: id, path: conn.path, remoteAddress, ...(conn.subprotocol ? { subprotocol: conn.subprotocol } : {}), ...(conn.extensions ? { extensions: conn.extensions } : {}) });
    this.publish({ connections: this.open.size });
  }

  /** ws refused what the policy let through (should not happen); answered and recorded like any refusal. */
  private wsRefused(error: Error, socket: Duplex, req: IncomingMessage): void {
    const status = /method/i.test(error.message) ? 405 : 400;
    const check: HandshakeCheck = { id: 'ws', label: 'The ws library accepts the request', pass: false, detail: error.message, rule: 'RFC 6455 §4.2.1' };
    const answer = status === 405 ? refusalAnswer(405, 'Method Not Allowed', check, [['Allow', 'GET']]) : refusalAnswer(400, 'Bad Request', check);
    this.refuse(socket, answer, check, [check], reconstructRequestHead(req), req.url);
  }

  private refuse(socket: Duplex, answer: HandshakeAnswer, failed: HandshakeCheck, checks: HandshakeCheck[], request?: Uint8Array, path?: string, id = this.nextId()): void {
    const response = Buffer.from(formatAnswer(answer), 'utf8');
    const remoteAddress = remoteOf(socket as UpgradeSocket);
    if (socket.writable) {
      socket.once('finish', () => socket.destroy());
      socket.end(response);
    } else {
      socket.destroy();
    }
    this.record({ id, time: Date.now(), remoteAddress, path, request, response, checks, status: answer.status, reason: summarizeRefusal(answer, failed) });
  }

  private record(refusal: RefusalRecord): void {
    this.refusals++;
    remember(this.refusalHistory, refusal.id, refusal, MAX_REFUSALS_KEPT);
    this.log('warn', `refused ${refusal.id} from ${refusal.remoteAddress}${refusal.path ? ` for ${refusal.path}` : ''}: ${refusal.reason}`);
    this.deps.publishConnection({
      id: refusal.id,
      role: 'server',
      url: refusal.path ?? '',
      serverId: this.id,
      remoteAddress: refusal.remoteAddress,
      state: 'failed',
      openedAt: refusal.time,
      closedAt: refusal.time,
      error: refusal.reason,
    });
    const head = refusal.request ? parseHttpRequestHead(refusal.request) : null;
    this.deps.onEvent?.({
      type: 'refused',
      timestamp: refusal.time,
      connectionId: refusal.id,
      status: refusal.status,
      reason: refusal.reason,
      remoteAddress: refusal.remoteAddress,
      ...(head?.ok ? { method: head.value.method, target: head.value.target } : {}),
    });
    this.publish({ refusals: this.refusals });
  }

  private connectionClosed(conn: ServerConnection): void {
    this.open.delete(conn.id);
    remember(this.closedHistory, conn.id, conn, MAX_CLOSED_KEPT);
    const info = conn.info();
    this.deps.publishConnection(info);
    this.log(info.error ? 'warn' : 'info', `${conn.id} closed with ${info.closeCode ?? 'no code'}${info.closeReason ? ` (${info.closeReason})` : ''}${info.error ? `: ${info.error}` : ''}`);
    this.deps.onEvent?.({ type: 'close', timestamp: Date.now(), connectionId: conn.id, code: info.closeCode, reason: info.closeReason, ...(info.error ? { error: info.error } : {}) });
    this.publish({ connections: this.open.size });
  }

  // ---- the console's view and actions ----------------------------------------------------------

  connection(id: string): ServerConnection | undefined {
    return this.open.get(id);
  }

  /** Whether this server ever had a connection or refusal with this id (open, or kept in history). */
  knows(id: string): boolean {
    return this.open.has(id) || this.closedHistory.has(id) || this.refusalHistory.has(id);
  }

  /** Subscriptions per connection id, over every route whose app keeps some. */
  private subscriptionsByConnection(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const route of this.routes) {
      const snapshot = route.instance.snapshot?.();
      if (!snapshot) continue;
      for (const topic of snapshot.topics) {
        for (const id of topic.subscribers) {
          const list = map.get(id);
          if (list) list.push(topic.filter);
          else map.set(id, [topic.filter]);
        }
      }
    }
    return map;
  }

  connectionViews(): ServerConnectionView[] {
    const subs = this.subscriptionsByConnection();
    return [...this.open.values()].map((conn) => conn.view(subs.get(conn.id) ?? []));
  }

  connectionInfos(): ConnectionInfo[] {
    return [...this.open.values()].map((c) => c.info());
  }

  subscriptions(): SubscriptionsView {
    const topics: SubscriptionsView['topics'] = [];
    for (const route of this.routes) {
      const snapshot = route.instance.snapshot?.();
      if (!snapshot) continue;
      for (const t of snapshot.topics) topics.push({ route: route.path, filter: t.filter, subscribers: t.subscribers, messages: t.messages });
    }
    return { serverId: this.id, topics };
  }

  /**
   * Publishes on one route (by its path) or on every route whose app takes publishes. `payload`
   * is JSON when it parses as JSON (so 42 stays a number), otherwise it is sent as a string.
   */
  publishMessage(route: string | undefined, topic: string, payload: string, exclude?: string): Outcome<{ delivered: number }> {
    let value: unknown = payload;
    try {
      value = JSON.parse(payload);
    } catch {
      // Not JSON: the text itself is the payload.
    }
    const targets = route === undefined ? this.routes.filter((r) => r.instance.publish) : this.routes.filter((r) => r.path === route);
    if (route !== undefined && targets.length === 0) {
      return { ok: false, error: `route: no route ${JSON.stringify(route)}; routes are ${this.routes.map((r) => r.path).join(', ')}` };
    }
    if (targets.length === 0) return { ok: false, error: `route: none of the routes takes publishes (pubsub and script apps do)` };
    let delivered = 0;
    for (const r of targets) {
      if (!r.instance.publish) {
        return { ok: false, error: `route: ${r.path} runs the ${r.app} app, which has no topics to publish to${r.app === 'log-view' ? ' (log-view is read-only)' : ''}` };
      }
      const result = r.instance.publish(topic, value, exclude ? { exclude } : {});
      if (typeof result !== 'number') return { ok: false, error: `topic: ${result.error}` };
      delivered += result;
    }
    this.log('info', `published to ${topic} on ${targets.map((r) => r.path).join(', ')}: delivered to ${delivered}`);
    return { ok: true, value: { delivered } };
  }

  /** The handshake of an accepted or refused connection of this server. */
  handshakeOf(id: string): HandshakeView | undefined {
    const entry = this.open.get(id) ?? this.closedHistory.get(id) ?? this.refusalHistory.get(id);
    if (!entry) return undefined;
    const base = this.info.url || `${this.config.tls ? 'wss' : 'ws'}://${this.config.host}:${this.info.port}`;
    return entry instanceof ServerConnection ? acceptedHandshakeView(entry, base, this.routes, this.config.policy) : refusedHandshakeView(entry, base);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.deps.log(level, message);
    this.deps.onEvent?.({ type: 'log', timestamp: Date.now(), level, message });
  }

  private publish(change: Partial<ServerInfo>): ServerInfo {
    // Fields set to undefined are dropped (structured clone and JSON would disagree about them).
    const next: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ ...this.info, ...change })) if (value !== undefined) next[key] = value;
    this.info = next as unknown as ServerInfo;
    this.deps.publishServer(this.info);
    return this.info;
  }
}

/** Keeps an entry in a bounded history, dropping the oldest beyond `max`. */
function remember<T>(history: Map<string, T>, id: string, entry: T, max: number): void {
  history.set(id, entry);
  if (history.size > max) {
    const oldest = history.keys().next().value;
    if (oldest !== undefined) history.delete(oldest);
  }
}
