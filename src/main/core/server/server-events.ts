/**
 * What the embedded server reports as it runs, for observers that want every event, frames
 * included: `framescope serve` prints each as one NDJSON line. Discriminated by `type`, each
 * with its `timestamp` (milliseconds since the epoch) and, for frames, its `direction`.
 */
import type { FlowDirection } from '../../../shared/records';
import { Opcode } from '../protocol/constants';
import type { DecodeEvent } from '../protocol/decoder';

export type ServerEvent =
  | { type: 'listening'; timestamp: number; serverId: string; url: string; host: string; port: number; tls: boolean; routes: Array<{ match: string; path: string; app: string }>; warning?: string }
  | { type: 'open'; timestamp: number; connectionId: string; path: string; remoteAddress: string; subprotocol?: string; extensions?: string }
  | { type: 'refused'; timestamp: number; connectionId: string; status: number; reason: string; method?: string; target?: string; remoteAddress: string }
  | {
      type: 'frame';
      timestamp: number;
      connectionId: string;
      direction: FlowDirection;
      opcode: number;
      opcodeName: string;
      fin: boolean;
      rsv1: boolean;
      rsv2: boolean;
      rsv3: boolean;
      masked: boolean;
      length: number;
      text?: string;
      hex?: string;
      closeCode?: number;
      closeReason?: string;
    }
  | { type: 'violation'; timestamp: number; connectionId: string; direction: FlowDirection; code: string; closeCode: number; message: string }
  | { type: 'close'; timestamp: number; connectionId: string; code?: number; reason?: string; error?: string }
  | { type: 'log'; timestamp: number; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'stopped'; timestamp: number; serverId: string };

/** A short preview of a frame's payload: text for a text frame, hex for the rest. */
function preview(event: Extract<DecodeEvent, { type: 'frame' }>): { text?: string; hex?: string } {
  const p = event.payload;
  if (p.length === 0) return {};
  if (event.opcode === Opcode.Text && !event.rsv1) {
    const text = Buffer.from(p.buffer, p.byteOffset, Math.min(p.length, 1024)).toString('utf8');
    return { text: p.length > 1024 ? `${text}…` : text };
  }
  if (event.opcode === Opcode.Close) return {};
  return { hex: Buffer.from(p.buffer, p.byteOffset, Math.min(p.length, 64)).toString('hex') + (p.length > 64 ? '…' : '') };
}

/** The event for a decoded frame or violation; undefined for the decoder's message events. */
export function decodeEventToServerEvent(connectionId: string, event: DecodeEvent, direction: FlowDirection): ServerEvent | undefined {
  if (event.type === 'frame') {
    return {
      type: 'frame',
      timestamp: Date.now(),
      connectionId,
      direction,
      opcode: event.opcode,
      opcodeName: event.opcodeName,
      fin: event.fin,
      rsv1: event.rsv1,
      rsv2: event.rsv2,
      rsv3: event.rsv3,
      masked: event.masked,
      length: event.length,
      ...preview(event),
      ...(event.closeCode !== undefined ? { closeCode: event.closeCode, closeReason: event.closeReason } : {}),
    };
  }
  if (event.type === 'violation') {
    return { type: 'violation', timestamp: Date.now(), connectionId, direction, code: event.code, closeCode: event.closeCode, message: event.message };
  }
  return undefined;
}
