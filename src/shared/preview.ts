/**
 * Row previews: the one-line text the frame table shows for a row, and the
 * compact form previews travel in from the main side to a window.
 *
 * The wire form is bytes, not strings. A batch carries, per row, the raw
 * start of the payload (at most PREVIEW_BYTES) with a one-byte kind in front,
 * all rows' bytes one after the other in `previews`, and `previewEnds[i]` the
 * end of row i's (row i starts where row i − 1 ends). The window keeps these
 * bytes and formats a row (hex, or text with control characters made visible)
 * only when it draws the row: the table draws a few dozen rows a frame, while
 * a busy capture sends tens of thousands a second. Formatting every row on
 * the main side, and structured-cloning a string per row, was most of what a
 * batch cost there (`npm run bench:capture`); a binary row's 24 raw bytes are
 * also a third of its hex preview (71 characters, 73 with the ' …').
 *
 * Kinds:
 *  - READY: UTF-8 text to show as it is (a violation, a close code and reason,
 *    an inflated message): made on the main side, where the text is.
 *  - BINARY / TEXT: the payload's first bytes; `totalLength` (the row's length
 *    column) says whether more followed, which adds the '…'.
 * A row with nothing to show has no bytes at all, not even a kind.
 */

/** Payload bytes a preview can show; a longer payload only adds the '…'. */
export const PREVIEW_BYTES = 96;
/** Characters of text a preview shows. */
const PREVIEW_CHARS = 80;
/** Bytes of a binary payload a preview shows, in hex. */
export const PREVIEW_HEX_BYTES = 24;
/** READY previews are cut here: enough for any table width. */
export const MAX_READY_CHARS = 200;

export const PREVIEW_READY = 0;
export const PREVIEW_BINARY = 1;
export const PREVIEW_TEXT = 2;

/** Rows' previews in the wire form (see the module comment). */
export interface PreviewColumns {
  previews: Uint8Array;
  previewEnds: ArrayLike<number>;
}

const HEX = '0123456789abcdef';
/** Payload text: a leading byte-order mark is dropped, as the default decoder does (it is not text to show). */
const payloadUtf8 = new TextDecoder('utf-8');
/** READY text was made on the main side already: a U+FEFF at its start is part of it (the default decoder would drop it). */
const readyUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * A single-line preview: text with control characters made visible, or hex for
 * binary. `totalLength` is the length of the whole payload when `bytes` is only
 * its start.
 */
export function previewText(bytes: Uint8Array, binary: boolean, totalLength = bytes.length): string {
  if (binary) {
    const shown = Math.min(bytes.length, PREVIEW_HEX_BYTES);
    let hex = '';
    for (let i = 0; i < shown; i++) {
      const b = bytes[i];
      hex += (i > 0 ? ' ' : '') + HEX[b >>> 4] + HEX[b & 0x0f];
    }
    return totalLength > shown ? `${hex} …` : hex;
  }
  // Printable ASCII, the usual text, is one character per byte with nothing to
  // replace. Only the shown characters need checking: UTF-8 is
  // self-synchronising, so what follows them cannot change them.
  const shown = Math.min(bytes.length, PREVIEW_CHARS);
  let ascii = true;
  for (let i = 0; i < shown; i++) {
    const b = bytes[i];
    if (b < 0x20 || b > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const text = String.fromCharCode.apply(null, bytes.subarray(0, shown) as unknown as number[]);
    return totalLength > PREVIEW_CHARS ? `${text}…` : text;
  }
  const text = payloadUtf8.decode(bytes.subarray(0, PREVIEW_BYTES)).replace(/[\u0000-\u001f\u007f]/g, ' ');
  return text.length > PREVIEW_CHARS || totalLength > PREVIEW_BYTES ? `${text.slice(0, cutBefore(text, PREVIEW_CHARS))}…` : text;
}

/** Where row i's preview bytes start: where row i − 1's end. */
export function previewStartOf(ends: ArrayLike<number>, i: number): number {
  return i === 0 ? 0 : ends[i - 1];
}

/** Formats the preview stored at bytes[start, end) (kind byte first); `totalLength` is the row's payload length. */
export function readPreview(bytes: Uint8Array, start: number, end: number, totalLength: number): string {
  if (end <= start) return '';
  const kind = bytes[start];
  const body = bytes.subarray(start + 1, end);
  if (kind === PREVIEW_READY) return readyUtf8.decode(body);
  return previewText(body, kind === PREVIEW_BINARY, totalLength);
}

/** Row i's preview text. */
export function previewOf(frames: PreviewColumns & { length: ArrayLike<number> }, i: number): string {
  return readPreview(frames.previews, previewStartOf(frames.previewEnds, i), frames.previewEnds[i], frames.length[i]);
}

/** Every row's preview text (tests and tools; the table reads one row at a time). */
export function previewsOf(frames: PreviewColumns & { length: ArrayLike<number>; count: number }): string[] {
  return Array.from({ length: frames.count }, (_, i) => previewOf(frames, i));
}

/** `at`, or one less where cutting text at `at` would split a surrogate pair (half a pair is not a character). */
function cutBefore(text: string, at: number): number {
  const before = text.charCodeAt(at - 1);
  return before >= 0xd800 && before <= 0xdbff ? at - 1 : at;
}

/** `text` cut to MAX_READY_CHARS with a '…', never between the halves of a surrogate pair. */
export function cutReady(text: string): string {
  if (text.length <= MAX_READY_CHARS) return text;
  return `${text.slice(0, cutBefore(text, MAX_READY_CHARS - 1))}…`;
}

/**
 * Appends previews in the wire form to a growing byte array. One writer per
 * batch: each call of `ready`, `raw` or `copy` adds the next row.
 */
export class PreviewWriter {
  private bytes: Uint8Array<ArrayBuffer>;
  private at = 0;
  readonly ends: Uint32Array;
  private row = 0;

  constructor(rows: number, scratch?: Uint8Array<ArrayBuffer>) {
    this.ends = new Uint32Array(rows);
    this.bytes = scratch ?? new Uint8Array(Math.max(64, rows * 32));
  }

  /** Preview bytes written so far (in `scratch`). */
  get length(): number {
    return this.at;
  }

  /** The scratch array, possibly grown: hand it to the next writer. */
  get scratch(): Uint8Array<ArrayBuffer> {
    return this.bytes;
  }

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }

  /** Text shown as it is (cut to MAX_READY_CHARS). */
  ready(text: string): void {
    if (text.length > 0) {
      const cut = cutReady(text);
      this.room(1 + cut.length * 3);
      this.bytes[this.at++] = PREVIEW_READY;
      this.at += encoder.encodeInto(cut, this.bytes.subarray(this.at)).written;
    }
    this.end();
  }

  /** A payload's first bytes: `source[from, from + n)`, n already capped by the caller (at most PREVIEW_BYTES). */
  raw(kind: typeof PREVIEW_BINARY | typeof PREVIEW_TEXT, source: Uint8Array, from: number, n: number): void {
    if (n > 0) {
      this.room(1 + n);
      const bytes = this.bytes;
      let at = this.at;
      bytes[at++] = kind;
      // A loop, not set(subarray()): rows are short, and a view per row costs more than the copy.
      for (let k = 0; k < n; k++) bytes[at++] = source[from + k];
      this.at = at;
    }
    this.end();
  }

  /** Row i of another set of preview columns, as it is. */
  copy(from: PreviewColumns, i: number): void {
    const start = previewStartOf(from.previewEnds, i);
    const n = from.previewEnds[i] - start;
    this.room(n);
    this.bytes.set(from.previews.subarray(start, start + n), this.at);
    this.at += n;
    this.end();
  }

  private end(): void {
    this.ends[this.row++] = this.at;
  }

  /** The finished columns (the bytes copied out of the scratch array). */
  finish(): PreviewColumns & { previewEnds: Uint32Array } {
    return { previews: this.bytes.slice(0, this.at), previewEnds: this.ends };
  }
}

/** Wire-form previews of plain texts, as ready rows (tests build pages with it). */
export function readyPreviews(texts: readonly string[]): PreviewColumns & { previewEnds: Uint32Array } {
  const writer = new PreviewWriter(texts.length);
  for (const text of texts) writer.ready(text);
  return writer.finish();
}
