/**
 * Commands of the embedded server: listeners with routes and apps, handshake
 * policy and limits, acting on one connection, and pub/sub subscriptions.
 */
import type { AppName, ServerInfo } from '../records';
import type { PayloadInput, RawFrameSpec } from './client';

export type RouteMatch = 'exact' | 'prefix' | 'filter';

export interface RouteConfig {
  /** exact: the path itself; prefix: the path and below; filter: MQTT-style + and # levels (RRR). */
  match?: RouteMatch;
  path: string;
  app: AppName;
  /** The app's own options (log-view files, periodic interval, script file, …). */
  options?: Record<string, unknown>;
  /** Connection cap for this route, answered with 503 + Retry-After (ntopng). */
  maxConnections?: number;
}

export type ServerTls =
  | { mode: 'self-signed' }
  | { mode: 'files'; certFile: string; keyFile: string; caFile?: string };

export interface ServerPolicy {
  /** Exact Origin values allowed; empty or absent allows any (403 otherwise). */
  originAllowList?: string[];
  /** Subprotocols the server supports, in preference order. */
  subprotocols?: string[];
  /** Credentials a client must present (401 otherwise). */
  credentials?: { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };
  /** Connection cap for the whole server, answered with 503 + Retry-After. */
  maxConnections?: number;
  /** Seconds announced in Retry-After with a 503. */
  retryAfterSeconds?: number;
  handshakeTimeoutMs?: number;
  /** Largest message accepted, in bytes (1009 beyond it). */
  maxPayload?: number;
  /** permessage-deflate on or off, with its parameters (RFC 7692). */
  deflate?:
    | false
    | { serverNoContextTakeover?: boolean; clientNoContextTakeover?: boolean; serverMaxWindowBits?: number; clientMaxWindowBits?: number };
  /** Send a ping every N ms; 0 = off. */
  heartbeatMs?: number;
  /** Close a peer that has answered no ping for N ms; 0 = off. */
  deadPeerTimeoutMs?: number;
  /** Require a client certificate signed by tls.caFile (wss only). */
  requireClientCertificate?: boolean;
}

export interface StartServerRequest {
  /** Defaults to 127.0.0.1; anything wider is the person's explicit choice. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  tls?: ServerTls;
  routes: RouteConfig[];
  policy?: ServerPolicy;
}

export interface ServerConnectionView {
  id: string;
  serverId: string;
  remoteAddress: string;
  path: string;
  requestHeaders: Array<[string, string]>;
  subprotocol?: string;
  extensions?: string;
  connectedAt: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  subscriptions: string[];
}

export interface SubscriptionsView {
  serverId: string;
  topics: Array<{ route: string; filter: string; subscribers: string[]; messages: number }>;
}

export interface ServerCommands {
  startServer: [StartServerRequest, ServerInfo];
  stopServer: [{ serverId: string }, ServerInfo];
  listServerConnections: [{ serverId: string }, ServerConnectionView[]];
  serverSend: [{ connectionId: string; payload: PayloadInput }, { bytes: number }];
  serverSendRaw: [{ connectionId: string; frames: RawFrameSpec[] }, { bytes: number }];
  serverPing: [{ connectionId: string; payload: PayloadInput }, { rttMs: number }];
  serverClose: [{ connectionId: string; code?: number; reason?: string }, { closed: boolean }];
  serverTerminate: [{ connectionId: string }, { closed: boolean }];
  getSubscriptions: [{ serverId: string }, SubscriptionsView];
  publish: [{ serverId: string; route?: string; topic: string; payload: string; excludeConnectionId?: string }, { delivered: number }];
}

export const SERVER_COMMAND_NAMES = [
  'startServer',
  'stopServer',
  'listServerConnections',
  'serverSend',
  'serverSendRaw',
  'serverPing',
  'serverClose',
  'serverTerminate',
  'getSubscriptions',
  'publish',
] as const satisfies readonly (keyof ServerCommands)[];
