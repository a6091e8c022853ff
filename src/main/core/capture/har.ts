/**
 * HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) for WebSocket connections,
 * in the shape Chrome DevTools exports them, so a Framescope capture opens in DevTools
 * (Network panel → Import HAR) and a DevTools export opens in Framescope.
 *
 * Chrome's WebSocket extension, from devtools-frontend front_end/models/har/Log.ts and
 * SDK NetworkRequest.addProtocolFrame:
 *   entry._resourceType       "websocket"
 *   entry._webSocketMessages  [{ type, time, opcode, data }]
 *     type    "send" | "receive" | "error" (error: a frame error Chrome reported, opcode -1)
 *     time    wall-clock seconds since the Unix epoch, as a float
 *     opcode  RFC 6455 §5.2 opcode of the message (1 text, 2 binary)
 *     data    opcode 1: the text itself; any other opcode: the payload in base64 — the
 *             CDP WebSocketFrame.payloadData rule ("if the opcode isn't 1, payloadData is
 *             a base64 encoded string representing binary data").
 * Chrome records messages, not control frames, so control frames (close/ping/pong) are
 * left out unless asked for; DevTools' importer accepts them if present.
 *
 * `time` in the entry and every `timings` value are milliseconds, -1 for "does not
 * apply" (HAR 1.2 §timings); send/wait/receive are never -1.
 *
 * Types are declared here rather than taken from @types/har-format, which is not a
 * dependency; they cover only what this writer and reader use.
 */
import { DEFAULT_REDACTOR, REDACTED, type Redactor } from '../../../shared/secrets';
import { parseBase64, describeJsonError } from '../client/payload-input';

export type HeaderPairs = Array<[string, string]>;

export interface HarTimings {
  blocked: number;
  dns: number;
  ssl: number;
  connect: number;
  send: number;
  wait: number;
  receive: number;
}

export type HarMessageType = 'send' | 'receive' | 'error';

/** One message: text (opcode 1, and errors) as a string, anything else as bytes. */
export interface HarMessage {
  type: HarMessageType;
  /** Seconds since the Unix epoch (float), Chrome's unit. */
  time: number;
  opcode: number;
  data: string | Uint8Array;
}

export interface HarConnection {
  url: string;
  /** Start of the opening handshake, ms since the Unix epoch. */
  startedAt: number;
  request: { method: string; httpVersion: string; headers: HeaderPairs };
  /** null when no HTTP response arrived (refused connection, timeout). */
  response: { status: number; statusText: string; httpVersion: string; headers: HeaderPairs; body?: { text: string; mimeType: string } } | null;
  timings: HarTimings;
  serverIPAddress?: string;
  connectionId?: string;
  /** Why the connection failed, e.g. "ECONNREFUSED" (Chrome's response._error). */
  error?: string;
  messages: HarMessage[];
}

/** What the writer needs; omitted parts get HAR's defaults. */
export interface HarConnectionInput {
  url: string;
  startedAt: number;
  request: { method?: string; httpVersion?: string; headers: HeaderPairs };
  response?: { status: number; statusText: string; httpVersion?: string; headers: HeaderPairs; body?: { text: string; mimeType: string } } | null;
  timings?: Partial<HarTimings>;
  serverIPAddress?: string;
  connectionId?: string;
  error?: string;
  messages: HarMessage[];
}

export interface HarWriteOptions {
  creator?: { name: string; version: string };
  /** Also write close/ping/pong (opcodes 8–10) and other non-data frames; Chrome does not. */
  includeControlFrames?: boolean;
  comment?: string;
  /** How secrets in headers and URLs are written (shared/secrets.ts); absent: all redacted. */
  secrets?: Redactor;
}

// Minimal HAR document types (HAR 1.2 plus Chrome's underscore fields).
export interface HarNameValue {
  name: string;
  value: string;
}
export interface HarWebSocketMessage {
  type: HarMessageType;
  time: number;
  opcode: number;
  data: string;
}
export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    headers: HarNameValue[];
    queryString: HarNameValue[];
    cookies: HarNameValue[];
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    headers: HarNameValue[];
    cookies: HarNameValue[];
    content: { size: number; mimeType: string; text?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
    _transferSize: number;
    _error: string | null;
  };
  cache: Record<string, never>;
  timings: HarTimings;
  serverIPAddress?: string;
  connection?: string;
  _resourceType: 'websocket';
  _webSocketMessages: HarWebSocketMessage[];
}
export interface HarDocument {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    pages: [];
    entries: HarEntry[];
    comment?: string;
  };
}

const DEFAULT_TIMINGS: HarTimings = { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0 };

const toPairs = (h: HeaderPairs): HarNameValue[] => h.map(([name, value]) => ({ name, value }));

function cookiesFrom(headers: HeaderPairs, headerName: 'cookie' | 'set-cookie'): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== headerName) continue;
    // Cookie: a=1; b=2 (RFC 6265 §4.2.1) — Set-Cookie: a=1; Path=/ (§4.1.1, one cookie per header).
    const parts = headerName === 'cookie' ? value.split(';') : [value.split(';')[0]];
    for (const part of parts) {
      const eq = part.indexOf('=');
      if (eq > 0) out.push({ name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
    }
  }
  return out;
}

/** Size of the head as it went over the wire: start line, headers, blank line. */
function headSize(startLine: string, headers: HeaderPairs): number {
  let n = Buffer.byteLength(startLine) + 2;
  for (const [name, value] of headers) n += Buffer.byteLength(name) + 2 + Buffer.byteLength(value) + 2;
  return n + 2;
}

function messageData(m: HarMessage): string {
  if (m.opcode === 1 || m.type === 'error') {
    // Invalid UTF-8 in a text message cannot be represented in a JSON string; it is
    // replaced by U+FFFD here (the capture itself keeps the bytes).
    return typeof m.data === 'string' ? m.data : new TextDecoder().decode(m.data);
  }
  const bytes = typeof m.data === 'string' ? Buffer.from(m.data, 'utf8') : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  return bytes.toString('base64');
}

function isDataOpcode(opcode: number): boolean {
  return opcode === 1 || opcode === 2; // RFC 6455 §5.6
}

export function buildHarEntry(c: HarConnectionInput, options: HarWriteOptions = {}): HarEntry {
  // A URL that does not parse (an imported file may hold one, "ws://[") is written as it came.
  const url = URL.canParse(c.url) ? new URL(c.url) : null;
  if (url) url.hash = ''; // Chrome drops the fragment (Log.ts _buildRequestURL); WebSocket URLs have none anyway.
  const method = c.request.method ?? 'GET';
  const httpVersion = c.request.httpVersion ?? 'HTTP/1.1';
  const timings: HarTimings = { ...DEFAULT_TIMINGS, ...c.timings };
  // HAR 1.2: entry.time is the sum of the applicable timings; ssl is already inside connect.
  const time = [timings.blocked, timings.dns, timings.connect, timings.send, timings.wait, timings.receive].reduce((a, t) => a + Math.max(t, 0), 0);
  const resp = c.response ?? null;
  const target = url ? `${url.pathname}${url.search}` : c.url;
  const entry: HarEntry = {
    startedDateTime: new Date(c.startedAt).toISOString(),
    time,
    request: {
      method,
      url: url?.href ?? c.url,
      httpVersion,
      headers: toPairs(c.request.headers),
      queryString: url ? [...url.searchParams].map(([name, value]) => ({ name, value })) : [],
      cookies: cookiesFrom(c.request.headers, 'cookie'),
      headersSize: headSize(`${method} ${target} ${httpVersion}`, c.request.headers),
      bodySize: 0,
    },
    response:
      resp === null
        ? {
            // What Chrome writes for a request that got no response.
            status: 0,
            statusText: '',
            httpVersion: '',
            headers: [],
            cookies: [],
            content: { size: 0, mimeType: 'x-unknown' },
            redirectURL: '',
            headersSize: -1,
            bodySize: -1,
            _transferSize: 0,
            _error: c.error ?? null,
          }
        : {
            status: resp.status,
            statusText: resp.statusText,
            httpVersion: resp.httpVersion ?? 'HTTP/1.1',
            headers: toPairs(resp.headers),
            cookies: cookiesFrom(resp.headers, 'set-cookie'),
            content:
              resp.body !== undefined
                ? { size: Buffer.byteLength(resp.body.text), mimeType: resp.body.mimeType, text: resp.body.text }
                : { size: 0, mimeType: 'x-unknown' },
            redirectURL: resp.headers.find(([n]) => n.toLowerCase() === 'location')?.[1] ?? '',
            headersSize: headSize(`${resp.httpVersion ?? 'HTTP/1.1'} ${resp.status} ${resp.statusText}`, resp.headers),
            bodySize: resp.body !== undefined ? Buffer.byteLength(resp.body.text) : 0,
            _transferSize: headSize(`${resp.httpVersion ?? 'HTTP/1.1'} ${resp.status} ${resp.statusText}`, resp.headers) + (resp.body !== undefined ? Buffer.byteLength(resp.body.text) : 0),
            _error: c.error ?? null,
          },
    cache: {},
    timings,
    _resourceType: 'websocket',
    _webSocketMessages: c.messages
      .filter((m) => m.type === 'error' || options.includeControlFrames === true || isDataOpcode(m.opcode))
      .map((m) => ({ type: m.type, time: m.time, opcode: m.type === 'error' ? -1 : m.opcode, data: messageData(m) })),
  };
  if (c.serverIPAddress !== undefined) entry.serverIPAddress = stripBrackets(c.serverIPAddress);
  if (c.connectionId !== undefined) entry.connection = c.connectionId;
  redactEntry(entry, options.secrets ?? DEFAULT_REDACTOR);
  return entry;
}

/**
 * Hides secrets in a built entry. Done last, on the entry's own fields, so the
 * sizes still count the bytes that went over the wire and the URLs keep the
 * text the person wrote (see shared/secrets.ts).
 */
function redactEntry(entry: HarEntry, secrets: Redactor): void {
  if (!secrets.redacting) return;
  const { request, response } = entry;
  request.url = secrets.url(request.url);
  request.headers = toPairs(secrets.headers(request.headers.map(({ name, value }) => [name, value])));
  request.queryString = request.queryString.map(({ name, value }) => ({ name, value: secrets.isSecretQueryParam(name) ? REDACTED : value }));
  // Cookie names say what was sent; their values are the secrets.
  if (secrets.isSecretHeader('cookie')) request.cookies = request.cookies.map(({ name }) => ({ name, value: REDACTED }));
  response.headers = toPairs(secrets.headers(response.headers.map(({ name, value }) => [name, value])));
  if (secrets.isSecretHeader('set-cookie')) response.cookies = response.cookies.map(({ name }) => ({ name, value: REDACTED }));
  response.redirectURL = secrets.url(response.redirectURL);
}

function stripBrackets(ip: string): string {
  // Log.ts: "IPv6 address should not have square brackets" (RFC 2373 §2.2 text form).
  return ip.replace(/^\[|\]$/g, '');
}

export function buildHar(connections: HarConnectionInput[], options: HarWriteOptions = {}): HarDocument {
  const doc: HarDocument = {
    log: {
      version: '1.2',
      creator: options.creator ?? { name: 'Framescope', version: 'unknown' },
      pages: [],
      entries: connections.map((c) => buildHarEntry(c, options)),
    },
  };
  if (options.comment !== undefined) doc.log.comment = options.comment;
  return doc;
}

/** Pretty-printed like DevTools' own export. */
export function serializeHar(doc: HarDocument): string {
  return JSON.stringify(doc, null, 2);
}

// ---------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------

export interface ParsedHar {
  creator: { name: string; version: string };
  connections: HarConnection[];
  /** How many entries were plain HTTP requests and were skipped. */
  skippedEntries: number;
  warnings: string[];
}

export type HarResult = { ok: true; value: ParsedHar } | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A field as text. Not String(v): a file can hold {"toString": false}, which makes
 * String() throw; an object or a list is written as its JSON.
 */
function textOf(v: unknown, fallback = ''): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function headerPairs(v: unknown): HeaderPairs {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((h) => [textOf(h.name), textOf(h.value)] as [string, string]);
}

function num(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

function isWebSocketEntry(e: Obj): boolean {
  if (e._resourceType === 'websocket' || Array.isArray(e._webSocketMessages)) return true;
  const url = isObj(e.request) ? e.request.url : undefined;
  return typeof url === 'string' && /^wss?:/i.test(url);
}

const MAX_WARNINGS = 20;

/**
 * Reads a HAR file (text or parsed JSON) and returns its WebSocket connections.
 * Lenient where DevTools' importer is (missing optional fields, unknown message types
 * are skipped with a warning), strict where a file cannot be a HAR at all.
 */
export function parseHar(input: string | unknown): HarResult {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch {
      const why = describeJsonError(input);
      return { ok: false, error: `not a HAR file: it is not valid JSON (${why?.error ?? 'cannot be parsed'})` };
    }
  }
  if (!isObj(doc)) return { ok: false, error: 'not a HAR file: the top level is not a JSON object' };
  const log = doc.log;
  if (!isObj(log)) return { ok: false, error: "not a HAR file: there is no 'log' object (a HAR file looks like {\"log\": {\"entries\": [...]}})" };
  if (!Array.isArray(log.entries)) return { ok: false, error: 'not a HAR file: log.entries is not a list' };

  const warnings: string[] = [];
  let suppressed = 0;
  const warn = (w: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push(w);
    else suppressed++;
  };
  if (log.version !== undefined && log.version !== '1.2' && log.version !== '1.1') warn(`log.version is '${textOf(log.version)}'; HAR 1.2 is expected`);
  const creator = isObj(log.creator) ? { name: textOf(log.creator.name), version: textOf(log.creator.version) } : { name: '', version: '' };

  const connections: HarConnection[] = [];
  let skippedEntries = 0;
  for (let i = 0; i < log.entries.length; i++) {
    const e: unknown = log.entries[i];
    const f = `log.entries[${i}]`;
    if (!isObj(e)) return { ok: false, error: `${f} is not an object` };
    if (!isWebSocketEntry(e)) {
      skippedEntries++;
      continue;
    }
    if (!isObj(e.request) || typeof e.request.url !== 'string') return { ok: false, error: `${f}.request.url is missing` };
    const started = typeof e.startedDateTime === 'string' ? Date.parse(e.startedDateTime) : NaN;
    if (Number.isNaN(started)) return { ok: false, error: `${f}.startedDateTime ${JSON.stringify(e.startedDateTime)} is not a date` };

    const t = isObj(e.timings) ? e.timings : {};
    const timings: HarTimings = {
      blocked: num(t.blocked, -1),
      dns: num(t.dns, -1),
      ssl: num(t.ssl, -1),
      connect: num(t.connect, -1),
      send: num(t.send, 0),
      wait: num(t.wait, 0),
      receive: num(t.receive, 0),
    };

    let response: HarConnection['response'] = null;
    let error: string | undefined;
    if (isObj(e.response)) {
      const r = e.response;
      if (typeof r._error === 'string' && r._error !== '') error = r._error;
      const status = num(r.status, 0);
      if (status > 0) {
        response = { status, statusText: textOf(r.statusText), httpVersion: textOf(r.httpVersion), headers: headerPairs(r.headers) };
        const content = isObj(r.content) ? r.content : undefined;
        if (content !== undefined && typeof content.text === 'string') {
          const text = content.encoding === 'base64' ? Buffer.from(content.text, 'base64').toString('utf8') : content.text;
          response.body = { text, mimeType: textOf(content.mimeType) };
        }
      }
    }

    const messages: HarMessage[] = [];
    const raw = Array.isArray(e._webSocketMessages) ? e._webSocketMessages : [];
    raw.forEach((m: unknown, k: number) => {
      const mf = `${f}._webSocketMessages[${k}]`;
      if (!isObj(m)) return warn(`${mf} is not an object; skipped`);
      if (m.type !== 'send' && m.type !== 'receive' && m.type !== 'error') return warn(`${mf} has type ${JSON.stringify(m.type)}; skipped`);
      const time = num(m.time, NaN);
      const opcode = num(m.opcode, NaN);
      if (Number.isNaN(time) || Number.isNaN(opcode) || typeof m.data !== 'string') return warn(`${mf} lacks time, opcode or data; skipped`);
      if (opcode === 1 || m.type === 'error') {
        messages.push({ type: m.type, time, opcode, data: m.data });
        return;
      }
      const bytes = parseBase64(m.data);
      if (bytes.ok) messages.push({ type: m.type, time, opcode, data: bytes.value });
      else {
        // Some other tools write binary messages as plain text; keep what is there.
        warn(`${mf} (opcode ${opcode}) is not base64 (${bytes.error}); its text is used as the payload`);
        messages.push({ type: m.type, time, opcode, data: new TextEncoder().encode(m.data) });
      }
    });

    const conn: HarConnection = {
      url: e.request.url,
      startedAt: started,
      request: { method: textOf(e.request.method, 'GET'), httpVersion: textOf(e.request.httpVersion), headers: headerPairs(e.request.headers) },
      response,
      timings,
      messages,
    };
    if (typeof e.serverIPAddress === 'string' && e.serverIPAddress !== '') conn.serverIPAddress = e.serverIPAddress;
    if (textOf(e.connection) !== '') conn.connectionId = textOf(e.connection);
    if (error !== undefined) conn.error = error;
    connections.push(conn);
  }
  if (connections.length === 0 && log.entries.length > 0) warn(`the file has ${log.entries.length} entries but none is a WebSocket connection`);
  if (suppressed > 0) warnings.push(`… and ${suppressed} more warnings`);
  return { ok: true, value: { creator, connections, skippedEntries, warnings } };
}
