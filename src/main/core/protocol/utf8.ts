import { isUtf8 } from 'node:buffer';

/**
 * A streaming UTF-8 validator that fails fast.
 *
 * RFC 6455 §8.1 asks an endpoint to fail the connection as soon as a text
 * message turns out not to be UTF-8, and §5.6 lets that happen per fragment.
 * The validator therefore reports the index of the first byte at which the
 * input can no longer be well-formed (Unicode §3.9, Table 3-7): a stray
 * continuation byte, C0/C1/F5..FF, an overlong second byte after E0/F0, a
 * surrogate after ED, a code point above U+10FFFF after F4, or a missing
 * continuation byte. A sequence cut by a chunk boundary carries on into the
 * next `write()`.
 */
export class Utf8Validator {
  /** Continuation bytes still expected in the current sequence. */
  private need = 0;
  /** Allowed range for the next continuation byte (narrowed after E0, ED, F0, F4). */
  private lo = 0x80;
  private hi = 0xbf;
  private failed = false;

  /**
   * Validates `bytes[start..end)` as the continuation of everything written
   * before. Returns -1 if nothing is wrong so far, else the index (into
   * `bytes`) of the first invalid byte. After a failure every write fails at
   * `start` until `reset()`.
   */
  write(bytes: Uint8Array, start = 0, end = bytes.length): number {
    if (this.failed) return start;
    let need = this.need;
    // Long runs between sequences: let simdutf check the whole range at once.
    // It answers "false" also for a range that merely ends inside a sequence,
    // in which case the byte loop below finds out which it is.
    if (need === 0 && end - start >= 32 && isUtf8(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end))) {
      return -1;
    }
    let lo = this.lo;
    let hi = this.hi;
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      if (need === 0) {
        if (b < 0x80) continue;
        if (b < 0xc2) return this.fail(i); // continuation without a lead byte, or C0/C1 (always overlong)
        if (b < 0xe0) {
          need = 1;
        } else if (b < 0xf0) {
          need = 2;
          if (b === 0xe0) lo = 0xa0; // E0 80..9F would be overlong
          else if (b === 0xed) hi = 0x9f; // ED A0..BF would encode surrogates U+D800..U+DFFF
        } else if (b < 0xf5) {
          need = 3;
          if (b === 0xf0) lo = 0x90; // F0 80..8F would be overlong
          else if (b === 0xf4) hi = 0x8f; // F4 90.. would exceed U+10FFFF
        } else {
          return this.fail(i); // F5..FF can never start a sequence
        }
      } else {
        if (b < lo || b > hi) return this.fail(i);
        need--;
        lo = 0x80;
        hi = 0xbf;
      }
    }
    this.need = need;
    this.lo = lo;
    this.hi = hi;
    return -1;
  }

  /** True when the bytes so far end between code points (a message may end here). */
  get complete(): boolean {
    return this.need === 0 && !this.failed;
  }

  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
    this.failed = false;
  }

  private fail(index: number): number {
    this.failed = true;
    return index;
  }
}

/**
 * One-shot check of a complete text: -1 if it is valid UTF-8, else the index
 * of the first invalid byte, or `bytes.length` if it ends inside a sequence.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const v = new Utf8Validator();
  const at = v.write(bytes);
  return at !== -1 ? at : bytes.length;
}

type Slice = (this: Uint8Array, start: number, end: number) => string;
// Buffer#utf8Slice and #latin1Slice are what buf.toString('utf8' / 'latin1')
// run; called on a plain Uint8Array they skip Buffer's argument handling and
// are clearly faster than TextDecoder for the short texts most frames carry.
const slices = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice };
const utf8Slice = slices.utf8Slice;
const latin1Slice = slices.latin1Slice;
// ignoreBOM keeps a leading U+FEFF, as utf8Slice does: the console shows what was sent.
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes UTF-8 that has already been validated. (Invalid input is not an
 * error here; it becomes U+FFFD.)
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Slice !== undefined ? utf8Slice.call(bytes, 0, bytes.length) : textDecoder.decode(bytes);
}

/**
 * Decodes bytes known to be ASCII (a subset of UTF-8): copying them into a
 * one-byte string is cheaper than UTF-8 decoding.
 */
export function decodeAscii(bytes: Uint8Array): string {
  return latin1Slice !== undefined ? latin1Slice.call(bytes, 0, bytes.length) : decodeUtf8(bytes);
}
