/**
 * Credentials for the opening handshake.
 *
 * The realtime-protocol seed connects to `wss://clown:bigclown@localhost/...`: the
 * user:password part of a URL. It must never reach the request line (RFC 9110 §4.2.4:
 * the userinfo subcomponent is deprecated in http(s) URIs and senders must not send
 * it; RFC 3986 §3.2.1 warns against it). This module takes it out of the URL and turns
 * it — or an explicit auth setting — into an `Authorization` header sent up front
 * (preemptively: the WebSocket client cannot answer a 401 challenge mid-handshake).
 *
 * Precedence: an explicit basic/bearer setting wins over URL credentials; the URL
 * credentials are then dropped with a warning, so the person sees why they were not used.
 */

import type { AuthSetting } from '../../../shared/contract/client';

export type { AuthSetting };

export interface ResolvedAuth {
  /** The URL without user:password@ — safe to put in a request line or a log. */
  url: string;
  /** The header value, e.g. "Basic Y2xvd246YmlnY2xvd24=", or undefined for none. */
  authorization?: string;
  /** Where the credentials came from. */
  source: 'none' | 'url' | 'setting';
  warnings: string[];
}

export type AuthResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface UrlCredentials {
  /** The URL with the userinfo removed. */
  url: string;
  /** Percent-decoded user name, or undefined if the URL had no userinfo. */
  username?: string;
  /** Percent-decoded password; "" for "user@host" and "user:@host". */
  password?: string;
}

function decodeComponent(raw: string, what: string): AuthResult<string> {
  try {
    return { ok: true, value: decodeURIComponent(raw) };
  } catch {
    // RFC 3986 §2.1: "%" must be followed by two hex digits.
    return { ok: false, error: `the ${what} in the URL has an invalid percent-escape ('${raw}'); a literal '%' must be written as %25` };
  }
}

/**
 * Splits user:password out of a URL. WHATWG URL keeps userinfo percent-encoded, so
 * "p%40ss" becomes "p@ss" here (RFC 3986 §3.2.1 allows only pct-encoded reserved
 * characters in userinfo).
 */
export function extractUrlCredentials(input: string | URL): AuthResult<UrlCredentials> {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    return { ok: false, error: `'${String(input)}' is not a valid URL` };
  }
  if (url.username === '' && url.password === '') return { ok: true, value: { url: url.href } };
  const user = decodeComponent(url.username, 'user name');
  if (!user.ok) return user;
  const pass = decodeComponent(url.password, 'password');
  if (!pass.ok) return pass;
  url.username = '';
  url.password = '';
  return { ok: true, value: { url: url.href, username: user.value, password: pass.value } };
}

/** Characters no header value may contain (RFC 9110 §5.5): CR, LF and NUL would split or end the header. */
function hasForbiddenHeaderChar(s: string): boolean {
  return /[\r\n\0]/.test(s);
}

/**
 * RFC 7617 §2: credentials are base64(user-id ":" password), with UTF-8 as the charset
 * (§2.1; the only one the scheme defines). A user-id containing ':' cannot be
 * represented — the server would split at the first colon — so it is an error.
 */
export function basicAuthorization(username: string, password: string): AuthResult<string> {
  if (username.includes(':')) {
    return { ok: false, error: `the user name '${username}' contains ':', which Basic authentication cannot carry (RFC 7617 §2: the first ':' separates user and password)` };
  }
  // §2: control characters are not allowed in user-id or password.
  if (/[\u0000-\u001f\u007f]/.test(username) || /[\u0000-\u001f\u007f]/.test(password)) {
    return { ok: false, error: 'the user name or password contains a control character, which RFC 7617 §2 does not allow' };
  }
  return { ok: true, value: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` };
}

/**
 * RFC 6750 §2.1: `Bearer` followed by a b64token (letters, digits, "-._~+/" and
 * trailing "="). Tokens outside that syntax (e.g. with spaces) are refused because many
 * servers would misparse them; a person who wants to send one anyway can put a raw
 * Authorization header in the header editor.
 */
export function bearerAuthorization(token: string): AuthResult<string> {
  const t = token.trim();
  if (t === '') return { ok: false, error: 'the bearer token is empty' };
  if (hasForbiddenHeaderChar(t)) return { ok: false, error: 'the bearer token contains a line break or NUL' };
  if (/^bearer\s/i.test(t)) {
    return { ok: false, error: "the bearer token starts with 'Bearer '; enter only the token, the scheme is added for you" };
  }
  const bad = /[^A-Za-z0-9\-._~+/=]/.exec(t);
  if (bad !== null || /=[^=]/.test(t)) {
    const what = bad !== null ? `'${bad[0]}' at position ${bad.index + 1}` : "'=' before the end";
    return { ok: false, error: `the bearer token has ${what}; RFC 6750 §2.1 allows letters, digits, - . _ ~ + / and trailing =` };
  }
  return { ok: true, value: `Bearer ${t}` };
}

/**
 * Resolves the Authorization header and the credential-free URL for a connection.
 */
export function resolveAuth(url: string | URL, setting: AuthSetting): AuthResult<ResolvedAuth> {
  const creds = extractUrlCredentials(url);
  if (!creds.ok) return { ok: false, error: `url: ${creds.error}` };
  const { url: cleanUrl, username, password } = creds.value;
  const hadUrlCredentials = username !== undefined;
  const warnings: string[] = [];

  if (setting.kind === 'basic' || setting.kind === 'bearer') {
    if (hadUrlCredentials) {
      warnings.push(`the user name and password in the URL are ignored because ${setting.kind === 'basic' ? 'Basic' : 'Bearer'} authentication is set explicitly`);
    }
    const header = setting.kind === 'basic' ? basicAuthorization(setting.username, setting.password) : bearerAuthorization(setting.token);
    if (!header.ok) return { ok: false, error: `auth: ${header.error}` };
    return { ok: true, value: { url: cleanUrl, authorization: header.value, source: 'setting', warnings } };
  }

  if (hadUrlCredentials) {
    const header = basicAuthorization(username, password ?? '');
    if (!header.ok) return { ok: false, error: `url: ${header.error}` };
    return { ok: true, value: { url: cleanUrl, authorization: header.value, source: 'url', warnings } };
  }
  return { ok: true, value: { url: cleanUrl, source: 'none', warnings } };
}

/** Decodes a Basic header back into its parts (for showing a captured handshake). */
export function parseBasicAuthorization(header: string): AuthResult<{ username: string; password: string }> {
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return { ok: false, error: "not a Basic Authorization value ('Basic <base64>')" };
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { ok: false, error: "the decoded Basic credentials have no ':' between user and password" };
  return { ok: true, value: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } };
}
