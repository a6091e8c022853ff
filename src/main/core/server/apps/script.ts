/**
 * script: the route's behaviour comes from a JavaScript (ES module) file the person wrote —
 * ntopng's server-side WebSocket scripts (`onWsInit`, `onWsReady`, `onWsMessage`, where
 * "these callbacks can terminate the connection in any moment by returning false").
 *
 * A script exports any of (named exports, or the same names on a default-exported object):
 *
 *   onLoad(api)                    after each (re)load: keep `api` for timers etc.
 *   onUnload()                     before the module is replaced or the route goes away
 *   onInit(conn, request)          before the handshake is answered; false refuses the upgrade.
 *                                  Must decide synchronously. `conn.data` may be filled here;
 *                                  `conn.send` etc. throw until the connection is open.
 *   onReady(conn)                  the connection is open; false ends it (close 1000)
 *   onMessage(conn, message)       `message` is a string (text) or a Uint8Array (binary);
 *                                  false ends the connection (close 1000)
 *   onClose(conn, code, reason)
 *
 * onReady and onMessage may be async; a promise resolving to false ends the connection too.
 * `conn` is the same object from onInit to onClose: { id, path, remoteAddress, open, data, api,
 * send(x), close(code?, reason?), subscribe(filter), unsubscribe(filter),
 * publish(topic, payload, { excludeSelf? }) }. `send` takes a string (text frame), bytes
 * (binary frame) or any other value (sent as JSON text).
 * `api` = { file, version, send(connectionId, x), broadcast(x, { exclude? }),
 * publish(topic, payload, { exclude? }), connections(), snapshot(), log(level, message) }.
 * Publishes reach subscribers as {"topic":T,"payload":P} (the pubsub app's format); the
 * subscriptions belong to this route.
 *
 * Errors: an exception (or rejected promise) in a hook is written to the server log with the
 * script's line, and closes only the connection the hook ran for, with 1011 (RFC 6455 §7.4.1:
 * "an unexpected condition that prevented it from fulfilling the request"); every other
 * connection carries on. An exception in onInit refuses that one upgrade.
 *
 * Reload: the file is watched (fs.watch on its directory, so editors that save by renaming a
 * new file into place are seen too) and polled every `pollMs` as a fallback; when its *content*
 * changes it is imported again with a cache-busting query (`?v=N`). Open connections stay open
 * and their next hook runs in the new version. If the new version fails to load, the old one
 * keeps running and the error is logged. Limits: Node cannot unload an ES module, so each
 * version stays in memory until the app restarts; modules the script itself imports are not
 * reloaded.
 *
 * Loading is asynchronous but `onInit` is not: the server awaits `ready` (RouteApp.ready)
 * before it listens. Until a version has loaded,
 * upgrades on the route are refused and the reason logged.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppConnection, AppContext, AppPublishResult, RouteApp } from '../app';
import { type PubSubSnapshot, SubscriptionRegistry, formatDelivery } from '../pubsub';
import { OptionsReader, type OptionsResult } from './options';

export interface ScriptOptions {
  /** Absolute path of the ES module (.mjs, or .js in a "type":"module" package). */
  file: string;
  /** Reload when the file changes (default true). */
  watch: boolean;
  /** Fallback polling period for changes in ms (default 1000). */
  pollMs: number;
}

export function validateScriptOptions(input: unknown, path = 'options'): OptionsResult<ScriptOptions> {
  const r = new OptionsReader(input, path, ['file', 'watch', 'pollMs']);
  let file = '';
  if (!r.has('file')) r.fail('file', 'is required: the JavaScript module to run');
  else file = r.absolutePath('file', r.raw('file')) ?? '';
  if (file && !/\.(mjs|js)$/i.test(file)) r.fail('file', `must be a JavaScript module ending in .mjs or .js (got ${JSON.stringify(basename(file))})`);
  const watchFile = r.boolean('watch', true);
  const pollMs = r.integer('pollMs', 1000, 10, 3_600_000);
  return r.result({ file, watch: watchFile, pollMs });
}

type Outgoing = string | Uint8Array | ArrayBuffer | ArrayBufferView | object | number | boolean | null;

export interface ScriptApi {
  readonly file: string;
  /** Which version of the file is running (1 for the first successful load attempt). */
  readonly version: number;
  send(connectionId: string, data: Outgoing): boolean;
  broadcast(data: Outgoing, options?: { exclude?: string }): number;
  publish(topic: string, payload: unknown, options?: { exclude?: string }): number;
  connections(): ScriptConnection[];
  snapshot(): PubSubSnapshot;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface ScriptConnection {
  readonly id: string;
  readonly path: string;
  readonly remoteAddress: string;
  /** False during onInit and after close. */
  readonly open: boolean;
  /** The script's own per-connection state, kept from onInit to onClose. */
  readonly data: Record<string, unknown>;
  readonly api: ScriptApi;
  send(data: Outgoing): void;
  close(code?: number, reason?: string): void;
  subscribe(filter: string): void;
  unsubscribe(filter: string): boolean;
  publish(topic: string, payload: unknown, options?: { excludeSelf?: boolean }): number;
}

type Hook = (...args: never[]) => unknown;
export interface ScriptHooks {
  onLoad?: Hook;
  onUnload?: Hook;
  onInit?: Hook;
  onReady?: Hook;
  onMessage?: Hook;
  onClose?: Hook;
}
const HOOK_NAMES = ['onLoad', 'onUnload', 'onInit', 'onReady', 'onMessage', 'onClose'] as const;

export interface ScriptStatus {
  file: string;
  /** Version currently running, 0 when none has loaded. */
  version: number;
  loaded: boolean;
  /** The last load error, cleared by a successful load. */
  error?: string;
}

export interface ScriptApp extends RouteApp {
  /** Settles (never rejects) after the first load attempt. */
  readonly ready: Promise<void>;
  status(): ScriptStatus;
  /** Loads the file again if its content changed; true when a new version is now running. */
  reload(): Promise<boolean>;
  snapshot(): PubSubSnapshot;
  /** Publishes from outside (the console's "publish" button), as the script's api.publish does. */
  publish(topic: string, payload: unknown, options?: { exclude?: string }): AppPublishResult;
}

/**
 * What a script sends, as ws sends it. Bytes are copied: ws writes them by reference and the
 * capture keeps them by reference, so a script that changed its array after sending it would
 * change what was sent, and what the capture shows.
 */
function encodeOutgoing(data: unknown): { data: string | Uint8Array; binary: boolean } {
  if (typeof data === 'string') return { data, binary: false };
  if (data instanceof ArrayBuffer) return { data: new Uint8Array(data.slice(0)), binary: true };
  if (ArrayBuffer.isView(data)) return { data: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)), binary: true };
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`cannot send ${typeof data}: pass a string, bytes or a JSON value`);
  return { data: json, binary: false };
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const utf8 = new TextDecoder('utf-8');
/** Handshakes answered more than this long ago without an open connection are forgotten. */
const PENDING_TTL_MS = 60_000;

export function createScriptApp(context: AppContext, options: ScriptOptions): ScriptApp {
  const file = options.file;
  const fileUrl = pathToFileURL(file).href;
  const name = basename(file);
  const registry = new SubscriptionRegistry<ScriptConn>();
  const connections = new Map<string, ScriptConn>();
  const pending = new Map<string, Array<{ conn: ScriptConn; at: number }>>();
  let current: { hooks: ScriptHooks; version: number } | undefined;
  let attempts = 0;
  let lastHash: string | undefined;
  let lastError: string | undefined;
  let disposed = false;

  const describeError = (e: unknown): string => {
    if (!(e instanceof Error)) return String(e);
    // Point at the script's own line when the stack shows it.
    const at = e.stack?.split('\n').find((l) => l.includes(fileUrl) || l.includes(file));
    const where = at ? ` (${at.trim().replace(/^at\s+/, '').replace(/\?v=\d+/, '')})` : '';
    return `${e.name}: ${e.message}${where}`;
  };

  const api: ScriptApi = {
    file,
    get version() {
      return current?.version ?? 0;
    },
    send(connectionId, data) {
      const c = connections.get(connectionId);
      if (!c) return false;
      c.send(data);
      return true;
    },
    broadcast(data, opts = {}) {
      const out = encodeOutgoing(data);
      let n = 0;
      for (const c of connections.values()) if (c.id !== opts.exclude && c.sendEncoded(out)) n++;
      return n;
    },
    publish(topic, payload, opts = {}) {
      const r = registry.publish(topic, { exclude: opts.exclude });
      if (!r.ok) throw new Error(r.error);
      const text = formatDelivery(topic, payload);
      let n = 0;
      for (const c of r.recipients) if (c.sendEncoded({ data: text, binary: false })) n++;
      return n;
    },
    connections: () => [...connections.values()],
    snapshot: () => registry.snapshot(),
    log: (level, message) => context.log(level, `script ${name}: ${message}`),
  };

  class ScriptConn implements ScriptConnection {
    readonly data: Record<string, unknown> = {};
    readonly api = api;
    real: AppConnection | undefined;
    closed = false;
    constructor(
      private readonly pendingId: string,
      readonly path: string,
      readonly remoteAddress: string,
    ) {}
    get id(): string {
      return this.real?.id ?? this.pendingId;
    }
    get open(): boolean {
      return this.real !== undefined && !this.closed;
    }
    private live(what: string): AppConnection {
      if (!this.real) throw new Error(`${what}: the connection is not open yet (onInit runs before the handshake is answered; use onReady)`);
      if (this.closed) throw new Error(`${what}: the connection ${this.real.id} is closed`);
      return this.real;
    }
    send(data: Outgoing): void {
      const conn = this.live('send');
      const out = encodeOutgoing(data);
      conn.send(out.data, { binary: out.binary });
    }
    /** For fan-out: a failing recipient is logged, not thrown into the publishing script. */
    sendEncoded(out: { data: string | Uint8Array; binary: boolean }): boolean {
      if (!this.open || !this.real) return false;
      try {
        this.real.send(out.data, { binary: out.binary });
        return true;
      } catch (e) {
        context.log('warn', `script ${name}: could not send to ${this.id}: ${describeError(e)}`);
        return false;
      }
    }
    close(code?: number, reason?: string): void {
      this.live('close').close(code, reason);
    }
    subscribe(filter: string): void {
      this.live('subscribe');
      const r = registry.subscribe(this, filter);
      if (!r.ok) throw new Error(`subscribe: ${r.error}`);
    }
    unsubscribe(filter: string): boolean {
      this.live('unsubscribe');
      return registry.unsubscribe(this.id, filter);
    }
    publish(topic: string, payload: unknown, opts: { excludeSelf?: boolean } = {}): number {
      this.live('publish');
      return api.publish(topic, payload, { exclude: opts.excludeSelf ? this.id : undefined });
    }
  }

  // ---- running hooks --------------------------------------------------------------------------

  const fail = (hook: string, conn: ScriptConn | undefined, e: unknown) => {
    context.log('error', `script ${name}: ${hook} failed${conn ? ` for ${conn.id}` : ''}: ${describeError(e)}`);
    // Only the connection the hook ran for pays for the error.
    if (conn?.open && hook !== 'onClose') conn.real!.close(1011, 'script error');
  };

  const end = (hook: string, conn: ScriptConn) => {
    if (conn.open) conn.real!.close(1000, `ended by the script's ${hook}`);
  };

  /** Calls a hook of the running version; false (or a promise of false) ends the connection. */
  const run = (hook: 'onReady' | 'onMessage' | 'onClose', conn: ScriptConn, args: unknown[]) => {
    const fn = current?.hooks[hook];
    if (!fn) return;
    let result: unknown;
    try {
      result = (fn as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      fail(hook, conn, e);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (r) => {
          if (r === false && hook !== 'onClose') end(hook, conn);
        },
        (e: unknown) => fail(hook, conn, e),
      );
    } else if (result === false && hook !== 'onClose') {
      end(hook, conn);
    }
  };

  const callLifecycle = async (hook: 'onLoad' | 'onUnload', hooks: ScriptHooks | undefined) => {
    const fn = hooks?.[hook];
    if (!fn) return;
    try {
      await (fn as (...a: unknown[]) => unknown)(...(hook === 'onLoad' ? [api] : []));
    } catch (e) {
      fail(hook, undefined, e);
    }
  };

  // ---- loading --------------------------------------------------------------------------------

  const pickHooks = (mod: Record<string, unknown>): ScriptHooks => {
    const fallback = typeof mod.default === 'object' && mod.default !== null ? (mod.default as Record<string, unknown>) : {};
    const hooks: ScriptHooks = {};
    for (const h of HOOK_NAMES) {
      const fn = mod[h] ?? fallback[h];
      if (typeof fn === 'function') hooks[h] = fn as Hook;
    }
    return hooks;
  };

  const loadOnce = async (): Promise<boolean> => {
    let source: Buffer;
    try {
      source = await readFile(file);
    } catch (e) {
      const msg = `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`;
      if (lastError !== msg) context.log('error', `script ${name}: ${msg}`);
      lastError = msg;
      lastHash = undefined;
      return false;
    }
    const hash = createHash('sha256').update(source).digest('hex');
    // Same content as the last attempt (running, or failed): nothing to do. Editors often touch
    // a file without changing it, and a broken version is not worth importing twice.
    if (hash === lastHash) return false;
    lastHash = hash;
    const version = ++attempts;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(/* @vite-ignore */ `${fileUrl}?v=${version}`)) as Record<string, unknown>;
    } catch (e) {
      lastError = describeError(e);
      context.log('error', `script ${name}: version ${version} failed to load${current ? `, version ${current.version} keeps running` : ''}: ${lastError}`);
      return false;
    }
    if (disposed) return false;
    const hooks = pickHooks(mod);
    if (Object.keys(hooks).length === 0) {
      context.log('warn', `script ${name}: exports none of ${HOOK_NAMES.join(', ')}; it will accept connections and do nothing`);
    }
    const previous = current;
    await callLifecycle('onUnload', previous?.hooks);
    current = { hooks, version };
    lastError = undefined;
    await callLifecycle('onLoad', hooks);
    context.log('info', `script ${name}: ${previous ? 'reloaded' : 'loaded'} version ${version}`);
    return true;
  };

  // One load at a time; a change noticed during a load makes exactly one more attempt.
  let loading: Promise<boolean> | undefined;
  let again = false;
  const reload = (): Promise<boolean> => {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      let changed = false;
      try {
        do {
          again = false;
          if (await loadOnce()) changed = true;
        } while (again && !disposed);
      } finally {
        loading = undefined;
      }
      return changed;
    })();
    return loading;
  };

  // ---- watching -------------------------------------------------------------------------------

  let watcher: FSWatcher | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let lastStat = '';

  const soon = () => {
    if (disposed) return;
    if (debounce) clearTimeout(debounce);
    // Editors write in several steps; react once they are done.
    debounce = setTimeout(() => void reload(), 30);
    debounce.unref?.();
  };

  if (options.watch !== false) {
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (!changed || changed.toString() === name) soon();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // fs.watch unavailable here: the polling below still notices changes.
    }
    const poll = async () => {
      try {
        const st = await stat(file);
        const sig = `${st.ino}:${st.size}:${st.mtimeMs}`;
        if (sig !== lastStat) {
          lastStat = sig;
          soon();
        }
      } catch {
        if (lastStat !== 'missing') lastStat = 'missing';
      }
    };
    pollTimer = setInterval(() => void poll(), options.pollMs ?? 1000);
    pollTimer.unref?.();
    void stat(file).then((st) => {
      lastStat = `${st.ino}:${st.size}:${st.mtimeMs}`;
    }, () => undefined);
  }

  const ready = reload().then(() => undefined);

  // ---- the RouteApp ---------------------------------------------------------------------------

  const pendingKey = (path: string, remoteAddress: string) => `${remoteAddress}\n${path}`;

  const takePending = (conn: AppConnection): ScriptConn | undefined => {
    for (const key of [conn.id, pendingKey(conn.path, conn.remoteAddress)]) {
      const list = pending.get(key);
      const entry = list?.shift();
      if (list && list.length === 0) pending.delete(key);
      if (entry) return entry.conn;
    }
    return undefined;
  };

  const rememberPending = (key: string, conn: ScriptConn) => {
    const now = Date.now();
    for (const [k, list] of pending) {
      const kept = list.filter((e) => now - e.at < PENDING_TTL_MS);
      if (kept.length) pending.set(k, kept);
      else pending.delete(k);
    }
    const list = pending.get(key) ?? [];
    list.push({ conn, at: now });
    pending.set(key, list);
  };

  let pendingCounter = 0;

  return {
    ready,
    reload,
    status: () => {
      const s: ScriptStatus = { file, version: current?.version ?? 0, loaded: current !== undefined };
      if (lastError) s.error = lastError;
      return s;
    },
    snapshot: () => registry.snapshot(),
    publish(topic, payload, opts = {}) {
      try {
        return api.publish(topic, payload, opts);
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    },

    onInit(request) {
      if (!current) {
        context.log('warn', `script ${name}: refusing ${request.path} from ${request.remoteAddress}: ${lastError ? `the script failed to load (${lastError})` : 'the script has not loaded yet'}`);
        return false;
      }
      const conn = new ScriptConn(request.connectionId ?? `pending-${++pendingCounter}`, request.path, request.remoteAddress);
      const fn = current.hooks.onInit;
      if (fn) {
        let result: unknown;
        try {
          result = (fn as (...a: unknown[]) => unknown)(conn, request);
        } catch (e) {
          fail('onInit', undefined, e);
          return false;
        }
        if (isPromiseLike(result)) {
          // The upgrade is answered now; a promise cannot decide it.
          context.log('warn', `script ${name}: onInit returned a promise; it must decide synchronously, so its result is ignored`);
          result.then(undefined, (e: unknown) => fail('onInit', undefined, e));
        } else if (result === false) {
          return false;
        }
        // Only onInit can fill conn.data before the connection opens, so only then is there
        // something to hand over to onOpen.
        rememberPending(request.connectionId ?? pendingKey(request.path, request.remoteAddress), conn);
      }
      return true;
    },

    onOpen(appConn) {
      const conn = takePending(appConn) ?? new ScriptConn(appConn.id, appConn.path, appConn.remoteAddress);
      conn.real = appConn;
      connections.set(appConn.id, conn);
      run('onReady', conn, [conn]);
    },

    onMessage(appConn, data, isBinary) {
      const conn = connections.get(appConn.id);
      if (!conn) return;
      // A copy: the received bytes are also what the capture shows (it unmasks them where ws
      // reads them), and a script may write into the array it is given.
      run('onMessage', conn, [conn, isBinary ? Uint8Array.prototype.slice.call(data) : utf8.decode(data)]);
    },

    onClose(appConn, code, reason) {
      const conn = connections.get(appConn.id);
      if (!conn) return;
      connections.delete(appConn.id);
      registry.removeConnection(appConn.id);
      conn.closed = true;
      run('onClose', conn, [conn, code, reason]);
    },

    dispose() {
      disposed = true;
      watcher?.close();
      if (pollTimer) clearInterval(pollTimer);
      if (debounce) clearTimeout(debounce);
      const last = current;
      current = undefined;
      void callLifecycle('onUnload', last?.hooks);
    },
  };
}
