/**
 * The contract between the embedded server and the apps mounted on its routes
 * (echo, chat, pub/sub, log-view, periodic, script). An app sees connections
 * through this narrow interface only, so it never touches sockets or the capture
 * pipeline, and tests can drive it with plain objects.
 */
import type { PubSubSnapshot } from './pubsub';

/** What an app may know about and do with one accepted WebSocket connection. */
export interface AppConnection {
  /** Unique per server run, e.g. "s1-c7" (RRR: a unique id per connection). */
  readonly id: string;
  /** The request path the client upgraded on, without the query string. */
  readonly path: string;
  readonly remoteAddress: string;
  /** Milliseconds since the epoch of the last message received from this client. */
  readonly lastMessageAt: number;
  send(data: string | Uint8Array, options?: { binary?: boolean }): void;
  /** RFC 6455 §7.1.2: start the closing handshake. */
  close(code?: number, reason?: string): void;
}

/** The parts of the upgrade request an app may inspect in onInit. */
export interface AppRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  /** The id the connection gets if the upgrade is accepted (the same id onOpen sees). */
  readonly connectionId?: string;
}

/** Services the server lends to every app on a route. */
export interface AppContext {
  /** Every open connection on the same route (for chat-style fan-out). */
  connectionsOnRoute(): Iterable<AppConnection>;
  /** The server's own log (listeners, handshakes, refusals, app errors). */
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** What a publish from outside the app (the console's "publish" button) did. */
export type AppPublishResult = number | { error: string };

export interface RouteApp {
  /**
   * Settles when the app can answer upgrades (a script loaded, log files opened). The server
   * awaits it before it listens, because onInit must decide synchronously.
   */
  readonly ready?: Promise<void>;
  /** Before the 101 is sent; returning false refuses the upgrade (ntopng onWsInit). */
  onInit?(request: AppRequest): boolean | void;
  /** After the connection is open; returning false ends it (ntopng onWsReady). */
  onOpen?(conn: AppConnection): boolean | void;
  /**
   * A complete data message; returning false ends the connection (ntopng onWsMessage).
   * `data` is shared with the capture, which shows these very bytes: read it, never write
   * into it (the script app hands scripts a copy).
   */
  onMessage?(conn: AppConnection, data: Uint8Array, isBinary: boolean): boolean | void;
  onClose?(conn: AppConnection, code: number, reason: string): void;
  /** Subscriptions held on this route, for the console's subscriptions view. */
  snapshot?(): PubSubSnapshot;
  /**
   * Publishes `payload` to the subscribers of `topic` on this route (NaviServer `ws::multicast
   * -exclude`); returns how many connections it was sent to, or an error sentence.
   */
  publish?(topic: string, payload: unknown, options?: { exclude?: string }): AppPublishResult;
  /** The route or server is going away: stop timers, watchers. */
  dispose?(): void;
}

export type AppFactory<Options = unknown> = (context: AppContext, options: Options) => RouteApp;
