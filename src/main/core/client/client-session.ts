/**
 * One client connection: a `ws` client tapped from its first byte, whose
 * frames are captured from the wire (not from ws's message events).
 */
import type WebSocket from 'ws';
import type { ConnectionInfo } from '../../../shared/records';
import { ConnectionCapture } from '../capture/connection-capture';
import type { CaptureStore } from '../capture/capture-store';
import { connectTappedWebSocket, tapTimeToEpochMs, type TappedWebSocket } from '../capture/tap';
import { describeRefusal, toHeaderList } from '../protocol/handshake';
import { describeConnectionError } from './connection-errors';

export interface ClientSessionDeps {
  store: CaptureStore;
  /** Publish the connection's latest state. */
  publish(info: ConnectionInfo): void;
}

export interface ClientSessionRequest {
  url: string;
  subprotocols?: string[];
  handshakeTimeoutMs?: number;
}

const MAX_REFUSAL_BODY = 4096;

/** Parse and check a URL a person typed; the error says what is wrong with it. */
export function parseWebSocketUrl(input: string): { ok: true; url: URL } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { ok: false, error: `'${input}' is not a valid URL (expected ws://host:port/path or wss://…)` };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    return { ok: false, error: `'${input}' is not a ws:// or wss:// URL` };
  }
  return { ok: true, url };
}

export class ClientSession {
  private info: ConnectionInfo;
  private tapped: TappedWebSocket | null = null;
  private readonly capture: ConnectionCapture;

  constructor(
    readonly id: string,
    private readonly request: ClientSessionRequest,
    private readonly deps: ClientSessionDeps,
  ) {
    this.info = { id, role: 'client', url: request.url, state: 'connecting', openedAt: Date.now() };
    this.capture = new ConnectionCapture(deps.store, id, 'client');
  }

  get state(): ConnectionInfo {
    return this.info;
  }

  /** Resolves once the connection is open, refused or failed; never rejects. */
  connect(): Promise<ConnectionInfo> {
    this.publish({});
    const parsed = parseWebSocketUrl(this.request.url);
    if (!parsed.ok) return Promise.resolve(this.fail(parsed.error));
    const target = parsed.url.host;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (info: ConnectionInfo): void => {
        if (!settled) {
          settled = true;
          resolve(info);
        }
      };
      const tapped = connectTappedWebSocket(
        parsed.url,
        (direction, bytes, ts) => this.capture.push(direction, bytes, tapTimeToEpochMs(ts)),
        {
          protocols: this.request.subprotocols,
          wsOptions: { handshakeTimeout: this.request.handshakeTimeoutMs ?? 10_000, perMessageDeflate: false },
        },
      );
      this.tapped = tapped;
      const ws = tapped.websocket;
      ws.on('open', () => {
        settle(this.publish({ state: 'open', subprotocol: ws.protocol || undefined, extensions: ws.extensions || undefined }));
      });
      ws.on('unexpected-response', (_req, res) => {
        // RFC 6455 §4.1: anything but 101 means the server refused the upgrade.
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_REFUSAL_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY);
          settle(this.fail(describeRefusal(res.statusCode ?? 0, toHeaderList(res.headers), body)));
          res.socket?.destroy();
        });
      });
      ws.on('error', (error: Error) => {
        settle(this.fail(describeConnectionError(error, target)));
      });
      ws.on('close', (code, reason) => {
        this.capture.end(Date.now());
        if (this.info.state !== 'failed') {
          settle(this.publish({ state: 'closed', closedAt: Date.now(), closeCode: code, closeReason: reason.toString() }));
        }
      });
    });
  }

  sendText(text: string): number {
    const ws = this.openSocket();
    ws.send(text);
    return Buffer.byteLength(text);
  }

  close(code = 1000, reason = ''): ConnectionInfo {
    const ws = this.tapped?.websocket;
    if (ws && ws.readyState === ws.OPEN) {
      ws.close(code, reason);
      return this.publish({ state: 'closing' });
    }
    ws?.terminate();
    return this.info;
  }

  private openSocket(): WebSocket {
    const ws = this.tapped?.websocket;
    if (!ws || ws.readyState !== ws.OPEN) throw new Error(`connection ${this.id} is not open`);
    return ws;
  }

  private fail(error: string): ConnectionInfo {
    return this.publish({ state: 'failed', error, closedAt: Date.now() });
  }

  private publish(change: Partial<ConnectionInfo>): ConnectionInfo {
    this.info = { ...this.info, ...change };
    this.deps.publish(this.info);
    return this.info;
  }
}
