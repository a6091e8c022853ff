import { constants as bufferConstants } from 'node:buffer';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import type { Direction } from './constants';
import { DEFLATE_TRAILER } from './constants';
import type { PermessageDeflateParams } from './permessage-deflate-params';

/**
 * RFC 7692 (permessage-deflate) for display: synchronous, one context per
 * direction, no I/O.
 *
 * Context takeover (RFC 7692 §7.1.1) means a message may refer back into the
 * LZ77 window left by earlier messages. That window is nothing but the last
 * 2^windowBits bytes of earlier *output*, so each message is inflated with a
 * fresh raw inflater whose preset dictionary is that tail. The result equals a
 * long-lived streaming inflater, but everything stays synchronous and a
 * broken message cannot poison later state.
 *
 * Window bits are honoured as far as zlib allows: a reference into an earlier
 * message further back than 2^windowBits fails, because the dictionary holds
 * only that much; zlib does not police distances inside one message against
 * a window smaller than the one it inflates with.
 */

/** The compression parameters that apply to one sender. */
export interface SenderDeflateParams {
  readonly windowBits: number;
  readonly noContextTakeover: boolean;
}

/**
 * RFC 7692 §7.1.1/§7.1.2: "server_*" parameters govern what the server
 * compresses, "client_*" parameters what the client compresses.
 */
export function senderDeflateParams(params: PermessageDeflateParams, from: Direction): SenderDeflateParams {
  return from === 'server'
    ? { windowBits: params.serverMaxWindowBits, noContextTakeover: params.serverNoContextTakeover }
    : { windowBits: params.clientMaxWindowBits, noContextTakeover: params.clientNoContextTakeover };
}

/**
 * The last 2^windowBits bytes of a sender's uncompressed messages: the LZ77
 * sliding window that context takeover carries from one message to the next.
 * Kept in a buffer twice the window size so appending rarely moves bytes.
 */
export class Lz77Window {
  readonly size: number;
  private buf: Uint8Array | null = null;
  private start = 0;
  private end = 0;

  constructor(windowBits: number) {
    if (!Number.isInteger(windowBits) || windowBits < 8 || windowBits > 15) {
      throw new RangeError(`windowBits must be an integer in 8..15 (RFC 7692 §7.1.2), got ${windowBits}`);
    }
    this.size = 1 << windowBits;
  }

  append(data: Uint8Array): void {
    const size = this.size;
    const buf = (this.buf ??= new Uint8Array(size * 2));
    if (data.length >= size) {
      buf.set(data.subarray(data.length - size), 0);
      this.start = 0;
      this.end = size;
      return;
    }
    if (this.end + data.length > buf.length) {
      const keep = Math.min(this.end - this.start, size);
      buf.copyWithin(0, this.end - keep, this.end);
      this.start = 0;
      this.end = keep;
    }
    buf.set(data, this.end);
    this.end += data.length;
    if (this.end - this.start > size) this.start = this.end - size;
  }

  /** The window as a preset dictionary, or undefined while it is empty. */
  get dictionary(): Uint8Array | undefined {
    return this.buf !== null && this.end > this.start ? this.buf.subarray(this.start, this.end) : undefined;
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }
}

export type InflateResult =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly reason: 'too-large'; readonly detail: string }
  | { readonly ok: false; readonly reason: 'corrupt'; readonly detail: string };

const MAX_OUTPUT = bufferConstants.MAX_LENGTH;

/** Inflates the compressed messages of one sender, in order. */
export class MessageInflater {
  readonly params: SenderDeflateParams;
  private readonly window: Lz77Window;

  constructor(params: PermessageDeflateParams, from: Direction) {
    this.params = senderDeflateParams(params, from);
    this.window = new Lz77Window(this.params.windowBits);
  }

  /**
   * Inflates one whole message from its frames' (unmasked) payloads.
   * `limit` is the most output accepted: zlib stops as soon as it would write
   * more (`maxOutputLength`), so a deflate bomb costs at most `limit` bytes.
   */
  inflate(fragments: readonly Uint8Array[], limit: number): InflateResult {
    const input = joinWithTrailer(fragments);
    let out: Uint8Array;
    try {
      out = inflateRawSync(input, {
        windowBits: this.params.windowBits,
        dictionary: this.window.dictionary,
        // RFC 7692 §7.2.2: the appended 0x00 0x00 0xff 0xff ends in a sync
        // flush, never a final block, so the stream is not "finished".
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(1, Math.min(limit, MAX_OUTPUT)),
      });
    } catch (err) {
      // A broken stream leaves the window as it was: the message is not
      // delivered, so it cannot become part of the sender's context.
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') {
        return { ok: false, reason: 'too-large', detail: `inflated message exceeds ${limit} bytes` };
      }
      return { ok: false, reason: 'corrupt', detail: `${e.code ?? 'zlib'}: ${e.message}` };
    }
    if (out.length > limit) {
      return { ok: false, reason: 'too-large', detail: `inflated message exceeds ${limit} bytes` };
    }
    // RFC 7692 §7.1.1: without context takeover every message starts from an
    // empty window.
    if (!this.params.noContextTakeover) this.window.append(out);
    return { ok: true, data: out };
  }
}

/** RFC 7692 §7.2.2: concatenate the payloads and append 0x00 0x00 0xff 0xff. */
function joinWithTrailer(fragments: readonly Uint8Array[]): Uint8Array {
  let total = DEFLATE_TRAILER.length;
  for (const f of fragments) total += f.length;
  const input = new Uint8Array(total);
  let at = 0;
  for (const f of fragments) {
    input.set(f, at);
    at += f.length;
  }
  input.set(DEFLATE_TRAILER, at);
  return input;
}
