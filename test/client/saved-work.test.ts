/**
 * Saved connections and messages through the workspace's commands: kept in the data
 * directory as versioned JSON, exported and imported, and a corrupt or newer file is
 * reported and left exactly as it was.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import { value } from './workbench-helpers';

const workspaces: Workspace[] = [];
afterEach(async () => Promise.all(workspaces.splice(0).map((w) => w.dispose())));

function open(dataDir = mkdtempSync(join(tmpdir(), 'fs-saved-'))): { w: Workspace; dataDir: string } {
  const w = new Workspace({ dataDir });
  workspaces.push(w);
  return { w, dataDir };
}

describe('saved connections and messages', () => {
  it('saves, updates and deletes, and a new workspace on the same directory finds them', async () => {
    const { w, dataDir } = open();
    expect(value(await w.handlers.loadSaved({}))).toEqual({ connections: [], messages: [] });
    let work = value(await w.handlers.saveConnection({ id: '', name: 'local echo', options: { url: 'ws://127.0.0.1:8080/echo', subprotocols: ['chat'] } }));
    const saved = work.connections[0];
    expect(saved).toMatchObject({ name: 'local echo', options: { url: 'ws://127.0.0.1:8080/echo', subprotocols: ['chat'], autoPong: true } });
    work = value(await w.handlers.saveConnection({ ...saved, name: 'echo (renamed)' }));
    expect(work.connections).toEqual([{ ...saved, name: 'echo (renamed)' }]);

    value(await w.handlers.saveMessage({ id: '', name: 'alive', payload: { kind: 'text', text: 'alive {{counter}}' }, connectionId: saved.id }));
    value(await w.handlers.saveMessage({ id: '', name: 'blob', payload: { kind: 'file', path: '/tmp/blob.bin', binary: true } }));
    work = value(await w.handlers.saveMessage({ id: '', name: 'hello', payload: { kind: 'hex', text: '68 69' } }));
    expect(work.messages.map((m) => [m.name, m.payload, m.connectionId])).toEqual([
      ['alive', { kind: 'text', text: 'alive {{counter}}' }, saved.id],
      ['blob', { kind: 'file', path: '/tmp/blob.bin', binary: true }, undefined],
      ['hello', { kind: 'hex', text: '68 69' }, undefined],
    ]);
    work = value(await w.handlers.deleteSaved({ kind: 'message', id: work.messages[2].id }));
    expect(work.messages).toHaveLength(2);

    const file = JSON.parse(readFileSync(join(dataDir, 'workbench.json'), 'utf8')) as { version: number };
    expect(file.version).toBe(1);
    const { w: again } = open(dataDir);
    expect(value(await again.handlers.loadSaved({}))).toEqual(work);
    // Deleting a connection takes its messages with it.
    expect(value(await again.handlers.deleteSaved({ kind: 'connection', id: saved.id })).messages.map((m) => m.name)).toEqual(['blob']);
  });

  it('refuses options that would not connect, naming the field', async () => {
    const { w } = open();
    expect(await w.handlers.saveConnection({ id: '', name: 'x', options: { url: 'htp://x' } })).toEqual({ ok: false, error: "url: 'htp://x' is not a ws:// or wss:// URL" });
    expect(await w.handlers.saveMessage({ id: '', name: 'x', payload: { kind: 'text', text: 'x' }, connectionId: 'nope' })).toEqual({
      ok: false,
      error: "connectionId: no saved connection has id 'nope'",
    });
  });

  it('exports, and imports by merging or replacing', async () => {
    const { w } = open();
    value(await w.handlers.saveConnection({ id: '', name: 'a', options: { url: 'ws://a.example/' } }));
    const exported = join(mkdtempSync(join(tmpdir(), 'fs-export-')), 'work.json');
    expect(value(await w.handlers.exportSaved({ path: exported }))).toEqual({ path: exported });
    const { w: other } = open();
    value(await other.handlers.saveConnection({ id: '', name: 'b', options: { url: 'ws://b.example/' } }));
    expect(value(await other.handlers.importSaved({ path: exported, mode: 'merge' })).connections.map((c) => c.name)).toEqual(['b', 'a']);
    expect(value(await other.handlers.importSaved({ path: exported, mode: 'replace' })).connections.map((c) => c.name)).toEqual(['a']);
    expect(await other.handlers.importSaved({ path: exported, mode: 'sideways' as 'merge' })).toEqual({ ok: false, error: "mode: expected 'merge' or 'replace'" });
  });

  it('reports a corrupt file and a newer one, and never overwrites either', async () => {
    for (const [content, problem] of [
      ['{"version": 1, "connections": [', /workbench\.json is not valid JSON: unexpected end of input at column 32: expected a value.*; left untouched/],
      ['{"version": 2, "connections": [], "messages": []}', /it was written by a newer Framescope \(file format version 2; this version reads 1\); left untouched/],
    ] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), 'fs-saved-'));
      const path = join(dataDir, 'workbench.json');
      writeFileSync(path, content);
      const { w } = open(dataDir);
      const loaded = value(await w.handlers.loadSaved({}));
      expect(loaded.connections).toEqual([]);
      expect(loaded.problem).toMatch(problem);
      const save = await w.handlers.saveConnection({ id: '', name: 'x', options: { url: 'ws://h/' } });
      expect(save).toMatchObject({ ok: false, error: expect.stringMatching(/^not saved: .*Fix or move the file aside, then reload\.$/) });
      expect(await w.handlers.importSaved({ path, mode: 'merge' })).toMatchObject({ ok: false });
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });
});
