/**
 * The persistence loader (saved connections and messages) against random files: bytes,
 * any JSON, and stores shaped almost like valid ones. Each is loaded from a real file,
 * by the store and by an import; a file that cannot be used is left exactly as it was.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkbenchStore } from '../../src/main/core/client/persistence';
import { fail, ok } from '../../src/shared/result';
import { almost, json, nastyString } from './arbitraries';
import type { FuzzTarget } from './harness';

async function loadFile(content: Uint8Array): Promise<unknown[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-fuzz-store-'));
  try {
    const file = join(dir, 'workbench.json');
    writeFileSync(file, content);
    const loaded = await new WorkbenchStore({ dir }).load();
    // An import (which also checks every connection's options) into a store of its own.
    const imported = await new WorkbenchStore({ dir: join(dir, 'other') }).importFrom(file, 'merge');
    const untouched = Buffer.compare(readFileSync(file), Buffer.from(content)) === 0;
    return [loaded, imported, untouched ? ok(true) : fail('the file was changed')];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const text = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value) ?? 'null');

const stamp = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyString);
const pairs = fc.array(fc.oneof(fc.tuple(nastyString, nastyString), json), { maxLength: 3 });
const options = almost({
  url: fc.oneof(fc.constantFrom('ws://127.0.0.1:8080/echo', 'wss://u:p@h/', 'http://x/', 'ws://['), nastyString),
  query: pairs,
  headers: pairs,
  subprotocols: fc.array(nastyString, { maxLength: 3 }),
  auth: almost({ kind: fc.constantFrom('none', 'basic', 'bearer', 'x'), username: nastyString, password: nastyString, token: nastyString }),
  origin: nastyString,
  deflate: fc.oneof(fc.boolean(), almost({ clientMaxWindowBits: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(true)), serverMaxWindowBits: fc.integer({ min: 0, max: 20 }) })),
  handshakeTimeoutMs: fc.integer({ min: -10, max: 10_000_000 }),
  followRedirects: fc.boolean(),
  maxRedirects: fc.integer({ min: -1, max: 100 }),
  tls: almost({ verify: fc.boolean(), caFile: nastyString, certFile: nastyString, keyFile: nastyString, pfxFile: nastyString, passphrase: nastyString, serverName: nastyString }),
  proxy: fc.oneof(fc.constantFrom('env', 'http://proxy:3128', null), nastyString),
  autoPong: fc.boolean(),
  reconnect: almost({ enabled: fc.boolean(), maxAttempts: fc.integer(), initialDelayMs: fc.integer(), maxDelayMs: fc.integer() }),
});
const ids = fc.constantFrom('a', 'b', 'c', '');
const store = almost({
  version: fc.constantFrom(1, 2, 0, 1.5, '1'),
  connections: fc.array(almost({ id: ids, name: nastyString, options, createdAt: stamp, updatedAt: stamp }), { maxLength: 3 }),
  messages: fc.array(
    almost({
      id: ids,
      connectionId: fc.oneof(ids, fc.constant(null)),
      name: nastyString,
      format: fc.constantFrom('text', 'json', 'hex', 'base64', 'template', 'file', 'binary-file', 'xml'),
      body: nastyString,
      createdAt: stamp,
      updatedAt: stamp,
    }),
    { maxLength: 3 },
  ),
});

export const bytesStore: FuzzTarget<Uint8Array> = {
  arbitrary: fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 512 }).map((s) => new Uint8Array(Buffer.from(s)))),
  run: loadFile,
};

export const jsonStore: FuzzTarget<unknown> = {
  arbitrary: fc.oneof(json, fc.record({ version: fc.constant(1), connections: json, messages: json })),
  run: (value) => loadFile(text(value)),
};

export const almostValidStore: FuzzTarget<unknown> = {
  arbitrary: store,
  run: (value) => loadFile(text(value)),
};
