import { describe, expect, it } from 'vitest';
import { APP_DESCRIPTIONS, APP_FACTORIES, APP_NAMES, createRouteApp, isAppName, validateAppOptions } from '../../src/main/core/server/apps/index';
import { FakeConnection, fakeContext, text } from './app-fakes';

describe('app registry', () => {
  it('has a factory, a validator and a description for every app name', () => {
    expect(Object.keys(APP_FACTORIES).sort()).toEqual([...APP_NAMES].sort());
    expect(Object.keys(APP_DESCRIPTIONS).sort()).toEqual([...APP_NAMES].sort());
    expect(isAppName('log-view')).toBe(true);
    expect(isAppName('telnet')).toBe(false);
  });

  it('validates before creating', () => {
    const { context } = fakeContext();
    expect(createRouteApp('periodic', context, { intervalMs: 'often' }, 'routes[4].options')).toEqual({
      ok: false,
      errors: ['routes[4].options.intervalMs: must be an integer from 10 to 86400000 (got "often")'],
    });
    const created = createRouteApp('echo', context, undefined);
    expect(created.ok).toBe(true);
    const conn = new FakeConnection('c');
    if (created.ok) created.app.onMessage!(conn, text('ping'), false);
    expect(conn.texts()).toEqual(['ping']);
  });

  it('rejects options that are not an object', () => {
    expect(validateAppOptions('chat', 'loud')).toEqual({ ok: false, errors: ['options: must be an object (got "loud")'] });
  });
});
