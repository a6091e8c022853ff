/**
 * What a person typed (PayloadInput) turned into a message or into crafted frames for one
 * server-side connection, by the workbench's own resolver and crafter (client/outgoing.ts);
 * this module checks the shape first and names the field, so an error reads
 * "payload.path: must be an absolute path".
 */
import { isAbsolute } from 'node:path';
import type { PayloadInput, RawFrameSpec } from '../../../shared/contract';
import { encodeRawFrames as encodeCraftedFrames, resolvePayload } from '../client/outgoing';

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

/**
 * Crafted frames, encoded exactly as specified (any opcode, RSV bits, mask, declared length or
 * length encoding), concatenated in order: the workbench's crafter, writing as a server
 * (RFC 6455 §5.1: its frames are unmasked unless the person masks them on purpose).
 */
export async function encodeRawFrames(input: unknown, field = 'frames'): Promise<Checked<Uint8Array>> {
  if (!Array.isArray(input) || input.length === 0) return { ok: false, error: `${field}: must be a non-empty list of frames` };
  const encoded = await encodeCraftedFrames(input as RawFrameSpec[], 'server');
  return encoded.ok ? { ok: true, value: encoded.value.bytes } : encoded;
}
