import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import { unpackFrameBits } from '../../src/shared/frame-bits';
import { previewOf } from '../../src/shared/preview';

let workspace: Workspace;
afterEach(async () => workspace?.dispose());

function rowsOf(ws: Workspace, connectionId: string) {
  const packed = ws.store.pack(0, 1000);
  if (!packed) return [];
  const rows = [];
  for (let i = 0; i < packed.count; i++) {
    if (packed.connectionIds[packed.connection[i]] !== connectionId) continue;
    rows.push({ id: packed.firstId + i, ...unpackFrameBits(packed.bits[i]), length: packed.length[i], preview: previewOf(packed, i) });
  }
  return rows;
}

describe('the first slice: echo server, client, text message, frames from the wire', () => {
  it('captures the sent and the echoed frame on the client connection', async () => {
    workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-ws-')) });
    const started = await workspace.handlers.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] });
    if (!started.ok) throw new Error(started.error);
    expect(started.value.host).toBe('127.0.0.1');
    expect(started.value.port).toBeGreaterThan(0);

    const connected = await workspace.handlers.connect({ url: `${started.value.url}/echo` });
    if (!connected.ok) throw new Error(connected.error);
    expect(connected.value.state).toBe('open');

    const sent = await workspace.handlers.sendText({ connectionId: connected.value.id, text: 'héllo' });
    expect(sent).toEqual({ ok: true, value: { bytes: 6 } });

    await expect.poll(() => rowsOf(workspace, connected.value.id).length).toBe(2);
    const [out, back] = rowsOf(workspace, connected.value.id);
    expect(out).toMatchObject({ direction: 'out', opcode: 1, fin: true, masked: true, length: 6, preview: 'héllo' });
    expect(back).toMatchObject({ direction: 'in', opcode: 1, fin: true, masked: false, length: 6, preview: 'héllo' });

    // The server side of the same conversation is captured too, mirrored.
    const snapshot = await workspace.handlers.getSnapshot({});
    if (!snapshot.ok) throw new Error(snapshot.error);
    const serverSide = snapshot.value.connections.find((c) => c.role === 'server')!;
    expect(serverSide).toMatchObject({ state: 'open', url: '/echo', serverId: started.value.id });
    await expect.poll(() => rowsOf(workspace, serverSide.id).map((r) => r.direction)).toEqual(['in', 'out']);

    const detail = await workspace.handlers.getFrame({ id: out.id });
    if (!detail.ok) throw new Error(detail.error);
    expect(detail.value.maskKeyHex).toMatch(/^[0-9a-f]{8}$/);
    expect(detail.value.headerHex).toBe(`8186${detail.value.maskKeyHex}`);
    expect(detail.value.text).toBe('héllo');
  });

  it('reports a refused port in words, and keeps running', async () => {
    workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-ws-')) });
    const result = await workspace.handlers.connect({ url: 'ws://127.0.0.1:1/' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.state).toBe('failed');
    expect(result.value.error).toMatch(/refused/i);
  });

  it('rejects a URL that is not ws:// or wss://', async () => {
    workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-ws-')) });
    const result = await workspace.handlers.connect({ url: 'http//nope' });
    expect(result.ok && result.value.error).toMatch(/not a valid URL/);
  });

  it('refuses a server request with a bad port, naming the field', async () => {
    workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-ws-')) });
    const result = await workspace.handlers.startServer({ port: 70000, routes: [{ path: '/echo', app: 'echo' }] });
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^port: /) });
  });
});
