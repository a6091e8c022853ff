/**
 * A WebSocket client made of a TCP socket, the project's frame crafter and its decoder: it
 * sends exactly the bytes a test asks for (masked, chopped, broken on purpose) and reports
 * every frame the server sends back. Used by the conformance suite and the refusal tests.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { type DecodeEvent, FrameDecoder, type FrameEvent, type MessageEvent } from '../../src/main/core/protocol/decoder';
import { type FrameSpec, encodeFrame } from '../../src/main/core/protocol/encoder';
import { computeAccept, parseHttpResponseHead, type HttpResponseHead } from '../../src/main/core/protocol/handshake';

export interface RawResponse {
  status: number;
  head: HttpResponseHead;
  body: string;
  raw: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `request` as is and reads the answer until the server closes the connection. */
export function rawRequest(port: number, request: string | Uint8Array, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1')}`));
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const head = parseHttpResponseHead(all);
      if (!head.ok) return reject(new Error(`not an HTTP response: ${JSON.stringify(all.toString('latin1'))}`));
      resolve({ status: head.value.status, head: head.value, body: all.subarray(head.value.headLength).toString('utf8'), raw: all.toString('latin1') });
    });
    socket.write(request);
  });
}

/** An upgrade request with the usual headers; `extra` lines are appended, `omit` names headers to leave out. */
export function upgradeRequest(path: string, port: number, extra: string[] = [], omit: string[] = [], method = 'GET', version = '1.1'): string {
  const lines = [
    ['Host', `127.0.0.1:${port}`],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', randomBytes(16).toString('base64')],
    ['Sec-WebSocket-Version', '13'],
  ].filter(([n]) => !omit.map((o) => o.toLowerCase()).includes(n.toLowerCase()));
  return `${method} ${path} HTTP/${version}\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join('')}${extra.map((l) => `${l}\r\n`).join('')}\r\n`;
}

export class RawClient {
  readonly events: Array<FrameEvent | MessageEvent> = [];
  readonly violations: DecodeEvent[] = [];
  tcpEnded = false;
  private readonly decoder = new FrameDecoder({ from: 'server', maxPayload: 512 * 1024 * 1024 });
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: net.Socket,
    readonly response: HttpResponseHead,
    leftover: Buffer,
  ) {
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('end', () => this.ended());
    socket.on('close', () => this.ended());
    socket.on('error', () => {});
    if (leftover.length) this.feed(leftover);
  }

  /** Opens a connection and completes the handshake; rejects unless the answer is 101 with the right accept. */
  /** `early`: bytes written in the same packet as the request, before the 101 (frames a client sent too soon). */
  static connect(port: number, path = '/echo', extra: string[] = [], early?: Uint8Array): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      const key = randomBytes(16).toString('base64');
      let buffered = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        buffered = Buffer.concat([buffered, d]);
        const head = parseHttpResponseHead(buffered);
        if (!head.ok) {
          if (!head.incomplete) reject(new Error(head.error));
          return;
        }
        socket.off('data', onData);
        if (head.value.status !== 101) return reject(new Error(`upgrade refused: ${buffered.toString('latin1')}`));
        const accept = head.value.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-accept')?.[1];
        if (accept !== computeAccept(key)) return reject(new Error(`wrong Sec-WebSocket-Accept ${accept}`));
        resolve(new RawClient(socket, head.value, buffered.subarray(head.value.headLength)));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      const request = Buffer.from(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra.map((l) => `${l}\r\n`).join('')}\r\n`,
        'latin1',
      );
      socket.write(early ? Buffer.concat([request, early]) : request);
    });
  }

  private feed(bytes: Buffer): void {
    if (this.decoder.halted) return;
    for (const e of this.decoder.push(bytes)) {
      if (e.type === 'violation') this.violations.push(e);
      else this.events.push(e);
    }
    this.wake();
  }

  private ended(): void {
    this.tcpEnded = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Client frames are masked (RFC 6455 §5.3) unless the spec says otherwise. */
  static bytes(specs: readonly FrameSpec[]): Buffer {
    return Buffer.concat(specs.map((s) => encodeFrame({ mask: 'random', ...s })));
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes the frames in one go, or in chops of `chop` bytes with `delayMs` between them. */
  async send(specs: readonly FrameSpec[], chop = 0, delayMs = 0): Promise<void> {
    const bytes = RawClient.bytes(specs);
    if (chop <= 0) return this.write(bytes);
    for (let at = 0; at < bytes.length; at += chop) {
      this.write(bytes.subarray(at, at + chop));
      if (delayMs) await sleep(delayMs);
    }
  }

  /** Resolves when `check` holds, or with false after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  messages(): MessageEvent[] {
    return this.events.filter((e): e is MessageEvent => e.type === 'message');
  }

  frames(opcode?: number): FrameEvent[] {
    return this.events.filter((e): e is FrameEvent => e.type === 'frame' && (opcode === undefined || e.opcode === opcode));
  }

  closeFrame(): FrameEvent | undefined {
    return this.frames(0x8)[0];
  }

  /** Waits for the server's Close frame; answers it (RFC 6455 §5.5.1) and waits for the TCP close. */
  async closed(timeoutMs = 2000): Promise<{ code: number | undefined; reason: string | undefined; empty: boolean } | null> {
    if (!(await this.until(() => this.closeFrame() !== undefined || this.tcpEnded, timeoutMs))) return null;
    const frame = this.closeFrame();
    if (!frame) return null;
    this.write(encodeFrame({ opcode: 0x8, mask: 'random', payload: frame.payload.subarray(0, Math.min(frame.payload.length, 2)) }));
    await this.until(() => this.tcpEnded, timeoutMs);
    return { code: frame.closeCode, reason: frame.closeReason, empty: frame.payload.length === 0 };
  }

  destroy(): void {
    this.socket.destroy();
  }
}
