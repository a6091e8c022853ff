/** Starting an embedded server for a test: validated config, a fresh capture store, logs kept. */
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { validateServerConfig } from '../../src/main/core/server/config';
import { EmbeddedServer, type ServerEvent } from '../../src/main/core/server/embedded-server';
import type { ConnectionInfo, ServerInfo } from '../../src/shared/records';

export interface TestServer {
  server: EmbeddedServer;
  info: ServerInfo;
  port: number;
  store: CaptureStore;
  logs: Array<{ level: string; message: string }>;
  connections: Map<string, ConnectionInfo>;
  events: ServerEvent[];
  stop(): Promise<void>;
}

let count = 0;

export async function startTestServer(request: Record<string, unknown>, options: { events?: boolean } = {}): Promise<TestServer> {
  const checked = validateServerConfig({ port: 0, ...request });
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  const store = new CaptureStore(64 * 1024 * 1024);
  const logs: TestServer['logs'] = [];
  const connections = new Map<string, ConnectionInfo>();
  const events: ServerEvent[] = [];
  const server = new EmbeddedServer(`t${++count}`, checked.value, {
    store,
    publishServer: () => {},
    publishConnection: (info) => connections.set(info.id, info),
    log: (level, message) => logs.push({ level, message }),
    onEvent: options.events ? (e) => events.push(e) : undefined,
  });
  const info = await server.start();
  return { server, info, port: info.port, store, logs, connections, events, stop: async () => void (await server.stop()) };
}
