/**
 * From an untrusted connect request (a form, the CLI's flags) to everything a client
 * session needs: validated options, the URL to dial (query appended, credentials taken
 * out), the headers to send (Authorization, Origin included), and the TLS material read
 * from disk. Each problem is reported once, naming its field, before any socket opens.
 */
import { buildClosePayload } from './close-code';
import { loadTlsMaterial, resolveRequest, validateConnectOptions, type ConnectOptions, type FieldError, type TlsMaterial } from './connect-options';

export interface PreparedConnection {
  options: ConnectOptions;
  /** Query appended, user:password removed (RFC 9110 §4.2.4: never sent in the request line). */
  url: string;
  /** The person's headers, then Origin and Authorization when set. */
  headers: Array<[string, string]>;
  tls: TlsMaterial;
  /** Things that work but may surprise (ignored URL credentials, a CA file with verification off). */
  warnings: string[];
}

export type PrepareResult =
  | { ok: true; value: PreparedConnection }
  | { ok: false; error: string; errors: FieldError[]; /** Only the URL is wrong. */ urlOnly: boolean };

export async function prepareConnection(input: unknown, readFile?: (path: string) => Promise<Buffer>): Promise<PrepareResult> {
  const checked = validateConnectOptions(input);
  if (!checked.ok) {
    return { ok: false, error: checked.error, errors: checked.errors, urlOnly: checked.errors.every((e) => e.field === 'url') };
  }
  const options = checked.value;
  const resolved = resolveRequest(options);
  if (!resolved.ok) {
    const field = resolved.error.split(':')[0];
    return { ok: false, error: resolved.error, errors: [{ field, message: resolved.error.slice(field.length + 1).trim() }], urlOnly: field === 'url' };
  }
  const tls = await loadTlsMaterial(options.tls, readFile);
  if (!tls.ok) return { ok: false, error: `tls: ${tls.error}`, errors: [{ field: 'tls', message: tls.error }], urlOnly: false };
  const headers = resolved.value.headers.slice();
  // Put Origin before Authorization, as browsers order them; RFC 6454 §7 defines it.
  if (options.origin !== undefined) {
    const auth = headers.findIndex(([n]) => n.toLowerCase() === 'authorization');
    headers.splice(auth < 0 ? headers.length : auth, 0, ['Origin', options.origin]);
  }
  return {
    ok: true,
    value: { options, url: resolved.value.url, headers, tls: tls.value, warnings: [...checked.warnings, ...resolved.value.warnings, ...tls.value.warnings] },
  };
}

/** "1000", "1000:bye", "4001:going: away" — the CLI's --close CODE[:REASON]. */
export function parseCloseArgument(text: string): { ok: true; code: number; reason: string } | { ok: false; error: string } {
  const colon = text.indexOf(':');
  const codeText = colon < 0 ? text : text.slice(0, colon);
  const reason = colon < 0 ? '' : text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(codeText)) return { ok: false, error: `--close: '${codeText}' is not a close code (a number such as 1000, optionally followed by :REASON)` };
  const code = Number(codeText);
  const check = buildClosePayload(code, reason, { allowInvalid: true });
  if (!check.ok) return { ok: false, error: `--close: ${check.error}` };
  return { ok: true, code, reason };
}
