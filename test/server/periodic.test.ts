import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compileTemplate, createPeriodicApp, renderTemplate, validatePeriodicOptions } from '../../src/main/core/server/apps/periodic';
import { FakeConnection, fakeContext, text } from './app-fakes';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2030-01-02T03:04:05.000Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('periodic templates', () => {
  it('fills {{counter}}, {{timestamp}}, {{iso}} and {{connection}}', () => {
    expect(
      renderTemplate('#{{counter}} at {{ timestamp }} ({{iso}}) for {{connection}}', {
        counter: 3,
        timestamp: 1,
        iso: '1970-01-01T00:00:00.001Z',
        connection: 's1-c7',
      }),
    ).toBe('#3 at 1 (1970-01-01T00:00:00.001Z) for s1-c7');
  });

  it('rejects unknown variables, naming them', () => {
    expect(compileTemplate('{{count}}')).toEqual({ ok: false, error: expect.stringMatching(/unknown variable \{\{count\}\}; known: \{\{counter\}\}/) });
    const r = validatePeriodicOptions({ template: 'x {{nope}}', intervalMs: 1 }, 'routes[0].options');
    expect(r).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(/^routes\[0\]\.options\.intervalMs: must be an integer from 10/),
        expect.stringMatching(/^routes\[0\]\.options\.template: unknown variable \{\{nope\}\}/),
      ],
    });
  });

  it('has defaults', () => {
    expect(validatePeriodicOptions(undefined)).toMatchObject({ ok: true, value: { intervalMs: 2000, aliveTimeoutMs: 0 } });
  });
});

describe('periodic app', () => {
  it('pushes the rendered template every intervalMs, counting per connection', () => {
    const conn = new FakeConnection('s1-c1');
    const app = createPeriodicApp(fakeContext([conn]).context, { intervalMs: 100, template: '{{counter}} {{connection}} {{iso}}', aliveTimeoutMs: 0 });
    app.onOpen!(conn);
    vi.advanceTimersByTime(99);
    expect(conn.texts()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(conn.texts()).toEqual(['1 s1-c1 2030-01-02T03:04:05.100Z']);
    vi.advanceTimersByTime(200);
    expect(conn.texts().map((t) => t.split(' ')[0])).toEqual(['1', '2', '3']);
  });

  it('stops pushing to a client silent for aliveTimeoutMs and resumes when it sends again', () => {
    const a = new FakeConnection('a');
    const b = new FakeConnection('b');
    const { context, logs } = fakeContext([a, b]);
    const app = createPeriodicApp(context, { intervalMs: 100, template: '{{counter}}', aliveTimeoutMs: 250 });
    app.onOpen!(a);
    app.onOpen!(b);
    // b keeps saying 'alive' (RRR's client); a says nothing.
    for (let t = 0; t < 6; t++) {
      vi.advanceTimersByTime(100);
      app.onMessage!(b, text('alive'), false);
    }
    expect(a.texts()).toEqual(['1', '2']); // ticks at 100, 200; at 300 a has been silent 300 ms
    expect(b.texts()).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(app.pausedConnections()).toEqual(['a']);
    expect(logs.filter((l) => /pausing/.test(l.message))).toHaveLength(1);

    app.onMessage!(a, text('alive'), false);
    vi.advanceTimersByTime(100);
    expect(a.texts()).toEqual(['1', '2', '3']);
    expect(logs.some((l) => /a is alive again/.test(l.message))).toBe(true);
  });

  it('counts the server-side lastMessageAt as activity too', () => {
    const a = new FakeConnection('a');
    const app = createPeriodicApp(fakeContext([a]).context, { intervalMs: 100, template: 'x', aliveTimeoutMs: 150 });
    app.onOpen!(a);
    vi.advanceTimersByTime(100);
    a.lastMessageAt = Date.now(); // the server saw a message at 100 ms
    vi.advanceTimersByTime(200);
    // 200 ms: 100 ms since that message → push; 300 ms: 200 ms ≥ 150 → paused.
    // Without it, the push at 200 ms would not have happened (200 ms since open).
    expect(a.texts()).toHaveLength(2);
  });

  it('stops the timer when the connection closes and on dispose', () => {
    const a = new FakeConnection('a');
    const b = new FakeConnection('b');
    const app = createPeriodicApp(fakeContext([a, b]).context, { intervalMs: 50, template: 'x', aliveTimeoutMs: 0 });
    app.onOpen!(a);
    app.onOpen!(b);
    vi.advanceTimersByTime(50);
    app.onClose!(a, 1000, '');
    vi.advanceTimersByTime(100);
    expect(a.texts()).toHaveLength(1);
    expect(b.texts()).toHaveLength(3);
    app.dispose!();
    expect(vi.getTimerCount()).toBe(0);
  });
});
