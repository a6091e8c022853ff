/** Builds capture-store rows the way the decoder leaves them: payloads carved from shared slabs. */
import { CaptureStore, type CapturedRowExtras } from '../../src/main/core/capture/capture-store';
import { packFrameBits, VIOLATION_BIT, INBOUND_BIT } from '../../src/shared/frame-bits';

export interface FrameSpec {
  conn?: string;
  dir?: 'in' | 'out';
  opcode?: number;
  fin?: boolean;
  rsv1?: boolean;
  masked?: boolean;
  payload?: string | Uint8Array;
  time?: number;
  extras?: CapturedRowExtras;
}

/** Payload bytes side by side in slabs, with a few bytes of "header" between them as on the wire. */
export class Slabs {
  private slab = new Uint8Array(0);
  private at = 0;
  /** headers: false packs payloads back to back (as the decoder's slabs of unmasked copies do). */
  constructor(
    private readonly size = 4096,
    private readonly headers = true,
  ) {}
  carve(bytes: Uint8Array): Uint8Array {
    const need = bytes.length + (this.headers ? 2 : 0);
    if (this.at + need > this.slab.length) {
      this.slab = new Uint8Array(Math.max(this.size, need));
      this.at = 0;
    }
    if (this.headers) {
      // Two bytes that look like a frame header (0x81 = FIN + text): never ASCII.
      this.slab[this.at] = 0x81;
      this.slab[this.at + 1] = Math.min(bytes.length, 125);
      this.at += 2;
    }
    this.slab.set(bytes, this.at);
    const view = this.slab.subarray(this.at, this.at + bytes.length);
    this.at += bytes.length;
    return view;
  }
}

let clock = 1_700_000_000_000;

export function append(store: CaptureStore, spec: FrameSpec, slabs = new Slabs()): number {
  const payload = spec.payload === undefined ? new Uint8Array(0) : typeof spec.payload === 'string' ? new TextEncoder().encode(spec.payload) : spec.payload;
  const time = spec.time ?? (clock += 1);
  return store.append({
    connectionId: spec.conn ?? 'c1',
    time,
    bits: packFrameBits({
      opcode: spec.opcode ?? 1,
      fin: spec.fin ?? true,
      rsv1: spec.rsv1 ?? false,
      rsv2: false,
      rsv3: false,
      masked: spec.masked ?? false,
      direction: spec.dir ?? 'in',
      violation: false,
    }),
    length: payload.length,
    offset: 0,
    header: null,
    payload: slabs.carve(payload),
    maskKey: spec.masked ? 0x01020304 : undefined,
    extras: spec.extras,
  });
}

export function appendViolation(store: CaptureStore, message: string, conn = 'c1', dir: 'in' | 'out' = 'in'): number {
  return store.append({
    connectionId: conn,
    time: (clock += 1),
    bits: VIOLATION_BIT | (dir === 'in' ? INBOUND_BIT : 0),
    length: 0,
    offset: 0,
    header: null,
    payload: null,
    extras: { violation: { code: 'WS_ERR_INVALID_OPCODE', closeCode: 1002, rule: 'RFC 6455 §5.2: opcodes 0x3-0x7 are reserved', message } },
  });
}

export const newStore = (): CaptureStore => new CaptureStore(1 << 30);
