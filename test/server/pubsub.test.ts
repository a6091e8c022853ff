import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SubscriptionRegistry, formatDelivery, parseControlMessage } from '../../src/main/core/server/pubsub';

const c = (id: string) => ({ id });
const ids = (r: { ok: boolean; recipients?: Array<{ id: string }> }) => (r.ok ? r.recipients!.map((x) => x.id).sort() : r);

describe('SubscriptionRegistry', () => {
  it('delivers to exact and wildcard subscribers', () => {
    const reg = new SubscriptionRegistry();
    reg.subscribe(c('a'), 'sensors/kitchen/temp');
    reg.subscribe(c('b'), 'sensors/+/temp');
    reg.subscribe(c('c'), 'sensors/#');
    reg.subscribe(c('d'), 'other');
    expect(ids(reg.publish('sensors/kitchen/temp'))).toEqual(['a', 'b', 'c']);
    expect(ids(reg.publish('sensors/hall/temp'))).toEqual(['b', 'c']);
    expect(ids(reg.publish('sensors'))).toEqual(['c']);
    expect(ids(reg.publish('nobody/listens'))).toEqual([]);
  });

  it('delivers once to a connection whose several filters match', () => {
    const reg = new SubscriptionRegistry();
    reg.subscribe(c('a'), 'x/#');
    reg.subscribe(c('a'), 'x/+');
    reg.subscribe(c('a'), 'x/y');
    expect(ids(reg.publish('x/y'))).toEqual(['a']);
  });

  it('leaves out the excluded connection (ws::multicast -exclude)', () => {
    const reg = new SubscriptionRegistry();
    for (const id of ['a', 'b', 'c']) reg.subscribe(c(id), 'room');
    expect(ids(reg.publish('room', { exclude: 'b' }))).toEqual(['a', 'c']);
    expect(ids(reg.publish('room', { exclude: ['a', 'c'] }))).toEqual(['b']);
  });

  it('reports a second subscribe to the same filter as not added', () => {
    const reg = new SubscriptionRegistry();
    expect(reg.subscribe(c('a'), 'x')).toEqual({ ok: true, added: true });
    expect(reg.subscribe(c('a'), 'x')).toEqual({ ok: true, added: false });
    expect(reg.subscribersOf('x')).toEqual(['a']);
  });

  it('refuses invalid filters and wildcard topics with a reason', () => {
    const reg = new SubscriptionRegistry();
    expect(reg.subscribe(c('a'), 'a/#/b')).toEqual({ ok: false, error: expect.stringMatching(/'#' must be the last level/) });
    expect(reg.publish('a/+')).toEqual({ ok: false, error: expect.stringMatching(/must not contain the wildcards/) });
  });

  it('unsubscribes one filter, and everything for a closed connection', () => {
    const reg = new SubscriptionRegistry();
    reg.subscribe(c('a'), 'x');
    reg.subscribe(c('a'), 'y/#');
    reg.subscribe(c('b'), 'x');
    expect(reg.unsubscribe('a', 'x')).toBe(true);
    expect(reg.unsubscribe('a', 'x')).toBe(false);
    expect(reg.unsubscribe('a', 'never')).toBe(false);
    expect(reg.filtersOf('a')).toEqual(['y/#']);
    expect(reg.removeConnection('a')).toEqual(['y/#']);
    expect(ids(reg.publish('y/z'))).toEqual([]);
    expect(reg.snapshot().topics.map((t) => t.filter)).toEqual(['x']);
    expect(reg.removeConnection('nobody')).toEqual([]);
  });

  it('counts messages per topic and per filter, and snapshots for the UI', () => {
    const reg = new SubscriptionRegistry();
    reg.subscribe(c('b'), 'news/#');
    reg.subscribe(c('a'), 'news/#');
    reg.subscribe(c('a'), 'news/sport');
    reg.publish('news/sport');
    reg.publish('news/sport');
    reg.publish('news/weather');
    reg.publish('void');
    expect(reg.messagesOn('news/sport')).toBe(2);
    const snap = reg.snapshot();
    expect(snap.topics).toEqual([
      { filter: 'news/#', subscribers: ['a', 'b'], messages: 3 },
      { filter: 'news/sport', subscribers: ['a'], messages: 2 },
    ]);
    expect(snap.published).toEqual([
      { topic: 'news/sport', messages: 2 },
      { topic: 'news/weather', messages: 1 },
      { topic: 'void', messages: 1 },
    ]);
    expect(snap.version).toBeGreaterThan(0);
  });

  it('bounds the number of topics it counts', () => {
    const reg = new SubscriptionRegistry(3);
    for (const t of ['t1', 't2', 't3', 't4']) reg.publish(t);
    expect(reg.snapshot().published.map((p) => p.topic)).toEqual(['t2', 't3', 't4']);
  });

  it('delivers to the newest object for a reused connection id', () => {
    const reg = new SubscriptionRegistry<{ id: string; gen: number }>();
    reg.subscribe({ id: 'a', gen: 1 }, 'x');
    reg.subscribe({ id: 'a', gen: 2 }, 'x');
    const r = reg.publish('x');
    expect(r.ok && r.recipients).toEqual([{ id: 'a', gen: 2 }]);
  });
});

describe('parseControlMessage', () => {
  it('reads subscribe, unsubscribe and publish objects', () => {
    expect(parseControlMessage('{"op":"subscribe","topic":"a/+"}')).toEqual({ ok: true, message: { op: 'subscribe', topic: 'a/+' } });
    expect(parseControlMessage('{"op":"unsubscribe","topic":"a/+"}')).toEqual({ ok: true, message: { op: 'unsubscribe', topic: 'a/+' } });
    expect(parseControlMessage('{"op":"publish","topic":"a/b","payload":{"x":1}}')).toEqual({
      ok: true,
      message: { op: 'publish', topic: 'a/b', payload: { x: 1 }, form: 'object', excludeSelf: false },
    });
    expect(parseControlMessage('{"op":"publish","topic":"a","payload":null,"excludeSelf":true}')).toMatchObject({
      ok: true,
      message: { payload: null, excludeSelf: true },
    });
  });

  it('reads the Clown.Hub ["topic", payload] form as a publish, from bytes too', () => {
    expect(parseControlMessage(new TextEncoder().encode('["relay/i2c0-3b/set", {"state": false}]\n'))).toEqual({
      ok: true,
      message: { op: 'publish', topic: 'relay/i2c0-3b/set', payload: { state: false }, form: 'array', excludeSelf: false },
    });
  });

  it.each([
    ['not json', /not valid JSON/, null],
    ['', /empty/, null],
    ['42', /expected a JSON object/, null],
    ['{"topic":"a"}', /no "op"/, null],
    ['{"op":7,"topic":"a"}', /"op" must be a string/, null],
    ['{"op":"dance","topic":"a"}', /unknown op 'dance'/, 'dance'],
    ['{"op":"subscribe"}', /subscribe needs a "topic"/, 'subscribe'],
    ['{"op":"subscribe","topic":3}', /"topic" must be a string/, 'subscribe'],
    ['{"op":"subscribe","topic":"a/#/b"}', /'#' must be the last level/, 'subscribe'],
    ['{"op":"subscribe","topic":"a","payload":1}', /takes no "payload"/, 'subscribe'],
    ['{"op":"publish","topic":"a"}', /publish needs a "payload"/, 'publish'],
    ['{"op":"publish","topic":"a/+","payload":1}', /must not contain the wildcards/, 'publish'],
    ['{"op":"publish","topic":"a","payload":1,"excludeSelf":"yes"}', /"excludeSelf" must be true or false/, 'publish'],
    ['{"op":"publish","topic":"a","payload":1,"qos":2}', /unknown field "qos"/, 'publish'],
    ['["only-topic"]', /exactly 2 elements/, 'publish'],
    ['[1, 2]', /first element .* must be a string/, 'publish'],
    ['["", 2]', /must not be empty/, 'publish'],
  ])('answers %j with an error a person understands', (input, pattern, op) => {
    const r = parseControlMessage(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.error).toMatch(pattern);
    expect(r.error.op).toBe(op);
  });

  it('refuses binary messages and invalid UTF-8', () => {
    expect(parseControlMessage(new Uint8Array([1, 2]), true)).toMatchObject({ ok: false, error: { error: expect.stringMatching(/binary/) } });
    expect(parseControlMessage(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, error: { error: expect.stringMatching(/UTF-8/) } });
  });

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (input) => {
        const r = parseControlMessage(input);
        return r.ok || (typeof r.error.error === 'string' && r.error.error.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('formatDelivery', () => {
  it('keeps the shape the publisher used', () => {
    expect(formatDelivery('t', { a: 1 })).toBe('{"topic":"t","payload":{"a":1}}');
    expect(formatDelivery('t', 5, 'array')).toBe('["t",5]');
    expect(formatDelivery('t', undefined)).toBe('{"topic":"t","payload":null}');
  });
});
