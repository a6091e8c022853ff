/**
 * One connection's capture pipeline: tapped bytes → handshake split → one frame
 * decoder per direction → capture store rows. Sans I/O: the owner feeds it the
 * tap's chunks and reads back the handshake and the decoder's events.
 *
 * Frame bytes that arrive before the response head is known (a client's first
 * frame in the same packet as its request, seen by a server tap before its own
 * 101 goes out) are held until the negotiated extensions are known, because the
 * decoder must know whether RSV1 means "compressed" (RFC 7692 §6).
 *
 * Small outgoing chunks are decoded together at the end of the current task.
 * `ws` hands each message it sends to the socket on its own, so a busy
 * connection produces one tiny chunk per message, and the decoder's cost per
 * push (not per byte) dominated capturing them. Rows and their order are the
 * same as decoding chunk by chunk: the pending bytes are decoded before any
 * other chunk of the connection, and each frame row keeps the time of the
 * chunk that completed the frame (a violation row: of the chunk holding the
 * offset it reports). Only the outgoing side is deferred: what was sent is
 * never acted on, while incoming violations are reported synchronously (the
 * embedded server stops delivering bytes to `ws` at a fatal one).
 */
import type { ConnectionRole, FlowDirection } from '../../../shared/records';
import {
  FIN_BIT,
  INBOUND_BIT,
  MASKED_BIT,
  OPCODE_BITS,
  RSV1_BIT,
  RSV2_BIT,
  RSV3_BIT,
  VIOLATION_BIT,
  lengthEncodingBits,
} from '../../../shared/frame-bits';
import type { Direction } from '../protocol/constants';
import { FrameDecoder, type DecodeEvent, type FrameEvent, type ViolationEvent } from '../protocol/decoder';
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
  /**
   * Incoming chunks are this capture's until push() returns, and whoever reads them next sees
   * them only then (the embedded server hands each read to ws after the capture): masked frames
   * are unmasked where they lie and kept as views, not copies (FrameDecoderOptions.unmaskInPlace).
   */
  unmaskIncomingInPlace?: boolean;
}

/** Outgoing chunks up to this size are coalesced (see the module comment); larger ones are decoded at once. */
const COALESCE_MAX_CHUNK = 4 * 1024;
/** Pending outgoing bytes beyond this are decoded right away. */
const COALESCE_MAX_PENDING = 64 * 1024;

export class ConnectionCapture {
  readonly handshake: CapturedHandshake = { body: [] };
  private readonly splitter: ConnectionSplitter;
  private decoders: Record<FlowDirection, FrameDecoder> | null = null;
  private held: Array<{ direction: FlowDirection; bytes: Uint8Array; offset: number; time: number }> = [];
  private handshakeError: string | null = null;
  private readonly lastFrameId: Record<FlowDirection, number> = { out: -1, in: -1 };
  /** Frame-stream bytes pushed into the outgoing decoder so far. */
  private outDecoded = 0;
  /** Outgoing chunks not decoded yet, their times, and their total length. */
  private outPending: Uint8Array[] = [];
  private outPendingTimes: number[] = [];
  private outPendingBytes = 0;
  private outFlushQueued = false;
  private readonly flushQueuedOut = (): void => {
    this.outFlushQueued = false;
    this.decodePendingOut();
  };

  constructor(
    private readonly store: CaptureStore,
    readonly connectionId: string,
    /** A live connection's side; 'imported' rows never pass through a capture. */
    readonly role: Exclude<ConnectionRole, 'imported'>,
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
    // After the handshake every chunk is frame bytes: straight to the decoder,
    // without the splitter's event objects (this runs once per socket read
    // and once per message sent, so it is the capture's hottest path).
    if (this.decoders !== null && this.splitter.passFrames(direction, bytes)) {
      if (direction === 'out' && bytes.length <= COALESCE_MAX_CHUNK) {
        this.queueOut(bytes, time);
        return;
      }
      if (this.outPending.length > 0) this.decodePendingOut();
      this.decode(direction, bytes, time);
      return;
    }
    if (this.outPending.length > 0) this.decodePendingOut();
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
    this.decodePendingOut();
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
      new FrameDecoder({
        from: this.senderOf(direction),
        deflate,
        maxPayload: this.options.maxPayload,
        unmaskInPlace: direction === 'in' && this.options.unmaskIncomingInPlace === true,
      });
    this.decoders = { out: make('out'), in: make('in') };
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.decode(chunk.direction, chunk.bytes, chunk.time ?? time);
  }

  private decode(direction: FlowDirection, bytes: Uint8Array, time: number): void {
    if (direction === 'out') this.outDecoded += bytes.length;
    this.record(direction, this.decoders![direction].push(bytes), time);
  }

  private queueOut(bytes: Uint8Array, time: number): void {
    this.outPending.push(bytes);
    this.outPendingTimes.push(time);
    this.outPendingBytes += bytes.length;
    if (this.outPendingBytes > COALESCE_MAX_PENDING) this.decodePendingOut();
    else if (!this.outFlushQueued) {
      this.outFlushQueued = true;
      queueMicrotask(this.flushQueuedOut);
    }
  }

  /**
   * Decodes the pending outgoing chunks in one go; each row gets the time of the chunk its frame
   * ended in. The chunks are not joined: a payload that lies inside one (`ws` writes a frame's
   * header and payload as two) stays a view of the bytes that were sent, not a copy.
   */
  private decodePendingOut(): void {
    const chunks = this.outPending;
    const times = this.outPendingTimes;
    const count = chunks.length;
    if (count === 0 || this.decoders === null) return;
    const total = this.outPendingBytes;
    // Start afresh before recording: an observer may send (and so push) synchronously.
    this.outPending = [];
    this.outPendingTimes = [];
    this.outPendingBytes = 0;
    const start = this.outDecoded;
    this.outDecoded += total;
    const events = this.decoders.out.pushAll(chunks);
    this.record('out', events, times[count - 1], chunks, times, start);
  }

  /**
   * Stores the decoder's events. Every row gets `time`, unless `chunks` (with
   * their `times`, the first starting at stream offset `start`) says which
   * chunk the bytes of each event came in.
   */
  private record(
    direction: FlowDirection,
    events: DecodeEvent[],
    time: number,
    chunks: Uint8Array[] | null = null,
    times: number[] | null = null,
    start = 0,
  ): void {
    const inbound = direction === 'in' ? INBOUND_BIT : 0;
    // Chunk k holds stream bytes [chunkEnd - chunks[k].length, chunkEnd): walked forward as events advance.
    let k = 0;
    let chunkEnd = chunks === null ? 0 : start + chunks[0].length;
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      if (event.type === 'frame') {
        if (chunks !== null && times !== null) {
          const last = event.offset + event.headerLength + event.length - 1;
          while (last >= chunkEnd && k < chunks.length - 1) chunkEnd += chunks[++k].length;
          time = times[k];
        }
        // Per frame: one row object for append() and nothing else. The mask key
        // and length encoding go into columns; only close frames (rare) carry
        // an extras object.
        this.lastFrameId[direction] = this.store.appendFrame(
          this.connectionId,
          time,
          frameBits(event) | inbound,
          event.length,
          event.offset,
          event.payload,
          event.maskKeyInt,
          event.closeCode !== undefined ? { closeCode: event.closeCode, closeReason: event.closeReason } : undefined,
        );
      } else if (event.type === 'violation') {
        if (chunks !== null && times !== null) {
          while (event.offset >= chunkEnd && k < chunks.length - 1) chunkEnd += chunks[++k].length;
          time = times[k];
        }
        this.store.appendFrame(this.connectionId, time, VIOLATION_BIT | inbound, 0, event.offset, null, 0, {
          violation: { code: event.code, closeCode: event.closeCode, rule: event.rule, message: event.message },
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

/**
 * The header fields of a decoded frame as a frame-bits word (direction added by
 * the caller): packFrameBits() without its `direction` and `violation` fields.
 * Kept apart on purpose, as the capture's per-frame step: calling
 * packFrameBits() here needed an object per frame ({ ...event, direction, ... })
 * and would make its property reads polymorphic (imports and tests pass plain
 * objects), while this one only ever sees the decoder's frame events. The test
 * "packs the same bits word as packFrameBits" keeps the two in step.
 */
function frameBits(e: FrameEvent): number {
  return (
    (e.opcode & OPCODE_BITS) |
    (e.fin ? FIN_BIT : 0) |
    (e.rsv1 ? RSV1_BIT : 0) |
    (e.rsv2 ? RSV2_BIT : 0) |
    (e.rsv3 ? RSV3_BIT : 0) |
    (e.masked ? MASKED_BIT : 0) |
    lengthEncodingBits(e.lengthEncoding)
  );
}
