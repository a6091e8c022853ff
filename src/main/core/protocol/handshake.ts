/**
 * The opening handshake (RFC 6455 §4) without I/O: parse HTTP/1.x heads from
 * bytes, check an upgrade request the way a server must (§4.2.1), check an
 * upgrade response the way a client must (§4.1), and explain refusals.
 *
 * Heads are parsed from raw bytes so that a capture can show exactly what was
 * sent, including the headers' original spelling and order, and so that the
 * bytes after the head (frames that arrived in the same packet as the 101) can
 * be handed on to the frame decoder.
 */
import { createHash } from 'node:crypto';
import {
  PERMESSAGE_DEFLATE,
  deflateResponseAcceptsOffer,
  isToken,
  parseExtensions,
  validatePermessageDeflate,
  type ExtensionOffer,
  type PermessageDeflateElement,
} from './extensions';
import type { PermessageDeflateParams } from './permessage-deflate-params';

/** RFC 6455 §1.3 / §4.2.2: the GUID appended to Sec-WebSocket-Key. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** RFC 6455 §4.1 / §4.2.1: the only version this protocol defines. */
export const WEBSOCKET_VERSION = '13';
/** Default bound on a head; Node's own http parser stops at 16 KiB. */
export const DEFAULT_MAX_HEAD_BYTES = 64 * 1024;

/** Header fields in wire order, names in their original case. */
export type HeaderList = Array<[name: string, value: string]>;

export interface HttpRequestHead {
  method: string;
  target: string;
  /** e.g. "1.1" */
  httpVersion: string;
  versionMajor: number;
  versionMinor: number;
  headers: HeaderList;
  /** Bytes the head occupies, final empty line included: leftover bytes start here. */
  headLength: number;
  /** Tolerated deviations (bare LF, obs-fold, leading empty lines). */
  warnings: string[];
}

export interface HttpResponseHead {
  httpVersion: string;
  versionMajor: number;
  versionMinor: number;
  status: number;
  reason: string;
  headers: HeaderList;
  headLength: number;
  warnings: string[];
}

/**
 * `incomplete: true` means the end of the head has not arrived yet (push more
 * bytes); `incomplete: false` means the bytes can never become a valid head.
 */
export type HeadParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; incomplete: boolean; error: string };

export interface HeadParseOptions {
  maxHeadBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

function latin1(bytes: Uint8Array): string {
  // HTTP field values are octets (RFC 9110 §5.5); latin1 maps each to one char.
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 4096)));
  }
  return s;
}

function toBytes(input: Uint8Array | string): Uint8Array {
  // A string is taken to be what a person typed; UTF-8 is what would go on the wire.
  return typeof input === 'string' ? new TextEncoder().encode(input) : input;
}

type Lines = { ok: true; start: string; fields: string[]; headLength: number; warnings: string[] };

function splitHead(bytes: Uint8Array, maxHeadBytes: number): Lines | { ok: false; incomplete: boolean; error: string } {
  const lines: string[] = [];
  const warnings: string[] = [];
  let lineStart = 0;
  let bareLf = false;
  for (let i = 0; i < bytes.length; i++) {
    if (i >= maxHeadBytes) {
      return { ok: false, incomplete: false, error: `no end of the HTTP head within ${maxHeadBytes} bytes` };
    }
    if (bytes[i] !== LF) continue;
    let end = i;
    if (end > lineStart && bytes[end - 1] === CR) end--;
    else bareLf = true;
    const lineBytes = bytes.subarray(lineStart, end);
    if (lineBytes.includes(CR)) {
      // RFC 9112 §2.2: a bare CR must be treated as invalid (or replaced; we refuse).
      return { ok: false, incomplete: false, error: `bare CR inside line ${lines.length + 1} of the HTTP head (RFC 9112 §2.2)` };
    }
    const line = latin1(lineBytes);
    lineStart = i + 1;
    if (line === '') {
      if (lines.length === 0) {
        // RFC 9112 §2.2: "SHOULD ignore at least one empty line (CRLF) received prior to the request-line".
        warnings.push('empty line before the start line ignored (RFC 9112 §2.2)');
        continue;
      }
      if (bareLf) warnings.push('lines end in a bare LF instead of CRLF (RFC 9112 §2.2 tolerates it)');
      return { ok: true, start: lines[0], fields: lines.slice(1), headLength: i + 1, warnings };
    }
    lines.push(line);
  }
  if (bytes.length >= maxHeadBytes) {
    return { ok: false, incomplete: false, error: `no end of the HTTP head within ${maxHeadBytes} bytes` };
  }
  return { ok: false, incomplete: true, error: 'the HTTP head has not ended yet (no empty line)' };
}

function parseFields(fields: string[], warnings: string[]): { ok: true; headers: HeaderList } | { ok: false; error: string } {
  const headers: HeaderList = [];
  for (const line of fields) {
    if (line[0] === ' ' || line[0] === '\t') {
      // RFC 9112 §5.2: obs-fold; a recipient may replace it with SP.
      const last = headers[headers.length - 1];
      if (!last) return { ok: false, error: 'the first header line starts with whitespace (RFC 9112 §2.2)' };
      last[1] = `${last[1]} ${line.trim()}`.trim();
      warnings.push(`obsolete line folding in "${last[0]}" unfolded (RFC 9112 §5.2)`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, error: `header line without a name and colon: ${JSON.stringify(line)}` };
    const name = line.slice(0, colon);
    // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon."
    if (!isToken(name)) return { ok: false, error: `invalid header name ${JSON.stringify(name)} (RFC 9112 §5.1)` };
    headers.push([name, line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')]);
  }
  return { ok: true, headers };
}

const VERSION = /^HTTP\/(\d)\.(\d)$/;

/** Parses "GET /path HTTP/1.1\r\nHeader: value\r\n\r\n" from the start of `input`. */
export function parseHttpRequestHead(input: Uint8Array | string, options: HeadParseOptions = {}): HeadParseResult<HttpRequestHead> {
  const split = splitHead(toBytes(input), options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES);
  if (!split.ok) return split;
  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
  const parts = split.start.split(' ');
  if (parts.length !== 3) {
    return { ok: false, incomplete: false, error: `malformed request line ${JSON.stringify(split.start)} (RFC 9112 §3)` };
  }
  const [method, target, version] = parts;
  const v = VERSION.exec(version);
  if (!isToken(method) || target === '' || !v) {
    return { ok: false, incomplete: false, error: `malformed request line ${JSON.stringify(split.start)} (RFC 9112 §3)` };
  }
  const warnings = split.warnings;
  const fields = parseFields(split.fields, warnings);
  if (!fields.ok) return { ok: false, incomplete: false, error: fields.error };
  return {
    ok: true,
    value: {
      method,
      target,
      httpVersion: `${v[1]}.${v[2]}`,
      versionMajor: +v[1],
      versionMinor: +v[2],
      headers: fields.headers,
      headLength: split.headLength,
      warnings,
    },
  };
}

/** Parses "HTTP/1.1 101 Switching Protocols\r\n...\r\n\r\n" from the start of `input`. */
export function parseHttpResponseHead(input: Uint8Array | string, options: HeadParseOptions = {}): HeadParseResult<HttpResponseHead> {
  const split = splitHead(toBytes(input), options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES);
  if (!split.ok) return split;
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  // (a missing SP before an empty reason is tolerated, as most clients do).
  const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(split.start);
  if (!m) return { ok: false, incomplete: false, error: `malformed status line ${JSON.stringify(split.start)} (RFC 9112 §4)` };
  const warnings = split.warnings;
  const fields = parseFields(split.fields, warnings);
  if (!fields.ok) return { ok: false, incomplete: false, error: fields.error };
  return {
    ok: true,
    value: {
      httpVersion: `${m[1]}.${m[2]}`,
      versionMajor: +m[1],
      versionMinor: +m[2],
      status: +m[3],
      reason: m[4] ?? '',
      headers: fields.headers,
      headLength: split.headLength,
      warnings,
    },
  };
}

// ---------------------------------------------------------------------------
// Header helpers

/** Turns Node's `rawHeaders` ([name, value, name, value, ...]) into a HeaderList. */
export function headersFromRaw(rawHeaders: readonly string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out.push([rawHeaders[i], rawHeaders[i + 1]]);
  return out;
}

export type HeaderInput = HeaderList | Readonly<Record<string, string | string[] | number | undefined>>;

export function toHeaderList(headers: HeaderInput): HeaderList {
  if (Array.isArray(headers)) return headers;
  const out: HeaderList = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, String(v)]);
  }
  return out;
}

/** Every value of the field `name` (ASCII case-insensitive, RFC 9110 §5.1), in order. */
export function headerValues(headers: HeaderInput, name: string): string[] {
  const lower = name.toLowerCase();
  return toHeaderList(headers)
    .filter(([n]) => n.toLowerCase() === lower)
    .map(([, v]) => v);
}

/** The field's values combined as one comma-separated list (RFC 9110 §5.3), or undefined. */
export function headerValue(headers: HeaderInput, name: string): string | undefined {
  const values = headerValues(headers, name);
  return values.length === 0 ? undefined : values.join(', ');
}

/** Elements of a comma-separated list, trimmed, empty elements dropped (RFC 9110 §5.6.1). */
export function listTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

const hasToken = (value: string | undefined, token: string): boolean =>
  listTokens(value).some((t) => t.toLowerCase() === token.toLowerCase());

/**
 * RFC 6455 §4.2.2 step 5.4: base64(SHA-1(key + GUID)), where key is the header
 * value as sent (not base64-decoded).
 */
export function computeAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/**
 * RFC 6455 §4.1: the nonce is 16 random bytes, base64-encoded; the encoding of
 * 16 bytes is exactly 22 base64 characters followed by "==".
 */
export function isValidKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(key);
}

export function formatHead(startLine: string, headers: HeaderList): string {
  return `${startLine}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
}

// ---------------------------------------------------------------------------
// Checklists

export interface HandshakeCheck {
  id: string;
  label: string;
  pass: boolean;
  /** What was found, in words. */
  detail: string;
  /** The rule this check enforces, e.g. "RFC 6455 §4.2.1 item 6". */
  rule: string;
}

export interface HandshakeAnswer {
  status: number;
  reason: string;
  headers: HeaderList;
  /** A short text body explaining a refusal; empty for 101. */
  body: string;
}

export interface UpgradeRequestVerdict {
  ok: boolean;
  checks: HandshakeCheck[];
  /** The first failing check, if any. */
  failed?: HandshakeCheck;
  /**
   * What a server should answer: 101 with Sec-WebSocket-Accept when every check
   * passes, otherwise the refusal for the first failure.
   */
  answer: HandshakeAnswer;
}

/** The parts of a request the checks look at (an HttpRequestHead fits, and so does Node's req). */
export interface UpgradeRequestLike {
  method: string;
  target?: string;
  httpVersion: string;
  headers: HeaderInput;
}

function versionAtLeast11(httpVersion: string): { ok: boolean; parsed: boolean } {
  const m = /^(\d+)\.(\d+)$/.exec(httpVersion);
  if (!m) return { ok: false, parsed: false };
  const major = +m[1];
  const minor = +m[2];
  return { ok: major > 1 || (major === 1 && minor >= 1), parsed: true };
}

/**
 * The server-side checks of RFC 6455 §4.2.1. The server "MUST stop processing
 * the client's handshake and return an HTTP response with an appropriate error
 * code (such as 400 Bad Request)" when any fails. Two failures have a more
 * specific answer:
 *  - a wrong Sec-WebSocket-Version: 426 Upgrade Required with a
 *    Sec-WebSocket-Version header listing the versions understood (RFC 6455
 *    §4.2.2 /version/, §4.4);
 *  - a method other than GET: 405 Method Not Allowed, which RFC 9110 §15.5.6
 *    defines for exactly this and which requires an Allow header (`ws` answers
 *    the same).
 */
export function checkUpgradeRequest(req: UpgradeRequestLike): UpgradeRequestVerdict {
  const headers = toHeaderList(req.headers);
  const checks: HandshakeCheck[] = [];
  const add = (id: string, label: string, pass: boolean, detail: string, rule: string): void => {
    checks.push({ id, label, pass, detail, rule });
  };

  add(
    'method',
    'Method is GET',
    req.method === 'GET',
    req.method === 'GET' ? 'GET' : `the method is ${JSON.stringify(req.method)}, not GET`,
    'RFC 6455 §4.2.1 item 1',
  );

  const target = req.target;
  if (target !== undefined) {
    // RFC 6455 §4.2.1 item 1 / §3: a Request-URI that is the resource name (origin
    // form, starting with "/") or an absolute http(s)/ws(s) URI holding it.
    const targetOk = target.startsWith('/') || /^(?:https?|wss?):\/\/[^\s]+$/i.test(target);
    add(
      'request-target',
      'Request-URI names a resource',
      targetOk,
      targetOk ? target : `the request target ${JSON.stringify(target)} is neither a path nor an absolute URI`,
      'RFC 6455 §4.2.1 item 1, §3',
    );
  }

  const v = versionAtLeast11(req.httpVersion);
  add(
    'http-version',
    'HTTP/1.1 or higher',
    v.ok,
    v.ok ? `HTTP/${req.httpVersion}` : v.parsed ? `HTTP/${req.httpVersion} is older than HTTP/1.1` : `unreadable HTTP version ${JSON.stringify(req.httpVersion)}`,
    'RFC 6455 §4.2.1 item 1',
  );

  const hosts = headerValues(headers, 'host');
  const hostOk = hosts.length === 1 && hosts[0] !== '' && !/[\s,]/.test(hosts[0]);
  add(
    'host',
    'Host header present',
    hostOk,
    hosts.length === 0
      ? 'no Host header'
      : hosts.length > 1
        ? `${hosts.length} Host headers; exactly one is allowed (RFC 9112 §3.2)`
        : hostOk
          ? hosts[0]
          : `invalid Host value ${JSON.stringify(hosts[0])}`,
    'RFC 6455 §4.2.1 item 2; RFC 9112 §3.2',
  );

  const upgrade = headerValue(headers, 'upgrade');
  const upgradeOk = hasToken(upgrade, 'websocket');
  add(
    'upgrade',
    'Upgrade includes "websocket"',
    upgradeOk,
    upgrade === undefined ? 'no Upgrade header' : upgradeOk ? upgrade : `Upgrade is ${JSON.stringify(upgrade)}, without "websocket"`,
    'RFC 6455 §4.2.1 item 3 (ASCII case-insensitive)',
  );

  const connection = headerValue(headers, 'connection');
  const connectionOk = hasToken(connection, 'upgrade');
  add(
    'connection',
    'Connection includes the "Upgrade" token',
    connectionOk,
    connection === undefined
      ? 'no Connection header'
      : connectionOk
        ? connection
        : `Connection is ${JSON.stringify(connection)}, without the token "Upgrade"`,
    'RFC 6455 §4.2.1 item 4 (ASCII case-insensitive token)',
  );

  const keys = headerValues(headers, 'sec-websocket-key');
  let keyDetail: string;
  let keyOk = false;
  if (keys.length === 0) keyDetail = 'no Sec-WebSocket-Key header';
  else if (keys.length > 1) keyDetail = `${keys.length} Sec-WebSocket-Key headers; it must appear once (RFC 6455 §11.3.1)`;
  else if (isValidKey(keys[0])) {
    keyOk = true;
    keyDetail = `${keys[0]} (16 bytes)`;
  } else {
    const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(keys[0]) && keys[0].length % 4 === 0 ? Buffer.from(keys[0], 'base64').length : -1;
    keyDetail =
      decoded >= 0
        ? `${JSON.stringify(keys[0])} decodes to ${decoded} bytes, not 16`
        : `${JSON.stringify(keys[0])} is not valid base64`;
  }
  add('key', 'Sec-WebSocket-Key is 16 bytes, base64', keyOk, keyDetail, 'RFC 6455 §4.2.1 item 5');

  const version = headerValue(headers, 'sec-websocket-version');
  const versionOk = version === WEBSOCKET_VERSION;
  add(
    'version',
    'Sec-WebSocket-Version is 13',
    versionOk,
    version === undefined ? 'no Sec-WebSocket-Version header' : versionOk ? version : `Sec-WebSocket-Version is ${JSON.stringify(version)}`,
    'RFC 6455 §4.2.1 item 6',
  );

  const failed = checks.find((c) => !c.pass);
  if (failed) return { ok: false, checks, failed, answer: refusalFor(failed) };
  const key = keys[0];
  return {
    ok: true,
    checks,
    answer: {
      status: 101,
      reason: 'Switching Protocols',
      headers: [
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', computeAccept(key)],
      ],
      body: '',
    },
  };
}

function refusalFor(failed: HandshakeCheck): HandshakeAnswer {
  const body = `${failed.label}: ${failed.detail} (${failed.rule})`;
  switch (failed.id) {
    case 'method':
      // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
      return { status: 405, reason: 'Method Not Allowed', headers: [['Allow', 'GET']], body };
    case 'version':
      // RFC 6455 §4.2.2 /version/: "an appropriate HTTP error code (such as 426 Upgrade Required)
      // and a |Sec-WebSocket-Version| header field indicating the version(s) the server is capable of understanding".
      return {
        status: 426,
        reason: 'Upgrade Required',
        headers: [['Sec-WebSocket-Version', WEBSOCKET_VERSION]],
        body,
      };
    default:
      // RFC 6455 §4.2.1: "an appropriate error code (such as 400 Bad Request)".
      return { status: 400, reason: 'Bad Request', headers: [], body };
  }
}

/** Serialises an answer as the bytes a server would write (with Content-Length and Connection: close for refusals). */
export function formatAnswer(answer: HandshakeAnswer): string {
  const headers: HeaderList = [...answer.headers];
  if (answer.status !== 101) {
    headers.push(
      ['Connection', 'close'],
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(new TextEncoder().encode(answer.body).length)],
    );
  }
  return formatHead(`HTTP/1.1 ${answer.status} ${answer.reason}`, headers) + answer.body;
}

export interface UpgradeResponseExpectations {
  /** The Sec-WebSocket-Key the client sent. */
  key: string;
  /** Subprotocols the client offered in Sec-WebSocket-Protocol. */
  offeredProtocols?: readonly string[];
  /** The client's Sec-WebSocket-Extensions, as the header value or parsed. */
  offeredExtensions?: string | readonly ExtensionOffer[];
}

export interface UpgradeResponseVerdict {
  ok: boolean;
  checks: HandshakeCheck[];
  failed?: HandshakeCheck;
  /** What the handshake settled on, as far as it could be read. */
  negotiated: {
    protocol: string | null;
    extensions: ExtensionOffer[];
    deflate: PermessageDeflateParams | null;
  };
}

/** The parts of a response the checks look at (an HttpResponseHead fits). */
export interface UpgradeResponseLike {
  status: number;
  headers: HeaderInput;
}

/**
 * The client-side checks of RFC 6455 §4.1 ("If the server's response does not
 * conform ... the client MUST _Fail the WebSocket Connection_"), plus RFC 7692
 * §7.1 validation of an accepted permessage-deflate.
 */
export function checkUpgradeResponse(res: UpgradeResponseLike, expect: UpgradeResponseExpectations): UpgradeResponseVerdict {
  const headers = toHeaderList(res.headers);
  const checks: HandshakeCheck[] = [];
  const add = (id: string, label: string, pass: boolean, detail: string, rule: string): void => {
    checks.push({ id, label, pass, detail, rule });
  };
  const negotiated: UpgradeResponseVerdict['negotiated'] = { protocol: null, extensions: [], deflate: null };

  add(
    'status',
    'Status is 101 Switching Protocols',
    res.status === 101,
    res.status === 101 ? '101' : `status ${res.status}: ${describeRefusal(res.status, headers)}`,
    'RFC 6455 §4.1 (response item 1)',
  );

  // Response item 2: "an ASCII case-insensitive match for the value 'websocket'" — the
  // whole value, unlike the request's "includes".
  const upgrade = headerValue(headers, 'upgrade');
  const upgradeOk = upgrade !== undefined && upgrade.trim().toLowerCase() === 'websocket';
  add(
    'upgrade',
    'Upgrade is "websocket"',
    upgradeOk,
    upgrade === undefined ? 'no Upgrade header' : upgradeOk ? upgrade : `Upgrade is ${JSON.stringify(upgrade)}`,
    'RFC 6455 §4.1 (response item 2)',
  );

  const connection = headerValue(headers, 'connection');
  const connectionOk = hasToken(connection, 'upgrade');
  add(
    'connection',
    'Connection includes the "Upgrade" token',
    connectionOk,
    connection === undefined ? 'no Connection header' : connectionOk ? connection : `Connection is ${JSON.stringify(connection)}`,
    'RFC 6455 §4.1 (response item 3)',
  );

  const accepts = headerValues(headers, 'sec-websocket-accept');
  const expected = computeAccept(expect.key);
  const acceptOk = accepts.length === 1 && accepts[0] === expected;
  add(
    'accept',
    'Sec-WebSocket-Accept matches the key',
    acceptOk,
    accepts.length === 0
      ? `no Sec-WebSocket-Accept header (expected ${expected})`
      : accepts.length > 1
        ? `${accepts.length} Sec-WebSocket-Accept headers; it must appear once (RFC 6455 §11.3.3)`
        : acceptOk
          ? accepts[0]
          : `got ${accepts[0]}, expected ${expected} for key ${expect.key}`,
    'RFC 6455 §4.1 (response item 4)',
  );

  const offeredProtocols = expect.offeredProtocols ?? [];
  const protocols = headerValues(headers, 'sec-websocket-protocol');
  let protocolOk = true;
  let protocolDetail: string;
  if (protocols.length === 0) {
    // RFC 6455 §4.2.2 /subprotocol/: a server that picks none sends no header; that is valid.
    protocolDetail =
      offeredProtocols.length === 0
        ? 'none offered, none selected'
        : `the server selected none of ${offeredProtocols.join(', ')} (allowed; the ws library's client refuses this)`;
  } else if (protocols.length > 1 || listTokens(protocols[0]).length !== 1) {
    protocolOk = false;
    protocolDetail = `the server named several subprotocols (${protocols.join(', ')}); it must select one (RFC 6455 §4.2.2, §11.3.4)`;
  } else if (!offeredProtocols.includes(protocols[0])) {
    protocolOk = false;
    protocolDetail =
      offeredProtocols.length === 0
        ? `the server selected "${protocols[0]}" but none was offered`
        : `the server selected "${protocols[0]}", which is not among ${offeredProtocols.join(', ')}`;
  } else {
    negotiated.protocol = protocols[0];
    protocolDetail = protocols[0];
  }
  add('protocol', 'Subprotocol is one the client offered', protocolOk, protocolDetail, 'RFC 6455 §4.1 (response item 6)');

  const ext = checkResponseExtensions(headerValue(headers, 'sec-websocket-extensions'), expect.offeredExtensions, negotiated);
  add('extensions', 'Extensions were offered and their parameters are valid', ext.pass, ext.detail, 'RFC 6455 §4.1 (response item 5); RFC 7692 §7.1');

  const failed = checks.find((c) => !c.pass);
  return { ok: !failed, checks, failed, negotiated };
}

function checkResponseExtensions(
  header: string | undefined,
  offeredInput: string | readonly ExtensionOffer[] | undefined,
  negotiated: UpgradeResponseVerdict['negotiated'],
): { pass: boolean; detail: string } {
  if (header === undefined || header.trim() === '') return { pass: true, detail: 'no extensions in use' };
  const accepted = parseExtensions(header);
  if (!accepted.ok) return { pass: false, detail: accepted.error };
  let offered: readonly ExtensionOffer[] = [];
  if (typeof offeredInput === 'string') {
    const p = offeredInput.trim() === '' ? null : parseExtensions(offeredInput);
    if (p && !p.ok) return { pass: false, detail: `the offer itself is unreadable: ${p.error}` };
    offered = p ? p.value : [];
  } else if (offeredInput) {
    offered = offeredInput;
  }
  negotiated.extensions = accepted.value;
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const ext of accepted.value) {
    const offers = offered.filter((o) => o.name === ext.name);
    if (offers.length === 0) return { pass: false, detail: `the server uses "${ext.name}", which the client did not offer` };
    if (seen.has(ext.name)) {
      return { pass: false, detail: `"${ext.name}" is accepted more than once${ext.name === PERMESSAGE_DEFLATE ? '; each would claim RSV1 (RFC 7692 §5)' : ''}` };
    }
    seen.add(ext.name);
    if (ext.name !== PERMESSAGE_DEFLATE) {
      notes.push(`${ext.name} (parameters not checked: unknown extension)`);
      continue;
    }
    const response = validatePermessageDeflate(ext, 'response');
    if (!response.ok) return { pass: false, detail: response.error };
    // The response must accept one of the offers (a client may offer several, in preference order).
    const reasons: string[] = [];
    let matched: PermessageDeflateElement | null = null;
    for (const o of offers) {
      const offer = validatePermessageDeflate(o, 'offer');
      if (!offer.ok) {
        reasons.push(`offer invalid: ${offer.error}`);
        continue;
      }
      const m = deflateResponseAcceptsOffer(offer.value, response.value);
      if (m.ok) {
        matched = offer.value;
        break;
      }
      reasons.push(m.error);
    }
    if (!matched) return { pass: false, detail: `the ${PERMESSAGE_DEFLATE} response accepts none of the offers: ${reasons.join('; ')}` };
    negotiated.deflate = response.value.params;
    const p = response.value.params;
    notes.push(
      `${PERMESSAGE_DEFLATE} (server window ${p.serverMaxWindowBits} bits${p.serverNoContextTakeover ? ', no server context takeover' : ''}; ` +
        `client window ${p.clientMaxWindowBits} bits${p.clientNoContextTakeover ? ', no client context takeover' : ''})`,
    );
  }
  return { pass: true, detail: notes.join('; ') };
}

// ---------------------------------------------------------------------------
// Refusals in words

function looksBinary(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // C0 controls other than whitespace, or U+FFFD from undecodable bytes.
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffd) return true;
  }
  return false;
}

function bodyText(body: Uint8Array | string | undefined): string {
  if (body === undefined) return '';
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: false }).decode(body);
  const flat = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  if (flat === '' || looksBinary(flat)) return '';
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date. */
function retryAfter(value: string | undefined): string {
  if (value === undefined) return '';
  const v = value.trim();
  if (/^\d+$/.test(v)) return ` It asks to retry after ${v} second${v === '1' ? '' : 's'}.`;
  const t = Date.parse(v);
  return Number.isNaN(t) ? ` It sent Retry-After: ${v}.` : ` It asks to retry after ${new Date(t).toISOString()}.`;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * A sentence a person understands for an answer to an upgrade request that is
 * not 101 — what the status means for a WebSocket connection and what to try,
 * with the server's own words from the body when it sent readable text.
 */
export function describeRefusal(status: number, headers: HeaderInput = [], body?: Uint8Array | string): string {
  const h = toHeaderList(headers);
  const name = STATUS_TEXT[status] ? `${status} ${STATUS_TEXT[status]}` : `status ${status}`;
  const said = bodyText(body);
  const saidPart = said ? ` The server said: "${said}".` : '';
  const retry = retryAfter(headerValue(h, 'retry-after'));
  let s: string;
  if (status === 101) {
    s = 'The server accepted the upgrade (101 Switching Protocols).';
  } else if (status >= 100 && status < 200) {
    s = `The server sent an interim response (${name}) instead of switching protocols.`;
  } else if (status >= 200 && status < 300) {
    s = `The server answered ${name} as if this were an ordinary web request and did not switch to WebSocket; the URL probably points at a page or API rather than a WebSocket endpoint, or a proxy dropped the Upgrade header.`;
  } else if (status >= 300 && status < 400) {
    const location = headerValue(h, 'location');
    s = location
      ? `The server redirects (${name}) to ${location}; connect there instead, or enable following redirects.`
      : `The server answered with a redirect (${name}) but gave no Location to follow.`;
  } else if (status === 400) {
    const versions = headerValue(h, 'sec-websocket-version');
    s = `The server rejected the handshake as malformed (${name}).${versions ? ` It speaks WebSocket version ${versions}.` : ''}`;
  } else if (status === 401) {
    const scheme = headerValue(h, 'www-authenticate');
    s = `The server requires authentication (${name})${scheme ? ` using ${scheme.split(/[ ,]/)[0]}` : ''}; supply credentials (for example user:password@ in the URL, or a token).`;
  } else if (status === 403) {
    s = `The server refused this client (${name}); it may not allow this Origin, these credentials or this address.`;
  } else if (status === 404) {
    s = `There is no WebSocket endpoint at this path (${name}); check the URL's path.`;
  } else if (status === 405) {
    const allow = headerValue(h, 'allow');
    s = `The server does not accept this method for the upgrade (${name})${allow ? `; it allows ${allow}` : ''}. A WebSocket handshake must be a GET.`;
  } else if (status === 408) {
    s = `The server gave up waiting for the complete handshake (${name}).`;
  } else if (status === 426) {
    const versions = headerValue(h, 'sec-websocket-version');
    const upgrade = headerValue(h, 'upgrade');
    s = versions
      ? `The server does not speak the requested WebSocket version (${name}); it supports version ${versions}.`
      : `The server requires a protocol upgrade (${name})${upgrade ? ` to ${upgrade}` : ''}; the request was not a valid WebSocket upgrade.`;
  } else if (status === 429) {
    s = `The server is rate-limiting this client (${name}).`;
  } else if (status >= 400 && status < 500) {
    s = `The server refused the request (${name}).`;
  } else if (status === 503) {
    s = `The server is unavailable (${name}): it is at its connection limit or temporarily overloaded.`;
  } else if (status === 502 || status === 504) {
    s = `A gateway or proxy in front of the server could not reach it (${name}).`;
  } else if (status >= 500 && status < 600) {
    s = `The server failed while handling the upgrade (${name}).`;
  } else {
    s = `The server answered with an unusual status (${name}) instead of 101 Switching Protocols.`;
  }
  return s + retry + saidPart;
}
