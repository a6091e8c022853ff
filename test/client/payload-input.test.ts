import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatHex, parseBase64, parseHex, parseJson, positionAt } from '../../src/main/core/client/payload-input';

const bytes = (...b: number[]) => new Uint8Array(b);

function expectError<T>(r: { ok: true; value: T } | { ok: false; error: string; position?: { line: number; column: number; offset: number } }) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r;
}

describe('positionAt', () => {
  it('counts lines for \\n, \\r\\n and lone \\r, and columns in code points', () => {
    expect(positionAt('ab\ncd', 4)).toMatchObject({ line: 2, column: 2 });
    expect(positionAt('ab\r\ncd', 5)).toMatchObject({ line: 2, column: 2 });
    expect(positionAt('ab\rcd', 4)).toMatchObject({ line: 2, column: 2 });
    expect(positionAt('😀x', 2)).toMatchObject({ line: 1, column: 2, offset: 2 });
  });
});

describe('parseHex', () => {
  it('accepts plain, spaced, 0x-prefixed, colon, dash, \\x and multi-line forms', () => {
    for (const text of ['48656c6c6f', '48 65 6c 6c 6f', '0x48 0x65 0x6C 0x6c 0x6F', '48:65:6c:6c:6f', '48-65-6c-6c-6f', '\\x48\\x65\\x6c\\x6c\\x6f', '4865\n6c6c\r\n6f', '0x48656c6c6f', '0x48, 0x65, 0x6c, 0x6c, 0x6f']) {
      const r = parseHex(text);
      expect(r, text).toEqual({ ok: true, value: new Uint8Array(Buffer.from('Hello')) });
    }
  });

  it('is an empty payload for empty or blank input', () => {
    expect(parseHex('')).toEqual({ ok: true, value: bytes() });
    expect(parseHex('  \n ')).toEqual({ ok: true, value: bytes() });
  });

  it("points at an invalid digit: \"invalid hex digit 'g' at column 7\"", () => {
    const r = expectError(parseHex('48 65 g6'));
    expect(r.error).toBe("invalid hex digit 'g' at column 7");
    expect(r.position).toMatchObject({ line: 1, column: 7, offset: 6 });
  });

  it('uses line and column for multi-line input', () => {
    const r = expectError(parseHex('48 65\n6c zz'));
    expect(r.error).toBe("invalid hex digit 'z' at line 2, column 4");
  });

  it('names invisible characters', () => {
    expect(expectError(parseHex('48\u00a065')).error).toContain('U+00A0 (no-break space)');
  });

  it('refuses a group with an odd number of digits instead of guessing', () => {
    const r = expectError(parseHex('48 656 6c'));
    expect(r.error).toMatch(/odd number of hex digits \(3\) in '656' at column 4/);
    expect(expectError(parseHex('0x1 0x2')).error).toMatch(/odd number of hex digits \(1\) in '0x1' at column 1/);
  });

  it('refuses a bare 0x prefix', () => {
    expect(expectError(parseHex('41 0x')).error).toMatch(/'0x' at column 4 is not followed by hex digits/);
  });

  it('round-trips any bytes through formatHex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(parseHex(formatHex(b))).toEqual({ ok: true, value: b });
      }),
    );
  });
});

describe('parseBase64', () => {
  it('decodes standard and URL-safe alphabets, padded or not, ignoring whitespace', () => {
    const data = bytes(0xfb, 0xff, 0xbf, 0x00);
    expect(parseBase64('+/+/AA==')).toEqual({ ok: true, value: data });
    expect(parseBase64('-_-_AA==')).toEqual({ ok: true, value: data });
    expect(parseBase64('-_-_AA')).toEqual({ ok: true, value: data });
    expect(parseBase64('+/+/\r\n AA==\n')).toEqual({ ok: true, value: data });
    expect(parseBase64('')).toEqual({ ok: true, value: bytes() });
  });

  it('round-trips random bytes in both alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const buf = Buffer.from(b);
        expect(parseBase64(buf.toString('base64'))).toEqual({ ok: true, value: b });
        expect(parseBase64(buf.toString('base64url'))).toEqual({ ok: true, value: b });
      }),
    );
  });

  it('points at an invalid character', () => {
    const r = expectError(parseBase64('SGVs!G8='));
    expect(r.error).toBe("invalid base64 character '!' at column 5");
    expect(r.position?.offset).toBe(4);
  });

  it('refuses mixed alphabets and says where each came from', () => {
    expect(expectError(parseBase64('ab+c-def')).error).toBe("'-' at column 5 belongs to URL-safe base64, but '+' at column 3 is standard; use one alphabet");
  });

  it('enforces the padding rules', () => {
    expect(expectError(parseBase64('QQ=x')).error).toMatch(/'x' at column 4 comes after the '=' padding at column 3/);
    expect(expectError(parseBase64('Q===')).error).toMatch(/too much padding: a third '=' at column 4/);
    expect(expectError(parseBase64('QUJD=')).error).toMatch(/does not line up.*this is 5/);
    expect(expectError(parseBase64('QQ=')).error).toMatch(/does not line up/);
    expect(expectError(parseBase64('QUJDR')).error).toMatch(/single character at column 5/);
    expect(parseBase64('QQ==')).toEqual({ ok: true, value: bytes(0x41) });
    expect(parseBase64('QUI=')).toEqual({ ok: true, value: bytes(0x41, 0x42) });
  });
});

describe('parseJson', () => {
  it('pretty-prints and compacts, keeping lexemes as typed', () => {
    const r = parseJson('{"a":[1, 2.50,{"b":null}], "big": 12345678901234567890, "s":"\\u00e9"}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.pretty).toBe('{\n  "a": [\n    1,\n    2.50,\n    {\n      "b": null\n    }\n  ],\n  "big": 12345678901234567890,\n  "s": "\\u00e9"\n}');
    expect(r.value.compact).toBe('{"a":[1,2.50,{"b":null}],"big":12345678901234567890,"s":"\\u00e9"}');
    expect(r.value.warnings).toEqual([expect.stringMatching(/12345678901234567890 at column \d+ is beyond 2\^53/)]);
    expect((r.value.value as { s: string }).s).toBe('é');
  });

  it('prints empty containers compactly and accepts scalars at the top level', () => {
    const r = parseJson(' {"a": {}, "b": []} ');
    expect(r.ok && r.value.pretty).toBe('{\n  "a": {},\n  "b": []\n}');
    expect(parseJson('"x"')).toMatchObject({ ok: true, value: { value: 'x', pretty: '"x"' } });
  });

  it('warns about duplicate keys but keeps both in the text', () => {
    const r = parseJson('{"a":1,"a":2}');
    expect(r.ok && r.value.compact).toBe('{"a":1,"a":2}');
    expect(r.ok && r.value.warnings[0]).toMatch(/duplicate key "a" at column 8/);
  });

  it('reports line and column of the error', () => {
    const r = expectError(parseJson('{\n  "a": 1,\n  "b": }\n'));
    expect(r.error).toBe("unexpected '}' at line 3, column 8: expected a value");
    expect(r.position).toMatchObject({ line: 3, column: 8 });
  });

  it('explains common mistakes in words', () => {
    expect(expectError(parseJson('')).error).toBe('empty input: expected a JSON value');
    expect(expectError(parseJson('[1,2,]')).error).toBe("trailing comma at column 5 before ']': JSON does not allow a comma after the last element");
    expect(expectError(parseJson('{"a":1,}')).error).toMatch(/trailing comma at column 7 before '}'/);
    expect(expectError(parseJson("{'a':1}")).error).toMatch(/JSON strings use double quotes/);
    expect(expectError(parseJson('{a:1}')).error).toMatch(/expected a member name in double quotes/);
    expect(expectError(parseJson('[undefined]')).error).toMatch(/'undefined' at column 2 is not a JSON value/);
    expect(expectError(parseJson('[012]')).error).toMatch(/leading zeros are not allowed in numbers \('012' at column 2\)/);
    expect(expectError(parseJson('["a\nb"]')).error).toMatch(/unescaped U\+000A \(line feed\) in a string at line 1, column 4; write it as \\n/);
    expect(expectError(parseJson('["\\q"]')).error).toMatch(/invalid escape '\\q' at column 3/);
    expect(expectError(parseJson('["abc')).error).toBe('unterminated string starting at column 2');
    expect(expectError(parseJson('{"a" 1}')).error).toMatch(/expected ':' after the member name "a"/);
    expect(expectError(parseJson('[1] x')).error).toMatch(/unexpected 'x' at column 5 after the end of the JSON value/);
    expect(expectError(parseJson('[1')).error).toMatch(/unexpected end of input at column 3: expected ',' or ']'/);
    expect(expectError(parseJson('-')).error).toMatch(/expected a digit after '-'/);
    expect(expectError(parseJson('1.')).error).toMatch(/expected a digit after '\.'/);
    expect(expectError(parseJson('// c\n1')).error).toMatch(/JSON has no comments/);
  });

  it('agrees with JSON.parse on what is valid', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const r = parseJson(text);
        expect(r.ok).toBe(true);
        if (r.ok) expect(JSON.parse(r.value.compact)).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
    for (const bad of ['{', '[1 2]', 'tru', '01', '"\\u12"', '[,1]', '{"a":1 "b":2}', 'NaN', '+1', '.5']) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(parseJson(bad).ok, bad).toBe(false);
    }
  });

  it('ignores a leading byte order mark (RFC 8259 §8.1)', () => {
    expect(parseJson('\ufeff{"a":1}')).toMatchObject({ ok: true, value: { compact: '{"a":1}' } });
  });

  it('refuses absurd nesting without overflowing the stack', () => {
    expect(expectError(parseJson('['.repeat(5000))).error).toMatch(/nesting deeper than 1000 levels/);
  });
});
