/**
 * One connection's capture pipeline: tapped bytes → handshake split → one frame
 * decoder per direction → capture store rows. Sans I/O: the owner feeds it the
 * tap's chunks and reads back the handshake and the decoder's events.
 *
 * Frame bytes that arrive before the response head is known (a client's first
 * frame in the same packet as its request, seen by a server tap before its own
 * 101 goes out) are held until the negotiated extensions are known, because the
 * decoder must know whether RSV1 means "compressed" (RFC 7692 §6).
 */
import type { ConnectionRole, FlowDirection } from '../../../shared/records';
import { packFrameBits } from '../../../shared/frame-bits';
import type { Direction } from '../protocol/constants';
import { FrameDecoder, type DecodeEvent, type ViolationEvent } from '../protocol/decoder';
import { negotiatedDeflate } from '../protocol/extensions';
import type { HttpRequestHead, HttpResponseHead } from '../protocol/handshake';
import { headerValue } from '../protocol/handshake';
import type { CaptureStore } from './capture-store';
import { ConnectionSplitter } from './tap';

export interface CapturedHandshake {
  request?: HttpRequestHead;
  requestBytes?: Uint8Array;
  response?: HttpResponseHead;
  responseBytes?: Uint8Array;
  /** Bytes of a refused upgrade's response body, as far as they arrived. */
  body: Uint8Array[];
}

export interface ConnectionCaptureOptions {
  maxPayload?: number;
  /** Called for every violation the decoders report (a server acts on fatal ones). */
  onViolation?: (violation: ViolationEvent, direction: FlowDirection) => void;
  /** Called with every decoded event, after it was stored. */
  onEvent?: (event: DecodeEvent, direction: FlowDirection) => void;
}

export class ConnectionCapture {
  readonly handshake: CapturedHandshake = { body: [] };
  private readonly splitter: ConnectionSplitter;
  private decoders: Record<FlowDirection, FrameDecoder> | null = null;
  private held: Array<{ direction: FlowDirection; bytes: Uint8Array; offset: number; time: number }> = [];
  private handshakeError: string | null = null;
  private readonly lastFrameId: Record<FlowDirection, number> = { out: -1, in: -1 };

  constructor(
    private readonly store: CaptureStore,
    readonly connectionId: string,
    readonly role: ConnectionRole,
    private readonly options: ConnectionCaptureOptions = {},
  ) {
    this.splitter = new ConnectionSplitter(role);
  }

  /** Why the negotiated extensions could not be understood, if they could not. */
  get extensionError(): string | null {
    return this.handshakeError;
  }

  /** Feed one tapped chunk. `time` is milliseconds since the epoch. */
  push(direction: FlowDirection, bytes: Uint8Array, time: number): void {
    for (const event of this.splitter.push(direction, bytes)) {
      switch (event.type) {
        case 'request-head':
          this.handshake.request = event.head;
          this.handshake.requestBytes = event.bytes;
          break;
        case 'response-head':
          this.handshake.response = event.head;
          this.handshake.responseBytes = event.bytes;
          if (event.head.status === 101) this.startDecoders(event.head, time);
          break;
        case 'frames':
          if (this.decoders) this.decode(direction, event.bytes, time);
          else this.held.push({ direction, bytes: event.bytes, offset: event.frameOffset, time });
          break;
        case 'body':
          this.handshake.body.push(event.bytes);
          break;
        case 'unparsed':
          break;
      }
    }
  }

  /** The stream ended: a frame cut short becomes a violation row. */
  end(time: number): void {
    if (!this.decoders) return;
    for (const direction of ['out', 'in'] as const) {
      this.record(direction, this.decoders[direction].end(), time);
    }
  }

  private senderOf(direction: FlowDirection): Direction {
    // A client writes client frames; a server reads them.
    return (direction === 'out') === (this.role === 'client') ? 'client' : 'server';
  }

  private startDecoders(response: HttpResponseHead, time: number): void {
    const negotiated = negotiatedDeflate(headerValue(response.headers, 'sec-websocket-extensions'));
    if (!negotiated.ok) this.handshakeError = negotiated.error;
    const deflate = negotiated.ok ? negotiated.value : null;
    const make = (direction: FlowDirection): FrameDecoder =>
      new FrameDecoder({ from: this.senderOf(direction), deflate, maxPayload: this.options.maxPayload });
    this.decoders = { out: make('out'), in: make('in') };
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.decode(chunk.direction, chunk.bytes, chunk.time ?? time);
  }

  private decode(direction: FlowDirection, bytes: Uint8Array, time: number): void {
    this.record(direction, this.decoders![direction].push(bytes), time);
  }

  private record(direction: FlowDirection, events: DecodeEvent[], time: number): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (event.type === 'frame') {
        this.lastFrameId[direction] = this.store.append({
          connectionId: this.connectionId,
          time,
          bits: packFrameBits({ ...event, direction, violation: false }),
          length: event.length,
          offset: event.offset,
          header: null,
          payload: event.payload,
          extras:
            event.opcode === 0x8 || event.masked || event.lengthEncoding !== 7
              ? {
                  lengthEncoding: event.lengthEncoding,
                  maskKey: event.maskKey,
                  closeCode: event.closeCode,
                  closeReason: event.closeReason,
                }
              : undefined,
        });
      } else if (event.type === 'violation') {
        this.store.append({
          connectionId: this.connectionId,
          time,
          bits: packFrameBits({
            opcode: 0,
            fin: false,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            masked: false,
            direction,
            violation: true,
          }),
          length: 0,
          offset: event.offset,
          header: null,
          payload: null,
          extras: {
            violation: { code: event.code, closeCode: event.closeCode, rule: event.rule, message: event.message },
          },
        });
        this.options.onViolation?.(event, direction);
      } else if (event.compressed) {
        // The table previews what the person reads: the inflated message, on its last frame's row.
        this.store.attachInflated(this.lastFrameId[direction], event.data);
      }
      this.options.onEvent?.(event, direction);
    }
  }
}
