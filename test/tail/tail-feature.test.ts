import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import type { TailInfo, TailRecord } from '../../src/shared/contract';

let workspace: Workspace;
afterEach(async () => workspace?.dispose());

function watch(ws: Workspace) {
  const records: TailRecord[] = [];
  const infos: TailInfo[] = [];
  ws.onChange((change) => {
    if (change.kind === 'tail') records.push(change.record);
    if (change.kind === 'tailInfo') infos.push(change.info);
  });
  return { records, infos };
}

describe('log tails in the app', () => {
  it('follows appends from the end, then reports truncation and deletion in words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-tail-'));
    const file = join(dir, 'server.log');
    writeFileSync(file, 'old line that is not shown\n');
    workspace = new Workspace({ dataDir: dir });
    const { records, infos } = watch(workspace);

    const started = await workspace.handlers.startTail({ path: file, intervalMs: 50 });
    if (!started.ok) throw new Error(started.error);
    expect(started.value).toMatchObject({ path: file, state: 'following' });

    appendFileSync(file, 'first\nsecond\n');
    await expect.poll(() => records.filter((r) => r.kind === 'line').map((r) => r.text)).toEqual(['first', 'second']);

    truncateSync(file, 0);
    appendFileSync(file, 'after truncation\n');
    await expect.poll(() => records.map((r) => r.kind)).toContain('truncated');
    await expect.poll(() => records.filter((r) => r.kind === 'line').map((r) => r.text)).toContain('after truncation');

    rmSync(file);
    await expect.poll(() => records.find((r) => r.kind === 'deleted')?.text).toMatch(/deleted/);
    await expect.poll(() => infos.at(-1)?.state).toBe('missing');

    const stopped = await workspace.handlers.stopTail({ id: started.value.id });
    expect(stopped).toMatchObject({ ok: true, value: { state: 'stopped' } });
  });

  it('refuses an empty path and a too-short interval, naming the field', async () => {
    workspace = new Workspace({ dataDir: mkdtempSync(join(tmpdir(), 'fs-tail-')) });
    expect(await workspace.handlers.startTail({ path: '  ' })).toEqual({ ok: false, error: expect.stringMatching(/^path: /) });
    expect(await workspace.handlers.startTail({ path: '/tmp/x', intervalMs: 1 })).toEqual({ ok: false, error: expect.stringMatching(/^intervalMs: /) });
    expect(await workspace.handlers.stopTail({ id: 'nope' })).toEqual({ ok: false, error: "no tail 'nope'" });
  });
});
