/**
 * `framescope connect` against real peers: python3-websockets over ws and wss (with a
 * client certificate), a CONNECT proxy, and a raw peer that refuses. stdout is NDJSON:
 * the handshake, then `framescope decode`'s records; failures are one error record.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConnect } from '../../src/cli/connect';
import { parseHar } from '../../src/main/core/capture/har';
import { makeCerts, requirePythonWebsockets, startConnectProxy, startPythonPeer, startRawPeer, type PythonPeer, type TestCerts, type TestProxy } from '../client/peers';

let certs: TestCerts;
let plain: PythonPeer;
let mutual: PythonPeer;
let proxy: TestProxy;

beforeAll(async () => {
  requirePythonWebsockets();
  certs = await makeCerts();
  [plain, mutual, proxy] = await Promise.all([
    startPythonPeer({ subprotocols: ['v1'] }),
    startPythonPeer({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert } }),
    startConnectProxy(),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), mutual?.stop(), proxy?.stop()]);
});

interface Run {
  code: number;
  records: Array<Record<string, unknown>>;
  stderr: string;
}

/** Runs the command with the given stdin lines (stdin then ends). */
async function connect(argv: string[], stdinLines: string[] = []): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  for (const line of stdinLines) stdin.write(`${line}\n`);
  stdin.end();
  const code = await runConnect(argv, { stdout, stderr, stdin });
  const records = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, records, stderr: err };
}

const messages = (run: Run, direction: 'client' | 'server') => run.records.filter((r) => r.type === 'message' && r.direction === direction);

describe('framescope connect', () => {
  it('prints the handshake, sends --send, --send-hex, --ping and stdin lines in order, closes with --close', async () => {
    const har = join(mkdtempSync(join(tmpdir(), 'fs-cli-')), 'session.har');
    const run = await connect(
      [`ws://127.0.0.1:${plain.port}/echo?tag=cli`, '-H', 'X-From: cli', '--subprotocol', 'v1', '--send', 'first', '--send-hex', '00 ff', '--send', 'third', '--ping', 'pp', '--close', '4000:done', '--wait', '200', '--record', har],
      ['from stdin'],
    );
    expect(run.code).toBe(0);
    const [handshake] = run.records;
    expect(handshake).toMatchObject({
      type: 'handshake',
      request: { method: 'GET', url: `ws://127.0.0.1:${plain.port}/echo?tag=cli`, headers: expect.arrayContaining([['X-From', 'cli']]) },
      response: { status: 101, headers: expect.arrayContaining([['Sec-WebSocket-Protocol', 'v1']]) },
      subprotocol: 'v1',
    });
    expect((handshake.checks as Array<{ pass: boolean }>).every((c) => c.pass)).toBe(true);
    expect(run.records.slice(1).every((r) => ['frame', 'message', 'violation'].includes(r.type as string))).toBe(true);
    expect(messages(run, 'client').map((m) => m.text ?? m.payloadHex)).toEqual(['first', '00ff', 'third', 'from stdin']);
    // --wait gives the echo of the last line time to come back before the Close.
    expect(messages(run, 'server').map((m) => m.text ?? m.payloadHex)).toEqual(['first', '00ff', 'third', 'from stdin']);
    const frames = run.records.filter((r) => r.type === 'frame');
    expect(frames.find((f) => f.opcodeName === 'ping' && f.direction === 'client')).toMatchObject({ payloadHex: '7070', masked: true });
    expect(frames.find((f) => f.opcodeName === 'pong' && f.direction === 'server')).toMatchObject({ payloadHex: '7070' });
    expect(frames.filter((f) => f.opcodeName === 'close').map((f) => [f.direction, f.closeCode, f.closeReason])).toEqual([
      ['client', 4000, 'done'],
      ['server', 4000, 'done'],
    ]);
    expect(run.stderr).toMatch(/pong after \d+\.\d{3} ms/);
    const seen = await plain.waitFor((e) => e.event === 'closed' && String(e.path).includes('tag=cli'));
    expect(seen).toMatchObject({ code: 4000, reason: 'done' });
    expect(plain.events.filter((e) => e.event === 'message' && String(e.path).includes('tag=cli')).map((e) => e.text ?? e.hex)).toEqual(['first', '00ff', 'third', 'from stdin']);

    // HAR 1.2 with Chrome DevTools' _webSocketMessages.
    const parsed = parseHar(readFileSync(har, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    const entry = JSON.parse(readFileSync(har, 'utf8')).log.entries[0];
    expect(entry).toMatchObject({ _resourceType: 'websocket', request: { url: `ws://127.0.0.1:${plain.port}/echo?tag=cli` }, response: { status: 101 } });
    const sent = entry._webSocketMessages.filter((m: { type: string }) => m.type === 'send');
    expect(sent.map((m: { opcode: number; data: string }) => [m.opcode, m.data])).toEqual([
      [1, 'first'],
      [2, 'AP8='],
      [1, 'third'],
      [1, 'from stdin'],
    ]);
    expect(sent[0].time).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sent[0].time).toBeLessThan(Date.now() / 1000 + 1);
    expect(entry._webSocketMessages.some((m: { type: string }) => m.type === 'receive')).toBe(true);
  });

  it('connects over wss with --ca, --cert and --key, through --proxy', async () => {
    const run = await connect([`wss://localhost:${mutual.port}/echo?tag=cli-tls`, '--ca', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey, '--proxy', proxy.url, '--send', 'secure', '--wait', '300']);
    expect(run.code).toBe(0);
    expect(proxy.requests.at(-1)?.line).toBe(`CONNECT localhost:${mutual.port} HTTP/1.1`);
    expect((await mutual.waitFor((e) => e.event === 'open' && String(e.path).includes('tag=cli-tls'))).peercert).toEqual({ commonName: 'framescope-client' });
    expect(messages(run, 'server').map((m) => m.text)).toEqual(['secure']);
    // Without the CA the same server is refused; --insecure accepts it (the client certificate is still needed).
    const refused = await connect([`wss://localhost:${mutual.port}/echo`, '--cert', certs.clientCert, '--key', certs.clientKey]);
    expect(refused.code).toBe(1);
    expect(refused.records).toEqual([{ type: 'error', message: expect.stringMatching(/^TLS: localhost:\d+ presented a certificate chain whose self-signed root is not trusted here/) }]);
    const insecure = await connect([`wss://localhost:${mutual.port}/echo`, '--insecure', '--cert', certs.clientCert, '--key', certs.clientKey]);
    expect(insecure.code).toBe(0);
  });

  it('prints a refused handshake as one error record with its status, headers and body, and exits 1', async () => {
    const body = 'Too many WebSocket connections';
    const busy = await startRawPeer((_h, s) => s.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    try {
      const run = await connect([`ws://127.0.0.1:${busy.port}/`]);
      expect(run.code).toBe(1);
      expect(run.records).toEqual([
        {
          type: 'error',
          message: `The server is unavailable (503 Service Unavailable): it is at its connection limit or temporarily overloaded. It asks to retry after 2 seconds. The server said: "${body}".`,
          status: 503,
          statusText: 'Service Unavailable',
          headers: [
            ['Retry-After', '2'],
            ['Content-Type', 'text/plain'],
            ['Content-Length', String(body.length)],
          ],
          body,
        },
      ]);
    } finally {
      await busy.stop();
    }
  });

  it('writes secrets as <redacted> on stdout, on stderr and in --record, unless --include-secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-cli-secrets-'));
    const url = `ws://ada:pw-s3cret@127.0.0.1:${plain.port}/echo?access_token=tok-123&tag=secrets`;
    const headers = ['-H', 'Cookie: sid=cookie-456', '-H', 'X-Api-Key: key-789', '-H', 'X-Custom: custom-000'];
    const basic = Buffer.from('ada:pw-s3cret').toString('base64');
    const secrets = ['pw-s3cret', basic, 'tok-123', 'cookie-456', 'key-789'];
    const everything = (run: Run, har: string) => `${JSON.stringify(run.records)}\n${run.stderr}\n${readFileSync(har, 'utf8')}`;

    const redacted = await connect([url, ...headers, '--secret-header', 'x-custom', '--send', 'hi', '--record', join(dir, 'redacted.har')]);
    expect(redacted.code).toBe(0);
    const shown = everything(redacted, join(dir, 'redacted.har'));
    for (const secret of [...secrets, 'custom-000']) expect(shown).not.toContain(secret);
    const request = (redacted.records[0] as { request: { url: string; headers: Array<[string, string]> } }).request;
    expect(request.url).toBe(`ws://127.0.0.1:${plain.port}/echo?access_token=<redacted>&tag=secrets`);
    expect(request.headers.filter(([, v]) => v === '<redacted>').map(([n]) => n.toLowerCase()).sort()).toEqual(['authorization', 'cookie', 'x-api-key', 'x-custom']);
    // The server still got the real credentials: only what Framescope writes is redacted.
    expect((await plain.waitFor((e) => e.event === 'open' && String(e.path).includes('tag=secrets'))).path).toContain('access_token=tok-123');

    const included = await connect([url, ...headers, '--include-secrets', '--send', 'hi', '--record', join(dir, 'included.har')]);
    expect(included.code).toBe(0);
    const all = everything(included, join(dir, 'included.har'));
    for (const secret of [...secrets.slice(1), 'custom-000']) expect(all).toContain(secret);

    const badName = await connect([url, '--secret-header', 'X Bad']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/--secret-header: "X Bad" is not a header name/);
  });

  it('writes --record readable by its owner alone (0600), replacing a 0644 file, and writes into a pipe as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-cli-mode-'));
    const har = join(dir, 'run.har');
    writeFileSync(har, 'an older run', { mode: 0o644 });
    const before = process.umask(0o022);
    try {
      expect((await connect([`ws://127.0.0.1:${plain.port}/echo`, '--send', 'hi', '--record', har])).code).toBe(0);
    } finally {
      process.umask(before);
    }
    expect(statSync(har).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(har, 'utf8')).log.version).toBe('1.2');
    expect(readdirSync(dir)).toEqual(['run.har']);

    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // A reader on the pipe, as `connect --record >(jq …)` would have; the read ends with the writer.
    const reader = readFile(fifo, 'utf8');
    expect((await connect([`ws://127.0.0.1:${plain.port}/echo`, '--send', 'hi', '--record', fifo])).code).toBe(0);
    expect(JSON.parse(await reader).log.version).toBe('1.2');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('redacts the headers of a refused handshake in its error record', async () => {
    const refusing = await startRawPeer((_h, s) =>
      s.end('HTTP/1.1 401 Unauthorized\r\nSet-Cookie: session=cookie-from-server\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'),
    );
    try {
      const run = await connect([`ws://127.0.0.1:${refusing.port}/?access_token=tok-123`, '-H', 'Authorization: Bearer bearer-abc']);
      expect(run.code).toBe(1);
      expect(JSON.stringify(run.records) + run.stderr).not.toMatch(/cookie-from-server|tok-123|bearer-abc/);
      expect(run.records[0]).toMatchObject({ type: 'error', status: 401, headers: expect.arrayContaining([['Set-Cookie', '<redacted>']]) });
    } finally {
      await refusing.stop();
    }
  });

  it('prints connection failures as error records, and usage errors on stderr with exit 2', async () => {
    const refused = await connect(['ws://127.0.0.1:1/']);
    expect(refused).toMatchObject({ code: 1, records: [{ type: 'error', message: 'Connection refused by 127.0.0.1:1: nothing is listening on that port' }] });
    const badUrl = await connect(['localhost:8080/chat']);
    expect(badUrl).toMatchObject({ code: 2, records: [{ type: 'error', message: "url: 'localhost:8080/chat' is not a ws:// or wss:// URL (did you mean 'ws://localhost:8080/chat'?)" }] });
    const noUrl = await connect([]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/^framescope connect: give the URL to connect to\n\nUsage: framescope connect URL/);
    const badHex = await connect(['ws://127.0.0.1:1/', '--send-hex', '0g']);
    expect(badHex.code).toBe(2);
    expect(badHex.stderr).toMatch(/--send-hex '0g': invalid hex digit 'g' at column 2/);
    const badClose = await connect(['ws://127.0.0.1:1/', '--close', 'soon']);
    expect(badClose.stderr).toMatch(/--close: 'soon' is not a close code/);
    const half = await connect(['ws://127.0.0.1:1/', '--cert', 'c.pem']);
    expect(half.stderr).toMatch(/--cert and --key go together/);
  });
});
