/** The opening handshake's parser and checks (RFC 6455 §4, RFC 9112 §2-5) against random input. */
import fc from 'fast-check';
import {
  checkUpgradeRequest,
  checkUpgradeResponse,
  describeRefusal,
  parseHttpRequestHead,
  parseHttpResponseHead,
  type UpgradeRequestVerdict,
  type UpgradeResponseVerdict,
} from '../../src/main/core/protocol/handshake';
import { fail, ok, type Result } from '../../src/shared/result';
import { bytes, nastyString } from './arbitraries';
import type { FuzzTarget } from './harness';

/** A verdict as a result: a failed one must name its failing check. */
function answerOf(verdict: UpgradeRequestVerdict | UpgradeResponseVerdict): Result<unknown> {
  if (verdict.ok) return ok(verdict);
  return verdict.failed ? fail(`${verdict.failed.label}: ${verdict.failed.detail}`) : fail('');
}

const lineEnd = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '');
const header = fc.tuple(
  fc.oneof(fc.constantFrom('Host', 'Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions', 'Retry-After', 'Content-Type'), nastyString),
  fc.constantFrom(': ', ':', ' : ', '', '\t: '),
  nastyString,
  lineEnd,
  fc.boolean(), // followed by an obs-fold continuation line
);

function headText(startLine: string, end: string, headers: Array<[string, string, string, string, boolean]>, final: string): string {
  let text = `${startLine}${end}`;
  for (const [name, sep, value, eol, fold] of headers) text += `${name}${sep}${value}${eol}${fold ? ` folded${eol}` : ''}`;
  return text + final;
}

export const bytesAsRequestAndResponse: FuzzTarget<Uint8Array> = {
  arbitrary: bytes,
  run: (b) => [parseHttpRequestHead(b), parseHttpResponseHead(b), parseHttpRequestHead(b, { maxHeadBytes: 64 })],
};

export const almostRequests: FuzzTarget<{ text: string; asBytes: boolean }> = {
  arbitrary: fc.record({
    text: fc
      .tuple(
        fc.tuple(fc.oneof(fc.constantFrom('GET', 'get', 'POST'), nastyString), fc.constantFrom(' ', '  ', '\t'), fc.oneof(fc.constant('/chat?x=1'), nastyString), fc.constantFrom(' HTTP/1.1', ' HTTP/1.0', ' HTTP/2.0', ' HTTP/1.1 ', 'HTTP/1.1', ' HTTP/11.1')),
        lineEnd,
        fc.array(header, { maxLength: 12 }),
        fc.constantFrom('\r\n', '\n', '', '\r\n\r\ntrailing bytes'),
      )
      .map(([[m, sp, t, v], end, headers, final]) => headText(`${m}${sp}${t}${v}`, end, headers, final)),
    asBytes: fc.boolean(),
  }),
  run: ({ text, asBytes }) => {
    const parsed = parseHttpRequestHead(asBytes ? Buffer.from(text, 'latin1') : text);
    if (!parsed.ok) return parsed;
    const { method, target, httpVersion, headers } = parsed.value;
    return [parsed, answerOf(checkUpgradeRequest({ method, target, httpVersion, headers }))];
  },
};

export const almostResponses: FuzzTarget<{ text: string; key: string; protocols: string[]; extensions: string; body: Uint8Array }> = {
  arbitrary: fc.record({
    text: fc
      .tuple(
        fc.oneof(fc.constantFrom('HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 503 Service Unavailable', 'HTTP/1.1 401', 'HTTP/1.0 302 Found', 'HTTP/1.1 999 ?'), nastyString),
        lineEnd,
        fc.array(header, { maxLength: 12 }),
        fc.constantFrom('\r\n', '\n', ''),
      )
      .map(([start, end, headers, final]) => headText(start, end, headers, final)),
    key: fc.oneof(fc.constant('dGhlIHNhbXBsZSBub25jZQ=='), nastyString),
    protocols: fc.array(nastyString, { maxLength: 3 }),
    extensions: nastyString,
    body: fc.uint8Array({ maxLength: 512 }),
  }),
  run: ({ text, key, protocols, extensions, body }) => {
    const parsed = parseHttpResponseHead(text);
    if (!parsed.ok) return parsed;
    const { status, headers } = parsed.value;
    const verdict = checkUpgradeResponse({ status, headers }, { key, offeredProtocols: protocols, offeredExtensions: extensions });
    const refusal = describeRefusal(status, headers, body);
    return [parsed, answerOf(verdict), typeof refusal === 'string' && refusal !== '' ? ok(refusal) : fail('')];
  },
};
