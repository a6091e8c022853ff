/**
 * Sec-WebSocket-Extensions parsing (RFC 6455 §9.1) and permessage-deflate
 * parameter validation (RFC 7692 §7.1). No I/O.
 *
 * RFC 6455 §9.1 grammar (with the HTTP list rule of RFC 9110 §5.6.1, so OWS may
 * surround "," ";" and "="):
 *
 *   Sec-WebSocket-Extensions = extension-list
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-token = registered-token   ; a token
 *   extension-param = token [ "=" (token | quoted-string) ]
 *
 * "When using the quoted-string syntax variant, the value after quoted-string
 * unescaping MUST conform to the 'token' ABNF." (RFC 6455 §9.1)
 */
import {
  DEFAULT_PERMESSAGE_DEFLATE_PARAMS,
  type PermessageDeflateParams,
} from './permessage-deflate-params';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ExtensionParam {
  name: string;
  /** null when the parameter has no "=value" part. */
  value: string | null;
  /** The value was written as a quoted-string (already unescaped in `value`). */
  quoted: boolean;
}

/** One element of the extension list: an offer in a request, an acceptance in a response. */
export interface ExtensionOffer {
  name: string;
  /** In header order; duplicates are kept so that validators can reject them. */
  params: ExtensionParam[];
}

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

const isOws = (c: string | undefined): boolean => c === ' ' || c === '\t';

/**
 * Parses a Sec-WebSocket-Extensions value. Several header fields with this name
 * are one list (RFC 9110 §5.3), so callers join them with ", " first.
 * Empty list elements ("a, , b") are skipped as RFC 9110 §5.6.1 asks recipients to.
 */
export function parseExtensions(header: string): ParseResult<ExtensionOffer[]> {
  const s = header;
  let i = 0;
  const out: ExtensionOffer[] = [];
  const fail = (what: string): ParseResult<ExtensionOffer[]> => ({
    ok: false,
    error: `${what} at offset ${i} in ${JSON.stringify(header)} (RFC 6455 §9.1)`,
  });
  const skipOws = (): void => {
    while (isOws(s[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i])) i++;
    return s.slice(start, i);
  };

  for (;;) {
    skipOws();
    if (i >= s.length) break;
    if (s[i] === ',') {
      i++;
      continue;
    }
    const name = readToken();
    if (name === '') return fail(`expected an extension name, found ${JSON.stringify(s[i])}`);
    const ext: ExtensionOffer = { name, params: [] };
    skipOws();
    while (s[i] === ';') {
      i++;
      skipOws();
      const pname = readToken();
      if (pname === '') return fail(`expected a parameter name after ";" in extension "${name}"`);
      skipOws();
      let value: string | null = null;
      let quoted = false;
      if (s[i] === '=') {
        i++;
        skipOws();
        if (s[i] === '"') {
          // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
          quoted = true;
          i++;
          let v = '';
          for (;;) {
            if (i >= s.length) return fail(`unterminated quoted-string for parameter "${pname}"`);
            const c = s[i];
            if (c === '"') {
              i++;
              break;
            }
            if (c === '\\') {
              if (i + 1 >= s.length) return fail(`unterminated quoted-pair for parameter "${pname}"`);
              v += s[i + 1];
              i += 2;
              continue;
            }
            v += c;
            i++;
          }
          if (!isToken(v)) {
            return fail(`the quoted value ${JSON.stringify(v)} of parameter "${pname}" is not a token after unescaping`);
          }
          value = v;
        } else {
          value = readToken();
          if (value === '') return fail(`expected a value after "${pname}="`);
        }
        skipOws();
      }
      ext.params.push({ name: pname, value, quoted });
    }
    out.push(ext);
    if (i >= s.length) break;
    if (s[i] !== ',') return fail(`unexpected ${JSON.stringify(s[i])}`);
    i++;
  }
  // extension-list = 1#extension: at least one element.
  if (out.length === 0) return { ok: false, error: 'the extension list is empty (RFC 6455 §9.1 requires 1#extension)' };
  return { ok: true, value: out };
}

/** Formats offers back into a header value (tokens bare, other values quoted). */
export function formatExtensions(offers: readonly ExtensionOffer[]): string {
  return offers
    .map((o) =>
      [
        o.name,
        ...o.params.map((p) =>
          p.value === null ? p.name : `${p.name}=${p.quoted ? `"${p.value.replace(/(["\\])/g, '\\$1')}"` : p.value}`,
        ),
      ].join('; '),
    )
    .join(', ');
}

/** What a permessage-deflate element says, including what an offer leaves open. */
export interface PermessageDeflateElement {
  params: PermessageDeflateParams;
  /** Whether each parameter appeared at all (an offer's and a response's meaning differ by presence). */
  present: {
    serverNoContextTakeover: boolean;
    clientNoContextTakeover: boolean;
    serverMaxWindowBits: boolean;
    clientMaxWindowBits: boolean;
  };
  /** client_max_window_bits appeared without a value (allowed only in an offer, RFC 7692 §7.1.2.2). */
  clientMaxWindowBitsValueless: boolean;
}

/**
 * Validates the parameters of one permessage-deflate element.
 *
 * RFC 7692 §7.1: an offer or response MUST be declined / failed when it
 * "contains an extension parameter not defined for use in an offer/response",
 * "an extension parameter with an invalid value", or "multiple extension
 * parameters with the same name".
 */
export function validatePermessageDeflate(
  ext: ExtensionOffer,
  as: 'offer' | 'response',
): ParseResult<PermessageDeflateElement> {
  if (ext.name !== PERMESSAGE_DEFLATE) {
    return { ok: false, error: `extension "${ext.name}" is not ${PERMESSAGE_DEFLATE}` };
  }
  const params: PermessageDeflateParams = { ...DEFAULT_PERMESSAGE_DEFLATE_PARAMS };
  const present = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: false,
    clientMaxWindowBits: false,
  };
  let clientMaxWindowBitsValueless = false;
  const seen = new Set<string>();
  const fail = (error: string): ParseResult<PermessageDeflateElement> => ({ ok: false, error });

  for (const p of ext.params) {
    if (seen.has(p.name)) return fail(`parameter "${p.name}" appears more than once (RFC 7692 §7.1)`);
    seen.add(p.name);
    switch (p.name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover': {
        // RFC 7692 §7.1.1.1 / §7.1.1.2: "This extension parameter has no value."
        if (p.value !== null) return fail(`parameter "${p.name}" takes no value, got "${p.value}" (RFC 7692 §7.1.1)`);
        if (p.name === 'server_no_context_takeover') {
          params.serverNoContextTakeover = present.serverNoContextTakeover = true;
        } else {
          params.clientNoContextTakeover = present.clientNoContextTakeover = true;
        }
        break;
      }
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        const isClient = p.name === 'client_max_window_bits';
        if (p.value === null) {
          // RFC 7692 §7.1.2.2: an offer's client_max_window_bits "MAY have no value" (the
          // client merely supports the parameter); a response's MUST have one. §7.1.2.1:
          // server_max_window_bits always carries a value.
          if (isClient && as === 'offer') {
            present.clientMaxWindowBits = true;
            clientMaxWindowBitsValueless = true;
            break;
          }
          return fail(`parameter "${p.name}" needs a value in ${as === 'offer' ? 'an offer' : 'a response'} (RFC 7692 §7.1.2)`);
        }
        // RFC 7692 §7.1.2.1/§7.1.2.2: "a decimal integer value without leading zeroes
        // between 8 to 15, inclusive".
        if (!/^[1-9][0-9]*$/.test(p.value) || +p.value < 8 || +p.value > 15) {
          return fail(`parameter "${p.name}" must be an integer from 8 to 15 without leading zeros, got "${p.value}" (RFC 7692 §7.1.2)`);
        }
        if (isClient) {
          params.clientMaxWindowBits = +p.value;
          present.clientMaxWindowBits = true;
        } else {
          params.serverMaxWindowBits = +p.value;
          present.serverMaxWindowBits = true;
        }
        break;
      }
      default:
        return fail(`unknown parameter "${p.name}" for ${PERMESSAGE_DEFLATE} (RFC 7692 §7.1)`);
    }
  }
  return { ok: true, value: { params, present, clientMaxWindowBitsValueless } };
}

/**
 * Parses a header value holding one permessage-deflate element into the
 * parameters it describes, e.g. for `decode --deflate "permessage-deflate;
 * client_max_window_bits=10"`. Other extensions in the list are ignored.
 *
 * `as: 'offer'` (the default) also accepts a valueless client_max_window_bits,
 * which then means the default 15; `as: 'response'` applies the stricter
 * response rules.
 */
export function parsePermessageDeflate(
  headerValue: string,
  options: { as?: 'offer' | 'response' } = {},
): ParseResult<PermessageDeflateParams> {
  const parsed = parseExtensions(headerValue);
  if (!parsed.ok) return parsed;
  const elements = parsed.value.filter((e) => e.name === PERMESSAGE_DEFLATE);
  if (elements.length === 0) {
    return { ok: false, error: `no ${PERMESSAGE_DEFLATE} element in ${JSON.stringify(headerValue)}` };
  }
  if (elements.length > 1) {
    return {
      ok: false,
      error: `${elements.length} ${PERMESSAGE_DEFLATE} elements in ${JSON.stringify(headerValue)}; expected exactly one`,
    };
  }
  const v = validatePermessageDeflate(elements[0], options.as ?? 'offer');
  return v.ok ? { ok: true, value: v.value.params } : v;
}

/**
 * Does a server's permessage-deflate response accept this offer? RFC 7692:
 * - §7.1.1.1: an offer with server_no_context_takeover is accepted only by a
 *   response that includes it;
 * - §7.1.2.1: an offer with server_max_window_bits=N is accepted only by a response
 *   with server_max_window_bits ≤ N;
 * - §7.1.2.2: a response with client_max_window_bits is valid only if the offer had
 *   it, and not larger than the offered value.
 * client_no_context_takeover and an unrequested server_max_window_bits may be added
 * by the server freely (§7.1.1.2, §7.1.2.1).
 */
export function deflateResponseAcceptsOffer(
  offer: PermessageDeflateElement,
  response: PermessageDeflateElement,
): ParseResult<true> {
  const o = offer.present;
  const r = response.present;
  if (o.serverNoContextTakeover && !r.serverNoContextTakeover) {
    return { ok: false, error: 'the offer asked for server_no_context_takeover but the response omits it (RFC 7692 §7.1.1.1)' };
  }
  if (o.serverMaxWindowBits) {
    if (!r.serverMaxWindowBits) {
      return { ok: false, error: 'the offer limited server_max_window_bits but the response omits it (RFC 7692 §7.1.2.1)' };
    }
    if (response.params.serverMaxWindowBits > offer.params.serverMaxWindowBits) {
      return {
        ok: false,
        error: `server_max_window_bits=${response.params.serverMaxWindowBits} exceeds the offered ${offer.params.serverMaxWindowBits} (RFC 7692 §7.1.2.1)`,
      };
    }
  }
  if (r.clientMaxWindowBits) {
    if (!o.clientMaxWindowBits) {
      return { ok: false, error: 'the response sets client_max_window_bits, which the offer did not include (RFC 7692 §7.1.2.2)' };
    }
    if (!offer.clientMaxWindowBitsValueless && response.params.clientMaxWindowBits > offer.params.clientMaxWindowBits) {
      return {
        ok: false,
        error: `client_max_window_bits=${response.params.clientMaxWindowBits} exceeds the offered ${offer.params.clientMaxWindowBits} (RFC 7692 §7.1.2.2)`,
      };
    }
  }
  return { ok: true, value: true };
}

/**
 * The permessage-deflate parameters a server's Sec-WebSocket-Extensions
 * response header settled on: `value: null` when the server did not accept
 * permessage-deflate (header absent or other extensions only).
 *
 * Two accepted permessage-deflate elements would both claim RSV1, which RFC 7692
 * §5 forbids ("MUST NOT accept a PMCE ... together with another extension if
 * [they] conflict ... on their use of the RSV1 bit"); an invalid response
 * parameter fails the connection (§7.1).
 */
export function negotiatedDeflate(
  responseHeader: string | undefined | null,
): ParseResult<PermessageDeflateParams | null> {
  if (responseHeader === undefined || responseHeader === null || responseHeader.trim() === '') {
    return { ok: true, value: null };
  }
  const parsed = parseExtensions(responseHeader);
  if (!parsed.ok) return parsed;
  const elements = parsed.value.filter((e) => e.name === PERMESSAGE_DEFLATE);
  if (elements.length === 0) return { ok: true, value: null };
  if (elements.length > 1) {
    return { ok: false, error: `the response accepts ${PERMESSAGE_DEFLATE} ${elements.length} times; each would claim RSV1 (RFC 7692 §5)` };
  }
  const v = validatePermessageDeflate(elements[0], 'response');
  return v.ok ? { ok: true, value: v.value.params } : v;
}
