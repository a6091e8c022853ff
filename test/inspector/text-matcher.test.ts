import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileText, requiredClauses, type Prefilter } from '../../src/main/core/capture/text-matcher';

describe('requiredClauses', () => {
  it.each([
    ['error', [['error']]],
    ['order-\\d+', [['order-']]],
    ['"seq":\\d*77\\d*,', [['"seq":'], ['77'], [',']]],
    ['ab+c', [['ab'], ['c']]],
    ['colou?r', [['colo'], ['r']]],
    ['cancel|error', [['cancel', 'error']]],
    ['(foo|bar)baz', [['foobaz', 'barbaz']]],
    ['"side":"(?:buy|sell)"', [['"side":"buy"', '"side":"sell"']]],
    ['(foo|bar)?baz', [['baz']]],
    ['(ab|cd)+x', [['ab', 'cd'], ['x']]],
    ['price\\.eur', [['price.eur']]],
    ['a[bc]d', [['a'], ['d']]],
    ['^hello world$', [['hello world']]],
    ['x{2}yz', [['x'], ['yz']]],
    ['status=(open|closed)|state=(on|off)', [['status=open', 'status=closed', 'state=on', 'state=off']]],
  ] as Array<[string, string[][]]>)('finds what every match of /%s/ contains', (source, literals) => {
    expect(requiredClauses(source)).toEqual(literals);
  });

  it.each(['.*', 'a|.*', '\\d+', '(a.c)', '[abc]+', 'a?'])('finds nothing to require in /%s/', (source) => {
    expect(requiredClauses(source)).toBeNull();
  });
});

describe('compileText', () => {
  it('explains an invalid regular expression instead of throwing', () => {
    const r = compileText({ pattern: '(unclosed', regex: true, caseSensitive: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^not a valid regular expression: .*unclosed|Unterminated group/);
  });

  it('refuses flags that make no sense for a filter', () => {
    const r = compileText({ pattern: 'a', regex: true, caseSensitive: true, flags: 'd' });
    expect(r.ok).toBe(false);
  });

  it('treats a regex without syntax as plain text (the fast path decides alone)', () => {
    const r = compileText({ pattern: 'cancel', regex: true, caseSensitive: false });
    expect(r.ok && r.value.prefilterDecides).toBe(true);
  });

  it('searches non-ASCII text case-sensitively by its UTF-8 bytes', () => {
    const r = compileText({ pattern: 'ünï', regex: false, caseSensitive: true });
    if (!r.ok) throw new Error(r.error);
    const latin1 = Buffer.from('x ünïcödé', 'utf8').toString('latin1');
    expect(latin1.includes(r.value.prefilters[0].literal!)).toBe(true);
    expect(r.value.test('ünïcödé')).toBe(true);
  });

  // Each of these was missed: the prefilter required text that a match need not contain.
  it.each([
    ['\\x41BC', '', 'ABC'],
    ['price: \\u20ac', '', 'price: €'],
    ['\\p{Lu}\\d', 'u', 'Ä1'],
    ['(?<q>ab)\\k<q>', '', 'abab'],
    ['a\\cJb', '', 'a\nb'],
    ['(a)\\10x', '', 'a\bx'],
    ['😀?x', 'u', ' xy😀É'],
    ['[[a]bc]d', 'v', 'ad'],
  ])('lets a payload through that /%s/%s matches', (pattern, flags, payload) => {
    const r = compileText({ pattern, regex: true, caseSensitive: true, flags });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.test(payload)).toBe(true);
    expect(prefilterMisses(r.value.prefilters, payload)).toEqual([]);
  });

  it('still derives a literal from a decoded escape and an emoji', () => {
    expect(requiredClauses('\\x41BC')).toEqual([['ABC']]);
    expect(requiredClauses('😀+x', 'u')).toEqual([['😀'], ['x']]);
    expect(requiredClauses('ab😀', '')).toEqual([['ab😀']]);
  });

  // U+FFFD in decoded text may stand for invalid bytes, which do not spell EF BF BD.
  it('lets through a payload whose invalid bytes decode to a U+FFFD the search contains', () => {
    const bytes = Buffer.from([0x61, 0x3d, 0xff, 0x3b]);
    for (const [pattern, regex] of [['a=\uFFFD;', false], ['a=\uFFFD;', true], ['a=\uFFFD;+', true]] as const) {
      const r = compileText({ pattern, regex, caseSensitive: true });
      if (!r.ok) throw new Error(r.error);
      expect(r.value.test(bytes.toString('utf8'))).toBe(true);
      const latin1 = bytes.toString('latin1');
      expect(r.value.prefilters.filter((p) => !new RegExp(p.re.source).test(latin1))).toEqual([]);
      expect(r.value.prefilterDecides).toBe(false);
    }
  });

  it('does not hang on a "\\u{" that has no "}" (without u it is the letter u)', () => {
    const r = compileText({ pattern: 'a\\u{2,', regex: true, caseSensitive: true });
    expect(r.ok && r.value.test('au{2,')).toBe(true);
  });

  // A lone surrogate has no UTF-8 form: it must not become a required literal.
  it('requires no half of an emoji', () => {
    expect(requiredClauses('😀?xy', '')).toEqual([['xy']]);
    expect(requiredClauses('ab\\uD83D\\uDE00?', 'u')).toEqual([['ab']]);
  });

  // The prefilter is a necessary condition: over latin1 text of the UTF-8 bytes, it must hit
  // wherever the exact test on the decoded text matches.
  const PROPERTY_PATTERNS: Array<[string, string]> = [
    ...['ab', 'a-b', 'b+a', 'ab|ba', 'é', 'éa', '"a"', 'a.b', '1\\d', 'AB', 'ß', 'k', '(ab|ba)-', 'a(?:-b|b-)'].map((p): [string, string] => [p, '']),
    // escapes that are not the characters that follow the backslash
    ['\\x41b', ''],
    ['\\x61\\x62', ''],
    ['\\u00e9a', ''],
    ['\\u00E9', 'u'],
    ['\\u{1F600}x', 'u'],
    ['\\u{61}b', 'u'],
    ['\\p{L}\\d', 'u'],
    ['\\P{L}ab', 'u'],
    ['\\p{Lu}b', 'u'],
    ['(?<n>a)\\k<n>b', ''],
    ['(?<n>[ab])\\k<n>', 'u'],
    ['a\\cJb', ''],
    ['x\\cJ', 's'],
    ['(a)\\1b', ''],
    ['(a|b)\\1', 'i'],
    ['(a)\\10', ''],
    ['\\bab\\B', ''],
    ['\\sa\\S', ''],
    ['\\w\\Wb', ''],
    // emoji with quantifiers, with and without u
    ['😀?x', 'u'],
    ['😀?x', ''],
    ['😀*a', 'u'],
    ['a😀*', ''],
    ['x😀{0,2}a', 'u'],
    ['x😀{1,2}', 'u'],
    ['(😀|a)x', 'u'],
    ['[😀]x', 'u'],
    ['😀', ''],
    // lookarounds
    ['a(?=b)', ''],
    ['(?<=a)b', ''],
    ['a(?!b)x', ''],
    ['(?<!a)bx', ''],
    ['(?<=é)a', 'u'],
    ['(?=ab)a', ''],
    // flags
    ['^a.b$', 'm'],
    ['a.b', 's'],
    ['éa', 'u'],
    ['k', 'u'],
    ['ſ', 'u'],
    ['ab$', 'mu'],
    // classes, groups, counted repetition
    ['[\\]a]b', ''],
    ['[^\\]]ab', ''],
    ['[[a]b]x', 'v'],
    ['[\\q{ab}x]y', 'v'],
    ['a{1,3}b', ''],
    ['xa{0,2}b', ''],
    ['(?:é|ß)a', ''],
    ['(a|b(c|x))', ''],
  ];

  it('compiles every pattern of the property below', () => {
    for (const [pattern, flags] of PROPERTY_PATTERNS) expect(compileText({ pattern, regex: true, caseSensitive: true, flags }).ok, `/${pattern}/${flags}`).toBe(true);
  });

  it('never misses a match the exact test finds (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'A', 'B', 'x', 'é', 'É', 'Ä', 'ß', '1', '-', ' ', '"', ']', 'ſ', 'K', '😀', '\n', '\b');
    const text = fc.array(alphabet, { maxLength: 24 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, fc.constantFrom(...PROPERTY_PATTERNS), fc.boolean(), fc.boolean(), (t, [pattern, flags], regex, caseSensitive) => {
        const r = compileText({ pattern, regex, caseSensitive, flags });
        if (!r.ok) return;
        if (!r.value.test(t)) return;
        expect(prefilterMisses(r.value.prefilters, t), `/${pattern}/${flags} on ${JSON.stringify(t)}`).toEqual([]);
      }),
      { numRuns: 5000 },
    );
  });
});

/** The prefilters that find nothing in a payload's bytes (as latin1): none, when the payload matches. */
function prefilterMisses(prefilters: Prefilter[], payload: string): string[] {
  const latin1 = Buffer.from(payload, 'utf8').toString('latin1');
  return prefilters
    .filter((p) => {
      p.re.lastIndex = 0;
      return !p.re.test(latin1);
    })
    .map((p) => String(p.re));
}

describe('a case-insensitive regex lowered, for text without capitals', () => {
  it('lowers letters, letter escapes and identity escapes, and refuses what it cannot vouch for', async () => {
    const { lowerForLowercaseText } = await import('../../src/main/core/capture/text-matcher');
    expect(lowerForLowercaseText('"Side":"(BUY|sell)",\\d{2}')).toBe('"side":"(buy|sell)",\\d{2}');
    expect(lowerForLowercaseText('\\x41\\u0042\\Q\\D\\W\\S[0-9_\\d]')).toBe('abq\\D\\W\\S[0-9_\\d]');
    expect(lowerForLowercaseText('(?<Name>X)(?:Y)')).toBe('(?<Name>x)(?:y)');
    for (const refused of ['[A-Z]', '[a-f]', '[\\x41]', 'é', '(?=A)', '(?!a)', '(?<=a)b', '\\bA', '(a)\\1', '\\p{L}', '\\k<n>']) {
      expect(lowerForLowercaseText(refused)).toBeNull();
    }
  });

  const atom = fc.constantFrom('a', 'B', 'c', '\\d', '\\w', '\\W', '.', '[0-9]', '[^_]', '(A|b)', '(?:aB)', '\\x41', '\\u0062', '\\Q', '\\.', '[]', '_', ' ');
  const quantifier = fc.constantFrom('', '?', '*', '+', '{2}', '{1,2}');
  const pattern = fc.array(fc.tuple(atom, quantifier), { minLength: 1, maxLength: 4 }).map((parts) => parts.map(([a, q]) => a + q).join(''));

  it('matches exactly what the original matches, on text without capitals (property)', async () => {
    const { lowerForLowercaseText } = await import('../../src/main/core/capture/text-matcher');
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'q', '1', '.', '_', ' ', '-'), { maxLength: 14 }).map((c) => c.join(''));
    await fc.assert(
      fc.property(pattern, text, (source, t) => {
        const lowered = lowerForLowercaseText(source);
        if (lowered === null) return;
        const found = (re: RegExp): string[] => [...t.matchAll(re)].map((m) => `${m.index}:${m[0]}`);
        expect(found(new RegExp(lowered, 'g'))).toEqual(found(new RegExp(source, 'gi')));
      }),
      { numRuns: 3000 },
    );
  });

  it('on any text, what the lowered form matches the original matches too (property)', async () => {
    const { lowerForLowercaseText } = await import('../../src/main/core/capture/text-matcher');
    const text = fc.array(fc.constantFrom('a', 'A', 'b', 'B', 'c', 'C', 'q', 'Q', '1', '.', '_'), { maxLength: 14 }).map((c) => c.join(''));
    await fc.assert(
      fc.property(pattern, text, (source, t) => {
        const lowered = lowerForLowercaseText(source);
        if (lowered === null) return;
        const whole = new RegExp(`^(?:${source})$`, 'i');
        for (const m of t.matchAll(new RegExp(lowered, 'g'))) expect(whole.test(m[0])).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
