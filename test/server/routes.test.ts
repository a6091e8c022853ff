import { describe, expect, it } from 'vitest';
import { type RouteLike, matchRoute, resolveRoute, validateRoutes } from '../../src/main/core/server/routes';

const r = (match: RouteLike['match'], path: string) => ({ match, path });

describe('matchRoute', () => {
  it('exact takes only its own path', () => {
    expect(matchRoute(r('exact', '/echo'), '/echo')).toBe(true);
    expect(matchRoute(r('exact', '/echo'), '/echo/')).toBe(false);
    expect(matchRoute(r('exact', '/echo'), '/echo/x')).toBe(false);
  });

  it('prefix takes the path and what is below it, on segment boundaries', () => {
    expect(matchRoute(r('prefix', '/chat'), '/chat')).toBe(true);
    expect(matchRoute(r('prefix', '/chat'), '/chat/room1')).toBe(true);
    expect(matchRoute(r('prefix', '/chat'), '/chatter')).toBe(false);
    expect(matchRoute(r('prefix', '/chat/'), '/chat/room1')).toBe(true);
    expect(matchRoute(r('prefix', '/chat/'), '/chat')).toBe(true);
    expect(matchRoute(r('prefix', '/'), '/anything/below')).toBe(true);
  });

  it("filter '#' takes every non-empty path, as RRR's topic filters do", () => {
    expect(matchRoute(r('filter', '#'), '/a')).toBe(true);
    expect(matchRoute(r('filter', '#'), '/a/b/c')).toBe(true);
    expect(matchRoute(r('filter', '#'), '/')).toBe(false);
    expect(matchRoute(r('filter', '/#'), '/a')).toBe(true);
  });

  it('filter levels are the path segments, with or without the leading slash in the filter', () => {
    expect(matchRoute(r('filter', '/sensors/+'), '/sensors/kitchen')).toBe(true);
    expect(matchRoute(r('filter', 'sensors/+'), '/sensors/kitchen')).toBe(true);
    expect(matchRoute(r('filter', 'sensors/+'), '/sensors/kitchen/temp')).toBe(false);
    expect(matchRoute(r('filter', '+/ws'), '/anything/ws')).toBe(true);
  });
});

describe('resolveRoute precedence: exact > filter (most specific) > prefix (longest)', () => {
  const table = [
    r('prefix', '/'),
    r('prefix', '/api'),
    r('prefix', '/api/v1'),
    r('filter', '#'),
    r('filter', 'api/+/stream'),
    r('filter', 'api/v1/stream'),
    r('exact', '/api/v1/stream'),
  ];

  it('an exact route beats everything, wherever it is in the table', () => {
    expect(resolveRoute(table, '/api/v1/stream')?.index).toBe(6);
  });

  it('the most specific filter wins over a broader one and over any prefix', () => {
    expect(resolveRoute(table, '/api/v2/stream')?.index).toBe(4);
    expect(resolveRoute(table.slice(0, 6), '/api/v1/stream')?.index).toBe(5);
    expect(resolveRoute(table, '/api/v1/other')?.index).toBe(3);
  });

  it('the longest prefix wins when no exact or filter route matches', () => {
    const prefixes = table.filter((e) => e.match === 'prefix');
    expect(resolveRoute(prefixes, '/api/v1/x')?.route.path).toBe('/api/v1');
    expect(resolveRoute(prefixes, '/api/v10')?.route.path).toBe('/api');
    expect(resolveRoute(prefixes, '/other')?.route.path).toBe('/');
  });

  it("the empty path '/' is never taken by a filter", () => {
    expect(resolveRoute(table, '/')?.route).toEqual(r('prefix', '/'));
    expect(resolveRoute([r('filter', '#')], '/')).toBeUndefined();
  });

  it('does not depend on table order', () => {
    const reversed = [...table].reverse();
    for (const p of ['/api/v1/stream', '/api/v2/stream', '/api/v1/x', '/zzz']) {
      expect(resolveRoute(reversed, p)?.route).toEqual(resolveRoute(table, p)?.route);
    }
  });

  it('returns undefined when nothing matches', () => {
    expect(resolveRoute([r('exact', '/a')], '/b')).toBeUndefined();
  });
});

describe('validateRoutes', () => {
  it('accepts a valid table and fills in app defaults', () => {
    const res = validateRoutes([
      { match: 'exact', path: '/echo', app: 'echo' },
      { match: 'filter', path: '#', app: 'pubsub', options: { acks: false } },
      { match: 'prefix', path: '/tick', app: 'periodic', options: { intervalMs: 500 } },
    ]);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.value[0]).toEqual({ match: 'exact', path: '/echo', app: 'echo', options: {} });
    expect(res.value[1].options).toEqual({ acks: false });
    expect(res.value[2].options).toMatchObject({ intervalMs: 500, aliveTimeoutMs: 0 });
  });

  it('names the field of every error', () => {
    const res = validateRoutes([
      { match: 'exact', path: '/ok', app: 'echo' },
      { match: 'sometimes', path: '/x', app: 'echo' },
      { match: 'filter', path: 'a/#/b', app: 'echo' },
      { match: 'exact', path: 'no-slash', app: 'chat' },
      { match: 'exact', path: '/y', app: 'telnet' },
      { match: 'exact', path: '/z', app: 'periodic', options: { intervalMs: 5 } },
      { match: 'exact', path: '/w', app: 'echo', option: {} },
      'nonsense',
    ]);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toEqual([
      expect.stringMatching(/^routes\[1\]\.match: must be one of 'exact', 'prefix', 'filter'/),
      expect.stringMatching(/^routes\[2\]\.path: '#' must be the last level/),
      expect.stringMatching(/^routes\[3\]\.path: must start with '\/'/),
      expect.stringMatching(/^routes\[4\]\.app: must be one of 'echo', 'chat'/),
      expect.stringMatching(/^routes\[5\]\.options\.intervalMs: must be an integer from 10/),
      expect.stringMatching(/^routes\[6\]\.option: unknown field/),
      expect.stringMatching(/^routes\[7\]: must be an object/),
    ]);
  });

  it('reports duplicates, including prefixes that differ only by a trailing slash', () => {
    const res = validateRoutes([
      { match: 'prefix', path: '/chat', app: 'chat' },
      { match: 'exact', path: '/chat', app: 'echo' },
      { match: 'prefix', path: '/chat/', app: 'echo' },
      { match: 'filter', path: '/a/+', app: 'echo' },
      { match: 'filter', path: 'a/+', app: 'echo' },
    ]);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errors).toEqual([
      expect.stringMatching(/^routes\[2\]\.path: duplicate of routes\[0\]/),
      expect.stringMatching(/^routes\[4\]\.path: duplicate of routes\[3\]/),
    ]);
  });

  it('rejects query strings, spaces and empty filters', () => {
    const res = validateRoutes([
      { match: 'exact', path: '/a?b=1', app: 'echo' },
      { match: 'prefix', path: '/a b', app: 'echo' },
      { match: 'filter', path: '/', app: 'echo' },
    ]);
    expect(res.ok || res.errors).toEqual([
      expect.stringMatching(/^routes\[0\]\.path: must not contain a query string/),
      expect.stringMatching(/^routes\[1\]\.path: must not contain spaces/),
      expect.stringMatching(/^routes\[2\]\.path: a filter must not be empty/),
    ]);
  });

  it('rejects a non-list', () => {
    expect(validateRoutes({})).toEqual({ ok: false, errors: ['routes: must be a list of routes'] });
  });
});
