import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import {
  buildConnectUrl,
  DEFAULT_CONNECT_OPTIONS,
  loadTlsMaterial,
  resolveRequest,
  validateConnectOptions,
  type ConnectOptions,
} from '../../src/main/core/client/connect-options';

function valid(input: unknown): ConnectOptions {
  const r = validateConnectOptions(input);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function errorsOf(input: unknown): string[] {
  const r = validateConnectOptions(input);
  if (r.ok) throw new Error('expected errors');
  return r.errors.map((e) => `${e.field}: ${e.message}`);
}

describe('validateConnectOptions', () => {
  it('fills defaults for everything but the URL', () => {
    const v = valid({ url: 'ws://127.0.0.1:3000/network_load.lua' });
    expect(v).toEqual({ url: 'ws://127.0.0.1:3000/network_load.lua', ...DEFAULT_CONNECT_OPTIONS });
    expect(v.deflate).toEqual({ clientMaxWindowBits: true });
    expect(v.proxy).toBe('env');
  });

  it('maps http(s) to ws(s) like the WHATWG WebSocket constructor', () => {
    expect(valid({ url: 'http://example.com/chat' }).url).toBe('ws://example.com/chat');
    expect(valid({ url: 'https://example.com:8443/chat?x=1' }).url).toBe('wss://example.com:8443/chat?x=1');
    expect(valid({ url: 'HTTPS://u:p@Example.com/' }).url).toBe('wss://u:p@example.com/');
  });

  it('names the field and says what is wrong with a URL', () => {
    expect(errorsOf({ url: 'htp://x' })).toEqual(["url: 'htp://x' is not a ws:// or wss:// URL"]);
    expect(errorsOf({ url: 'example.com/ws' })).toEqual(["url: 'example.com/ws' is not a ws:// or wss:// URL (did you mean 'ws://example.com/ws'?)"]);
    expect(errorsOf({ url: 'localhost:8080/chat' })).toEqual(["url: 'localhost:8080/chat' is not a ws:// or wss:// URL (did you mean 'ws://localhost:8080/chat'?)"]);
    expect(errorsOf({ url: 'ws://h/#frag' })[0]).toMatch(/^url: .*has a fragment.*RFC 6455 §3/);
    expect(errorsOf({ url: '' })).toEqual(['url: is empty; enter a ws:// or wss:// URL']);
    expect(errorsOf({})).toEqual(['url: expected a string, got undefined undefined']);
    expect(errorsOf('ws://x')).toEqual(["(options): expected an object, got 'ws://x'"]);
  });

  it('reports every problem at once, each with its field', () => {
    const errs = errorsOf({
      url: 'ws://h/',
      subprotocol: ['chat'],
      headers: [
        ['X Bad', 'v'],
        ['X-Ok', 'a\r\nInjected: 1'],
        ['Sec-WebSocket-Key', 'abc'],
        ['X-Dup', '1'],
        ['x-dup', '2'],
        ['Sec-WebSocket-Protocol', 'chat'],
      ],
      subprotocols: ['chat', 'chat', 'bad name'],
      handshakeTimeoutMs: -5,
      deflate: { clientMaxWindowBits: 16, serverMaxWindowBits: true },
      tls: { certFile: '/c.pem', serverName: '10.0.0.1' },
      reconnect: { initialDelayMs: 5000, maxDelayMs: 1000 },
      proxy: 'socks5://p:1',
      auth: { kind: 'digest' },
      query: [['', 'x']],
      origin: 'https://a.example/path',
    });
    expect(errs).toEqual([
      'subprotocol: is not a connection option (known: url, query, headers, subprotocols, auth, origin, deflate, handshakeTimeoutMs, followRedirects, maxRedirects, tls, proxy, autoPong, reconnect)',
      'query[0]: the parameter name is empty',
      "auth.kind: expected 'none', 'basic' or 'bearer', got 'digest'",
      "origin: 'https://a.example/path' is not an origin; write scheme://host[:port] without a path, e.g. https://example.com (RFC 6454 §6.1)",
      "headers[0]: 'X Bad' is not a valid header name (RFC 9110 §5.6.2: letters, digits and !#$%&'*+-.^_`|~ only)",
      "headers[1]: the value of 'X-Ok' contains a line break or NUL, which would end the header early (RFC 9110 §5.5)",
      "headers[2]: 'Sec-WebSocket-Key' is generated for every handshake (RFC 6455 §4.1)",
      "headers[4]: 'x-dup' is given twice (also headers[3]); combine the values with ', '",
      "headers[5]: 'Sec-WebSocket-Protocol' comes from the subprotocols list; put the names there",
      "subprotocols[1]: 'chat' is listed twice; RFC 6455 §4.1 requires unique names",
      "subprotocols[2]: 'bad name' is not a valid subprotocol name (RFC 6455 §4.1: a token, no spaces or separators)",
      'deflate.clientMaxWindowBits: number 16 is not a window size; use a whole number from 8 to 15 (or true to offer the parameter without a value) (RFC 7692 §7.1.2)',
      'deflate.serverMaxWindowBits: boolean true is not a window size; use a whole number from 8 to 15 (RFC 7692 §7.1.2)',
      'handshakeTimeoutMs: -5 is out of range; it must be between 1 and 600000 ms',
      'tls.keyFile: is needed with tls.certFile (a client certificate needs its private key)',
      "tls.serverName: '10.0.0.1' is an IP address; SNI carries host names only (RFC 6066 §3)",
      "proxy: 'socks5://p:1' is a SOCKS proxy; only HTTP proxies (http:// or https://, using CONNECT) are supported",
      'reconnect.maxDelayMs: 1000 ms is less than reconnect.initialDelayMs (5000 ms)',
    ]);
    const r = validateConnectOptions({ url: 'htp://x' });
    expect(!r.ok && r.error).toBe("url: 'htp://x' is not a ws:// or wss:// URL");
  });

  it('names auth fields that hold objects instead of throwing on them', () => {
    // Found by test/fuzz (almostValidStore, seeds 1005505900 and 2027634356): String() threw on {"toString": {}}.
    const basic = validateConnectOptions({ url: 'ws://127.0.0.1:8080/echo', auth: { kind: 'basic', username: { toString: {} }, password: 'pw' } });
    expect(basic).toMatchObject({ ok: false, error: expect.stringContaining('auth.username') });
    const bearer = validateConnectOptions({ url: 'ws://127.0.0.1:8080/echo', auth: { kind: 'bearer', token: { toString: [] } } });
    expect(bearer).toMatchObject({ ok: false, error: expect.stringContaining('auth.token') });
  });

  it('catches Authorization and Origin given twice', () => {
    expect(errorsOf({ url: 'ws://h/', auth: { kind: 'bearer', token: 't' }, headers: [['Authorization', 'x']] })).toEqual([
      "headers[0]: 'Authorization' conflicts with the bearer auth setting; use one of them",
    ]);
    expect(errorsOf({ url: 'ws://u:p@h/', headers: [['authorization', 'x']] })[0]).toMatch(/conflicts with the user:password in the URL/);
    expect(errorsOf({ url: 'ws://h/', origin: 'https://a.test', headers: [['Origin', 'https://b.test']] })[0]).toMatch(/conflicts with the origin setting/);
  });

  it('accepts a complete, valid form', () => {
    const v = valid({
      url: 'wss://stream.example/socket',
      query: [['iffilter', '1']],
      headers: [['X-Trace', 'abc']],
      subprotocols: ['v2.chat', 'chat'],
      auth: { kind: 'basic', username: 'clown', password: 'bigclown' },
      origin: 'null',
      deflate: { clientMaxWindowBits: 10, serverNoContextTakeover: true },
      handshakeTimeoutMs: 3000,
      followRedirects: true,
      maxRedirects: 3,
      tls: { verify: false, caFile: '/ca.pem', serverName: 'stream.example' },
      proxy: 'http://proxy.local:3128',
      autoPong: false,
      reconnect: { enabled: true, maxAttempts: 0, initialDelayMs: 100, maxDelayMs: 5000 },
    });
    expect(v.deflate).toEqual({ clientMaxWindowBits: 10, serverNoContextTakeover: true });
    expect(v.origin).toBe('null');
    expect(v.reconnect.maxAttempts).toBe(0);
    expect(valid({ url: 'ws://h/', deflate: false }).deflate).toBe(false);
    expect(valid({ url: 'ws://h/', deflate: true }).deflate).toEqual({});
    expect(valid({ url: 'ws://h/', proxy: null }).proxy).toBeNull();
  });
});

describe('building the request', () => {
  it("appends the query editor's rows after the URL's own query, percent-encoded (ntopng connect(endpoint, params))", () => {
    const url = buildConnectUrl({ url: 'ws://127.0.0.1:3000/lua/network_load.lua?a=1', query: [['iffilter', '1'], ['q', 'a b+c&d'], ['iffilter', '2']] });
    expect(url).toBe('ws://127.0.0.1:3000/lua/network_load.lua?a=1&iffilter=1&q=a%20b%2Bc%26d&iffilter=2');
    expect(buildConnectUrl({ url: 'https://h/x', query: [['k', 'é']] })).toBe('wss://h/x?k=%C3%A9');
  });

  it('takes credentials out of the URL and into Authorization', () => {
    const opts = valid({ url: 'wss://clown:bigclown@localhost/auth/bridge', query: [['x', '1']], headers: [['X-A', '1']] });
    expect(resolveRequest(opts)).toEqual({
      ok: true,
      value: {
        url: 'wss://localhost/auth/bridge?x=1',
        headers: [
          ['X-A', '1'],
          ['Authorization', 'Basic Y2xvd246YmlnY2xvd24='],
        ],
        authSource: 'url',
        warnings: [],
      },
    });
  });
});

describe('loadTlsMaterial', () => {
  let dir: string;
  let files: Record<string, string>;
  let leafPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'framescope-tls-'));
    const opts = { keyType: 'ec' as const, algorithm: 'sha256' };
    const a = await selfsigned.generate([{ name: 'commonName', value: 'client-a' }], opts);
    const b = await selfsigned.generate([{ name: 'commonName', value: 'client-b' }], opts);
    const enc = await selfsigned.generate([{ name: 'commonName', value: 'client-enc' }], { ...opts, passphrase: 'sekrit' });
    const expired = await selfsigned.generate([{ name: 'commonName', value: 'old' }], {
      ...opts,
      notBeforeDate: new Date(Date.UTC(2020, 0, 1)),
      notAfterDate: new Date(Date.UTC(2020, 1, 1)),
    });
    leafPem = a.cert;
    files = {
      ca: join(dir, 'ca.pem'),
      caDer: join(dir, 'ca.der'),
      bundle: join(dir, 'bundle.pem'),
      certA: join(dir, 'a.crt'),
      keyA: join(dir, 'a.key'),
      keyB: join(dir, 'b.key'),
      certEnc: join(dir, 'enc.crt'),
      keyEnc: join(dir, 'enc.key'),
      certOld: join(dir, 'old.crt'),
      keyOld: join(dir, 'old.key'),
      notPem: join(dir, 'notes.txt'),
      wrongBlock: join(dir, 'key-as-ca.pem'),
      empty: join(dir, 'empty.pem'),
      subdir: join(dir, 'sub'),
    };
    await writeFile(files.ca, a.cert);
    await writeFile(files.caDer, new X509Certificate(a.cert).raw);
    await writeFile(files.bundle, a.cert + b.cert);
    await writeFile(files.certA, a.cert);
    await writeFile(files.keyA, a.private);
    await writeFile(files.keyB, b.private);
    await writeFile(files.certEnc, enc.cert);
    await writeFile(files.keyEnc, enc.private);
    await writeFile(files.certOld, expired.cert);
    await writeFile(files.keyOld, expired.private);
    await writeFile(files.notPem, 'hello');
    await writeFile(files.wrongBlock, a.private);
    await writeFile(files.empty, '');
    await mkdir(files.subdir);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a CA (PEM, DER or bundle) and a client certificate with its key', async () => {
    const r = await loadTlsMaterial({ verify: true, caFile: files.bundle, certFile: files.certA, keyFile: files.keyA, serverName: 'svc.test' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.ca).toHaveLength(2);
    expect(r.value.cert).toContain('BEGIN CERTIFICATE');
    expect(r.value.key).toContain('BEGIN PRIVATE KEY');
    expect(r.value).toMatchObject({ rejectUnauthorized: true, servername: 'svc.test', warnings: [] });
    const der = await loadTlsMaterial({ verify: true, caFile: files.caDer });
    expect(der.ok && new X509Certificate(der.value.ca![0]).fingerprint256).toBe(new X509Certificate(leafPem).fingerprint256);
  });

  it('names the file in every error', async () => {
    const err = async (s: Parameters<typeof loadTlsMaterial>[0]) => {
      const r = await loadTlsMaterial(s);
      return r.ok ? 'ok' : r.error;
    };
    expect(await err({ verify: true, caFile: '/x' })).toBe('cannot read CA file /x: no such file');
    expect(await err({ verify: true, caFile: files.subdir })).toBe(`cannot read CA file ${files.subdir}: is a directory, not a file`);
    expect(await err({ verify: true, caFile: files.empty })).toBe(`CA file ${files.empty} is empty`);
    expect(await err({ verify: true, caFile: files.notPem })).toBe(`CA file ${files.notPem} contains no certificate (expected PEM '-----BEGIN CERTIFICATE-----' or DER)`);
    expect(await err({ verify: true, caFile: files.wrongBlock })).toBe(`CA file ${files.wrongBlock} contains a PEM 'PRIVATE KEY' block, not a CERTIFICATE`);
    expect(await err({ verify: true, certFile: files.certA, keyFile: files.keyB })).toBe(
      `certificate file ${files.certA} and key file ${files.keyB} do not belong together (the key does not match the certificate's public key)`,
    );
    expect(await err({ verify: true, certFile: files.certEnc, keyFile: files.keyEnc })).toBe(`key file ${files.keyEnc}: the key is encrypted; enter its passphrase`);
    expect(await err({ verify: true, certFile: files.certEnc, keyFile: files.keyEnc, passphrase: 'nope' })).toBe(`key file ${files.keyEnc}: the passphrase is wrong`);
    expect(await err({ verify: true, certFile: files.certA, keyFile: join(dir, 'missing.key') })).toBe(`cannot read key file ${join(dir, 'missing.key')}: no such file`);
  });

  it('decrypts a passphrase-protected key and warns about an expired certificate', async () => {
    const r = await loadTlsMaterial({ verify: true, certFile: files.certEnc, keyFile: files.keyEnc, passphrase: 'sekrit' });
    expect(r.ok && r.value.key).toContain('BEGIN PRIVATE KEY');
    const old = await loadTlsMaterial({ verify: false, certFile: files.certOld, keyFile: files.keyOld });
    expect(old.ok && old.value.warnings[0]).toMatch(/^client certificate .*old\.crt expired on /);
  });

  let hasOpenssl = true;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    hasOpenssl = false;
  }

  it.runIf(hasOpenssl)('checks a PKCS#12 file and its passphrase', async () => {
    const pfx = join(dir, 'client.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-in', files.certA, '-inkey', files.keyA, '-out', pfx, '-passout', 'pass:p12pass'], { stdio: 'ignore' });
    const good = await loadTlsMaterial({ verify: true, pfxFile: pfx, passphrase: 'p12pass' });
    expect(good.ok && good.value.pfx?.length).toBeGreaterThan(0);
    const bad = await loadTlsMaterial({ verify: true, pfxFile: pfx, passphrase: 'wrong' });
    expect(!bad.ok && bad.error).toBe(`PKCS#12 file ${pfx}: the passphrase is wrong`);
    const notPfx = await loadTlsMaterial({ verify: true, pfxFile: files.notPem });
    expect(!notPfx.ok && notPfx.error).toMatch(new RegExp(`^PKCS#12 file ${files.notPem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it is not a PKCS#12`));
  });
});
