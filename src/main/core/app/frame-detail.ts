/**
 * Builds the detail pane's view of one captured row. The header bytes are
 * re-encoded from the decoded fields (FIN, RSV, opcode, mask key, declared
 * length and the length encoding actually used), which reproduces them exactly.
 */
import { unpackFrameBits } from '../../../shared/frame-bits';
import type { FrameDetail } from '../../../shared/records';
import type { CapturedRow } from '../capture/capture-store';
import { opcodeName } from '../protocol/constants';
import { encodeFrame, minimalLengthEncoding } from '../protocol/encoder';

const hex = (bytes: Uint8Array | null | undefined): string => (bytes ? Buffer.from(bytes).toString('hex') : '');
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function frameDetail(row: CapturedRow): FrameDetail {
  const f = unpackFrameBits(row.bits);
  const extras = row.extras;
  const lengthEncoding = extras?.lengthEncoding ?? minimalLengthEncoding(row.length);
  const maskKey = extras?.maskKey ?? null;
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
    maskKeyHex: maskKey ? hex(maskKey) : null,
    length: row.length,
    lengthEncoding,
  };
  if (f.violation) {
    return { ...base, kind: 'violation', headerHex: '', payloadHex: '', violation: extras?.violation };
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
  }).subarray(0, 2 + (lengthEncoding === 7 ? 0 : lengthEncoding === 16 ? 2 : 8) + (maskKey ? 4 : 0));
  const shown = extras?.inflated ?? row.payload;
  let text: string | undefined;
  if (shown && f.opcode !== 0x2 && f.opcode !== 0x8) {
    try {
      text = utf8.decode(shown);
    } catch {
      text = undefined;
    }
  }
  return {
    ...base,
    kind: 'frame',
    headerHex: hex(header),
    payloadHex: hex(row.payload),
    text,
    closeCode: extras?.closeCode,
    closeReason: extras?.closeReason,
  };
}
