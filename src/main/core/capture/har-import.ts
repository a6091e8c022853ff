/**
 * Opens a HAR file (Chrome DevTools' export, or Framescope's own) as offline
 * connections: each WebSocket entry becomes a connection with role
 * 'imported', each `_webSocketMessages` item a frame row in the capture store
 * (HAR keeps messages, not frames: each is shown as one unfragmented frame),
 * each "error" item a violation row, and the entry's request and response a
 * handshake view with the RFC 6455 §4 checklist run over it.
 */
import { Buffer } from 'node:buffer';
import type { HandshakeCheckView, HandshakeView } from '../../../shared/contract';
import { INBOUND_BIT, VIOLATION_BIT, packFrameBits } from '../../../shared/frame-bits';
import type { ConnectionInfo, FlowDirection } from '../../../shared/records';
import { headerLength, minimalLengthEncoding } from '../protocol/encoder';
import { checkUpgradeRequest, checkUpgradeResponse, formatHead, headerValue, listTokens } from '../protocol/handshake';
import type { CaptureRowInput } from './capture-store';
import type { HarConnection, ParsedHar } from './har';

export interface ImportTarget {
  append(row: CaptureRowInput): number;
}

export interface ImportedConnection {
  info: ConnectionInfo;
  handshake: HandshakeView;
}

export interface ImportSummary {
  connections: ImportedConnection[];
  frames: number;
}

const encoder = new TextEncoder();

/** Appends every connection of a parsed HAR to the store, with ids `${prefix}${n}` from `firstNumber`. */
export function importHar(target: ImportTarget, har: ParsedHar, options: { prefix: string; firstNumber: number; source: string }): ImportSummary {
  const connections: ImportedConnection[] = [];
  let frames = 0;
  har.connections.forEach((c, index) => {
    const id = `${options.prefix}${options.firstNumber + index}`;
    // The handshake view first: should anything about the entry be unusable, no row is appended for it.
    const handshake = handshakeOf(id, c);
    frames += appendMessages(target, id, c);
    const last = c.messages.length > 0 ? c.messages[c.messages.length - 1].time * 1000 : c.startedAt;
    const info: ConnectionInfo = {
      id,
      role: 'imported',
      url: c.url,
      state: c.response && c.response.status !== 101 ? 'failed' : 'closed',
      openedAt: c.startedAt,
      closedAt: last,
      source: options.source,
    };
    if (c.serverIPAddress) info.remoteAddress = c.serverIPAddress;
    if (c.error) info.error = c.error;
    else if (c.response && c.response.status !== 101) info.error = `the server answered ${c.response.status} ${c.response.statusText} instead of 101 Switching Protocols`;
    const protocol = c.response ? headerValue(c.response.headers, 'sec-websocket-protocol') : undefined;
    const extensions = c.response ? headerValue(c.response.headers, 'sec-websocket-extensions') : undefined;
    if (protocol) info.subprotocol = protocol;
    if (extensions) info.extensions = extensions;
    connections.push({ info, handshake });
  });
  return { connections, frames };
}

function appendMessages(target: ImportTarget, connectionId: string, c: HarConnection): number {
  // One buffer per connection, payloads carved from it: the filter decodes it once.
  const bytes = c.messages.map((m) => (typeof m.data === 'string' ? (m.type === 'error' ? null : encoder.encode(m.data)) : m.data));
  const slab = new Uint8Array(bytes.reduce((n, b) => n + (b?.length ?? 0), 0));
  let at = 0;
  const offsets: Record<FlowDirection, number> = { out: 0, in: 0 };
  let count = 0;
  c.messages.forEach((m, i) => {
    const time = m.time * 1000;
    if (m.type === 'error') {
      target.append({
        connectionId,
        time,
        bits: VIOLATION_BIT | INBOUND_BIT,
        length: 0,
        offset: offsets.in,
        header: null,
        payload: null,
        extras: {
          violation: {
            code: 'HAR_FRAME_ERROR',
            closeCode: 1002,
            rule: 'Reported by the browser that recorded this HAR file (Chrome DevTools lists a frame error); the frame itself is not in the file.',
            message: typeof m.data === 'string' ? m.data : Buffer.from(m.data).toString('utf8'),
          },
        },
      });
      count++;
      return;
    }
    const src = bytes[i] as Uint8Array;
    slab.set(src, at);
    const payload = slab.subarray(at, at + src.length);
    at += src.length;
    const direction: FlowDirection = m.type === 'send' ? 'out' : 'in';
    const opcode = m.opcode >= 0 && m.opcode <= 0xf ? m.opcode : 0x2;
    // HAR records messages as the browser saw them: unmasked, whole, uncompressed.
    const lengthEncoding = minimalLengthEncoding(payload.length);
    const bits = packFrameBits({
      opcode,
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      masked: false,
      direction,
      violation: false,
      lengthEncoding,
    });
    const extras =
      opcode === 0x8 && payload.length >= 2
        ? { closeCode: (payload[0] << 8) | payload[1], closeReason: Buffer.from(payload.subarray(2)).toString('utf8') }
        : undefined;
    target.append({ connectionId, time, bits, length: payload.length, offset: offsets[direction], header: null, payload, extras });
    offsets[direction] += headerLength(lengthEncoding, false) + payload.length;
    count++;
  });
  return count;
}

/** The request target of a HAR entry's URL; a relative URL (some tools write "/socket") is its own target. */
function requestTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url.startsWith('/') ? url : `/${url}`;
  }
}

function handshakeOf(connectionId: string, c: HarConnection): HandshakeView {
  const target = requestTarget(c.url);
  const httpVersion = c.request.httpVersion || 'HTTP/1.1';
  const view: HandshakeView = {
    connectionId,
    hops: [{ url: c.url, status: c.response?.status }],
    request: {
      method: c.request.method,
      url: c.url,
      httpVersion,
      headers: c.request.headers,
      raw: formatHead(`${c.request.method} ${target} ${httpVersion}`, c.request.headers),
    },
    timings: {},
    checks: [],
  };
  if (c.response) {
    const responseVersion = c.response.httpVersion || 'HTTP/1.1';
    view.response = {
      status: c.response.status,
      statusText: c.response.statusText,
      httpVersion: responseVersion,
      headers: c.response.headers,
      raw: formatHead(`${responseVersion} ${c.response.status} ${c.response.statusText}`, c.response.headers),
    };
    if (c.response.body) view.response.body = c.response.body.text;
  }
  const t = c.timings;
  const ms = (v: number): number | undefined => (v >= 0 ? v : undefined);
  const timings = { dnsMs: ms(t.dns), connectMs: ms(t.connect), tlsMs: ms(t.ssl), upgradeMs: t.wait };
  for (const [k, v] of Object.entries(timings)) if (v !== undefined) (view.timings as Record<string, number>)[k] = v;
  view.timings.totalMs = [t.blocked, t.dns, t.connect, t.send, t.wait, t.receive].reduce((a, v) => a + Math.max(v, 0), 0);
  if (c.error) view.error = c.error;
  // Browsers record the real handshake headers: judge them as a server (§4.2.1) and a client (§4.1) would.
  const checks: HandshakeCheckView[] = [];
  if (headerValue(c.request.headers, 'sec-websocket-key') !== undefined) {
    const request = checkUpgradeRequest({ method: c.request.method, target, httpVersion: httpVersion.replace(/^HTTP\//i, ''), headers: c.request.headers });
    checks.push(...request.checks.map((k) => ({ id: `request.${k.id}`, label: k.label, pass: k.pass, detail: k.detail, rule: k.rule })));
    if (c.response && c.response.headers.length > 0) {
      const response = checkUpgradeResponse(
        { status: c.response.status, headers: c.response.headers },
        {
          key: headerValue(c.request.headers, 'sec-websocket-key') ?? '',
          offeredProtocols: listTokens(headerValue(c.request.headers, 'sec-websocket-protocol')),
          offeredExtensions: headerValue(c.request.headers, 'sec-websocket-extensions') ?? '',
        },
      );
      checks.push(...response.checks.map((k) => ({ id: `response.${k.id}`, label: k.label, pass: k.pass, detail: k.detail, rule: k.rule })));
    }
  }
  view.checks = checks;
  return view;
}
