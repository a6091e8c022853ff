import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { EventBatcher } from '../../src/main/core/capture/event-batcher';
import { matchedIds } from '../../src/main/core/capture/frame-filter';
import { parseHar } from '../../src/main/core/capture/har';
import type { EventBatch } from '../../src/shared/contract';
import type { Result } from '../../src/shared/result';
import { eventually } from '../server/app-fakes';
import { append, Slabs } from './rows';
import { previewsOf } from '../../src/shared/preview';

const FIXTURE = join(import.meta.dirname, 'fixtures/chrome-devtools.har');

let workspace: Workspace | null = null;
afterEach(async () => {
  await workspace?.dispose();
  workspace = null;
});

function fresh(): Workspace {
  workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-io-')) });
  return workspace;
}

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got: ${result.error}`);
  return result.value;
}

/**
 * An echo server, a client on it, and some conversation: text, a message in three fragments
 * (echoed back in one frame), a ping. 8 frames each way, captured on both ends: 16 rows.
 */
async function conversation(ws: Workspace): Promise<string> {
  const server = value(await ws.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] }));
  const client = value(await ws.handlers.connect({ url: `${server.url}/echo` }));
  value(await ws.handlers.sendText({ connectionId: client.id, text: '{"op":"hello","n":1}' }));
  value(await ws.handlers.send({ connectionId: client.id, payload: { kind: 'text', text: 'one two three four' }, fragments: 3 }));
  value(await ws.handlers.ping({ connectionId: client.id, payload: { kind: 'text', text: 'p' } }));
  await expect.poll(() => ws.store.stats().frames, { timeout: 5000 }).toBeGreaterThanOrEqual(16);
  return client.id;
}

describe('HAR import', () => {
  it('opens a Chrome DevTools export as an offline connection with its messages and handshake', async () => {
    const ws = fresh();
    const result = value(await ws.handlers.importHar({ path: FIXTURE }));
    expect(result.skippedEntries).toBe(1);
    expect(result.frames).toBe(4);
    const [conn] = result.connections;
    expect(conn).toMatchObject({ role: 'imported', url: 'wss://example.test/live?room=7', state: 'closed', source: 'chrome-devtools.har' });
    const snapshot = value(await ws.handlers.getSnapshot({}));
    expect(snapshot.connections.map((c) => c.id)).toContain(conn.id);

    const handshake = value(await ws.handlers.getHandshake({ connectionId: conn.id }));
    expect(handshake.response?.status).toBe(101);
    // RFC 6455 §1.3's example key and accept value: the checklist passes it.
    expect(handshake.checks.find((c) => c.id === 'response.accept')?.pass).toBe(true);

    const rows = value(await ws.handlers.getRows({ fromId: 0, count: 10 }))!;
    expect(previewsOf(rows)).toEqual(['{"op":"subscribe","topic":"prices/eur"}', '{"topic":"prices/eur","bid":1.0842}', '00 ff 10 80', 'héllo ✓']);
    const binary = value(await ws.handlers.getFrame({ id: 2 }));
    expect(binary).toMatchObject({ opcode: 2, payloadHex: '00ff1080', direction: 'in' });
    const found = value(await ws.handlers.filterFrames({ query: { unit: 'frames', text: { pattern: 'bid', regex: false, caseSensitive: true } }, fromId: 0 }));
    expect(matchedIds(found)).toEqual([1]);
  });

  it('refuses a file that is not HAR, in words, and captures nothing', async () => {
    const ws = fresh();
    const dir = mkdtempSync(join(tmpdir(), 'fs-io-'));
    writeFileSync(join(dir, 'notes.txt'), 'just some notes');
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    const notJson = await ws.handlers.importHar({ path: join(dir, 'notes.txt') });
    expect(notJson).toMatchObject({ ok: false, error: expect.stringContaining('not a HAR file: it is not valid JSON') });
    const noLog = await ws.handlers.importHar({ path: join(dir, 'other.json') });
    expect(noLog).toMatchObject({ ok: false, error: expect.stringContaining("there is no 'log' object") });
    expect(await ws.handlers.importHar({ path: join(dir, 'missing.har') })).toMatchObject({ ok: false, error: expect.stringContaining('no such file') });
    expect(await ws.handlers.importHar({ text: '{"log":{"entries":[]}}', name: 'empty.har' })).toMatchObject({ ok: false });
    expect(ws.store.stats().frames).toBe(0);
  });

  it('takes an entry whose URL is relative, and keeps each import on connections of its own', async () => {
    const ws = fresh();
    const har = (url: string, data: string): string =>
      JSON.stringify({
        log: {
          version: '1.2',
          entries: [
            {
              startedDateTime: '2024-05-01T12:00:00.000Z',
              request: { method: 'GET', url, httpVersion: 'HTTP/1.1', headers: [] },
              response: { status: 101, statusText: 'Switching Protocols', httpVersion: 'HTTP/1.1', headers: [] },
              _resourceType: 'websocket',
              _webSocketMessages: [{ type: 'receive', time: 1714564800.5, opcode: 1, data }],
            },
          ],
        },
      });
    const first = value(await ws.handlers.importHar({ text: har('/socket?room=1', 'first'), name: 'relative.har' }));
    const handshake = value(await ws.handlers.getHandshake({ connectionId: first.connections[0].id }));
    expect(handshake.request?.raw).toContain('GET /socket?room=1 ');
    const second = value(await ws.handlers.importHar({ text: har('wss://example.test/live', 'second'), name: 'absolute.har' }));
    expect(second.connections[0].id).not.toBe(first.connections[0].id);
    const rows = value(await ws.handlers.getRows({ fromId: 0, count: 10 }))!;
    expect(previewsOf(rows)).toEqual(['first', 'second']);
    expect(rows.connectionIds[rows.connection[0]]).toBe(first.connections[0].id);
    expect(rows.connectionIds[rows.connection[1]]).toBe(second.connections[0].id);
  });
});

describe('export', () => {
  it('exports an imported connection whose URL does not parse, as the file had it', async () => {
    // Found by test/fuzz (almostDevToolsHar, seed -2100469652): the export threw "Invalid URL".
    const ws = fresh();
    const har = { log: { entries: [{ _resourceType: 'websocket', startedDateTime: '1970-01-01T00:00:00.000Z', request: { url: 'ws://[', headers: [] }, _webSocketMessages: [{ type: 'send', time: 0, opcode: '1', data: '' }] }] } };
    value(await ws.handlers.importHar({ text: JSON.stringify(har) }));
    const exported = JSON.parse(value(await ws.handlers.exportCapture({ format: 'har' })).text!);
    expect(exported.log.entries[0].request).toMatchObject({ url: 'ws://[', queryString: [] });
  });

  it('writes HAR that DevTools-compatible readers (and Framescope) open again, with fragments joined', async () => {
    const ws = fresh();
    const client = await conversation(ws);
    const har = value(await ws.handlers.exportCapture({ format: 'har', connectionIds: [client] }));
    expect(har.text).toBeDefined();
    expect(har.fileName).toMatch(/^framescope-.*\.har$/);
    const parsed = parseHar(har.text!);
    if (!parsed.ok) throw new Error(parsed.error);
    const [entry] = parsed.value.connections;
    expect(entry.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/echo$/);
    expect(entry.response?.status).toBe(101);
    expect(entry.request.headers.some(([n]) => n.toLowerCase() === 'sec-websocket-key')).toBe(true);
    // Data messages only (Chrome leaves control frames out), the fragmented one whole.
    // (Sends and echoes interleave as the network has it: compare per direction.)
    const of = (type: string) => entry.messages.filter((m) => m.type === type).map((m) => m.data);
    expect(of('send')).toEqual(['{"op":"hello","n":1}', 'one two three four']);
    expect(of('receive')).toEqual(['{"op":"hello","n":1}', 'one two three four']);
    expect(entry.messages).toHaveLength(4);
    // And back in: an offline copy of the same conversation.
    const imported = value(await ws.handlers.importHar({ text: har.text!, name: har.fileName }));
    expect(imported.frames).toBe(4);
  });

  it('does not pass the DEFLATE bytes of a message it could not inflate off as its text', async () => {
    const ws = fresh();
    append(ws.store, { conn: 'c1', opcode: 1, rsv1: true, payload: new Uint8Array([0xf2, 0x48, 0xcd, 0xc9]) }); // no inflated copy
    append(ws.store, { conn: 'c1', opcode: 1, payload: 'plain' });
    const har = value(await ws.handlers.exportCapture({ format: 'har' }));
    const parsed = parseHar(har.text!);
    if (!parsed.ok) throw new Error(parsed.error);
    const messages = parsed.value.connections.flatMap((c) => c.messages);
    expect(messages.map((m) => m.type)).toEqual(['error', 'receive']);
    expect(messages[0].data).toContain('could not be inflated');
    expect(messages[1].data).toBe('plain');
  });

  it('writes NDJSON with every header field to a path, through a partial file renamed at the end', async () => {
    const ws = fresh();
    await conversation(ws);
    const dir = mkdtempSync(join(tmpdir(), 'fs-out-'));
    const result = value(await ws.handlers.exportCapture({ format: 'ndjson', path: join(dir, 'frames.ndjson') }));
    expect(result.path).toBe(join(dir, 'frames.ndjson'));
    expect(readdirSync(dir)).toEqual(['frames.ndjson']);
    const lines = readFileSync(result.path!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(ws.store.stats().frames);
    expect(result.records).toBe(lines.length);
    const first = lines[0];
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining(['id', 'connectionId', 'time', 'flow', 'type', 'direction', 'offset', 'fin', 'rsv1', 'rsv2', 'rsv3', 'opcode', 'opcodeName', 'masked', 'maskKey', 'length', 'lengthEncoding', 'headerLength', 'payloadHex']),
    );
    const clientOut = lines.find((l) => l.connectionId === 'c1' && l.flow === 'out');
    expect(clientOut).toMatchObject({ direction: 'client', masked: true, maskKey: expect.stringMatching(/^[0-9a-f]{8}$/), headerLength: 6 });
    const fragments = lines.filter((l) => l.connectionId === 'c1' && l.flow === 'out' && l.opcode !== 9 && l.opcode !== 10).slice(1);
    expect(fragments.map((l) => [l.opcode, l.fin])).toEqual([[1, false], [0, false], [0, true]]);
    // A folder as the target: the file gets its default name inside it.
    const intoFolder = value(await ws.handlers.exportCapture({ format: 'har', path: dir }));
    expect(intoFolder.path).toMatch(/framescope-.*\.har$/);
  });

  it('explains a path it cannot write, and leaves nothing behind', async () => {
    const ws = fresh();
    await conversation(ws);
    const dir = mkdtempSync(join(tmpdir(), 'fs-bad-'));
    writeFileSync(join(dir, 'a-file'), 'keep me');
    const missing = await ws.handlers.exportCapture({ format: 'har', path: join(dir, 'no/such/folder/x.har') });
    expect(missing).toMatchObject({ ok: false, error: expect.stringContaining('does not exist') });
    const underFile = await ws.handlers.exportCapture({ format: 'ndjson', path: join(dir, 'a-file/x.ndjson') });
    expect(underFile).toMatchObject({ ok: false, error: expect.stringMatching(/not a folder|does not exist/) });
    expect(readdirSync(dir)).toEqual(['a-file']);
    expect(readFileSync(join(dir, 'a-file'), 'utf8')).toBe('keep me');
    expect(await ws.handlers.exportCapture({ format: 'xml' as never })).toMatchObject({ ok: false });
    expect(await ws.handlers.exportCapture({ format: 'ndjson', connectionIds: 'c1' as never })).toMatchObject({ ok: false, error: expect.stringContaining('connectionIds') });
  });

  it('leaves a file that is already there alone unless told to replace it', async () => {
    const ws = fresh();
    await conversation(ws);
    const dir = mkdtempSync(join(tmpdir(), 'fs-exists-'));
    const target = join(dir, 'capture.har');
    writeFileSync(target, 'yesterday’s capture');
    const refused = await ws.handlers.exportCapture({ format: 'har', path: target });
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('already exists, so nothing was written') });
    expect(readFileSync(target, 'utf8')).toBe('yesterday’s capture');
    expect(readdirSync(dir)).toEqual(['capture.har']);
    const replaced = value(await ws.handlers.exportCapture({ format: 'har', path: target, overwrite: true }));
    expect(replaced.path).toBe(target);
    expect(JSON.parse(readFileSync(target, 'utf8')).log.version).toBe('1.2');
    expect(readdirSync(dir)).toEqual(['capture.har']);
  });

  it('writes secrets as <redacted> unless the person includes them, on both ends of a connection', async () => {
    const ws = fresh();
    const server = value(await ws.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] }));
    const port = new URL(server.url).port;
    const client = value(
      await ws.handlers.connect({
        url: `ws://ada:pw-s3cret@127.0.0.1:${port}/echo?access_token=tok-123&tag=x`,
        headers: [
          ['Cookie', 'sid=cookie-456'],
          ['X-Api-Key', 'key-789'],
          ['X-Custom', 'custom-000'],
        ],
      }),
    );
    value(await ws.handlers.sendText({ connectionId: client.id, text: 'hello' }));
    await expect.poll(() => ws.store.stats().frames, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    const secrets = ['pw-s3cret', Buffer.from('ada:pw-s3cret').toString('base64'), 'tok-123', 'cookie-456', 'key-789'];
    const exported = async (request: Partial<Parameters<typeof ws.handlers.exportCapture>[0]>) =>
      value(await ws.handlers.exportCapture({ format: 'har', ...request })).text!;

    const redacted = await exported({});
    for (const secret of secrets) expect(redacted).not.toContain(secret);
    const entries = JSON.parse(redacted).log.entries as Array<{ request: { url: string; headers: Array<{ name: string; value: string }> } }>;
    // The client's side and the embedded server's side both saw the credentials.
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      const header = (name: string) => entry.request.headers.find((h) => h.name.toLowerCase() === name)?.value;
      expect([header('authorization'), header('cookie'), header('x-api-key')]).toEqual(['<redacted>', '<redacted>', '<redacted>']);
      expect(header('x-custom')).toBe('custom-000');
    }
    expect(entries.map((e) => e.request.url)).toContainEqual(expect.stringMatching(/\/echo\?access_token=<redacted>&tag=x$/));

    const marked = await exported({ secretHeaders: ['x-custom'] });
    for (const secret of [...secrets, 'custom-000']) expect(marked).not.toContain(secret);

    // (The password itself never travels: the client sends it as Basic credentials, RFC 7617.)
    const included = await exported({ includeSecrets: true });
    for (const secret of [...secrets.slice(1), 'custom-000']) expect(included).toContain(secret);

    expect(await ws.handlers.exportCapture({ format: 'har', secretHeaders: ['X-Ok', 'Bad: name'] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('"Bad: name" is not a header name'),
    });
    // NDJSON holds frames, not headers: nothing of the handshake is in it.
    const ndjson = value(await ws.handlers.exportCapture({ format: 'ndjson' })).text!;
    for (const secret of secrets) expect(ndjson).not.toContain(secret);
  });

  it('writes exports readable by their owner alone (0600), also when it replaces a file that was 0644', async () => {
    const ws = fresh();
    await conversation(ws);
    const dir = mkdtempSync(join(tmpdir(), 'fs-mode-'));
    const before = process.umask(0o022);
    try {
      const created = value(await ws.handlers.exportCapture({ format: 'ndjson', path: join(dir, 'new.ndjson') }));
      expect(statSync(created.path!).mode & 0o777).toBe(0o600);
      const target = join(dir, 'old.har');
      writeFileSync(target, 'an older capture', { mode: 0o644 });
      expect(statSync(target).mode & 0o777).toBe(0o644);
      value(await ws.handlers.exportCapture({ format: 'har', path: target, overwrite: true }));
      expect(statSync(target).mode & 0o777).toBe(0o600);
      expect(readFileSync(target, 'utf8')).toContain('"version": "1.2"');
    } finally {
      process.umask(before);
    }
    // A pipe (or a device) is not a file to replace: refused, and left as it was.
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const refused = await ws.handlers.exportCapture({ format: 'har', path: fifo, overwrite: true });
    expect(refused).toMatchObject({ ok: false, error: `${fifo} is not a regular file, so nothing was written: choose a file name` });
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['new.ndjson', 'old.har', 'pipe']);
  });

  it('says so when there is nothing to export', async () => {
    const ws = fresh();
    expect(await ws.handlers.exportCapture({ format: 'har' })).toMatchObject({ ok: false, error: expect.stringContaining('empty') });
  });
});

describe('inspector commands', () => {
  it('fetches rows by range and by id, locates times, and cancels a superseded scan', async () => {
    const ws = fresh();
    const slabs = new Slabs(1 << 16);
    for (let i = 0; i < 30_000; i++) append(ws.store, { payload: `row ${i}`, time: 1000 + i }, slabs);
    const range = value(await ws.handlers.getRows({ fromId: 10, count: 3 }))!;
    expect(range.firstId).toBe(10);
    expect(previewsOf(range)).toEqual(['row 10', 'row 11', 'row 12']);
    const byId = value(await ws.handlers.getRows({ ids: [5, 29_999, 99_999] }))!;
    expect(byId.ids).toEqual([5, 29_999]);
    expect(previewsOf(byId)).toEqual(['row 5', 'row 29999']);
    expect(await ws.handlers.getRows({ ids: Array.from({ length: 3000 }, (_, i) => i) })).toMatchObject({ ok: false });
    expect(value(await ws.handlers.locateTimes({ times: [999, 1000.5, 5e9] })).ids).toEqual([0, 1, 30_000]);

    const query = { unit: 'frames' as const, text: { pattern: 'row \\d+5$', regex: true, caseSensitive: true } };
    // The first scan must outlast one slice (8 ms) to be cancellable: make it long on any machine.
    for (let i = 30_000; i < 300_000; i++) append(ws.store, { payload: `row ${i}`, time: 1000 + i }, slabs);
    const [first, second] = await Promise.all([
      ws.handlers.filterFrames({ query, fromId: 0, cancelKey: 'k', budgetMs: 5000 }),
      ws.handlers.filterFrames({ query, fromId: 0, cancelKey: 'k', budgetMs: 5000 }),
    ]);
    expect(value(first).cancelled).toBe(true);
    expect(value(second).matched).toBe(29_999); // 'row 5' has no digit before its 5
    expect(await ws.handlers.filterFrames({ query: { unit: 'frames', text: { pattern: '[', regex: true, caseSensitive: true } }, fromId: 0 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('not a valid regular expression'),
    });
  });

  it('describes a frame: close code name, and the message a fragment belongs to', async () => {
    const ws = fresh();
    const client = await conversation(ws);
    value(await ws.handlers.closeConnection({ connectionId: client, code: 1001, reason: 'bye' }));
    await expect.poll(async () => value(await ws.handlers.filterFrames({ query: { unit: 'frames', classes: ['control'], connectionIds: [client] }, fromId: 0 })).matched, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    const all = value(await ws.handlers.filterFrames({ query: { unit: 'frames', connectionIds: [client] }, fromId: 0 }));
    const ids = matchedIds(all);
    const details = await Promise.all(ids.map(async (id) => value(await ws.handlers.getFrame({ id }))));
    const close = details.find((d) => d.opcode === 8 && d.direction === 'out')!;
    expect(close).toMatchObject({ closeCode: 1001, closeCodeName: 'Going Away', closeReason: 'bye' });
    const middle = details.find((d) => d.opcode === 0 && !d.fin && d.direction === 'out')!;
    expect(middle.message).toMatchObject({ frames: 3, opcode: 1, complete: true, wireLength: 18 });
    expect(middle.messageText).toBe('one two three four');
    const messages = value(await ws.handlers.filterFrames({ query: { unit: 'messages', connectionIds: [client], text: { pattern: 'three four', regex: false, caseSensitive: true } }, fromId: 0 }));
    const echoed = details.find((d) => d.opcode === 1 && d.direction === 'in' && d.text === 'one two three four')!;
    expect(matchedIds(messages)).toEqual([middle.message!.headId, echoed.id]);
  });
});

describe('the capture budget', () => {
  it('can be lowered, evicting the oldest frames and counting them; nonsense is refused', async () => {
    const ws = fresh();
    const slabs = new Slabs(1 << 20);
    const payload = new Uint8Array(64 * 1024);
    for (let i = 0; i < 600; i++) append(ws.store, { opcode: 2, payload }, slabs);
    const stats = value(await ws.handlers.setCaptureBudget({ bytes: 16 * 1024 * 1024 }));
    expect(stats.budgetBytes).toBe(16 * 1024 * 1024);
    expect(stats.bytes).toBeLessThanOrEqual(stats.budgetBytes);
    expect(stats.evicted).toBe(600 - stats.frames);
    expect(stats.firstId).toBe(stats.evicted);
    expect(await ws.handlers.getFrame({ id: 0 })).toMatchObject({ ok: false, error: expect.stringContaining('evicted') });
    expect(await ws.handlers.setCaptureBudget({ bytes: 1000 })).toMatchObject({ ok: false, error: expect.stringContaining('MiB') });
  });

  it('reaches every window at once, also when no frame arrives to carry the new stats', async () => {
    const ws = fresh();
    append(ws.store, { payload: 'one frame' });
    const sent: EventBatch[] = [];
    const batcher = new EventBatcher(ws.store, (batch) => sent.push(batch), { intervalMs: 1 });
    const unsubscribe = ws.onChange(batcher.accept);
    await eventually(() => sent.length === 1);
    value(await ws.handlers.setCaptureBudget({ bytes: 64 * 1024 * 1024 }));
    await eventually(() => sent.some((b) => b.capture.budgetBytes === 64 * 1024 * 1024));
    value(await ws.handlers.clearCapture({}));
    await eventually(() => sent[sent.length - 1].capture.frames === 0);
    unsubscribe();
    batcher.close();
  });
});

describe('the event stream skips ahead for a window that is far behind', () => {
  it('sends the newest rows and counts the rest as skipped; they stay in the store', () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(1 << 16);
    for (let i = 0; i < 150_000; i++) append(store, { payload: 'x' }, slabs);
    const sent: EventBatch[] = [];
    const batcher = new EventBatcher(store, (b) => sent.push(b), { maxRowsPerBatch: 10_000, maxBacklogRows: 50_000, timers: { setTimeout: () => 1, clearTimeout: () => undefined } });
    batcher.flush();
    expect(sent[0].frames!.firstId).toBe(140_000);
    expect(sent[0].skipped).toBe(140_000);
    expect(store.get(0)).toBeDefined();
  });

  it('holds frames while the consumer is busy, then skips past the bound', () => {
    const store = new CaptureStore(1 << 30);
    const slabs = new Slabs(1 << 16);
    let busy = true;
    const sent: EventBatch[] = [];
    const batcher = new EventBatcher(store, (b) => sent.push(b), { maxRowsPerBatch: 1000, maxBacklogRows: 5000, canSend: () => !busy, timers: { setTimeout: () => 1, clearTimeout: () => undefined } });
    for (let i = 0; i < 3000; i++) append(store, { payload: 'x' }, slabs);
    batcher.flush();
    expect(sent).toHaveLength(0);
    for (let i = 0; i < 7000; i++) append(store, { payload: 'x' }, slabs);
    busy = false;
    batcher.flush();
    expect(sent[0].frames!.firstId).toBe(9000);
    expect(sent[0].skipped).toBe(9000);
  });
});

