import { describe, expect, it } from 'vitest';
import { parseTimeInput } from '../../src/renderer/src/features/frames/format';
import { buildQuery, EMPTY_FILTER, localMatcher, textCriterion } from '../../src/renderer/src/features/frames/query';

const typed = (text: string, toggles: { regex?: boolean; caseSensitive?: boolean } = {}): ReturnType<typeof textCriterion> =>
  textCriterion({ text, regex: toggles.regex ?? false, caseSensitive: toggles.caseSensitive ?? false });

describe('the filter box', () => {
  it('takes a path that ends in a word as plain text, not /pattern/flags', () => {
    expect(typed('/api/users')).toEqual({ pattern: '/api/users', regex: false, caseSensitive: false });
    const built = buildQuery({ ...EMPTY_FILTER, text: '/api/users' }, null);
    expect(built.error).toBeNull();
    expect(built.query?.text).toEqual({ pattern: '/api/users', regex: false, caseSensitive: false });
  });

  it('keeps such a path the regex itself when the regex toggle is on', () => {
    expect(typed('/api/users', { regex: true })).toEqual({ pattern: '/api/users', regex: true, caseSensitive: false });
  });

  it('reads /pattern/ as a regex that follows the case toggle', () => {
    expect(typed('/chat/', { caseSensitive: true })).toEqual({ pattern: 'chat', regex: true, caseSensitive: true, flags: undefined });
    expect(typed('/chat/', { caseSensitive: false })).toEqual({ pattern: 'chat', regex: true, caseSensitive: false, flags: undefined });
    const re = localMatcher(typed('/chat/', { caseSensitive: true })).re!;
    expect(re.test('CHAT')).toBe(false);
  });

  it('makes /pattern/i case-insensitive whatever the toggle says', () => {
    expect(typed('/chat/i', { caseSensitive: true })).toEqual({ pattern: 'chat', regex: true, caseSensitive: false, flags: undefined });
  });

  it('passes m s u v on and drops g and y, which mean nothing to a filter', () => {
    expect(typed('/a.b/ms')).toEqual({ pattern: 'a.b', regex: true, caseSensitive: false, flags: 'ms' });
    expect(typed('/\\p{L}/v')?.flags).toBe('v');
    expect(typed('/foo/g')).toEqual({ pattern: 'foo', regex: true, caseSensitive: false, flags: undefined });
    expect(typed('/foo/gyi', { caseSensitive: true })).toEqual({ pattern: 'foo', regex: true, caseSensitive: false, flags: undefined });
    for (const text of ['/foo/g', '/foo/y', '/a.b/gms']) expect(buildQuery({ ...EMPTY_FILTER, text }, null).error, text).toBeNull();
    expect(localMatcher(typed('/foo/g')).re?.test('xfoo')).toBe(true);
  });

  it('takes text whose flags repeat or are unknown as plain text', () => {
    expect(typed('/a/ii')).toEqual({ pattern: '/a/ii', regex: false, caseSensitive: false });
    expect(typed('/a/x')).toEqual({ pattern: '/a/x', regex: false, caseSensitive: false });
  });

  it('takes a lone slash or an empty pair of them as plain text', () => {
    expect(typed('/')).toEqual({ pattern: '/', regex: false, caseSensitive: false });
    expect(typed('//')).toEqual({ pattern: '//', regex: false, caseSensitive: false });
  });

  it('still explains a broken /regex/', () => {
    expect(buildQuery({ ...EMPTY_FILTER, text: '/([a-z/' }, null).error).toMatch(/^not a valid regular expression/);
  });
});

describe('the time range', () => {
  const today = new Date(2024, 4, 17, 9, 0, 0);

  it('reads HH:MM[:SS[.fraction]] as a time today, down to the microsecond', () => {
    expect(parseTimeInput('12:34', today)).toEqual({ ok: true, value: new Date(2024, 4, 17, 12, 34, 0).getTime() });
    const micro = parseTimeInput('12:34:56.123456', today);
    expect(micro.ok && micro.value! - new Date(2024, 4, 17, 12, 34, 56).getTime()).toBeCloseTo(123.456, 3); // an epoch time in ms holds microseconds, not much finer
  });

  it('reads an ISO date, and an empty field as no bound', () => {
    expect(parseTimeInput('2024-05-17T12:00:00Z', today)).toEqual({ ok: true, value: Date.UTC(2024, 4, 17, 12) });
    expect(parseTimeInput('  ', today)).toEqual({ ok: true, value: undefined });
  });

  it('explains what it cannot read, and says which end is wrong', () => {
    expect(parseTimeInput('24:00', today)).toEqual({ ok: false, error: "'24:00' is not a time of day" });
    expect(parseTimeInput('12:60:00', today)).toEqual({ ok: false, error: "'12:60:00' is not a time of day" });
    expect(parseTimeInput('noon', today)).toEqual({ ok: false, error: "'noon' is not a time: use HH:MM:SS.mmm or an ISO date" });
    expect(buildQuery({ ...EMPTY_FILTER, from: 'noon' }, null)).toEqual({ query: null, error: "from: 'noon' is not a time: use HH:MM:SS.mmm or an ISO date" });
    expect(buildQuery({ ...EMPTY_FILTER, to: '25:00' }, null).error).toBe("to: '25:00' is not a time of day");
    expect(buildQuery({ ...EMPTY_FILTER, from: '12:00', to: '11:00' }, null)).toEqual({ query: null, error: 'the time range starts after it ends' });
  });

  it('puts both ends into the query', () => {
    const { query, error } = buildQuery({ ...EMPTY_FILTER, from: '2024-05-17T12:00:00Z', to: '2024-05-17T13:00:00Z' }, 'c1');
    expect(error).toBeNull();
    expect(query).toEqual({ unit: 'frames', connectionIds: ['c1'], fromTime: Date.UTC(2024, 4, 17, 12), toTime: Date.UTC(2024, 4, 17, 13) });
  });
});
