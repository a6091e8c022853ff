/** Shared set-up for the workbench tests: a Workspace, what it announces, and its captured rows. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Workspace } from '../../src/main/core/app/workspace';
import { unpackFrameBits } from '../../src/shared/frame-bits';
import type { ConnectionInfo, LogLine } from '../../src/shared/records';
import type { Result } from '../../src/shared/result';
import { previewOf } from '../../src/shared/preview';

export interface Bench {
  workspace: Workspace;
  dataDir: string;
  /** Every ConnectionInfo the workspace published, in order. */
  infos: ConnectionInfo[];
  logs: LogLine[];
  latest(id: string): ConnectionInfo | undefined;
  dispose(): Promise<void>;
}

export function bench(): Bench {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-'));
  const workspace = new Workspace({ dataDir });
  const infos: ConnectionInfo[] = [];
  const logs: LogLine[] = [];
  workspace.onChange((change) => {
    if (change.kind === 'connection') infos.push(change.info);
    if (change.kind === 'log') logs.push(change.line);
  });
  return {
    workspace,
    dataDir,
    infos,
    logs,
    latest: (id) => infos.filter((i) => i.id === id).at(-1),
    dispose: () => workspace.dispose(),
  };
}

/** The value of an ok result; a failed one fails the test with its message. */
export function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got error: ${result.error}`);
  return result.value;
}

export interface Row {
  id: number;
  direction: 'in' | 'out';
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  masked: boolean;
  violation: boolean;
  length: number;
  preview: string;
}

/** The captured rows of one connection, in capture order. */
export function rowsOf(workspace: Workspace, connectionId: string): Row[] {
  const packed = workspace.store.pack(workspace.store.firstId, 100_000);
  if (!packed) return [];
  const rows: Row[] = [];
  for (let i = 0; i < packed.count; i++) {
    if (packed.connectionIds[packed.connection[i]] !== connectionId) continue;
    const bits = unpackFrameBits(packed.bits[i]);
    rows.push({
      id: packed.firstId + i,
      direction: bits.direction,
      opcode: bits.opcode,
      fin: bits.fin,
      rsv1: bits.rsv1,
      rsv2: bits.rsv2,
      rsv3: bits.rsv3,
      masked: bits.masked,
      violation: bits.violation,
      length: packed.length[i],
      preview: previewOf(packed, i),
    });
  }
  return rows;
}

export async function waitForInfo(b: Bench, id: string, match: (i: ConnectionInfo) => boolean, timeoutMs = 5000): Promise<ConnectionInfo> {
  await expect.poll(() => b.infos.some((i) => i.id === id && match(i)), { timeout: timeoutMs, interval: 10 }).toBe(true);
  return b.infos.filter((i) => i.id === id && match(i)).at(-1)!;
}
