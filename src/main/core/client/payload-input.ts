/**
 * Turning what a person typed into bytes to send.
 *
 * Every parser returns a tagged union instead of throwing (DESIGN §6): a typo in the
 * message editor is an expected outcome, not a programmer error. Errors say what is
 * wrong in words and point at the offending character, so the editor can put the
 * caret there.
 */

/** Where something is in the typed text. */
export interface TextPosition {
  /** UTF-16 index into the text (what an editor selection uses). */
  offset: number;
  /** 1-based line; "\n", "\r\n" and a lone "\r" each end a line. */
  line: number;
  /** 1-based column, counted in Unicode code points (what a person sees). */
  column: number;
}

export type InputResult<T> = { ok: true; value: T } | { ok: false; error: string; position?: TextPosition };

/** Computes the line/column of a UTF-16 offset. Only used on error paths, so O(n) is fine. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let column = 1;
  let i = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      column = 1;
      i++;
      continue;
    }
    // A surrogate pair is one character on screen: advance two code units, one column.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    column++;
    i++;
  }
  return { offset: end, line, column };
}

/** "column 7" for one-line input, "line 2, column 7" otherwise: short when it can be. */
export function describePosition(text: string, pos: TextPosition): string {
  return /[\r\n]/.test(text) ? `line ${pos.line}, column ${pos.column}` : `column ${pos.column}`;
}

const CONTROL_NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x09: 'tab',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x20: 'space',
  0x7f: 'DEL',
  0xa0: 'no-break space',
  0xfeff: 'byte order mark',
};

/** Names the character at `offset` so that invisible ones are visible in an error. */
export function describeCharAt(text: string, offset: number): string {
  const cp = text.codePointAt(offset);
  if (cp === undefined) return 'end of input';
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CONTROL_NAMES[cp];
  if (name !== undefined) return `${hex} (${name})`;
  if (cp < 0x20 || (cp >= 0x80 && cp < 0xa0)) return `control character ${hex}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return `unpaired surrogate ${hex}`;
  return `'${String.fromCodePoint(cp)}'`;
}

function failAt<T>(text: string, offset: number, message: (where: string) => string): InputResult<T> {
  const position = positionAt(text, offset);
  return { ok: false, error: message(describePosition(text, position)), position };
}

// ---------------------------------------------------------------------------------------
// Hex
// ---------------------------------------------------------------------------------------

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Whitespace and the separators people paste from hexdumps, Wireshark (":") and MAC-style ("-") listings. */
function isHexSeparator(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x3a /* : */ || c === 0x2d /* - */ || c === 0x2c /* , */;
}

/**
 * Parses hex bytes: "48 65 6c", "48656c", "0x48 0x65", "48:65:6c", "48-65", "\x48\x65",
 * across lines. Digits come in groups between separators; each group must have an even
 * number of digits, because "0x1 0x2" silently becoming one byte 0x12 would send
 * something the person did not mean. An empty input is an empty payload.
 */
export function parseHex(text: string): InputResult<Uint8Array> {
  const out = new Uint8Array(Math.ceil(text.length / 2));
  let length = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isHexSeparator(c)) {
      i++;
      continue;
    }
    // "\x41\x42": a C string escape works as separator and prefix at once.
    if (c === 0x5c /* \ */ && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
      i += 2;
      if (i >= n || hexValue(text.charCodeAt(i)) < 0) {
        return failAt(text, i - 2, (w) => `'\\x' at ${w} is not followed by hex digits`);
      }
      const start = i;
      while (i < n && hexValue(text.charCodeAt(i)) >= 0 && i - start < 2) i++;
      if (i - start !== 2) return failAt(text, start - 2, (w) => `'\\x' at ${w} needs two hex digits`);
      out[length++] = (hexValue(text.charCodeAt(start)) << 4) | hexValue(text.charCodeAt(start + 1));
      continue;
    }
    const groupStart = i;
    if (c === 0x30 && (text[i + 1] === 'x' || text[i + 1] === 'X')) i += 2;
    const digitsStart = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isHexSeparator(d) || (d === 0x5c && (text[i + 1] === 'x' || text[i + 1] === 'X'))) break;
      if (hexValue(d) < 0) {
        return failAt(text, i, (w) => `invalid hex digit ${describeCharAt(text, i)} at ${w}`);
      }
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0) {
      return failAt(text, groupStart, (w) => `'${text.slice(groupStart, i)}' at ${w} is not followed by hex digits`);
    }
    if (digits % 2 !== 0) {
      return failAt(
        text,
        groupStart,
        (w) =>
          `odd number of hex digits (${digits}) in '${text.slice(groupStart, i)}' at ${w}: every byte needs two digits, e.g. '0${text.slice(digitsStart, digitsStart + 1)}'`,
      );
    }
    for (let k = digitsStart; k < i; k += 2) {
      out[length++] = (hexValue(text.charCodeAt(k)) << 4) | hexValue(text.charCodeAt(k + 1));
    }
  }
  return { ok: true, value: out.slice(0, length) };
}

/** Formats bytes as "48 65 6c" — the inverse of parseHex, for showing a payload in the editor. */
export function formatHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (i === 0 ? '' : ' ') + bytes[i].toString(16).padStart(2, '0');
  return s;
}

// ---------------------------------------------------------------------------------------
// Base64 (RFC 4648)
// ---------------------------------------------------------------------------------------

function isBase64Whitespace(c: number): boolean {
  // MIME-style line breaks (RFC 2045 §6.8) and indentation from pasted text.
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Parses base64 in the standard (RFC 4648 §4, "+/") or URL-safe (§5, "-_") alphabet,
 * with or without "=" padding; whitespace is ignored. Mixing alphabets is an error
 * because it almost always means two strings were pasted together. Non-zero bits in
 * the last character are accepted: §3.5 lets decoders do so, and a test console
 * should not refuse what a peer might send.
 */
export function parseBase64(text: string): InputResult<Uint8Array> {
  let alphabet: 'standard' | 'url' | undefined;
  let alphabetAt = -1;
  let dataChars = 0;
  let padChars = 0;
  let firstPadAt = -1;
  let lastDataAt = -1;
  let clean = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isBase64Whitespace(c)) continue;
    if (c === 0x3d /* = */) {
      if (padChars === 0) firstPadAt = i;
      padChars++;
      if (padChars > 2) {
        return failAt(text, i, (w) => `too much padding: a third '=' at ${w} (base64 ends with at most two)`);
      }
      continue;
    }
    if (padChars > 0) {
      const padPos = positionAt(text, firstPadAt);
      return failAt(
        text,
        i,
        (w) => `${describeCharAt(text, i)} at ${w} comes after the '=' padding at ${describePosition(text, padPos)}; padding may only end the input`,
      );
    }
    const isLetterOrDigit = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    let ch = text[i];
    if (!isLetterOrDigit) {
      const kind = c === 0x2b || c === 0x2f ? 'standard' : c === 0x2d || c === 0x5f ? 'url' : undefined;
      if (kind === undefined) {
        return failAt(text, i, (w) => `invalid base64 character ${describeCharAt(text, i)} at ${w}`);
      }
      if (alphabet !== undefined && alphabet !== kind) {
        const prev = positionAt(text, alphabetAt);
        return failAt(
          text,
          i,
          (w) =>
            `'${text[i]}' at ${w} belongs to ${kind === 'url' ? 'URL-safe' : 'standard'} base64, but '${text[alphabetAt]}' at ${describePosition(text, prev)} is ${alphabet === 'url' ? 'URL-safe' : 'standard'}; use one alphabet`,
        );
      }
      if (alphabet === undefined) {
        alphabet = kind;
        alphabetAt = i;
      }
      if (c === 0x2d) ch = '+';
      else if (c === 0x5f) ch = '/';
    }
    clean += ch;
    dataChars++;
    lastDataAt = i;
  }
  if (padChars > 0 && (dataChars + padChars) % 4 !== 0) {
    return failAt(
      text,
      firstPadAt,
      (w) =>
        `the '=' padding at ${w} does not line up: padded base64 is a multiple of 4 characters, but this is ${dataChars + padChars}`,
    );
  }
  if (padChars === 0 && dataChars % 4 === 1) {
    return failAt(
      text,
      lastDataAt,
      (w) => `the last group ends with a single character at ${w}; a final group needs 2 or 3 characters to hold a byte (something is missing or extra)`,
    );
  }
  return { ok: true, value: new Uint8Array(Buffer.from(clean, 'base64')) };
}

// ---------------------------------------------------------------------------------------
// JSON (RFC 8259)
// ---------------------------------------------------------------------------------------

export interface JsonInput {
  /** The value as JSON.parse sees it (duplicate keys collapse, big integers round). */
  value: unknown;
  /** Two-space indented text. Numbers and strings are kept exactly as typed. */
  pretty: string;
  /** Same tokens without insignificant whitespace. */
  compact: string;
  /** Things that are valid JSON but probably not what was meant. */
  warnings: string[];
}

type JsonNode =
  | { kind: 'object'; members: Array<{ rawKey: string; value: JsonNode }> }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'scalar'; raw: string };

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly describe: (where: string) => string,
  ) {
    super('JSON syntax error');
  }
}

/** Deep enough for any real message, shallow enough to stay well inside the call stack. */
const MAX_JSON_DEPTH = 1000;

class JsonReader {
  private i = 0;
  readonly warnings: string[] = [];
  constructor(private readonly s: string) {
    // RFC 8259 §8.1: a parser MAY ignore a leading byte order mark.
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  parseDocument(): JsonNode {
    this.skipWs();
    if (this.i >= this.s.length) {
      throw new JsonSyntaxError(this.i, () => 'empty input: expected a JSON value');
    }
    const node = this.value(0);
    this.skipWs();
    if (this.i < this.s.length) {
      const at = this.i;
      throw new JsonSyntaxError(at, (w) => `unexpected ${describeCharAt(this.s, at)} at ${w} after the end of the JSON value`);
    }
    return node;
  }

  private skipWs(): void {
    // RFC 8259 §2: only space, tab, LF and CR are whitespace.
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else return;
    }
  }

  private unexpected(expected: string): JsonSyntaxError {
    const at = this.i;
    if (at >= this.s.length) return new JsonSyntaxError(at, (w) => `unexpected end of input at ${w}: expected ${expected}`);
    const c = this.s[at];
    let hint = '';
    if (c === "'") hint = ' (JSON strings use double quotes)';
    else if (c === '/') hint = ' (JSON has no comments)';
    return new JsonSyntaxError(at, (w) => `unexpected ${describeCharAt(this.s, at)} at ${w}: expected ${expected}${hint}`);
  }

  private value(depth: number): JsonNode {
    if (depth > MAX_JSON_DEPTH) {
      const at = this.i;
      throw new JsonSyntaxError(at, (w) => `nesting deeper than ${MAX_JSON_DEPTH} levels at ${w}`);
    }
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return { kind: 'scalar', raw: this.string() };
    if (c === '-' || (c >= '0' && c <= '9')) return { kind: 'scalar', raw: this.number() };
    if (c !== undefined && /[A-Za-z_$]/.test(c)) {
      const start = this.i;
      let end = start;
      while (end < this.s.length && /[A-Za-z0-9_$]/.test(this.s[end])) end++;
      const word = this.s.slice(start, end);
      if (word === 'true' || word === 'false' || word === 'null') {
        this.i = end;
        return { kind: 'scalar', raw: word };
      }
      throw new JsonSyntaxError(start, (w) => `'${word}' at ${w} is not a JSON value (JSON has true, false, null, numbers, strings, arrays and objects)`);
    }
    throw this.unexpected('a value');
  }

  private object(depth: number): JsonNode {
    this.i++; // {
    const members: Array<{ rawKey: string; value: JsonNode }> = [];
    const seen = new Set<string>();
    this.skipWs();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.skipWs();
      if (this.s[this.i] !== '"') {
        if (this.s[this.i] === '}' && members.length > 0) throw this.trailingComma('}');
        throw this.unexpected('a member name in double quotes');
      }
      const keyAt = this.i;
      const rawKey = this.string();
      const key = JSON.parse(rawKey) as string;
      if (seen.has(key)) {
        const pos = positionAt(this.s, keyAt);
        this.warnings.push(`duplicate key ${rawKey} at ${describePosition(this.s, pos)}; JSON.parse keeps only the last one, the text is sent as typed`);
      }
      seen.add(key);
      this.skipWs();
      if (this.s[this.i] !== ':') throw this.unexpected(`':' after the member name ${rawKey}`);
      this.i++;
      this.skipWs();
      const value = this.value(depth + 1);
      members.push({ rawKey, value });
      this.skipWs();
      const c = this.s[this.i];
      if (c === ',') {
        this.lastComma = this.i;
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return { kind: 'object', members };
      }
      throw this.unexpected("',' or '}'");
    }
  }

  private lastComma = -1;

  private trailingComma(closer: string): JsonSyntaxError {
    const at = this.lastComma;
    return new JsonSyntaxError(at, (w) => `trailing comma at ${w} before '${closer}': JSON does not allow a comma after the last element`);
  }

  private array(depth: number): JsonNode {
    this.i++; // [
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.s[this.i] === ']') {
      this.i++;
      return { kind: 'array', items };
    }
    for (;;) {
      this.skipWs();
      if (this.s[this.i] === ']' && items.length > 0) throw this.trailingComma(']');
      items.push(this.value(depth + 1));
      this.skipWs();
      const c = this.s[this.i];
      if (c === ',') {
        this.lastComma = this.i;
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return { kind: 'array', items };
      }
      throw this.unexpected("',' or ']'");
    }
  }

  /** RFC 8259 §7. Returns the raw lexeme including quotes. */
  private string(): string {
    const start = this.i;
    this.i++; // opening quote
    for (;;) {
      if (this.i >= this.s.length) {
        throw new JsonSyntaxError(start, (w) => `unterminated string starting at ${w}`);
      }
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return this.s.slice(start, this.i);
      }
      if (c < 0x20) {
        const at = this.i;
        const esc = c === 0x0a ? '\\n' : c === 0x09 ? '\\t' : c === 0x0d ? '\\r' : `\\u${c.toString(16).padStart(4, '0')}`;
        throw new JsonSyntaxError(at, (w) => `unescaped ${describeCharAt(this.s, at)} in a string at ${w}; write it as ${esc}`);
      }
      if (c === 0x5c) {
        const at = this.i;
        const e = this.s[this.i + 1];
        if (e === undefined) throw new JsonSyntaxError(start, (w) => `unterminated string starting at ${w}`);
        if ('"\\/bfnrt'.includes(e)) {
          this.i += 2;
          continue;
        }
        if (e === 'u') {
          const hex = this.s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
            throw new JsonSyntaxError(at, (w) => `'\\u' escape at ${w} needs four hex digits`);
          }
          this.i += 6;
          continue;
        }
        throw new JsonSyntaxError(at, (w) => `invalid escape '\\${e}' at ${w} (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
      }
      this.i++;
    }
  }

  /** RFC 8259 §6: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
  private number(): string {
    const start = this.i;
    const s = this.s;
    const digit = (k: number) => s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x39;
    if (s[this.i] === '-') this.i++;
    if (!digit(this.i)) throw this.unexpected("a digit after '-'");
    if (s[this.i] === '0' && digit(this.i + 1)) {
      let end = this.i;
      while (digit(end)) end++;
      const lexeme = s.slice(start, end);
      throw new JsonSyntaxError(start, (w) => `leading zeros are not allowed in numbers ('${lexeme}' at ${w})`);
    }
    while (digit(this.i)) this.i++;
    let integer = true;
    if (s[this.i] === '.') {
      integer = false;
      this.i++;
      if (!digit(this.i)) throw this.unexpected("a digit after '.'");
      while (digit(this.i)) this.i++;
    }
    if (s[this.i] === 'e' || s[this.i] === 'E') {
      integer = false;
      this.i++;
      if (s[this.i] === '+' || s[this.i] === '-') this.i++;
      if (!digit(this.i)) throw this.unexpected('a digit in the exponent');
      while (digit(this.i)) this.i++;
    }
    const raw = s.slice(start, this.i);
    if (integer && !Number.isSafeInteger(Number(raw))) {
      const pos = positionAt(s, start);
      this.warnings.push(
        `the integer ${raw} at ${describePosition(s, pos)} is beyond 2^53 and cannot be represented exactly as a JavaScript number; the text is sent as typed`,
      );
    }
    return raw;
  }
}

function printJson(node: JsonNode, indent: string | null, level: number, out: string[]): void {
  if (node.kind === 'scalar') {
    out.push(node.raw);
    return;
  }
  const [open, close] = node.kind === 'object' ? ['{', '}'] : ['[', ']'];
  const count = node.kind === 'object' ? node.members.length : node.items.length;
  if (count === 0) {
    out.push(open + close);
    return;
  }
  out.push(open);
  const inner = indent === null ? '' : '\n' + indent.repeat(level + 1);
  for (let k = 0; k < count; k++) {
    if (k > 0) out.push(',');
    out.push(inner);
    if (node.kind === 'object') {
      const m = node.members[k];
      out.push(m.rawKey, indent === null ? ':' : ': ');
      printJson(m.value, indent, level + 1, out);
    } else {
      printJson(node.items[k], indent, level + 1, out);
    }
  }
  if (indent !== null) out.push('\n' + indent.repeat(level));
  out.push(close);
}

/**
 * Validates JSON and reformats it. Unlike JSON.stringify(JSON.parse(text)), the
 * formatting keeps every number and string lexeme as typed — a test console must not
 * round 12345678901234567890 or drop a duplicate key the person put there on purpose.
 */
export function parseJson(text: string): InputResult<JsonInput> {
  const reader = new JsonReader(text);
  let root: JsonNode;
  try {
    root = reader.parseDocument();
  } catch (e) {
    if (e instanceof JsonSyntaxError) return failAt(text, e.offset, e.describe);
    throw e;
  }
  const pretty: string[] = [];
  printJson(root, '  ', 0, pretty);
  const compact: string[] = [];
  printJson(root, null, 0, compact);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return { ok: true, value: { value: JSON.parse(body), pretty: pretty.join(''), compact: compact.join(''), warnings: reader.warnings } };
}

/**
 * Describes why `text` is not JSON with line and column, or returns null when it is.
 * For callers (persistence, HAR import) that parse with the fast JSON.parse first and
 * need a good message only when that fails.
 */
export function describeJsonError(text: string): { error: string; position?: TextPosition } | null {
  const r = parseJson(text);
  return r.ok ? null : { error: r.error, position: r.position };
}
