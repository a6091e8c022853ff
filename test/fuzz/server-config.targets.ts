/**
 * The server config loader (`framescope serve --config` and startServer's request)
 * against random input: text, any JSON, and configs shaped almost like valid ones.
 */
import fc from 'fast-check';
import { readConfigText } from '../../src/cli/serve';
import { validateServerConfig } from '../../src/main/core/server/config';
import { almost, json, nastyString } from './arbitraries';
import type { FuzzTarget } from './harness';

/** The file's text through the loader, then what is left through the validator (as serve does). */
function load(text: string): unknown[] {
  const read = readConfigText(text, '/tmp/fuzz/serve.json');
  return read.ok ? [read, validateServerConfig(read.value)] : [read];
}

const number = fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.double(), fc.constant('8080'));
const pathLike = fc.oneof(fc.constantFrom('/echo', '/prices/#', '/a/+/b', '', '/', 'relative', '/x/#/y', '/log'), nastyString);
const route = almost({
  match: fc.constantFrom('exact', 'prefix', 'filter', 'glob'),
  path: pathLike,
  app: fc.constantFrom('echo', 'chat', 'pubsub', 'log-view', 'periodic', 'script', 'nope'),
  maxConnections: number,
  options: fc.oneof(
    almost({ files: fc.array(pathLike, { maxLength: 3 }), file: pathLike, intervalMs: number, maxLineBytes: number, watch: fc.boolean() }),
    almost({ intervalMs: number, message: nastyString, aliveTimeoutMs: number, topics: fc.array(nastyString, { maxLength: 3 }) }),
    json,
  ),
});
const config = almost({
  host: fc.constantFrom('127.0.0.1', '::1', '[::1]', 'localhost', '0.0.0.0', 'exa mple', '999.1.1.1', ''),
  port: number,
  tls: fc.oneof(
    fc.constant(null),
    almost({ mode: fc.constantFrom('self-signed', 'files', 'none'), certFile: pathLike, keyFile: pathLike, caFile: pathLike }),
  ),
  routes: fc.array(route, { maxLength: 4 }),
  policy: almost({
    originAllowList: fc.array(fc.oneof(fc.constantFrom('https://app.example:8443', 'null', 'http://a/'), nastyString), { maxLength: 3 }),
    subprotocols: fc.array(nastyString, { maxLength: 3 }),
    credentials: almost({ kind: fc.constantFrom('basic', 'bearer', 'digest'), username: nastyString, password: nastyString, token: nastyString }),
    maxConnections: number,
    retryAfterSeconds: number,
    handshakeTimeoutMs: number,
    maxPayload: number,
    heartbeatMs: number,
    deadPeerTimeoutMs: number,
    requireClientCertificate: fc.boolean(),
    deflate: fc.oneof(fc.boolean(), almost({ serverNoContextTakeover: fc.boolean(), clientNoContextTakeover: fc.boolean(), serverMaxWindowBits: number, clientMaxWindowBits: number })),
  }),
});

export const textConfig: FuzzTarget<string> = {
  arbitrary: fc.oneof(fc.string({ maxLength: 1024 }), fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b).toString('utf8'))),
  run: load,
};

export const jsonConfig: FuzzTarget<unknown> = {
  arbitrary: json,
  run: (value) => load(JSON.stringify(value) ?? 'null'),
};

export const almostValidConfig: FuzzTarget<unknown> = {
  arbitrary: config,
  // As a file's text, and as the request the app's server form sends.
  run: (value) => [...load(JSON.stringify(value)), validateServerConfig(value)],
};
