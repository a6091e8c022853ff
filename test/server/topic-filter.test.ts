import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareFilterSpecificity,
  matchTopic,
  parseTopicFilter,
  validateTopicFilter,
  validateTopicName,
} from '../../src/main/core/server/topic-filter';

describe('topic filter validation (MQTT 3.1.1 §4.7)', () => {
  it.each(['#', '+', 'sport/#', 'sport/tennis/+', '+/tennis/#', '/+', 'a//b', '+/+', 'sport/+/player1', '$SYS/#'])(
    'accepts %j',
    (f) => expect(validateTopicFilter(f)).toBeUndefined(),
  );

  it("says '#' must be the last level", () => {
    expect(validateTopicFilter('sport/tennis/#/ranking')).toMatch(/'#' must be the last level/);
    expect(validateTopicFilter('#/a')).toMatch(/'#' must be the last level/);
  });

  it('says a wildcard must occupy a whole level', () => {
    expect(validateTopicFilter('sport/tennis#')).toMatch(/'#' must occupy a whole level.*'tennis#'/);
    expect(validateTopicFilter('sport+')).toMatch(/'\+' must occupy a whole level.*'sport\+'/);
    expect(validateTopicFilter('a/+b/c')).toMatch(/'\+' must occupy a whole level/);
  });

  it('rejects the empty filter, NUL and overlong filters', () => {
    expect(validateTopicFilter('')).toMatch(/must not be empty/);
    expect(validateTopicFilter('a\u0000b')).toMatch(/NUL/);
    expect(validateTopicFilter('a'.repeat(65_536))).toMatch(/65535 bytes/);
  });

  it('rejects wildcards in topic names', () => {
    expect(validateTopicName('sport/tennis')).toBeUndefined();
    expect(validateTopicName('sport/+')).toMatch(/must not contain the wildcards/);
    expect(validateTopicName('sport/#')).toMatch(/must not contain the wildcards/);
    expect(validateTopicName('')).toMatch(/must not be empty/);
  });

  it('parses a filter into levels', () => {
    const r = parseTopicFilter('a/+/#');
    expect(r.ok && r.value.levels).toEqual(['a', '+', '#']);
    expect(r.ok && r.value.hasWildcards).toBe(true);
    expect(parseTopicFilter('a/#/b')).toEqual({ ok: false, error: expect.stringMatching(/last level/) });
  });
});

describe('matchTopic', () => {
  it.each([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'anything/at/all', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['a/+/c', 'a/x/c', true],
  ])('%j vs %j → %s', (filter, topic, expected) => {
    expect(matchTopic(filter, topic)).toBe(expected);
  });

  it("keeps '$' topics away from filters that start with a wildcard (§4.7.2)", () => {
    expect(matchTopic('#', '$SYS/broker')).toBe(false);
    expect(matchTopic('+/monitor/Clients', '$SYS/monitor/Clients')).toBe(false);
    expect(matchTopic('$SYS/#', '$SYS/monitor/Clients')).toBe(true);
    expect(matchTopic('$SYS/monitor/+', '$SYS/monitor/Clients')).toBe(true);
  });

  it('an invalid filter matches nothing', () => {
    expect(matchTopic('a/#/b', 'a/x/b')).toBe(false);
    expect(matchTopic('a+', 'a+')).toBe(false);
  });

  // Property-based: compare with an independent regular-expression reading of the rules.
  const level = fc.constantFrom('a', 'b', 'c', '', 'dd', '$x');
  const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter((t) => t.length > 0);
  const filterArb = fc
    .tuple(fc.array(fc.constantFrom('a', 'b', '', '+', '$x'), { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
    .filter((f) => f.length > 0);

  function reference(filter: string, topic: string): boolean {
    if (topic.startsWith('$') && /^[+#]/.test(filter)) return false;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const levels = filter.split('/');
    const hash = levels[levels.length - 1] === '#';
    const body = (hash ? levels.slice(0, -1) : levels).map((l) => (l === '+' ? '[^/]*' : esc(l))).join('/');
    const source = hash ? (levels.length === 1 ? '.*' : `${body}(/.*)?`) : body;
    return new RegExp(`^${source}$`, 's').test(topic);
  }

  it('agrees with a regular-expression reference on random filters and topics', () => {
    fc.assert(fc.property(filterArb, topicArb, (f, t) => matchTopic(f, t) === reference(f, t)), { numRuns: 2000 });
  });

  it('a topic matches itself, with any level replaced by +, and any prefix followed by #', () => {
    fc.assert(
      fc.property(topicArb, fc.nat(), (t, n) => {
        const levels = t.split('/');
        const i = n % levels.length;
        const plus = levels.map((l, j) => (j === i ? '+' : l)).join('/');
        const hash = [...levels.slice(0, i), '#'].join('/');
        const dollar = levels[0].startsWith('$') && i === 0;
        return matchTopic(t, t) && matchTopic(plus, t) === !dollar && matchTopic(hash, t) === !dollar;
      }),
    );
  });
});

describe('compareFilterSpecificity', () => {
  it('orders literal before + before end before #', () => {
    const sorted = ['#', 'a/#', 'a/+', 'a/b', '+/b', 'a/+/#'].sort(compareFilterSpecificity);
    expect(sorted).toEqual(['a/b', 'a/+', 'a/+/#', 'a/#', '+/b', '#']);
  });

  it('is antisymmetric and only 0 for equal filters', () => {
    fc.assert(
      fc.property(fc.constantFrom('#', 'a', 'a/#', 'a/+', '+/+', 'a/b', '+', '+/#'), fc.constantFrom('#', 'a', 'a/#', 'a/+', '+/+', 'a/b', '+', '+/#'), (a, b) => {
        const ab = compareFilterSpecificity(a, b);
        const ba = compareFilterSpecificity(b, a);
        return Math.sign(ab) === -Math.sign(ba) && (ab === 0) === (a === b);
      }),
    );
  });
});
