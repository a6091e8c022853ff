import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkbenchStore, writeFileAtomic, type StoreResult } from '../../src/main/core/client/persistence';

let dir: string;
let ids = 0;

function store(sub = '') {
  return new WorkbenchStore({
    dir: join(dir, sub),
    now: () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    newId: () => `id-${++ids}`,
  });
}

function value<T>(r: StoreResult<T>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'framescope-store-'));
  ids = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('WorkbenchStore', () => {
  it('starts empty without a file and creates it, private to the user, on the first save', async () => {
    const s = store('data');
    expect(value(await s.load())).toEqual({ version: 1, connections: [], messages: [] });
    const c = value(await s.saveConnection({ name: 'ntopng', options: { url: 'ws://127.0.0.1:3000/lua/network_load.lua', query: [['iffilter', '1']] } }));
    expect(c).toMatchObject({ id: 'id-1', name: 'ntopng', createdAt: '2024-01-02T03:04:05.000Z' });
    const onDisk = JSON.parse(await readFile(s.path, 'utf8'));
    expect(onDisk.version).toBe(1);
    expect(onDisk.connections[0].options.query).toEqual([['iffilter', '1']]);
    if (process.platform !== 'win32') expect((await stat(s.path)).mode & 0o777).toBe(0o600);
  });

  it('keeps connections and their messages across restarts, and deletes messages with their connection', async () => {
    const s = store();
    const a = value(await s.saveConnection({ name: 'chat', options: { url: 'ws://h/chat' } }));
    const b = value(await s.saveConnection({ name: 'rrr', options: { url: 'ws://h/topic' } }));
    value(await s.saveMessage({ connectionId: a.id, name: 'hello', format: 'text', body: 'hi' }));
    value(await s.saveMessage({ connectionId: b.id, name: 'alive', format: 'text', body: 'alive' }));
    value(await s.saveMessage({ connectionId: null, name: 'ping json', format: 'json', body: '{"op":"ping"}' }));

    const again = store();
    const data = value(await again.load());
    expect(data.connections.map((c) => c.name)).toEqual(['chat', 'rrr']);
    expect(again.messagesFor(a.id).map((m) => m.body)).toEqual(['hi']);
    expect(again.messagesFor(null).map((m) => m.name)).toEqual(['ping json']);

    expect(value(await again.deleteConnection(a.id))).toEqual({ removedMessages: 1 });
    expect(value(await store().load()).messages.map((m) => m.name)).toEqual(['alive', 'ping json']);
  });

  it('updates in place and validates what it saves', async () => {
    const s = store();
    const c = value(await s.saveConnection({ name: 'x', options: { url: 'ws://h/' } }));
    const updated = value(await s.saveConnection({ id: c.id, name: 'renamed', options: { url: 'https://h/' } }));
    expect(updated).toMatchObject({ id: c.id, name: 'renamed', options: { url: 'wss://h/' } });
    expect(await s.saveConnection({ name: 'bad', options: { url: 'htp://x' } })).toEqual({ ok: false, error: "url: 'htp://x' is not a ws:// or wss:// URL" });
    expect(await s.saveConnection({ id: 'nope', name: 'n', options: { url: 'ws://h/' } })).toEqual({ ok: false, error: "no saved connection has id 'nope'" });
    expect(await s.saveMessage({ connectionId: 'nope', name: 'm', format: 'text', body: '' })).toEqual({
      ok: false,
      error: "connectionId: no saved connection has id 'nope'",
    });
  });

  it('never overwrites a corrupt file: reports line and column, refuses saves, leaves the bytes untouched', async () => {
    const s = store();
    const corrupt = Buffer.from('{\n  "version": 1,\n  "connections": [,\n  "messages": []\n}\n');
    await writeFile(s.path, corrupt);
    const loaded = await s.load();
    expect(loaded).toEqual({
      ok: false,
      error: `${s.path} is not valid JSON: unexpected ',' at line 3, column 19: expected a value; left untouched`,
    });
    expect(s.blocked).toMatch(/left untouched$/);

    const save = await s.saveConnection({ name: 'x', options: { url: 'ws://h/' } });
    expect(save.ok).toBe(false);
    expect(!save.ok && save.error).toMatch(/^not saved: .* is not valid JSON: .*left untouched\. Fix or move the file aside, then reload\.$/);
    expect((await s.saveMessage({ connectionId: null, name: 'm', format: 'text', body: '' })).ok).toBe(false);
    expect((await s.exportTo(join(dir, 'out.json'))).ok).toBe(false);
    expect((await readFile(s.path)).equals(corrupt)).toBe(true);

    // Once the person fixes the file, a reload unblocks.
    await writeFile(s.path, '{"version":1,"connections":[],"messages":[]}');
    expect((await s.load()).ok).toBe(true);
    expect((await s.saveConnection({ name: 'x', options: { url: 'ws://h/' } })).ok).toBe(true);
  });

  it('refuses a file written by a newer version and leaves it as it is', async () => {
    const s = store();
    const newer = JSON.stringify({ version: 2, connections: [], messages: [], somethingNew: true });
    await writeFile(s.path, newer);
    expect(await s.load()).toEqual({
      ok: false,
      error: `${s.path}: it was written by a newer Framescope (file format version 2; this version reads 1); left untouched`,
    });
    expect((await s.saveConnection({ name: 'x', options: { url: 'ws://h/' } })).ok).toBe(false);
    expect(await readFile(s.path, 'utf8')).toBe(newer);
  });

  it('refuses files that are not its own, and structural damage', async () => {
    const s = store();
    await writeFile(s.path, '[1,2]');
    expect((await s.load()) as { error: string }).toMatchObject({ error: expect.stringMatching(/not a Framescope workbench file \(the top level is not an object\); left untouched/) });
    await writeFile(s.path, JSON.stringify({ version: 1, connections: [{ id: 'a', name: 'n', options: { url: 'ws://h/' }, createdAt: '', updatedAt: '' }], messages: [{ id: 'm', connectionId: 'zzz', name: 'n', format: 'text', body: '', createdAt: '', updatedAt: '' }] }));
    expect((await s.load()) as { error: string }).toMatchObject({ error: expect.stringMatching(/messages\[0\]\.connectionId 'zzz' does not match any saved connection; left untouched/) });
  });

  it('a blocked file can be moved aside, after which the store starts empty', async () => {
    const s = store();
    await writeFile(s.path, 'garbage');
    await s.load();
    const moved = value(await s.moveAside());
    expect(moved.movedTo).toBe(`${s.path}.unreadable-2024-01-02T03-04-05-000Z`);
    expect(await readFile(moved.movedTo, 'utf8')).toBe('garbage');
    expect(s.blocked).toBeNull();
    expect((await s.saveConnection({ name: 'x', options: { url: 'ws://h/' } })).ok).toBe(true);
  });

  it('serializes concurrent saves; readers never see a half-written file; no temp files are left', async () => {
    const s = store();
    await s.load();
    let reads = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        try {
          JSON.parse(await readFile(s.path, 'utf8'));
          reads++;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    })();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => s.saveConnection({ name: `c${i}`, options: { url: `ws://h/${i}`, headers: [['X-Pad', 'x'.repeat(2000)]] } })));
    reading = false;
    await reader;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(value(await store().load()).connections).toHaveLength(25);
    expect(reads).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exports and imports (merge and replace), validating the whole file first', async () => {
    const s = store('one');
    const a = value(await s.saveConnection({ name: 'a', options: { url: 'ws://a/' } }));
    const b = value(await s.saveConnection({ name: 'b', options: { url: 'ws://b/' } }));
    value(await s.saveMessage({ connectionId: a.id, name: 'ma', format: 'hex', body: '48 69' }));
    value(await s.saveMessage({ connectionId: b.id, name: 'mb', format: 'text', body: 'b' }));
    const exported = join(dir, 'export.json');
    expect(value(await s.exportTo(exported, { connectionIds: [a.id] }))).toEqual({ connections: 1, messages: 1 });

    const other = store('two');
    value(await other.saveConnection({ name: 'local', options: { url: 'ws://local/' } }));
    expect(value(await other.importFrom(exported, 'merge'))).toEqual({ connectionsAdded: 1, connectionsReplaced: 0, messagesAdded: 1, messagesReplaced: 0 });
    expect(value(await other.importFrom(exported, 'merge'))).toEqual({ connectionsAdded: 0, connectionsReplaced: 1, messagesAdded: 0, messagesReplaced: 1 });
    expect(other.connections().map((c) => c.name)).toEqual(['local', 'a']);
    expect(value(await other.importFrom(exported, 'replace'))).toMatchObject({ connectionsAdded: 1 });
    expect(value(await store('two').load()).connections.map((c) => c.name)).toEqual(['a']);

    // An invalid import changes nothing and says where the problem is.
    const bad = join(dir, 'bad.json');
    const doc = JSON.parse(await readFile(exported, 'utf8'));
    doc.connections[0].options.url = 'ftp://nope';
    await writeFile(bad, JSON.stringify(doc));
    expect(await other.importFrom(bad, 'replace')).toEqual({ ok: false, error: `${bad}: connections[0].options.url: 'ftp://nope' is not a ws:// or wss:// URL` });
    await writeFile(bad, '{"version": 1, "connections": [}');
    expect(await other.importFrom(bad, 'merge')).toEqual({ ok: false, error: `${bad} is not valid JSON: unexpected '}' at column 32: expected a value` });
    expect(await other.importFrom(join(dir, 'missing.json'), 'merge')).toEqual({ ok: false, error: `${join(dir, 'missing.json')}: no such file` });
    expect(other.connections().map((c) => c.name)).toEqual(['a']);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file in one step and cleans up its temp file when the rename fails', async () => {
    const target = join(dir, 'f.json');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, 'two');
    expect(await readFile(target, 'utf8')).toBe('two');

    const blocker = join(dir, 'is-a-dir');
    await mkdir(blocker);
    await writeFile(join(blocker, 'child'), 'x');
    await expect(writeFileAtomic(blocker, 'data')).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
