/**
 * The browser host's launch token, as the page keeps it. It arrives once, in
 * the query of the URL `framescope web` printed; the page moves it into
 * sessionStorage (scoped to this origin, port included, and to this tab) and
 * takes it out of the address bar, so it stays out of history, bookmarks and
 * screenshots. No cookie carries it: cookies are shared by every port of a
 * host (RFC 6265 §8.5), so any other local server would receive it.
 */

export const TOKEN_PARAM = 'token';
export const TOKEN_STORAGE_KEY = 'framescope.launchToken';

/** What of `window` this needs; a test passes its own. */
export interface TokenWindow {
  location: { pathname: string; search: string; hash: string };
  history: { state: unknown; replaceState(data: unknown, unused: string, url: string): void };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/**
 * The token from the URL (then removed from it) or, after a reload, from this
 * tab's sessionStorage; null when the page was opened without one.
 */
export function takeLaunchToken(win: TokenWindow): string | null {
  const params = new URLSearchParams(win.location.search);
  const fromUrl = params.get(TOKEN_PARAM);
  if (fromUrl === null || fromUrl === '') return readStored(win);
  try {
    win.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
  } catch {
    // No storage (a locked profile): the token lasts for this page; a reload needs the printed URL again.
  }
  params.delete(TOKEN_PARAM);
  const rest = params.toString();
  win.history.replaceState(win.history.state, '', `${win.location.pathname}${rest === '' ? '' : `?${rest}`}${win.location.hash}`);
  return fromUrl;
}

function readStored(win: TokenWindow): string | null {
  try {
    const stored = win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
    return stored === null || stored === '' ? null : stored;
  } catch {
    return null;
  }
}
