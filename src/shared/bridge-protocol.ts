/**
 * The browser host's wire form of the contract: the same commands and event
 * batches as Electron IPC, as JSON over one WebSocket. Typed arrays in packed
 * frame batches travel as plain number arrays and are rebuilt on arrival.
 */
import type { CommandName, CommandRequest, EventBatch } from './contract/index';
import { COMMAND_NAMES } from './contract/index';
import type { Result } from './result';
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

/** JSON replacer that turns typed arrays into arrays. */
export function encodeReply(reply: BridgeReply): string {
  return JSON.stringify(reply, (_key, value: unknown) =>
    ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value,
  );
}

/** Rebuild typed arrays of a batch that came over JSON. */
export function reviveBatch(batch: EventBatch): EventBatch {
  const frames = batch.frames as (PackedFrames & Record<string, unknown>) | null;
  if (!frames) return batch;
  return {
    ...batch,
    frames: {
      ...frames,
      connection: Uint32Array.from(frames.connection as ArrayLike<number>),
      time: Float64Array.from(frames.time as ArrayLike<number>),
      bits: Uint32Array.from(frames.bits as ArrayLike<number>),
      length: Float64Array.from(frames.length as ArrayLike<number>),
    },
  };
}
