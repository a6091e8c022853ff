/**
 * Everything a person (UI form or CLI flags) can set for one client connection, and the
 * validation that turns untrusted input into it. Errors name the field and say what is
 * wrong in words, so a form can show them next to the field and the CLI can print them.
 *
 * Decisions:
 * - http:// and https:// URLs are accepted and read as ws:// and wss://, as the WHATWG
 *   WebSockets standard does in `new WebSocket(url)` (it maps the schemes before
 *   connecting). People paste the page URL of the server they test.
 * - Fragments are refused: RFC 6455 §3 says fragment identifiers MUST NOT be used in
 *   WebSocket URIs, and the browser API throws a SyntaxError for them.
 * - Omitted fields get defaults (DEFAULT_CONNECT_OPTIONS); unknown fields are errors,
 *   because a typo like "subprotocol" would otherwise be silently ignored.
 * - proxy defaults to 'env' (curl's behaviour; loopback targets bypass an environment
 *   proxy, see proxy.ts).
 * - deflate defaults to what browsers offer: permessage-deflate with a valueless
 *   client_max_window_bits (RFC 7692 §7.1.2.2).
 *
 * The option types themselves are the shared contract's (src/shared/contract/client.ts),
 * so the renderer's form, the CLI and this validator agree on one shape.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { AuthSetting, ConnectOptions, DeflateOffer, ReconnectSettings, TlsSettings } from '../../../shared/contract/client';
import { resolveAuth } from './auth';
import { parseProxyUrl } from './proxy';

export type { AuthSetting, ConnectOptions, DeflateOffer, ReconnectSettings, TlsSettings };

const DEFAULTS: Omit<ConnectOptions, 'url'> = {
  query: [],
  headers: [],
  subprotocols: [],
  auth: { kind: 'none' },
  deflate: { clientMaxWindowBits: true },
  handshakeTimeoutMs: 10_000,
  followRedirects: false,
  maxRedirects: 10,
  tls: { verify: true },
  proxy: 'env',
  autoPong: true,
  reconnect: { enabled: false, maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 30_000 },
};
export const DEFAULT_CONNECT_OPTIONS: Readonly<Omit<ConnectOptions, 'url'>> = Object.freeze(DEFAULTS);

export interface FieldError {
  /** Dotted path: "url", "headers[2]", "tls.keyFile", "reconnect.maxDelayMs". */
  field: string;
  message: string;
}

export type ConnectOptionsResult =
  | { ok: true; value: ConnectOptions; warnings: string[] }
  | { ok: false; error: string; errors: FieldError[] };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** RFC 9110 §5.6.2 token: header names and subprotocol names. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers the handshake itself writes; setting them here would be ignored or fight `ws`. */
const HANDSHAKE_HEADERS: Record<string, string> = {
  'sec-websocket-key': 'is generated for every handshake (RFC 6455 §4.1)',
  'sec-websocket-version': 'is always 13 (RFC 6455 §4.1)',
  upgrade: "is always 'websocket' (RFC 6455 §4.1)",
  connection: "is always 'Upgrade' (RFC 6455 §4.1)",
  'sec-websocket-protocol': 'comes from the subprotocols list; put the names there',
  'sec-websocket-extensions': 'comes from the deflate setting',
};

class Collector {
  readonly errors: FieldError[] = [];
  readonly warnings: string[] = [];
  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }
  unknownKeys(obj: Obj, known: readonly string[], prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) {
        this.add(prefix === '' ? key : `${prefix}.${key}`, `is not a${prefix === '' ? ' connection' : ''} option${prefix === '' ? '' : ` of ${prefix}`} (known: ${known.join(', ')})`);
      }
    }
  }
  bool(obj: Obj, key: string, field: string, fallback: boolean): boolean {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      this.add(field, `expected true or false, got ${typeName(v)}`);
      return fallback;
    }
    return v;
  }
  int(obj: Obj, key: string, field: string, fallback: number, min: number, max: number, unit: string): number {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.add(field, `expected a whole number${unit ? ` of ${unit}` : ''}, got ${typeName(v)}`);
      return fallback;
    }
    if (v < min || v > max) {
      this.add(field, `${v} is out of range; it must be between ${min} and ${max}${unit ? ` ${unit}` : ''}`);
      return fallback;
    }
    return v;
  }
  optString(obj: Obj, key: string, field: string): string | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      this.add(field, `expected a non-empty string, got ${typeName(v)}`);
      return undefined;
    }
    return v;
  }
}

/**
 * Checks and normalizes a WebSocket URL. Returns the URL with http(s) mapped to ws(s);
 * credentials are kept (auth.ts removes them before the request is made).
 */
export function normalizeWebSocketUrl(input: unknown): { ok: true; url: URL } | { ok: false; error: string } {
  if (typeof input !== 'string') return { ok: false, error: `expected a string, got ${typeName(input)}` };
  const text = input.trim();
  if (text === '') return { ok: false, error: 'is empty; enter a ws:// or wss:// URL' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // "http//host" or "ws:/host": a scheme whose "://" was mistyped. Say so rather than
    // suggest prefixing yet another scheme.
    const typo = /^(wss?|https?)(:\/?(?!\/)|\/\/)/i.exec(text);
    if (typo !== null) {
      return { ok: false, error: `'${input}' is not a valid URL: '${typo[1]}' must be followed by '://' (e.g. ws://host:port/path)` };
    }
    const hint = /^[^:/]+(:\d+)?(\/|$)/.test(text) ? ` (did you mean 'ws://${text}'?)` : '';
    return { ok: false, error: `'${input}' is not a ws:// or wss:// URL${hint}` };
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    // WHATWG URL will not change a "special" scheme to a non-special one via the setter
    // in every case, so rebuild from the text after the scheme.
    url = new URL((scheme === 'http' ? 'ws' : 'wss') + url.href.slice(scheme.length));
  } else if (scheme !== 'ws' && scheme !== 'wss') {
    // "localhost:8080/x" parses as scheme "localhost:"; the person left the scheme out.
    const hint = !text.includes('://') && /^[^:/]+:\d+(\/|$)/.test(text) ? ` (did you mean 'ws://${text}'?)` : '';
    return { ok: false, error: `'${input}' is not a ws:// or wss:// URL${hint}` };
  }
  if (url.hostname === '') return { ok: false, error: `'${input}' has no host` };
  if (url.hash !== '' || text.includes('#')) {
    return { ok: false, error: `'${input}' has a fragment ('#…'); RFC 6455 §3 does not allow fragments in WebSocket URLs` };
  }
  return { ok: true, url };
}

function validatePairs(c: Collector, input: Obj, key: 'query' | 'headers'): Array<[string, string]> {
  const v = input[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    c.add(key, `expected a list of [name, value] pairs, got ${typeName(v)}`);
    return [];
  }
  const out: Array<[string, string]> = [];
  v.forEach((pair, i) => {
    const field = `${key}[${i}]`;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      c.add(field, `expected a [name, value] pair of strings, got ${typeName(pair)}`);
      return;
    }
    out.push([pair[0], pair[1]]);
  });
  return out;
}

function validateHeaders(c: Collector, headers: Array<[string, string]>, auth: AuthSetting, origin: string | undefined, urlHasCredentials: boolean): void {
  const seen = new Map<string, number>();
  headers.forEach(([name, value], i) => {
    const field = `headers[${i}]`;
    if (!TOKEN.test(name)) {
      c.add(field, name === '' ? 'the header name is empty' : `'${name}' is not a valid header name (RFC 9110 §5.6.2: letters, digits and !#$%&'*+-.^_\`|~ only)`);
      return;
    }
    if (/[\r\n\0]/.test(value)) {
      c.add(field, `the value of '${name}' contains a line break or NUL, which would end the header early (RFC 9110 §5.5)`);
      return;
    }
    const lower = name.toLowerCase();
    const reserved = HANDSHAKE_HEADERS[lower];
    if (reserved !== undefined) c.add(field, `'${name}' ${reserved}`);
    if (lower === 'authorization' && auth.kind !== 'none') c.add(field, `'${name}' conflicts with the ${auth.kind} auth setting; use one of them`);
    else if (lower === 'authorization' && urlHasCredentials) c.add(field, `'${name}' conflicts with the user:password in the URL; use one of them`);
    if (lower === 'origin' && origin !== undefined) c.add(field, `'${name}' conflicts with the origin setting; use one of them`);
    const prev = seen.get(lower);
    if (prev !== undefined) c.add(field, `'${name}' is given twice (also headers[${prev}]); combine the values with ', '`);
    else seen.set(lower, i);
  });
}

function validateAuth(c: Collector, v: unknown): AuthSetting {
  if (v === undefined) return { kind: 'none' };
  if (!isObj(v)) {
    c.add('auth', `expected an object like { kind: 'none' | 'basic' | 'bearer' }, got ${typeName(v)}`);
    return { kind: 'none' };
  }
  switch (v.kind) {
    case 'none':
      c.unknownKeys(v, ['kind'], 'auth');
      return { kind: 'none' };
    case 'basic': {
      c.unknownKeys(v, ['kind', 'username', 'password'], 'auth');
      if (typeof v.username !== 'string') c.add('auth.username', `expected a string, got ${typeName(v.username)}`);
      if (typeof v.password !== 'string') c.add('auth.password', `expected a string, got ${typeName(v.password)}`);
      if (typeof v.username === 'string' && v.username.includes(':')) {
        c.add('auth.username', "contains ':', which Basic authentication cannot carry (RFC 7617 §2)");
      }
      // Not String(): an object such as {"toString": false} in a saved file makes it throw.
      return { kind: 'basic', username: typeof v.username === 'string' ? v.username : '', password: typeof v.password === 'string' ? v.password : '' };
    }
    case 'bearer':
      c.unknownKeys(v, ['kind', 'token'], 'auth');
      if (typeof v.token !== 'string' || v.token.trim() === '') c.add('auth.token', `expected a non-empty token, got ${typeName(v.token)}`);
      return { kind: 'bearer', token: typeof v.token === 'string' ? v.token : '' };
    default:
      c.add('auth.kind', `expected 'none', 'basic' or 'bearer', got ${typeName(v.kind)}`);
      return { kind: 'none' };
  }
}

function validateDeflate(c: Collector, v: unknown): false | DeflateOffer {
  if (v === undefined) return { ...(DEFAULT_CONNECT_OPTIONS.deflate as DeflateOffer) };
  if (v === false) return false;
  if (v === true) return {};
  if (!isObj(v)) {
    c.add('deflate', `expected false or an object of permessage-deflate parameters, got ${typeName(v)}`);
    return false;
  }
  c.unknownKeys(v, ['clientMaxWindowBits', 'serverMaxWindowBits', 'clientNoContextTakeover', 'serverNoContextTakeover'], 'deflate');
  const out: DeflateOffer = {};
  // RFC 7692 §7.1.2: window bits are 8..15 (LZ77 window of 256 B .. 32 KiB).
  const bits = (key: 'clientMaxWindowBits' | 'serverMaxWindowBits', allowTrue: boolean): number | true | undefined => {
    const b = v[key];
    if (b === undefined) return undefined;
    if (b === true && allowTrue) return true;
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 8 || b > 15) {
      c.add(`deflate.${key}`, `${typeName(b)} is not a window size; use a whole number from 8 to 15${allowTrue ? ' (or true to offer the parameter without a value)' : ''} (RFC 7692 §7.1.2)`);
      return undefined;
    }
    return b;
  };
  const cb = bits('clientMaxWindowBits', true);
  if (cb !== undefined) out.clientMaxWindowBits = cb;
  const sb = bits('serverMaxWindowBits', false);
  if (typeof sb === 'number') out.serverMaxWindowBits = sb;
  for (const key of ['clientNoContextTakeover', 'serverNoContextTakeover'] as const) {
    if (v[key] !== undefined) out[key] = c.bool(v, key, `deflate.${key}`, false);
  }
  return out;
}

function validateTls(c: Collector, v: unknown): TlsSettings {
  if (v === undefined) return { verify: true };
  if (!isObj(v)) {
    c.add('tls', `expected an object, got ${typeName(v)}`);
    return { verify: true };
  }
  c.unknownKeys(v, ['verify', 'caFile', 'certFile', 'keyFile', 'pfxFile', 'passphrase', 'serverName'], 'tls');
  const out: TlsSettings = { verify: c.bool(v, 'verify', 'tls.verify', true) };
  for (const key of ['caFile', 'certFile', 'keyFile', 'pfxFile', 'serverName'] as const) {
    const s = c.optString(v, key, `tls.${key}`);
    if (s !== undefined) out[key] = s;
  }
  if (v.passphrase !== undefined) {
    if (typeof v.passphrase !== 'string') c.add('tls.passphrase', `expected a string, got ${typeName(v.passphrase)}`);
    else out.passphrase = v.passphrase;
  }
  if (out.certFile !== undefined && out.keyFile === undefined) c.add('tls.keyFile', 'is needed with tls.certFile (a client certificate needs its private key)');
  if (out.keyFile !== undefined && out.certFile === undefined) c.add('tls.certFile', 'is needed with tls.keyFile (a private key needs its certificate)');
  if (out.pfxFile !== undefined && (out.certFile !== undefined || out.keyFile !== undefined)) {
    c.add('tls.pfxFile', 'give either a PKCS#12 file or certFile + keyFile, not both');
  }
  if (out.serverName !== undefined && net.isIP(out.serverName.replace(/^\[|\]$/g, '')) !== 0) {
    c.add('tls.serverName', `'${out.serverName}' is an IP address; SNI carries host names only (RFC 6066 §3)`);
  }
  return out;
}

function validateReconnect(c: Collector, v: unknown): ReconnectSettings {
  const d = DEFAULT_CONNECT_OPTIONS.reconnect;
  if (v === undefined) return { ...d };
  if (!isObj(v)) {
    c.add('reconnect', `expected an object, got ${typeName(v)}`);
    return { ...d };
  }
  c.unknownKeys(v, ['enabled', 'maxAttempts', 'initialDelayMs', 'maxDelayMs'], 'reconnect');
  const out: ReconnectSettings = {
    enabled: c.bool(v, 'enabled', 'reconnect.enabled', d.enabled),
    maxAttempts: c.int(v, 'maxAttempts', 'reconnect.maxAttempts', d.maxAttempts, 0, 1_000_000, ''),
    initialDelayMs: c.int(v, 'initialDelayMs', 'reconnect.initialDelayMs', d.initialDelayMs, 0, 3_600_000, 'ms'),
    maxDelayMs: c.int(v, 'maxDelayMs', 'reconnect.maxDelayMs', d.maxDelayMs, 0, 86_400_000, 'ms'),
  };
  if (out.maxDelayMs < out.initialDelayMs) {
    c.add('reconnect.maxDelayMs', `${out.maxDelayMs} ms is less than reconnect.initialDelayMs (${out.initialDelayMs} ms)`);
  }
  return out;
}

const TOP_LEVEL_KEYS = [
  'url',
  'query',
  'headers',
  'subprotocols',
  'auth',
  'origin',
  'deflate',
  'handshakeTimeoutMs',
  'followRedirects',
  'maxRedirects',
  'tls',
  'proxy',
  'autoPong',
  'reconnect',
] as const;

export function validateConnectOptions(input: unknown): ConnectOptionsResult {
  const c = new Collector();
  if (!isObj(input)) {
    const errors = [{ field: '(options)', message: `expected an object, got ${typeName(input)}` }];
    return { ok: false, error: `(options): ${errors[0].message}`, errors };
  }
  c.unknownKeys(input, TOP_LEVEL_KEYS, '');

  const urlCheck = normalizeWebSocketUrl(input.url);
  if (!urlCheck.ok) c.add('url', urlCheck.error);
  const url = urlCheck.ok ? urlCheck.url : undefined;

  const query = validatePairs(c, input, 'query');
  query.forEach(([name], i) => {
    if (name === '') c.add(`query[${i}]`, 'the parameter name is empty');
  });

  const auth = validateAuth(c, input.auth);

  let origin: string | undefined;
  if (input.origin !== undefined && input.origin !== '') {
    if (typeof input.origin !== 'string') c.add('origin', `expected a string, got ${typeName(input.origin)}`);
    // RFC 6454 §6.1/§7.1: scheme "://" host [":" port], or the string "null".
    else if (input.origin !== 'null' && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]+$/.test(input.origin)) {
      c.add('origin', `'${input.origin}' is not an origin; write scheme://host[:port] without a path, e.g. https://example.com (RFC 6454 §6.1)`);
    } else origin = input.origin;
  }

  const headers = validatePairs(c, input, 'headers');
  validateHeaders(c, headers, auth, origin, url !== undefined && (url.username !== '' || url.password !== ''));

  const subprotocols: string[] = [];
  if (input.subprotocols !== undefined) {
    if (!Array.isArray(input.subprotocols)) c.add('subprotocols', `expected a list of names, got ${typeName(input.subprotocols)}`);
    else {
      input.subprotocols.forEach((p: unknown, i: number) => {
        // RFC 6455 §4.1 item 10: non-empty tokens, all unique.
        if (typeof p !== 'string' || !TOKEN.test(p)) {
          c.add(`subprotocols[${i}]`, `${typeName(p)} is not a valid subprotocol name (RFC 6455 §4.1: a token, no spaces or separators)`);
        } else if (subprotocols.includes(p)) {
          c.add(`subprotocols[${i}]`, `'${p}' is listed twice; RFC 6455 §4.1 requires unique names`);
        } else subprotocols.push(p);
      });
    }
  }

  const deflate = validateDeflate(c, input.deflate);
  const handshakeTimeoutMs = c.int(input, 'handshakeTimeoutMs', 'handshakeTimeoutMs', DEFAULT_CONNECT_OPTIONS.handshakeTimeoutMs, 1, 600_000, 'ms');
  const followRedirects = c.bool(input, 'followRedirects', 'followRedirects', DEFAULT_CONNECT_OPTIONS.followRedirects);
  const maxRedirects = c.int(input, 'maxRedirects', 'maxRedirects', DEFAULT_CONNECT_OPTIONS.maxRedirects, 0, 100, '');
  const tlsSettings = validateTls(c, input.tls);
  if (url !== undefined && url.protocol === 'ws:' && input.tls !== undefined) {
    const t = tlsSettings;
    if (t.caFile !== undefined || t.certFile !== undefined || t.pfxFile !== undefined) c.warnings.push('tls settings are ignored for a ws:// URL (no TLS)');
  }

  let proxy: string | 'env' | null = DEFAULT_CONNECT_OPTIONS.proxy ?? null;
  if (input.proxy !== undefined) {
    if (input.proxy === null || input.proxy === 'env') proxy = input.proxy;
    else if (typeof input.proxy !== 'string') c.add('proxy', `expected a proxy URL, 'env' or null, got ${typeName(input.proxy)}`);
    else {
      const p = parseProxyUrl(input.proxy);
      if (!p.ok) c.add('proxy', p.error);
      else proxy = input.proxy.trim();
    }
  }

  const autoPong = c.bool(input, 'autoPong', 'autoPong', DEFAULT_CONNECT_OPTIONS.autoPong);
  const reconnect = validateReconnect(c, input.reconnect);

  if (c.errors.length > 0 || url === undefined) {
    return { ok: false, error: c.errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors: c.errors };
  }
  const value: ConnectOptions = {
    url: url.href,
    query,
    headers,
    subprotocols,
    auth,
    deflate,
    handshakeTimeoutMs,
    followRedirects,
    maxRedirects,
    tls: tlsSettings,
    proxy,
    autoPong,
    reconnect,
  };
  if (origin !== undefined) value.origin = origin;
  return { ok: true, value, warnings: c.warnings };
}

/**
 * RFC 3986 §3.4 query component encoding for one name or value. Spaces become %20, not
 * "+": "+" means space only in HTML form encoding, and servers that do not use a form
 * decoder would see a literal plus.
 */
function encodeQueryPart(s: string): string {
  return encodeURIComponent(s);
}

/**
 * The URL the client connects to: http(s) mapped to ws(s) and the query editor's rows
 * appended after the URL's own query, in order (duplicates allowed — servers differ in
 * how they read them, and a test console must be able to send both). Credentials are
 * kept; resolveRequest removes them.
 */
export function buildConnectUrl(options: Pick<ConnectOptions, 'url' | 'query'>): string {
  const check = normalizeWebSocketUrl(options.url);
  if (!check.ok) throw new TypeError(`buildConnectUrl: url ${check.error}`); // programmer error: validate first
  const url = check.url;
  if (options.query.length === 0) return url.href;
  const extra = options.query.map(([n, v]) => `${encodeQueryPart(n)}=${encodeQueryPart(v)}`).join('&');
  const existing = url.search.length > 1 ? url.search.slice(1) : '';
  url.search = existing === '' ? extra : `${existing}&${extra}`;
  return url.href;
}

export interface ResolvedRequest {
  /** Final URL: query appended, credentials removed (never sent in the request line). */
  url: string;
  /** Headers to send: the person's headers plus Authorization when auth applies. */
  headers: Array<[string, string]>;
  /** Where Authorization came from. */
  authSource: 'none' | 'url' | 'setting';
  warnings: string[];
}

/** Combines URL, query and auth into what goes on the wire. */
export function resolveRequest(options: ConnectOptions): { ok: true; value: ResolvedRequest } | { ok: false; error: string } {
  const full = buildConnectUrl(options);
  const auth = resolveAuth(full, options.auth);
  if (!auth.ok) return auth;
  const headers = options.headers.slice();
  if (auth.value.authorization !== undefined) headers.push(['Authorization', auth.value.authorization]);
  return { ok: true, value: { url: auth.value.url, headers, authSource: auth.value.source, warnings: auth.value.warnings } };
}

// ---------------------------------------------------------------------------------------
// TLS material
// ---------------------------------------------------------------------------------------

/** Ready for tls.connect / ws options. Keys are decrypted PEM, so no passphrase is needed later. */
export interface TlsMaterial {
  rejectUnauthorized: boolean;
  servername?: string;
  /** PEM certificates (DER input is converted). */
  ca?: string[];
  /** PEM chain, leaf first. */
  cert?: string;
  /** Decrypted PKCS#8 PEM. */
  key?: string;
  pfx?: Buffer;
  passphrase?: string;
  warnings: string[];
}

export type TlsResult = { ok: true; value: TlsMaterial } | { ok: false; error: string };

type ReadFile = (path: string) => Promise<Buffer>;

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return (err as Error)?.message ?? String(err);
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads PEM or DER certificates and returns PEM, or an error in words. */
function certificatesFrom(buf: Buffer, label: string, path: string): { ok: true; pems: string[]; certs: X509Certificate[] } | { ok: false; error: string } {
  const text = buf.toString('latin1');
  const blocks = text.match(PEM_CERT);
  const certs: X509Certificate[] = [];
  if (blocks !== null) {
    for (let i = 0; i < blocks.length; i++) {
      try {
        certs.push(new X509Certificate(blocks[i]));
      } catch (e) {
        return { ok: false, error: `${label} ${path}: certificate ${i + 1} cannot be parsed (${(e as Error).message})` };
      }
    }
  } else {
    if (text.includes('-----BEGIN')) {
      const kind = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1] ?? 'something else';
      return { ok: false, error: `${label} ${path} contains a PEM '${kind}' block, not a CERTIFICATE` };
    }
    try {
      certs.push(new X509Certificate(buf)); // DER
    } catch {
      return { ok: false, error: `${label} ${path} contains no certificate (expected PEM '-----BEGIN CERTIFICATE-----' or DER)` };
    }
  }
  return { ok: true, pems: certs.map((c) => c.toString()), certs };
}

function describeKeyError(e: unknown, hasPassphrase: boolean): string {
  const err = e as NodeJS.ErrnoException;
  // OpenSSL 3 reports a missing passphrase as "interrupted or cancelled" (the prompt callback gave up).
  if (err.code === 'ERR_MISSING_PASSPHRASE' || /interrupted or cancelled/i.test(err.message ?? '')) {
    return hasPassphrase ? 'the passphrase is wrong' : 'the key is encrypted; enter its passphrase';
  }
  if (/bad decrypt|wrong password|decrypt/i.test(err.message ?? '')) {
    return hasPassphrase ? 'the passphrase is wrong' : 'the key is encrypted; enter its passphrase';
  }
  return `it is not a private key Framescope can read (PEM or DER PKCS#8/PKCS#1/SEC1): ${err.message}`;
}

function readPrivateKey(buf: Buffer, passphrase: string | undefined): KeyObject {
  if (buf.includes('-----BEGIN')) return createPrivateKey({ key: buf, format: 'pem', passphrase });
  const attempts: Array<'pkcs8' | 'pkcs1' | 'sec1'> = ['pkcs8', 'pkcs1', 'sec1'];
  let last: unknown;
  for (const type of attempts) {
    try {
      return createPrivateKey({ key: buf, format: 'der', type, passphrase });
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/**
 * Reads and checks the files named in the TLS settings. Every failure names the file
 * and says what is wrong: "cannot read CA file /x: no such file", "key file /k: the
 * passphrase is wrong", "certificate /c and key /k do not belong together".
 */
export async function loadTlsMaterial(settings: TlsSettings, read: ReadFile = readFile, now: () => number = Date.now): Promise<TlsResult> {
  const out: TlsMaterial = { rejectUnauthorized: settings.verify, warnings: [] };
  if (settings.serverName !== undefined) out.servername = settings.serverName;

  const load = async (label: string, path: string): Promise<{ ok: true; buf: Buffer } | { ok: false; error: string }> => {
    try {
      const buf = await read(path);
      if (buf.length === 0) return { ok: false, error: `${label} ${path} is empty` };
      return { ok: true, buf };
    } catch (e) {
      return { ok: false, error: `cannot read ${label} ${path}: ${describeFsError(e)}` };
    }
  };

  const expiryWarning = (label: string, path: string, certs: X509Certificate[]) => {
    const leaf = certs[0];
    if (leaf !== undefined && Date.parse(leaf.validTo) < now()) out.warnings.push(`${label} ${path} expired on ${leaf.validTo}`);
    if (leaf !== undefined && Date.parse(leaf.validFrom) > now()) out.warnings.push(`${label} ${path} is not valid before ${leaf.validFrom}`);
  };

  if (settings.caFile !== undefined) {
    const f = await load('CA file', settings.caFile);
    if (!f.ok) return f;
    const certs = certificatesFrom(f.buf, 'CA file', settings.caFile);
    if (!certs.ok) return certs;
    out.ca = certs.pems;
    if (!settings.verify) out.warnings.push('a CA file is set but certificate verification is off, so it has no effect');
  }

  if (settings.certFile !== undefined || settings.keyFile !== undefined) {
    if (settings.certFile === undefined || settings.keyFile === undefined) {
      return { ok: false, error: 'a client certificate needs both tls.certFile and tls.keyFile' };
    }
    const cf = await load('certificate file', settings.certFile);
    if (!cf.ok) return cf;
    const certs = certificatesFrom(cf.buf, 'certificate file', settings.certFile);
    if (!certs.ok) return certs;
    const kf = await load('key file', settings.keyFile);
    if (!kf.ok) return kf;
    let key: KeyObject;
    // PKCS#8 "ENCRYPTED PRIVATE KEY" (RFC 5958 §3) or legacy OpenSSL "Proc-Type: 4,ENCRYPTED".
    if (settings.passphrase === undefined && /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(kf.buf.toString('latin1'))) {
      return { ok: false, error: `key file ${settings.keyFile}: the key is encrypted; enter its passphrase` };
    }
    try {
      key = readPrivateKey(kf.buf, settings.passphrase);
    } catch (e) {
      return { ok: false, error: `key file ${settings.keyFile}: ${describeKeyError(e, settings.passphrase !== undefined)}` };
    }
    if (!certs.certs[0].checkPrivateKey(key)) {
      return { ok: false, error: `certificate file ${settings.certFile} and key file ${settings.keyFile} do not belong together (the key does not match the certificate's public key)` };
    }
    expiryWarning('client certificate', settings.certFile, certs.certs);
    out.cert = certs.pems.join('');
    out.key = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  }

  if (settings.pfxFile !== undefined) {
    const pf = await load('PKCS#12 file', settings.pfxFile);
    if (!pf.ok) return pf;
    try {
      // The cheapest complete check: OpenSSL parses and decrypts the bundle here.
      tls.createSecureContext({ pfx: pf.buf, passphrase: settings.passphrase });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const why = /mac verify|password|decrypt/i.test(msg)
        ? settings.passphrase === undefined
          ? 'it is protected by a passphrase; enter it'
          : 'the passphrase is wrong'
        : `it is not a PKCS#12 (.pfx/.p12) file OpenSSL can read (${msg})`;
      return { ok: false, error: `PKCS#12 file ${settings.pfxFile}: ${why}` };
    }
    out.pfx = pf.buf;
    if (settings.passphrase !== undefined) out.passphrase = settings.passphrase;
  }
  return { ok: true, value: out };
}
