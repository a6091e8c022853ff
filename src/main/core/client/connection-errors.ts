/**
 * Errors from sockets, TLS and the HTTP exchange, in words a person understands. Node
 * reports `connect ECONNREFUSED 127.0.0.1:9`; the console says what that means and, where
 * there is one, what to do about it.
 */
import type { CertificateView } from '../../../shared/contract/client';

export interface ErrorContext {
  /** The certificate the server presented, when the failure is about it. */
  leaf?: CertificateView;
}

type Describe = (target: string, error: { message: string }, context: ErrorContext) => string;

const untrusted = (t: string) => `TLS: the certificate of ${t} is not signed by a CA Framescope trusts (add its CA file, or turn verification off for a test server)`;

const CODE_MEANINGS: Record<string, Describe> = {
  ECONNREFUSED: (t) => `Connection refused by ${t}: nothing is listening on that port`,
  ENOTFOUND: (t) => `Cannot resolve ${t}: the host name was not found in DNS`,
  EAI_AGAIN: (t) => `Cannot resolve ${t}: DNS lookup failed temporarily`,
  ETIMEDOUT: (t) => `Connecting to ${t} timed out`,
  EHOSTUNREACH: (t) => `${t} is unreachable from this machine`,
  ENETUNREACH: (t) => `The network of ${t} is unreachable from this machine`,
  ECONNRESET: (t) => `${t} reset the connection`,
  EPIPE: (t) => `${t} closed the connection while Framescope was writing`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (t, _e, c) =>
    `TLS: ${t} presented a self-signed certificate${c.leaf ? ` (${c.leaf.subject})` : ''}; add it as the CA file, or turn verification off for a test server`,
  SELF_SIGNED_CERT_IN_CHAIN: (t) => `TLS: ${t} presented a certificate chain whose self-signed root is not trusted here; add that root as the CA file`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: untrusted,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: untrusted,
  UNABLE_TO_GET_ISSUER_CERT: untrusted,
  CERT_HAS_EXPIRED: (t, _e, c) => `TLS: the certificate of ${t} has expired${c.leaf?.validTo ? ` (valid until ${c.leaf.validTo})` : ''}`,
  CERT_NOT_YET_VALID: (t, _e, c) => `TLS: the certificate of ${t} is not valid yet${c.leaf?.validFrom ? ` (valid from ${c.leaf.validFrom})` : ''}`,
  ERR_TLS_CERT_ALTNAME_INVALID: (t, e, c) => {
    // Node's own reason names the host and the certificate's names: keep it.
    const reason = /Reason: (.*)$/.exec(e.message)?.[1];
    const names = c.leaf?.subjectAltName ? `; it is issued for ${c.leaf.subjectAltName}` : '';
    return `TLS: the certificate of ${t} is for a different host name${names}${reason && !names ? ` (${reason})` : ''}; connect by one of its names or set the TLS server name`;
  },
  ERR_SSL_WRONG_VERSION_NUMBER: (t) => `TLS handshake with ${t} failed: the server does not speak TLS on this port (is it a ws:// server?)`,
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: (t) => `TLS: ${t} requires a client certificate; choose one (certificate and key, or a PKCS#12 file)`,
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: (t) => `TLS: ${t} does not trust the issuer of the client certificate Framescope presented`,
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: (t) => `TLS: ${t} rejected the client certificate`,
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: (t) => `TLS handshake with ${t} failed: the server refused the handshake (no common cipher or protocol version, or it requires a client certificate)`,
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: (t) => `TLS handshake with ${t} failed: no TLS version both sides accept`,
  ERR_SSL_TLSV1_UNRECOGNIZED_NAME: (t) => `TLS: ${t} does not serve the requested server name (SNI)`,
};

export function describeConnectionError(error: unknown, target: string, context: ErrorContext = {}): string {
  const err = (error ?? {}) as { code?: string; message?: string };
  const message = err.message ?? String(error);
  const meaning = err.code ? CODE_MEANINGS[err.code] : undefined;
  if (meaning) return meaning(target, { message }, context);
  // Node's HTTP parser: the answer to the upgrade request was not HTTP/1.x.
  if (err.code?.startsWith('HPE_')) return `The answer of ${target} to the upgrade request is not valid HTTP (${message})`;
  if (message === 'socket hang up') return `${target} closed the connection without answering the upgrade request`;
  if (err.code?.startsWith('ERR_SSL_') || err.code === 'EPROTO') {
    // OpenSSL's "wrong version number": the first bytes back were not a TLS record.
    if (/wrong version number/i.test(message)) return CODE_MEANINGS.ERR_SSL_WRONG_VERSION_NUMBER(target, { message }, context);
    return `TLS handshake with ${target} failed: ${message.split('\n')[0]}`;
  }
  return `Connection to ${target} failed: ${message}`;
}
