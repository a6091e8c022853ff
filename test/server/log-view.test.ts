import { appendFileSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteApp } from '../../src/main/core/server/app';
import { type LogViewApp, createLogViewApp, validateLogViewOptions } from '../../src/main/core/server/apps/log-view';
import { FakeConnection, eventually, fakeContext, text } from './app-fakes';

let dir: string;
let apps: RouteApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'framescope-logview-'));
});
afterEach(() => {
  for (const a of apps) a.dispose?.();
  apps = [];
  rmSync(dir, { recursive: true, force: true });
});

type Msg = Record<string, unknown>;

async function setup() {
  const access = join(dir, 'access.log');
  const error = join(dir, 'error.log');
  writeFileSync(access, 'old access\n');
  writeFileSync(error, 'old error\n');
  const conns = [new FakeConnection('a'), new FakeConnection('b')];
  const { context, logs } = fakeContext(conns);
  const app: LogViewApp = createLogViewApp(context, { files: [access, error], intervalMs: 10, maxLineBytes: 1024, watch: false });
  apps.push(app);
  await app.ready;
  const send = (c: FakeConnection, msg: unknown) => app.onMessage!(c, text(JSON.stringify(msg)), false);
  const events = (c: FakeConnection, kind: string) => (c.json() as Msg[]).filter((m) => m.event === kind);
  const linesOf = (c: FakeConnection) => events(c, 'lines').flatMap((m) => m.lines as string[]);
  return { app, access, error, conns, logs, send, events, linesOf };
}

describe('log-view app', () => {
  it('greets with the file list and pushes appended lines of every file by default', async () => {
    const { app, access, error, conns: [a], events, linesOf } = await setup();
    app.onOpen!(a);
    expect(events(a, 'hello')).toEqual([
      {
        event: 'hello',
        files: [
          { index: 0, path: access, exists: true },
          { index: 1, path: error, exists: true },
        ],
        subscribed: [0, 1],
      },
    ]);
    appendFileSync(access, 'GET / 200\n');
    appendFileSync(error, 'oops\n');
    await eventually(() => linesOf(a).length === 2);
    expect(events(a, 'lines').map((m) => [m.index, m.file, m.lines])).toEqual(
      expect.arrayContaining([
        [0, access, ['GET / 200']],
        [1, error, ['oops']],
      ]),
    );
  });

  it('after an explicit subscribe, pushes only the chosen files (by index or path)', async () => {
    const { app, access, error, conns: [a, b], send, events, linesOf } = await setup();
    app.onOpen!(a);
    app.onOpen!(b);
    send(a, { op: 'subscribe', topic: '1' });
    send(b, { op: 'subscribe', topic: access });
    expect((a.json() as Msg[])[1]).toEqual({ ok: true, op: 'subscribe', topic: '1', files: [1], subscribed: [1] });
    appendFileSync(access, 'for b\n');
    appendFileSync(error, 'for a\n');
    await eventually(() => linesOf(a).length && linesOf(b).length);
    await new Promise((r) => setTimeout(r, 40));
    expect(linesOf(a)).toEqual(['for a']);
    expect(linesOf(b)).toEqual(['for b']);
    expect(events(a, 'lines')[0]).toMatchObject({ index: 1, file: error });
    expect(app.snapshot().topics).toEqual([
      { filter: access, subscribers: ['b'], messages: 1 },
      { filter: error, subscribers: ['a'], messages: 1 },
    ]);
  });

  it('subscribes with a topic filter over the configured paths, and unsubscribes', async () => {
    const { app, conns: [a], send } = await setup();
    app.onOpen!(a);
    send(a, { op: 'unsubscribe', topic: 0 });
    send(a, { op: 'subscribe', topic: `${dir}/+` });
    const replies = (a.json() as Msg[]).slice(1);
    expect(replies[0]).toMatchObject({ ok: true, op: 'unsubscribe', subscribed: [1] });
    expect(replies[1]).toMatchObject({ ok: true, op: 'subscribe', files: [0, 1], subscribed: [0, 1] });
  });

  it('never opens a file that was not configured, and explains bad requests', async () => {
    const { app, conns: [a], send } = await setup();
    app.onOpen!(a);
    send(a, { op: 'subscribe', topic: '/etc/passwd' });
    send(a, { op: 'subscribe', topic: '7' });
    send(a, { op: 'publish', topic: 'x', payload: 1 });
    send(a, { op: 'subscribe' });
    app.onMessage!(a, text('{oops'), false);
    const errors = (a.json() as Msg[]).slice(1);
    expect(errors).toEqual([
      { error: "'/etc/passwd' is not one of the configured files and matches none of them", op: 'subscribe' },
      { error: 'there is no file 7; files are numbered 0 to 1', op: 'subscribe' },
      { error: expect.stringMatching(/read-only/), op: 'publish' },
      { error: expect.stringMatching(/needs a "topic"/), op: 'subscribe' },
      { error: expect.stringMatching(/not valid JSON/), op: null },
    ]);
    expect(a.closed).toBeUndefined();
    expect(app.files().map((f) => f.index)).toEqual([0, 1]);
  });

  it('tells subscribers about truncation', async () => {
    const { app, access, conns: [a], events, linesOf } = await setup();
    app.onOpen!(a);
    truncateSync(access, 0);
    appendFileSync(access, 'fresh\n');
    await eventually(() => linesOf(a).length);
    expect(events(a, 'truncated')).toEqual([expect.objectContaining({ event: 'truncated', index: 0, file: access })]);
    expect(linesOf(a)).toEqual(['fresh']);
  });

  it('sends subscribers nothing of a file linked in place of a log, and tells them why', async () => {
    const { app, access, conns: [a], events, linesOf } = await setup();
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'root:hunter2\n', { mode: 0o600 });
    app.onOpen!(a);
    renameSync(access, `${access}.1`);
    symlinkSync(secret, access);
    await eventually(() => events(a, 'error').length);
    expect(events(a, 'error')).toEqual([expect.objectContaining({ index: 0, file: access, message: expect.stringContaining('symbolic link') })]);
    expect(linesOf(a)).toEqual([]);
    expect(JSON.stringify(a.json())).not.toContain('hunter2');
  });

  it('stops sending to a closed connection', async () => {
    const { app, access, conns: [a, b], linesOf } = await setup();
    app.onOpen!(a);
    app.onOpen!(b);
    app.onClose!(a, 1000, '');
    appendFileSync(access, 'x\n');
    await eventually(() => linesOf(b).length);
    expect(linesOf(a)).toEqual([]);
  });

  it('validates its options, naming each field', () => {
    expect(validateLogViewOptions({ files: ['/var/log/a.log', 'relative.log', '/var/log/a.log'], intervalMs: 0 }, 'routes[3].options')).toEqual({
      ok: false,
      errors: [
        'routes[3].options.files[1]: must be an absolute path (got "relative.log")',
        'routes[3].options.files[2]: duplicate of routes[3].options.files[0]',
        'routes[3].options.intervalMs: must be an integer from 10 to 3600000 (got 0)',
      ],
    });
    expect(validateLogViewOptions({})).toEqual({ ok: false, errors: ['options.files: is required: the list of log files to show'] });
    expect(validateLogViewOptions({ files: ['/a.log'] })).toEqual({
      ok: true,
      value: { files: ['/a.log'], intervalMs: 1000, maxLineBytes: 65536, watch: false },
    });
  });
});
