/**
 * The workbench against Framescope's own embedded echo server, through the Workspace's
 * handlers as the renderer calls them: every payload kind, templates with variables,
 * fragments, pings, closes (valid, and invalid on purpose), raw frames, periodic sends,
 * several connections at once, and auto-reconnect with every attempt visible.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { makeCerts, startRawPeer } from './peers';
import { bench, rowsOf, value, waitForInfo, type Bench } from './workbench-helpers';

let b: Bench;
afterEach(async () => b?.dispose());

async function echo(): Promise<string> {
  b = bench();
  return `${value(await b.workspace.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] })).url}/echo`;
}

/** Text previews of a connection's received data frames. */
const received = (id: string): string[] => rowsOf(b.workspace, id).filter((r) => r.direction === 'in' && (r.opcode === 1 || r.opcode === 2)).map((r) => r.preview);

describe('sending', () => {
  it('sends text, JSON, hex, base64 and files, and the echo comes back', async () => {
    const url = await echo();
    const c = value(await b.workspace.handlers.connect({ url, deflate: false }));
    const h = b.workspace.handlers;
    expect(value(await h.sendText({ connectionId: c.id, text: 'plain' }))).toEqual({ bytes: 5 });
    expect(value(await h.send({ connectionId: c.id, payload: { kind: 'json', text: '{"op": "sub", "topic": "a"}' } }))).toEqual({ bytes: 27, frames: 1 });
    expect(value(await h.send({ connectionId: c.id, payload: { kind: 'hex', text: '00 ff 10' } }))).toEqual({ bytes: 3, frames: 1 });
    expect(value(await h.send({ connectionId: c.id, payload: { kind: 'base64', text: 'aGk=' } }))).toEqual({ bytes: 2, frames: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'fs-send-'));
    writeFileSync(join(dir, 'msg.txt'), 'from a file');
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([1, 2, 3, 4]));
    expect(value(await h.send({ connectionId: c.id, payload: { kind: 'file', path: join(dir, 'msg.txt') } }))).toEqual({ bytes: 11, frames: 1 });
    expect(value(await h.send({ connectionId: c.id, payload: { kind: 'file', path: join(dir, 'blob.bin'), binary: true } }))).toEqual({ bytes: 4, frames: 1 });
    await expect.poll(() => received(c.id).length).toBe(6);
    const rows = rowsOf(b.workspace, c.id).filter((r) => r.direction === 'in');
    expect(rows.map((r) => r.opcode)).toEqual([1, 1, 2, 2, 1, 2]);
    expect(rows[0].preview).toBe('plain');
    expect(rows[4].preview).toBe('from a file');
  });

  it('refuses bad input with a message pointing at the culprit, and the connection stays usable', async () => {
    const url = await echo();
    const c = value(await b.workspace.handlers.connect({ url }));
    const h = b.workspace.handlers;
    expect(await h.send({ connectionId: c.id, payload: { kind: 'hex', text: '48 6g' } })).toEqual({ ok: false, error: "hex: invalid hex digit 'g' at column 5" });
    expect(await h.send({ connectionId: c.id, payload: { kind: 'base64', text: 'aGk*' } })).toEqual({ ok: false, error: "base64: invalid base64 character '*' at column 4" });
    expect(await h.send({ connectionId: c.id, payload: { kind: 'json', text: '{"a": 1,}' } })).toEqual({
      ok: false,
      error: "JSON: trailing comma at column 8 before '}': JSON does not allow a comma after the last element",
    });
    expect(await h.send({ connectionId: c.id, payload: { kind: 'text', text: 'x\ud800y' } })).toMatchObject({ ok: false, error: expect.stringMatching(/^text: an unpaired surrogate at column 2/) });
    expect(await h.send({ connectionId: c.id, payload: { kind: 'file', path: '/nonexistent/f' } })).toEqual({ ok: false, error: 'cannot read file /nonexistent/f: no such file' });
    expect(await h.send({ connectionId: c.id, payload: { kind: 'text', text: 'x' }, fragments: 0 })).toMatchObject({ ok: false, error: expect.stringMatching(/^fragments: 0 is not a whole number/) });
    expect(await h.ping({ connectionId: c.id, payload: { kind: 'text', text: 'p'.repeat(126) } })).toMatchObject({ ok: false, error: expect.stringMatching(/at most 125 bytes \(RFC 6455 §5\.5\).*raw mode/) });
    expect(await h.sendText({ connectionId: 'c999', text: 'x' })).toEqual({ ok: false, error: "no client connection 'c999'" });
    value(await h.sendText({ connectionId: c.id, text: 'still here' }));
    await expect.poll(() => received(c.id)).toEqual(['still here']);
  });

  it('expands template variables per connection: {{counter}}, {{timestamp}}, {{random}}', async () => {
    const url = await echo();
    const h = b.workspace.handlers;
    const a = value(await h.connect({ url }));
    const other = value(await h.connect({ url }));
    const payload = { kind: 'json' as const, text: '{"n": {{counter}}, "at": {{timestamp}}, "r": {{random}}}' };
    for (let i = 0; i < 2; i++) value(await h.send({ connectionId: a.id, payload, template: true }));
    value(await h.send({ connectionId: other.id, payload, template: true }));
    await expect.poll(() => received(a.id).length + received(other.id).length).toBe(3);
    const parse = (s: string) => JSON.parse(s) as { n: number; at: number; r: number };
    expect(received(a.id).map((s) => parse(s).n)).toEqual([1, 2]);
    expect(parse(received(other.id)[0]).n).toBe(1); // each connection counts on its own
    expect(parse(received(a.id)[0]).at).toBeGreaterThan(Date.now() - 60_000);
    expect(await h.send({ connectionId: a.id, payload: { kind: 'text', text: '{{cuonter}}' }, template: true })).toEqual({
      ok: false,
      error: "template: unknown variable 'cuonter' at column 1; known variables: counter, timestamp, iso, random, randomInt:MIN:MAX, uuid",
    });
    // Without template: true the braces are sent as typed.
    value(await h.sendText({ connectionId: other.id, text: '{{counter}}' }));
    await expect.poll(() => received(other.id)[1]).toBe('{{counter}}');
  });

  it('sends a message in N fragments, and measures a ping’s round trip', async () => {
    const url = await echo();
    const c = value(await b.workspace.handlers.connect({ url, deflate: false }));
    expect(value(await b.workspace.handlers.send({ connectionId: c.id, payload: { kind: 'text', text: 'abcdefgh' }, fragments: 3 }))).toEqual({ bytes: 8, frames: 3 });
    await expect.poll(() => rowsOf(b.workspace, c.id).filter((r) => r.direction === 'out').map((r) => [r.opcode, r.fin, r.length])).toEqual([
      [1, false, 3],
      [0, false, 3],
      [0, true, 2],
    ]);
    await expect.poll(() => received(c.id)).toEqual(['abcdefgh']);
    const { rttMs } = value(await b.workspace.handlers.ping({ connectionId: c.id, payload: { kind: 'text', text: 'rtt?' } }));
    expect(rttMs).toBeGreaterThan(0);
    expect(rttMs).toBeLessThan(1000);
  });
});

describe('closing', () => {
  it('closes with a chosen code and reason, validated against RFC 6455 §7.4', async () => {
    const url = await echo();
    const h = b.workspace.handlers;
    const c = value(await h.connect({ url }));
    expect(await h.closeConnection({ connectionId: c.id, code: 1005 })).toEqual({
      ok: false,
      error: '1005 (no status received) must not be sent; it only reports locally that a Close frame had no code (RFC 6455 §7.4.1)',
    });
    expect(await h.closeConnection({ connectionId: c.id, code: 3000, reason: 'é'.repeat(62) })).toMatchObject({ ok: false, error: expect.stringMatching(/the reason is 124 bytes in UTF-8; at most 123 fit/) });
    expect(b.latest(c.id)?.state).toBe('open');
    value(await h.closeConnection({ connectionId: c.id, code: 4000, reason: 'test over' }));
    const closed = await waitForInfo(b, c.id, (i) => i.state === 'closed');
    expect(closed).toMatchObject({ closeCode: 4000, closeReason: 'test over' });
    expect(closed.error).toBeUndefined();
  });

  it('sends a forbidden close code on purpose, and shows how the server answers it', async () => {
    const url = await echo();
    const c = value(await b.workspace.handlers.connect({ url, deflate: false }));
    expect(value(await b.workspace.handlers.closeConnection({ connectionId: c.id, code: 1005, allowInvalid: true })).state).toBe('closing');
    const closed = await waitForInfo(b, c.id, (i) => i.state === 'closed' || i.state === 'failed');
    // The server must fail the connection (RFC 6455 §7.4.1: 1005 is never sent); ws answers 1002.
    expect(closed.closeCode).toBe(1002);
    const closes = rowsOf(b.workspace, c.id).filter((r) => r.opcode === 8);
    expect(closes.map((r) => r.direction)).toEqual(['out', 'in']);
    expect(b.logs.some((l) => /close: 1005 \(no status received\) must not be sent/.test(l.message))).toBe(true);
  });

  it('closes while still connecting, and an unknown connection is an error', async () => {
    b = bench();
    const h = b.workspace.handlers;
    const silent = await startRawPeer(() => {});
    try {
      const pending = h.connect({ url: `ws://127.0.0.1:${silent.port}/` });
      await waitForInfo(b, 'c1', (i) => i.state === 'connecting');
      await silent.waitForBytes((bytes) => bytes.includes('\r\n\r\n'));
      expect(value(await h.closeConnection({ connectionId: 'c1' })).state).toBe('closed');
      expect(value(await pending)).toMatchObject({ id: 'c1', state: 'closed' });
      expect(b.infos.some((i) => i.state === 'failed')).toBe(false);
    } finally {
      await silent.stop();
    }
    expect(await h.closeConnection({ connectionId: 'nope' })).toEqual({ ok: false, error: "no client connection 'nope'" });
  });
});

describe('raw mode', () => {
  it('writes crafted frames to the socket as they are, and the capture shows them', async () => {
    const url = await echo();
    const c = value(await b.workspace.handlers.connect({ url, deflate: false }));
    const r = value(
      await b.workspace.handlers.sendRaw({
        connectionId: c.id,
        frames: [
          { opcode: 1, fin: false, rsv1: false, rsv2: false, rsv3: false, mask: { keyHex: '01020304' }, payload: { kind: 'text', text: 'par' } },
          { opcode: 0, fin: true, rsv1: false, rsv2: false, rsv3: false, mask: 'random', payload: { kind: 'text', text: 'tial' }, lengthEncoding: 16 },
        ],
      }),
    );
    expect(r).toEqual({ bytes: 6 + 3 + 8 + 4 });
    const out = rowsOf(b.workspace, c.id).filter((row) => row.direction === 'out');
    expect(out.filter((row) => !row.violation).map((row) => [row.opcode, row.fin, row.length])).toEqual([
      [1, false, 3],
      [0, true, 4],
    ]);
    // The non-minimal length encoding is a violation the decoder reports on our own frame (RFC 6455 §5.2)…
    expect(out.filter((row) => row.violation)).toHaveLength(1);
    // …which ws, on the server side, tolerates: it reassembles the two frames and echoes the message.
    await expect.poll(() => received(c.id)).toEqual(['partial']);
    expect(b.logs.some((l) => /raw frame: frames\[1\] \(continuation\): 16-bit length encoding for 4 is not minimal/.test(l.message))).toBe(true);
  });

  it('refuses only what cannot be put into bits', async () => {
    const url = await echo();
    const c = value(await b.workspace.handlers.connect({ url }));
    const frame = { opcode: 9, fin: true, rsv1: false, rsv2: false, rsv3: false, mask: 'random' as const, payload: { kind: 'hex' as const, text: '00'.repeat(300) } };
    expect(await b.workspace.handlers.sendRaw({ connectionId: c.id, frames: [{ ...frame, lengthEncoding: 7 }] })).toEqual({
      ok: false,
      error: 'frames[0]: length 300 does not fit the 7-bit length field (it holds 0–125; 126 and 127 announce the longer encodings)',
    });
    expect(await b.workspace.handlers.sendRaw({ connectionId: c.id, frames: [{ ...frame, mask: { keyHex: '0102' } }] })).toEqual({
      ok: false,
      error: 'frames[0].mask: a masking key is 4 bytes (8 hex digits), got 2 (RFC 6455 §5.3)',
    });
    expect(await b.workspace.handlers.sendRaw({ connectionId: c.id, frames: [{ ...frame, opcode: 16 }] })).toEqual({
      ok: false,
      error: 'frames[0].opcode: 16 is not a 4-bit opcode (0 to 15, RFC 6455 §5.2)',
    });
    // An oversized ping is allowed in raw mode, with a note.
    expect(value(await b.workspace.handlers.sendRaw({ connectionId: c.id, frames: [frame] }))).toEqual({ bytes: 2 + 2 + 4 + 300 });
    expect(b.logs.some((l) => /a control frame with 300 payload bytes \(at most 125, RFC 6455 §5\.5\)/.test(l.message))).toBe(true);
  });
});

describe('automation', () => {
  it('sends periodically with a template, count-limited, and can be stopped', async () => {
    const url = await echo();
    const h = b.workspace.handlers;
    const c = value(await h.connect({ url }));
    expect(value(await h.startPeriodic({ connectionId: c.id, intervalMs: 20, message: 'alive {{counter}}', count: 3 }))).toEqual({ running: true });
    await expect.poll(() => received(c.id)).toEqual(['alive 1', 'alive 2', 'alive 3']);
    expect((await waitForInfo(b, c.id, (i) => i.periodic?.running === false)).periodic).toEqual({ running: false, sent: 3, count: 3, intervalMs: 20 });

    value(await h.startPeriodic({ connectionId: c.id, intervalMs: 10, message: 'poll', count: 0 }));
    expect(await h.startPeriodic({ connectionId: c.id, intervalMs: 10, message: 'x', count: 0 })).toEqual({ ok: false, error: 'a periodic send is already running on this connection; stop it first' });
    await expect.poll(() => received(c.id).filter((t) => t === 'poll').length).toBeGreaterThanOrEqual(3);
    const stopped = value(await h.stopPeriodic({ connectionId: c.id }));
    expect(stopped.running).toBe(false);
    expect(stopped.sent).toBeGreaterThanOrEqual(3);
    expect(await h.startPeriodic({ connectionId: c.id, intervalMs: 0, message: 'x', count: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/^interval: 0 is not a whole number/) });
    expect(await h.startPeriodic({ connectionId: c.id, intervalMs: 10, message: '{{nope}}', count: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/^message: unknown variable 'nope'/) });
  });

  it('keeps several connections apart, each with its own frames', async () => {
    const url = await echo();
    const h = b.workspace.handlers;
    const [x, y] = await Promise.all([h.connect({ url }), h.connect({ url })]).then((rs) => rs.map(value));
    expect(x.id).not.toBe(y.id);
    value(await h.sendText({ connectionId: x.id, text: 'to x' }));
    value(await h.sendText({ connectionId: y.id, text: 'to y' }));
    await expect.poll(() => [received(x.id), received(y.id)]).toEqual([['to x'], ['to y']]);
  });
});

describe('auto-reconnect', () => {
  /** A ws server that can be stopped and started again on the same port. */
  async function restartable(port = 0): Promise<{ port: number; server: Server; wss: WebSocketServer; stop(): Promise<void> }> {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      server,
      wss,
      stop: async () => {
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('reconnects with backoff after a drop, publishing and logging every attempt', async () => {
    b = bench();
    let server = await restartable();
    const port = server.port;
    const c = value(
      await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${port}/`, reconnect: { enabled: true, maxAttempts: 20, initialDelayMs: 20, maxDelayMs: 40 } }),
    );
    expect(c).toMatchObject({ state: 'open', attempt: 1, reconnect: { maxAttempts: 20 } });
    await server.stop();
    // The drop, then attempts that are refused while the server is down…
    await waitForInfo(b, c.id, (i) => i.state === 'failed' && (i.attempt ?? 0) >= 3);
    server = await restartable(port);
    try {
      // …and the one that gets through once it is back.
      const back = await waitForInfo(b, c.id, (i) => i.state === 'open' && (i.attempt ?? 0) >= 3);
      const attempts = b.infos.filter((i) => i.id === c.id && i.state === 'connecting').map((i) => i.attempt);
      expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
      expect(attempts.at(-1)).toBe(back.attempt);
      const waits = b.infos.filter((i) => i.id === c.id && i.reconnect?.nextAttemptAt !== undefined);
      expect(waits.length).toBeGreaterThanOrEqual(2);
      expect(waits.every((i) => i.reconnect!.delayMs! >= 10 && i.reconnect!.delayMs! <= 40)).toBe(true);
      const messages = b.logs.filter((l) => l.source === `client ${c.id}`).map((l) => l.message);
      expect(messages).toContain(`reconnect attempt 1 of 20 to ws://127.0.0.1:${port}/`);
      expect(messages.some((m) => /^attempt 1 of 20: Connection refused by 127\.0\.0\.1:\d+/.test(m))).toBe(true);
      value(await b.workspace.handlers.sendText({ connectionId: c.id, text: 'back again' }));
      await expect.poll(() => received(c.id).at(-1)).toBe('back again');
      // A close the person asked for is not followed by a reconnect.
      value(await b.workspace.handlers.closeConnection({ connectionId: c.id }));
      await waitForInfo(b, c.id, (i) => i.state === 'closed');
      await new Promise((r) => setTimeout(r, 100));
      expect(b.latest(c.id)?.state).toBe('closed');
    } finally {
      await server.stop();
    }
  });

  it('gives up after the attempt limit, and says so', async () => {
    b = bench();
    const c = value(await b.workspace.handlers.connect({ url: 'ws://127.0.0.1:1/', reconnect: { enabled: true, maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 } }));
    expect(c.state).toBe('failed');
    const gaveUp = await waitForInfo(b, c.id, (i) => i.reconnect?.gaveUp === true);
    expect(gaveUp).toMatchObject({ state: 'failed', attempt: 3, reconnect: { maxAttempts: 2, gaveUp: true } });
    expect(b.logs.map((l) => l.message)).toContain('gave up reconnecting to ws://127.0.0.1:1/ after 2 attempts');
  });

  it('cancels a scheduled reconnect when the person closes the connection', async () => {
    b = bench();
    const c = value(await b.workspace.handlers.connect({ url: 'ws://127.0.0.1:1/', reconnect: { enabled: true, maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 200 } }));
    expect(c.reconnect?.nextAttemptAt).toBeGreaterThan(Date.now());
    const closed = value(await b.workspace.handlers.closeConnection({ connectionId: c.id }));
    expect(closed).toMatchObject({ state: 'closed', reconnect: { maxAttempts: 5 } });
    expect(closed.error).toMatch(/^Connection refused/);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.infos.filter((i) => i.id === c.id && i.state === 'connecting')).toHaveLength(1);
  });
});

describe('the embedded server over wss://, and its handshake policy', () => {
  it('connects over wss:// verifying against a CA, and to a self-signed listener with verification off', async () => {
    b = bench();
    const certs = await makeCerts();
    const h = b.workspace.handlers;
    const files = value(await h.startServer({ port: 0, tls: { mode: 'files', certFile: certs.serverCert, keyFile: certs.serverKey }, routes: [{ path: '/echo', app: 'echo' }] }));
    const verified = value(await h.connect({ url: `${files.url.replace('127.0.0.1', 'localhost')}/echo`, tls: { verify: true, caFile: certs.caCert } }));
    expect(verified.state).toBe('open');
    value(await h.sendText({ connectionId: verified.id, text: 'over TLS' }));
    await expect.poll(() => received(verified.id)).toEqual(['over TLS']);
    const view = value(await h.getHandshake({ connectionId: verified.id }));
    expect(view.tls).toMatchObject({ authorized: true, chain: [expect.objectContaining({ subject: 'CN=localhost', issuer: 'CN=Framescope Test CA' }), expect.anything()] });

    const selfSigned = value(await h.startServer({ port: 0, tls: { mode: 'self-signed' }, routes: [{ path: '/echo', app: 'echo' }] }));
    expect(value(await h.connect({ url: `${selfSigned.url}/echo` })).error).toMatch(/^TLS: 127\.0\.0\.1:\d+ presented a self-signed certificate/);
    const insecure = value(await h.connect({ url: `${selfSigned.url}/echo`, tls: { verify: false } }));
    expect(insecure.state).toBe('open');
    expect(value(await h.getHandshake({ connectionId: insecure.id })).tls).toMatchObject({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('shows the 401 of a server that wants credentials, the 503 of one at its connection limit, and the subprotocol it chose', async () => {
    b = bench();
    const h = b.workspace.handlers;
    const server = value(
      await h.startServer({
        port: 0,
        policy: { maxConnections: 1, retryAfterSeconds: 3, credentials: { kind: 'basic', username: 'clown', password: 'bigclown' }, subprotocols: ['v2'] },
        routes: [{ path: '/echo', app: 'echo' }],
      }),
    );
    const anonymous = value(await h.connect({ url: `${server.url}/echo` }));
    expect(anonymous.error).toMatch(/^The server requires authentication \(401 Unauthorized\) using Basic; supply credentials/);
    const withCredentials = server.url.replace('ws://', 'ws://clown:bigclown@');
    const first = value(await h.connect({ url: `${withCredentials}/echo`, subprotocols: ['v1', 'v2'] }));
    expect(first).toMatchObject({ state: 'open', subprotocol: 'v2' });
    const second = value(await h.connect({ url: `${withCredentials}/echo` }));
    expect(second.error).toMatch(/^The server is unavailable \(503 Service Unavailable\): it is at its connection limit or temporarily overloaded\. It asks to retry after 3 seconds\./);
    const view = value(await h.getHandshake({ connectionId: second.id }));
    expect(view.response).toMatchObject({ status: 503, headers: expect.arrayContaining([['Retry-After', '3']]) });
  });
});
