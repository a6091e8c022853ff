/**
 * The renderer's side of the browser host: the same FramescopeApi as the
 * Electron preload, spoken over one WebSocket to /bridge. The launch token
 * (see launch-token.ts) goes in the bridge URL's query: the upgrade is a
 * same-origin request, so only the host that served this page sees it.
 */
import { BRIDGE_PATH, damagedReplyId, decodeReply, type BridgeReply } from '../../../shared/bridge-protocol';
import {
  COMMAND_NAMES,
  type CommandHandlers,
  type CommandName,
  type EventBatch,
  type FramescopeApi,
} from '../../../shared/contract';
import { fail, type Result } from '../../../shared/result';

/** Where the page was loaded from: the host to reach. */
export interface PageLocation {
  protocol: string;
  host: string;
}

export function createBrowserBridge(location: PageLocation, token: string): FramescopeApi {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${BRIDGE_PATH}?token=${encodeURIComponent(token)}`;
  const listeners = new Set<(batch: EventBatch) => void>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextId = 1;
  let socket: WebSocket;
  let ready: Promise<void>;

  const connect = (): void => {
    socket = new WebSocket(url);
    ready = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('cannot reach the Framescope host')), { once: true });
    });
    ready.catch(() => undefined);
    // Replies carrying frames come as binary messages whose columns are read in place.
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', (event) => {
      let reply: BridgeReply;
      try {
        reply = decodeReply(event.data as string | ArrayBuffer);
      } catch (error) {
        // Damaged on the way: a call it answered gets the error rather than waiting forever;
        // anything else (an event batch, bytes that are not ours) is dropped.
        const id = damagedReplyId(event.data as string | ArrayBuffer);
        if (id !== null) {
          pending.get(id)?.(fail(`a reply from the Framescope host could not be read (${(error as Error).message})`));
          pending.delete(id);
        }
        return;
      }
      if (reply.type === 'events') {
        for (const listener of listeners) listener(reply.batch);
      } else {
        pending.get(reply.id)?.(reply.result);
        pending.delete(reply.id);
      }
    });
    socket.addEventListener('close', () => {
      for (const resolve of pending.values()) resolve(fail('the connection to the Framescope host was lost'));
      pending.clear();
    });
  };
  connect();

  const call = async (command: CommandName, request: unknown): Promise<Result<unknown>> => {
    try {
      await ready;
    } catch (error) {
      return fail((error as Error).message);
    }
    if (socket.readyState !== WebSocket.OPEN) return fail('the connection to the Framescope host is closed');
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, command, request }));
    });
  };

  const commands = Object.fromEntries(
    COMMAND_NAMES.map((name) => [name, (request: unknown) => call(name, request)]),
  ) as unknown as CommandHandlers;

  return {
    ...commands,
    host: 'browser',
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
