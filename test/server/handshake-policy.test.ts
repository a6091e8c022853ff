import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../src/main/core/server/config';
import { type CapRoute, decideUpgrade, selectSubprotocol, splitTarget } from '../../src/main/core/server/handshake-policy';

const routes: CapRoute[] = [
  { match: 'exact', path: '/echo' },
  { match: 'filter', path: 'sensors/+', maxConnections: 1 },
];
const key = 'dGhlIHNhbXBsZSBub25jZQ==';
const base: Array<[string, string]> = [
  ['Host', 'localhost'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', key],
  ['Sec-WebSocket-Version', '13'],
];
const policy = (p: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({ ...DEFAULT_POLICY, ...p });
const attempt = (target = '/echo', extra: Array<[string, string]> = [], method = 'GET') => ({ method, target, httpVersion: '1.1', headers: [...base, ...extra] });
const counts = (server = 0, route = 0) => ({ server, route: () => route });

describe('decideUpgrade', () => {
  it('accepts a valid upgrade to a route and lists every check it made', () => {
    const d = decideUpgrade(attempt('/echo?x=1'), routes, policy(), counts());
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.route.path).toBe('/echo');
    expect(d.query).toBe('x=1');
    expect(d.checks.every((c) => c.pass)).toBe(true);
    expect(d.checks.map((c) => c.id)).toContain('route');
  });

  it('answers the RFC 6455 checks: 405 with Allow, 426 with the version, 400 otherwise', () => {
    const post = decideUpgrade(attempt('/echo', [], 'POST'), routes, policy(), counts());
    expect(post.ok || post.answer).toMatchObject({ status: 405, headers: [['Allow', 'GET']] });
    const v8 = decideUpgrade({ ...attempt(), headers: base.map(([n, v]) => [n, n === 'Sec-WebSocket-Version' ? '8' : v] as [string, string]) }, routes, policy(), counts());
    expect(v8.ok || v8.answer).toMatchObject({ status: 426, headers: [['Sec-WebSocket-Version', '13']] });
    const noKey = decideUpgrade({ ...attempt(), headers: base.filter(([n]) => n !== 'Sec-WebSocket-Key') }, routes, policy(), counts());
    expect(noKey.ok || [noKey.answer.status, noKey.failed.id]).toEqual([400, 'key']);
  });

  it('refuses an unknown path with 404, naming the routes', () => {
    const d = decideUpgrade(attempt('/nope'), routes, policy(), counts());
    expect(d.ok || [d.answer.status, d.answer.body]).toEqual([404, 'A route takes the path: no route takes /nope; routes: exact /echo, filter sensors/+\n']);
  });

  it('checks the Origin against the allow-list (403), serialised', () => {
    const p = policy({ originAllowList: ['https://app.example'] });
    expect(decideUpgrade(attempt('/echo', [['Origin', 'https://APP.example:443']]), routes, p, counts()).ok).toBe(true);
    const other = decideUpgrade(attempt('/echo', [['Origin', 'https://evil.example']]), routes, p, counts());
    expect(other.ok || [other.answer.status, other.failed.detail]).toEqual([403, 'Origin https://evil.example is not one of https://app.example']);
    const none = decideUpgrade(attempt('/echo'), routes, p, counts());
    expect(none.ok || none.failed.detail).toBe('no Origin header; this server accepts only https://app.example');
  });

  it('requires Basic credentials with a challenge (401)', () => {
    const p = policy({ credentials: { kind: 'basic', username: 'ada', password: 'lovelace' } });
    const good = `Basic ${Buffer.from('ada:lovelace').toString('base64')}`;
    const bad = `Basic ${Buffer.from('ada:babbage').toString('base64')}`;
    expect(decideUpgrade(attempt('/echo', [['Authorization', good]]), routes, p, counts()).ok).toBe(true);
    const wrong = decideUpgrade(attempt('/echo', [['Authorization', bad]]), routes, p, counts());
    expect(wrong.ok || wrong.answer).toMatchObject({ status: 401, headers: [['WWW-Authenticate', 'Basic realm="Framescope", charset="UTF-8"']] });
    const missing = decideUpgrade(attempt('/echo'), routes, p, counts());
    expect(missing.ok || missing.failed.detail).toBe('no Authorization header; Basic credentials are required');
  });

  it('takes a bearer token from the header or the access_token parameter (RFC 6750 §2.3)', () => {
    const p = policy({ credentials: { kind: 'bearer', token: 'abc.DEF-1' } });
    expect(decideUpgrade(attempt('/echo', [['Authorization', 'Bearer abc.DEF-1']]), routes, p, counts()).ok).toBe(true);
    expect(decideUpgrade(attempt('/echo?access_token=abc.DEF-1'), routes, p, counts()).ok).toBe(true);
    const wrong = decideUpgrade(attempt('/echo?access_token=nope'), routes, p, counts());
    expect(wrong.ok || wrong.answer.headers).toEqual([['WWW-Authenticate', 'Bearer realm="Framescope", error="invalid_token"']]);
  });

  it('answers 503 with Retry-After at the server cap and at the route cap (ntopng)', () => {
    const p = policy({ maxConnections: 2, retryAfterSeconds: 7 });
    expect(decideUpgrade(attempt(), routes, p, counts(1)).ok).toBe(true);
    const full = decideUpgrade(attempt(), routes, p, counts(2));
    expect(full.ok || full.answer).toMatchObject({ status: 503, reason: 'Service Unavailable', headers: [['Retry-After', '7']] });
    const routeFull = decideUpgrade(attempt('/sensors/kitchen'), routes, policy(), counts(0, 1));
    expect(routeFull.ok || [routeFull.answer.status, routeFull.failed.id]).toEqual([503, 'route-cap']);
    // Each cap says which one is full, and both answer with Retry-After.
    expect(full.ok || full.failed).toMatchObject({ id: 'server-cap', detail: 'the server holds its cap of 2 connections; retry after 7 s' });
    expect(routeFull.ok || [routeFull.failed.detail, routeFull.answer.headers]).toEqual([
      'sensors/+ holds its cap of 1 connections; retry after 10 s',
      [['Retry-After', '10']],
    ]);
    const below = decideUpgrade(attempt('/sensors/kitchen'), routes, p, counts(1, 0));
    expect(below.ok && below.checks.filter((c) => c.id.endsWith('-cap')).map((c) => c.detail)).toEqual(['1 of 2 open', '0 of 1 open on sensors/+']);
  });

  it('selects a subprotocol in the server preference order, and refuses a malformed list', () => {
    const p = policy({ subprotocols: ['v2', 'v1'] });
    const d = decideUpgrade(attempt('/echo', [['Sec-WebSocket-Protocol', 'v1, v2']]), routes, p, counts());
    expect(d.ok && d.subprotocol).toBe('v2');
    const none = decideUpgrade(attempt('/echo', [['Sec-WebSocket-Protocol', 'v3']]), routes, p, counts());
    expect(none.ok && none.subprotocol).toBe(null);
    const dup = decideUpgrade(attempt('/echo', [['Sec-WebSocket-Protocol', 'v1, v1']]), routes, p, counts());
    expect(dup.ok || [dup.answer.status, dup.failed.detail]).toEqual([400, '"v1" is offered twice']);
    expect(selectSubprotocol(['a', 'b'], [])).toBe('a');
  });

  it('re-checks an accepted handshake without counts, reporting the caps as met', () => {
    const d = decideUpgrade(attempt(), routes, policy({ maxConnections: 1 }));
    expect(d.ok && d.checks.find((c) => c.id === 'server-cap')?.detail).toBe('within the cap of 1 when accepted');
  });

  it('splits request targets without decoding them', () => {
    expect(splitTarget('/a%20b?x=1')).toEqual({ path: '/a%20b', query: 'x=1' });
    expect(splitTarget('ws://host:1/p/q?z')).toEqual({ path: '/p/q', query: 'z' });
    expect(splitTarget('http://host')).toEqual({ path: '/', query: '' });
  });
});
