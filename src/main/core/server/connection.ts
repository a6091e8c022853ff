/**
 * One accepted connection of the embedded server: the `ws` socket, its capture pipeline,
 * counters for the connections view, and what the console can do to it.
 *
 * The server acts on what the capture decoder sees, so it is stricter than `ws` alone. The
 * decoder reads every chunk before `ws` does (server-tap.ts wraps the socket's `push` and hands
 * each chunk to tappedRead below, which feeds the capture first and `ws` after):
 *
 *   socket bytes → tap → decoder (a fatal violation marks where it is) → what ws may have → ws
 *
 * When the decoder reports a fatal violation in what the client sent, the filter hands `ws`
 * only the bytes before the offending frame, so `ws` never parses the frame and cannot answer
 * it with a code of its own. The connection is then failed (RFC 6455 §7.1.7) with the
 * violation's close code: a Close frame written with the project's encoder, then the TCP
 * connection closed by the server first (§7.1.1), the socket destroyed after a grace period.
 * This is what makes UTF-8 fail fast (§8.1): a text message is failed with 1007 at the
 * fragment where it turns invalid, while `ws` would wait for the whole message.
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { RawData, WebSocket } from 'ws';
import type { ServerConnectionView } from '../../../shared/contract';
import type { ConnectionInfo, FlowDirection } from '../../../shared/records';
import { ConnectionCapture } from '../capture/connection-capture';
import type { CaptureStore } from '../capture/capture-store';
import { tapNow, tapTimeToEpochMs } from '../capture/tap';
import { MAX_CLOSE_REASON_BYTES, buildClosePayload, closeCodeProblem } from '../client/close-code';
import { type TlsView, tlsSnapshot } from '../client/tls-details';
import { Opcode } from '../protocol/constants';
import type { DecodeEvent, ViolationEvent } from '../protocol/decoder';
import { closePayload, encodeFrame } from '../protocol/encoder';
import { parseHttpRequestHead } from '../protocol/handshake';
import type { AppConnection, RouteApp } from './app';
import type { ServerTapTarget } from './server-tap';

/** After failing a connection, how long the peer may take to close its side before the socket is destroyed. */
export const FAIL_GRACE_MS = 1000;
/** How long serverPing waits for the pong. */
export const PING_TIMEOUT_MS = 10_000;

export interface MountedRoute {
  readonly match: 'exact' | 'prefix' | 'filter';
  readonly path: string;
  readonly app: string;
  readonly maxConnections?: number;
  readonly instance: RouteApp;
  /** Open connections on this route. */
  readonly connections: Set<ServerConnection>;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly serverId: string;
  readonly store: CaptureStore;
  readonly maxPayload: number;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  connectionClosed(conn: ServerConnection): void;
  /** Every decoded frame and violation, when somebody listens (headless NDJSON). */
  readonly decodeListener?: (conn: ServerConnection, event: DecodeEvent, direction: FlowDirection) => void;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

interface PendingPing {
  payload: Uint8Array;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve(result: Outcome<{ rttMs: number }>): void;
}

const kConnection = Symbol('framescope.serverConnection');
type TaggedWebSocket = WebSocket & { [kConnection]?: ServerConnection };

// Shared listeners (`this` is the WebSocket) rather than closures per connection: with ten
// thousand idle connections every closure counts.
function onWsMessage(this: TaggedWebSocket, data: RawData, isBinary: boolean): void {
  this[kConnection]?.received(data, isBinary);
}
function onWsClose(this: TaggedWebSocket, code: number, reason: Buffer): void {
  this[kConnection]?.closed(code, reason.toString());
}
function onWsError(this: TaggedWebSocket, error: Error): void {
  this[kConnection]?.host.log('warn', `${this[kConnection]?.id}: ${error.message}`);
}
function onWsPong(this: TaggedWebSocket, data: Buffer): void {
  this[kConnection]?.ponged(data);
}

const utf8 = new TextEncoder();
/** WebSocket.OPEN */
const WS_OPEN = 1;

/** Frames larger than this are not kept for reuse. */
const MAX_SHARED_FRAME_BYTES = 64 * 1024;
let sharedText: string | null = null;
let sharedFrame: Buffer | null = null;

/** An unmasked, final text frame (RFC 6455 §5.2, §5.6) for `text`; the last one is reused. */
function textFrame(text: string): Buffer {
  if (text === sharedText && sharedFrame) return sharedFrame;
  const encoded = encodeFrame({ opcode: Opcode.Text, payload: text });
  // A Buffer, not a bare Uint8Array: Writable.write would wrap the latter in a new Buffer per socket.
  const frame = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.length);
  if (frame.length <= MAX_SHARED_FRAME_BYTES) {
    sharedText = text;
    sharedFrame = frame;
  }
  return frame;
}

/** UTF-8 length of one code point (RFC 3629 §3); a lone surrogate is written as U+FFFD, 3 bytes. */
const utf8Length = (cp: number): number => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
const ELLIPSIS = '…';

/**
 * A close reason of at most 123 bytes (RFC 6455 §5.5: 125 for the body, 2 for the code), cut
 * between code points, so a surrogate pair is never split into invalid UTF-8 (§5.5.1, §8.1).
 */
export function shortCloseReason(text: string): string {
  if (utf8.encode(text).length <= MAX_CLOSE_REASON_BYTES) return text;
  const budget = MAX_CLOSE_REASON_BYTES - utf8Length(ELLIPSIS.codePointAt(0)!);
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    bytes += utf8Length(ch.codePointAt(0)!);
    if (bytes > budget) break;
    end += ch.length;
  }
  return text.slice(0, end) + ELLIPSIS;
}

/** The tap's clock, as milliseconds since the epoch. */
const now = (): number => tapTimeToEpochMs(tapNow());

export class ServerConnection implements AppConnection, ServerTapTarget {
  readonly connectedAt = Date.now();
  /**
   * The capture pipeline (splitter, two decoders), created with the first frame byte either way:
   * an idle connection keeps only its handshake, as text, until then.
   */
  capture: ConnectionCapture | null = null;
  ws: WebSocket | null = null;
  socket: Duplex | null;
  state: 'opening' | 'open' | 'closing' | 'closed' = 'opening';
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  lastMessageAt = 0;
  /** Date.now() of the last bytes from the peer (any bytes prove it is alive). */
  lastSeenAt = Date.now();
  subprotocol: string | undefined = undefined;
  extensions: string | undefined = undefined;
  /** Milliseconds from the upgrade request to the 101 written. */
  upgradeMs: number | undefined = undefined;
  tls: TlsView | undefined = undefined;
  closeCode: number | undefined = undefined;
  closeReason: string | undefined = undefined;
  closedAt: number | undefined = undefined;
  error: string | undefined = undefined;
  /** Why the negotiated extensions could not be understood by the capture, if so. */
  extensionError: string | null = null;
  tapPush!: ServerTapTarget['tapPush'];
  tapWrite!: ServerTapTarget['tapWrite'];
  tapWritev: ServerTapTarget['tapWritev'] = null;

  /** The request head as received (reconstructed from Node's parse, latin1) and when. */
  private readonly requestHead: string;
  private readonly requestAt: number;
  /** The first bytes written: the 101 response head. */
  private responseHead: string | null = null;
  private responseAt = 0;
  /** Frame-stream offset of the first frame the decoder found fatal; -1 while none. */
  private cutAt = -1;
  /** Frame-stream bytes handed to ws so far. */
  private delivered = 0;
  private dropping = false;
  private failing = false;
  private failure: { code: number; reason: string; message: string } | null = null;
  private sentClose: { code: number; reason: string } | null = null;
  private pings: PendingPing[] | null = null;
  private closeWaiters: Array<() => void> | null = null;

  constructor(
    readonly host: ConnectionHost,
    readonly id: string,
    readonly route: MountedRoute,
    readonly path: string,
    readonly remoteAddress: string,
    socket: Duplex,
    requestHead: Uint8Array,
    /** Bytes that followed the request head in the same read (frames sent before the 101). */
    head: Uint8Array,
  ) {
    this.socket = socket;
    this.requestHead = Buffer.from(requestHead.buffer, requestHead.byteOffset, requestHead.length).toString('latin1');
    this.requestAt = now();
    this.bytesIn = requestHead.length + head.length;
    this.delivered = head.length;
    if (head.length > 0) {
      // Frames arrived with the request: decode them once the 101 says which extensions apply.
      this.startCapture().push('in', Uint8Array.prototype.slice.call(head), this.requestAt);
    }
  }

  private startCapture(): ConnectionCapture {
    // Bound methods, not closures: created once, when there is something to decode.
    const capture = new ConnectionCapture(this.host.store, this.id, 'server', {
      maxPayload: this.host.maxPayload,
      // tappedRead hands each read to ws only after the capture has decoded it.
      unmaskIncomingInPlace: true,
      onViolation: this.violation.bind(this),
      onEvent: this.decoded.bind(this),
    });
    this.capture = capture;
    capture.push('in', Buffer.from(this.requestHead, 'latin1'), this.requestAt);
    if (this.responseHead !== null) capture.push('out', Buffer.from(this.responseHead, 'latin1'), this.responseAt);
    return capture;
  }

  private decoded(event: DecodeEvent, direction: FlowDirection): void {
    if (event.type === 'frame') {
      if (direction === 'in') this.framesIn++;
      else this.framesOut++;
    }
    this.host.decodeListener?.(this, event, direction);
  }

  // ---- the tap (server-tap.ts) -----------------------------------------------------------------

  /**
   * A chunk read from the socket. The decoder sees it first; `ws` then gets it, or, after a
   * fatal violation, only the bytes before the offending frame.
   */
  tappedRead(socket: Duplex, chunk: Buffer, encoding: BufferEncoding | 'buffer' | undefined): boolean {
    this.bytesIn += chunk.length;
    this.lastSeenAt = Date.now();
    (this.capture ?? this.startCapture()).push('in', chunk, now());
    if (this.cutAt < 0) {
      this.delivered += chunk.length;
      return this.tapPush.call(socket, chunk, encoding);
    }
    if (this.dropping) return true;
    this.dropping = true;
    const keep = this.cutAt - this.delivered;
    // The frames before the violation are valid: ws gets them, so an echo of a message that
    // preceded the bad frame goes out before the Close frame.
    const more = keep > 0 ? this.tapPush.call(socket, chunk.subarray(0, keep)) : true;
    this.failNow();
    return more;
  }

  tappedWrite(bytes: Uint8Array): void {
    this.bytesOut += bytes.length;
    if (this.responseHead === null) {
      // The first write is ws's 101 (one string); kept as text for the handshake view.
      this.responseHead = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
      this.responseAt = now();
      // Frames that came with the request are waiting in the capture for this 101.
      this.capture?.push('out', bytes, this.responseAt);
      return;
    }
    (this.capture ?? this.startCapture()).push('out', bytes, now());
  }

  /** The request's header fields, in order and original case (parsed when asked for). */
  requestHeaders(): Array<[string, string]> {
    const head = parseHttpRequestHead(Buffer.from(this.requestHead, 'latin1'));
    return head.ok ? head.value.headers.map(([n, v]) => [n, v] as [string, string]) : [];
  }

  /** The request head, as received. */
  requestBytes(): string {
    return this.requestHead;
  }

  /** The response head bytes as sent (the 101 and anything written with it). */
  responseBytes(): string | null {
    return this.responseHead;
  }

  /** The 101 is written and ws owns the socket; `head` is what followed the request head. */
  opened(ws: WebSocket, head: Uint8Array, socket: Duplex): void {
    const tagged = ws as TaggedWebSocket;
    tagged[kConnection] = this;
    this.ws = ws;
    this.state = 'open';
    this.subprotocol = ws.protocol || undefined;
    // The negotiated parameters as the 101 stated them (ws.extensions has only the names).
    this.extensions = ws.extensions ? (/\r\nSec-WebSocket-Extensions: *([^\r]*)/i.exec(this.responseHead ?? '')?.[1] ?? ws.extensions) : undefined;
    const tlsSocket = socket as TLSSocket;
    if (tlsSocket.encrypted) {
      // The client's certificate and its issuers, as far as the client sent them: the same view
      // the client workbench shows of a server's chain.
      this.tls = { ...tlsSnapshot(tlsSocket), authorized: tlsSocket.authorized };
      if (tlsSocket.authorizationError) this.tls.authorizationError = String(tlsSocket.authorizationError);
    }
    ws.on('message', onWsMessage);
    ws.on('close', onWsClose);
    ws.on('error', onWsError);
    this.route.connections.add(this);
    if (head.length > 0) {
      // What ws would unshift itself, cut where the decoder found a fatal violation (frames in
      // the same packet as the request were decoded when the 101 went out).
      const keep = this.cutAt < 0 ? head.length : Math.max(0, Math.min(head.length, this.cutAt));
      if (keep > 0) socket.unshift(Buffer.from(head.buffer, head.byteOffset, keep));
      if (this.cutAt >= 0) {
        this.dropping = true;
        // ws reads the unshifted bytes on the next tick; fail after it has answered them.
        setImmediate(() => this.failNow());
      }
    }
    let result: boolean | void;
    try {
      result = this.route.instance.onOpen?.(this);
    } catch (e) {
      this.appFailed('onOpen', e);
      return;
    }
    if (result === false) this.close(1000, 'ended by the app');
  }

  // ---- AppConnection -------------------------------------------------------------------------

  send(data: string | Uint8Array, options?: { binary?: boolean }): void {
    const ws = this.ws;
    // A closing connection drops what is sent, as ws does; apps fan out without checking.
    if (this.state !== 'open' || !ws || ws.readyState !== WS_OPEN) return;
    const binary = options?.binary ?? typeof data !== 'string';
    if (typeof data === 'string' && !binary && this.extensions === undefined && this.socket) {
      // Text is encoded into a frame once for all the connections it goes to (a pub/sub or chat
      // fan-out sends the same string to every recipient). Without a negotiated extension ws's
      // Sender writes every frame synchronously and keeps no state between frames, so a whole
      // frame written here lands between two of its frames, never inside one.
      this.socket.write(textFrame(data));
      return;
    }
    ws.send(data, { binary });
  }

  close(code?: number, reason?: string): void {
    if (this.state !== 'open' || !this.ws) return;
    this.state = 'closing';
    this.sentClose = { code: code ?? 1005, reason: reason ?? '' };
    this.ws.close(code, reason);
  }

  // ---- events from ws and the capture --------------------------------------------------------

  received(data: RawData, isBinary: boolean): void {
    this.lastMessageAt = Date.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    let result: boolean | void;
    try {
      result = this.route.instance.onMessage?.(this, bytes, isBinary);
    } catch (e) {
      this.appFailed('onMessage', e);
      return;
    }
    if (result === false) this.close(1000, 'ended by the app');
  }

  private appFailed(hook: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.host.log('error', `${this.route.path} (${this.route.app}): ${hook} failed for ${this.id}: ${message}`);
    // RFC 6455 §7.4.1: 1011, "an unexpected condition that prevented it from fulfilling the request".
    this.close(1011, 'app error');
  }

  private violation(violation: ViolationEvent, direction: FlowDirection): void {
    // Only what the client sent is acted on; the server's own crafted frames may break rules on purpose.
    if (direction !== 'in' || !violation.fatal || this.cutAt >= 0) return;
    // 1006 means the stream already ended (a truncated frame at close); nothing is left to send.
    if (violation.closeCode === 1006) return;
    this.cutAt = violation.frameOffset;
    this.failure = { code: violation.closeCode, reason: shortCloseReason(violation.message), message: `${violation.code}: ${violation.message}` };
  }

  /** RFC 6455 §7.1.7 _Fail the WebSocket Connection_, with the violation's close code. */
  private failNow(): void {
    const socket = this.socket;
    const failure = this.failure;
    if (!socket || !failure || this.failing || this.state === 'closed') return;
    this.failing = true;
    this.state = 'closing';
    this.error = failure.message;
    this.host.log('warn', `${this.id}: failing the connection with ${failure.code}: ${failure.message}`);
    if (!socket.destroyed && socket.writable) {
      // One Close frame per endpoint (RFC 6455 §5.5.1): none if the app or console already sent one.
      if (!this.sentClose) socket.write(encodeFrame({ opcode: Opcode.Close, payload: closePayload(failure.code, failure.reason) }));
      this.sentClose ??= { code: failure.code, reason: failure.reason };
      // §7.1.1: the server closes the TCP connection first; §7.1.7: it reads nothing more.
      socket.end();
    }
    setTimeout(() => socket.destroy(), FAIL_GRACE_MS).unref();
  }

  /** Ends a peer that has shown no sign of life for `silentMs` (the dead-peer timeout). */
  failDeadPeer(silentMs: number): void {
    if (this.state !== 'open') return;
    this.failure = { code: 1001, reason: 'no answer to pings', message: `no pong or other data for ${silentMs} ms: closed as a dead peer` };
    this.dropping = true;
    this.cutAt = 0;
    this.failNow();
  }

  closed(wsCode: number, wsReason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedAt = Date.now();
    if (this.failure) {
      this.closeCode = this.failure.code;
      this.closeReason = this.failure.reason;
    } else {
      this.closeCode = wsCode;
      this.closeReason = wsReason;
      if (wsCode === 1006 && !this.error) {
        this.error = this.sentClose
          ? `the client did not answer the Close frame (${this.sentClose.code}); the connection was dropped`
          : 'the connection dropped without a Close frame';
      }
    }
    const capture = this.capture;
    if (capture) {
      capture.end(now());
      this.extensionError = capture.extensionError;
      // The store keeps the frames; the decoders and their buffers can go.
      this.capture = null;
    }
    for (const ping of this.pings ?? []) {
      clearTimeout(ping.timer);
      ping.resolve({ ok: false, error: 'the connection closed before the pong arrived' });
    }
    this.pings = null;
    this.route.connections.delete(this);
    try {
      this.route.instance.onClose?.(this, this.closeCode, this.closeReason);
    } catch (e) {
      this.host.log('error', `${this.route.path} (${this.route.app}): onClose failed for ${this.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.host.connectionClosed(this);
    for (const waiter of this.closeWaiters ?? []) waiter();
    this.closeWaiters = null;
    // Let go of the socket objects; the record stays for the connection list and handshake view.
    if (this.ws) (this.ws as TaggedWebSocket)[kConnection] = undefined;
    this.ws = null;
    this.socket = null;
  }

  ponged(data: Buffer): void {
    const pings = this.pings;
    if (!pings) return;
    const at = pings.findIndex((p) => Buffer.compare(Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.length), data) === 0);
    if (at < 0) return;
    const [ping] = pings.splice(at, 1);
    clearTimeout(ping.timer);
    ping.resolve({ ok: true, value: { rttMs: Math.round((performance.now() - ping.sentAt) * 1000) / 1000 } });
  }

  // ---- what the console can do ---------------------------------------------------------------

  sendMessage(data: string | Uint8Array, binary: boolean): Outcome<{ bytes: number }> {
    if (this.state !== 'open' || !this.ws) return { ok: false, error: `connection ${this.id} is ${this.state}` };
    this.ws.send(data, { binary });
    return { ok: true, value: { bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length } };
  }

  /** Bytes written to the socket as they are, between whole frames of ws's own. */
  sendRaw(bytes: Uint8Array): Outcome<{ bytes: number }> {
    if (this.state !== 'open' || !this.socket || !this.socket.writable) return { ok: false, error: `connection ${this.id} is ${this.state}` };
    this.socket.write(bytes);
    return { ok: true, value: { bytes: bytes.length } };
  }

  ping(payload: Uint8Array, timeoutMs = PING_TIMEOUT_MS): Promise<Outcome<{ rttMs: number }>> {
    const ws = this.ws;
    if (this.state !== 'open' || !ws) return Promise.resolve({ ok: false, error: `connection ${this.id} is ${this.state}` });
    // RFC 6455 §5.5: control frames carry at most 125 bytes.
    if (payload.length > 125) return Promise.resolve({ ok: false, error: `payload: a ping carries at most 125 bytes (RFC 6455 §5.5), this one has ${payload.length}` });
    if (!this.pings) {
      this.pings = [];
      ws.on('pong', onWsPong);
    }
    const pings = this.pings;
    return new Promise((resolve) => {
      const ping: PendingPing = {
        payload,
        sentAt: performance.now(),
        resolve,
        timer: setTimeout(() => {
          const at = pings.indexOf(ping);
          if (at >= 0) pings.splice(at, 1);
          resolve({ ok: false, error: `no pong within ${timeoutMs} ms` });
        }, timeoutMs),
      };
      pings.push(ping);
      ws.ping(payload);
    });
  }

  /** Heartbeat ping; the pong (or any data) moves lastSeenAt. */
  heartbeat(payload: Uint8Array): void {
    if (this.state === 'open' && this.ws) this.ws.ping(payload);
  }

  /** Starts the closing handshake with a checked code and reason; resolves once closed or after `waitMs`. */
  async closeWith(code: number | undefined, reason: string | undefined, waitMs: number): Promise<Outcome<{ closed: boolean }>> {
    if (this.state === 'closed') return { ok: true, value: { closed: true } };
    if (this.state !== 'open') return { ok: false, error: `connection ${this.id} is already ${this.state}` };
    if (code !== undefined) {
      const problem = Number.isInteger(code) ? closeCodeProblem(code) : `${code} is not a whole number`;
      if (problem !== null) return { ok: false, error: `code: ${problem}` };
    }
    const checked = buildClosePayload(code, reason ?? '');
    if (!checked.ok) return { ok: false, error: `reason: ${checked.error}` };
    const closed = this.whenClosed(waitMs);
    this.close(code, reason);
    return { ok: true, value: { closed: await closed } };
  }

  async terminate(waitMs: number): Promise<Outcome<{ closed: boolean }>> {
    if (this.state === 'closed') return { ok: true, value: { closed: true } };
    const closed = this.whenClosed(waitMs);
    this.error ??= 'terminated from the console (TCP connection destroyed, no Close frame)';
    if (this.ws) this.ws.terminate();
    else this.socket?.destroy();
    return { ok: true, value: { closed: await closed } };
  }

  private whenClosed(waitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.state === 'closed'), waitMs);
      (this.closeWaiters ??= []).push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  // ---- views ---------------------------------------------------------------------------------

  info(): ConnectionInfo {
    const state = this.state === 'opening' ? 'connecting' : this.state;
    const info: ConnectionInfo = {
      id: this.id,
      role: 'server',
      url: this.path,
      serverId: this.host.serverId,
      remoteAddress: this.remoteAddress,
      state,
      openedAt: this.connectedAt,
    };
    if (this.subprotocol) info.subprotocol = this.subprotocol;
    if (this.extensions) info.extensions = this.extensions;
    if (this.closedAt !== undefined) info.closedAt = this.closedAt;
    if (this.closeCode !== undefined) info.closeCode = this.closeCode;
    if (this.closeReason) info.closeReason = this.closeReason;
    if (this.error) info.error = this.error;
    return info;
  }

  view(subscriptions: string[]): ServerConnectionView {
    const view: ServerConnectionView = {
      id: this.id,
      serverId: this.host.serverId,
      remoteAddress: this.remoteAddress,
      path: this.path,
      requestHeaders: this.requestHeaders(),
      connectedAt: this.connectedAt,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      subscriptions,
    };
    if (this.subprotocol) view.subprotocol = this.subprotocol;
    if (this.extensions) view.extensions = this.extensions;
    return view;
  }
}
