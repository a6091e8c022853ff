/**
 * The handshake panel's view of an attempt: every hop, the raw request and response of
 * the last one, its timings and TLS details, what was negotiated, and the RFC 6455
 * checklist from the protocol core — the request judged as a server must (§4.2.1), the
 * response as a client must (§4.1).
 */
import type { HandshakeCheckView, HandshakeView } from '../../../shared/contract/client';
import { checkUpgradeRequest, checkUpgradeResponse, headerValue, type HandshakeCheck } from '../protocol/handshake';
import type { HandshakeAttempt, HandshakeHop } from './handshake-attempt';

const latin1 = (bytes: Uint8Array | undefined): string => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : '');

const prefixed = (prefix: string, checks: HandshakeCheck[]): HandshakeCheckView[] =>
  checks.map((c) => ({ id: `${prefix}.${c.id}`, label: c.label, pass: c.pass, detail: c.detail, rule: c.rule }));

/** The request and response checklists of one hop (what it has of them). */
export function hopChecks(hop: HandshakeHop, offeredProtocols: readonly string[]): HandshakeCheckView[] {
  const { request, response } = hop.capture.handshake;
  const checks: HandshakeCheckView[] = [];
  if (request) {
    checks.push(...prefixed('request', checkUpgradeRequest({ method: request.method, target: request.target, httpVersion: request.httpVersion, headers: request.headers }).checks));
  }
  if (response) {
    const responseChecks =
      hop.responseChecks ??
      checkUpgradeResponse(response, {
        key: headerValue(request?.headers ?? [], 'sec-websocket-key') ?? '',
        offeredProtocols,
        offeredExtensions: headerValue(request?.headers ?? [], 'sec-websocket-extensions') ?? '',
      }).checks;
    checks.push(...prefixed('response', responseChecks));
  }
  return checks;
}

/** The subprotocol the server selected, when its selection passed the §4.1 check. */
export function negotiatedProtocol(hop: HandshakeHop): string | undefined {
  const ok = hop.responseChecks?.find((c) => c.id === 'protocol')?.pass === true;
  return ok && hop.selectedProtocol ? hop.selectedProtocol : undefined;
}

export function handshakeView(connectionId: string, attempt: HandshakeAttempt | undefined, offeredProtocols: readonly string[]): HandshakeView {
  const view: HandshakeView = { connectionId, hops: [], timings: {}, checks: [] };
  if (!attempt) return view;
  view.hops = attempt.hops.map((h) => {
    const response = h.capture.handshake.response;
    const hop: HandshakeView['hops'][number] = { url: h.url.href };
    if (response) hop.status = response.status;
    const location = response ? headerValue(response.headers, 'location') : undefined;
    if (location !== undefined) hop.location = location;
    return hop;
  });
  const hop = attempt.lastHop;
  if (attempt.outcome?.kind === 'failed') view.error = attempt.outcome.error;
  if (!hop) return view;
  const { request, requestBytes, response, responseBytes } = hop.capture.handshake;
  if (request) {
    view.request = { method: request.method, url: hop.url.href, httpVersion: `HTTP/${request.httpVersion}`, headers: request.headers, raw: latin1(requestBytes) };
  }
  if (response) {
    view.response = {
      status: response.status,
      statusText: response.reason,
      httpVersion: `HTTP/${response.httpVersion}`,
      headers: response.headers,
      raw: latin1(responseBytes),
    };
    if (hop.body !== undefined && hop.body.length > 0) view.response.body = new TextDecoder().decode(hop.body);
    const extensions = headerValue(response.headers, 'sec-websocket-extensions');
    if (response.status === 101 && extensions !== undefined) view.extensions = extensions;
  }
  const t = hop.timings();
  view.timings = { ...t };
  if (hop.marks.response !== undefined) view.timings.totalMs = Number(hop.marks.response - attempt.startNs) / 1e6;
  for (const key of Object.keys(view.timings) as Array<keyof HandshakeView['timings']>) {
    if (view.timings[key] === undefined) delete view.timings[key];
  }
  if (hop.tls) view.tls = hop.tls;
  const protocol = negotiatedProtocol(hop);
  if (protocol !== undefined) view.subprotocol = protocol;
  view.checks = hopChecks(hop, offeredProtocols);
  return view;
}
