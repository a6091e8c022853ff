/** Plain-object stand-ins for what the embedded server hands to apps (see src/main/core/server/app.ts). */
import type { AppConnection, AppContext, AppRequest } from '../../src/main/core/server/app';

export interface Sent {
  data: string | Uint8Array;
  binary: boolean;
}

export class FakeConnection implements AppConnection {
  readonly sent: Sent[] = [];
  closed: { code?: number; reason?: string } | undefined;
  lastMessageAt = 0;

  constructor(
    readonly id: string,
    readonly path = '/',
    readonly remoteAddress = '127.0.0.1',
  ) {}

  send(data: string | Uint8Array, options?: { binary?: boolean }): void {
    if (this.closed) throw new Error(`send on closed connection ${this.id}`);
    this.sent.push({ data, binary: options?.binary ?? typeof data !== 'string' });
  }

  close(code?: number, reason?: string): void {
    this.closed ??= { code, reason };
  }

  /** Text messages received, in order. */
  texts(): string[] {
    return this.sent.filter((s) => !s.binary).map((s) => (typeof s.data === 'string' ? s.data : new TextDecoder().decode(s.data)));
  }

  json(): unknown[] {
    return this.texts().map((t) => JSON.parse(t));
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export function fakeContext(connections: AppConnection[] = []): { context: AppContext; logs: LogLine[]; connections: AppConnection[] } {
  const logs: LogLine[] = [];
  return {
    logs,
    connections,
    context: {
      connectionsOnRoute: () => connections,
      log: (level, message) => logs.push({ level, message }),
    },
  };
}

export function fakeRequest(path = '/', query = '', remoteAddress = '127.0.0.1', extra: Record<string, unknown> = {}): AppRequest {
  return { path, query: new URLSearchParams(query), headers: { host: 'localhost' }, remoteAddress, ...extra };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Polls `check` until it returns a truthy value (real timers); fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false | null, timeoutMs = 3000, stepMs = 10): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
