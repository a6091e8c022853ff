/**
 * Certificates for `wss` listeners: a self-signed one generated for localhost, or the
 * person's own certificate, key and CA read from files. Errors name the field the file came
 * from and say what is wrong with it in words.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import type { ServerCertificate } from '../../../shared/records';
import type { ServerTlsConfig } from './config';

export type CertificateSummary = ServerCertificate;

export interface TlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: Buffer;
  summary: CertificateSummary;
}

export type TlsResult = { ok: true; value: TlsMaterial } | { ok: false; error: string };

let selfSigned: Promise<{ key: string; cert: string }> | undefined;

/**
 * A certificate for localhost, 127.0.0.1 and ::1, made once per process: generating is cheap
 * (EC P-256), but one certificate for every listener lets a person trust it once in a browser.
 */
export function selfSignedForLocalhost(): Promise<{ key: string; cert: string }> {
  selfSigned ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      // RFC 6125 §6.4.4: clients check the subjectAltName, not the common name.
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  }).then(
    (pems) => ({ key: pems.private, cert: pems.cert }),
    (error: unknown) => {
      selfSigned = undefined;
      throw error;
    },
  );
  return selfSigned;
}

export function summarizeCertificate(pem: string | Buffer, selfSignedCert: boolean): CertificateSummary {
  const x = new X509Certificate(pem);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    fingerprint256: x.fingerprint256,
    subjectAltName: x.subjectAltName,
    selfSigned: selfSignedCert,
    pem: x.toString(),
  };
}

async function readPem(path: string, field: string): Promise<{ ok: true; value: Buffer } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await readFile(path) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    return { ok: false, error: `${field}: cannot read ${path}: ${why}` };
  }
}

/** Loads (or generates) what an https server needs; never throws. */
export async function loadTlsMaterial(config: ServerTlsConfig): Promise<TlsResult> {
  if (config.mode === 'self-signed') {
    try {
      const { key, cert } = await selfSignedForLocalhost();
      return { ok: true, value: { key, cert, summary: summarizeCertificate(cert, true) } };
    } catch (e) {
      return { ok: false, error: `tls: could not generate a self-signed certificate: ${(e as Error).message}` };
    }
  }
  const cert = await readPem(config.certFile, 'tls.certFile');
  if (!cert.ok) return cert;
  const key = await readPem(config.keyFile, 'tls.keyFile');
  if (!key.ok) return key;
  let summary: CertificateSummary;
  try {
    const x = new X509Certificate(cert.value);
    summary = summarizeCertificate(cert.value, x.subject === x.issuer && x.verify(x.publicKey));
  } catch (e) {
    return { ok: false, error: `tls.certFile: ${config.certFile} is not a PEM or DER certificate (${(e as Error).message})` };
  }
  try {
    createPrivateKey(key.value);
  } catch (e) {
    return { ok: false, error: `tls.keyFile: ${config.keyFile} is not a private key, or it is encrypted (${(e as Error).message})` };
  }
  let ca: Buffer | undefined;
  if (config.caFile) {
    const read = await readPem(config.caFile, 'tls.caFile');
    if (!read.ok) return read;
    try {
      new X509Certificate(read.value);
    } catch (e) {
      return { ok: false, error: `tls.caFile: ${config.caFile} is not a PEM certificate (${(e as Error).message})` };
    }
    ca = read.value;
  }
  try {
    // Catches a key that does not belong to the certificate before the listener starts.
    createSecureContext({ key: key.value, cert: cert.value, ca });
  } catch (e) {
    const message = (e as Error).message;
    return {
      ok: false,
      error: /mismatch/i.test(message)
        ? `tls.keyFile: the key in ${config.keyFile} does not belong to the certificate in ${config.certFile}`
        : `tls: the certificate, key or CA cannot be used: ${message}`,
    };
  }
  return { ok: true, value: { key: key.value, cert: cert.value, ca, summary } };
}
