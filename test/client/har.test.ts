import { describe, expect, it } from 'vitest';
import { buildHar, buildHarEntry, parseHar, serializeHar, type HarConnectionInput } from '../../src/main/core/capture/har';
import { secretsRedactor, type Redactor } from '../../src/shared/secrets';

const KEEP_SECRETS = (secretsRedactor({ includeSecrets: true }) as { ok: true; value: Redactor }).value;

const started = Date.UTC(2024, 4, 1, 12, 0, 0, 123);
const t0 = started / 1000;

function echoConnection(): HarConnectionInput {
  return {
    url: 'wss://echo.example/chat?room=1&nick=a%20b',
    startedAt: started,
    request: {
      headers: [
        ['Host', 'echo.example'],
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', '13'],
        ['Cookie', 'sid=abc; theme=dark'],
      ],
    },
    response: {
      status: 101,
      statusText: 'Switching Protocols',
      headers: [
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
      ],
    },
    timings: { dns: 1.5, connect: 10, ssl: 6, send: 0.2, wait: 20 },
    serverIPAddress: '[2001:db8::1]',
    connectionId: '4242',
    messages: [
      { type: 'send', time: t0 + 0.1, opcode: 1, data: '["clown.talk/-/config/set", {}]\n' },
      { type: 'receive', time: t0 + 0.2, opcode: 1, data: 'héllo 😀' },
      { type: 'send', time: t0 + 0.3, opcode: 2, data: new Uint8Array([0x00, 0xff, 0x10, 0x80]) },
      { type: 'receive', time: t0 + 0.4, opcode: 9, data: new Uint8Array([1, 2]) }, // ping: not in Chrome's exports
      { type: 'receive', time: t0 + 0.5, opcode: 8, data: new Uint8Array([0x03, 0xe8]) },
      { type: 'error', time: t0 + 0.6, opcode: -1, data: 'Invalid frame header' },
    ],
  };
}

describe('buildHar', () => {
  it('writes entries the way Chrome DevTools exports WebSockets', () => {
    const har = buildHar([echoConnection()], { creator: { name: 'Framescope', version: '0.1.0' }, secrets: KEEP_SECRETS });
    expect(har.log).toMatchObject({ version: '1.2', creator: { name: 'Framescope', version: '0.1.0' }, pages: [] });
    const e = har.log.entries[0];
    expect(e._resourceType).toBe('websocket');
    expect(e._webSocketMessages).toEqual([
      { type: 'send', time: t0 + 0.1, opcode: 1, data: '["clown.talk/-/config/set", {}]\n' },
      { type: 'receive', time: t0 + 0.2, opcode: 1, data: 'héllo 😀' },
      { type: 'send', time: t0 + 0.3, opcode: 2, data: 'AP8QgA==' },
      { type: 'error', time: t0 + 0.6, opcode: -1, data: 'Invalid frame header' },
    ]);
    expect(e.startedDateTime).toBe('2024-05-01T12:00:00.123Z');
    expect(e.request).toMatchObject({
      method: 'GET',
      url: 'wss://echo.example/chat?room=1&nick=a%20b',
      httpVersion: 'HTTP/1.1',
      queryString: [
        { name: 'room', value: '1' },
        { name: 'nick', value: 'a b' },
      ],
      cookies: [
        { name: 'sid', value: 'abc' },
        { name: 'theme', value: 'dark' },
      ],
      bodySize: 0,
    });
    expect(e.request.headers[0]).toEqual({ name: 'Host', value: 'echo.example' });
    // "GET /chat?room=1&nick=a%20b HTTP/1.1\r\n" + headers + "\r\n"
    const expectedHead = 'GET /chat?room=1&nick=a%20b HTTP/1.1\r\n' + echoConnection().request.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n';
    expect(e.request.headersSize).toBe(Buffer.byteLength(expectedHead));
    expect(e.response).toMatchObject({ status: 101, statusText: 'Switching Protocols', httpVersion: 'HTTP/1.1', content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', _error: null });
    // HAR 1.2: -1 for phases that did not apply; time sums the others, ssl being part of connect.
    expect(e.timings).toEqual({ blocked: -1, dns: 1.5, ssl: 6, connect: 10, send: 0.2, wait: 20, receive: 0 });
    expect(e.time).toBeCloseTo(31.7, 10);
    expect(e.serverIPAddress).toBe('2001:db8::1');
    expect(e.connection).toBe('4242');
  });

  it('redacts secrets unless asked to keep them, still counting the head that went over the wire', () => {
    const input = echoConnection();
    input.url = 'wss://ada:s3cret@echo.example/chat?access_token=tok-1&room=1';
    input.request.headers.push(['Authorization', 'Basic YWRhOnMzY3JldA=='], ['X-Session', 'sess-9']);
    input.response!.headers.push(['Set-Cookie', 'sid=new; HttpOnly'], ['Location', 'wss://ada:s3cret@elsewhere.example/']);
    const marked = secretsRedactor({ secretHeaders: ['x-session'] });
    if (!marked.ok) throw new Error(marked.error);
    const e = buildHarEntry(input, { secrets: marked.value });
    const text = JSON.stringify(e);
    for (const secret of ['s3cret', 'tok-1', 'YWRhOnMzY3JldA==', 'sid=abc', 'abc', 'sess-9', 'sid=new']) expect(text).not.toContain(secret);
    expect(e.request.url).toBe('wss://<redacted>@echo.example/chat?access_token=<redacted>&room=1');
    expect(e.request.queryString).toEqual([{ name: 'access_token', value: '<redacted>' }, { name: 'room', value: '1' }]);
    expect(e.request.cookies).toEqual([{ name: 'sid', value: '<redacted>' }, { name: 'theme', value: '<redacted>' }]);
    expect(e.request.headers.filter((h) => h.value === '<redacted>').map((h) => h.name)).toEqual(['Cookie', 'Authorization', 'X-Session']);
    expect(e.response.cookies).toEqual([{ name: 'sid', value: '<redacted>' }]);
    expect(e.response.redirectURL).toBe('wss://<redacted>@elsewhere.example/');
    expect(e.request.headersSize).toBe(buildHarEntry(input, { secrets: KEEP_SECRETS }).request.headersSize);
    // No choice at all is the safe one.
    expect(JSON.stringify(buildHarEntry(input))).not.toContain('s3cret');
    expect(JSON.stringify(buildHarEntry(input, { secrets: KEEP_SECRETS }))).toContain('YWRhOnMzY3JldA==');
  });

  it('includes control frames (base64, like any non-text opcode) when asked', () => {
    const e = buildHarEntry(echoConnection(), { includeControlFrames: true });
    expect(e._webSocketMessages.filter((m) => m.opcode >= 8)).toEqual([
      { type: 'receive', time: t0 + 0.4, opcode: 9, data: 'AQI=' },
      { type: 'receive', time: t0 + 0.5, opcode: 8, data: 'A+g=' },
    ]);
  });

  it("records a refused handshake (ntopng's 503) and a connection that got no response", () => {
    const busy = buildHarEntry({
      url: 'ws://127.0.0.1:3000/lua/network_load.lua',
      startedAt: started,
      request: { headers: [['Host', '127.0.0.1:3000']] },
      response: { status: 503, statusText: 'Service Unavailable', headers: [['Content-Type', 'text/plain']], body: { text: 'too many websockets', mimeType: 'text/plain' } },
      messages: [],
    });
    expect(busy.response).toMatchObject({ status: 503, content: { size: 19, mimeType: 'text/plain', text: 'too many websockets' }, bodySize: 19 });
    expect(busy._webSocketMessages).toEqual([]);

    const refused = buildHarEntry({ url: 'ws://127.0.0.1:1/', startedAt: started, request: { headers: [] }, response: null, error: 'ECONNREFUSED', messages: [] });
    expect(refused.response).toMatchObject({ status: 0, statusText: '', _error: 'ECONNREFUSED', headersSize: -1 });
  });
});

describe('parseHar', () => {
  it('round-trips what buildHar writes', () => {
    const input = echoConnection();
    const parsed = parseHar(serializeHar(buildHar([input], { includeControlFrames: true, secrets: KEEP_SECRETS })));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [c] = parsed.value.connections;
    expect(c.url).toBe(input.url);
    expect(c.startedAt).toBe(input.startedAt);
    expect(c.request).toEqual({ method: 'GET', httpVersion: 'HTTP/1.1', headers: input.request.headers });
    expect(c.response).toEqual({ status: 101, statusText: 'Switching Protocols', httpVersion: 'HTTP/1.1', headers: input.response!.headers });
    expect(c.serverIPAddress).toBe('2001:db8::1');
    expect(c.connectionId).toBe('4242');
    expect(c.messages).toEqual(input.messages);
    expect(parsed.value.warnings).toEqual([]);
  });

  it("reads Chrome DevTools' own export, including binary messages stored as base64 with opcode 2", () => {
    const chrome = {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [{ startedDateTime: '2024-05-01T11:59:59.000Z', id: 'page_1', title: 'http://localhost:8080/', pageTimings: { onContentLoad: 50, onLoad: 80 } }],
        entries: [
          {
            _initiator: { type: 'other' },
            _priority: 'VeryHigh',
            _resourceType: 'document',
            cache: {},
            connection: '11',
            pageref: 'page_1',
            request: { method: 'GET', url: 'http://localhost:8080/', httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: 300, bodySize: 0 },
            response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 10, mimeType: 'text/html' }, redirectURL: '', headersSize: 100, bodySize: 10, _transferSize: 110, _error: null },
            serverIPAddress: '[::1]',
            startedDateTime: '2024-05-01T11:59:59.000Z',
            time: 5,
            timings: { blocked: 1, dns: -1, ssl: -1, connect: -1, send: 0.1, wait: 3, receive: 0.9, _blocked_queueing: 0.5 },
          },
          {
            _initiator: { type: 'script', stack: { callFrames: [] } },
            _priority: 'Low',
            _resourceType: 'websocket',
            _webSocketMessages: [
              { type: 'send', time: 1714564800.5, opcode: 1, data: 'hello' },
              { type: 'receive', time: 1714564800.6, opcode: 1, data: 'hello' },
              { type: 'send', time: 1714564800.7, opcode: 2, data: 'YmluYXJ5IG1lc3NhZ2U=' },
              { type: 'receive', time: 1714564800.8, opcode: 2, data: 'YmluYXJ5IG1lc3NhZ2U=' },
            ],
            cache: {},
            connection: '12',
            request: {
              method: 'GET',
              url: 'ws://localhost:8080/echo',
              httpVersion: 'HTTP/1.1',
              headers: [
                { name: 'Upgrade', value: 'websocket' },
                { name: 'Sec-WebSocket-Version', value: '13' },
              ],
              queryString: [],
              cookies: [],
              headersSize: 512,
              bodySize: 0,
            },
            response: {
              status: 101,
              statusText: 'Switching Protocols',
              httpVersion: 'HTTP/1.1',
              headers: [{ name: 'Upgrade', value: 'websocket' }],
              cookies: [],
              content: { size: 0, mimeType: 'x-unknown' },
              redirectURL: '',
              headersSize: 129,
              bodySize: 0,
              _transferSize: 129,
              _error: null,
            },
            serverIPAddress: '[::1]',
            startedDateTime: '2024-05-01T12:00:00.000Z',
            time: 4.2,
            timings: { blocked: 1.1, dns: -1, ssl: -1, connect: -1, send: 0.2, wait: 2.9, receive: 0, _blocked_queueing: 0.7 },
          },
        ],
      },
    };
    const r = parseHar(JSON.stringify(chrome));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.creator).toEqual({ name: 'WebInspector', version: '537.36' });
    expect(r.value.skippedEntries).toBe(1);
    const [c] = r.value.connections;
    expect(c).toMatchObject({ url: 'ws://localhost:8080/echo', startedAt: Date.UTC(2024, 4, 1, 12), connectionId: '12', serverIPAddress: '[::1]' });
    expect(c.request.headers).toEqual([
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Version', '13'],
    ]);
    expect(c.timings).toEqual({ blocked: 1.1, dns: -1, ssl: -1, connect: -1, send: 0.2, wait: 2.9, receive: 0 });
    expect(c.messages.map((m) => [m.type, m.opcode, typeof m.data === 'string' ? m.data : Buffer.from(m.data).toString()])).toEqual([
      ['send', 1, 'hello'],
      ['receive', 1, 'hello'],
      ['send', 2, 'binary message'],
      ['receive', 2, 'binary message'],
    ]);
    expect(c.messages[2].data).toBeInstanceOf(Uint8Array);
  });

  it('is lenient where DevTools is: skips unusable messages with a warning, keeps non-base64 binary as text', () => {
    const r = parseHar({
      log: {
        entries: [
          {
            startedDateTime: '2024-05-01T12:00:00Z',
            request: { url: 'wss://x/' },
            _webSocketMessages: [{ type: 'weird', time: 1, opcode: 1, data: 'x' }, { type: 'send', opcode: 1, data: 'no time' }, { type: 'receive', time: 2, opcode: 2, data: 'not base64!' }, 'nope'],
          },
        ],
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.connections[0].messages).toEqual([{ type: 'receive', time: 2, opcode: 2, data: new TextEncoder().encode('not base64!') }]);
    expect(r.value.connections[0].response).toBeNull();
    expect(r.value.warnings).toEqual([
      'log.entries[0]._webSocketMessages[0] has type "weird"; skipped',
      'log.entries[0]._webSocketMessages[1] lacks time, opcode or data; skipped',
      "log.entries[0]._webSocketMessages[2] (opcode 2) is not base64 (invalid base64 character '!' at column 11); its text is used as the payload",
      'log.entries[0]._webSocketMessages[3] is not an object; skipped',
    ]);
  });

  it('reads fields that are objects with hostile keys without throwing', () => {
    // Found by test/fuzz (almostDevToolsHar, seed 812957515): String() threw on {"toString": false}.
    const hostile = '{"toString":false}';
    const parsed = parseHar(
      `{"log":{"version":${hostile},"creator":{"name":${hostile}},"entries":[{"_resourceType":"websocket","startedDateTime":"2024-05-01T12:00:00Z",` +
        `"request":{"url":"ws://h/","method":${hostile},"headers":[{"name":${hostile},"value":{"valueOf":1}}]},"connection":${hostile},"_webSocketMessages":[]}]}}`,
    );
    expect(parsed).toMatchObject({ ok: true, value: { creator: { name: hostile } } });
    if (!parsed.ok) return;
    expect(parsed.value.connections[0].request).toEqual({ method: hostile, httpVersion: '', headers: [[hostile, '{"valueOf":1}']] });
    expect(parsed.value.connections[0].connectionId).toBe(hostile);
  });

  it('says clearly when the input is not a HAR file', () => {
    expect(parseHar('{"log": ')).toEqual({ ok: false, error: 'not a HAR file: it is not valid JSON (unexpected end of input at column 9: expected a value)' });
    expect(parseHar('[]')).toEqual({ ok: false, error: 'not a HAR file: the top level is not a JSON object' });
    expect(parseHar('{"entries": []}')).toEqual({ ok: false, error: 'not a HAR file: there is no \'log\' object (a HAR file looks like {"log": {"entries": [...]}})' });
    expect(parseHar({ log: { entries: {} } })).toEqual({ ok: false, error: 'not a HAR file: log.entries is not a list' });
    expect(parseHar({ log: { entries: [{ _resourceType: 'websocket', request: { url: 'ws://x/' }, startedDateTime: 'yesterday' }] } })).toEqual({
      ok: false,
      error: 'log.entries[0].startedDateTime "yesterday" is not a date',
    });
    const none = parseHar({ log: { entries: [{ request: { url: 'https://x/' }, startedDateTime: '2024-01-01T00:00:00Z' }] } });
    expect(none.ok && none.value.warnings).toEqual(['the file has 1 entries but none is a WebSocket connection']);
  });
});
