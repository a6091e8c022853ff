/**
 * log-view: live view of log files, NaviServer's sample app of the same name ("watches certain
 * files (e.g. access.log or error.log) and reports recent changes to the subscribed clients",
 * with a `refresh` interval in milliseconds, default 1000).
 *
 * Only the files configured for the route are ever opened; a client names files, it never
 * supplies a path to read. (NaviServer warns the app "might reveal internal information".)
 *
 * Wire protocol (all JSON text):
 *   on open     {"event":"hello","files":[{"index":0,"path":"/var/log/a.log","exists":true}, …],
 *                "subscribed":[0,1]}
 *               A new connection receives every file until it subscribes explicitly.
 *   client      {"op":"subscribe","topic":T}   {"op":"unsubscribe","topic":T}
 *               T is a file index ("0" or 0), a configured path, or a topic filter over the
 *               configured paths ("/var/log/+", "#" for all). The first explicit subscribe
 *               replaces the all-files default, so `subscribe "1"` means "only file 1".
 *   replies     {"ok":true,"op":"subscribe","topic":T,"files":[1]}  or  {"error":"…","op":…}
 *   pushes      {"event":"lines","index":0,"file":"/var/log/a.log","lines":["…"],"capped":[3],"timestamp":…}
 *               ("capped" lists lines cut at maxLineBytes; absent when none)
 *               {"event":"truncated"|"rotated"|"deleted"|"created"|"recreated","index":0,"file":…}
 *               {"event":"error","index":0,"file":…,"message":"permission denied (EACCES)"}
 * Lines are read once per route (one tail shared by all clients) and sent to the subscribers of
 * that file; lines appended while nobody is subscribed are not kept (no backlog).
 */
import type { AppConnection, AppContext, RouteApp } from '../app';
import { type PubSubSnapshot, SubscriptionRegistry } from '../pubsub';
import { parseTopicFilter } from '../topic-filter';
import { DEFAULT_MAX_LINE_BYTES, type FileTailer, type TailEvent, type TailFileState, tailFiles } from '../../tail/file-tail';
import { OptionsReader, type OptionsResult } from './options';
import { sendSafely } from './pubsub-app';

export interface LogViewOptions {
  files: string[];
  /** Polling period in ms (NaviServer's `refresh`), default 1000. */
  intervalMs: number;
  /** Lines longer than this many bytes are cut (default 65536). */
  maxLineBytes: number;
  /** Also react to fs.watch notifications between polls (default false). */
  watch: boolean;
}

export const MAX_LOG_VIEW_FILES = 64;

export function validateLogViewOptions(input: unknown, path = 'options'): OptionsResult<LogViewOptions> {
  const r = new OptionsReader(input, path, ['files', 'intervalMs', 'maxLineBytes', 'watch']);
  const files: string[] = [];
  const raw = r.raw('files');
  if (raw === undefined) {
    r.fail('files', 'is required: the list of log files to show');
  } else if (!Array.isArray(raw)) {
    r.fail('files', 'must be an array of absolute file paths');
  } else if (raw.length === 0) {
    r.fail('files', 'must name at least one file');
  } else if (raw.length > MAX_LOG_VIEW_FILES) {
    r.fail('files', `must name at most ${MAX_LOG_VIEW_FILES} files (got ${raw.length})`);
  } else {
    raw.forEach((f, i) => {
      const p = r.absolutePath('files', f, `${r.field('files')}[${i}]`);
      if (p === undefined) return;
      const first = files.indexOf(p);
      if (first !== -1) r.errors.push(`${r.field('files')}[${i}]: duplicate of ${r.field('files')}[${first}]`);
      files.push(p);
    });
  }
  const intervalMs = r.integer('intervalMs', 1000, 10, 3_600_000);
  const maxLineBytes = r.integer('maxLineBytes', DEFAULT_MAX_LINE_BYTES, 256, 16 * 1024 * 1024);
  const watch = r.boolean('watch', false);
  return r.result({ files, intervalMs, maxLineBytes, watch });
}

export interface LogViewApp extends RouteApp {
  /** Resolves when every file's starting point is known (appends from then on are reported). */
  readonly ready: Promise<void>;
  /** Per file (filter = its path): who is subscribed, how many messages went out. */
  snapshot(): PubSubSnapshot;
  files(): Array<TailFileState & { index: number }>;
}

type Resolved = { ok: true; indexes: number[] } | { ok: false; error: string };

export function createLogViewApp(context: AppContext, options: LogViewOptions): LogViewApp {
  const files = [...options.files];
  const indexOf = new Map(files.map((f, i) => [f, i]));
  const registry = new SubscriptionRegistry<AppConnection>();
  /** Connections still on the implicit all-files subscription. */
  const onDefault = new Set<string>();
  const open = new Map<string, AppConnection>();
  let tailer: FileTailer | undefined;
  let disposed = false;

  const onTail = (event: TailEvent) => {
    const index = indexOf.get(event.file);
    if (index === undefined) return;
    const { type, file, ...rest } = event;
    if (type === 'error') context.log('warn', `log-view: ${file}: ${event.message}`);
    else if (type !== 'lines') context.log('info', `log-view: ${file} was ${type}`);
    const delivery = registry.publish(file);
    if (!delivery.ok || delivery.recipients.length === 0) return;
    const text = JSON.stringify({ event: type, index, file, ...rest });
    for (const conn of delivery.recipients) sendSafely(context, conn, text);
  };

  const ready = tailFiles(files, onTail, {
    intervalMs: options.intervalMs,
    maxLineBytes: options.maxLineBytes,
    watch: options.watch,
  }).then(
    async (t) => {
      if (disposed) await t.stop();
      else tailer = t;
    },
    (e: unknown) => {
      context.log('error', `log-view: could not start tailing: ${e instanceof Error ? e.message : String(e)}`);
    },
  );

  const fileList = () => {
    const states = new Map((tailer?.states() ?? []).map((s) => [s.path, s]));
    return files.map((path, index) => ({ index, path, exists: states.get(path)?.exists ?? false }));
  };
  const subscribedIndexes = (connId: string) =>
    registry.filtersOf(connId).map((f) => indexOf.get(f)!).sort((a, b) => a - b);

  const resolve = (topic: unknown): Resolved => {
    if (typeof topic === 'number' || (typeof topic === 'string' && /^\d+$/.test(topic))) {
      const i = Number(topic);
      if (Number.isInteger(i) && i >= 0 && i < files.length) return { ok: true, indexes: [i] };
      return { ok: false, error: `there is no file ${topic}; files are numbered 0 to ${files.length - 1}` };
    }
    if (typeof topic !== 'string' || topic.length === 0) {
      return { ok: false, error: '"topic" must be a file index, a configured file path or a topic filter such as "#"' };
    }
    const exact = indexOf.get(topic);
    if (exact !== undefined) return { ok: true, indexes: [exact] };
    const filter = parseTopicFilter(topic);
    if (!filter.ok) return { ok: false, error: `'${topic}' is not one of the configured files, and not a valid topic filter: ${filter.error}` };
    const indexes = files.flatMap((f, i) => (filter.value.matches(f) ? [i] : []));
    if (indexes.length === 0) return { ok: false, error: `'${topic}' is not one of the configured files and matches none of them` };
    return { ok: true, indexes };
  };

  const reply = (conn: AppConnection, value: unknown) => sendSafely(context, conn, JSON.stringify(value));

  return {
    ready,
    snapshot: () => registry.snapshot(),
    files: () => {
      const states = new Map((tailer?.states() ?? []).map((s) => [s.path, s]));
      return files.map((path, index) => ({ ...(states.get(path) ?? { path, exists: false, position: 0 }), index }));
    },

    onOpen(conn) {
      open.set(conn.id, conn);
      onDefault.add(conn.id);
      for (const f of files) registry.subscribe(conn, f);
      const hello = () => {
        if (open.has(conn.id)) reply(conn, { event: 'hello', files: fileList(), subscribed: subscribedIndexes(conn.id) });
      };
      if (tailer) hello();
      else void ready.then(hello);
    },

    onMessage(conn, data, isBinary) {
      const fail = (error: string, op: string | null = null) => reply(conn, { error, op });
      if (isBinary) return fail('log-view understands JSON text such as {"op":"subscribe","topic":"0"}');
      let msg: unknown;
      try {
        msg = JSON.parse(new TextDecoder().decode(data));
      } catch {
        return fail('the message is not valid JSON; expected {"op":"subscribe","topic":"<file index, path or filter>"}');
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        return fail('expected a JSON object such as {"op":"subscribe","topic":"0"}');
      }
      const { op, topic } = msg as { op?: unknown; topic?: unknown };
      if (op !== 'subscribe' && op !== 'unsubscribe') {
        const name = typeof op === 'string' ? op : null;
        return fail(
          op === 'publish' ? 'log-view is read-only: you can subscribe and unsubscribe to files' : `unknown op ${JSON.stringify(op ?? null)}; expected subscribe or unsubscribe`,
          name,
        );
      }
      if (topic === undefined) return fail(`${op} needs a "topic": a file index, a configured path or a filter such as "#"`, op);
      const r = resolve(topic);
      if (!r.ok) return fail(r.error, op);
      if (op === 'subscribe') {
        if (onDefault.delete(conn.id)) registry.removeConnection(conn.id);
        for (const i of r.indexes) registry.subscribe(conn, files[i]);
      } else {
        // Unsubscribing while on the default narrows the default; it stops being implicit.
        onDefault.delete(conn.id);
        const removed = r.indexes.filter((i) => registry.unsubscribe(conn.id, files[i]));
        if (removed.length === 0) return fail(`not subscribed to ${JSON.stringify(topic)}`, op);
      }
      reply(conn, { ok: true, op, topic, files: r.indexes, subscribed: subscribedIndexes(conn.id) });
    },

    onClose(conn) {
      open.delete(conn.id);
      onDefault.delete(conn.id);
      registry.removeConnection(conn.id);
    },

    dispose() {
      disposed = true;
      void tailer?.stop();
      tailer = undefined;
    },
  };
}
