import type { Direction } from './constants';
import { Opcode } from './constants';
import type { DecodeEvent, FrameEvent, MessageEvent, ViolationEvent } from './decoder';

/**
 * NDJSON records for decoder events: plain JSON values (bytes as lowercase
 * hex), one per line in `framescope decode` and in capture exports.
 */

export interface FrameRecord {
  type: 'frame';
  direction: Direction;
  offset: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  opcodeName: string;
  masked: boolean;
  maskKey: string | null;
  length: number;
  lengthEncoding: 7 | 16 | 64;
  headerLength: number;
  /** The unmasked wire payload (still compressed for compressed messages). */
  payloadHex: string;
  messageSeq?: number;
  /** Close frames only; null for a close frame without a body. */
  closeCode?: number | null;
  closeReason?: string | null;
}

export interface MessageRecord {
  type: 'message';
  direction: Direction;
  offset: number;
  seq: number;
  opcode: number;
  frames: number;
  length: number;
  compressed: boolean;
  compressedLength?: number;
  /** Text messages. */
  text?: string;
  /** Other messages: the (inflated) payload. */
  payloadHex?: string;
}

export interface ViolationRecord {
  type: 'violation';
  direction: Direction;
  offset: number;
  frameOffset: number;
  code: string;
  closeCode: number;
  rule: string;
  message: string;
  fatal: boolean;
}

export type DecodeRecord = FrameRecord | MessageRecord | ViolationRecord;

/** Lowercase hex of the bytes (a view: nothing is copied); '' for none. */
export function toHex(bytes: Uint8Array | null | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

export function toRecord(event: FrameEvent): FrameRecord;
export function toRecord(event: MessageEvent): MessageRecord;
export function toRecord(event: ViolationEvent): ViolationRecord;
export function toRecord(event: DecodeEvent): DecodeRecord;
export function toRecord(event: DecodeEvent): DecodeRecord {
  switch (event.type) {
    case 'frame':
      return frameRecord(event);
    case 'message':
      return messageRecord(event);
    case 'violation':
      return {
        type: 'violation',
        direction: event.direction,
        offset: event.offset,
        frameOffset: event.frameOffset,
        code: event.code,
        closeCode: event.closeCode,
        rule: event.rule,
        message: event.message,
        fatal: event.fatal,
      };
  }
}

function frameRecord(e: FrameEvent): FrameRecord {
  const r: FrameRecord = {
    type: 'frame',
    direction: e.direction,
    offset: e.offset,
    fin: e.fin,
    rsv1: e.rsv1,
    rsv2: e.rsv2,
    rsv3: e.rsv3,
    opcode: e.opcode,
    opcodeName: e.opcodeName,
    masked: e.masked,
    maskKey: e.maskKey === null ? null : toHex(e.maskKey),
    length: e.length,
    lengthEncoding: e.lengthEncoding,
    headerLength: e.headerLength,
    payloadHex: toHex(e.payload),
  };
  if (e.messageSeq !== undefined) r.messageSeq = e.messageSeq;
  if (e.opcode === Opcode.Close) {
    r.closeCode = e.closeCode ?? null;
    r.closeReason = e.closeReason ?? null;
  }
  return r;
}

function messageRecord(e: MessageEvent): MessageRecord {
  const r: MessageRecord = {
    type: 'message',
    direction: e.direction,
    offset: e.offset,
    seq: e.seq,
    opcode: e.opcode,
    frames: e.frames,
    length: e.length,
    compressed: e.compressed,
  };
  if (e.compressedLength !== undefined) r.compressedLength = e.compressedLength;
  if (e.text !== undefined) r.text = e.text;
  else r.payloadHex = toHex(e.data);
  return r;
}
