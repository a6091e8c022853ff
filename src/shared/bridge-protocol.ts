/**
 * The browser host's wire form of the contract: the same commands and event
 * batches as Electron IPC, over one WebSocket: JSON text, and a binary form
 * for replies that carry packed frames (see encodeReply).
 */
import type { CommandName, CommandRequest, EventBatch } from './contract/index';
import { COMMAND_NAMES } from './contract/index';
import type { Result } from './result';
import { columnViews, isPackedFrames, NUMERIC_BYTES_PER_ROW, NUMERIC_COLUMNS, TYPED_COLUMNS } from './packed-columns';
import { previewStartOf } from './preview';
import type { PackedFrames } from './records';

export const BRIDGE_PATH = '/bridge';

export interface BridgeCall<K extends CommandName = CommandName> {
  id: number;
  command: K;
  request: CommandRequest<K>;
}

export type BridgeReply =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'events'; batch: EventBatch };

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && (COMMAND_NAMES as readonly string[]).includes(value);
}

/** Parse one message from a bridge client; anything malformed is an error string, not a throw. */
export function parseBridgeCall(text: string): BridgeCall | { error: string; id?: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'bridge message is not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { error: 'bridge message is not an object' };
  const { id, command, request } = value as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return { error: 'bridge message has no numeric id' };
  if (!isCommandName(command)) return { id, error: `unknown command '${String(command)}'` };
  if (typeof request !== 'object' || request === null) return { id, error: `command '${command}' needs a request object` };
  return { id, command, request: request as CommandRequest<CommandName> };
}

/**
 * A reply that carries packed frames (an event batch, a page of rows) travels
 * as one binary message: a 16-byte head, the reply as JSON without the
 * numeric columns and the preview bytes, then those, each column aligned to
 * its element size so the receiver reads them in place (typed-array views,
 * no parsing). A batch of
 * thousands of rows was a JSON array of numbers per column: formatted on the
 * main side, parsed and copied again in the page, and, in Chromium, turned
 * from UTF-8 into a string first. Other replies stay JSON text.
 *
 * Head (little-endian): magic "FSB1", JSON byte length, row count, preview
 * byte length. Then JSON, zero padding to a multiple of 8, then time
 * (float64 × count), length (float64 × count), connection (uint32 × count),
 * bits (uint32 × count), previewEnds (uint32 × count), then the previews'
 * bytes (see shared/preview.ts), which become a view too.
 */
const MAGIC = 0x31425346; // "FSB1" read as a little-endian uint32
const HEAD_BYTES = 16;
/** The typed columns, nulled in the JSON part (their bytes follow it). */
const NO_COLUMNS = Object.fromEntries(TYPED_COLUMNS.map((name) => [name, null]));

const align8 = (n: number): number => (n + 7) & ~7;

/** The packed frames a reply carries, if any: an event batch's frames, or a getRows page. */
function packedOf(reply: BridgeReply): PackedFrames | null {
  if (reply.type === 'events') return reply.batch.frames;
  const r = reply.result;
  return r.ok && isPackedFrames(r.value) ? r.value : null;
}

/** A reply as it goes over the bridge: binary when it carries packed frames, else JSON text. */
export function encodeReply(reply: BridgeReply): string | Uint8Array {
  const packed = packedOf(reply);
  if (packed === null) return JSON.stringify(reply);
  const rest = { ...packed, ...NO_COLUMNS };
  const json = new TextEncoder().encode(
    JSON.stringify(reply.type === 'events' ? { ...reply, batch: { ...reply.batch, frames: rest } } : { ...reply, result: { ok: true, value: rest } }),
  );
  const count = packed.count;
  // Where a row after the last would start: all rows' preview bytes.
  const previewLength = previewStartOf(packed.previewEnds, count);
  const columnsAt = align8(HEAD_BYTES + json.length);
  const out = new Uint8Array(columnsAt + count * NUMERIC_BYTES_PER_ROW + previewLength);
  const head = new DataView(out.buffer);
  head.setUint32(0, MAGIC, true);
  head.setUint32(4, json.length, true);
  head.setUint32(8, count, true);
  head.setUint32(12, previewLength, true);
  out.set(json, HEAD_BYTES);
  const views = columnViews(out.buffer, columnsAt, count, previewLength);
  // A column longer than count (a view into a bigger array) contributes its first count values.
  for (const [name] of NUMERIC_COLUMNS) views[name].set(packed[name].subarray(0, count));
  views.previews.set(packed.previews.subarray(0, previewLength));
  return out;
}

/**
 * A reply from the bridge: JSON text, or the binary form above, whose columns
 * become views into the message's own bytes. Anything else throws (the
 * caller drops the message: it cannot come from this host).
 */
export function decodeReply(data: string | ArrayBuffer): BridgeReply {
  if (typeof data === 'string') return JSON.parse(data) as BridgeReply;
  const head = new DataView(data);
  if (data.byteLength < HEAD_BYTES || head.getUint32(0, true) !== MAGIC) throw new Error('not a Framescope bridge message');
  const jsonLength = head.getUint32(4, true);
  const count = head.getUint32(8, true);
  const previewLength = head.getUint32(12, true);
  const columnsAt = align8(HEAD_BYTES + jsonLength);
  if (columnsAt + count * NUMERIC_BYTES_PER_ROW + previewLength > data.byteLength) throw new Error('a bridge message was cut short');
  const reply = JSON.parse(new TextDecoder().decode(new Uint8Array(data, HEAD_BYTES, jsonLength))) as BridgeReply;
  const packed = reply.type === 'events' ? reply.batch.frames : (reply.result as { value: PackedFrames }).value;
  Object.assign(packed!, columnViews(data, columnsAt, count, previewLength));
  return reply;
}

/**
 * The call a reply that could not be decoded was for, when that can still be
 * read (the binary head's JSON, or the start of a JSON text reply), so the
 * caller can answer that call with an error instead of leaving it waiting.
 */
export function damagedReplyId(data: string | ArrayBuffer): number | null {
  let text: string;
  if (typeof data === 'string') text = data;
  else {
    if (data.byteLength < HEAD_BYTES || new DataView(data).getUint32(0, true) !== MAGIC) return null;
    const jsonLength = new DataView(data).getUint32(4, true);
    text = new TextDecoder().decode(new Uint8Array(data, HEAD_BYTES, Math.min(jsonLength, data.byteLength - HEAD_BYTES)));
  }
  // encodeReply writes "type" then "id" first, so the id survives whatever follows it.
  const m = /^\{"type":"result","id":(\d+)[,}]/.exec(text);
  return m === null ? null : Number(m[1]);
}
