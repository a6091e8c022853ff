/**
 * Commands of the client workbench: connect to any ws/wss endpoint with every
 * option a person may need, see its handshake, send anything (including frames
 * that break the rules on purpose), automate, and keep work between runs.
 */
import type { ConnectionInfo } from '../records';

export type AuthSetting =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

export interface DeflateOffer {
  /** RFC 7692 §7.1.2.2: `true` offers the parameter without a value. */
  clientMaxWindowBits?: number | true;
  serverMaxWindowBits?: number;
  clientNoContextTakeover?: boolean;
  serverNoContextTakeover?: boolean;
}

export interface TlsSettings {
  /** false: accept any server certificate (self-signed test servers). */
  verify: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  pfxFile?: string;
  passphrase?: string;
  /** SNI name (RFC 6066 §3) when it differs from the URL's host. */
  serverName?: string;
}

export interface ReconnectSettings {
  enabled: boolean;
  /** 0 means no limit. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Everything one client connection can be told; omitted fields take defaults. */
export interface ConnectOptions {
  url: string;
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  subprotocols: string[];
  auth: AuthSetting;
  origin?: string;
  deflate: false | DeflateOffer;
  handshakeTimeoutMs: number;
  followRedirects: boolean;
  maxRedirects: number;
  tls: TlsSettings;
  /** A proxy URL, 'env' for HTTPS_PROXY / NO_PROXY, or null for a direct connection. */
  proxy?: string | 'env' | null;
  autoPong: boolean;
  reconnect: ReconnectSettings;
}

export type ConnectRequest = Partial<ConnectOptions> & { url: string };

/** What to send as a data message; the main side turns it into bytes and explains bad input. */
export type PayloadInput =
  | { kind: 'text'; text: string }
  | { kind: 'json'; text: string }
  | { kind: 'hex'; text: string }
  | { kind: 'base64'; text: string }
  | { kind: 'file'; path: string; binary?: boolean };

export interface SendRequest {
  connectionId: string;
  payload: PayloadInput;
  /** Split the message into this many frames (RFC 6455 §5.4); 1 = unfragmented. */
  fragments?: number;
  /** Template variables ({{counter}}, {{timestamp}}, …) are expanded in text/json payloads. */
  template?: boolean;
}

export interface SendTextRequest {
  connectionId: string;
  text: string;
}

/** One frame for raw mode, written to the socket as is (RFC rules may be broken on purpose). */
export interface RawFrameSpec {
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  mask: 'none' | 'random' | { keyHex: string };
  payload: PayloadInput;
  /** A declared length different from the payload's real length. */
  declaredLength?: number;
  /** Force a (possibly non-minimal) length encoding. */
  lengthEncoding?: 7 | 16 | 64;
}

export interface CloseRequest {
  connectionId: string;
  code?: number;
  reason?: string;
  /** Send a code or reason RFC 6455 §7.4 forbids, on purpose. */
  allowInvalid?: boolean;
}

export interface PeriodicRequest {
  connectionId: string;
  intervalMs: number;
  /** A template: {{counter}}, {{timestamp}}, {{iso}}, {{random}}, {{uuid}}. */
  message: string;
  /** 0 = until stopped. */
  count: number;
}

export interface HandshakeCheckView {
  id: string;
  label: string;
  pass: boolean;
  detail: string;
  rule: string;
}

export interface CertificateView {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  subjectAltName?: string;
}

/** A connection's handshake, for the handshake panel. */
export interface HandshakeView {
  connectionId: string;
  /** Every hop when redirects were followed; the last one is the upgrade. */
  hops: Array<{ url: string; status?: number; location?: string }>;
  request?: { method: string; url: string; httpVersion: string; headers: Array<[string, string]>; raw: string };
  response?: { status: number; statusText: string; httpVersion: string; headers: Array<[string, string]>; raw: string; body?: string };
  timings: { dnsMs?: number; connectMs?: number; tlsMs?: number; upgradeMs?: number; totalMs?: number };
  tls?: { protocol: string; cipher: string; alpn: string | false; authorized: boolean; authorizationError?: string; chain: CertificateView[] };
  subprotocol?: string;
  extensions?: string;
  checks: HandshakeCheckView[];
  /** A refused or failed handshake, in words. */
  error?: string;
}

export interface SavedMessage {
  id: string;
  name: string;
  payload: PayloadInput;
  /** Saved per connection (by saved connection id), or for all when absent. */
  connectionId?: string;
}

export interface SavedConnection {
  id: string;
  name: string;
  options: ConnectRequest;
}

export interface SavedWork {
  connections: SavedConnection[];
  messages: SavedMessage[];
  /** Set when the file on disk is corrupt or newer: it is left untouched and saving is refused. */
  problem?: string;
}

export interface ClientCommands {
  connect: [ConnectRequest, ConnectionInfo];
  sendText: [SendTextRequest, { bytes: number }];
  send: [SendRequest, { bytes: number; frames: number }];
  sendRaw: [{ connectionId: string; frames: RawFrameSpec[] }, { bytes: number }];
  ping: [{ connectionId: string; payload: PayloadInput }, { rttMs: number }];
  setAutoPong: [{ connectionId: string; enabled: boolean }, { autoPong: boolean }];
  closeConnection: [CloseRequest, ConnectionInfo];
  startPeriodic: [PeriodicRequest, { running: boolean }];
  stopPeriodic: [{ connectionId: string }, { running: boolean; sent: number }];
  loadSaved: [Record<string, never>, SavedWork];
  saveConnection: [SavedConnection, SavedWork];
  saveMessage: [SavedMessage, SavedWork];
  deleteSaved: [{ kind: 'connection' | 'message'; id: string }, SavedWork];
  exportSaved: [{ path: string }, { path: string }];
  importSaved: [{ path: string; mode: 'merge' | 'replace' }, SavedWork];
  /** Validate JSON and pretty-print it, keeping every number and string as typed. */
  formatJson: [{ text: string }, { pretty: string; warnings: string[] }];
}

export const CLIENT_COMMAND_NAMES = [
  'connect',
  'sendText',
  'send',
  'sendRaw',
  'ping',
  'setAutoPong',
  'closeConnection',
  'startPeriodic',
  'stopPeriodic',
  'loadSaved',
  'saveConnection',
  'saveMessage',
  'deleteSaved',
  'exportSaved',
  'importSaved',
  'formatJson',
] as const satisfies readonly (keyof ClientCommands)[];
