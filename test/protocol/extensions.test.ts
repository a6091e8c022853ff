import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deflateResponseAcceptsOffer,
  formatExtensions,
  negotiatedDeflate,
  parseExtensions,
  parsePermessageDeflate,
  validatePermessageDeflate,
  type ExtensionOffer,
} from '../../src/main/core/protocol/extensions';
import { DEFAULT_PERMESSAGE_DEFLATE_PARAMS } from '../../src/main/core/protocol/permessage-deflate-params';

const offer = (header: string): ExtensionOffer => {
  const r = parseExtensions(header);
  if (!r.ok) throw new Error(r.error);
  return r.value[0];
};

describe('parseExtensions (RFC 6455 §9.1)', () => {
  it('reads a list of extensions with parameters, as browsers send it', () => {
    const r = parseExtensions('permessage-deflate; client_max_window_bits, x-webkit-deflate-frame');
    expect(r).toEqual({
      ok: true,
      value: [
        { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: null, quoted: false }] },
        { name: 'x-webkit-deflate-frame', params: [] },
      ],
    });
  });

  it('accepts optional whitespace around separators and tabs', () => {
    const r = parseExtensions(' foo ;\tbar = 1 ,baz ');
    expect(r.ok && r.value).toEqual([
      { name: 'foo', params: [{ name: 'bar', value: '1', quoted: false }] },
      { name: 'baz', params: [] },
    ]);
  });

  it('unescapes quoted-string values, which must then be tokens', () => {
    expect(parseExtensions('foo; bar="ba\\z"')).toEqual({
      ok: true,
      value: [{ name: 'foo', params: [{ name: 'bar', value: 'baz', quoted: true }] }],
    });
    const bad = parseExtensions('foo; bar="x y"');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/not a token/);
  });

  it('skips empty list elements (RFC 9110 §5.6.1)', () => {
    const r = parseExtensions(', foo,, bar ,');
    expect(r.ok && r.value.map((e) => e.name)).toEqual(['foo', 'bar']);
  });

  it('keeps duplicate parameters so validators can reject them', () => {
    const r = parseExtensions('foo; a; a=1');
    expect(r.ok && r.value[0].params.map((p) => p.name)).toEqual(['a', 'a']);
  });

  it.each([
    ['', /empty/],
    [' , ', /empty/],
    ['; a', /extension name/],
    ['foo;', /parameter name/],
    ['foo bar', /unexpected "b"/],
    ['foo; a=', /value after "a="/],
    ['foo; a="open', /unterminated/],
    ['foo; a=1 2', /unexpected "2"/],
    ['fo@o', /unexpected "@"/],
  ])('rejects %j', (header, error) => {
    const r = parseExtensions(header);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(error);
  });

  it('round-trips through formatExtensions for any valid list', () => {
    const token = fc.stringMatching(/^[a-z0-9_!#$%&'*+.^`|~-]{1,8}$/);
    const param = fc.record({ name: token, value: fc.option(token, { nil: null }), quoted: fc.boolean() }).map((p) => ({
      ...p,
      quoted: p.value !== null && p.quoted,
    }));
    const ext = fc.record({ name: token, params: fc.array(param, { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(ext, { minLength: 1, maxLength: 3 }), (offers) => {
        expect(parseExtensions(formatExtensions(offers))).toEqual({ ok: true, value: offers });
      }),
      { numRuns: 200 },
    );
  });
});

describe('parsePermessageDeflate (RFC 7692 §7.1)', () => {
  it('reads the CLI form "permessage-deflate; client_max_window_bits=10"', () => {
    expect(parsePermessageDeflate('permessage-deflate; client_max_window_bits=10')).toEqual({
      ok: true,
      value: { ...DEFAULT_PERMESSAGE_DEFLATE_PARAMS, clientMaxWindowBits: 10 },
    });
  });

  it('reads every parameter', () => {
    const r = parsePermessageDeflate(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=15',
    );
    expect(r).toEqual({
      ok: true,
      value: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 15 },
    });
  });

  it('accepts a quoted window size (RFC 6455 §9.1 allows quoted-string)', () => {
    const r = parsePermessageDeflate('permessage-deflate; server_max_window_bits="9"');
    expect(r.ok && r.value.serverMaxWindowBits).toBe(9);
  });

  it('allows a valueless client_max_window_bits in an offer only (§7.1.2.2)', () => {
    expect(parsePermessageDeflate('permessage-deflate; client_max_window_bits')).toEqual({
      ok: true,
      value: DEFAULT_PERMESSAGE_DEFLATE_PARAMS,
    });
    const r = parsePermessageDeflate('permessage-deflate; client_max_window_bits', { as: 'response' });
    expect(!r.ok && r.error).toMatch(/needs a value in a response/);
  });

  it.each([
    ['permessage-deflate; server_max_window_bits', /needs a value/],
    ['permessage-deflate; server_max_window_bits=7', /8 to 15/],
    ['permessage-deflate; client_max_window_bits=16', /8 to 15/],
    ['permessage-deflate; client_max_window_bits=09', /leading zeros/],
    ['permessage-deflate; client_max_window_bits=1e1', /8 to 15/],
    ['permessage-deflate; server_no_context_takeover=1', /takes no value/],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', /more than once/],
    ['permessage-deflate; client_max_window_bits; client_max_window_bits=10', /more than once/],
    ['permessage-deflate; max_window_bits=10', /unknown parameter/],
    ['x-webkit-deflate-frame', /no permessage-deflate/],
    ['permessage-deflate, permessage-deflate; client_max_window_bits', /exactly one/],
    ['permessage-deflate; =', /parameter name/],
  ])('rejects %j', (header, error) => {
    const r = parsePermessageDeflate(header);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(error);
  });

  it('ignores other extensions in the list', () => {
    const r = parsePermessageDeflate('x-foo; a=b, permessage-deflate; server_no_context_takeover');
    expect(r.ok && r.value.serverNoContextTakeover).toBe(true);
  });
});

describe('negotiatedDeflate', () => {
  it('is null when the server accepted no permessage-deflate', () => {
    expect(negotiatedDeflate(undefined)).toEqual({ ok: true, value: null });
    expect(negotiatedDeflate('')).toEqual({ ok: true, value: null });
    expect(negotiatedDeflate('x-foo')).toEqual({ ok: true, value: null });
  });

  it('reads what ws answers to a default offer', () => {
    expect(negotiatedDeflate('permessage-deflate; client_max_window_bits=15; server_no_context_takeover')).toEqual({
      ok: true,
      value: { ...DEFAULT_PERMESSAGE_DEFLATE_PARAMS, serverNoContextTakeover: true },
    });
  });

  it('rejects a response that accepts permessage-deflate twice (both would use RSV1, RFC 7692 §5)', () => {
    const r = negotiatedDeflate('permessage-deflate, permessage-deflate');
    expect(!r.ok && r.error).toMatch(/RSV1/);
  });

  it('rejects response parameters that are only valid in an offer', () => {
    expect(negotiatedDeflate('permessage-deflate; client_max_window_bits').ok).toBe(false);
  });
});

describe('deflateResponseAcceptsOffer', () => {
  const check = (o: string, r: string) => {
    const ov = validatePermessageDeflate(offer(o), 'offer');
    const rv = validatePermessageDeflate(offer(r), 'response');
    if (!ov.ok || !rv.ok) throw new Error('fixture invalid');
    return deflateResponseAcceptsOffer(ov.value, rv.value);
  };

  it('lets the server add client_no_context_takeover and server parameters unasked (§7.1.1.2, §7.1.2.1)', () => {
    expect(check('permessage-deflate', 'permessage-deflate; client_no_context_takeover; server_max_window_bits=10').ok).toBe(true);
    expect(check('permessage-deflate', 'permessage-deflate; server_no_context_takeover').ok).toBe(true);
  });

  it('requires server_no_context_takeover in the response when offered (§7.1.1.1)', () => {
    const r = check('permessage-deflate; server_no_context_takeover', 'permessage-deflate');
    expect(!r.ok && r.error).toMatch(/§7\.1\.1\.1/);
  });

  it('requires a server window no larger than offered (§7.1.2.1)', () => {
    expect(check('permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=9').ok).toBe(true);
    expect(check('permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=11').ok).toBe(false);
    expect(check('permessage-deflate; server_max_window_bits=10', 'permessage-deflate').ok).toBe(false);
  });

  it('allows client_max_window_bits in the response only if offered, and not larger (§7.1.2.2)', () => {
    expect(check('permessage-deflate', 'permessage-deflate; client_max_window_bits=10').ok).toBe(false);
    expect(check('permessage-deflate; client_max_window_bits', 'permessage-deflate; client_max_window_bits=10').ok).toBe(true);
    expect(check('permessage-deflate; client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=10').ok).toBe(false);
    expect(check('permessage-deflate; client_max_window_bits=9', 'permessage-deflate; client_max_window_bits=8').ok).toBe(true);
  });
});
