import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileText, requiredClauses } from '../../src/main/core/capture/text-matcher';

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
    const r = compileText({ pattern: 'a', regex: true, caseSensitive: true, flags: 'v' });
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

  // The prefilter is a necessary condition: over latin1 text of the UTF-8 bytes, it must hit
  // wherever the exact test on the decoded text matches.
  it('never misses a match the exact test finds (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'A', 'B', 'é', 'É', 'ß', '1', '-', ' ', '"', 'ſ', 'K');
    const text = fc.array(alphabet, { maxLength: 24 }).map((a) => a.join(''));
    const patterns = fc.constantFrom('ab', 'a-b', 'b+a', 'ab|ba', 'é', 'éa', '"a"', 'a.b', '1\\d', 'AB', 'ß', 'k', '(ab|ba)-', 'a(?:-b|b-)');
    fc.assert(
      fc.property(text, patterns, fc.boolean(), fc.boolean(), (t, pattern, regex, caseSensitive) => {
        const r = compileText({ pattern, regex, caseSensitive });
        if (!r.ok) return;
        if (!r.value.test(t)) return;
        const latin1 = Buffer.from(t, 'utf8').toString('latin1');
        for (const p of r.value.prefilters) {
          p.re.lastIndex = 0;
          expect(p.re.test(latin1)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
