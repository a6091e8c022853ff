/**
 * Errors from sockets and TLS, in words a person understands. Node reports
 * `connect ECONNREFUSED 127.0.0.1:9`; the console says what that means.
 */
const CODE_MEANINGS: Record<string, (target: string) => string> = {
  ECONNREFUSED: (t) => `Connection refused by ${t}: nothing is listening on that port`,
  ENOTFOUND: (t) => `Cannot resolve ${t}: the host name was not found in DNS`,
  EAI_AGAIN: (t) => `Cannot resolve ${t}: DNS lookup failed temporarily`,
  ETIMEDOUT: (t) => `Connecting to ${t} timed out`,
  EHOSTUNREACH: (t) => `${t} is unreachable from this machine`,
  ENETUNREACH: (t) => `The network of ${t} is unreachable from this machine`,
  ECONNRESET: (t) => `${t} reset the connection`,
  EPIPE: (t) => `${t} closed the connection while Framescope was writing`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (t) => `TLS: ${t} presented a self-signed certificate (turn verification off or add its CA)`,
  SELF_SIGNED_CERT_IN_CHAIN: (t) => `TLS: ${t} presented a certificate chain with a self-signed root that is not trusted`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: (t) => `TLS: the certificate of ${t} could not be verified against a trusted CA`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: (t) => `TLS: the issuer of ${t}'s certificate is not a trusted CA here`,
  CERT_HAS_EXPIRED: (t) => `TLS: the certificate of ${t} has expired`,
  CERT_NOT_YET_VALID: (t) => `TLS: the certificate of ${t} is not valid yet`,
  ERR_TLS_CERT_ALTNAME_INVALID: (t) => `TLS: the certificate of ${t} is for a different host name`,
};

export function describeConnectionError(error: unknown, target: string): string {
  const err = error as { code?: string; message?: string; reason?: string };
  const meaning = err?.code ? CODE_MEANINGS[err.code] : undefined;
  if (meaning) return meaning(target);
  const message = err?.message ?? String(error);
  return `Connection to ${target} failed: ${message}`;
}
