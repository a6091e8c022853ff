/**
 * chat: every message goes to every *other* client (NaviServer's sample chat, which multicasts
 * with `-exclude` the author). By default "everyone" is everyone on the route; with
 * `scope: 'path'` a prefix or filter route becomes one room per request path, the way NaviServer
 * lets several URLs be "multiple chats with different subscriber lists".
 */
import type { AppContext, RouteApp } from '../app';
import { OptionsReader, type OptionsResult } from './options';

export interface ChatOptions {
  /** 'route' (default): one room per route. 'path': one room per exact request path. */
  scope: 'route' | 'path';
}

export function validateChatOptions(input: unknown, path = 'options'): OptionsResult<ChatOptions> {
  const r = new OptionsReader(input, path, ['scope']);
  const scope = r.oneOf('scope', 'route', ['route', 'path'] as const);
  return r.result({ scope });
}

const utf8 = new TextDecoder('utf-8');

export function createChatApp(context: AppContext, options: ChatOptions): RouteApp {
  const scope = options?.scope ?? 'route';
  return {
    onMessage(conn, data, isBinary) {
      // Decode once, not once per recipient; text stays text, binary stays binary (see echo).
      const out: string | Uint8Array = isBinary ? data : utf8.decode(data);
      for (const other of context.connectionsOnRoute()) {
        if (other.id === conn.id) continue;
        if (scope === 'path' && other.path !== conn.path) continue;
        other.send(out, { binary: isBinary });
      }
    },
  };
}
