/**
 * Checking a close code and reason before sending a Close frame, RFC 6455:
 *
 * - §5.5.1: the Close body is optional; if present it starts with a 2-byte status code
 *   (network byte order) followed by a UTF-8 reason. A reason therefore needs a code.
 * - §5.5: control frame payloads are at most 125 bytes, leaving 123 bytes for the reason.
 * - §7.4.1 / §7.4.2 and the IANA "WebSocket Close Code Number Registry" (§11.7):
 *     0–999       not used
 *     1000–1003   defined (normal, going away, protocol error, unsupported data)
 *     1004        reserved
 *     1005, 1006  MUST NOT be sent: they mean "no code" / "closed abnormally" locally
 *     1007–1011   defined (invalid payload, policy, too big, extension, internal error)
 *     1012–1014   registered (service restart, try again later, bad gateway)
 *     1015        MUST NOT be sent: local "TLS handshake failed"
 *     1016–2999   reserved for future protocol use
 *     3000–3999   registered for libraries, frameworks and applications
 *     4000–4999   private use
 *     5000+       not defined
 *
 * A test console must also send the forbidden ones on purpose, to see how a server
 * reacts: `allowInvalid` builds the payload anyway and returns what is wrong as warnings.
 * Only what cannot be encoded at all (a code that is not a 16-bit integer) stays an error.
 */

export type CloseCheck = { ok: true; payload: Uint8Array; warnings: string[] } | { ok: false; error: string };

export const MAX_CONTROL_PAYLOAD = 125; // RFC 6455 §5.5
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;

/** Why a code may not be sent, in words; null when it may. */
export function closeCodeProblem(code: number): string | null {
  if (code < 1000) return `${code} is in 0–999, which RFC 6455 §7.4.2 does not use`;
  if (code <= 1003) return null;
  if (code === 1004) return '1004 is reserved (RFC 6455 §7.4.1)';
  if (code === 1005) return '1005 (no status received) must not be sent; it only reports locally that a Close frame had no code (RFC 6455 §7.4.1)';
  if (code === 1006) return '1006 (abnormal closure) must not be sent; it only reports locally that the connection dropped without a Close frame (RFC 6455 §7.4.1)';
  if (code <= 1014) return null;
  if (code === 1015) return '1015 (TLS handshake failure) must not be sent; it only reports a failed TLS handshake locally (RFC 6455 §7.4.1)';
  if (code <= 2999) return `${code} is in 1016–2999, reserved for future versions of the protocol and extensions (RFC 6455 §7.4.2)`;
  if (code <= 4999) return null;
  return `${code} is above 4999; RFC 6455 §7.4.2 defines no codes there`;
}

function isWellFormedUtf16(s: string): boolean {
  // A lone surrogate has no UTF-8 encoding; TextEncoder would silently write U+FFFD.
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export interface CloseFrameOptions {
  /** Build the payload even if the code or reason breaks the rules; problems become warnings. */
  allowInvalid?: boolean;
}

/**
 * Validates a close code and reason and builds the Close frame body.
 * `reason` may be raw bytes, to send invalid UTF-8 on purpose (with allowInvalid).
 * No code and no reason gives an empty body (RFC 6455 §5.5.1).
 */
export function buildClosePayload(code: number | undefined, reason: string | Uint8Array = '', options: CloseFrameOptions = {}): CloseCheck {
  const allowInvalid = options.allowInvalid === true;
  const problems: string[] = [];
  const reasonBytes = typeof reason === 'string' ? new TextEncoder().encode(reason) : reason;

  if (code === undefined) {
    if (reasonBytes.length > 0) {
      return { ok: false, error: 'a reason needs a status code: the Close body starts with the 2-byte code and the reason follows it (RFC 6455 §5.5.1)' };
    }
    return { ok: true, payload: new Uint8Array(0), warnings: [] };
  }
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    return { ok: false, error: `${code} cannot be sent as a close code: it must be a whole number from 0 to 65535 (2 bytes, RFC 6455 §5.5.1)` };
  }
  const codeProblem = closeCodeProblem(code);
  if (codeProblem !== null) problems.push(codeProblem);

  if (typeof reason === 'string' && !isWellFormedUtf16(reason)) {
    problems.push('the reason contains an unpaired surrogate, which has no UTF-8 encoding; it would be sent as U+FFFD');
  } else if (typeof reason !== 'string' && !isValidUtf8(reasonBytes)) {
    problems.push('the reason bytes are not valid UTF-8 (RFC 6455 §5.5.1 requires UTF-8; a receiver must fail the connection, §8.1)');
  }
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    problems.push(
      `the reason is ${reasonBytes.length} bytes in UTF-8; at most ${MAX_CLOSE_REASON_BYTES} fit, because a control frame carries at most ${MAX_CONTROL_PAYLOAD} bytes and the code takes 2 (RFC 6455 §5.5)`,
    );
  }
  if (problems.length > 0 && !allowInvalid) return { ok: false, error: problems.join('; ') };

  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >> 8; // network byte order, RFC 6455 §5.5.1
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return { ok: true, payload, warnings: problems };
}

/** Just the verdict, for a form: { ok, error }. */
export function validateCloseCode(code: number | undefined, reason: string | Uint8Array = '', options: CloseFrameOptions = {}): { ok: true; warnings: string[] } | { ok: false; error: string } {
  const r = buildClosePayload(code, reason, options);
  return r.ok ? { ok: true, warnings: r.warnings } : r;
}
