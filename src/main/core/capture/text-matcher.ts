/**
 * Compiles what a person types into the filter box into something that can be
 * run over a million payloads quickly: an exact test on decoded text, plus,
 * when the pattern allows it, prefilters that run over whole payload buffers
 * at once (one latin1 string per buffer, indexOf or a regex over it), so only
 * rows with a hit need the exact test.
 *
 * A regex yields a list of clauses, all of which every match satisfies; a
 * clause is a set of literals one of which every match contains ("order-" in
 * /order-\d+/, {buy, sell} in /"side":"(buy|sell)"/). The scan searches a
 * buffer for one clause, the one that looks rarest (see frame-filter.ts).
 *
 * Why a prefilter is sound: it searches the raw bytes (as latin1) for
 * literals every match must contain. For ASCII literals that is exactly the
 * UTF-8 text, because UTF-8 never uses bytes below 0x80 inside a multi-byte
 * sequence, and in non-unicode case-insensitive mode JavaScript never folds a
 * character ≥ U+0080 onto an ASCII one (ECMA-262 Canonicalize: "If ch's code
 * unit value ≥ 128 and cu's code unit value < 128, return ch"). A non-ASCII
 * literal is searched as its UTF-8 bytes, case-sensitively only; never a
 * lone surrogate or U+FFFD, which have no bytes of their own in a payload
 * (the decoder makes U+FFFD of invalid bytes).
 */
import { fail, ok, type Result } from '../../../shared/result';
import type { TextCriterion } from '../../../shared/contract';

/** A search over latin1 text of raw bytes whose hits every matching payload contains. */
export interface Prefilter {
  /** Global regex (lastIndex is used). */
  re: RegExp;
  /** A single case-sensitive literal: searched with indexOf (a case-insensitive one uses `re`). */
  literal: string | null;
  /**
   * A case-insensitive prefilter's literals lowered, as a case-sensitive regex: a hit of it is a
   * hit; where the text has no capital A–Z, no hit means none. V8 runs some literals much faster
   * one way and some the other (JSON keys starting with a quote: about four times faster
   * lowered), so a scan times both on a sample (frame-filter.ts). Null when case-sensitive.
   */
  lowered: RegExp | null;
}

export interface CompiledText {
  /** The exact test on a payload's decoded text. */
  test(text: string): boolean;
  /** Clauses every match satisfies; the scan uses the rarest. Empty: none could be derived. */
  prefilters: Prefilter[];
  /** A hit lying inside a payload's bytes is a match by itself (plain text search). */
  prefilterDecides: boolean;
  /**
   * The regex with the g flag when it may be run over a whole buffer's text
   * to decide many rows at once (see isContextFree); null otherwise.
   */
  global: RegExp | null;
  /** `global` for a case-insensitive regex, lowered and case-sensitive (see lowerForLowercaseText); null otherwise. */
  globalLower: RegExp | null;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);
/** The UTF-8 bytes of a string as a latin1 string: what a latin1 view of the raw payload shows. */
const utf8AsLatin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Flags a person may add after a /pattern/ (g and y make no sense for a filter). */
const ALLOWED_FLAGS = /^[imsuv]*$/;

/** Lone surrogates and U+FFFD: characters of decoded text that no bytes of a payload spell as such. */
const NO_BYTES_OF_THEIR_OWN = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/;

/** The longest piece of a literal without such characters: a match contains it, and so do its bytes. */
function bytePiece(literal: string): string {
  return literal.split(new RegExp(NO_BYTES_OF_THEIR_OWN, 'g')).reduce((a, b) => (b.length > a.length ? b : a), '');
}

function prefilterOf(literals: string[], caseSensitive: boolean): Prefilter | null {
  const usable = literals.map((lit) => (isAscii(lit) ? lit : caseSensitive ? utf8AsLatin1(lit) : null));
  if (!usable.every((lit): lit is string => lit !== null && lit.length >= 2)) return null;
  return {
    re: new RegExp(usable.map(escapeRegExp).join('|'), caseSensitive ? 'g' : 'gi'),
    literal: caseSensitive && usable.length === 1 ? usable[0] : null,
    lowered: caseSensitive ? null : loweredLiterals(usable),
  };
}

export function compileText(criterion: TextCriterion): Result<CompiledText> {
  const { pattern, caseSensitive } = criterion;
  if (!criterion.regex) return ok(plainText(pattern, caseSensitive));
  const extra = (criterion.flags ?? '').replace(/[gyi]/g, '');
  if (!ALLOWED_FLAGS.test(extra)) return fail(`not a valid regular expression: flags '${criterion.flags}' are not supported (use i, m, s, u, v)`);
  const flags = `${caseSensitive ? '' : 'i'}${[...new Set(extra)].join('')}`;
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (error) {
    return fail(`not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  // A pattern with no syntax at all is plain text, and gets the fast path.
  if (!/[\\^$.|?*+()[\]{}]/.test(pattern) && (flags === '' || flags === 'i') && pattern !== '') {
    return ok(plainText(pattern, caseSensitive));
  }
  // Unicode case folding (u or v) maps some non-ASCII characters onto ASCII ones (ſ → s, K → k): no byte prefilter.
  const unicodeFolding = flags.includes('i') && /[uv]/.test(flags);
  const clauses = unicodeFolding ? null : requiredClauses(pattern, flags);
  const prefilters = (clauses ?? []).map((c) => prefilterOf(c, caseSensitive)).filter((p): p is Prefilter => p !== null);
  // isContextFree does not read v's nested classes ([[^a]b]), so it is not asked about them.
  const contextFree = !flags.includes('v') && isContextFree(pattern);
  const lowered = contextFree && flags.includes('i') && !unicodeFolding ? lowerForLowercaseText(pattern) : null;
  return ok({
    test: (text) => re.test(text),
    prefilters,
    prefilterDecides: false,
    global: contextFree ? new RegExp(unrollCountedRepeats(pattern), `${flags}g`) : null,
    globalLower: lowered === null ? null : new RegExp(unrollCountedRepeats(lowered), `${flags.replace('i', '')}g`),
  });
}

/** A counted repeat written out costs this many atoms at most. */
const MAX_UNROLLED = 32;

/**
 * Writes `X{n}` out as n copies of X when X is one simple atom (a character,
 * an escape like \d or \., `.`, or a class [..]). The two are the same
 * regular expression (ECMA-262 §22.2.2.5.1: a quantifier {n} matches its atom
 * exactly n times, one after another), but V8's irregexp runs a counted loop
 * for the first and can look ahead for the second: over a buffer of JSON,
 * /\d{7}/ takes about six times as long as /\d\d\d\d\d\d\d/. Anything
 * unusual (groups, {n,m}, \u / \x / \c escapes, a lazy ?, a character
 * outside ASCII) is left as written.
 */
export function unrollCountedRepeats(source: string): string {
  let out = '';
  /** Where the last simple atom starts in `out`, or -1 when the last thing written is not one. */
  let atomAt = -1;
  for (let i = 0; i < source.length; ) {
    const c = source[i];
    if (c === '{' && atomAt >= 0) {
      const m = /^\{(\d+)\}(?!\?)/.exec(source.slice(i));
      if (m && Number(m[1]) >= 1 && Number(m[1]) <= MAX_UNROLLED) {
        const atom = out.slice(atomAt);
        out = out.slice(0, atomAt) + atom.repeat(Number(m[1]));
        atomAt = -1;
        i += m[0].length;
        continue;
      }
    }
    let end = i + 1;
    let simple: boolean;
    if (c === '\\') {
      // Copied whole (\xHH, \u{…}, \cX, \k<name> …); only \d \w \s, their negations and escaped punctuation count as atoms here.
      const { width } = readEscape(source, i);
      end = i + width;
      simple = width === 2 && /[dDwWsS.*+?^$()[\]{}|/\\-]/.test(source[i + 1]);
    } else if (c === '[') {
      // A class runs to its first unescaped ] (in JavaScript, [] is an empty class and [^] any character).
      let j = i + 1;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      end = Math.min(source.length, j + 1);
      simple = j < source.length && isAscii(source.slice(i, end));
    } else {
      simple = c === '.' || (/[\x20-\x7e]/.test(c) && !/[()|*+?{}^$\]]/.test(c));
    }
    atomAt = simple ? out.length : -1;
    out += source.slice(i, end);
    i = end;
  }
  return out;
}

/**
 * May a regex be run across a buffer that holds many payloads, and a match
 * lying inside one payload's bytes be taken as a match of that payload alone?
 * Yes when nothing in it looks outside the characters it consumes (no ^ $ \b
 * \B, lookarounds or back-references): such a regex matches the same
 * characters wherever they sit. And only when no unbounded repetition of a
 * broad class (., [^…], \D \S \W, a group) can run on past a payload's end,
 * which would make each search costly. Conservative: anything unclear is no.
 */
export function isContextFree(source: string): boolean {
  let inClass = false;
  let classNegated = false;
  /** What the previous atom was: 'narrow' (a literal, \d \w \s, [..]), 'broad', or none. */
  let previous: 'narrow' | 'broad' | null = null;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (inClass) {
      if (c === '\\') i++;
      else if (c === ']') {
        inClass = false;
        previous = classNegated ? 'broad' : 'narrow';
      }
      continue;
    }
    switch (c) {
      case '\\': {
        const e = source[i + 1];
        if (e === undefined || /[bBk1-9]/.test(e)) return false;
        previous = /[DSWpP]/.test(e) ? 'broad' : 'narrow';
        i++;
        // Without u, "\u{" and "\p{" need no "}" (they are the letters u, p): a missing one must not restart the loop.
        if ((e === 'u' || e === 'p' || e === 'P') && source[i + 1] === '{') i = Math.max(i, source.indexOf('}', i));
        else if (e === 'x') i += 2;
        else if (e === 'u') i += 4;
        else if (e === 'c') i += 1;
        break;
      }
      case '^':
      case '$':
        return false;
      case '(':
        if (source.startsWith('(?=', i) || source.startsWith('(?!', i) || source.startsWith('(?<=', i) || source.startsWith('(?<!', i)) return false;
        previous = null;
        break;
      case ')':
        previous = 'broad';
        break;
      case '[':
        inClass = true;
        classNegated = source[i + 1] === '^';
        break;
      case '.':
        previous = 'broad';
        break;
      case '*':
      case '+':
        if (previous !== 'narrow') return false;
        break;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
        if (m) {
          const unbounded = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1000);
          if (unbounded && previous !== 'narrow') return false;
          i += m[0].length - 1;
        } else previous = 'narrow';
        break;
      }
      case '?':
      case '|':
        break;
      default:
        previous = 'narrow';
    }
  }
  return !inClass;
}

/**
 * A case-insensitive (non-unicode) regex rewritten to run case-sensitively: its ASCII letters
 * lowered. On text without capital letters A–Z it matches exactly what the original matches:
 * under the i flag a letter matches its two cases (ECMA-262 §22.2.2.7.3 Canonicalize; no
 * character ≥ U+0080 folds onto ASCII without u), and \d \w \s . and letterless classes do not
 * depend on case. On any text, a match of the rewrite is a match of the original. So a scan
 * may take the rewrite's answer where the text has no capitals and its matches everywhere.
 * Null when the pattern has anything this cannot vouch for: a letter inside a class ([A-z]
 * spans punctuation), a non-ASCII character, lookarounds (a rewrite that finds no "ABC"
 * ahead says nothing about "abc"), back-references, \b or \B, \p. A letter spelled as an
 * escape (\x41, \u0041, or \Q, which is Q without u) is lowered like any other; the other
 * escapes (\D, \W, \x2E, \cJ …) and group names are copied as they are.
 */
export function lowerForLowercaseText(source: string): string | null {
  if (!isAscii(source)) return null;
  let out = '';
  for (let i = 0; i < source.length; ) {
    const c = source[i];
    if (c === '\\') {
      const e = source[i + 1];
      // \p and \P mean p and P{…} without the u flag: not worth reading; the rest cannot be vouched for.
      if (e === undefined || /[bBk1-9pP]/.test(e)) return null;
      const { literal, width } = readEscape(source, i);
      const isCapital = (ch: string | null): boolean => ch !== null && ch >= 'A' && ch <= 'Z';
      // A capital spelled as an escape (\x41, \u0041, or \Q, which is Q without u) is lowered like any other.
      if (isCapital(literal)) out += literal!.toLowerCase();
      else if (width === 2 && isCapital(e) && !'DSW'.includes(e)) out += e.toLowerCase();
      else out += source.slice(i, i + width);
      i += width;
    } else if (c === '[') {
      let j = i + 1;
      while (j < source.length && source[j] !== ']') {
        if (source[j] === '\\') {
          // \d \w \s and escaped punctuation only: \x41, \u0041 or \Q could be a letter.
          if (!/[dDwWsS]|[^0-9a-zA-Z]/.test(source[j + 1] ?? 'x')) return null;
          j += 2;
        } else if (/[a-zA-Z]/.test(source[j])) return null;
        else j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (c === '(' && source[i + 1] === '?') {
      if (/^\(\?<?[=!]/.test(source.slice(i))) return null;
      // (?: or a named group (?<name>: copied up to where the group's own pattern starts.
      const end = source[i + 2] === '<' ? source.indexOf('>', i) + 1 : i + 3;
      if (end <= 0) return null;
      out += source.slice(i, end);
      i = end;
    } else {
      out += c >= 'A' && c <= 'Z' ? c.toLowerCase() : c;
      i++;
    }
  }
  return out;
}

/** ASCII literals to be found in any case, as their small-letter forms found as written. */
function loweredLiterals(asciiLiterals: string[]): RegExp {
  return new RegExp(asciiLiterals.map((l) => escapeRegExp(l.toLowerCase())).join('|'), 'g');
}

function plainText(pattern: string, caseSensitive: boolean): CompiledText {
  if (caseSensitive && NO_BYTES_OF_THEIR_OWN.test(pattern)) {
    const piece = utf8AsLatin1(bytePiece(pattern));
    return {
      test: (text) => text.includes(pattern),
      prefilters: piece === '' ? [] : [{ re: new RegExp(escapeRegExp(piece), 'g'), literal: piece, lowered: null }],
      prefilterDecides: false,
      global: null,
      globalLower: null,
    };
  }
  if (caseSensitive) {
    const lit = isAscii(pattern) ? pattern : utf8AsLatin1(pattern);
    return {
      test: (text) => text.includes(pattern),
      prefilters: [{ re: new RegExp(escapeRegExp(lit), 'g'), literal: lit, lowered: null }],
      prefilterDecides: true,
      global: null,
      globalLower: null,
    };
  }
  const re = new RegExp(escapeRegExp(pattern), 'i');
  if (isAscii(pattern)) {
    return {
      test: (text) => re.test(text),
      prefilters: [{ re: new RegExp(escapeRegExp(pattern), 'gi'), literal: null, lowered: loweredLiterals([pattern]) }],
      prefilterDecides: true,
      global: null,
      globalLower: null,
    };
  }
  // Non-ASCII, any case: the ASCII runs of the pattern still narrow the rows down.
  const runs = pattern.match(/[\x00-\x7f]{2,}/g) ?? [];
  return {
    test: (text) => re.test(text),
    prefilters: runs.map((run) => ({ re: new RegExp(escapeRegExp(run), 'gi'), literal: null, lowered: loweredLiterals([run]) })),
    prefilterDecides: false,
    global: null,
    globalLower: null,
  };
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v' };

/** How flags change the reading of a pattern: u and v make an astral character one atom; v nests classes. */
interface Syntax {
  unicode: boolean;
  sets: boolean;
}
const syntaxOf = (flags: string): Syntax => ({ unicode: /[uv]/.test(flags), sets: flags.includes('v') });

const isHighSurrogate = (c: string | undefined): boolean => c !== undefined && c >= '\uD800' && c <= '\uDBFF';
const isLowSurrogate = (c: string | undefined): boolean => c !== undefined && c >= '\uDC00' && c <= '\uDFFF';

/**
 * What an escape spans after its letter, when more than the letter: \u{1F600}, \p{Lu}, \k<name>, \cJ,
 * \12. Sticky, run at a position. None may span ( ) [ ] | or \, so the escape never hides syntax
 * that skipBracketed and splitAlternatives (which skip one character after a backslash) do see.
 */
const ESCAPE_SPANS: Record<string, RegExp> = {
  u: /\{[0-9a-fA-F]*\}/y,
  p: /\{[^{}()[\]|\\]*\}/y,
  P: /\{[^{}()[\]|\\]*\}/y,
  k: /<[^<>()[\]{}|\\]*>/y,
  c: /[A-Za-z]/y,
};
const DIGITS = /[0-9]*/y;

/**
 * The escape at `at` (a backslash): its width, and the one character it
 * stands for, or null for a class (\d, \p{L}), an assertion (\b), a
 * back-reference or octal escape (\1, \10, \k<q>), a control (\cJ) or a
 * letter of uncertain meaning. It is consumed whole, so that no part of it
 * reads as a literal ("41" of \x41). Only \xHH and \uHHHH are decoded: they
 * mean the same with and without u. A surrogate \uHHHH is not: with u, it may
 * be one atom with the next escape, which a quantifier may follow.
 */
function readEscape(source: string, at: number): { literal: string | null; width: number } {
  const e = source[at + 1];
  if (e === undefined) return { literal: null, width: 1 };
  if (SIMPLE_ESCAPES[e] !== undefined) return { literal: SIMPLE_ESCAPES[e], width: 2 };
  if (e === 'x' || e === 'u') {
    const digits = e === 'x' ? 2 : 4;
    const hex = source.slice(at + 2, at + 2 + digits);
    if (hex.length === digits && /^[0-9a-fA-F]+$/.test(hex)) {
      const ch = String.fromCharCode(parseInt(hex, 16));
      return { literal: isHighSurrogate(ch) || isLowSurrogate(ch) ? null : ch, width: 2 + digits };
    }
  }
  const span = ESCAPE_SPANS[e] ?? (/[0-9]/.test(e) ? DIGITS : null);
  if (span !== null) {
    span.lastIndex = at + 2;
    const m = span.exec(source);
    return { literal: null, width: 2 + (m ? m[0].length : 0) };
  }
  // Other letters: \d \D \w \W \s \S \b \B, or without u the letter itself (\x without two hex digits).
  if (/[a-zA-Z]/.test(e)) return { literal: null, width: 2 };
  return { literal: e, width: 2 };
}

/** The atom at `i` outside brackets: the literal character it is (null for syntax, classes, assertions) and its width. */
function readAtom(source: string, i: number, syntax: Syntax): { literal: string | null; width: number } {
  const c = source[i];
  if (c === '\\') return readEscape(source, i);
  if ('^$.|?*+(){}[]'.includes(c)) return { literal: null, width: 1 };
  // With u or v an astral character is one atom: a quantifier after it applies to both halves.
  // Without, it applies to the low half only, and the high half alone is left to bytePiece to drop.
  if (syntax.unicode && isHighSurrogate(c) && isLowSurrogate(source[i + 1])) return { literal: source.slice(i, i + 2), width: 2 };
  return { literal: c, width: 1 };
}

/** Reads a quantifier at `at`: [minimum, length] or null. */
function quantifier(source: string, at: number): [number, number] | null {
  const c = source[at];
  if (c === '?' || c === '*') return [0, source[at + 1] === '?' ? 2 : 1];
  if (c === '+') return [1, source[at + 1] === '?' ? 2 : 1];
  if (c === '{') {
    const m = /^\{(\d+)(,\d*)?\}\??/.exec(source.slice(at));
    if (m) return [Number(m[1]), m[0].length];
  }
  return null;
}

/** Index just past the group or class opening at `at`. With v, classes nest ([[a-z]--[aeiou]]). */
function skipBracketed(source: string, at: number, sets: boolean): number {
  let depth = 0;
  let classDepth = 0;
  for (let k = at; k < source.length; k++) {
    const c = source[k];
    if (c === '\\') {
      k++;
      continue;
    }
    if (classDepth > 0) {
      if (c === '[' && sets) classDepth++;
      else if (c === ']') {
        classDepth--;
        if (classDepth === 0 && depth === 0) return k + 1;
      }
      continue;
    }
    if (c === '[') classDepth = 1;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return k + 1;
    }
  }
  return source.length;
}

/** Splits at `|` outside groups and classes. */
function splitAlternatives(source: string, sets: boolean): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < source.length; k++) {
    const c = source[k];
    if (c === '\\') k++;
    else if (c === '(' || c === '[') k = skipBracketed(source, k, sets) - 1;
    else if (c === '|') {
      parts.push(source.slice(from, k));
      from = k + 1;
    }
  }
  parts.push(source.slice(from));
  return parts;
}

/** The text of a part made only of literal characters, or null. */
function pureLiteral(part: string, syntax: Syntax): string | null {
  let out = '';
  for (let k = 0; k < part.length; ) {
    const { literal, width } = readAtom(part, k, syntax);
    if (literal === null) return null;
    out += literal;
    k += width;
  }
  return out;
}

/** Literals a sequence can spell, at most this many (beyond, its parts become separate clauses). */
const MAX_EXPANSION = 32;

/**
 * Literal runs and literal alternations (clauses) one alternative of a regex
 * requires. Adjacent literals and alternation groups are spelled out whole
 * ("prices/(eur|chf)" → prices/eur | prices/chf): a longer literal is rarer,
 * and the prefilter then leaves fewer rows to test. Lookarounds, classes and
 * groups other than plain alternations of literals end a run and add nothing.
 */
function branchClauses(source: string, syntax: Syntax): string[][] {
  const clauses: string[][] = [];
  /** The literals the current adjacent sequence can spell (a cartesian product of its parts). */
  let seq: string[] = [''];
  const endSeq = (): void => {
    if (seq.some((s) => s.length > 0)) clauses.push(seq);
    seq = [''];
  };
  const extend = (alternatives: string[]): void => {
    if (seq.length * alternatives.length > MAX_EXPANSION) {
      endSeq();
      seq = alternatives.slice();
      return;
    }
    seq = seq.flatMap((s) => alternatives.map((a) => s + a));
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '(' || c === '[') {
      const after = skipBracketed(source, i, syntax.sets);
      const q = quantifier(source, after);
      let alternatives: string[] | null = null;
      if (c === '(' && (q === null || q[0] > 0)) {
        // (a|b|c), (?:a|b|c) or (?<name>a|b|c) of plain literals: every match contains one of them.
        // Any other (? group (a lookaround) contributes nothing.
        const inner = source.slice(i + 1, after - 1);
        const body = inner.startsWith('?:') ? inner.slice(2) : /^\?<[A-Za-z_$][\w$]*>/.test(inner) ? inner.replace(/^\?<[^>]+>/, '') : inner.startsWith('?') ? null : inner;
        const parts = body === null ? null : splitAlternatives(body, syntax.sets).map((part) => pureLiteral(part, syntax));
        if (parts && parts.every((a): a is string => a !== null && a.length > 0)) alternatives = parts;
      }
      if (alternatives && q === null) {
        extend(alternatives);
      } else {
        endSeq();
        // Repeated at least once: required, but what follows need not be adjacent.
        if (alternatives) clauses.push(alternatives);
      }
      i = after + (q ? q[1] : 0);
      continue;
    }
    const { literal, width } = readAtom(source, i, syntax);
    const q = quantifier(source, i + width);
    if (literal === null) {
      endSeq();
      i += width + (q ? q[1] : 0);
      continue;
    }
    if (q) {
      // Optional: not in every match. Required once (+, {n}): it is, but what follows need not be adjacent.
      if (q[0] > 0) extend([literal]);
      endSeq();
      i += width + q[1];
      continue;
    }
    extend([literal]);
    i += width;
  }
  endSeq();
  // A literal with a lone surrogate (😀? without u leaves the high half required) or U+FFFD is cut to its best piece.
  return clauses.map((clause) => clause.map(bytePiece)).filter((clause) => clause.every((lit) => lit.length > 0));
}

/**
 * Clauses every match of a regex source satisfies: each is a list of
 * literals, one of which the match contains. For a regex with top-level
 * alternatives, one clause of each alternative's longest literal; null when
 * nothing is required. Conservative: anything not understood is skipped,
 * never guessed at. `flags` are the regex's (u and v change how it reads).
 */
export function requiredClauses(source: string, flags = ''): string[][] | null {
  const syntax = syntaxOf(flags);
  const branches = splitAlternatives(source, syntax.sets);
  if (branches.length === 1) {
    const clauses = branchClauses(source, syntax);
    return clauses.length > 0 ? clauses : null;
  }
  const best: string[] = [];
  for (const branch of branches) {
    // Each alternative's clause whose shortest literal is longest, spelled out whole.
    const clauses = branchClauses(branch, syntax);
    if (clauses.length === 0) return null;
    const shortest = (c: string[]): number => Math.min(...c.map((l) => l.length));
    const clause = clauses.reduce((a, b) => (shortest(b) > shortest(a) ? b : a));
    best.push(...clause);
  }
  if (best.length > MAX_EXPANSION) return null;
  return [best];
}
