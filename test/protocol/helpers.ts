import { expect } from 'vitest';
import type { DecodeEvent, FrameDecoderOptions, FrameEvent, MessageEvent, ViolationEvent } from '../../src/main/core/protocol/decoder';
import { FrameDecoder } from '../../src/main/core/protocol/decoder';
import type { PermessageDeflateParams } from '../../src/main/core/protocol/permessage-deflate-params';
import { DEFAULT_PERMESSAGE_DEFLATE_PARAMS } from '../../src/main/core/protocol/permessage-deflate-params';

/** "81 85 37 fa" or "0x81 0x85" → bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/0x/gi, '').replace(/[\s,]/g, '');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function toHexString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export const DEFLATE: PermessageDeflateParams = { ...DEFAULT_PERMESSAGE_DEFLATE_PARAMS };

/** Decodes a whole stream, pushed as the given chunks, then ends it. */
export function decodeChunks(chunks: Uint8Array[], options: FrameDecoderOptions): DecodeEvent[] {
  const d = new FrameDecoder(options);
  const events: DecodeEvent[] = [];
  for (const c of chunks) events.push(...d.push(c));
  events.push(...d.end());
  return events;
}

export function decode(bytes: Uint8Array, options: FrameDecoderOptions): DecodeEvent[] {
  return decodeChunks([bytes], options);
}

/** The same bytes, one byte per push. */
export function decodeByteByByte(bytes: Uint8Array, options: FrameDecoderOptions): DecodeEvent[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  return decodeChunks(chunks, options);
}

/** Splits bytes at the given (sorted, in-range) cut points. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

export const frames = (events: DecodeEvent[]): FrameEvent[] => events.filter((e): e is FrameEvent => e.type === 'frame');
export const messages = (events: DecodeEvent[]): MessageEvent[] => events.filter((e): e is MessageEvent => e.type === 'message');
export const violations = (events: DecodeEvent[]): ViolationEvent[] => events.filter((e): e is ViolationEvent => e.type === 'violation');

/**
 * Events as plain comparable values: payloads become hex, so events decoded
 * from different chunkings (views into different buffers) compare equal.
 */
export function normalise(events: DecodeEvent[]): unknown[] {
  return events.map((e) => {
    if (e.type === 'frame') return { ...e, payload: toHexString(e.payload), maskKey: e.maskKey && toHexString(e.maskKey) };
    if (e.type === 'message') return { ...e, data: toHexString(e.data) };
    return { ...e };
  });
}

/** python-websockets' assertFrameData, roughly: one frame with these fields. */
export function expectFrame(e: DecodeEvent | undefined, fields: Partial<Omit<FrameEvent, 'payload' | 'maskKey'>> & { payload?: string; maskKey?: string | null }): void {
  expect(e?.type).toBe('frame');
  const f = e as FrameEvent;
  const { payload, maskKey, ...rest } = fields;
  expect(f).toMatchObject(rest);
  if (payload !== undefined) expect(toHexString(f.payload)).toBe(payload);
  if (maskKey !== undefined) expect(f.maskKey && toHexString(f.maskKey)).toBe(maskKey);
}

/** Byte equality without vitest's element-by-element diffing (slow for large payloads). */
export function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  const a = actual as Uint8Array;
  const same = Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength));
  if (!same) expect(toHexString(a).slice(0, 200)).toBe(toHexString(expected).slice(0, 200));
  expect(same).toBe(true);
}
