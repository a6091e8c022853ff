/**
 * One client connection of the workbench, for as long as its tab lives: handshake
 * attempts (with auto-reconnect and backoff, each attempt published), and everything a
 * person does on the open connection — messages, fragments, pings with their round
 * trip, automatic pongs on or off, raw frames, closes with any code, periodic sends.
 *
 * Frames are captured from the wire by the tap (handshake-attempt.ts), never from ws's
 * message events, so the frame list shows what was really sent and received.
 */
import type net from 'node:net';
import WebSocket from 'ws';
import type { HandshakeView, PayloadInput } from '../../../shared/contract/client';
import type { ConnectionInfo, FlowDirection, LogLine } from '../../../shared/records';
import type { CaptureStore } from '../capture/capture-store';
import { tapNow } from '../capture/tap';
import type { DecodeEvent, ViolationEvent } from '../protocol/decoder';
import { encodeFrame } from '../protocol/encoder';
import { headerValue } from '../protocol/handshake';
import { ReconnectController } from './backoff';
import { buildClosePayload, MAX_CONTROL_PAYLOAD } from './close-code';
import { HandshakeAttempt, type HandshakeHop } from './handshake-attempt';
import { handshakeView, negotiatedProtocol } from './handshake-view';
import { encodeRawFrames, fragmentRanges, resolvePayload, validateFragmentCount, type OutgoingMessage, type OutResult } from './outgoing';
import { PeriodicSender, systemTimers, validatePeriodicOptions, type Timers } from './periodic-sender';
import type { PreparedConnection } from './prepare';
import type { Env } from './proxy';
import { compileTemplate, createTemplateState, type TemplateEnvironment } from './template';

export interface ClientSessionDeps {
  store: CaptureStore;
  /** Publish the connection's latest state. */
  publish(info: ConnectionInfo): void;
  log(level: LogLine['level'], message: string): void;
  /** Where HTTPS_PROXY / NO_PROXY come from (process.env in the app). */
  env?: Env;
  timers?: Timers;
  random?: () => number;
  templateEnv?: TemplateEnvironment;
  /** Every decoded frame, message and violation, as it is captured (the CLI prints them). */
  onEvent?(event: DecodeEvent, direction: FlowDirection): void;
}

/** After a Close frame goes out, how long to wait for the peer's before dropping the TCP connection. */
export const CLOSE_WAIT_MS = 5_000;
export const DEFAULT_PING_TIMEOUT_MS = 10_000;

interface PendingPing {
  payload: Buffer;
  start: bigint;
  resolve(rttMs: number): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

type CloseInput = { code?: number; reason?: string; allowInvalid?: boolean };

export class ClientSession {
  private info: ConnectionInfo;
  private attempt: HandshakeAttempt | undefined;
  private ws: WebSocket | null = null;
  private socket: net.Socket | null = null;
  private hop: HandshakeHop | null = null;
  private autoPong: boolean;
  /** The person (or Framescope quitting) closed it: no reconnect. */
  private closeRequested = false;
  private readonly reconnect: ReconnectController | null;
  private reconnectAttempt = 0;
  private periodic: { sender: PeriodicSender; intervalMs: number; count: number } | null = null;
  private pings: PendingPing[] = [];
  private lastViolation: ViolationEvent | null = null;
  private lastError: Error | null = null;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly closed: Array<() => void> = [];
  /** {{counter}} numbering for this connection, shared by sends and the periodic sender. */
  readonly templateState = createTemplateState();

  constructor(
    readonly id: string,
    private readonly prepared: PreparedConnection,
    private readonly deps: ClientSessionDeps,
  ) {
    const o = prepared.options;
    this.autoPong = o.autoPong;
    this.info = { id, role: 'client', url: prepared.url, state: 'connecting', openedAt: Date.now(), autoPong: o.autoPong };
    this.reconnect = o.reconnect.enabled
      ? new ReconnectController(
          { initialDelayMs: o.reconnect.initialDelayMs, maxDelayMs: o.reconnect.maxDelayMs, maxAttempts: o.reconnect.maxAttempts },
          deps.timers ?? systemTimers,
          deps.random,
        )
      : null;
  }

  get state(): ConnectionInfo {
    return this.info;
  }

  handshakeView(): HandshakeView {
    return handshakeView(this.id, this.attempt, this.prepared.options.subprotocols);
  }

  /** Resolves once the first attempt is open, refused or failed; never rejects. */
  connect(): Promise<ConnectionInfo> {
    return this.runAttempt();
  }

  // -------------------------------------------------------------------------------------
  // Attempts and reconnects

  private async runAttempt(): Promise<ConnectionInfo> {
    const o = this.prepared.options;
    const reconnecting = this.reconnectAttempt > 0;
    this.lastViolation = null;
    this.lastError = null;
    this.publish({
      state: 'connecting',
      error: undefined,
      closedAt: undefined,
      closeCode: undefined,
      closeReason: undefined,
      subprotocol: undefined,
      extensions: undefined,
      // 1 = the first connection, 2 = the first reconnect after a drop, …
      attempt: this.reconnect ? this.reconnectAttempt + 1 : undefined,
      reconnect: this.reconnect ? { maxAttempts: o.reconnect.maxAttempts } : undefined,
    });
    if (reconnecting) this.deps.log('info', `reconnect attempt ${this.attemptLabel()} to ${this.prepared.url}`);
    const attempt = new HandshakeAttempt({
      connectionId: this.id,
      store: this.deps.store,
      url: this.prepared.url,
      headers: this.prepared.headers,
      subprotocols: o.subprotocols,
      deflate: o.deflate,
      tls: this.prepared.tls,
      proxy: o.proxy,
      env: this.deps.env ?? {},
      timeoutMs: o.handshakeTimeoutMs,
      followRedirects: o.followRedirects,
      maxRedirects: o.maxRedirects,
      log: (level, message) => this.deps.log(level, message),
      onEvent: this.deps.onEvent,
      onViolation: (violation, direction) => {
        if (direction === 'in') this.lastViolation = violation;
      },
    });
    this.attempt = attempt;
    const outcome = await attempt.run();
    // Closed by the person while connecting: close() has published that already.
    if (this.attempt !== attempt || (this.closeRequested && outcome.kind === 'failed')) return this.info;
    const hop = attempt.lastHop;
    const proxy = hop?.proxy?.display;
    if (outcome.kind === 'open') {
      if (this.closeRequested) {
        outcome.ws.terminate();
        return this.publish({ state: 'closed', closedAt: Date.now() });
      }
      this.adopt(outcome.ws, outcome.socket, outcome.hop);
      this.reconnect?.reset();
      const response = outcome.hop.capture.handshake.response;
      const extensions = response ? headerValue(response.headers, 'sec-websocket-extensions') : undefined;
      this.deps.log('info', `connected to ${this.prepared.url}${reconnecting ? ` (attempt ${this.attemptLabel()})` : ''}`);
      this.reconnectAttempt = 0;
      return this.publish({
        state: 'open',
        openedAt: Date.now(),
        subprotocol: negotiatedProtocol(outcome.hop),
        extensions,
        remoteAddress: outcome.hop.remoteAddress,
        proxy,
      });
    }
    this.deps.log('warn', `${reconnecting ? `attempt ${this.attemptLabel()}: ` : ''}${outcome.error}`);
    this.publish({ state: 'failed', error: outcome.error, closedAt: Date.now(), proxy });
    if (!this.closeRequested) this.scheduleReconnect();
    return this.info;
  }

  private attemptLabel(): string {
    const max = this.prepared.options.reconnect.maxAttempts;
    return max === 0 ? `${this.reconnectAttempt}` : `${this.reconnectAttempt} of ${max}`;
  }

  private scheduleReconnect(): void {
    if (!this.reconnect || this.closeRequested) return;
    const step = this.reconnect.schedule(() => {
      this.reconnectAttempt = step!.attempt;
      void this.runAttempt();
    });
    const max = this.prepared.options.reconnect.maxAttempts;
    if (step === null) {
      this.deps.log('warn', `gave up reconnecting to ${this.prepared.url} after ${max} attempt${max === 1 ? '' : 's'}`);
      this.publish({ reconnect: { maxAttempts: max, gaveUp: true } });
      return;
    }
    this.deps.log('info', `reconnecting to ${this.prepared.url} in ${step.delayMs} ms (attempt ${max === 0 ? step.attempt : `${step.attempt} of ${max}`})`);
    this.publish({ reconnect: { maxAttempts: max, delayMs: step.delayMs, nextAttemptAt: Date.now() + step.delayMs } });
  }

  // -------------------------------------------------------------------------------------
  // The open connection

  private adopt(ws: WebSocket, socket: net.Socket, hop: HandshakeHop): void {
    this.ws = ws;
    this.socket = socket;
    this.hop = hop;
    ws.on('ping', (data: Buffer) => {
      // RFC 6455 §5.5.3: a Pong carries the Ping's application data. Off on purpose lets
      // a person watch a server's dead-peer timeout fire.
      if (this.autoPong && ws.readyState === WebSocket.OPEN) ws.pong(data);
    });
    ws.on('pong', (data: Buffer) => {
      const i = this.pings.findIndex((p) => p.payload.equals(data));
      if (i < 0) return; // unsolicited pong (RFC 6455 §5.5.3 allows it)
      const [ping] = this.pings.splice(i, 1);
      clearTimeout(ping.timer);
      ping.resolve(Number(tapNow() - ping.start) / 1e6);
    });
    ws.on('error', (error: Error) => {
      this.lastError = error;
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClosed(ws, code, reason.toString()));
  }

  private onClosed(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    clearTimeout(this.closeTimer);
    this.hop?.capture.end(Date.now());
    this.ws = null;
    this.socket = null;
    for (const ping of this.pings.splice(0)) {
      clearTimeout(ping.timer);
      ping.reject(new Error(`the connection closed before the pong arrived`));
    }
    this.stopPeriodicSender('the connection closed');
    const error = this.closeError(code);
    this.publish({ state: error ? 'failed' : 'closed', closedAt: Date.now(), closeCode: code, closeReason: reason, error });
    this.deps.log(error ? 'warn' : 'info', error ?? `closed ${this.prepared.url}: ${code}${reason ? ` ${reason}` : ''}`);
    for (const resolve of this.closed.splice(0)) resolve();
    if (!this.closeRequested) this.scheduleReconnect();
  }

  /** Why the connection ended abnormally, in words; undefined for an orderly close. */
  private closeError(code: number): string | undefined {
    const v = this.lastViolation;
    if (v?.code === 'WS_ERR_TRUNCATED_FRAME' || v?.code === 'WS_ERR_TRUNCATED_MESSAGE') {
      return `The server closed the connection in the middle of a ${v.code === 'WS_ERR_TRUNCATED_FRAME' ? 'frame' : 'fragmented message'}: ${v.message} (1006, RFC 6455 §7.1.5)`;
    }
    if (v) return `The server broke the protocol: ${v.message}. ${v.rule} Framescope closed the connection with ${v.closeCode}.`;
    if (this.lastError) return `The connection failed: ${this.lastError.message}`;
    if (code === 1006 && !this.closeRequested) return 'The connection dropped without a Close frame (1006, RFC 6455 §7.1.5)';
    return undefined;
  }

  private openSocket(): WebSocket {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      throw new Error(`connection ${this.id} is not open (it is ${this.info.state})`);
    }
    return ws;
  }

  sendText(text: string): number {
    const ws = this.openSocket();
    ws.send(text);
    return Buffer.byteLength(text);
  }

  /** Sends one data message, in `fragments` frames (RFC 6455 §5.4). */
  sendMessage(message: OutgoingMessage, fragments = 1): { bytes: number; frames: number } {
    const ws = this.openSocket();
    const ranges = fragmentRanges(message.bytes.length, fragments);
    ranges.forEach(([from, to], i) => {
      // ws turns every call after a fin:false one into a continuation frame.
      ws.send(message.bytes.subarray(from, to), { binary: message.binary, fin: i === ranges.length - 1 });
    });
    return { bytes: message.bytes.length, frames: ranges.length };
  }

  /** Resolves a PayloadInput (templates expanded when asked) and sends it. */
  async send(payload: PayloadInput, fragments: unknown, template: boolean): Promise<OutResult<{ bytes: number; frames: number; warnings: string[] }>> {
    const n = validateFragmentCount(fragments);
    if (!n.ok) return n;
    this.openSocket();
    const message = await resolvePayload(payload, { template: template ? { state: this.templateState, env: this.deps.templateEnv } : undefined });
    if (!message.ok) return message;
    return { ok: true, value: { ...this.sendMessage(message.value, n.value), warnings: message.value.warnings } };
  }

  /**
   * Raw mode: frames from the protocol core's crafter, written to the tapped socket as
   * they are, so the capture shows them and the server gets exactly these bytes.
   */
  async sendRaw(frames: Parameters<typeof encodeRawFrames>[0]): Promise<OutResult<{ bytes: number; notes: string[] }>> {
    this.openSocket();
    const raw = await encodeRawFrames(frames, 'client');
    if (!raw.ok) return raw;
    const socket = this.socket;
    if (!socket || socket.destroyed) return { ok: false, error: `connection ${this.id} is not open` };
    socket.write(raw.value.bytes);
    for (const note of raw.value.notes) this.deps.log('info', `raw frame: ${note}`);
    return { ok: true, value: { bytes: raw.value.bytes.length, notes: raw.value.notes } };
  }

  /** Sends a Ping and resolves with the round trip to its Pong, in milliseconds. */
  ping(payload: Uint8Array, timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<number> {
    const ws = this.openSocket();
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      return Promise.reject(
        new Error(`a ping carries at most ${MAX_CONTROL_PAYLOAD} bytes (RFC 6455 §5.5), this one ${payload.length}; use raw mode to send an oversized one on purpose`),
      );
    }
    return new Promise<number>((resolve, reject) => {
      const ping: PendingPing = {
        payload: Buffer.from(payload),
        start: tapNow(),
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pings = this.pings.filter((p) => p !== ping);
          reject(new Error(`no pong within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pings.push(ping);
      ws.ping(payload);
    });
  }

  setAutoPong(enabled: boolean): boolean {
    this.autoPong = enabled;
    this.publish({ autoPong: enabled });
    this.deps.log('info', `automatic pong ${enabled ? 'on' : 'off'}`);
    return enabled;
  }

  // -------------------------------------------------------------------------------------
  // Closing

  /**
   * Closes with a code and reason checked against RFC 6455 §7.4 and §5.5; with
   * allowInvalid a forbidden code or an oversized reason is sent anyway, as a crafted
   * Close frame (ws itself refuses to send them).
   */
  close(input: CloseInput = {}): OutResult<ConnectionInfo> {
    const check = buildClosePayload(input.code, input.reason ?? '', { allowInvalid: input.allowInvalid === true });
    if (!check.ok) return { ok: false, error: check.error };
    this.closeRequested = true;
    this.reconnect?.cancel();
    this.stopPeriodicSender('the connection is closing');
    const ws = this.ws;
    if (this.attempt && !this.attempt.outcome) {
      this.attempt.abort('Closed before the opening handshake completed');
      return { ok: true, value: this.publish({ state: 'closed', closedAt: Date.now(), reconnect: this.reconnect ? { maxAttempts: this.prepared.options.reconnect.maxAttempts } : undefined }) };
    }
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      // Waiting for a reconnect: that is cancelled now, and the tab is closed (its error stays).
      if (this.info.reconnect?.nextAttemptAt !== undefined) {
        this.deps.log('info', 'reconnect cancelled');
        return { ok: true, value: this.publish({ state: 'closed', reconnect: { maxAttempts: this.info.reconnect.maxAttempts } }) };
      }
      return { ok: true, value: this.info };
    }
    for (const warning of check.warnings) this.deps.log('warn', `close: ${warning}`);
    if (check.warnings.length === 0) {
      ws.close(input.code, input.reason);
    } else {
      this.sendInvalidClose(ws, check.payload);
    }
    this.closeTimer = setTimeout(() => ws.terminate(), CLOSE_WAIT_MS);
    this.closeTimer.unref?.();
    return { ok: true, value: this.publish({ state: 'closing' }) };
  }

  /**
   * Writes a Close frame ws would refuse to build, then puts ws in the state its own
   * close() leaves it in (Close sent, waiting for the peer's), so that ws answers the
   * peer's Close by ending the TCP connection instead of sending a second Close frame
   * (RFC 6455 §5.5.1: after a Close, nothing more). These two fields are ws internals
   * (ws 8, lib/websocket.js close()); if they ever change, the frame still goes out and
   * ws would merely echo the peer's Close.
   */
  private sendInvalidClose(ws: WebSocket, payload: Uint8Array): void {
    this.socket?.write(encodeFrame({ opcode: 0x8, fin: true, mask: 'random', payload }));
    const internals = ws as unknown as { _closeFrameSent?: boolean; _readyState?: number };
    if (typeof internals._closeFrameSent === 'boolean' && typeof internals._readyState === 'number') {
      internals._closeFrameSent = true;
      internals._readyState = WebSocket.CLOSING;
    }
  }

  /** Closes with 1001 (going away, RFC 6455 §7.4.1) and waits briefly for the close handshake. */
  async dispose(): Promise<void> {
    this.closeRequested = true;
    this.reconnect?.cancel();
    const ws = this.ws;
    this.close({ code: 1001, reason: 'Framescope is closing' });
    if (!ws) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      timer.unref?.();
      this.closed.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // -------------------------------------------------------------------------------------
  // Periodic send (ntopng's poll(ms), RRR's "alive")

  startPeriodic(request: { intervalMs: number; message: string; count: number }): OutResult<{ running: boolean }> {
    this.openSocket();
    if (this.periodic) return { ok: false, error: 'a periodic send is already running on this connection; stop it first' };
    if (typeof request.message !== 'string') return { ok: false, error: 'message: expected text (a template)' };
    const template = compileTemplate(request.message);
    if (!template.ok) return { ok: false, error: `message: ${template.error}` };
    const options = { intervalMs: request.intervalMs, count: request.count, message: { type: 'template' as const, template: template.value, state: this.templateState, env: this.deps.templateEnv } };
    const problem = validatePeriodicOptions(options);
    if (problem !== null) return { ok: false, error: problem };
    const sender = new PeriodicSender(options, (payload) => {
      if (payload.type === 'text') this.sendText(payload.text);
      else this.sendMessage({ bytes: payload.data, binary: true, warnings: [] });
    }, this.deps.timers ?? systemTimers, {
      onSent: ({ index }) => this.publish({ periodic: { running: true, sent: index, count: request.count, intervalMs: request.intervalMs } }),
      onStop: (stop) => {
        if (this.periodic?.sender === sender) this.periodic = null;
        this.publish({ periodic: { running: false, sent: stop.sent, count: request.count, intervalMs: request.intervalMs } });
        const why = stop.reason === 'completed' ? 'completed' : stop.reason === 'error' ? `stopped: ${stop.error}` : 'stopped';
        this.deps.log(stop.reason === 'error' ? 'warn' : 'info', `periodic send ${why} after ${stop.sent} message${stop.sent === 1 ? '' : 's'}${stop.skipped ? ` (${stop.skipped} intervals skipped while sending)` : ''}`);
      },
    });
    this.periodic = { sender, intervalMs: request.intervalMs, count: request.count };
    this.publish({ periodic: { running: true, sent: 0, count: request.count, intervalMs: request.intervalMs } });
    this.deps.log('info', `periodic send every ${request.intervalMs} ms${request.count > 0 ? `, ${request.count} times` : ' until stopped'}`);
    sender.start();
    return { ok: true, value: { running: this.periodic !== null } };
  }

  stopPeriodic(): { running: boolean; sent: number } {
    const current = this.periodic;
    if (!current) return { running: false, sent: this.info.periodic?.sent ?? 0 };
    current.sender.stop();
    return { running: false, sent: current.sender.sent };
  }

  private stopPeriodicSender(why: string): void {
    const current = this.periodic;
    if (!current) return;
    this.deps.log('info', `periodic send stops: ${why}`);
    current.sender.stop();
  }

  private publish(change: Partial<ConnectionInfo>): ConnectionInfo {
    const next: ConnectionInfo = { ...this.info, ...change };
    for (const key of Object.keys(next) as Array<keyof ConnectionInfo>) {
      if (next[key] === undefined) delete next[key];
    }
    this.info = next;
    this.deps.publish(this.info);
    return this.info;
  }
}
