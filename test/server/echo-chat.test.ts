import { describe, expect, it } from 'vitest';
import { createChatApp, validateChatOptions } from '../../src/main/core/server/apps/chat';
import { createEchoApp, validateEchoOptions } from '../../src/main/core/server/apps/echo';
import { FakeConnection, fakeContext, text } from './app-fakes';

describe('echo', () => {
  it('sends text back as text', () => {
    const conn = new FakeConnection('c1');
    const app = createEchoApp(fakeContext([conn]).context, {});
    app.onMessage!(conn, text('héllo ✓'), false);
    expect(conn.sent).toEqual([{ data: 'héllo ✓', binary: false }]);
  });

  it('sends binary back as binary, byte for byte', () => {
    const conn = new FakeConnection('c1');
    const app = createEchoApp(fakeContext([conn]).context, {});
    const bytes = new Uint8Array([0x00, 0xff, 0x80, 0x0a]);
    app.onMessage!(conn, bytes, true);
    expect(conn.sent).toHaveLength(1);
    expect(conn.sent[0].binary).toBe(true);
    expect([...(conn.sent[0].data as Uint8Array)]).toEqual([0x00, 0xff, 0x80, 0x0a]);
  });

  it('takes no options', () => {
    expect(validateEchoOptions(undefined)).toEqual({ ok: true, value: {} });
    expect(validateEchoOptions({ loud: true })).toEqual({ ok: false, errors: ['options.loud: unknown option; this app takes no options'] });
  });
});

describe('chat', () => {
  it('sends every message to every other client on the route, not back to the sender', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new FakeConnection(id));
    const app = createChatApp(fakeContext([a, b, c]).context, { scope: 'route' });
    app.onMessage!(a, text('hi all'), false);
    expect(a.sent).toEqual([]);
    expect(b.sent).toEqual([{ data: 'hi all', binary: false }]);
    expect(c.sent).toEqual([{ data: 'hi all', binary: false }]);
    app.onMessage!(b, new Uint8Array([1, 2, 3]), true);
    expect(a.sent[0]).toMatchObject({ binary: true });
    expect(b.sent).toHaveLength(1);
  });

  it("with scope 'path' keeps rooms apart on a prefix route", () => {
    const a = new FakeConnection('a', '/chat/red');
    const b = new FakeConnection('b', '/chat/red');
    const c = new FakeConnection('c', '/chat/blue');
    const app = createChatApp(fakeContext([a, b, c]).context, { scope: 'path' });
    app.onMessage!(a, text('red only'), false);
    expect(b.texts()).toEqual(['red only']);
    expect(c.texts()).toEqual([]);
  });

  it('validates scope', () => {
    expect(validateChatOptions({})).toEqual({ ok: true, value: { scope: 'route' } });
    expect(validateChatOptions({ scope: 'planet' }, 'routes[1].options')).toEqual({
      ok: false,
      errors: [`routes[1].options.scope: must be one of 'route', 'path' (got "planet")`],
    });
  });
});
