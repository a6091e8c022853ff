/**
 * The HAR importer against random input: text, any JSON, and documents shaped almost
 * like DevTools' exports. What it accepts is imported into a real capture store and
 * exported again, as a person would do next.
 */
import fc from 'fast-check';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { writeHar, writeNdjson } from '../../src/main/core/capture/export';
import { parseHar } from '../../src/main/core/capture/har';
import { importHar } from '../../src/main/core/capture/har-import';
import { ok, type Result } from '../../src/shared/result';
import { almost, json, nastyString } from './arbitraries';
import type { FuzzTarget } from './harness';

const STORE_BYTES = 16 * 1024 * 1024;

/** Parses; what is accepted is imported, then written out again as HAR and NDJSON. */
async function importAndExport(input: unknown): Promise<Array<Result<unknown>>> {
  const parsed = parseHar(input);
  if (!parsed.ok) return [parsed];
  const store = new CaptureStore(STORE_BYTES);
  const summary = importHar(store, parsed.value, { prefix: 'har', firstNumber: 1, source: 'fuzz.har' });
  const handshakes = new Map(summary.connections.map((c) => [c.info.id, c.handshake]));
  const ctx = {
    store,
    connections: summary.connections.map((c) => c.info),
    servers: [],
    handshakeOf: (id: string) => handshakes.get(id),
    creator: { name: 'Framescope', version: 'fuzz' },
  };
  const sink = (): void => undefined;
  const yieldTo = async (): Promise<void> => undefined;
  const har = await writeHar(ctx, { yieldTo }, sink);
  const ndjson = await writeNdjson(ctx, { yieldTo }, sink);
  return [parsed, ok(summary.frames), ok(har), ok(ndjson)];
}

const maybeWebSocketUrl = fc.oneof(
  fc.constantFrom('wss://example.test/live?room=7', 'ws://127.0.0.1:8080/', '/relative', 'ws://', 'ws://[', 'wss://u:p@h/', 'http://example.test/'),
  fc.webUrl().map((u) => u.replace(/^http/, 'ws')),
  nastyString,
);
const headers = fc.array(almost({ name: nastyString, value: nastyString }), { maxLength: 6 });
const message = almost(
  {
  type: fc.constantFrom('send', 'receive', 'error', 'other'),
  time: fc.oneof(fc.double(), fc.integer(), fc.constant('1714564800.5')),
  opcode: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constant('1')),
    data: fc.oneof(nastyString, fc.base64String({ maxLength: 64 })),
  },
  ['type', 'time', 'opcode', 'data'],
);
const entry = almost({
  _resourceType: fc.constantFrom('websocket', 'xhr'),
  startedDateTime: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyString),
  request: almost({ url: maybeWebSocketUrl, method: nastyString, httpVersion: nastyString, headers }, ['url', 'headers']),
  response: almost({
    status: fc.oneof(fc.integer({ min: -1, max: 999 }), fc.constant('101')),
    statusText: nastyString,
    httpVersion: nastyString,
    headers,
    _error: nastyString,
    content: almost({ text: nastyString, encoding: fc.constantFrom('base64', 'utf8'), mimeType: nastyString }),
  }),
  timings: almost({ blocked: fc.double(), dns: fc.double(), connect: fc.double(), ssl: fc.double(), send: fc.double(), wait: fc.double(), receive: fc.double() }),
  serverIPAddress: nastyString,
  connection: fc.oneof(nastyString, fc.integer()),
  _webSocketMessages: fc.array(message, { maxLength: 8 }),
}, ['_resourceType', 'startedDateTime', 'request', '_webSocketMessages']);
const almostHar = fc.record({
  log: almost({ version: fc.constantFrom('1.2', '1.1', '2'), creator: almost({ name: nastyString, version: nastyString }), entries: fc.array(entry, { maxLength: 4 }) }, ['entries']),
});

export const textHar: FuzzTarget<string> = {
  arbitrary: fc.oneof(fc.string({ maxLength: 2048 }), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString('utf8'))),
  run: importAndExport,
};

export const jsonHar: FuzzTarget<unknown> = {
  arbitrary: fc.oneof(json, fc.record({ log: json }), fc.record({ log: fc.record({ entries: fc.array(json, { maxLength: 4 }) }) })),
  run: (value) => importAndExport(JSON.stringify(value)),
};

export const almostDevToolsHar: FuzzTarget<unknown> = {
  arbitrary: almostHar,
  // Both as the text of a file and as the value the browser host's file picker hands over.
  run: async (doc) => [...(await importAndExport(JSON.stringify(doc))), ...(await importAndExport(doc))],
};
