/**
 * One 32-bit word per captured row carries every boolean and small field of the
 * frame header, so both the main-side store and the renderer keep a row in a
 * few bytes. Layout (LSB first):
 *   bits 0-3   opcode (RFC 6455 §5.2)
 *   bit  4     FIN
 *   bits 5-7   RSV1..RSV3
 *   bit  8     MASK bit as seen on the wire
 *   bit  9     direction: 1 = in (received by Framescope), 0 = out
 *   bit  10    kind: 1 = violation row, 0 = frame row
 *   bits 11-12 length encoding used on the wire (RFC 6455 §5.2): 1 = 7-bit,
 *              2 = 7+16-bit, 3 = 7+64-bit; 0 = not recorded (violation rows,
 *              rows from older producers): read it as the minimal encoding
 *
 * The length encoding lives here rather than in a per-row object because a
 * non-minimal encoding is exactly what a person debugging wants to see, yet
 * recording it for every frame must cost nothing on the capture hot path.
 */
import type { FlowDirection } from './records';

export const OPCODE_BITS = 0x0f;
export const FIN_BIT = 1 << 4;
export const RSV1_BIT = 1 << 5;
export const RSV2_BIT = 1 << 6;
export const RSV3_BIT = 1 << 7;
export const MASKED_BIT = 1 << 8;
export const INBOUND_BIT = 1 << 9;
export const VIOLATION_BIT = 1 << 10;
export const LENGTH_ENCODING_SHIFT = 11;
export const LENGTH_ENCODING_BITS = 0b11 << LENGTH_ENCODING_SHIFT;

export type LengthEncoding = 7 | 16 | 64;

/** The bits-word field for a length encoding (0 when not known). */
export function lengthEncodingBits(encoding: LengthEncoding | undefined): number {
  const code = encoding === 7 ? 1 : encoding === 16 ? 2 : encoding === 64 ? 3 : 0;
  return code << LENGTH_ENCODING_SHIFT;
}

/** The length encoding recorded in a bits word, or undefined when none was. */
export function lengthEncodingOf(bits: number): LengthEncoding | undefined {
  switch ((bits & LENGTH_ENCODING_BITS) >>> LENGTH_ENCODING_SHIFT) {
    case 1: return 7;
    case 2: return 16;
    case 3: return 64;
    default: return undefined;
  }
}

export interface FrameBitFields {
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  masked: boolean;
  direction: FlowDirection;
  violation: boolean;
  /** Which length field carried the payload length; omitted = not recorded. */
  lengthEncoding?: LengthEncoding;
}

export function packFrameBits(f: FrameBitFields): number {
  return (
    (f.opcode & OPCODE_BITS) |
    (f.fin ? FIN_BIT : 0) |
    (f.rsv1 ? RSV1_BIT : 0) |
    (f.rsv2 ? RSV2_BIT : 0) |
    (f.rsv3 ? RSV3_BIT : 0) |
    (f.masked ? MASKED_BIT : 0) |
    (f.direction === 'in' ? INBOUND_BIT : 0) |
    (f.violation ? VIOLATION_BIT : 0) |
    lengthEncodingBits(f.lengthEncoding)
  );
}

export function unpackFrameBits(bits: number): FrameBitFields {
  return {
    opcode: bits & OPCODE_BITS,
    fin: (bits & FIN_BIT) !== 0,
    rsv1: (bits & RSV1_BIT) !== 0,
    rsv2: (bits & RSV2_BIT) !== 0,
    rsv3: (bits & RSV3_BIT) !== 0,
    masked: (bits & MASKED_BIT) !== 0,
    direction: (bits & INBOUND_BIT) !== 0 ? 'in' : 'out',
    violation: (bits & VIOLATION_BIT) !== 0,
    lengthEncoding: lengthEncodingOf(bits),
  };
}

/** Short names for the table; the protocol core's constants table holds the full ones. */
export function opcodeLabel(opcode: number): string {
  switch (opcode) {
    case 0x0: return 'cont';
    case 0x1: return 'text';
    case 0x2: return 'binary';
    case 0x8: return 'close';
    case 0x9: return 'ping';
    case 0xa: return 'pong';
    default: return `0x${opcode.toString(16)}`;
  }
}
