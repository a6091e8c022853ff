/**
 * Serialisable records shared by main and renderer. Everything here must survive
 * structured clone (Electron IPC) and JSON (the browser host's bridge).
 */

/** Which side of the capture a frame travelled: Framescope sent it, or received it. */
export type FlowDirection = 'out' | 'in';

export type ConnectionRole = 'client' | 'server';

export type ConnectionState = 'connecting' | 'open' | 'closing' | 'closed' | 'failed';

export interface ConnectionInfo {
  id: string;
  role: ConnectionRole;
  /** For client connections the URL dialled; for server-side ones the path upgraded on. */
  url: string;
  /** Server-side connections: which listener accepted them. */
  serverId?: string;
  remoteAddress?: string;
  state: ConnectionState;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
  closeReason?: string;
  /** A sentence a person understands when the connection failed or was refused. */
  error?: string;
  subprotocol?: string;
  extensions?: string;
  /** Client connections: whether pings are answered automatically. */
  autoPong?: boolean;
  /** Client connections with reconnect on: which attempt this is (1 = the first connection). */
  attempt?: number;
}

export type AppName = 'echo' | 'chat' | 'pubsub' | 'log-view' | 'periodic' | 'script';

export interface RouteInfo {
  match?: 'exact' | 'prefix' | 'filter';
  path: string;
  app: AppName;
}

export interface ServerInfo {
  id: string;
  host: string;
  port: number;
  /** ws://host:port or wss://host:port, the base URL clients dial. */
  url: string;
  routes: RouteInfo[];
  state: 'listening' | 'stopped' | 'failed';
  error?: string;
  /** True when the person chose a host wider than loopback. */
  exposed?: boolean;
  tls?: boolean;
  /** Open connections now, and handshakes refused so far. */
  connections?: number;
  refusals?: number;
}

/**
 * Frame rows travel main → renderer packed in columns (one typed array per
 * field), not as one object per frame: a batch of 5 000 frames is then a handful
 * of array copies instead of 5 000 cloned objects.
 */
export interface PackedFrames {
  /** Capture id of the first row; row i has id firstId + i. */
  firstId: number;
  count: number;
  /** Index into `connectionIds` per row. */
  connection: Uint32Array;
  connectionIds: string[];
  /** Milliseconds since the epoch, sub-millisecond resolution. */
  time: Float64Array;
  /** FrameBits packed per row (see frame-bits.ts). */
  bits: Uint32Array;
  /** Payload length in bytes as carried on the wire. */
  length: Float64Array;
  /** A short, single-line preview of the payload (text, or hex for binary). */
  preview: string[];
}

/** Everything the detail pane needs for one captured row, fetched on demand. */
export interface FrameDetail {
  id: number;
  connectionId: string;
  time: number;
  direction: FlowDirection;
  kind: 'frame' | 'violation';
  offset: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  opcodeName: string;
  masked: boolean;
  maskKeyHex: string | null;
  length: number;
  lengthEncoding: 7 | 16 | 64;
  headerHex: string;
  payloadHex: string;
  text?: string;
  closeCode?: number;
  closeReason?: string;
  violation?: { code: string; closeCode: number; rule: string; message: string };
}

export interface LogLine {
  time: number;
  level: 'info' | 'warn' | 'error';
  source: string;
  message: string;
}
