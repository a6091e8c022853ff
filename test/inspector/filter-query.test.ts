import { describe, expect, it } from 'vitest';
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
