/**
 * echo: every message goes back to its sender as it came — a text message as text, a binary
 * message as binary (RFC 6455 §5.6: the opcode, 0x1 or 0x2, is part of what "as it came" means).
 */
import type { AppConnection, AppFactory, RouteApp } from '../app';
import { OptionsReader, type OptionsResult } from './options';

/** echo takes no options. */
export type EchoOptions = Record<string, never>;

export function validateEchoOptions(input: unknown, path = 'options'): OptionsResult<EchoOptions> {
  return new OptionsReader(input, path, []).result<EchoOptions>({});
}

const utf8 = new TextDecoder('utf-8');

/**
 * Sends `data` the way it was received. Text goes out as a string so the frame is a text frame
 * whatever the transport does with byte arrays; the bytes are valid UTF-8 because `ws` closes
 * with 1007 on invalid text (RFC 6455 §8.1), so decoding and re-encoding is lossless.
 */
export function sendAsReceived(conn: AppConnection, data: Uint8Array, isBinary: boolean): void {
  if (isBinary) conn.send(data, { binary: true });
  else conn.send(utf8.decode(data), { binary: false });
}

export const createEchoApp: AppFactory<EchoOptions> = (): RouteApp => ({
  onMessage(conn, data, isBinary) {
    sendAsReceived(conn, data, isBinary);
  },
});
