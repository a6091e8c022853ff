/**
 * The handshake view (the console's handshake panel, contract getHandshake) of a server-side
 * connection: the request as received and the response as sent, each raw and parsed, and every
 * check the server made — re-made from the captured request for an accepted handshake, as
 * recorded for a refused one.
 */
import type { HandshakeView } from '../../../shared/contract';
import { type HandshakeCheck, parseHttpRequestHead, parseHttpResponseHead } from '../protocol/handshake';
import type { ResolvedPolicy } from './config';
import type { MountedRoute, ServerConnection } from './connection';
import { decideUpgrade } from './handshake-policy';

/** A handshake the server refused, kept for the connection list and the handshake view. */
export interface RefusalRecord {
  id: string;
  time: number;
  remoteAddress: string;
  path?: string;
  request?: Uint8Array;
  response: Uint8Array;
  checks: HandshakeCheck[];
  /** The HTTP status answered; 0 when the connection was dropped without one (a failed TLS handshake). */
  status: number;
  reason: string;
}

const latin1 = (bytes: Uint8Array | undefined): string => (bytes ? Buffer.from(bytes).toString('latin1') : '');

export function refusedHandshakeView(entry: RefusalRecord, base: string): HandshakeView {
  const request = entry.request ? parseHttpRequestHead(entry.request) : null;
  const response = entry.response.length ? parseHttpResponseHead(entry.response) : null;
  return {
    connectionId: entry.id,
    hops: [{ url: `${base}${entry.path ?? ''}`, status: response?.ok ? response.value.status : undefined }],
    request: request?.ok
      ? { method: request.value.method, url: request.value.target, httpVersion: request.value.httpVersion, headers: request.value.headers, raw: latin1(entry.request) }
      : undefined,
    response: response?.ok
      ? {
          status: response.value.status,
          statusText: response.value.reason,
          httpVersion: response.value.httpVersion,
          headers: response.value.headers,
          raw: latin1(entry.response.subarray(0, response.value.headLength)),
          body: Buffer.from(entry.response.subarray(response.value.headLength)).toString('utf8'),
        }
      : undefined,
    timings: {},
    checks: entry.checks,
    error: entry.reason,
  };
}

export function acceptedHandshakeView(conn: ServerConnection, base: string, routes: readonly MountedRoute[], policy: ResolvedPolicy): HandshakeView {
  const requestRaw = conn.requestBytes();
  const responseRaw = conn.responseBytes();
  const parsedRequest = parseHttpRequestHead(Buffer.from(requestRaw, 'latin1'));
  const parsedResponse = responseRaw === null ? null : parseHttpResponseHead(Buffer.from(responseRaw, 'latin1'));
  const request = parsedRequest.ok ? parsedRequest.value : undefined;
  const response = parsedResponse?.ok ? parsedResponse.value : undefined;
  // The checks of an accepted handshake are re-made from the captured request; they all passed.
  const decision = request ? decideUpgrade({ method: request.method, target: request.target, httpVersion: request.httpVersion, headers: request.headers }, routes, policy) : null;
  const checks: HandshakeCheck[] = decision ? decision.checks : [];
  checks.push({ id: 'app', label: "The app's onInit accepts", pass: true, detail: `${conn.route.app} accepted`, rule: 'ntopng onWsInit' });
  const view: HandshakeView = {
    connectionId: conn.id,
    hops: [{ url: `${base}${request?.target ?? conn.path}`, status: response?.status }],
    request: request ? { method: request.method, url: request.target, httpVersion: request.httpVersion, headers: request.headers, raw: requestRaw } : undefined,
    response: response
      ? { status: response.status, statusText: response.reason, httpVersion: response.httpVersion, headers: response.headers, raw: responseRaw!.slice(0, response.headLength) }
      : undefined,
    timings: conn.upgradeMs !== undefined ? { upgradeMs: conn.upgradeMs, totalMs: conn.upgradeMs } : {},
    checks,
  };
  if (conn.tls) view.tls = conn.tls;
  if (conn.subprotocol) view.subprotocol = conn.subprotocol;
  if (conn.extensions) view.extensions = conn.extensions;
  const extensionError = conn.capture?.extensionError ?? conn.extensionError;
  if (extensionError) view.error = extensionError;
  return view;
}
