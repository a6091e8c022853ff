import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  checkUpgradeRequest,
  checkUpgradeResponse,
  computeAccept,
  describeRefusal,
  formatAnswer,
  headersFromRaw,
  headerValue,
  parseHttpRequestHead,
  parseHttpResponseHead,
  type HeaderList,
  type UpgradeRequestLike,
} from '../../src/main/core/protocol/handshake';

// RFC 6455 §1.3's example.
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

const RFC_REQUEST =
  'GET /chat HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\n` +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('computeAccept (RFC 6455 §4.2.2)', () => {
  it('matches the example in RFC 6455 §1.3', () => {
    expect(computeAccept(KEY)).toBe(ACCEPT);
  });
});

describe('parseHttpRequestHead', () => {
  it('parses the RFC 6455 §1.3 request and keeps header case and order', () => {
    const r = parseHttpRequestHead(bytes(RFC_REQUEST));
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toMatchObject({ method: 'GET', target: '/chat', httpVersion: '1.1', versionMajor: 1, versionMinor: 1 });
    expect(r.value.headers[0]).toEqual(['Host', 'server.example.com']);
    expect(r.value.headers.map(([n]) => n)).toEqual([
      'Host',
      'Upgrade',
      'Connection',
      'Sec-WebSocket-Key',
      'Origin',
      'Sec-WebSocket-Protocol',
      'Sec-WebSocket-Version',
    ]);
    expect(r.value.headLength).toBe(RFC_REQUEST.length);
    expect(r.value.warnings).toEqual([]);
  });

  it('reports where the head ends so that a first frame in the same packet can be handed on', () => {
    const frame = bytes('\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58'); // RFC 6455 §5.7 masked "Hello"
    const r = parseHttpRequestHead(Buffer.concat([bytes(RFC_REQUEST), frame]));
    expect(r.ok && r.value.headLength).toBe(RFC_REQUEST.length);
  });

  it('says "incomplete" at every cut before the empty line, and parses once it arrives', () => {
    const all = bytes(RFC_REQUEST);
    for (let cut = 0; cut < all.length; cut++) {
      const r = parseHttpRequestHead(all.subarray(0, cut));
      expect(r).toMatchObject({ ok: false, incomplete: true });
    }
    expect(parseHttpRequestHead(all).ok).toBe(true);
  });

  it('tolerates bare LF line ends and a leading empty line, with warnings (RFC 9112 §2.2)', () => {
    const r = parseHttpRequestHead('\r\nGET / HTTP/1.1\nHost: a\n\n');
    if (!r.ok) throw new Error(r.error);
    expect(r.value.headers).toEqual([['Host', 'a']]);
    expect(r.value.warnings).toHaveLength(2);
  });

  it('unfolds obsolete line folding (RFC 9112 §5.2)', () => {
    const r = parseHttpRequestHead('GET / HTTP/1.1\r\nX-Long: one\r\n  two\r\n\r\n');
    expect(r.ok && r.value.headers).toEqual([['X-Long', 'one two']]);
  });

  it.each([
    ['GET /chat\r\n\r\n', /request line/],
    ['GET  /chat HTTP/1.1\r\n\r\n', /request line/],
    ['GET /chat HTTP/1\r\n\r\n', /request line/],
    ['GET / HTTP/1.1\r\nHost : a\r\n\r\n', /RFC 9112 §5\.1/],
    ['GET / HTTP/1.1\r\nno colon\r\n\r\n', /colon/],
    ['GET / HTTP/1.1\r\n folded-first\r\n\r\n', /whitespace/],
    ['GET / HTTP/1.1\r\nA: b\rc\r\n\r\n', /bare CR/],
  ])('rejects %j', (head, error) => {
    const r = parseHttpRequestHead(head);
    expect(r).toMatchObject({ ok: false, incomplete: false });
    expect(!r.ok && r.error).toMatch(error);
  });

  it('gives up on a head longer than the limit', () => {
    const r = parseHttpRequestHead(`GET / HTTP/1.1\r\nX: ${'a'.repeat(200)}\r\n`, { maxHeadBytes: 100 });
    expect(r).toMatchObject({ ok: false, incomplete: false });
  });
});

describe('parseHttpResponseHead', () => {
  it('parses a 101 followed by a server frame in the same chunk', () => {
    const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`;
    const r = parseHttpResponseHead(Buffer.concat([bytes(head), bytes('\x81\x05Hello')]));
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toMatchObject({ status: 101, reason: 'Switching Protocols', httpVersion: '1.1', headLength: head.length });
  });

  it('accepts an empty reason phrase, with or without the space', () => {
    expect(parseHttpResponseHead('HTTP/1.1 503 \r\n\r\n')).toMatchObject({ ok: true, value: { status: 503, reason: '' } });
    expect(parseHttpResponseHead('HTTP/1.1 503\r\n\r\n')).toMatchObject({ ok: true, value: { status: 503, reason: '' } });
  });

  it('rejects a status line that is not HTTP', () => {
    expect(parseHttpResponseHead('SSH-2.0-OpenSSH_9.2\r\n\r\n')).toMatchObject({ ok: false, incomplete: false });
  });
});

// ---------------------------------------------------------------------------

function request(overrides: Partial<UpgradeRequestLike> = {}, headers: HeaderList | null = null): UpgradeRequestLike {
  const r = parseHttpRequestHead(RFC_REQUEST);
  if (!r.ok) throw new Error(r.error);
  return { method: 'GET', target: '/chat', httpVersion: '1.1', headers: headers ?? r.value.headers, ...overrides };
}

function withHeader(name: string, value: string | null): HeaderList {
  const r = parseHttpRequestHead(RFC_REQUEST);
  if (!r.ok) throw new Error(r.error);
  const list = r.value.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  return value === null ? list : [...list, [name, value]];
}

describe('checkUpgradeRequest (RFC 6455 §4.2.1)', () => {
  it('passes the RFC example and answers 101 with the right accept', () => {
    const v = checkUpgradeRequest(request());
    expect(v.ok).toBe(true);
    expect(v.checks.map((c) => c.id)).toEqual(['method', 'request-target', 'http-version', 'host', 'upgrade', 'connection', 'key', 'version']);
    expect(v.checks.every((c) => c.pass && c.rule.startsWith('RFC 6455 §4.2.1'))).toBe(true);
    expect(v.answer.status).toBe(101);
    expect(v.answer.headers).toContainEqual(['Sec-WebSocket-Accept', ACCEPT]);
    expect(formatAnswer(v.answer)).toBe(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`,
    );
  });

  it('answers 405 with Allow: GET to another method (RFC 9110 §15.5.6)', () => {
    const v = checkUpgradeRequest(request({ method: 'POST' }));
    expect(v.failed?.id).toBe('method');
    expect(v.answer).toMatchObject({ status: 405, headers: [['Allow', 'GET']] });
  });

  it('answers 400 to HTTP/1.0 and accepts HTTP/2.0 syntax as "higher"', () => {
    const v = checkUpgradeRequest(request({ httpVersion: '1.0' }));
    expect(v.failed).toMatchObject({ id: 'http-version', detail: 'HTTP/1.0 is older than HTTP/1.1' });
    expect(v.answer.status).toBe(400);
    expect(checkUpgradeRequest(request({ httpVersion: '2.0' })).ok).toBe(true);
  });

  it('requires exactly one Host (RFC 9112 §3.2)', () => {
    expect(checkUpgradeRequest(request({}, withHeader('Host', null))).failed).toMatchObject({ id: 'host', detail: 'no Host header' });
    const twice: HeaderList = [...withHeader('Host', 'a'), ['host', 'b']];
    expect(checkUpgradeRequest(request({}, twice)).failed?.detail).toMatch(/2 Host headers/);
  });

  it('matches Upgrade and Connection tokens case-insensitively inside lists', () => {
    const headers = withHeader('Upgrade', 'h2c, WebSocket').filter(([n]) => n !== 'Connection');
    headers.push(['connection', 'keep-alive, upgrade']);
    expect(checkUpgradeRequest(request({}, headers)).ok).toBe(true);
  });

  it('answers 400 when Connection lacks the Upgrade token', () => {
    const v = checkUpgradeRequest(request({}, withHeader('Connection', 'keep-alive')));
    expect(v.failed).toMatchObject({ id: 'connection', detail: 'Connection is "keep-alive", without the token "Upgrade"' });
    expect(v.answer.status).toBe(400);
    expect(v.answer.body).toMatch(/RFC 6455 §4\.2\.1 item 4/);
  });

  it('answers 400 when Upgrade is not websocket', () => {
    expect(checkUpgradeRequest(request({}, withHeader('Upgrade', 'h2c'))).failed?.id).toBe('upgrade');
  });

  it.each([
    ['AAAAAAAAAAAAAAAAAAAA', /decodes to 15 bytes/],
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /decodes to 24 bytes/],
    ['not base64 at all!', /not valid base64/],
    ['', /decodes to 0 bytes/],
  ])('rejects the key %j', (key, detail) => {
    const v = checkUpgradeRequest(request({}, withHeader('Sec-WebSocket-Key', key)));
    expect(v.failed?.id).toBe('key');
    expect(v.failed?.detail).toMatch(detail);
    expect(v.answer.status).toBe(400);
  });

  it('rejects two keys (RFC 6455 §11.3.1)', () => {
    const headers: HeaderList = [...withHeader('Sec-WebSocket-Key', KEY), ['Sec-WebSocket-Key', KEY]];
    expect(checkUpgradeRequest(request({}, headers)).failed?.detail).toMatch(/must appear once/);
  });

  it('answers 426 with Sec-WebSocket-Version: 13 to another version (RFC 6455 §4.2.2, §4.4)', () => {
    const v = checkUpgradeRequest(request({}, withHeader('Sec-WebSocket-Version', '8')));
    expect(v.failed?.id).toBe('version');
    expect(v.answer).toMatchObject({ status: 426, reason: 'Upgrade Required', headers: [['Sec-WebSocket-Version', '13']] });
    expect(formatAnswer(v.answer)).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n/);
  });

  it('reports the first failure but evaluates every check', () => {
    const v = checkUpgradeRequest({ method: 'PUT', httpVersion: '1.0', headers: [] });
    expect(v.checks.filter((c) => !c.pass).map((c) => c.id)).toEqual(['method', 'http-version', 'host', 'upgrade', 'connection', 'key', 'version']);
    expect(v.answer.status).toBe(405);
  });

  it('accepts what a real ws client sends, read from Node’s rawHeaders', async () => {
    const server = http.createServer();
    const seen = new Promise<UpgradeRequestLike>((resolve) =>
      server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
        resolve({ method: req.method!, target: req.url, httpVersion: req.httpVersion, headers: headersFromRaw(req.rawHeaders) });
        socket.destroy();
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/x`, ['chat']);
    ws.on('error', () => {});
    const v = checkUpgradeRequest(await seen);
    server.close();
    expect(v.ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------

function response(status: number, headers: HeaderList) {
  return { status, headers };
}
const GOOD: HeaderList = [
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Accept', ACCEPT],
];
const replace = (name: string, value: string | null): HeaderList => {
  const list = GOOD.filter(([n]) => n !== name);
  return value === null ? list : [...list, [name, value]];
};

describe('checkUpgradeResponse (RFC 6455 §4.1)', () => {
  it('passes the RFC example response', () => {
    const v = checkUpgradeResponse(response(101, [...GOOD, ['Sec-WebSocket-Protocol', 'chat']]), {
      key: KEY,
      offeredProtocols: ['chat', 'superchat'],
    });
    expect(v.ok).toBe(true);
    expect(v.negotiated).toEqual({ protocol: 'chat', extensions: [], deflate: null });
    expect(v.checks.map((c) => c.id)).toEqual(['status', 'upgrade', 'connection', 'accept', 'protocol', 'extensions']);
  });

  it('explains a non-101 status in words', () => {
    const v = checkUpgradeResponse(response(503, [['Retry-After', '5']]), { key: KEY });
    expect(v.failed?.id).toBe('status');
    expect(v.failed?.detail).toMatch(/connection limit/);
  });

  it('fails a wrong Sec-WebSocket-Accept and says what was expected', () => {
    const v = checkUpgradeResponse(response(101, replace('Sec-WebSocket-Accept', 'AAAA')), { key: KEY });
    expect(v.failed?.id).toBe('accept');
    expect(v.failed?.detail).toContain(ACCEPT);
  });

  it('requires Upgrade to be exactly "websocket", case-insensitively', () => {
    expect(checkUpgradeResponse(response(101, replace('Upgrade', 'WebSocket')), { key: KEY }).ok).toBe(true);
    expect(checkUpgradeResponse(response(101, replace('Upgrade', 'websocket, h2c')), { key: KEY }).failed?.id).toBe('upgrade');
    expect(checkUpgradeResponse(response(101, replace('Connection', 'close')), { key: KEY }).failed?.id).toBe('connection');
  });

  it('fails a subprotocol that was not offered, or more than one', () => {
    const notOffered = checkUpgradeResponse(response(101, [...GOOD, ['Sec-WebSocket-Protocol', 'mqtt']]), {
      key: KEY,
      offeredProtocols: ['chat'],
    });
    expect(notOffered.failed?.detail).toMatch(/not among chat/);
    const two = checkUpgradeResponse(response(101, [...GOOD, ['Sec-WebSocket-Protocol', 'chat, superchat']]), {
      key: KEY,
      offeredProtocols: ['chat', 'superchat'],
    });
    expect(two.failed?.id).toBe('protocol');
  });

  it('allows the server to select no subprotocol (RFC 6455 §4.2.2)', () => {
    const v = checkUpgradeResponse(response(101, GOOD), { key: KEY, offeredProtocols: ['chat'] });
    expect(v.ok).toBe(true);
    expect(v.checks.find((c) => c.id === 'protocol')?.detail).toMatch(/selected none/);
  });

  it('fails an extension that was not offered', () => {
    const v = checkUpgradeResponse(response(101, [...GOOD, ['Sec-WebSocket-Extensions', 'permessage-deflate']]), { key: KEY });
    expect(v.failed?.detail).toMatch(/did not offer/);
  });

  it('reads the negotiated permessage-deflate and checks it against the offers', () => {
    const v = checkUpgradeResponse(
      response(101, [...GOOD, ['Sec-WebSocket-Extensions', 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10']]),
      { key: KEY, offeredExtensions: 'permessage-deflate; server_no_context_takeover, permessage-deflate; client_max_window_bits' },
    );
    expect(v.ok).toBe(true);
    expect(v.negotiated.deflate).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 10,
    });
  });

  it.each([
    ['permessage-deflate; server_max_window_bits=7', /8 to 15/],
    ['permessage-deflate; client_max_window_bits=10', /accepts none of the offers/],
    ['permessage-deflate; client_max_window_bits', /needs a value/],
    ['permessage-deflate, permessage-deflate', /more than once/],
    ['permessage-deflate; foo', /unknown parameter/],
  ])('fails the deflate response %j', (header, detail) => {
    const v = checkUpgradeResponse(response(101, [...GOOD, ['Sec-WebSocket-Extensions', header]]), {
      key: KEY,
      offeredExtensions: 'permessage-deflate',
    });
    expect(v.failed?.id).toBe('extensions');
    expect(v.failed?.detail).toMatch(detail);
  });

  it('accepts an offered extension it does not know without judging its parameters', () => {
    const v = checkUpgradeResponse(response(101, [...GOOD, ['Sec-WebSocket-Extensions', 'x-foo; level=3']]), {
      key: KEY,
      offeredExtensions: 'x-foo',
    });
    expect(v.ok).toBe(true);
    expect(v.checks.at(-1)?.detail).toMatch(/not checked/);
  });

  describe('against a real ws server', () => {
    let server: http.Server | null = null;
    afterEach(() => server?.close());

    it('passes the 101 that ws answers to a deflate offer', async () => {
      server = http.createServer();
      const wss = new WebSocketServer({ server, perMessageDeflate: true });
      wss.on('connection', (ws) => ws.close());
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as net.AddressInfo).port;
      const offered = 'permessage-deflate; client_max_window_bits';
      const sock = net.connect(port, '127.0.0.1');
      sock.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: ${offered}\r\n\r\n`,
      );
      const [chunk] = (await once(sock, 'data')) as [Buffer];
      sock.destroy();
      wss.close();
      const head = parseHttpResponseHead(chunk);
      if (!head.ok) throw new Error(head.error);
      const v = checkUpgradeResponse(head.value, { key: KEY, offeredProtocols: ['chat'], offeredExtensions: offered });
      expect(v.checks.filter((c) => !c.pass)).toEqual([]);
      expect(v.negotiated.deflate).not.toBeNull();
      expect(headerValue(head.value.headers, 'sec-websocket-accept')).toBe(ACCEPT);
    });
  });
});

// ---------------------------------------------------------------------------

describe('describeRefusal', () => {
  it('explains a 503 as a connection limit, with Retry-After and the body', () => {
    const s = describeRefusal(503, [['Retry-After', '30']], 'Too many WebSocket connections');
    expect(s).toMatch(/connection limit/);
    expect(s).toMatch(/retry after 30 seconds/);
    expect(s).toMatch(/"Too many WebSocket connections"/);
  });

  it('names the redirect target', () => {
    expect(describeRefusal(302, { location: 'wss://example.com/ws' })).toMatch(/redirects \(302 Found\) to wss:\/\/example\.com\/ws/);
    expect(describeRefusal(301, [])).toMatch(/no Location/);
  });

  it('says what authentication is wanted', () => {
    expect(describeRefusal(401, [['WWW-Authenticate', 'Basic realm="x"']])).toMatch(/requires authentication \(401 Unauthorized\) using Basic/);
  });

  it('reads a Retry-After date', () => {
    expect(describeRefusal(429, [['Retry-After', 'Wed, 21 Oct 2015 07:28:00 GMT']])).toMatch(/2015-10-21T07:28:00\.000Z/);
  });

  it('reports the versions a server speaks on 426', () => {
    expect(describeRefusal(426, [['Sec-WebSocket-Version', '13']])).toMatch(/supports version 13/);
  });

  it('turns HTML bodies into short text and leaves binary out', () => {
    expect(describeRefusal(404, [], '<html><body><h1>Not here</h1></body></html>')).toMatch(/"Not here"/);
    expect(describeRefusal(500, [], new Uint8Array([0, 1, 2, 0xff]))).not.toMatch(/said/);
  });

  it.each([200, 204, 301, 400, 403, 404, 405, 408, 409, 418, 500, 502, 503, 504, 599, 100, 700])(
    'gives a full sentence naming status %i, never a bare "error"',
    (status) => {
      const s = describeRefusal(status, []);
      expect(s).toContain(String(status));
      expect(s.length).toBeGreaterThan(40);
      expect(s.trim().toLowerCase()).not.toBe('error');
    },
  );
});
