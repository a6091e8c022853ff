/**
 * What the handshake panel shows about TLS: protocol version, cipher, ALPN (RFC 7301),
 * whether the peer was verified, and the certificate chain the server presented.
 *
 * The chain is read in the socket's 'secure' event, before Node decides whether to trust
 * it: when verification fails Node destroys the socket at once, and the person most needs
 * to see the certificate exactly then ("expired on …", "issued for …").
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { CertificateView, HandshakeView } from '../../../shared/contract/client';

export type TlsView = NonNullable<HandshakeView['tls']>;

/** "CN=localhost, O=Framescope" from Node's parsed distinguished name. */
export function formatDistinguishedName(dn: Record<string, string | string[]> | undefined): string {
  if (dn === undefined || dn === null) return '';
  return Object.entries(dn)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${key}=${v}`))
    .join(', ');
}

/** OpenSSL's "Jan  1 00:00:00 2024 GMT" as ISO 8601, or the original text if unreadable. */
export function isoDate(text: string | undefined): string {
  if (text === undefined) return '';
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}

export function certificateView(cert: PeerCertificate): CertificateView {
  const view: CertificateView = {
    subject: formatDistinguishedName(cert.subject as unknown as Record<string, string | string[]>),
    issuer: formatDistinguishedName(cert.issuer as unknown as Record<string, string | string[]>),
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    fingerprint256: cert.fingerprint256 ?? '',
  };
  if (cert.subjectaltname) view.subjectAltName = cert.subjectaltname;
  return view;
}

/**
 * The chain as sent, leaf first: getPeerCertificate(true) links each certificate to its
 * issuer; a self-signed root links to itself, which ends the walk.
 */
export function peerChain(socket: TLSSocket): CertificateView[] {
  const chain: CertificateView[] = [];
  let cert = socket.getPeerCertificate(true) as (PeerCertificate & { issuerCertificate?: PeerCertificate }) | null;
  const seen = new Set<string>();
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(certificateView(cert));
    cert = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate ?? null;
  }
  return chain;
}

/** Protocol, cipher and chain; `authorized` is filled in once Node has decided. */
export function tlsSnapshot(socket: TLSSocket): TlsView {
  const cipher = socket.getCipher();
  return {
    protocol: socket.getProtocol() ?? '',
    cipher: cipher ? cipher.standardName || cipher.name : '',
    alpn: socket.alpnProtocol ?? false,
    authorized: false,
    chain: peerChain(socket),
  };
}
