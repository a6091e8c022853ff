/**
 * The embedded server's configuration: what `startServer` and `framescope serve --config`
 * accept, checked field by field. Requests come from the renderer or a file, neither of which
 * main trusts, so every error names its field ("policy.maxConnections: must be …") and all
 * errors are reported at once, not only the first.
 */
import { isAbsolute } from 'node:path';
import { isIP } from 'node:net';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/decoder';
import { isToken } from '../protocol/extensions';
import { MAX_CONNECTION_CAP, type RouteEntry, validateRoutes } from './routes';

export type ServerTlsConfig =
  | { mode: 'self-signed' }
  | { mode: 'files'; certFile: string; keyFile: string; caFile?: string };

export type ServerCredentials = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export interface DeflateConfig {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** RFC 7692 §7.1.2.1; absent: the server does not limit its own window. */
  serverMaxWindowBits?: number;
  /** RFC 7692 §7.1.2.2; absent: the client's offer decides. */
  clientMaxWindowBits?: number;
}

/** The handshake policy and limits with every default filled in. */
export interface ResolvedPolicy {
  /** Serialised origins (RFC 6454 §6.2), lower-cased; empty allows any Origin. */
  originAllowList: string[];
  /** In preference order; empty: the client's first offer is taken (what `ws` does). */
  subprotocols: string[];
  credentials: ServerCredentials | null;
  maxConnections: number | null;
  retryAfterSeconds: number;
  handshakeTimeoutMs: number;
  maxPayload: number;
  deflate: DeflateConfig | false;
  heartbeatMs: number;
  deadPeerTimeoutMs: number;
  requireClientCertificate: boolean;
}

export interface ServerConfig {
  host: string;
  port: number;
  tls: ServerTlsConfig | null;
  routes: RouteEntry[];
  policy: ResolvedPolicy;
}

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_RETRY_AFTER_SECONDS = 10;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_TIMER_MS = 86_400_000;
/** 1 GiB: a single message beyond this is a mistake in a test console, not a test. */
const MAX_PAYLOAD_LIMIT = 1024 * 1024 * 1024;

export const DEFAULT_POLICY: Readonly<ResolvedPolicy> = Object.freeze({
  originAllowList: [],
  subprotocols: [],
  credentials: null,
  maxConnections: null,
  retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  maxPayload: DEFAULT_MAX_PAYLOAD,
  deflate: false,
  heartbeatMs: 0,
  deadPeerTimeoutMs: 0,
  requireClientCertificate: false,
});

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Reads one object's fields, collecting errors that name them. */
class Fields {
  readonly obj: Record<string, unknown>;
  constructor(
    input: unknown,
    readonly path: string,
    known: readonly string[],
    readonly errors: string[],
  ) {
    if (input === undefined || input === null) {
      this.obj = {};
      return;
    }
    if (typeof input !== 'object' || Array.isArray(input)) {
      this.obj = {};
      errors.push(`${path}: must be an object (got ${show(input)})`);
      return;
    }
    this.obj = input as Record<string, unknown>;
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) errors.push(`${this.at(key)}: unknown field; expected one of ${known.join(', ')}`);
    }
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  fail(key: string, message: string): void {
    this.errors.push(`${this.at(key)}: ${message}`);
  }

  /** An integer in [min, max]; `zeroOff` also allows 0 (meaning "off"). */
  integer(key: string, fallback: number, min: number, max: number, zeroOff = false): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || ((v < min || v > max) && !(zeroOff && v === 0))) {
      this.fail(key, `must be a whole number from ${min} to ${max}${zeroOff ? ', or 0 for off' : ''} (got ${show(v)})`);
      return fallback;
    }
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false (got ${show(v)})`);
      return fallback;
    }
    return v;
  }

  string(key: string, required: boolean): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(key, `must be a string (got ${show(v)})`);
      return undefined;
    }
    return v;
  }

  filePath(key: string, required: boolean): string | undefined {
    const v = this.string(key, required);
    if (v === undefined) return undefined;
    if (v === '' || v.includes('\u0000')) {
      this.fail(key, 'must be a file path');
      return undefined;
    }
    // Relative paths would depend on the working directory of whoever started Framescope.
    if (!isAbsolute(v)) {
      this.fail(key, `must be an absolute path (got ${show(v)})`);
      return undefined;
    }
    return v;
  }

  stringList(key: string): string[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail(key, `must be a list of strings (got ${show(v)})`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string') this.errors.push(`${this.at(key)}[${i}]: must be a string (got ${show(item)})`);
      else out.push(item);
    });
    return out;
  }
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Is `host` reachable only from this machine? One answer for the client's NO_PROXY and the server's bind warning. */
export { isLoopbackHost } from '../client/proxy';

/** The origin an Origin header carries, lower-cased (RFC 6454 §6.2, §4: scheme and host are case-insensitive). */
export function normalizeOrigin(value: string): string | undefined {
  const v = value.trim();
  if (v.toLowerCase() === 'null') return 'null';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return undefined;
  }
  if (url.origin === 'null') return undefined;
  // An origin has no path, query, fragment or credentials; "https://a.example/" is tolerated.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?$/i.test(v)) return undefined;
  return url.origin.toLowerCase();
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function readPolicy(input: unknown, errors: string[]): ResolvedPolicy {
  const f = new Fields(input, 'policy', Object.keys(DEFAULT_POLICY), errors);
  const policy: ResolvedPolicy = { ...DEFAULT_POLICY, originAllowList: [], subprotocols: [] };

  f.stringList('originAllowList').forEach((origin, i) => {
    const normalized = normalizeOrigin(origin);
    if (normalized === undefined) {
      errors.push(`policy.originAllowList[${i}]: must be an origin such as "https://app.example:8443" (scheme://host[:port], no path), or "null" (got ${show(origin)})`);
    } else if (!policy.originAllowList.includes(normalized)) {
      policy.originAllowList.push(normalized);
    }
  });

  f.stringList('subprotocols').forEach((p, i) => {
    // RFC 6455 §4.1 (client item 10) and §11.3.4: each subprotocol is a token.
    if (!isToken(p)) errors.push(`policy.subprotocols[${i}]: must be a token (letters, digits and !#$%&'*+-.^_\`|~, no spaces or commas) (got ${show(p)})`);
    else if (policy.subprotocols.includes(p)) errors.push(`policy.subprotocols[${i}]: duplicate of ${show(p)}`);
    else policy.subprotocols.push(p);
  });

  const rawCred = f.obj.credentials;
  if (rawCred !== undefined && rawCred !== null) {
    const c = new Fields(rawCred, 'policy.credentials', ['kind', 'username', 'password', 'token'], errors);
    const kind = c.obj.kind;
    if (kind === 'basic') {
      const username = c.string('username', true);
      const password = c.string('password', true);
      // RFC 7617 §2: "a user-id containing a colon character is invalid".
      if (username !== undefined && (username === '' || username.includes(':'))) {
        c.fail('username', 'must be non-empty and must not contain ":" (RFC 7617 §2)');
      } else if (username !== undefined && password !== undefined) {
        policy.credentials = { kind, username, password };
      }
      if (c.obj.token !== undefined) c.fail('token', "belongs to kind 'bearer', not 'basic'");
    } else if (kind === 'bearer') {
      const token = c.string('token', true);
      if (token !== undefined && !B64TOKEN.test(token)) {
        c.fail('token', 'must be a non-empty b64token: letters, digits and -._~+/ then optional = (RFC 6750 §2.1)');
      } else if (token !== undefined) {
        policy.credentials = { kind, token };
      }
      for (const k of ['username', 'password']) if (c.obj[k] !== undefined) c.fail(k, "belongs to kind 'basic', not 'bearer'");
    } else {
      c.fail('kind', `must be 'basic' or 'bearer' (got ${show(kind)})`);
    }
  }

  const cap = f.obj.maxConnections;
  if (cap !== undefined && cap !== null) policy.maxConnections = f.integer('maxConnections', 0, 1, MAX_CONNECTION_CAP) || null;
  policy.retryAfterSeconds = f.integer('retryAfterSeconds', DEFAULT_RETRY_AFTER_SECONDS, 0, 86_400);
  policy.handshakeTimeoutMs = f.integer('handshakeTimeoutMs', DEFAULT_HANDSHAKE_TIMEOUT_MS, 100, 600_000);
  policy.maxPayload = f.integer('maxPayload', DEFAULT_MAX_PAYLOAD, 1, MAX_PAYLOAD_LIMIT);
  policy.heartbeatMs = f.integer('heartbeatMs', 0, 10, MAX_TIMER_MS, true);
  policy.deadPeerTimeoutMs = f.integer('deadPeerTimeoutMs', 0, 10, MAX_TIMER_MS, true);
  policy.requireClientCertificate = f.boolean('requireClientCertificate', false);

  const rawDeflate = f.obj.deflate;
  if (rawDeflate === true) {
    policy.deflate = { serverNoContextTakeover: false, clientNoContextTakeover: false };
  } else if (rawDeflate !== undefined && rawDeflate !== null && rawDeflate !== false) {
    const d = new Fields(rawDeflate, 'policy.deflate', ['serverNoContextTakeover', 'clientNoContextTakeover', 'serverMaxWindowBits', 'clientMaxWindowBits'], errors);
    const deflate: DeflateConfig = {
      serverNoContextTakeover: d.boolean('serverNoContextTakeover', false),
      clientNoContextTakeover: d.boolean('clientNoContextTakeover', false),
    };
    // RFC 7692 §7.1.2: window bits are 8 to 15.
    if (d.obj.serverMaxWindowBits !== undefined && d.obj.serverMaxWindowBits !== null) deflate.serverMaxWindowBits = d.integer('serverMaxWindowBits', 15, 8, 15);
    if (d.obj.clientMaxWindowBits !== undefined && d.obj.clientMaxWindowBits !== null) deflate.clientMaxWindowBits = d.integer('clientMaxWindowBits', 15, 8, 15);
    policy.deflate = deflate;
  }
  return policy;
}

function readTls(input: unknown, errors: string[]): ServerTlsConfig | null {
  if (input === undefined || input === null || input === false) return null;
  const f = new Fields(input, 'tls', ['mode', 'certFile', 'keyFile', 'caFile'], errors);
  const mode = f.obj.mode;
  if (mode === 'self-signed') {
    for (const k of ['certFile', 'keyFile', 'caFile']) if (f.obj[k] !== undefined) f.fail(k, "belongs to mode 'files'; a self-signed certificate is generated");
    return { mode };
  }
  if (mode === 'files') {
    const certFile = f.filePath('certFile', true);
    const keyFile = f.filePath('keyFile', true);
    const caFile = f.filePath('caFile', false);
    if (certFile === undefined || keyFile === undefined) return null;
    return caFile === undefined ? { mode, certFile, keyFile } : { mode, certFile, keyFile, caFile };
  }
  f.fail('mode', `must be 'self-signed' or 'files' (got ${show(mode)})`);
  return null;
}

/**
 * Checks a StartServerRequest (or a `serve --config` file) and fills in the defaults:
 * host 127.0.0.1, no TLS, the policy defaults above.
 */
export function validateServerConfig(input: unknown): ConfigResult<ServerConfig> {
  const errors: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [`the server request must be an object with port and routes (got ${show(input)})`] };
  }
  const f = new Fields(input, '', ['host', 'port', 'tls', 'routes', 'policy'], errors);

  let host = DEFAULT_HOST;
  const rawHost = f.obj.host;
  if (rawHost !== undefined && rawHost !== null) {
    if (typeof rawHost !== 'string' || rawHost.trim() === '') {
      f.fail('host', `must be a host name or IP address (got ${show(rawHost)})`);
    } else {
      const h = rawHost.trim().replace(/^\[(.*)\]$/, '$1');
      if (isIP(h) === 0 && !HOST_NAME.test(h)) f.fail('host', `${show(rawHost)} is neither an IP address nor a host name`);
      else host = h;
    }
  }

  let port = 0;
  const rawPort = f.obj.port;
  if (rawPort === undefined || rawPort === null) f.fail('port', 'is required: a whole number from 0 to 65535 (0 picks a free one)');
  else if (typeof rawPort !== 'number' || !Number.isInteger(rawPort) || rawPort < 0 || rawPort > 65_535) {
    f.fail('port', `must be a whole number from 0 to 65535, 0 picking a free one (got ${show(rawPort)})`);
  } else port = rawPort;

  const tls = readTls(f.obj.tls, errors);
  const policy = readPolicy(f.obj.policy, errors);
  if (policy.requireClientCertificate && !(tls?.mode === 'files' && tls.caFile)) {
    errors.push("policy.requireClientCertificate: needs tls.mode 'files' with a caFile, the CA that signs the client certificates");
  }

  let routes: RouteEntry[] = [];
  if (f.obj.routes === undefined || f.obj.routes === null) {
    f.fail('routes', 'is required: at least one route, e.g. {"path":"/echo","app":"echo"}');
  } else {
    const checked = validateRoutes(f.obj.routes, 'routes');
    if (!checked.ok) errors.push(...checked.errors);
    else if (checked.value.length === 0) f.fail('routes', 'at least one route is needed, e.g. {"path":"/echo","app":"echo"}');
    else routes = checked.value;
  }

  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { host, port, tls, routes, policy } };
}
