import { describe, expect, it } from 'vitest';
import { takeLaunchToken, TOKEN_STORAGE_KEY, type TokenWindow } from '../../src/renderer/src/api/launch-token';

/** A page's location, history and sessionStorage, as the browser keeps them for one tab. */
function tab(url: string, stored: Record<string, string> = {}) {
  const parsed = new URL(url);
  const storage = new Map(Object.entries(stored));
  const win: TokenWindow & { addressBar(): string; storage: Map<string, string> } = {
    location: { pathname: parsed.pathname, search: parsed.search, hash: parsed.hash },
    history: {
      state: { kept: true },
      replaceState(_data, _unused, next) {
        const u = new URL(next, parsed);
        win.location = { pathname: u.pathname, search: u.search, hash: u.hash };
      },
    },
    sessionStorage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
    addressBar: () => `${parsed.origin}${win.location.pathname}${win.location.search}${win.location.hash}`,
    storage,
  };
  return win;
}

describe('the launch token in the page', () => {
  it('takes the token from the URL, keeps it for this tab and removes it from the address bar', () => {
    const win = tab('http://127.0.0.1:5000/?token=s3cr3t-T0k');
    expect(takeLaunchToken(win)).toBe('s3cr3t-T0k');
    expect(win.addressBar()).toBe('http://127.0.0.1:5000/');
    expect(win.storage.get(TOKEN_STORAGE_KEY)).toBe('s3cr3t-T0k');
  });

  it('keeps the rest of the query and the fragment', () => {
    const win = tab('http://127.0.0.1:5000/index.html?a=1&token=abc&b=2#frames');
    expect(takeLaunchToken(win)).toBe('abc');
    expect(win.addressBar()).toBe('http://127.0.0.1:5000/index.html?a=1&b=2#frames');
  });

  it('finds the token again after a reload, from this tab\'s storage', () => {
    const win = tab('http://127.0.0.1:5000/', { [TOKEN_STORAGE_KEY]: 'abc' });
    expect(takeLaunchToken(win)).toBe('abc');
  });

  it('has none when the page was opened without it', () => {
    expect(takeLaunchToken(tab('http://127.0.0.1:5000/'))).toBeNull();
    expect(takeLaunchToken(tab('http://127.0.0.1:5000/?token='))).toBeNull();
  });

  it('still works for this page when storage is unavailable', () => {
    const win = tab('http://127.0.0.1:5000/?token=abc');
    win.sessionStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('SecurityError');
      },
    };
    expect(takeLaunchToken(win)).toBe('abc');
    expect(win.addressBar()).toBe('http://127.0.0.1:5000/');
    expect(takeLaunchToken(win)).toBeNull();
  });
});
