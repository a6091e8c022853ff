import { describe, expect, it } from 'vitest';
import { createPubSubApp } from '../../src/main/core/server/apps/pubsub-app';
import { FakeConnection, fakeContext, text } from './app-fakes';

function setup(acks = true) {
  const conns = ['a', 'b', 'c'].map((id) => new FakeConnection(id));
  const { context } = fakeContext(conns);
  const app = createPubSubApp(context, { acks });
  for (const c of conns) app.onOpen?.(c);
  const send = (c: FakeConnection, msg: unknown) => app.onMessage!(c, text(typeof msg === 'string' ? msg : JSON.stringify(msg)), false);
  return { app, conns, send };
}

describe('pubsub app', () => {
  it('delivers {"topic","payload"} to matching subscribers and acknowledges to the sender', () => {
    const { app, conns: [a, b, c], send } = setup();
    send(a, { op: 'subscribe', topic: 'sensors/+/temp' });
    send(b, { op: 'subscribe', topic: 'sensors/#' });
    send(c, { op: 'publish', topic: 'sensors/kitchen/temp', payload: { celsius: 21.5 } });
    expect(a.json()).toEqual([
      { ok: true, op: 'subscribe', topic: 'sensors/+/temp' },
      { topic: 'sensors/kitchen/temp', payload: { celsius: 21.5 } },
    ]);
    expect(b.json()[1]).toEqual({ topic: 'sensors/kitchen/temp', payload: { celsius: 21.5 } });
    expect(c.json()).toEqual([{ ok: true, op: 'publish', topic: 'sensors/kitchen/temp', delivered: 2 }]);
    expect(app.snapshot().topics).toEqual([
      { filter: 'sensors/#', subscribers: ['b'], messages: 1 },
      { filter: 'sensors/+/temp', subscribers: ['a'], messages: 1 },
    ]);
  });

  it('delivers a ["topic", payload] publish in the same form, without an ack', () => {
    const { conns: [a, , c], send } = setup();
    send(a, { op: 'subscribe', topic: 'relay/#' });
    send(c, '["relay/i2c0-3b/set", {"state": false}]');
    expect(a.json()[1]).toEqual(['relay/i2c0-3b/set', { state: false }]);
    expect(c.sent).toEqual([]);
  });

  it('sends the publisher its own message unless it asks to be excluded', () => {
    const { conns: [a], send } = setup(false);
    send(a, { op: 'subscribe', topic: 'room' });
    send(a, { op: 'publish', topic: 'room', payload: 1 });
    send(a, { op: 'publish', topic: 'room', payload: 2, excludeSelf: true });
    expect(a.json()).toEqual([{ topic: 'room', payload: 1 }]);
  });

  it('answers bad control messages with an error and keeps the connection open', () => {
    const { conns: [a], send, app } = setup();
    send(a, 'hello?');
    send(a, { op: 'subscribe' });
    send(a, { op: 'unsubscribe', topic: 'never' });
    app.onMessage!(a, new Uint8Array([1]), true);
    const replies = a.json() as Array<{ error: string; op: string | null }>;
    expect(replies.map((r) => r.op)).toEqual([null, 'subscribe', 'unsubscribe', null]);
    expect(replies[0].error).toMatch(/not valid JSON/);
    expect(replies[1].error).toMatch(/needs a "topic"/);
    expect(replies[2].error).toBe("not subscribed to 'never'");
    expect(replies[3].error).toMatch(/binary/);
    expect(a.closed).toBeUndefined();
  });

  it('unsubscribes, and forgets a closed connection', () => {
    const { app, conns: [a, b], send } = setup(false);
    send(a, { op: 'subscribe', topic: 'x' });
    send(b, { op: 'subscribe', topic: 'x' });
    send(a, { op: 'unsubscribe', topic: 'x' });
    app.onClose!(b, 1000, '');
    expect(app.snapshot().topics).toEqual([]);
    expect(app.publish('x', 1)).toBe(0);
  });

  it('publishes from the console to subscribers, with exclude', () => {
    const { app, conns: [a, b], send } = setup(false);
    send(a, { op: 'subscribe', topic: '#' });
    send(b, { op: 'subscribe', topic: '#' });
    expect(app.publish('news', 'hi', { exclude: 'b' })).toBe(1);
    expect(a.json()).toEqual([{ topic: 'news', payload: 'hi' }]);
    expect(app.publish('bad/#', 1)).toEqual({ error: expect.stringMatching(/wildcards/) });
  });

  it('keeps delivering to others when one subscriber fails', () => {
    const { app, conns: [a, b], send } = setup(false);
    send(a, { op: 'subscribe', topic: 't' });
    send(b, { op: 'subscribe', topic: 't' });
    a.close(1006);
    expect(app.publish('t', 1)).toBe(1);
    expect(b.json()).toEqual([{ topic: 't', payload: 1 }]);
  });
});
