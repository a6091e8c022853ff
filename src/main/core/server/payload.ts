/**
 * What a person typed (PayloadInput) turned into a message or into crafted frames for one
 * server-side connection. The parsers live in client/payload-input.ts; this module adds the
 * field names, so an error reads "frames[1].mask.keyHex: must be 4 bytes (got 3)".
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { PayloadInput, RawFrameSpec } from '../../../shared/contract';
import { MAX_FILE_PAYLOAD } from '../client/outgoing';
import { parseBase64, parseHex, parseJson } from '../client/payload-input';
import { encodeFrame, type MaskSpec } from '../protocol/encoder';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface OutgoingMessage {
  /** A string goes out as a text frame; bytes as binary unless `binary` is false. */
  data: string | Uint8Array;
  binary: boolean;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

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

/** A data message: text and json as text frames, hex and base64 as binary, a file as binary unless binary is false. */
export async function resolveMessage(input: unknown, field = 'payload'): Promise<Checked<OutgoingMessage>> {
  const kind = kindOf(input, field);
  if (!kind.ok) return kind;
  const p = kind.value;
  switch (p.kind) {
    case 'text':
      return { ok: true, value: { data: p.text, binary: false } };
    case 'json': {
      const parsed = parseJson(p.text);
      if (!parsed.ok) return { ok: false, error: `${field}.text: ${parsed.error}` };
      // Sent as typed: the person may have formatted it, or kept a number's exact spelling.
      return { ok: true, value: { data: p.text, binary: false } };
    }
    case 'hex': {
      const parsed = parseHex(p.text);
      return parsed.ok ? { ok: true, value: { data: parsed.value, binary: true } } : { ok: false, error: `${field}.text: ${parsed.error}` };
    }
    case 'base64': {
      const parsed = parseBase64(p.text);
      return parsed.ok ? { ok: true, value: { data: parsed.value, binary: true } } : { ok: false, error: `${field}.text: ${parsed.error}` };
    }
    case 'file': {
      let bytes: Uint8Array;
      try {
        const st = await stat(p.path);
        if (!st.isFile()) return { ok: false, error: `${field}.path: ${p.path} is not a regular file` };
        // The workbench's limit, so a file either side can send the other can too.
        if (st.size > MAX_FILE_PAYLOAD) return { ok: false, error: `${field}.path: ${p.path} is ${st.size} bytes; at most ${MAX_FILE_PAYLOAD} are sent` };
        bytes = await readFile(p.path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return { ok: false, error: `${field}.path: cannot read ${p.path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}` };
      }
      if (p.binary === false) {
        // RFC 6455 §5.6: a text frame carries UTF-8; a file that is not would make the peer fail (§8.1).
        try {
          return { ok: true, value: { data: strictUtf8.decode(bytes), binary: false } };
        } catch {
          return { ok: false, error: `${field}.path: ${p.path} is not valid UTF-8, so it cannot be sent as text; send it as binary` };
        }
      }
      return { ok: true, value: { data: bytes, binary: true } };
    }
  }
}

/** The payload's bytes, whatever its kind (for pings and crafted frames). */
export async function resolveBytes(input: unknown, field = 'payload'): Promise<Checked<Uint8Array>> {
  const message = await resolveMessage(input, field);
  if (!message.ok) return message;
  const data = message.value.data;
  return { ok: true, value: typeof data === 'string' ? utf8.encode(data) : data };
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
