/**
 * One attempt to open a client connection: the opening handshake (RFC 6455 §4.1) over
 * TCP or TLS, directly or through an HTTP proxy's CONNECT tunnel, following redirects
 * hop by hop when asked to. Every hop's bytes are tapped from the first one (the raw
 * request and response heads, a refusal's body, then frames) and its phases are timed.
 *
 * Redirects are followed here rather than by `ws` so that each hop is one visible,
 * separately captured exchange, its proxy is chosen for its own host, and credentials
 * are dropped on a cross-origin hop by a rule this module states (curl's, which `ws` also
 * follows): a different host or port, or a downgrade from wss to ws, loses
 * Authorization and Cookie.
 *
 * `ws` drives the handshake and the connection afterwards. Two of its client behaviours
 * are narrowed to what RFC 6455 says, so the console does not refuse a server the RFC
 * allows:
 *  - a server may select none of the offered subprotocols (§4.2.2 /subprotocol/); `ws`
 *    fails that, so its view of the response header is taken out of its way and the
 *    selection is checked here instead (§4.1 item 6 is still enforced);
 *  - automatic pongs are answered by the session, which can turn them off.
 */
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { DeflateOffer } from '../../../shared/contract/client';
import type { FlowDirection } from '../../../shared/records';
import type { CaptureStore } from '../capture/capture-store';
import { ConnectionCapture } from '../capture/connection-capture';
import { tapNow, tapSocket, tapTimeToEpochMs } from '../capture/tap';
import type { DecodeEvent, ViolationEvent } from '../protocol/decoder';
import { checkUpgradeResponse, describeRefusal, headerValue, type HandshakeCheck } from '../protocol/handshake';
import type { TlsMaterial } from './connect-options';
import { describeConnectionError } from './connection-errors';
import { connectThroughProxy, resolveProxy, type Env, type ProxySetting } from './proxy';
import { tlsSnapshot, type TlsView } from './tls-details';

/** A refused upgrade's body is kept up to this size, for the person to read. */
export const MAX_REFUSAL_BODY = 4096;
/** How long to wait for the rest of a refusal's body once its head has arrived. */
const REFUSAL_BODY_WAIT_MS = 1000;

export interface AttemptConfig {
  connectionId: string;
  store: CaptureStore;
  /** ws:// or wss://, query included, without credentials. */
  url: string;
  headers: Array<[string, string]>;
  subprotocols: string[];
  deflate: false | DeflateOffer;
  tls: TlsMaterial;
  proxy: ProxySetting;
  env: Env;
  /** Per hop: proxy tunnel, DNS, TCP, TLS and the upgrade answer together. */
  timeoutMs: number;
  followRedirects: boolean;
  maxRedirects: number;
  log(level: 'info' | 'warn', message: string): void;
  onEvent?(event: DecodeEvent, direction: FlowDirection): void;
  onViolation?(event: ViolationEvent, direction: FlowDirection): void;
}

/** Monotonic marks (tap clock, nanoseconds) of one hop's phases. */
export interface HopMarks {
  start: bigint;
  lookup?: bigint;
  /** TCP connected; through a proxy: the CONNECT tunnel is open. */
  connect?: bigint;
  secure?: bigint;
  requestSent?: bigint;
  response?: bigint;
}

export type HopOutcome =
  | { kind: 'open'; ws: WebSocket; socket: net.Socket }
  | { kind: 'redirect'; status: number; location: string; error: string }
  | { kind: 'refused'; status: number; error: string }
  | { kind: 'failed'; error: string };

const msBetween = (from: bigint | undefined, to: bigint | undefined): number | undefined =>
  from === undefined || to === undefined ? undefined : Number(to - from) / 1e6;

/** Node's net/tls connect options for a ws or wss hop. */
function tlsOptions(material: TlsMaterial, host: string): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = {
    rejectUnauthorized: material.rejectUnauthorized,
    // RFC 6066 §3: SNI carries host names only, never IP literals.
    servername: material.servername ?? (net.isIP(host) ? undefined : host),
    // RFC 7301: a WebSocket over TLS speaks HTTP/1.1 for its handshake (RFC 8441 is h2's).
    ALPNProtocols: ['http/1.1'],
  };
  if (material.ca) o.ca = material.ca;
  if (material.cert) o.cert = material.cert;
  if (material.key) o.key = material.key;
  if (material.pfx) o.pfx = material.pfx;
  if (material.passphrase !== undefined) o.passphrase = material.passphrase;
  return o;
}

/** ws's permessage-deflate options for an offer (RFC 7692 §7.1): only what was chosen is offered. */
function wsDeflateOptions(offer: false | DeflateOffer): false | WebSocket.PerMessageDeflateOptions {
  if (offer === false) return false;
  const o: WebSocket.PerMessageDeflateOptions = {
    // undefined would make ws offer a valueless client_max_window_bits; false offers none.
    clientMaxWindowBits: offer.clientMaxWindowBits === undefined ? (false as unknown as number) : (offer.clientMaxWindowBits as number),
  };
  if (offer.serverMaxWindowBits !== undefined) o.serverMaxWindowBits = offer.serverMaxWindowBits;
  // Left undefined when not offered: ws then accepts a server that asks for it anyway,
  // which RFC 7692 §7.1.1.2 allows for client_no_context_takeover.
  if (offer.clientNoContextTakeover) o.clientNoContextTakeover = true;
  if (offer.serverNoContextTakeover) o.serverNoContextTakeover = true;
  return o;
}

/** One request/response exchange of an attempt. */
export class HandshakeHop {
  readonly capture: ConnectionCapture;
  readonly marks: HopMarks = { start: tapNow() };
  readonly startedAt = Date.now();
  tls?: TlsView;
  /** The proxy used, for display (credentials removed), and why. */
  proxy?: { display: string; reason: string };
  /** A refusal's body as the server sent it (HTTP framing removed). */
  body?: Uint8Array;
  /** The response's Sec-WebSocket-Protocol, as sent. */
  selectedProtocol?: string;
  /** The checks of the 101 response, once it arrived. */
  responseChecks?: HandshakeCheck[];
  remoteAddress?: string;
  outcome?: HopOutcome;
  private ws: WebSocket | null = null;
  private socket: net.Socket | null = null;
  private tunnel: net.Socket | null = null;
  private settleFn: ((o: HopOutcome) => void) | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly url: URL,
    readonly headers: Array<[string, string]>,
    private readonly config: AttemptConfig,
  ) {
    this.capture = new ConnectionCapture(config.store, config.connectionId, 'client', {
      onEvent: config.onEvent,
      onViolation: config.onViolation,
    });
  }

  get secure(): boolean {
    return this.url.protocol === 'wss:';
  }

  /** host:port as a person writes it, for messages. */
  get target(): string {
    return this.url.host || this.url.hostname;
  }

  timings(): { dnsMs?: number; connectMs?: number; tlsMs?: number; upgradeMs?: number } {
    const m = this.marks;
    return {
      dnsMs: msBetween(m.start, m.lookup),
      connectMs: msBetween(m.lookup ?? m.start, m.connect),
      tlsMs: msBetween(m.connect, m.secure),
      upgradeMs: msBetween(m.requestSent, m.response),
    };
  }

  /** Cancels a hop in progress (the person closed the tab, or Framescope quits). */
  abort(reason: string): void {
    this.settle({ kind: 'failed', error: reason });
  }

  run(): Promise<HopOutcome> {
    return new Promise<HopOutcome>((resolve) => {
      this.settleFn = resolve;
      this.timer = setTimeout(() => this.settle({ kind: 'failed', error: this.timeoutMessage() }), this.config.timeoutMs);
      this.timer.unref?.();
      void this.start();
    });
  }

  private timeoutMessage(): string {
    const m = this.marks;
    const t = this.config.timeoutMs;
    let stage: string;
    if (this.proxy && m.connect === undefined) stage = `the proxy ${this.proxy.display} did not open a tunnel`;
    else if (m.connect === undefined) stage = m.lookup === undefined && !net.isIP(this.url.hostname.replace(/^\[|\]$/g, '')) ? 'resolving the host name did not finish' : 'the TCP connection was not accepted';
    else if (this.secure && m.secure === undefined) stage = 'the TLS handshake did not finish';
    else if (m.response === undefined) stage = 'the server did not answer the upgrade request';
    else stage = 'the answer did not complete';
    return `The opening handshake with ${this.target} timed out after ${t} ms: ${stage}`;
  }

  private settle(outcome: HopOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    clearTimeout(this.timer);
    if (outcome.kind !== 'open') {
      // A refused or failed hop is finished: free its socket. ws reports the
      // termination with 'error'/'close' events, which this hop ignores now.
      this.ws?.terminate();
      this.tunnel?.destroy();
      this.socket?.destroy();
      this.capture.end(Date.now());
    }
    this.settleFn?.(outcome);
  }

  private async start(): Promise<void> {
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = this.url.port === '' ? (this.secure ? 443 : 80) : Number(this.url.port);
    const decision = resolveProxy(this.url, this.config.proxy, this.config.env);
    if (!decision.ok) return this.settle({ kind: 'failed', error: decision.error });
    if (decision.value.proxy !== null) {
      this.proxy = { display: decision.value.proxy.displayUrl.replace(/\/$/, ''), reason: decision.value.reason };
      this.config.log('info', `via proxy ${this.proxy.display} (${decision.value.reason})`);
      try {
        this.tunnel = await connectThroughProxy(decision.value.proxy.url, host, port, { timeoutMs: this.config.timeoutMs });
      } catch (e) {
        return this.settle({ kind: 'failed', error: `Cannot reach ${this.target} through the proxy: ${(e as Error).message}` });
      }
      this.marks.connect = tapNow();
      if (this.outcome) {
        this.tunnel.destroy();
        return;
      }
    }
    this.openWebSocket(host);
  }

  private createSocket(host: string, port: number): net.Socket {
    const tunnel = this.tunnel;
    let socket: net.Socket;
    if (this.secure) {
      socket = tunnel ? tls.connect({ socket: tunnel, ...tlsOptions(this.config.tls, host) }) : tls.connect({ host, port, ...tlsOptions(this.config.tls, host) });
      const tlsSocket = socket as TLSSocket;
      // Before Node's own verification (see tls-details.ts).
      tlsSocket.prependOnceListener('secure', () => {
        this.marks.secure = tapNow();
        this.tls = tlsSnapshot(tlsSocket);
      });
      tlsSocket.once('secureConnect', () => {
        if (this.tls) {
          this.tls.authorized = tlsSocket.authorized;
          if (tlsSocket.authorizationError) this.tls.authorizationError = String(tlsSocket.authorizationError);
        }
      });
    } else {
      socket = tunnel ?? net.connect({ host, port });
    }
    if (!tunnel) {
      socket.once('lookup', () => (this.marks.lookup = tapNow()));
      socket.once('connect', () => {
        this.marks.connect = tapNow();
        this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
      });
    }
    // Uncopied: the capture decodes every read before ws sees it (see tap.ts).
    tapSocket(
      socket,
      (direction, bytes, ts) => {
        if (direction === 'out' && this.marks.requestSent === undefined) this.marks.requestSent = ts;
        const hadResponse = this.capture.handshake.response !== undefined;
        this.capture.push(direction, bytes, tapTimeToEpochMs(ts));
        if (!hadResponse && this.capture.handshake.response !== undefined) this.marks.response = ts;
      },
      { copy: false },
    );
    this.socket = socket;
    return socket;
  }

  private openWebSocket(host: string): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of this.headers) headers[name] = value;
    // Offered by hand (RFC 6455 §4.1 item 10: a comma-separated list) rather than
    // through ws, whose client refuses a server that selects none; see the module comment.
    if (this.config.subprotocols.length > 0) headers['Sec-WebSocket-Protocol'] = this.config.subprotocols.join(', ');
    const ws = new WebSocket(this.url, [], {
      headers,
      perMessageDeflate: wsDeflateOptions(this.config.deflate),
      followRedirects: false,
      autoPong: false,
      createConnection: ((opts: { host?: string; port?: number | string }) =>
        this.createSocket(host, Number(opts.port ?? 0) || (this.secure ? 443 : 80))) as unknown as WebSocket.ClientOptions['createConnection'],
      finishRequest: (req: ClientRequest) => {
        req.prependListener('upgrade', (res: IncomingMessage) => {
          this.selectedProtocol = res.headers['sec-websocket-protocol'] as string | undefined;
          delete res.headers['sec-websocket-protocol'];
        });
        req.end();
      },
    } as WebSocket.ClientOptions);
    this.ws = ws;
    ws.on('error', (error: Error) => this.onError(error));
    ws.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => this.onRefusal(res));
    ws.on('open', () => this.onOpen(ws));
    ws.on('close', () => {
      if (!this.outcome) this.settle({ kind: 'failed', error: `${this.target} closed the connection during the opening handshake` });
    });
  }

  private requestKey(): string {
    return headerValue(this.capture.handshake.request?.headers ?? [], 'sec-websocket-key') ?? '';
  }

  private checkResponse(): ReturnType<typeof checkUpgradeResponse> | null {
    const response = this.capture.handshake.response;
    if (!response) return null;
    // The Sec-WebSocket-Protocol header is still in the captured head (only ws's copy was edited).
    const verdict = checkUpgradeResponse(response, {
      key: this.requestKey(),
      offeredProtocols: this.config.subprotocols,
      offeredExtensions: headerValue(this.capture.handshake.request?.headers ?? [], 'sec-websocket-extensions') ?? '',
    });
    this.responseChecks = verdict.checks;
    return verdict;
  }

  private onOpen(ws: WebSocket): void {
    if (this.outcome) return;
    const verdict = this.checkResponse();
    if (verdict && !verdict.ok && verdict.failed) {
      // RFC 6455 §4.1: "the client MUST _Fail the WebSocket Connection_".
      return this.settle({ kind: 'failed', error: this.brokenResponseMessage(verdict.failed) });
    }
    this.settle({ kind: 'open', ws, socket: this.socket! });
  }

  private brokenResponseMessage(failed: HandshakeCheck): string {
    return `${this.target} agreed to switch protocols (101), but its answer breaks ${failed.rule}: ${failed.label} — ${failed.detail}. Framescope failed the connection, as RFC 6455 §4.1 requires.`;
  }

  private onError(error: Error): void {
    if (this.outcome) return;
    if (this.capture.handshake.response?.status === 101) {
      const verdict = this.checkResponse();
      if (verdict?.failed) return this.settle({ kind: 'failed', error: this.brokenResponseMessage(verdict.failed) });
      return this.settle({ kind: 'failed', error: `${this.target} agreed to switch protocols, but Framescope could not use its answer: ${error.message}` });
    }
    const leaf = this.tls?.chain[0];
    let message = describeConnectionError(error, this.target, { leaf });
    const code = (error as NodeJS.ErrnoException).code;
    const material = this.config.tls;
    if (this.secure && this.marks.secure !== undefined && this.marks.response === undefined && (code === 'ECONNRESET' || code === 'EPIPE') && !material.cert && !material.pfx) {
      // In TLS 1.3 the client's handshake is complete before the server checks for a
      // client certificate (RFC 8446 §4.4.2); a server that needs one then just drops
      // the connection, so the client sees only a reset.
      message += ' right after the TLS handshake; it may require a client certificate (certificate and key, or a PKCS#12 file)';
    }
    this.settle({ kind: 'failed', error: message });
  }

  private onRefusal(res: IncomingMessage): void {
    if (this.outcome) return;
    this.checkResponse();
    const status = res.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (): void => {
      clearTimeout(wait);
      if (this.outcome) return;
      this.body = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY);
      const headers = Object.entries(res.headers).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, x] as [string, string]) : v === undefined ? [] : [[n, String(v)] as [string, string]]));
      const error = describeRefusal(status, headers, this.body);
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      if (status >= 300 && status < 400 && location !== undefined) this.settle({ kind: 'redirect', status, location, error });
      else this.settle({ kind: 'refused', status, error });
    };
    // A server may keep the connection open after its refusal; do not wait for it forever.
    const wait = setTimeout(finish, REFUSAL_BODY_WAIT_MS);
    wait.unref?.();
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_REFUSAL_BODY) chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REFUSAL_BODY) finish();
    });
    res.on('end', finish);
    res.on('error', finish);
    res.on('aborted', finish);
  }
}

export type AttemptOutcome =
  | { kind: 'open'; ws: WebSocket; socket: net.Socket; hop: HandshakeHop }
  | { kind: 'failed'; error: string; status?: number };

/** One attempt: hops until a 101, a refusal, a failure, or too many redirects. */
export class HandshakeAttempt {
  readonly hops: HandshakeHop[] = [];
  readonly startedAt = Date.now();
  readonly startNs = tapNow();
  outcome?: AttemptOutcome;
  private aborted: string | null = null;

  constructor(private readonly config: AttemptConfig) {}

  get lastHop(): HandshakeHop | undefined {
    return this.hops[this.hops.length - 1];
  }

  abort(reason: string): void {
    this.aborted = reason;
    this.lastHop?.abort(reason);
  }

  async run(): Promise<AttemptOutcome> {
    let url = new URL(this.config.url);
    let headers = this.config.headers;
    for (let redirects = 0; ; redirects++) {
      const hop = new HandshakeHop(url, headers, this.config);
      this.hops.push(hop);
      if (this.aborted !== null) hop.abort(this.aborted);
      const outcome = this.aborted !== null ? hop.outcome! : await hop.run();
      if (outcome.kind === 'open') return (this.outcome = { kind: 'open', ws: outcome.ws, socket: outcome.socket, hop });
      if (outcome.kind === 'failed') return (this.outcome = { kind: 'failed', error: outcome.error });
      if (outcome.kind === 'refused' || !this.config.followRedirects) {
        return (this.outcome = { kind: 'failed', error: outcome.error, status: outcome.status });
      }
      if (redirects >= this.config.maxRedirects) {
        return (this.outcome = { kind: 'failed', status: outcome.status, error: `Too many redirects: ${redirects + 1} in a row (the limit is ${this.config.maxRedirects}); the last one pointed to ${outcome.location}` });
      }
      const next = this.nextUrl(url, outcome.location);
      if (!next.ok) return (this.outcome = { kind: 'failed', status: outcome.status, error: next.error });
      headers = this.headersFor(url, next.url, headers);
      this.config.log('info', `${outcome.status} redirect from ${url.href} to ${next.url.href}`);
      url = next.url;
    }
  }

  /** RFC 9110 §10.2.2: Location is a URI reference, resolved against the request's URL. */
  private nextUrl(current: URL, location: string): { ok: true; url: URL } | { ok: false; error: string } {
    let next: URL;
    try {
      next = new URL(location, current.href.replace(/^ws/, 'http'));
    } catch {
      return { ok: false, error: `The server redirects to '${location}', which is not a valid URL` };
    }
    if (next.protocol === 'http:' || next.protocol === 'https:') next = new URL(`${next.protocol === 'http:' ? 'ws' : 'wss'}${next.href.slice(next.protocol.length - 1)}`);
    if (next.protocol !== 'ws:' && next.protocol !== 'wss:') {
      return { ok: false, error: `The server redirects to ${next.href}, which is not a WebSocket (ws://, wss://, http:// or https://) URL` };
    }
    next.hash = '';
    if (next.username !== '' || next.password !== '') {
      // Credentials are the person's decision, not a redirecting server's.
      this.config.log('warn', `the redirect to ${next.host} carried user:password, which Framescope does not use`);
      next.username = '';
      next.password = '';
    }
    return { ok: true, url: next };
  }

  private headersFor(from: URL, to: URL, headers: Array<[string, string]>): Array<[string, string]> {
    const sameOrigin = from.host === to.host;
    const downgrade = from.protocol === 'wss:' && to.protocol === 'ws:';
    if (sameOrigin && !downgrade) return headers;
    const dropped = headers.filter(([n]) => ['authorization', 'cookie'].includes(n.toLowerCase())).map(([n]) => n);
    if (dropped.length > 0) {
      this.config.log('warn', `not sending ${dropped.join(' and ')} to ${to.host}: the redirect leaves ${from.host}${downgrade ? ' and TLS' : ''}`);
    }
    return headers.filter(([n]) => !['authorization', 'cookie'].includes(n.toLowerCase()));
  }
}
