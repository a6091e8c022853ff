import { randomFillSync } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import type { Direction } from './constants';
import {
  DEFLATE_TRAILER,
  FIN_MASK,
  LENGTH_16_MARKER,
  LENGTH_64_MARKER,
  MASK_BIT,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  RSV1_MASK,
  RSV2_MASK,
  RSV3_MASK,
} from './constants';
import { Lz77Window, senderDeflateParams } from './deflate';
import type { PermessageDeflateParams } from './permessage-deflate-params';

/**
 * The frame encoder and crafter. It builds any frame a test needs, valid or
 * not: any opcode, any FIN/RSV bits, any mask, a declared length that
 * disagrees with the payload, a non-minimal length encoding. Only requests
 * that cannot be put into bits at all (opcode 16, a 4-bit mask key, length
 * 300 in the 7-bit field) are programmer errors and throw.
 */

/** 'none': MASK bit clear; 'random': a fresh key per frame; bytes: this exact 4-byte key. */
export type MaskSpec = 'none' | 'random' | Uint8Array | readonly number[];

export interface FrameSpec {
  /** 0..15; reserved opcodes are allowed on purpose. */
  readonly opcode: number;
  /** Bytes, or a string sent as UTF-8. Default: empty. */
  readonly payload?: Uint8Array | string;
  /** Default true. */
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** Default 'none'. */
  readonly mask?: MaskSpec;
  /** The length written in the header; default the payload's real length. Up to 2^64 - 1 as a bigint. */
  readonly declaredLength?: number | bigint;
  /** Force the 7-bit, 16-bit or 64-bit length field; default the minimal one (RFC 6455 §5.2). */
  readonly lengthEncoding?: 7 | 16 | 64;
}

const utf8Encoder = new TextEncoder();
const MAX_UINT64 = (1n << 64n) - 1n;

export function toBytes(payload: Uint8Array | string | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  return typeof payload === 'string' ? utf8Encoder.encode(payload) : payload;
}

/** RFC 6455 §5.2: the smallest length field that can carry `length`. */
export function minimalLengthEncoding(length: number | bigint): 7 | 16 | 64 {
  const n = BigInt(length);
  if (n < BigInt(LENGTH_16_MARKER)) return 7;
  if (n <= 0xffffn) return 16;
  return 64;
}

/** RFC 6455 §5.2: the header's length: 2 bytes, the extended length field, then the masking key. */
export function headerLength(encoding: 7 | 16 | 64, masked: boolean): number {
  return 2 + (encoding === 16 ? 2 : encoding === 64 ? 8 : 0) + (masked ? 4 : 0);
}

/** Builds one frame, header and (masked) payload, exactly as specified. */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const { opcode } = spec;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15) {
    throw new RangeError(`opcode must be an integer in 0..15, got ${opcode}`);
  }
  const payload = toBytes(spec.payload);
  const declared = spec.declaredLength ?? payload.length;
  const declaredBig = BigInt(declared);
  if (declaredBig < 0n || declaredBig > MAX_UINT64) {
    throw new RangeError(`declaredLength must be in 0..2^64-1, got ${declared}`);
  }
  const encoding = spec.lengthEncoding ?? minimalLengthEncoding(declaredBig);
  if (encoding === 7 && declaredBig > BigInt(MAX_CONTROL_PAYLOAD)) {
    throw new RangeError(`length ${declared} does not fit the 7-bit length field (126 and 127 announce extended lengths)`);
  }
  if (encoding === 16 && declaredBig > 0xffffn) {
    throw new RangeError(`length ${declared} does not fit the 16-bit length field`);
  }
  if (encoding !== 7 && encoding !== 16 && encoding !== 64) {
    throw new RangeError(`lengthEncoding must be 7, 16 or 64, got ${String(encoding)}`);
  }
  const key = resolveMask(spec.mask ?? 'none');

  const header = headerLength(encoding, key !== null);
  const frame = new Uint8Array(header + payload.length);
  frame[0] =
    (spec.fin === false ? 0 : FIN_MASK) |
    (spec.rsv1 ? RSV1_MASK : 0) |
    (spec.rsv2 ? RSV2_MASK : 0) |
    (spec.rsv3 ? RSV3_MASK : 0) |
    opcode;
  const maskBit = key === null ? 0 : MASK_BIT;
  if (encoding === 7) {
    frame[1] = maskBit | Number(declaredBig);
  } else if (encoding === 16) {
    frame[1] = maskBit | LENGTH_16_MARKER;
    frame[2] = Number(declaredBig >> 8n);
    frame[3] = Number(declaredBig & 0xffn);
  } else {
    frame[1] = maskBit | LENGTH_64_MARKER;
    // Network byte order (RFC 6455 §5.2); the top bit is written as given,
    // so a crafted frame can break "the most significant bit MUST be 0".
    for (let i = 0; i < 8; i++) frame[2 + i] = Number((declaredBig >> BigInt(56 - 8 * i)) & 0xffn);
  }
  if (key === null) {
    frame.set(payload, header);
  } else {
    frame.set(key, header - 4);
    applyMask(frame.subarray(header), payload, 0, payload.length, key);
  }
  return frame;
}

/** Encodes several frames into one contiguous byte stream. */
export function encodeFrames(specs: readonly FrameSpec[]): Uint8Array {
  const frames = specs.map(encodeFrame);
  let total = 0;
  for (const f of frames) total += f.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

export interface FragmentOptions {
  /** Opcode of the first frame; default text for a string payload, else binary. */
  readonly opcode?: number;
  readonly mask?: MaskSpec;
  /** Set RSV1 on the first frame: the message is compressed (RFC 7692 §6). */
  readonly rsv1?: boolean;
}

/**
 * Splits a message into n frames (RFC 6455 §5.4): the first carries the
 * opcode, the rest are continuations, only the last has FIN. Sizes differ by
 * at most one byte; with more frames than bytes some frames are empty.
 */
export function fragment(payload: Uint8Array | string, n: number, opts: FragmentOptions = {}): FrameSpec[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const bytes = toBytes(payload);
  const opcode = opts.opcode ?? (typeof payload === 'string' ? Opcode.Text : Opcode.Binary);
  const specs: FrameSpec[] = [];
  const base = Math.floor(bytes.length / n);
  const rest = bytes.length % n;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = base + (i < rest ? 1 : 0);
    specs.push({
      opcode: i === 0 ? opcode : Opcode.Continuation,
      fin: i === n - 1,
      rsv1: i === 0 && opts.rsv1 === true,
      mask: opts.mask ?? 'none',
      payload: bytes.subarray(at, at + size),
    });
    at += size;
  }
  return specs;
}

/**
 * A Close frame body (RFC 6455 §5.5.1): a 2-byte status code in network byte
 * order, then the UTF-8 reason. Any 16-bit code is accepted, valid or not.
 * Without a code the body is empty.
 */
export function closePayload(code?: number, reason: string | Uint8Array = ''): Uint8Array {
  const reasonBytes = toBytes(reason);
  if (code === undefined) {
    if (reasonBytes.length > 0) throw new RangeError('a close reason needs a status code (RFC 6455 §5.5.1)');
    return new Uint8Array(0);
  }
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new RangeError(`close code must be an integer in 0..65535, got ${code}`);
  }
  const body = new Uint8Array(2 + reasonBytes.length);
  body[0] = code >> 8;
  body[1] = code & 0xff;
  body.set(reasonBytes, 2);
  return body;
}

// ---------------------------------------------------------------------------
// Masking (RFC 6455 §5.3)
// ---------------------------------------------------------------------------

function resolveMask(mask: MaskSpec): Uint8Array | null {
  if (mask === 'none') return null;
  if (mask === 'random') return randomFillSync(new Uint8Array(4));
  if (mask.length !== 4) throw new RangeError(`a masking key has 4 bytes, got ${mask.length}`);
  return Uint8Array.from(mask);
}

/** The platform's byte order, which Int32Array elements use. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Above this size copying natively and XOR-ing aligned words beats DataView access. */
const BULK_MASK_MIN = 1024;

/** The 4-byte masking key as a little-endian 32-bit integer, for xorMask(). */
export function maskKeyToInt(key: Uint8Array): number {
  return key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24);
}

/**
 * RFC 6455 §5.3: "Octet i of the transformed data is the XOR of octet i of
 * the original data with octet at index i modulo 4 of the masking key."
 * Masking and unmasking are the same operation. Writes n bytes at dstOff of
 * `dst` from srcOff of `src` (which may be the same bytes) four at a time
 * through DataViews, which V8 compiles to plain loads and stores; a
 * byte-by-byte loop is several times slower for typical frame sizes.
 * `key` comes from maskKeyToInt().
 *
 * Returns the OR of all output bytes' top bits (0x80 per byte lane): zero
 * exactly when the output is ASCII, which a decoder learns here for free.
 */
export function xorMask(dst: DataView, dstOff: number, src: DataView, srcOff: number, n: number, key: number): number {
  const words = n & ~3;
  let seen = 0;
  let i = 0;
  for (; i < words; i += 4) {
    const v = src.getInt32(srcOff + i, true) ^ key;
    dst.setInt32(dstOff + i, v, true);
    seen |= v;
  }
  for (; i < n; i++) {
    const v = src.getUint8(srcOff + i) ^ ((key >>> ((i & 3) << 3)) & 0xff);
    dst.setUint8(dstOff + i, v);
    seen |= v;
  }
  return seen & 0x80808080;
}

/**
 * Masks (or unmasks) n bytes of src from srcPos into dst[0..n). dst may be
 * src itself when srcPos is 0.
 */
export function applyMask(dst: Uint8Array, src: Uint8Array, srcPos: number, n: number, key: Uint8Array): void {
  const k = maskKeyToInt(key);
  if (n >= BULK_MASK_MIN && (dst.byteOffset & 3) === 0) {
    // Copy natively, then XOR aligned 32-bit words in place.
    if (dst !== src || srcPos !== 0) dst.set(src.subarray(srcPos, srcPos + n));
    const words = new Int32Array(dst.buffer, dst.byteOffset, n >>> 2);
    const native = LITTLE_ENDIAN ? k : ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]);
    for (let i = 0; i < words.length; i++) words[i] ^= native;
    for (let i = n & ~3; i < n; i++) dst[i] ^= key[i & 3];
    return;
  }
  xorMask(new DataView(dst.buffer, dst.byteOffset, n), 0, new DataView(src.buffer, src.byteOffset, src.length), srcPos, n, k);
}

// ---------------------------------------------------------------------------
// permessage-deflate for crafted RSV1 frames (RFC 7692 §7.2.1)
// ---------------------------------------------------------------------------

/** One sender's compression context; reuse it for consecutive messages. */
export interface DeflateState {
  readonly windowBits: number;
  readonly noContextTakeover: boolean;
  readonly window: Lz77Window;
}

export function createDeflateState(params: PermessageDeflateParams, from: Direction): DeflateState {
  const p = senderDeflateParams(params, from);
  return { windowBits: p.windowBits, noContextTakeover: p.noContextTakeover, window: new Lz77Window(p.windowBits) };
}

/**
 * Compresses one message as RFC 7692 §7.2.1 says: DEFLATE, flush with an
 * empty non-final stored block, drop its 0x00 0x00 0xff 0xff tail. With
 * context takeover the previous messages are the preset dictionary, so the
 * output may refer back into them exactly as a long-lived compressor would.
 */
export function deflateMessage(data: Uint8Array | string, state: DeflateState): Uint8Array {
  const bytes = toBytes(data);
  const out = deflateRawSync(bytes, {
    // zlib cannot compress raw DEFLATE with an 8-bit window and uses 9; ws
    // has the same limit. Inflaters with a 256-byte window may then reject
    // back-references of 257..512 bytes.
    windowBits: Math.max(9, state.windowBits),
    dictionary: state.window.dictionary,
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
  });
  if (!state.noContextTakeover) state.window.append(bytes);
  return endsWithTrailer(out) ? out.subarray(0, out.length - DEFLATE_TRAILER.length) : out;
}

function endsWithTrailer(b: Uint8Array): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0x00 && b[n - 3] === 0x00 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}
