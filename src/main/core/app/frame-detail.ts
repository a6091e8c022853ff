/**
 * Builds the detail pane's view of one captured row. The header bytes are
 * re-encoded from the decoded fields (FIN, RSV, opcode, mask key, declared
 * length and the length encoding actually used), which reproduces them exactly.
 */
import { lengthEncodingOf, unpackFrameBits } from '../../../shared/frame-bits';
import type { FrameDetail } from '../../../shared/records';
import { maskKeyBytes, type CapturedRow } from '../capture/capture-store';
import { closeCodeInfo, opcodeName, VIOLATIONS } from '../protocol/constants';
import { encodeFrame, headerLength, minimalLengthEncoding } from '../protocol/encoder';
import { toHex } from '../protocol/records';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Payload bytes sent to the detail pane unless it asks for more: a hexdump beyond this is not read. */
export const DEFAULT_DETAIL_PAYLOAD_BYTES = 1024 * 1024;

export interface FrameDetailContext {
  maxPayloadBytes?: number;
  /** The message the frame belongs to (see messageAround in capture-feature). */
  message?: FrameDetail['message'];
  /** The whole message's bytes (inflated if compressed) when it is complete and text. */
  messageBytes?: Uint8Array;
}

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function frameDetail(row: CapturedRow, context: FrameDetailContext = {}): FrameDetail {
  const f = unpackFrameBits(row.bits);
  const extras = row.extras;
  const limit = Math.max(0, Math.floor(context.maxPayloadBytes ?? DEFAULT_DETAIL_PAYLOAD_BYTES));
  // Rows that did not record it (violations) show the encoding a conforming sender uses.
  const lengthEncoding = lengthEncodingOf(row.bits) ?? minimalLengthEncoding(row.length);
  const maskKey = f.masked && row.maskKey !== undefined ? maskKeyBytes(row.maskKey) : null;
  const base = {
    id: row.id,
    connectionId: row.connectionId,
    time: row.time,
    direction: f.direction,
    offset: row.offset,
    fin: f.fin,
    rsv1: f.rsv1,
    rsv2: f.rsv2,
    rsv3: f.rsv3,
    opcode: f.opcode,
    opcodeName: opcodeName(f.opcode),
    masked: f.masked,
    maskKeyHex: maskKey ? toHex(maskKey) : null,
    length: row.length,
    lengthEncoding,
  };
  if (f.violation) {
    const v = extras?.violation;
    const known = v ? (VIOLATIONS as Record<string, { explanation: string } | undefined>)[v.code] : undefined;
    const section = v ? /(?:RFC \d+ )?§[\d.]+/.exec(v.rule)?.[0] : undefined;
    return {
      ...base,
      kind: 'violation',
      headerHex: '',
      payloadHex: '',
      violation: v ? { ...v, explanation: known?.explanation, section } : undefined,
    };
  }
  const header = encodeFrame({
    opcode: f.opcode,
    fin: f.fin,
    rsv1: f.rsv1,
    rsv2: f.rsv2,
    rsv3: f.rsv3,
    mask: maskKey ?? 'none',
    declaredLength: row.length,
    lengthEncoding,
  }).subarray(0, headerLength(lengthEncoding, maskKey !== null));
  const payload = row.payload;
  const shownPayload = payload && payload.length > limit ? payload.subarray(0, limit) : payload;
  const textSource = extras?.inflated ?? payload;
  let text: string | undefined;
  if (textSource && f.opcode !== 0x2 && f.opcode !== 0x8 && !(f.rsv1 && !extras?.inflated)) {
    text = decodeText(textSource.length > limit ? textSource.subarray(0, limit) : textSource);
  }
  const detail: FrameDetail = {
    ...base,
    kind: 'frame',
    headerHex: toHex(header),
    payloadHex: toHex(shownPayload),
    payloadShown: shownPayload?.length ?? 0,
    text,
    closeCode: extras?.closeCode,
    closeReason: extras?.closeReason,
  };
  if (extras?.closeCode !== undefined) {
    const info = closeCodeInfo(extras.closeCode);
    detail.closeCodeName = info.name;
    detail.closeCodeMeaning = info.meaning;
  }
  if (context.message) detail.message = context.message;
  if (context.messageBytes) {
    const bytes = context.messageBytes;
    detail.messageText = decodeText(bytes.length > limit ? bytes.subarray(0, limit) : bytes);
  }
  return detail;
}
