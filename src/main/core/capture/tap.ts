/**
 * The capture tap: every byte a socket reads and writes, once, in order, with a
 * monotonic high-resolution timestamp.
 *
 * How it hooks in (instance properties only; prototypes are never touched):
 *  - Incoming: the instance's `push`. Node's stream_base `onStreamRead` hands
 *    each chunk read from the handle to `stream.push(buf)`, so wrapping `push`
 *    sees every wire chunk exactly once. `unshift` (which `ws` uses to give back
 *    the bytes that arrived after the HTTP head) goes through
 *    `readableAddChunk` directly, not through `push`, so those bytes are not
 *    counted twice — a plain 'data' listener would see them twice.
 *  - Outgoing: the instance's `_write` / `_writev`. Every `write()`, `end(chunk)`
 *    and corked batch (`ws`'s Sender corks a header and payload together) ends
 *    up in one of them with exactly the bytes handed to the handle. Wrapping the
 *    public `write` would miss `end(chunk)`, which `ws` uses to send refusals.
 *  - On a TLSSocket both carry plaintext; tap the TLSSocket, not the raw TCP
 *    socket beneath it.
 *
 * Timestamps are `process.hrtime.bigint()`: nanoseconds on a monotonic clock
 * with an arbitrary origin, so intervals are exact and immune to wall-clock
 * jumps. `tapTimeToEpochMs` converts one to milliseconds since the epoch.
 *
 * Incoming bytes are copied before they reach the sink unless the caller says
 * `copy: false`, because `ws` unmasks received payloads in place in the very
 * buffers the tap saw (Receiver → `unmask`), after the sink returned. A sink
 * may skip the copy when it is done with every masked byte before it returns
 * and keeps the rest only until the bytes that complete it arrive, as
 * ConnectionCapture does: its decoder copies a masked payload as it unmasks
 * it, and `ws` unmasks in place only payloads that lie whole inside one read,
 * which the decoder has already consumed by then (one spread over reads, `ws`
 * joins into a buffer of its own first).
 * Outgoing bytes are never copied: `ws` masks before it writes and never
 * touches a buffer after handing it to the socket, and nobody may, because
 * the handle can still be reading it (a write that did not complete at once
 * is queued by reference). A corked batch (`_writev`: `ws` corks a frame's
 * header and payload) is reported part by part, with one timestamp.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket from 'ws';
import {
  DEFAULT_MAX_HEAD_BYTES,
  parseHttpRequestHead,
  parseHttpResponseHead,
  type HttpRequestHead,
  type HttpResponseHead,
} from '../protocol/handshake';

export type TapDirection = 'in' | 'out';

export interface TapChunkInfo {
  /** Bytes rebuilt from parsed data, not seen on the wire (the server-side request head). */
  reconstructed?: true;
  /** Bytes already buffered in the socket, unread, when the tap attached. */
  preBuffered?: true;
}

export type TapSink = (direction: TapDirection, bytes: Uint8Array, timestampNs: bigint, info?: TapChunkInfo) => void;

/** Stops the tap; the socket keeps working. Safe to call more than once. */
export type Detach = () => void;

export interface TapOptions {
  /**
   * Copy incoming bytes before handing them to the sink (default true). False suits a sink
   * that is done with masked bytes when it returns, such as ConnectionCapture (see the module comment).
   */
  copy?: boolean;
}

/** The tap's clock. */
export const tapNow = (): bigint => process.hrtime.bigint();

// One anchor pairs the two clocks; later conversions add the monotonic delta, so
// a wall-clock step after start-up does not reorder captured chunks.
const anchorNs = process.hrtime.bigint();
const anchorEpochMs = performance.timeOrigin + performance.now();

/** Converts a tap timestamp to milliseconds since the Unix epoch (fractional). */
export function tapTimeToEpochMs(timestampNs: bigint): number {
  return anchorEpochMs + Number(timestampNs - anchorNs) / 1e6;
}

/** A real copy: Buffer#slice is a view (same memory), unlike Uint8Array#slice. */
const copyBytes = (b: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(b);

type Encoding = BufferEncoding | 'buffer' | undefined;

/** The bytes of a chunk pushed or written: the chunk itself (or a copy), or a string encoded as the socket encodes it. */
export function chunkBytes(chunk: unknown, encoding: Encoding, copy: boolean): Uint8Array | null {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, encoding && encoding !== 'buffer' ? encoding : 'utf8');
  }
  if (chunk instanceof Uint8Array) return copy ? copyBytes(chunk) : chunk;
  return null;
}

interface WritevEntry {
  chunk: unknown;
  encoding: Encoding;
}

type Hookable = Duplex & {
  _write(chunk: unknown, encoding: Encoding, cb: (err?: Error | null) => void): void;
  _writev?: ((chunks: WritevEntry[], cb: (err?: Error | null) => void) => void) | null;
  push(chunk: unknown, encoding?: Encoding): boolean;
};

function replaceMethod<K extends '_write' | '_writev' | 'push'>(
  target: Hookable,
  key: K,
  make: (orig: NonNullable<Hookable[K]>) => NonNullable<Hookable[K]>,
): () => void {
  const orig = target[key];
  if (typeof orig !== 'function') return () => {};
  const hadOwn = Object.prototype.hasOwnProperty.call(target, key);
  const wrapper = make(orig as NonNullable<Hookable[K]>);
  (target as Record<K, unknown>)[key] = wrapper;
  return () => {
    // Only unhook if nobody wrapped over us; otherwise the wrapper stays, inert.
    if (target[key] !== wrapper) return;
    if (hadOwn) (target as Record<K, unknown>)[key] = orig;
    else delete (target as Partial<Record<K, unknown>>)[key];
  };
}

/**
 * Bytes that were pushed into the readable buffer before the tap attached and
 * not yet read (e.g. when the tap is attached a tick after an 'upgrade'). This
 * peeks at Readable internals; where they have an unknown shape it returns
 * nothing rather than guess.
 */
function peekReadableBuffer(stream: Duplex): Uint8Array[] {
  if (stream.readableLength === 0) return [];
  const state = (stream as unknown as { _readableState?: { buffer?: unknown; bufferIndex?: number; objectMode?: boolean } })
    ._readableState;
  if (!state || state.objectMode) return [];
  const buffer = state.buffer;
  let items: unknown[] = [];
  if (Array.isArray(buffer)) items = buffer.slice(state.bufferIndex ?? 0);
  else if (buffer && typeof (buffer as Iterable<unknown>)[Symbol.iterator] === 'function') items = [...(buffer as Iterable<unknown>)];
  const out = items.filter((b): b is Uint8Array => b instanceof Uint8Array);
  const total = out.reduce((n, b) => n + b.length, 0);
  return total === stream.readableLength ? out : [];
}

/**
 * Taps a connected or connecting socket (net.Socket, tls.TLSSocket, or any
 * Duplex whose implementation pushes what it reads). Bytes still unread in the
 * socket's buffer when the tap attaches are reported first, as 'in' with
 * `preBuffered`.
 */
export function tapSocket(socket: Duplex, sink: TapSink, options: TapOptions = {}): Detach {
  const copy = options.copy ?? true;
  const s = socket as Hookable;
  let active = true;
  const emit = (direction: TapDirection, bytes: Uint8Array | null, info?: TapChunkInfo, time = tapNow()): void => {
    if (!active || bytes === null || bytes.length === 0) return;
    sink(direction, bytes, time, info);
  };

  for (const chunk of peekReadableBuffer(socket)) emit('in', copy ? copyBytes(chunk) : chunk, { preBuffered: true });

  const restores = [
    replaceMethod(s, 'push', (orig) =>
      function push(this: Hookable, chunk: unknown, encoding?: Encoding) {
        emit('in', chunkBytes(chunk, encoding, copy));
        return orig.call(this, chunk, encoding);
      },
    ),
    replaceMethod(s, '_write', (orig) =>
      function _write(this: Hookable, chunk: unknown, encoding: Encoding, cb: (err?: Error | null) => void) {
        emit('out', chunkBytes(chunk, encoding, false));
        return orig.call(this, chunk, encoding, cb);
      },
    ),
    replaceMethod(s, '_writev', (orig) =>
      function _writev(this: Hookable, chunks: WritevEntry[], cb: (err?: Error | null) => void) {
        // One writev is one hand-over to the handle: its parts, in order, at one time.
        if (active) {
          const time = tapNow();
          for (let i = 0; i < chunks.length; i++) emit('out', chunkBytes(chunks[i].chunk, chunks[i].encoding, false), undefined, time);
        }
        return orig.call(this, chunks, cb);
      },
    ),
  ];

  return () => {
    if (!active) return;
    active = false;
    for (const restore of restores) restore();
  };
}

// ---------------------------------------------------------------------------
// Server side

export interface ServerUpgradeTap {
  /** The request head rebuilt from `req` (already passed to the sink as 'in', `reconstructed`). */
  requestHead: Uint8Array;
  detach: Detach;
}

/**
 * Rebuilds the request head from what Node parsed: method, target, version and
 * `rawHeaders` (original case and order). Whitespace around values and obsolete
 * line folding are not preserved; everything else is as received.
 */
export function reconstructRequestHead(req: Pick<IncomingMessage, 'method' | 'url' | 'httpVersion' | 'rawHeaders'>): Uint8Array {
  let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
  // Node decodes header bytes as latin1; encode back the same way.
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/**
 * Call from an http(s) server's 'upgrade' handler, synchronously and before
 * `wss.handleUpgrade(req, socket, head, cb)`.
 *
 * Node's http server reads the request through its own parser (for plain TCP
 * it consumes the socket handle in C++), so the request head never passes the
 * tap; it is reconstructed from `req` and reported first. `head` — bytes that
 * followed the request in the same read, i.e. the start of the client's first
 * frames — is reported next, and the tap then sees everything that follows.
 * `ws` unshifts `head` into the socket, which the tap does not count again.
 */
export function tapServerUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
  sink: TapSink,
  options: TapOptions = {},
): ServerUpgradeTap {
  const copy = options.copy ?? true;
  const requestHead = reconstructRequestHead(req);
  const now = tapNow();
  sink('in', requestHead, now, { reconstructed: true });
  if (head.length > 0) sink('in', copy ? copyBytes(head) : head, now);
  const detach = tapSocket(socket, sink, options);
  return { requestHead, detach };
}

// ---------------------------------------------------------------------------
// Client side

export interface TappedConnectionOptions extends TapOptions {
  /** TLS (wss) or plain TCP (ws). */
  secure: boolean;
  /** Called with each socket created (a redirect creates a new one). */
  onSocket?: (socket: net.Socket, detach: Detach) => void;
}

/** What http.request passes to createConnection: its own options, i.e. ws's, loosely typed. */
type ConnectOptions = tls.ConnectionOptions & { socketPath?: string; path?: string; host?: string; port?: number };

/**
 * A `createConnection` for `ws`'s client (passed through to http/https.request)
 * that opens the socket itself and taps it before the first byte, so the raw
 * request head, response head and every frame are seen.
 *
 * It mirrors `ws`'s own netConnect/tlsConnect: `path` (the URL path in the
 * request options) must not reach `net.connect`, where it would mean a Unix
 * socket; for TLS the SNI `servername` defaults to the host unless it is an IP
 * address (RFC 6066 §3 forbids IP literals in SNI). All other TLS options
 * (ca, rejectUnauthorized, ...) pass through as ws passes them.
 *
 * Do not also give `ws` an `agent`: http.request ignores `createConnection`
 * when an agent is set.
 */
export function tappedCreateConnection(sink: TapSink, options: TappedConnectionOptions): typeof net.createConnection {
  const create = (opts: ConnectOptions): net.Socket => {
    let socket: net.Socket;
    if (options.secure) {
      const o: ConnectOptions = { ...opts, path: undefined };
      if (!o.servername && o.servername !== '') o.servername = net.isIP(o.host ?? '') ? '' : o.host;
      socket = tls.connect(o as tls.ConnectionOptions);
    } else {
      socket = net.connect({ ...opts, path: opts.socketPath } as net.NetConnectOpts);
    }
    const detach = tapSocket(socket, sink, options);
    options.onSocket?.(socket, detach);
    return socket;
  };
  return create as unknown as typeof net.createConnection;
}

export interface TappedWebSocket {
  websocket: WebSocket;
  /** The socket of the current connection, once created. */
  readonly socket: net.Socket | null;
  detach: Detach;
}

/**
 * Opens a `ws` client whose connection is tapped from the first byte.
 * `wsOptions.createConnection` and `wsOptions.agent` are overridden/ignored.
 */
export function connectTappedWebSocket(
  address: string | URL,
  sink: TapSink,
  init: { protocols?: string | string[]; wsOptions?: WebSocket.ClientOptions } & TapOptions = {},
): TappedWebSocket {
  const url = new URL(address);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  let current: net.Socket | null = null;
  const detaches: Detach[] = [];
  const createConnection = tappedCreateConnection(sink, {
    secure,
    copy: init.copy,
    onSocket: (socket, detach) => {
      current = socket;
      detaches.push(detach);
    },
  });
  const wsOptions: WebSocket.ClientOptions = { ...init.wsOptions, createConnection, agent: undefined };
  const websocket = new WebSocket(url, init.protocols, wsOptions);
  return {
    websocket,
    get socket() {
      return current;
    },
    detach: () => {
      for (const d of detaches) d();
    },
  };
}

// ---------------------------------------------------------------------------
// Splitting a direction's byte stream into handshake head and frame bytes (no I/O)

export type SplitEvent =
  | { type: 'request-head'; head: HttpRequestHead; bytes: Uint8Array; offset: number }
  | { type: 'response-head'; head: HttpResponseHead; bytes: Uint8Array; offset: number }
  /** Bytes for the frame decoder; `offset` is the position in this direction's stream, `frameOffset` from the first frame byte. */
  | { type: 'frames'; bytes: Uint8Array; offset: number; frameOffset: number }
  /** After a refused upgrade: HTTP body bytes, not frames. */
  | { type: 'body'; bytes: Uint8Array; offset: number }
  /** Bytes that are neither: the head could not be parsed. */
  | { type: 'unparsed'; error: string; bytes: Uint8Array; offset: number };

export type SplitterState = 'head' | 'frames' | 'body' | 'unparsed';

/**
 * One direction of a connection: an HTTP head (request or response), then,
 * after a 101, WebSocket frames. Frames may start in the same chunk as the head
 * (RFC 6455 §4.1 lets a server send frames right after its 101; a client that
 * sends frames before reading the 101 breaks §4.1, but it happens), so the
 * leftover is split off at the head's end.
 */
export class ByteStreamSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  private position = 0;
  private stateValue: SplitterState = 'head';
  private frameStart: number | null = null;
  private failure = '';

  constructor(
    readonly expect: 'request' | 'response',
    private readonly options: { maxHeadBytes?: number } = {},
  ) {}

  get state(): SplitterState {
    return this.stateValue;
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.position;
  }

  /** Stream offset of the first frame byte, once known. */
  get framesStart(): number | null {
    return this.frameStart;
  }

  /**
   * In the 'frames' state, accounts for `chunk` and returns true: the caller
   * hands the bytes to its frame decoder itself. Otherwise returns false and
   * changes nothing; use push(). Same result as push() without its event objects.
   */
  passFrames(chunk: Uint8Array): boolean {
    if (this.stateValue !== 'frames') return false;
    this.position += chunk.length;
    return true;
  }

  /** From now on report bytes as HTTP body (the upgrade was refused). */
  refuse(): void {
    if (this.stateValue === 'frames') this.stateValue = 'body';
  }

  push(chunk: Uint8Array): SplitEvent[] {
    const start = this.position;
    this.position += chunk.length;
    if (chunk.length === 0) return [];
    switch (this.stateValue) {
      case 'frames':
        return [{ type: 'frames', bytes: chunk, offset: start, frameOffset: start - (this.frameStart ?? 0) }];
      case 'body':
        return [{ type: 'body', bytes: chunk, offset: start }];
      case 'unparsed':
        return [{ type: 'unparsed', error: this.failure, bytes: chunk, offset: start }];
      case 'head':
        break;
    }
    const buffered = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const bufferedStart = this.position - buffered.length;
    const events: SplitEvent[] = [];
    let rest = buffered;
    let restStart = bufferedStart;
    while (this.stateValue === 'head' && rest.length > 0) {
      const max = { maxHeadBytes: this.options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES };
      const parsed = this.expect === 'request' ? parseHttpRequestHead(rest, max) : parseHttpResponseHead(rest, max);
      if (!parsed.ok) {
        if (parsed.incomplete) {
          this.pending = rest;
          return events;
        }
        this.stateValue = 'unparsed';
        this.failure = parsed.error;
        break;
      }
      const n = parsed.value.headLength;
      const bytes = rest.subarray(0, n);
      if (this.expect === 'request') {
        events.push({ type: 'request-head', head: parsed.value as HttpRequestHead, bytes, offset: restStart });
        this.stateValue = 'frames';
      } else {
        const head = parsed.value as HttpResponseHead;
        events.push({ type: 'response-head', head, bytes, offset: restStart });
        // An interim 1xx other than 101 is followed by another head (RFC 9110 §15.2).
        if (head.status === 101) this.stateValue = 'frames';
        else if (head.status >= 200) this.stateValue = 'body';
      }
      rest = rest.subarray(n);
      restStart += n;
    }
    this.pending = new Uint8Array(0);
    if (this.stateValue === 'frames' && this.frameStart === null) this.frameStart = restStart;
    if (rest.length > 0) {
      if (this.stateValue === 'frames') {
        events.push({ type: 'frames', bytes: rest, offset: restStart, frameOffset: restStart - (this.frameStart ?? 0) });
      } else if (this.stateValue === 'body') {
        events.push({ type: 'body', bytes: rest, offset: restStart });
      } else {
        events.push({ type: 'unparsed', error: this.failure, bytes: rest, offset: restStart });
      }
    }
    return events;
  }
}

export type ConnectionSplitEvent = SplitEvent & { direction: TapDirection };

/**
 * Both directions of one tapped connection. `role` is the tapped endpoint's:
 * a client writes the request ('out') and reads the response ('in'); a server
 * the other way round. When the response refuses the upgrade, what the client
 * sends afterwards is reported as body, not frames.
 */
export class ConnectionSplitter {
  readonly request: ByteStreamSplitter;
  readonly response: ByteStreamSplitter;

  constructor(
    readonly role: 'client' | 'server',
    options: { maxHeadBytes?: number } = {},
  ) {
    this.request = new ByteStreamSplitter('request', options);
    this.response = new ByteStreamSplitter('response', options);
  }

  /** ByteStreamSplitter.passFrames for the side `direction` belongs to. */
  passFrames(direction: TapDirection, bytes: Uint8Array): boolean {
    return ((direction === 'out') === (this.role === 'client') ? this.request : this.response).passFrames(bytes);
  }

  push(direction: TapDirection, bytes: Uint8Array): ConnectionSplitEvent[] {
    const isRequestSide = (direction === 'out') === (this.role === 'client');
    const events = (isRequestSide ? this.request : this.response).push(bytes);
    for (const e of events) {
      if (e.type === 'response-head' && e.head.status >= 200) this.request.refuse();
    }
    return events.map((e) => ({ ...e, direction }));
  }
}
