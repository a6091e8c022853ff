/**
 * What a person typed (PayloadInput) turned into a message or into crafted frames for one
 * server-side connection. The parsers live in client/payload-input.ts; this module adds the
 * field names, so an error reads "frames[1].mask.keyHex: must be 4 bytes (got 3)".
 */
import { isAbsolute } from 'node:path';
import type { PayloadInput, RawFrameSpec } from '../../../shared/contract';
import { resolvePayload } from '../client/outgoing';
import { parseHex } from '../client/payload-input';
import { encodeFrame, type MaskSpec } from '../protocol/encoder';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface OutgoingMessage {
  /** The message's bytes: a text frame's UTF-8 when `binary` is false. */
  data: Uint8Array;
  binary: boolean;
}

function kindOf(input: unknown, field: string): Checked<PayloadInput> {
  if (typeof input !== 'object' || input === null) return { ok: false, error: `${field}: must be an object with kind and text (or path)` };
  const p = input as Record<string, unknown>;
  switch (p.kind) {
    case 'text':
    case 'json':
    case 'hex':
    case 'base64':
      if (typeof p.text !== 'string') return { ok: false, error: `${field}.text: must be a string` };
      return { ok: true, value: { kind: p.kind, text: p.text } };
    case 'file':
      if (typeof p.path !== 'string' || p.path === '') return { ok: false, error: `${field}.path: must be a file path` };
      if (!isAbsolute(p.path)) return { ok: false, error: `${field}.path: must be an absolute path (got ${JSON.stringify(p.path)})` };
      if (p.binary !== undefined && typeof p.binary !== 'boolean') return { ok: false, error: `${field}.binary: must be true or false` };
      return { ok: true, value: { kind: 'file', path: p.path, binary: p.binary as boolean | undefined } };
    default:
      return { ok: false, error: `${field}.kind: must be one of 'text', 'json', 'hex', 'base64', 'file' (got ${JSON.stringify(p.kind ?? null)})` };
  }
}

/**
 * A data message: text and json as text frames, hex and base64 as binary, a file as binary
 * unless binary is false (a server pushes files a person picked, whatever their content).
 * The parsing, the UTF-8 rule (RFC 6455 §5.6) and the file checks are the workbench's own
 * (client/outgoing.ts); this adds the field names.
 */
export async function resolveMessage(input: unknown, field = 'payload', options: { lenient?: boolean } = {}): Promise<Checked<OutgoingMessage>> {
  const kind = kindOf(input, field);
  if (!kind.ok) return kind;
  const p = kind.value;
  const resolved = await resolvePayload(p.kind === 'file' ? { ...p, binary: p.binary ?? true } : p, options);
  if (!resolved.ok) return { ok: false, error: `${field}.${p.kind === 'file' ? 'path' : 'text'}: ${resolved.error}` };
  return { ok: true, value: { data: resolved.value.bytes, binary: resolved.value.binary } };
}

/**
 * The payload's bytes, whatever its kind, for pings and crafted frames: bytes on purpose, so
 * text that has no UTF-8 form is written as U+FFFD rather than refused (the crafter's leniency).
 */
export async function resolveBytes(input: unknown, field = 'payload'): Promise<Checked<Uint8Array>> {
  const message = await resolveMessage(input, field, { lenient: true });
  return message.ok ? { ok: true, value: message.value.data } : message;
}

function maskOf(mask: unknown, field: string): Checked<MaskSpec> {
  if (mask === 'none' || mask === 'random') return { ok: true, value: mask };
  if (typeof mask === 'object' && mask !== null && typeof (mask as { keyHex?: unknown }).keyHex === 'string') {
    const key = parseHex((mask as { keyHex: string }).keyHex);
    if (!key.ok) return { ok: false, error: `${field}.keyHex: ${key.error}` };
    if (key.value.length !== 4) return { ok: false, error: `${field}.keyHex: a masking key is 4 bytes (RFC 6455 §5.3), got ${key.value.length}` };
    return { ok: true, value: key.value };
  }
  return { ok: false, error: `${field}: must be 'none', 'random' or {"keyHex":"xxxxxxxx"}` };
}

/**
 * Crafted frames, encoded exactly as specified (any opcode, RSV bits, mask, declared length or
 * length encoding), concatenated in order. Only what cannot be put into bits is an error.
 */
export async function encodeRawFrames(input: unknown, field = 'frames'): Promise<Checked<Uint8Array>> {
  if (!Array.isArray(input) || input.length === 0) return { ok: false, error: `${field}: must be a non-empty list of frames` };
  const parts: Uint8Array[] = [];
  for (const [i, raw] of input.entries()) {
    const at = `${field}[${i}]`;
    if (typeof raw !== 'object' || raw === null) return { ok: false, error: `${at}: must be a frame object` };
    const f = raw as Partial<RawFrameSpec> & Record<string, unknown>;
    if (typeof f.opcode !== 'number' || !Number.isInteger(f.opcode) || f.opcode < 0 || f.opcode > 15) {
      return { ok: false, error: `${at}.opcode: must be a whole number from 0 to 15 (got ${JSON.stringify(f.opcode ?? null)})` };
    }
    for (const bit of ['fin', 'rsv1', 'rsv2', 'rsv3'] as const) {
      if (f[bit] !== undefined && typeof f[bit] !== 'boolean') return { ok: false, error: `${at}.${bit}: must be true or false` };
    }
    const mask = maskOf(f.mask ?? 'none', `${at}.mask`);
    if (!mask.ok) return mask;
    const payload = await resolveBytes(f.payload ?? { kind: 'text', text: '' }, `${at}.payload`);
    if (!payload.ok) return payload;
    if (f.declaredLength !== undefined && (typeof f.declaredLength !== 'number' || !Number.isSafeInteger(f.declaredLength) || f.declaredLength < 0)) {
      return { ok: false, error: `${at}.declaredLength: must be a whole number ≥ 0 (got ${JSON.stringify(f.declaredLength)})` };
    }
    if (f.lengthEncoding !== undefined && f.lengthEncoding !== 7 && f.lengthEncoding !== 16 && f.lengthEncoding !== 64) {
      return { ok: false, error: `${at}.lengthEncoding: must be 7, 16 or 64 (got ${JSON.stringify(f.lengthEncoding)})` };
    }
    try {
      parts.push(
        encodeFrame({
          opcode: f.opcode,
          fin: f.fin ?? true,
          rsv1: f.rsv1 ?? false,
          rsv2: f.rsv2 ?? false,
          rsv3: f.rsv3 ?? false,
          mask: mask.value,
          payload: payload.value,
          declaredLength: f.declaredLength,
          lengthEncoding: f.lengthEncoding,
        }),
      );
    } catch (e) {
      const field2 = /lengthEncoding|length field/.test((e as Error).message) ? 'lengthEncoding' : 'declaredLength';
      return { ok: false, error: `${at}.${field2}: ${(e as Error).message}` };
    }
  }
  return { ok: true, value: Buffer.concat(parts) };
}
