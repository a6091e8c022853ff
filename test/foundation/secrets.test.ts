import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_HEADERS, REDACTED, secretsRedactor, type Redactor } from '../../src/shared/secrets';

function redactor(choice: Parameters<typeof secretsRedactor>[0] = {}): Redactor {
  const r = secretsRedactor(choice);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('the secrets rule', () => {
  it('redacts credentials, cookies and the common key headers by default, in any case', () => {
    const headers: Array<[string, string]> = [
      ['Authorization', 'Basic YWRhOnMzY3JldA=='],
      ['proxy-authorization', 'Basic eDp5'],
      ['COOKIE', 'sid=abc'],
      ['Set-Cookie', 'sid=abc; Path=/'],
      ['X-Api-Key', 'k1'],
      ['Api-Key', 'k2'],
      ['X-Auth-Token', 'k3'],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
      ['Host', 'h:1'],
    ];
    expect(redactor().headers(headers)).toEqual([
      ['Authorization', REDACTED],
      ['proxy-authorization', REDACTED],
      ['COOKIE', REDACTED],
      ['Set-Cookie', REDACTED],
      ['X-Api-Key', REDACTED],
      ['Api-Key', REDACTED],
      ['X-Auth-Token', REDACTED],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
      ['Host', 'h:1'],
    ]);
    expect(DEFAULT_SECRET_HEADERS).toHaveLength(7);
  });

  it('redacts the headers a person marks secret, and keeps everything when asked to', () => {
    const headers: Array<[string, string]> = [['X-Session', 's'], ['Cookie', 'c']];
    expect(redactor({ secretHeaders: ['x-SESSION'] }).headers(headers)).toEqual([['X-Session', REDACTED], ['Cookie', REDACTED]]);
    const all = redactor({ includeSecrets: true, secretHeaders: ['X-Session'] });
    expect(all.redacting).toBe(false);
    expect(all.headers(headers)).toEqual(headers);
    expect(all.url('ws://a:b@h/?access_token=t')).toBe('ws://a:b@h/?access_token=t');
  });

  it('refuses a secret header that is not a header name, in words', () => {
    expect(secretsRedactor({ secretHeaders: ['X-Ok', 'two words'] })).toEqual({
      ok: false,
      error: expect.stringContaining('"two words" is not a header name'),
    });
    expect(secretsRedactor({ secretHeaders: ['Name:'] }).ok).toBe(false);
    expect(secretsRedactor({ secretHeaders: 'X-One' as never }).ok).toBe(false);
    expect(secretsRedactor({ includeSecrets: 'yes' as never }).ok).toBe(false);
  });

  it('redacts user:password@ and access_token in URLs, keeping the rest as written (RFC 3986 §3.2.1, RFC 6750 §2.3)', () => {
    const r = redactor();
    expect(r.url('wss://ada:s3cret@example.com:8443/chat?room=1')).toBe(`wss://${REDACTED}@example.com:8443/chat?room=1`);
    expect(r.url('ws://only-user@h/')).toBe(`ws://${REDACTED}@h/`);
    expect(r.url('ws://a:p@ss@h/x@y')).toBe(`ws://${REDACTED}@h/x@y`);
    expect(r.url('ws://h/p?a=1&access_token=abc.def&b=%20x#frag')).toBe(`ws://h/p?a=1&access_token=${REDACTED}&b=%20x#frag`);
    expect(r.url('ws://h/p?access%5Ftoken=abc')).toBe(`ws://h/p?access%5Ftoken=${REDACTED}`);
    expect(r.url('ws://h/p?tag=access_token')).toBe('ws://h/p?tag=access_token');
    expect(r.url('not a url')).toBe('not a url');
    expect(r.url('')).toBe('');
  });

  it('redacts URLs in a Location header and in free text', () => {
    const r = redactor();
    expect(r.headers([['Location', 'wss://u:p@h/next']])).toEqual([['Location', `wss://${REDACTED}@h/next`]]);
    expect(r.text("connected to ws://h/x?access_token=t0k (attempt 2), then 'wss://u:p@h/'")).toBe(
      `connected to ws://h/x?access_token=${REDACTED} (attempt 2), then 'wss://${REDACTED}@h/'`,
    );
  });
});
