/**
 * What the workbench sends, turned from what a person typed (a PayloadInput of the
 * shared contract) into bytes, and raw-mode frame specs into wire bytes.
 *
 * Data messages must be sendable as the RFC says (RFC 6455 §5.6: a text message is
 * UTF-8), so text that cannot be encoded is refused with the position of the culprit.
 * Raw mode is where rules are broken on purpose: there, anything that can be put into
 * bits is written, and what breaks the RFC is returned as notes for the log.
 */
import { readFile as fsReadFile, stat } from 'node:fs/promises';
import type { PayloadInput, RawFrameSpec } from '../../../shared/contract/client';
import { isControlOpcode, isReservedOpcode, MAX_CONTROL_PAYLOAD, opcodeName } from '../protocol/constants';
import { encodeFrame, minimalLengthEncoding } from '../protocol/encoder';
import { describePosition, parseBase64, parseHex, parseJson, positionAt } from './payload-input';
import { renderTemplateSource, type TemplateEnvironment, type TemplateState } from './template';

export type OutResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface OutgoingMessage {
  bytes: Uint8Array;
  /** Opcode 0x2 (binary) rather than 0x1 (text). */
  binary: boolean;
  /** Valid JSON with a duplicate key, an imprecise number, … */
  warnings: string[];
}

/** Files larger than this are refused rather than read into memory for one message. */
export const MAX_FILE_PAYLOAD = 256 * 1024 * 1024;

export interface PayloadOptions {
  /** Expand {{counter}}, {{timestamp}}, … in text and JSON payloads. */
  template?: { state: TemplateState; env?: TemplateEnvironment };
  readFile?: (path: string) => Promise<Uint8Array>;
  /** Raw mode: text may be anything, even unencodable (it is then sent as U+FFFD, with a note). */
  lenient?: boolean;
}

const utf8 = new TextEncoder();

/** An unpaired surrogate has no UTF-8 form; TextEncoder would silently send U+FFFD instead. */
function loneSurrogateAt(text: string): number {
  const m = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
  return m === null ? -1 : m.index;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return -1;
  } catch {
    // Find the offending byte for the message: decode growing prefixes would be O(n²);
    // a forward scan of the UTF-8 structure (RFC 3629 §4) is linear.
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i];
      const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
      if (n === 0 || i + n > bytes.length) return i;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + n));
      } catch {
        return i;
      }
      i += n;
    }
    return bytes.length;
  }
}

async function readPayloadFile(path: string, read: (p: string) => Promise<Uint8Array>): Promise<OutResult<Uint8Array>> {
  if (typeof path !== 'string' || path.trim() === '') return { ok: false, error: 'file: choose a file to send' };
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, error: `file ${path} is a directory, not a file` };
    // A FIFO or a device would be read until it ends, which may be never.
    if (!info.isFile()) return { ok: false, error: `file ${path} is not a regular file` };
    if (info.size > MAX_FILE_PAYLOAD) {
      return { ok: false, error: `file ${path} is ${info.size} bytes; Framescope sends files of up to ${MAX_FILE_PAYLOAD} bytes as one message` };
    }
    return { ok: true, value: await read(path) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
    return { ok: false, error: `cannot read file ${path}: ${why}` };
  }
}

/**
 * Turns a PayloadInput into the bytes of one data message. Errors name the format and
 * point at the bad character ("hex: invalid hex digit 'g' at column 3").
 */
export async function resolvePayload(input: PayloadInput, options: PayloadOptions = {}): Promise<OutResult<OutgoingMessage>> {
  if (typeof input !== 'object' || input === null) return { ok: false, error: 'payload: expected { kind, text } or { kind: "file", path }' };
  const expand = (text: string): OutResult<string> => {
    if (typeof text !== 'string') return { ok: false, error: `${input.kind}: the text must be a string` };
    if (options.template === undefined) return { ok: true, value: text };
    const r = renderTemplateSource(text, options.template.state, options.template.env);
    return r.ok ? r : { ok: false, error: `template: ${r.error}` };
  };
  switch (input.kind) {
    case 'text': {
      const text = expand(input.text);
      if (!text.ok) return text;
      const bad = loneSurrogateAt(text.value);
      if (bad >= 0 && options.lenient !== true) {
        const where = describePosition(text.value, positionAt(text.value, bad));
        return {
          ok: false,
          error: `text: an unpaired surrogate at ${where} has no UTF-8 form, and a text message must be UTF-8 (RFC 6455 §5.6); to send invalid UTF-8 on purpose, use raw mode with a hex payload`,
        };
      }
      return { ok: true, value: { bytes: utf8.encode(text.value), binary: false, warnings: bad >= 0 ? ['an unpaired surrogate was sent as U+FFFD'] : [] } };
    }
    case 'json': {
      const text = expand(input.text);
      if (!text.ok) return text;
      const parsed = parseJson(text.value);
      if (!parsed.ok) return { ok: false, error: `JSON: ${parsed.error}` };
      // Sent as typed: the person may have chosen the spacing, and parseJson keeps lexemes.
      return { ok: true, value: { bytes: utf8.encode(text.value), binary: false, warnings: parsed.value.warnings } };
    }
    case 'hex': {
      const r = parseHex(typeof input.text === 'string' ? input.text : '');
      return r.ok ? { ok: true, value: { bytes: r.value, binary: true, warnings: [] } } : { ok: false, error: `hex: ${r.error}` };
    }
    case 'base64': {
      const r = parseBase64(typeof input.text === 'string' ? input.text : '');
      return r.ok ? { ok: true, value: { bytes: r.value, binary: true, warnings: [] } } : { ok: false, error: `base64: ${r.error}` };
    }
    case 'file': {
      const read = options.readFile ?? ((p: string) => fsReadFile(p));
      const file = await readPayloadFile(input.path, read);
      if (!file.ok) return file;
      if (input.binary === true) return { ok: true, value: { bytes: file.value, binary: true, warnings: [] } };
      const bad = firstInvalidUtf8(file.value);
      if (bad >= 0 && options.lenient !== true) {
        return {
          ok: false,
          error: `file ${input.path} is not UTF-8 text (invalid byte 0x${file.value[bad].toString(16).padStart(2, '0')} at offset ${bad}); send it as binary, since a text message must be UTF-8 (RFC 6455 §5.6)`,
        };
      }
      return { ok: true, value: { bytes: file.value, binary: false, warnings: [] } };
    }
    default:
      return { ok: false, error: `payload: unknown kind ${JSON.stringify((input as { kind?: unknown }).kind)} (text, json, hex, base64 or file)` };
  }
}

/**
 * RFC 6455 §5.4: a message in n frames. Returns the byte ranges; sizes differ by at most
 * one byte, and with more frames than bytes the extra frames are empty (which is legal:
 * a fragment may carry no data).
 */
export function fragmentRanges(length: number, n: number): Array<[number, number]> {
  const base = Math.floor(length / n);
  const rest = length % n;
  const out: Array<[number, number]> = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = base + (i < rest ? 1 : 0);
    out.push([at, at + size]);
    at += size;
  }
  return out;
}

export const MAX_FRAGMENTS = 65_536;

export function validateFragmentCount(n: unknown): OutResult<number> {
  if (n === undefined) return { ok: true, value: 1 };
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_FRAGMENTS) {
    return { ok: false, error: `fragments: ${JSON.stringify(n)} is not a whole number from 1 to ${MAX_FRAGMENTS} (1 sends the message in one frame)` };
  }
  return { ok: true, value: n };
}

export interface RawFrames {
  bytes: Uint8Array;
  frames: number;
  /** What in these frames breaks RFC 6455 — on purpose, presumably — for the log. */
  notes: string[];
}

function maskKey(mask: RawFrameSpec['mask'], field: string): OutResult<'none' | 'random' | Uint8Array> {
  if (mask === 'none' || mask === 'random') return { ok: true, value: mask };
  if (typeof mask === 'object' && mask !== null && typeof mask.keyHex === 'string') {
    const key = parseHex(mask.keyHex);
    if (!key.ok) return { ok: false, error: `${field}.mask: ${key.error}` };
    if (key.value.length !== 4) return { ok: false, error: `${field}.mask: a masking key is 4 bytes (8 hex digits), got ${key.value.length} (RFC 6455 §5.3)` };
    return { ok: true, value: key.value };
  }
  return { ok: false, error: `${field}.mask: expected 'none', 'random' or { keyHex: '8 hex digits' }` };
}

/**
 * Encodes raw-mode frames exactly as specified (the protocol core's crafter). Only what
 * cannot be put into bits is an error; rule breaking is allowed and noted.
 * `from` says which side writes them: a client's frames must be masked (§5.1).
 */
export async function encodeRawFrames(specs: readonly RawFrameSpec[], from: 'client' | 'server', options: PayloadOptions = {}): Promise<OutResult<RawFrames>> {
  if (!Array.isArray(specs) || specs.length === 0) return { ok: false, error: 'frames: give at least one frame' };
  const parts: Uint8Array[] = [];
  const notes: string[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const field = `frames[${i}]`;
    if (typeof spec !== 'object' || spec === null) return { ok: false, error: `${field}: expected a frame description` };
    if (!Number.isInteger(spec.opcode) || spec.opcode < 0 || spec.opcode > 15) {
      return { ok: false, error: `${field}.opcode: ${JSON.stringify(spec.opcode)} is not a 4-bit opcode (0 to 15, RFC 6455 §5.2)` };
    }
    for (const bit of ['fin', 'rsv1', 'rsv2', 'rsv3'] as const) {
      if (typeof spec[bit] !== 'boolean') return { ok: false, error: `${field}.${bit}: expected true or false` };
    }
    const mask = maskKey(spec.mask, field);
    if (!mask.ok) return mask;
    const payload = await resolvePayload(spec.payload, { ...options, lenient: true });
    if (!payload.ok) return { ok: false, error: `${field}.payload: ${payload.error}` };
    const bytes = payload.value.bytes;
    let declaredLength: number | undefined;
    if (spec.declaredLength !== undefined) {
      if (!Number.isSafeInteger(spec.declaredLength) || spec.declaredLength < 0) {
        return { ok: false, error: `${field}.declaredLength: ${JSON.stringify(spec.declaredLength)} is not a length (a whole number ≥ 0)` };
      }
      declaredLength = spec.declaredLength;
    }
    const length = declaredLength ?? bytes.length;
    if (spec.lengthEncoding !== undefined && spec.lengthEncoding !== 7 && spec.lengthEncoding !== 16 && spec.lengthEncoding !== 64) {
      return { ok: false, error: `${field}.lengthEncoding: must be 7, 16 or 64 (bits of the length field, RFC 6455 §5.2)` };
    }
    if (spec.lengthEncoding === 7 && length > 125) {
      return { ok: false, error: `${field}: length ${length} does not fit the 7-bit length field (it holds 0–125; 126 and 127 announce the longer encodings)` };
    }
    if (spec.lengthEncoding === 16 && length > 0xffff) {
      return { ok: false, error: `${field}: length ${length} does not fit the 16-bit length field (at most 65535)` };
    }
    parts.push(
      encodeFrame({
        opcode: spec.opcode,
        fin: spec.fin,
        rsv1: spec.rsv1,
        rsv2: spec.rsv2,
        rsv3: spec.rsv3,
        mask: mask.value,
        payload: bytes,
        declaredLength,
        lengthEncoding: spec.lengthEncoding,
      }),
    );
    const name = `${field} (${opcodeName(spec.opcode)})`;
    if (isReservedOpcode(spec.opcode)) notes.push(`${name}: opcode ${spec.opcode} is reserved (RFC 6455 §5.2)`);
    if (isControlOpcode(spec.opcode) && bytes.length > MAX_CONTROL_PAYLOAD) notes.push(`${name}: a control frame with ${bytes.length} payload bytes (at most 125, RFC 6455 §5.5)`);
    if (isControlOpcode(spec.opcode) && !spec.fin) notes.push(`${name}: a fragmented control frame (RFC 6455 §5.5)`);
    if (spec.rsv1 || spec.rsv2 || spec.rsv3) notes.push(`${name}: RSV bits set (RFC 6455 §5.2: only an extension may set them)`);
    if (from === 'client' && mask.value === 'none') notes.push(`${name}: not masked; a client must mask every frame (RFC 6455 §5.1)`);
    if (from === 'server' && mask.value !== 'none') notes.push(`${name}: masked; a server must not mask (RFC 6455 §5.1)`);
    if (declaredLength !== undefined && declaredLength !== bytes.length) {
      notes.push(`${name}: declares ${declaredLength} payload bytes but carries ${bytes.length}; the peer's framing is now out of step`);
    }
    if (spec.lengthEncoding !== undefined && spec.lengthEncoding !== minimalLengthEncoding(length)) {
      notes.push(`${name}: ${spec.lengthEncoding}-bit length encoding for ${length} is not minimal (RFC 6455 §5.2)`);
    }
    if (spec.opcode === 0x1 && firstInvalidUtf8(bytes) >= 0) notes.push(`${name}: the text payload is not valid UTF-8 (RFC 6455 §8.1)`);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { ok: true, value: { bytes: out, frames: parts.length, notes } };
}
