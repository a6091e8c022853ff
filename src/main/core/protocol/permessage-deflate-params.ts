/**
 * The parameters of a negotiated permessage-deflate extension (RFC 7692 §7.1),
 * as seen from the wire: which side may keep its LZ77 context between messages
 * and how large each side's sliding window is.
 *
 * "server_*" parameters describe what the server compresses (frames sent by the
 * server); "client_*" parameters describe what the client compresses.
 */
export interface PermessageDeflateParams {
  /** RFC 7692 §7.1.1.1: the server resets its compression context after every message. */
  serverNoContextTakeover: boolean;
  /** RFC 7692 §7.1.1.2: the client resets its compression context after every message. */
  clientNoContextTakeover: boolean;
  /** RFC 7692 §7.1.2.1: LZ77 window bits the server compresses with (8..15, default 15). */
  serverMaxWindowBits: number;
  /** RFC 7692 §7.1.2.2: LZ77 window bits the client compresses with (8..15, default 15). */
  clientMaxWindowBits: number;
}

export const DEFAULT_PERMESSAGE_DEFLATE_PARAMS: Readonly<PermessageDeflateParams> = Object.freeze({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
});
