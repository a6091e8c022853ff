/**
 * What counts as a secret in an export or in `framescope connect`'s output,
 * and how it is hidden: one rule for every writer (HAR export, `connect
 * --record`, `connect`'s handshake record), so none can drift from the others.
 *
 * Redacted by default: credentials headers (RFC 9110 §11.6.2, §11.7.2), cookies
 * (RFC 6265 §5.4, §4.1), the common API-key headers, any header the person
 * marks secret, and credentials in URLs: user:password@ (RFC 3986 §3.2.1) and
 * the bearer token's access_token query parameter (RFC 6750 §2.3). A redacted
 * value becomes a visible "<redacted>", so a reader sees that something was
 * there. Only an explicit choice (includeSecrets) writes them as they are.
 */
import { fail, ok, type Result } from './result';

export const REDACTED = '<redacted>';

/** Lower-case header names redacted unless the person includes secrets. */
export const DEFAULT_SECRET_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
];

/** Query parameters that carry a credential (RFC 6750 §2.3). */
const SECRET_QUERY_PARAMS: readonly string[] = ['access_token'];

/** Headers whose value is a URL, which may hold credentials (RFC 9110 §10.2.2, §8.7). */
const URL_HEADERS: readonly string[] = ['location', 'content-location'];

/** A URL inside free text: a scheme, "://", then up to whitespace or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi;

/** RFC 9110 §5.1: a field name is a token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface SecretsChoice {
  /** Write secrets as they are: the person asked for it. */
  includeSecrets?: boolean;
  /** More header names to redact, beside DEFAULT_SECRET_HEADERS (case does not matter). */
  secretHeaders?: readonly string[];
}

export type HeaderPair = [string, string];

export interface Redactor {
  /** False when secrets are included: every method returns what it was given. */
  readonly redacting: boolean;
  isSecretHeader(name: string): boolean;
  /** A query parameter's name, already decoded. */
  isSecretQueryParam(name: string): boolean;
  headers(pairs: readonly HeaderPair[]): HeaderPair[];
  /** The URL with user:password@ and access_token values replaced; anything unparsable as it was. */
  url(url: string): string;
  /** Free text (a log line, an error message) with every URL in it passed through url(). */
  text(text: string): string;
}

const KEEP_ALL: Redactor = {
  redacting: false,
  isSecretHeader: () => false,
  isSecretQueryParam: () => false,
  headers: (pairs) => pairs.map(([name, value]) => [name, value]),
  url: (url) => url,
  text: (text) => text,
};

/** A redactor for the person's choice; an invalid header name is an error in words. */
export function secretsRedactor(choice: SecretsChoice = {}): Result<Redactor> {
  if (choice.includeSecrets !== undefined && typeof choice.includeSecrets !== 'boolean') return fail('includeSecrets: true or false');
  const extra = choice.secretHeaders ?? [];
  if (!Array.isArray(extra)) return fail('secretHeaders: a list of header names');
  for (const name of extra) {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
      return fail(`secretHeaders: ${JSON.stringify(name)} is not a header name (letters, digits and !#$%&'*+-.^_\`|~, no spaces or colons)`);
    }
  }
  if (choice.includeSecrets === true) return ok(KEEP_ALL);
  const names = new Set([...DEFAULT_SECRET_HEADERS, ...extra.map((n) => n.toLowerCase())]);
  const isSecretHeader = (name: string): boolean => names.has(name.toLowerCase());
  return ok({
    redacting: true,
    isSecretHeader,
    isSecretQueryParam: (name) => SECRET_QUERY_PARAMS.includes(name),
    headers: (pairs) =>
      pairs.map(([name, value]) => [name, isSecretHeader(name) ? REDACTED : URL_HEADERS.includes(name.toLowerCase()) ? redactUrl(value) : value]),
    url: redactUrl,
    text: (text) => text.replace(URL_IN_TEXT, redactUrl),
  });
}

/** The default: every secret redacted. */
export const DEFAULT_REDACTOR: Redactor = (secretsRedactor() as { ok: true; value: Redactor }).value;

/**
 * Works on the text as written rather than re-serialising it through URL (which
 * would percent-encode "<redacted>" and normalise what the person typed).
 */
function redactUrl(url: string): string {
  // scheme "://" userinfo "@" (RFC 3986 §3.2): userinfo ends at the last "@" before the path.
  const authority = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  let out = url;
  if (authority !== null) {
    const at = authority[2].lastIndexOf('@');
    if (at >= 0) out = `${authority[1]}${REDACTED}${authority[2].slice(at)}${url.slice(authority[0].length)}`;
  }
  const query = out.indexOf('?');
  if (query < 0) return out;
  const hash = out.indexOf('#', query);
  const end = hash < 0 ? out.length : hash;
  const params = out
    .slice(query + 1, end)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return eq >= 0 && SECRET_QUERY_PARAMS.includes(decodeName(name)) ? `${name}=${REDACTED}` : part;
    });
  return `${out.slice(0, query + 1)}${params.join('&')}${out.slice(end)}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
