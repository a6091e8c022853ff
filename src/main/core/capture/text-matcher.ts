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
 * literal is searched as its UTF-8 bytes, case-sensitively only.
 */
import { fail, ok, type Result } from '../../../shared/result';
import type { TextCriterion } from '../../../shared/contract';

/** A search over latin1 text of raw bytes whose hits every matching payload contains. */
export interface Prefilter {
  /** Global regex (lastIndex is used). */
  re: RegExp;
  /** A single case-sensitive literal: searched with indexOf (a case-insensitive one uses `re`). */
  literal: string | null;
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
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);
/** The UTF-8 bytes of a string as a latin1 string: what a latin1 view of the raw payload shows. */
const utf8AsLatin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Flags a person may add after a /pattern/ (g and y make no sense for a filter; v changes class syntax). */
const ALLOWED_FLAGS = /^[imsu]*$/;

function prefilterOf(literals: string[], caseSensitive: boolean): Prefilter | null {
  const usable = literals.map((lit) => (isAscii(lit) ? lit : caseSensitive ? utf8AsLatin1(lit) : null));
  if (!usable.every((lit): lit is string => lit !== null && lit.length >= 2)) return null;
  return {
    re: new RegExp(usable.map(escapeRegExp).join('|'), caseSensitive ? 'g' : 'gi'),
    literal: caseSensitive && usable.length === 1 ? usable[0] : null,
  };
}

export function compileText(criterion: TextCriterion): Result<CompiledText> {
  const { pattern, caseSensitive } = criterion;
  if (!criterion.regex) return ok(plainText(pattern, caseSensitive));
  const extra = (criterion.flags ?? '').replace(/[gyi]/g, '');
  if (!ALLOWED_FLAGS.test(extra)) return fail(`not a valid regular expression: flags '${criterion.flags}' are not supported (use i, m, s, u)`);
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
  // Unicode case folding maps some non-ASCII characters onto ASCII ones (ſ → s, K → k): no byte prefilter.
  const unicodeFolding = flags.includes('i') && flags.includes('u');
  const clauses = unicodeFolding ? null : requiredClauses(pattern);
  const prefilters = (clauses ?? []).map((c) => prefilterOf(c, caseSensitive)).filter((p): p is Prefilter => p !== null);
  return ok({
    test: (text) => re.test(text),
    prefilters,
    prefilterDecides: false,
    global: isContextFree(pattern) ? new RegExp(pattern, `${flags}g`) : null,
  });
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
        if (e === 'u' && source[i + 1] === '{') i = source.indexOf('}', i);
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

function plainText(pattern: string, caseSensitive: boolean): CompiledText {
  if (caseSensitive) {
    const lit = isAscii(pattern) ? pattern : utf8AsLatin1(pattern);
    return {
      test: (text) => text.includes(pattern),
      prefilters: [{ re: new RegExp(escapeRegExp(lit), 'g'), literal: lit }],
      prefilterDecides: true,
      global: null,
    };
  }
  const re = new RegExp(escapeRegExp(pattern), 'i');
  if (isAscii(pattern)) {
    return {
      test: (text) => re.test(text),
      prefilters: [{ re: new RegExp(escapeRegExp(pattern), 'gi'), literal: null }],
      prefilterDecides: true,
      global: null,
    };
  }
  // Non-ASCII, any case: the ASCII runs of the pattern still narrow the rows down.
  const runs = pattern.match(/[\x00-\x7f]{2,}/g) ?? [];
  return {
    test: (text) => re.test(text),
    prefilters: runs.map((run) => ({ re: new RegExp(escapeRegExp(run), 'gi'), literal: null })),
    prefilterDecides: false,
    global: null,
  };
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v' };
/** Escapes that stand for a class, an assertion, a back-reference or a code point: they end a literal run. */
const NON_LITERAL_ESCAPE = /[dDwWsSbBkpPuxc0-9]/;

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

/** Index just past the group or class opening at `at`. */
function skipBracketed(source: string, at: number): number {
  let depth = 0;
  let inClass = false;
  for (let k = at; k < source.length; k++) {
    const c = source[k];
    if (c === '\\') {
      k++;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        if (depth === 0) return k + 1;
      }
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return k + 1;
    }
  }
  return source.length;
}

/** Splits at `|` outside groups and classes. */
function splitAlternatives(source: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < source.length; k++) {
    const c = source[k];
    if (c === '\\') k++;
    else if (c === '(' || c === '[') k = skipBracketed(source, k) - 1;
    else if (c === '|') {
      parts.push(source.slice(from, k));
      from = k + 1;
    }
  }
  parts.push(source.slice(from));
  return parts;
}

/** The text of a part made only of literal characters, or null. */
function pureLiteral(part: string): string | null {
  let out = '';
  for (let k = 0; k < part.length; k++) {
    const c = part[k];
    if (c === '\\') {
      const e = part[k + 1];
      if (e === undefined) return null;
      if (SIMPLE_ESCAPES[e] !== undefined) out += SIMPLE_ESCAPES[e];
      else if (!NON_LITERAL_ESCAPE.test(e) && !/[a-zA-Z]/.test(e)) out += e;
      else return null;
      k++;
    } else if ('^$.|?*+()[]{}'.includes(c)) {
      return null;
    } else {
      out += c;
    }
  }
  return out;
}

/** Literals a sequence can spell, at most this many (beyond, its parts become separate clauses). */
const MAX_EXPANSION = 32;

/**
 * Literal runs and literal alternations (clauses) one alternative of a regex
 * requires. Adjacent literals and alternation groups are spelled out whole
 * ("prices/(eur|chf)" → prices/eur | prices/chf): a longer literal is rarer,
 * and the prefilter then leaves fewer rows to test.
 */
function branchClauses(source: string): string[][] {
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
      const after = skipBracketed(source, i);
      const q = quantifier(source, after);
      let alternatives: string[] | null = null;
      if (c === '(' && (q === null || q[0] > 0)) {
        // (a|b|c) or (?:a|b|c) of plain literals: every match contains one of them.
        const inner = source.slice(i + 1, after - 1);
        const body = inner.startsWith('?:') ? inner.slice(2) : /^\?<[A-Za-z_$][\w$]*>/.test(inner) ? inner.replace(/^\?<[^>]+>/, '') : inner.startsWith('?') ? null : inner;
        const parts = body === null ? null : splitAlternatives(body).map(pureLiteral);
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
    let literal: string | null = null;
    let width = 1;
    if (c === '\\') {
      const e = source[i + 1];
      width = 2;
      if (e === undefined) break;
      if (SIMPLE_ESCAPES[e] !== undefined) literal = SIMPLE_ESCAPES[e];
      else if (!NON_LITERAL_ESCAPE.test(e) && !/[a-zA-Z]/.test(e)) literal = e;
    } else if (!'^$.?*+{}])|'.includes(c)) {
      literal = c;
    }
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
  return clauses;
}

/**
 * Clauses every match of a regex source satisfies: each is a list of
 * literals, one of which the match contains. For a regex with top-level
 * alternatives, one clause of each alternative's longest literal; null when
 * nothing is required. Conservative: anything not understood is skipped,
 * never guessed at.
 */
export function requiredClauses(source: string): string[][] | null {
  const branches = splitAlternatives(source);
  if (branches.length === 1) {
    const clauses = branchClauses(source);
    return clauses.length > 0 ? clauses : null;
  }
  const best: string[] = [];
  for (const branch of branches) {
    // Each alternative's clause whose shortest literal is longest, spelled out whole.
    const clauses = branchClauses(branch);
    if (clauses.length === 0) return null;
    const shortest = (c: string[]): number => Math.min(...c.map((l) => l.length));
    const clause = clauses.reduce((a, b) => (shortest(b) > shortest(a) ? b : a));
    best.push(...clause);
  }
  if (best.length > MAX_EXPANSION) return null;
  return [best];
}
