import { describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  bearerAuthorization,
  extractUrlCredentials,
  parseBasicAuthorization,
  resolveAuth,
} from '../../src/main/core/client/auth';

describe('URL credentials', () => {
  it('turns the seed URL wss://clown:bigclown@localhost/... into Basic auth and a clean URL', () => {
    const r = resolveAuth('wss://clown:bigclown@localhost/auth/clown-talk-server_nodes_bridge_0', { kind: 'none' });
    expect(r).toEqual({
      ok: true,
      value: {
        url: 'wss://localhost/auth/clown-talk-server_nodes_bridge_0',
        authorization: `Basic ${Buffer.from('clown:bigclown').toString('base64')}`,
        source: 'url',
        warnings: [],
      },
    });
  });

  it('percent-decodes user and password (RFC 3986 §3.2.1)', () => {
    const r = extractUrlCredentials('ws://us%C3%A9r:p%40ss%3Aword@h:9/x?q=1');
    expect(r).toEqual({ ok: true, value: { url: 'ws://h:9/x?q=1', username: 'usér', password: 'p@ss:word' } });
    const auth = resolveAuth('ws://us%C3%A9r:p%40ss%3Aword@h:9/x', { kind: 'none' });
    expect(auth.ok && parseBasicAuthorization(auth.value.authorization!)).toEqual({ ok: true, value: { username: 'usér', password: 'p@ss:word' } });
  });

  it('encodes Basic credentials as UTF-8 (RFC 7617 §2.1)', () => {
    expect(basicAuthorization('test', '123£')).toEqual({ ok: true, value: 'Basic dGVzdDoxMjPCow==' });
  });

  it('handles a user without password', () => {
    const r = resolveAuth('ws://alice@h/', { kind: 'none' });
    expect(r.ok && r.value.authorization).toBe(`Basic ${Buffer.from('alice:').toString('base64')}`);
  });

  it('refuses a user name with a colon (RFC 7617 §2) and a broken percent-escape', () => {
    const colon = resolveAuth('ws://a%3Ab:pw@h/', { kind: 'none' });
    expect(!colon.ok && colon.error).toMatch(/^url: the user name 'a:b' contains ':'/);
    const bad = resolveAuth('ws://a%zz:pw@h/', { kind: 'none' });
    expect(!bad.ok && bad.error).toMatch(/invalid percent-escape/);
  });

  it('leaves a URL without credentials alone', () => {
    expect(resolveAuth('ws://h:1/p', { kind: 'none' })).toEqual({ ok: true, value: { url: 'ws://h:1/p', source: 'none', warnings: [] } });
  });
});

describe('auth settings', () => {
  it('uses an explicit setting over URL credentials, and says so', () => {
    const r = resolveAuth('ws://u:p@h/', { kind: 'bearer', token: 'abc.def-ghi_~+/=' });
    expect(r).toEqual({
      ok: true,
      value: {
        url: 'ws://h/',
        authorization: 'Bearer abc.def-ghi_~+/=',
        source: 'setting',
        warnings: ['the user name and password in the URL are ignored because Bearer authentication is set explicitly'],
      },
    });
    const b = resolveAuth('ws://h/', { kind: 'basic', username: 'Aladdin', password: 'open sesame' });
    expect(b.ok && b.value.authorization).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='); // RFC 7617 §2 example
  });

  it('checks bearer token syntax (RFC 6750 §2.1)', () => {
    expect(bearerAuthorization('a b')).toMatchObject({ ok: false, error: expect.stringMatching(/' ' at position 2/) });
    expect(bearerAuthorization('Bearer abc')).toMatchObject({ ok: false, error: expect.stringMatching(/enter only the token/) });
    expect(bearerAuthorization('ab=c')).toMatchObject({ ok: false });
    expect(bearerAuthorization('')).toMatchObject({ ok: false, error: 'the bearer token is empty' });
    expect(bearerAuthorization('x\r\nInjected: 1')).toMatchObject({ ok: false });
  });

  it('refuses control characters in Basic credentials', () => {
    expect(basicAuthorization('a', 'b\nc').ok).toBe(false);
  });
});
