/**
 * The browser host: serves the built renderer over HTTP on 127.0.0.1 and
 * bridges the same contract as Electron IPC over a WebSocket at /bridge.
 * Every request must name this host and come from no other origin; the bridge
 * also needs the per-launch token, which the page passes in the bridge URL
 * (access-policy.ts says why no cookie carries it).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CommandHandlers } from '../../shared/contract';
import { fail } from '../../shared/result';
import type { ChangeListener } from '../core/app/changes';
import type { CaptureStore } from '../core/capture/capture-store';
import { EventBatcher } from '../core/capture/event-batcher';
import { allowedHostsFor, checkAccess, isWildcardHost, newLaunchToken, type AccessPolicy } from './access-policy';
import { BRIDGE_PATH, encodeReply, parseBridgeCall } from '../../shared/bridge-protocol';
import { serveStatic } from './static-files';

/** What the host needs of the workspace: its handlers, its store, its changes. */
export interface HostedWorkspace {
  readonly handlers: CommandHandlers;
  readonly store: CaptureStore;
  onChange(listener: ChangeListener): () => void;
}

export interface WebHostOptions {
  workspace: HostedWorkspace;
  /** Directory holding the built renderer (index.html and assets). */
  rendererDir: string;
  host?: string;
  port?: number;
  token?: string;
  batchIntervalMs?: number;
}

export interface WebHost {
  /** The URL to open, token included. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** Sent with every response: the page may load only its own scripts and talk only to its origin. */
export const WEB_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': WEB_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newLaunchToken();
  const policy: AccessPolicy = { token, allowedHosts: [] };
  const { workspace } = options;

  const server: Server = createServer((req, res) => {
    const decision = checkAccess(req, policy, 'asset');
    if (!decision.allowed) {
      res.writeHead(decision.status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(`Framescope refused this request: ${decision.reason}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS });
      res.end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://placeholder').pathname;
    void serveStatic(options.rendererDir, path, res, SECURITY_HEADERS);
  });

  const bridge = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const decision = checkAccess(req, policy, 'bridge');
    const path = new URL(req.url ?? '/', 'http://placeholder').pathname;
    if (!decision.allowed || path !== BRIDGE_PATH) {
      const status = decision.allowed ? 404 : decision.status;
      const reason = decision.allowed ? 'no such endpoint' : decision.reason;
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Forbidden'}\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nFramescope refused this request: ${reason}\n`);
      return;
    }
    bridge.handleUpgrade(req, socket, head, (client) => attachBridgeClient(client, workspace, options.batchIntervalMs));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  policy.allowedHosts = allowedHostsFor(host, port);
  const url = `http://${urlHostFor(host)}:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    close: async () => {
      for (const client of bridge.clients) client.terminate();
      bridge.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The host part of the printed URL: a wildcard bind is opened through loopback, the one address sure to reach it. */
function urlHostFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (isWildcardHost(host)) return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Bytes queued on a bridge socket beyond which frames wait (a few batches' worth). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function attachBridgeClient(client: WebSocket, workspace: HostedWorkspace, intervalMs?: number): void {
  const batcher = new EventBatcher(
    workspace.store,
    (batch) => {
      if (client.readyState === client.OPEN) client.send(encodeReply({ type: 'events', batch }));
    },
    // A client still reading earlier batches gets no new frames until it catches up (past the
    // batcher's backlog bound it skips ahead; the page fetches skipped rows when it needs them).
    { intervalMs, canSend: () => client.bufferedAmount < MAX_BUFFERED_BYTES },
  );
  const unsubscribe = workspace.onChange(batcher.accept);
  client.on('message', (data, isBinary) => {
    if (isBinary) return;
    const call = parseBridgeCall(data.toString());
    if ('error' in call) {
      if (call.id !== undefined) client.send(encodeReply({ type: 'result', id: call.id, result: fail(call.error) }));
      return;
    }
    const handler = workspace.handlers[call.command] as ((request: unknown) => Promise<unknown>) | undefined;
    // A handler that throws, even synchronously, answers with an error; the host keeps running.
    Promise.resolve()
      .then(() => (handler ? handler(call.request) : fail(`command '${call.command}' is not available`)))
      .catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
      .then((result) => {
        if (client.readyState === client.OPEN) {
          client.send(encodeReply({ type: 'result', id: call.id, result: result as never }));
        }
      });
  });
  client.on('close', () => {
    unsubscribe();
    batcher.close();
  });
}
