import { isAscii, isUtf8 } from 'node:buffer';
import type { Direction, ViolationCloseCode, ViolationCode } from './constants';
import {
  FIN_MASK,
  LENGTH_16_MARKER,
  LENGTH_64_MARKER,
  LENGTH_MASK,
  MASK_BIT,
  MAX_CONTROL_PAYLOAD,
  MAX_HEADER_LENGTH,
  OPCODE_MASK,
  Opcode,
  RSV1_MASK,
  RSV2_MASK,
  RSV3_MASK,
  VIOLATIONS,
  isReservedOpcode,
  isValidCloseCodeOnWire,
  opcodeName,
} from './constants';
import { MessageInflater } from './deflate';
import type { PermessageDeflateParams } from './permessage-deflate-params';
import { LITTLE_ENDIAN, xorMask } from './encoder';
import { Utf8Validator, decodeAscii, decodeUtf8, findInvalidUtf8 } from './utf8';

/**
 * A sans-I/O RFC 6455 frame decoder (with RFC 7692 inflation for display).
 *
 * Bytes go in with `push()`, events come out: every frame with every header
 * field, every assembled message, and every protocol violation as a value.
 * Structure follows ws's lib/receiver.js: named states, a loop that stops
 * when bytes run short, and consumption that works across chunk boundaries,
 * so any split of the stream yields the same events.
 */

export interface FrameEvent {
  readonly type: 'frame';
  readonly direction: Direction;
  /** Stream offset of the frame's first header byte. */
  readonly offset: number;
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly opcodeName: string;
  readonly masked: boolean;
  /** The masking key's four bytes in wire order (RFC 6455 §5.2), or null for an unmasked frame. */
  readonly maskKey: Uint8Array | null;
  /**
   * The same key as one big-endian uint32 (the four wire bytes read as a
   * number, e.g. 0x37fa213d for 37 fa 21 3d); 0 for an unmasked frame.
   * Cheaper than `maskKey` for consumers that store the key as a number.
   */
  readonly maskKeyInt: number;
  /** Payload length as declared in the header (= payload.length). */
  readonly length: number;
  /** Which length field carried it (RFC 6455 §5.2: 7-bit, 7+16-bit or 7+64-bit). */
  readonly lengthEncoding: 7 | 16 | 64;
  readonly headerLength: number;
  /** The unmasked wire payload; still compressed if the message is compressed. */
  readonly payload: Uint8Array;
  /** For data frames: the sequence number of the message the frame belongs to. */
  readonly messageSeq?: number;
  /** For close frames with a body (RFC 6455 §5.5.1). */
  readonly closeCode?: number;
  readonly closeReason?: string;
}

export interface MessageEvent {
  readonly type: 'message';
  readonly direction: Direction;
  /** Stream offset of the message's first frame. */
  readonly offset: number;
  /** 0, 1, 2, ... per decoder; matches `messageSeq` of its frames. */
  readonly seq: number;
  readonly opcode: number;
  readonly frames: number;
  /** Length of `data` (inflated if compressed). */
  readonly length: number;
  readonly compressed: boolean;
  /** Sum of the wire payload lengths, for compressed messages. */
  readonly compressedLength?: number;
  readonly data: Uint8Array;
  /**
   * For text messages: the decoded text (undefined for binary ones). The
   * bytes are validated as UTF-8 when the message is decoded; the string is
   * made from `data` on first access and then kept.
   */
  readonly text?: string;
}

export interface ViolationEvent {
  readonly type: 'violation';
  readonly direction: Direction;
  /** Stream offset where the problem is: the frame start, or the offending byte for UTF-8 errors. */
  readonly offset: number;
  /** Stream offset of the frame the violation belongs to. */
  readonly frameOffset: number;
  readonly code: ViolationCode;
  readonly closeCode: ViolationCloseCode;
  readonly rule: string;
  readonly message: string;
  readonly fatal: boolean;
}

export type DecodeEvent = FrameEvent | MessageEvent | ViolationEvent;

/** RSV bits defined by a negotiated extension other than permessage-deflate. */
export interface RsvAllowance {
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
}

export interface FrameDecoderOptions {
  /** Who sent these bytes: client frames must be masked, server frames must not (RFC 6455 §5.1). */
  readonly from: Direction;
  /**
   * Largest message accepted, in bytes, on the wire and after inflation;
   * default 64 MiB (RFC 6455 §10.4). Infinity for no limit.
   */
  readonly maxPayload?: number;
  /** The negotiated permessage-deflate parameters, if any (RFC 7692). */
  readonly deflate?: PermessageDeflateParams | null;
  /** Stream offset of the first byte pushed (e.g. the length of the handshake). */
  readonly startOffset?: number;
  /**
   * RSV bits some other negotiated extension defines. They are accepted on
   * any frame and not interpreted. (With deflate negotiated, RSV1 keeps its
   * RFC 7692 meaning regardless.)
   */
  readonly rsvAllowed?: RsvAllowance;
  /**
   * Unmask a masked frame in the chunk it arrived in, instead of into new
   * memory, when the whole frame lies inside the chunk just pushed: the
   * payload is then a view of that chunk, and the frame's masking key there
   * is overwritten with zeros, so that the chunk still holds a valid frame
   * with the same content (masking with a zero key changes nothing, RFC 6455
   * §5.3; the key the frame came with is still reported). Only for a caller
   * that owns each chunk until push() returns and hands it on to nobody who
   * has seen an earlier part of it: the embedded server, whose `ws` reads
   * every chunk after the capture did, and skips unmasking a zero key. Off
   * by default: chunks are then never modified.
   */
  readonly unmaskInPlace?: boolean;
}

export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;

// States of the frame loop (ws lib/receiver.js has the same shape).
const GET_INFO = 0;
const GET_LENGTH_16 = 1;
const GET_LENGTH_64 = 2;
const GET_MASK = 3;
const GET_DATA = 4;

const EMPTY: Uint8Array = new Uint8Array(0);
const NO_EVENTS: DecodeEvent[] = [];
const TWO_POW_32 = 2 ** 32;
/**
 * Copied payloads up to SLAB_MAX_ALLOC bytes are carved from shared slabs:
 * an ArrayBuffer of its own per payload costs more than decoding the frame.
 * A slab stays alive while any payload in it does.
 */
const SLAB_SIZE = 256 * 1024;
const SLAB_MAX_ALLOC = 16 * 1024;

/**
 * The slab is shared by every decoder in the process (JavaScript runs them one
 * at a time, so no locking): a slab per decoder would cost 256 KiB for each
 * connection that ever sent a frame, 256 MB for a thousand idle clients.
 */
const slab = {
  buffer: null as ArrayBuffer | null,
  u8: EMPTY,
  /** Word view for unmasking: slab allocations are 8-byte aligned (see slabAlloc). */
  i32: new Int32Array(0),
  pos: 0,
};

/** Reserves n bytes of the current slab (see SLAB_SIZE) and returns their offset. */
function slabAlloc(n: number): number {
  if (slab.buffer === null || slab.pos + n > SLAB_SIZE) {
    slab.buffer = new ArrayBuffer(SLAB_SIZE);
    slab.u8 = new Uint8Array(slab.buffer);
    slab.i32 = new Int32Array(slab.buffer);
    slab.pos = 0;
  }
  const at = slab.pos;
  slab.pos = (at + n + 7) & ~7;
  return at;
}

// ---------------------------------------------------------------------------
// Unmasking (RFC 6455 §5.3)
// ---------------------------------------------------------------------------
//
// "Octet i of the transformed data is the XOR of octet i of the original data
// with octet at index i modulo 4 of the masking key": with the key as a
// little-endian int (maskInt below), that is one XOR per 4-byte word. The
// destination is always 4-byte aligned (a slab allocation or a fresh
// buffer), so it is written through an Int32Array; the source is wherever
// the frame happened to start in a socket chunk, so it is read through a
// DataView, which handles any alignment. On Node 20 this beats DataView
// get+set per word by ~40% at every size (8 B to 16 KiB, measured); from
// BULK_UNMASK_MIN bytes on, a native copy followed by XOR-ing the aligned
// words in place is faster still.
//
// Int32Array elements are in the platform's byte order; the int key is
// little-endian, so big-endian platforms use xorMask() (DataView, explicit
// byte order) instead.

const BULK_UNMASK_MIN = 8 * 1024;

/**
 * Unmasks dst[at, at + n) in place (dst and i32 view the same buffer from
 * offset 0; `at` is a multiple of 4). Returns the OR of the output bytes'
 * top bits: zero exactly when the payload is ASCII.
 */
function unmaskInPlace(dst: Uint8Array, i32: Int32Array, at: number, n: number, key: number): number {
  if (!LITTLE_ENDIAN) {
    const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    return xorMask(view, at, view, at, n, key);
  }
  let seen = 0;
  const end = (at >> 2) + (n >> 2);
  for (let w = at >> 2; w < end; w++) {
    const v = i32[w] ^ key;
    i32[w] = v;
    seen |= v;
  }
  return (seen | unmaskTail(dst, at, dst, at, n, key)) & 0x80808080;
}

/**
 * Writes src[pos, pos + n) unmasked to dst[at, at + n) (dst and i32 as for
 * unmaskInPlace(); `srcView` views the same bytes as `src`, any alignment).
 * Returns the ASCII bits as unmaskInPlace() does.
 */
function unmaskCopy(dst: Uint8Array, i32: Int32Array, at: number, src: Uint8Array, srcView: DataView, pos: number, n: number, key: number): number {
  if (n >= BULK_UNMASK_MIN || !LITTLE_ENDIAN) {
    dst.set(new Uint8Array(src.buffer, src.byteOffset + pos, n), at);
    return unmaskInPlace(dst, i32, at, n, key);
  }
  let seen = 0;
  const words = n >> 2;
  const w0 = at >> 2;
  for (let w = 0; w < words; w++) {
    const v = srcView.getInt32(pos + (w << 2), true) ^ key;
    i32[w0 + w] = v;
    seen |= v;
  }
  return (seen | unmaskTail(dst, at, src, pos, n, key)) & 0x80808080;
}

/** The last n % 4 bytes of an unmasking, one at a time (src may be dst, pos then at); returns the OR of them. */
function unmaskTail(dst: Uint8Array, at: number, src: Uint8Array, pos: number, n: number, key: number): number {
  let seen = 0;
  for (let i = n & ~3; i < n; i++) {
    const v = src[pos + i] ^ ((key >>> ((i & 3) << 3)) & 0xff);
    dst[at + i] = v;
    seen |= v;
  }
  return seen;
}

// ---------------------------------------------------------------------------
// Event objects
// ---------------------------------------------------------------------------
//
// Events are class instances rather than object literals so that the parts
// most consumers never read cost nothing until read: the mask key's
// Uint8Array (the capture stores maskKeyInt) and a text message's JS string
// (the capture stores the bytes). Both are prototype getters that compute on
// first access and keep the result in a private field, invisible to
// Object.keys, spread and test equality like every other private field.
// Every other field is an own, enumerable data property, as before; one
// constructor per type keeps the shapes monomorphic.

class DecodedFrame implements FrameEvent {
  readonly type = 'frame' as const;
  #maskKey: Uint8Array | null | undefined = undefined;

  constructor(
    readonly direction: Direction,
    readonly offset: number,
    readonly fin: boolean,
    readonly rsv1: boolean,
    readonly rsv2: boolean,
    readonly rsv3: boolean,
    readonly opcode: number,
    readonly opcodeName: string,
    readonly masked: boolean,
    readonly maskKeyInt: number,
    readonly length: number,
    readonly lengthEncoding: 7 | 16 | 64,
    readonly headerLength: number,
    readonly payload: Uint8Array,
    readonly messageSeq: number | undefined,
    readonly closeCode: number | undefined,
    readonly closeReason: string | undefined,
  ) {}

  get maskKey(): Uint8Array | null {
    if (this.#maskKey === undefined) {
      if (!this.masked) {
        this.#maskKey = null;
      } else {
        // A 4-byte view into the shared slab: about half the cost of a new Uint8Array(4).
        const at = slabAlloc(4);
        const k = this.maskKeyInt;
        const u8 = slab.u8;
        u8[at] = k >>> 24;
        u8[at + 1] = k >>> 16;
        u8[at + 2] = k >>> 8;
        u8[at + 3] = k;
        this.#maskKey = new Uint8Array(u8.buffer, at, 4);
      }
    }
    return this.#maskKey;
  }
}

class DecodedMessage implements MessageEvent {
  readonly type = 'message' as const;
  #text: string | undefined = undefined;
  /** The data is known to be ASCII (unmasking saw it): decoded as Latin-1, which is cheaper. */
  readonly #ascii: boolean;

  constructor(
    readonly direction: Direction,
    readonly offset: number,
    readonly seq: number,
    readonly opcode: number,
    readonly frames: number,
    readonly length: number,
    readonly compressed: boolean,
    readonly compressedLength: number | undefined,
    readonly data: Uint8Array,
    ascii: boolean,
  ) {
    this.#ascii = ascii;
  }

  get text(): string | undefined {
    // The decoder has validated text data (RFC 6455 §8.1) before emitting the event.
    if (this.#text === undefined && this.opcode === Opcode.Text) {
      this.#text = this.#ascii ? decodeAscii(this.data) : decodeUtf8(this.data);
    }
    return this.#text;
  }
}

/** RFC 6455 §5.2: the smallest lengths that need the 16- and 64-bit encodings. */
const MIN_LENGTH_16 = 126;
const MIN_LENGTH_64 = 0x1_0000;

// For close reasons, which may be invalid: WHATWG decoding replaces each
// maximal invalid subpart with U+FFFD. ignoreBOM keeps a leading U+FEFF.
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class FrameDecoder {
  readonly direction: Direction;
  readonly maxPayload: number;
  private readonly expectMask: boolean;
  private readonly unmaskInPlace: boolean;
  private readonly inflater: MessageInflater | null;
  private readonly allowRsv1: boolean;
  private readonly allowRsv2: boolean;
  private readonly allowRsv3: boolean;

  // Buffered input: chunks[head] starting at pos, `buffered` bytes in all.
  private chunks: Uint8Array[] = [];
  /**
   * A DataView of `viewOf` (the head chunk, when one was needed), for
   * unmasking from any alignment: made per chunk only when a masked payload
   * is read from it, so unmasked streams never make one.
   */
  private view: DataView | null = null;
  private viewOf: Uint8Array | null = null;
  private head = 0;
  private pos = 0;
  private buffered = 0;
  /** Stream offset of the next byte to consume. */
  private offset: number;
  // Where take() left the requested header bytes (a chunk, or the scratch copy).
  private src: Uint8Array = EMPTY;
  private srcPos = 0;
  private readonly scratch = new Uint8Array(MAX_HEADER_LENGTH);

  private state = GET_INFO;
  private events: DecodeEvent[] = NO_EVENTS;
  private _halted = false;
  private ended = false;
  private closeSeen = false;

  // The frame being read.
  private frameOffset = 0;
  private fin = false;
  private rsv1 = false;
  private rsv2 = false;
  private rsv3 = false;
  private opcode = 0;
  private masked = false;
  /** The key as a little-endian int, for unmasking (see unmaskInPlace()). */
  private maskInt = 0;
  /** The key as a big-endian int, for the event (FrameEvent.maskKeyInt). */
  private maskKeyInt = 0;
  /** What unmasking learnt about the last payload: 1 all ASCII, 0 not, -1 unknown. */
  private payloadAscii = -1;
  private length = 0;
  private lengthEncoding: 7 | 16 | 64 = 7;

  // The data message in progress (RFC 6455 §5.4); msgOpcode 0 means none.
  private msgOpcode = 0;
  private msgOffset = 0;
  private msgSeq = -1;
  private msgFrames = 0;
  private msgCompressed = false;
  private msgWireLength = 0;
  private msgFragments: Uint8Array[] = [];
  private readonly utf8 = new Utf8Validator();
  private nextSeq = 0;

  constructor(options: FrameDecoderOptions) {
    if (options.from !== 'client' && options.from !== 'server') {
      throw new TypeError(`options.from must be 'client' or 'server', got ${String(options.from)}`);
    }
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!(maxPayload >= 0)) throw new RangeError(`options.maxPayload must be >= 0, got ${maxPayload}`);
    this.direction = options.from;
    this.maxPayload = maxPayload;
    this.expectMask = options.from === 'client';
    this.unmaskInPlace = options.unmaskInPlace === true;
    this.inflater = options.deflate ? new MessageInflater(options.deflate, options.from) : null;
    const rsv = options.rsvAllowed ?? {};
    this.allowRsv1 = rsv.rsv1 === true;
    this.allowRsv2 = rsv.rsv2 === true;
    this.allowRsv3 = rsv.rsv3 === true;
    this.offset = options.startOffset ?? 0;
  }

  /** True after a fatal violation: like a real endpoint, the decoder drops everything that follows. */
  get halted(): boolean {
    return this._halted;
  }

  /** Stream offset of the next byte the decoder has not consumed. */
  get position(): number {
    return this.offset;
  }

  /**
   * Feeds the next bytes of the stream. Chunks are kept by reference (payloads
   * that lie inside one chunk are views of it) and are never modified, unless
   * the decoder was made with `unmaskInPlace`.
   */
  push(chunk: Uint8Array): DecodeEvent[] {
    if (this.ended) throw new Error('FrameDecoder.push() after end()');
    if (this._halted || chunk.length === 0) return [];
    this.append(chunk);
    return this.runPushed();
  }

  /**
   * Feeds several consecutive chunks at once: the same events as pushing them
   * one by one, for the cost of one push. Nothing is joined, so a payload that
   * lies inside one of them is still a view of it rather than a copy.
   */
  pushAll(chunks: readonly Uint8Array[]): DecodeEvent[] {
    if (this.ended) throw new Error('FrameDecoder.pushAll() after end()');
    if (this._halted) return [];
    for (let i = 0; i < chunks.length; i++) if (chunks[i].length > 0) this.append(chunks[i]);
    return this.runPushed();
  }

  private append(chunk: Uint8Array): void {
    // Keep every chunk a plain Uint8Array: element access stays monomorphic
    // and payload views do not go through Buffer's species constructor.
    this.chunks.push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
  }

  private runPushed(): DecodeEvent[] {
    const events: DecodeEvent[] = [];
    this.events = events;
    this.run();
    this.events = NO_EVENTS;
    // Drop consumed chunks so a long stream does not pin them.
    // (When everything was consumed, advance() has already emptied the array.)
    if (this.head > 0) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
    return events;
  }

  /** Marks the end of the stream: a frame or fragmented message cut short is a violation. */
  end(): DecodeEvent[] {
    if (this.ended) return [];
    this.ended = true;
    if (this._halted) return [];
    const events: DecodeEvent[] = [];
    this.events = events;
    if (this.state !== GET_INFO || this.buffered > 0) {
      const at = this.state === GET_INFO ? this.offset : this.frameOffset;
      this.violation('WS_ERR_TRUNCATED_FRAME', at, at, `the stream ended ${this.buffered} byte(s) into a frame that starts at offset ${at}`);
    } else if (this.msgOpcode !== 0) {
      this.violation('WS_ERR_TRUNCATED_MESSAGE', this.msgOffset, this.msgOffset, `the stream ended after ${this.msgFrames} fragment(s) of a ${opcodeName(this.msgOpcode)} message without a final frame`);
    }
    this.events = NO_EVENTS;
    this.chunks = [];
    this.view = null;
    this.viewOf = null;
    this.buffered = 0;
    return events;
  }

  // -------------------------------------------------------------------------
  // The loop and its states
  // -------------------------------------------------------------------------

  private run(): void {
    let more = true;
    while (more) {
      switch (this.state) {
        case GET_INFO:
          more = this.getInfo();
          break;
        case GET_LENGTH_16:
          more = this.getLength16();
          break;
        case GET_LENGTH_64:
          more = this.getLength64();
          break;
        case GET_MASK:
          more = this.getMask();
          break;
        default:
          more = this.getData();
      }
    }
  }

  /** Bytes 0 and 1: FIN, RSV1-3, opcode, MASK, 7-bit length (RFC 6455 §5.2). */
  private getInfo(): boolean {
    if (this.buffered < 2) return false;
    this.frameOffset = this.offset;
    this.take(2);
    const b0 = this.src[this.srcPos];
    const b1 = this.src[this.srcPos + 1];
    const opcode = b0 & OPCODE_MASK;
    const fin = (b0 & FIN_MASK) !== 0;
    const rsv1 = (b0 & RSV1_MASK) !== 0;
    const len7 = b1 & LENGTH_MASK;
    this.fin = fin;
    this.rsv1 = rsv1;
    this.rsv2 = (b0 & RSV2_MASK) !== 0;
    this.rsv3 = (b0 & RSV3_MASK) !== 0;
    this.opcode = opcode;
    this.masked = (b1 & MASK_BIT) !== 0;
    this.maskKeyInt = 0;

    if (isReservedOpcode(opcode)) {
      return this.fatal('WS_ERR_INVALID_OPCODE', `opcode 0x${opcode.toString(16)} is reserved`);
    }
    if ((this.rsv2 && !this.allowRsv2) || (this.rsv3 && !this.allowRsv3)) {
      return this.fatal('WS_ERR_UNEXPECTED_RSV_2_3', `${this.rsv2 ? 'RSV2' : 'RSV3'} is set on a ${opcodeName(opcode)} frame`);
    }
    if (rsv1) {
      if (this.inflater !== null) {
        // RFC 7692 §6: only the first frame of a data message is marked compressed.
        if (opcode !== Opcode.Text && opcode !== Opcode.Binary) {
          return this.fatal('WS_ERR_RSV1_NOT_FIRST_FRAME', `RSV1 is set on a ${opcodeName(opcode)} frame`);
        }
      } else if (!this.allowRsv1) {
        return this.fatal('WS_ERR_UNEXPECTED_RSV_1', `RSV1 is set on a ${opcodeName(opcode)} frame but no extension was negotiated`);
      }
    }

    if (opcode >= Opcode.Close) {
      // RFC 6455 §5.5: control frames are never fragmented and carry ≤ 125 bytes.
      if (!fin) return this.fatal('WS_ERR_EXPECTED_FIN', `${opcodeName(opcode)} frame with FIN clear`);
      if (len7 > MAX_CONTROL_PAYLOAD) {
        const declared = len7 === LENGTH_16_MARKER ? 'a 16-bit' : 'a 64-bit';
        return this.fatal('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', `${opcodeName(opcode)} frame announces ${declared} payload length (more than ${MAX_CONTROL_PAYLOAD} bytes)`);
      }
      if (opcode === Opcode.Close && len7 === 1) {
        return this.fatal('WS_ERR_INVALID_CLOSE_PAYLOAD_LENGTH', 'close frame with a 1-byte body');
      }
    } else if (opcode === Opcode.Continuation) {
      if (this.msgOpcode === 0) return this.fatal('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame with no fragmented message in progress');
    } else if (this.msgOpcode !== 0) {
      return this.fatal('WS_ERR_EXPECTED_CONTINUATION', `${opcodeName(opcode)} frame while a fragmented ${opcodeName(this.msgOpcode)} message (offset ${this.msgOffset}) awaits continuation frames`);
    }

    if (this.masked !== this.expectMask) {
      return this.expectMask
        ? this.fatal('WS_ERR_EXPECTED_MASK', 'unmasked frame from the client')
        : this.fatal('WS_ERR_UNEXPECTED_MASK', 'masked frame from the server');
    }

    if (opcode < Opcode.Close && this.closeSeen) {
      this.violation('WS_ERR_FRAME_AFTER_CLOSE', this.frameOffset, this.frameOffset, `${opcodeName(opcode)} frame after a close frame`);
    }

    if (len7 === LENGTH_16_MARKER) {
      this.lengthEncoding = 16;
      this.state = GET_LENGTH_16;
      return true;
    }
    if (len7 === LENGTH_64_MARKER) {
      this.lengthEncoding = 64;
      this.state = GET_LENGTH_64;
      return true;
    }
    this.lengthEncoding = 7;
    return this.haveLength(len7);
  }

  private getLength16(): boolean {
    if (this.buffered < 2) return false;
    this.take(2);
    const length = (this.src[this.srcPos] << 8) | this.src[this.srcPos + 1];
    if (length < MIN_LENGTH_16) this.nonMinimal(length, 16);
    return this.haveLength(length);
  }

  private getLength64(): boolean {
    if (this.buffered < 8) return false;
    this.take(8);
    const s = this.src;
    const p = this.srcPos;
    const hi = ((s[p] << 24) | (s[p + 1] << 16) | (s[p + 2] << 8) | s[p + 3]) >>> 0;
    const lo = ((s[p + 4] << 24) | (s[p + 5] << 16) | (s[p + 6] << 8) | s[p + 7]) >>> 0;
    if (hi >= 0x8000_0000) {
      return this.fatal('WS_ERR_LENGTH_MSB_SET', `64-bit length 0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')} has its most significant bit set`);
    }
    // Lengths beyond 2^53 are not exact here, but they are far beyond any
    // limit too and are reported as such below.
    const length = hi * TWO_POW_32 + lo;
    if (length < MIN_LENGTH_64) this.nonMinimal(length, 64);
    return this.haveLength(length);
  }

  private haveLength(length: number): boolean {
    this.length = length;
    if (this.opcode < Opcode.Close) {
      // RFC 6455 §10.4: check the declared size before buffering anything.
      const total = (this.opcode === Opcode.Continuation ? this.msgWireLength : 0) + length;
      if (total > this.maxPayload || length > Number.MAX_SAFE_INTEGER) {
        return this.fatal('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `message payload of ${total} bytes exceeds the limit of ${this.maxPayload} bytes`);
      }
    }
    // Go straight on to the next state rather than round the loop: most
    // frames arrive whole, and this is the hot path.
    if (this.masked) {
      this.state = GET_MASK;
      return this.getMask();
    }
    this.state = GET_DATA;
    return this.getData();
  }

  private getMask(): boolean {
    if (this.buffered < 4) return false;
    this.take(4);
    const s = this.src;
    const p = this.srcPos;
    // Two readings of the same four bytes; no Uint8Array until FrameEvent.maskKey is read.
    this.maskInt = s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) | (s[p + 3] << 24);
    this.maskKeyInt = ((s[p] << 24) | (s[p + 1] << 16) | (s[p + 2] << 8) | s[p + 3]) >>> 0;
    this.state = GET_DATA;
    return this.getData();
  }

  private getData(): boolean {
    const length = this.length;
    if (this.buffered < length) return false;
    const payloadOffset = this.offset;
    let payload = EMPTY;
    if (length === 0) this.payloadAscii = 1;
    else payload = this.takePayload(length);
    this.state = GET_INFO;
    if (this.opcode >= Opcode.Close) this.controlFrame(payload, payloadOffset);
    else this.dataFrame(payload, payloadOffset);
    return !this._halted;
  }

  // -------------------------------------------------------------------------
  // Complete frames
  // -------------------------------------------------------------------------

  private frameEvent(payload: Uint8Array, payloadOffset: number, messageSeq: number | undefined, closeCode: number | undefined, closeReason: string | undefined): FrameEvent {
    return new DecodedFrame(
      this.direction,
      this.frameOffset,
      this.fin,
      this.rsv1,
      this.rsv2,
      this.rsv3,
      this.opcode,
      opcodeName(this.opcode),
      this.masked,
      this.maskKeyInt,
      this.length,
      this.lengthEncoding,
      payloadOffset - this.frameOffset,
      payload,
      messageSeq,
      closeCode,
      closeReason,
    );
  }

  private controlFrame(payload: Uint8Array, payloadOffset: number): void {
    if (this.opcode !== Opcode.Close) {
      this.events.push(this.frameEvent(payload, payloadOffset, undefined, undefined, undefined));
      return;
    }
    this.closeSeen = true;
    if (payload.length < 2) {
      // RFC 6455 §5.5.1: an empty body is allowed (1-byte bodies failed in getInfo()).
      this.events.push(this.frameEvent(payload, payloadOffset, undefined, undefined, undefined));
      return;
    }
    const code = (payload[0] << 8) | payload[1];
    const reasonBytes = payload.subarray(2);
    const reason = textDecoder.decode(reasonBytes);
    this.events.push(this.frameEvent(payload, payloadOffset, undefined, code, reason));
    if (!isValidCloseCodeOnWire(code)) {
      this.fatalAt('WS_ERR_INVALID_CLOSE_CODE', payloadOffset, `close code ${code} may not be sent on the wire`);
      return;
    }
    const bad = findInvalidUtf8(reasonBytes);
    if (bad !== -1) {
      this.fatalAt('WS_ERR_INVALID_CLOSE_REASON_UTF8', payloadOffset + 2 + bad, `close reason is not valid UTF-8 at byte ${bad} of the reason`);
    }
  }

  private dataFrame(payload: Uint8Array, payloadOffset: number): void {
    const opcode = this.opcode;
    if (opcode !== Opcode.Continuation) {
      this.msgOpcode = opcode;
      this.msgOffset = this.frameOffset;
      this.msgSeq = this.nextSeq++;
      this.msgFrames = 0;
      this.msgWireLength = 0;
      this.msgCompressed = this.rsv1 && this.inflater !== null;
    }
    this.msgFrames++;
    this.msgWireLength += payload.length;
    this.events.push(this.frameEvent(payload, payloadOffset, this.msgSeq, undefined, undefined));

    if (this.msgCompressed) {
      // The DEFLATE stream runs across fragments and is inflated once the
      // message is complete (RFC 7692 §6.2).
      this.msgFragments.push(payload);
      if (this.fin) this.finishCompressed();
      return;
    }

    if (this.fin && this.msgFrames === 1) {
      this.finishSingle(payload, payloadOffset);
      return;
    }

    if (this.msgOpcode === Opcode.Text) {
      // RFC 6455 §5.6/§8.1: fail fast, at the fragment where the text breaks.
      const bad = this.utf8.write(payload);
      if (bad !== -1) {
        this.fatalAt('WS_ERR_INVALID_UTF8', payloadOffset + bad, `invalid UTF-8 at byte ${bad} of fragment ${this.msgFrames} of the text message`);
        return;
      }
      if (this.fin && !this.utf8.complete) {
        this.fatalAt('WS_ERR_INVALID_UTF8', payloadOffset + payload.length, 'the text message ends inside a UTF-8 sequence');
        return;
      }
    }
    this.msgFragments.push(payload);
    if (this.fin) this.finishFragmented();
  }

  /** The common case: an uncompressed message in one frame. */
  private finishSingle(payload: Uint8Array, payloadOffset: number): void {
    let ascii = false;
    if (this.msgOpcode === Opcode.Text) {
      // RFC 6455 §8.1: validate now (the text itself is decoded only if
      // read). ASCII is valid UTF-8 and decodes more cheaply; unmasking may
      // already have told us, otherwise simdutf checks (most traffic is ASCII).
      if (this.payloadAscii === 1 || (this.payloadAscii === -1 && isAscii(payload))) {
        ascii = true;
      } else if (!isUtf8(payload)) {
        const bad = findInvalidUtf8(payload);
        if (bad === payload.length) this.fatalAt('WS_ERR_INVALID_UTF8', payloadOffset + bad, 'the text message ends inside a UTF-8 sequence');
        else this.fatalAt('WS_ERR_INVALID_UTF8', payloadOffset + bad, `invalid UTF-8 at byte ${bad} of the text message`);
        return;
      }
    }
    this.emitMessage(payload, false, undefined, ascii);
  }

  private finishFragmented(): void {
    const data = concat(this.msgFragments, this.msgWireLength);
    // Text fragments were validated one by one as they came (dataFrame()).
    this.emitMessage(data, false, undefined, false);
  }

  private finishCompressed(): void {
    const result = (this.inflater as MessageInflater).inflate(this.msgFragments, this.maxPayload);
    if (!result.ok) {
      if (result.reason === 'too-large') this.fatal('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', `compressed message: ${result.detail}`);
      else this.fatal('WS_ERR_INFLATE_FAILED', `compressed message (offset ${this.msgOffset}) does not inflate: ${result.detail}`);
      return;
    }
    const data = result.data;
    if (this.msgOpcode === Opcode.Text) {
      // Inflated bytes have no stream offset: report at the final frame and
      // say where in the message the text broke.
      const bad = findInvalidUtf8(data);
      if (bad !== -1) {
        this.fatal('WS_ERR_INVALID_UTF8', bad === data.length ? 'the inflated text message ends inside a UTF-8 sequence' : `invalid UTF-8 at byte ${bad} of the inflated text message`);
        return;
      }
    }
    this.emitMessage(data, true, this.msgWireLength, false);
  }

  /** `data` of a text message must have been validated as UTF-8; `ascii` says it is known to be ASCII. */
  private emitMessage(data: Uint8Array, compressed: boolean, compressedLength: number | undefined, ascii: boolean): void {
    this.events.push(
      new DecodedMessage(this.direction, this.msgOffset, this.msgSeq, this.msgOpcode, this.msgFrames, data.length, compressed, compressedLength, data, ascii),
    );
    this.msgOpcode = 0;
    this.msgFrames = 0;
    this.msgWireLength = 0;
    if (this.msgFragments.length > 0) this.msgFragments = [];
    this.utf8.reset();
  }

  // -------------------------------------------------------------------------
  // Violations
  // -------------------------------------------------------------------------

  private violation(code: ViolationCode, offset: number, frameOffset: number, message: string): void {
    const info = VIOLATIONS[code];
    this.events.push({
      type: 'violation',
      direction: this.direction,
      offset,
      frameOffset,
      code,
      closeCode: info.closeCode,
      rule: info.rule,
      message,
      fatal: info.fatal,
    });
    if (info.fatal) this.halt();
  }

  /** A fatal violation at the current frame; always returns false to stop the loop. */
  private fatal(code: ViolationCode, message: string): boolean {
    this.violation(code, this.frameOffset, this.frameOffset, message);
    return false;
  }

  private fatalAt(code: ViolationCode, offset: number, message: string): void {
    this.violation(code, offset, this.frameOffset, message);
  }

  private nonMinimal(length: number, encoding: 16 | 64): void {
    const minimal = length < MIN_LENGTH_16 ? '7-bit' : '16-bit';
    this.violation('WS_ERR_NON_MINIMAL_LENGTH', this.frameOffset, this.frameOffset, `length ${length} is sent in the ${encoding}-bit encoding; the ${minimal} encoding is the minimal one`);
  }

  /** A real endpoint stops reading here; so do we, and let go of buffered bytes. */
  private halt(): void {
    this._halted = true;
    this.chunks = [];
    this.view = null;
    this.viewOf = null;
    this.head = 0;
    this.pos = 0;
    this.buffered = 0;
    this.msgFragments = [];
  }

  // -------------------------------------------------------------------------
  // Consuming bytes across chunk boundaries
  // -------------------------------------------------------------------------

  /**
   * Consumes n ≤ 14 header bytes and leaves them at src[srcPos..]: a view of
   * the current chunk when they lie inside it, else a copy in `scratch`.
   * The caller has checked `buffered >= n`.
   */
  private take(n: number): void {
    const chunk = this.chunks[this.head];
    const pos = this.pos;
    if (chunk.length - pos >= n) {
      this.src = chunk;
      this.srcPos = pos;
      this.advance(chunk, pos + n, n);
      return;
    }
    this.copyOut(this.scratch, n);
    this.src = this.scratch;
    this.srcPos = 0;
  }

  /**
   * Consumes an n-byte payload: a view of the chunk when it lies inside one
   * and needs no unmasking (or may be unmasked in place, see unmaskInPlace),
   * otherwise a copy.
   */
  private takePayload(n: number): Uint8Array {
    const chunk = this.chunks[this.head];
    const pos = this.pos;
    const masked = this.masked;
    this.payloadAscii = -1;
    if (chunk.length - pos >= n) {
      let out: Uint8Array;
      if (!masked) {
        // A view made directly: subarray() looks up the species constructor.
        out = new Uint8Array(chunk.buffer, chunk.byteOffset + pos, n);
      } else {
        if (this.viewOf !== chunk) {
          this.view = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
          this.viewOf = chunk;
        }
        const view = this.view as DataView;
        // In place only when this frame's header and payload are all in the newest chunk
        // (see FrameDecoderOptions.unmaskInPlace): nobody after us has seen any of it yet.
        if (this.unmaskInPlace && this.head === this.chunks.length - 1 && this.frameOffset >= this.offset - pos && n > 0) {
          this.payloadAscii = xorMask(view, pos, view, pos, n, this.maskInt) === 0 ? 1 : 0;
          // The key is the last four header bytes, right before the payload (RFC 6455 §5.2).
          view.setInt32(pos - 4, 0);
          this.advance(chunk, pos + n, n);
          return new Uint8Array(chunk.buffer, chunk.byteOffset + pos, n);
        }
        if (n <= SLAB_MAX_ALLOC) {
          const at = slabAlloc(n);
          this.payloadAscii = unmaskCopy(slab.u8, slab.i32, at, chunk, view, pos, n, this.maskInt) === 0 ? 1 : 0;
          out = new Uint8Array(slab.u8.buffer, at, n);
        } else {
          out = new Uint8Array(n);
          this.payloadAscii = unmaskCopy(out, new Int32Array(out.buffer, 0, n >>> 2), 0, chunk, view, pos, n, this.maskInt) === 0 ? 1 : 0;
        }
      }
      this.advance(chunk, pos + n, n);
      return out;
    }
    // Spread over several chunks: gather a copy, then unmask it in place.
    let out: Uint8Array;
    if (n <= SLAB_MAX_ALLOC) {
      const at = slabAlloc(n);
      out = new Uint8Array(slab.u8.buffer, at, n);
      this.copyOut(out, n);
      if (masked) this.payloadAscii = unmaskInPlace(slab.u8, slab.i32, at, n, this.maskInt) === 0 ? 1 : 0;
    } else {
      out = new Uint8Array(n);
      this.copyOut(out, n);
      if (masked) this.payloadAscii = unmaskInPlace(out, new Int32Array(out.buffer, 0, n >>> 2), 0, n, this.maskInt) === 0 ? 1 : 0;
    }
    return out;
  }

  /** Copies the next n bytes, spread over several chunks, into dst[0..n). */
  private copyOut(dst: Uint8Array, n: number): void {
    let at = 0;
    while (at < n) {
      const chunk = this.chunks[this.head];
      const pos = this.pos;
      const take = Math.min(chunk.length - pos, n - at);
      dst.set(pos === 0 && take === chunk.length ? chunk : chunk.subarray(pos, pos + take), at);
      at += take;
      this.advance(chunk, pos + take, take);
    }
  }

  private advance(chunk: Uint8Array, newPos: number, n: number): void {
    this.buffered -= n;
    this.offset += n;
    if (newPos === chunk.length) {
      this.head++;
      this.pos = 0;
      if (this.head === this.chunks.length) {
        this.chunks.length = 0;
        this.head = 0;
      }
    } else {
      this.pos = newPos;
    }
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
