/**
 * The client workbench commands: connect anywhere with any option, send anything
 * (messages, fragments, pings, raw frames, closes with any code), automate, and keep
 * saved connections and messages. Requests come from the renderer, which main does not
 * trust: each field is checked and a bad one gets an error naming it.
 *
 * connect() answers with a ConnectionInfo for everything that happens once a URL is
 * dialled — and for a URL that cannot be dialled at all, so its tab shows what was typed
 * and why — but with an error for options that are malformed as options (a header name
 * with a space, a missing key file), which belong next to the form field.
 */
import { env as processEnv } from 'node:process';
import type { ClientCommands, CommandHandler, HandshakeView } from '../../../shared/contract';
import type { ConnectionInfo } from '../../../shared/records';
import { fail, ok, type Result } from '../../../shared/result';
import { ClientSession } from '../client/client-session';
import { resolvePayload } from '../client/outgoing';
import { parseJson } from '../client/payload-input';
import { WorkbenchStore } from '../client/persistence';
import { prepareConnection } from '../client/prepare';
import { deleteSaved, saveConnection, savedWorkOf, saveMessage } from '../client/saved-work';
import type { Feature, WorkspaceContext } from './context';

export type ClientHandlers = { [K in keyof ClientCommands]: CommandHandler<K> };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export class ClientFeature implements Feature<ClientHandlers> {
  readonly handlers: ClientHandlers;
  private readonly sessions = new Map<string, ClientSession>();
  /** Tabs of URLs that could not be dialled: nothing to do with them but show why. */
  private readonly unusable = new Map<string, ConnectionInfo>();
  private readonly store: WorkbenchStore;
  private count = 0;

  constructor(private readonly ctx: WorkspaceContext) {
    this.store = new WorkbenchStore({ dir: ctx.dataDir });
    const session = async <T>(connectionId: unknown, act: (s: ClientSession) => Promise<Result<T>> | Result<T>): Promise<Result<T>> => {
      const s = typeof connectionId === 'string' ? this.sessions.get(connectionId) : undefined;
      if (!s) {
        return fail(this.unusable.has(String(connectionId)) ? `connection ${String(connectionId)} never opened: ${this.unusable.get(String(connectionId))!.error}` : `no client connection '${String(connectionId)}'`);
      }
      try {
        return await act(s);
      } catch (error) {
        return fail((error as Error).message);
      }
    };

    this.handlers = {
      connect: async (input) => {
        if (!isObject(input)) return fail('expected a connect request: { url, … }');
        const prepared = await prepareConnection(input);
        const id = `c${++this.count}`;
        if (!prepared.ok) {
          if (!prepared.urlOnly) return fail(prepared.error);
          const now = Date.now();
          const info: ConnectionInfo = { id, role: 'client', url: String(input.url ?? ''), state: 'failed', openedAt: now, closedAt: now, error: prepared.errors[0].message };
          this.unusable.set(id, info);
          ctx.hub.emit({ kind: 'connection', info });
          ctx.log('warn', `client ${id}`, `url ${info.error}`);
          return ok(info);
        }
        for (const warning of prepared.value.warnings) ctx.log('warn', `client ${id}`, warning);
        const s = new ClientSession(id, prepared.value, {
          store: ctx.store,
          publish: (info) => ctx.hub.emit({ kind: 'connection', info }),
          log: (level, message) => ctx.log(level, `client ${id}`, message),
          env: processEnv,
        });
        this.sessions.set(id, s);
        return ok(await s.connect());
      },
      sendText: ({ connectionId, text }) =>
        session(connectionId, (s) => (typeof text === 'string' ? ok({ bytes: s.sendText(text) }) : fail('text: must be a string'))),
      send: ({ connectionId, payload, fragments, template }) =>
        session(connectionId, async (s) => {
          const r = await s.send(payload, fragments, template === true);
          if (!r.ok) return r;
          for (const warning of r.value.warnings) ctx.log('warn', `client ${s.id}`, warning);
          return ok({ bytes: r.value.bytes, frames: r.value.frames });
        }),
      sendRaw: ({ connectionId, frames }) =>
        session(connectionId, async (s) => {
          const r = await s.sendRaw(frames);
          return r.ok ? ok({ bytes: r.value.bytes }) : r;
        }),
      ping: ({ connectionId, payload }) =>
        session(connectionId, async (s) => {
          const bytes = await resolvePayload(payload ?? { kind: 'text', text: '' }, {});
          if (!bytes.ok) return bytes;
          return ok({ rttMs: await s.ping(bytes.value.bytes) });
        }),
      setAutoPong: ({ connectionId, enabled }) =>
        session(connectionId, (s) => (typeof enabled === 'boolean' ? ok({ autoPong: s.setAutoPong(enabled) }) : fail('enabled: expected true or false'))),
      closeConnection: ({ connectionId, code, reason, allowInvalid }) =>
        session(connectionId, (s) => {
          if (code !== undefined && typeof code !== 'number') return fail('code: expected a number');
          if (reason !== undefined && typeof reason !== 'string') return fail('reason: expected text');
          return s.close({ code, reason, allowInvalid: allowInvalid === true });
        }),
      startPeriodic: ({ connectionId, intervalMs, message, count }) =>
        session(connectionId, (s) => s.startPeriodic({ intervalMs, message, count: count ?? 0 })),
      stopPeriodic: ({ connectionId }) => session(connectionId, (s) => ok(s.stopPeriodic())),
      loadSaved: async () => {
        const loaded = await this.store.load();
        if (!loaded.ok) ctx.log('warn', 'saved work', loaded.error);
        return ok(savedWorkOf(this.store));
      },
      saveConnection: (input) => saveConnection(this.store, input),
      saveMessage: (input) => saveMessage(this.store, input),
      deleteSaved: ({ kind, id }) => deleteSaved(this.store, kind, id),
      exportSaved: async ({ path }) => {
        if (typeof path !== 'string' || path.trim() === '') return fail('path: choose a file to export to');
        const r = await this.store.exportTo(path);
        return r.ok ? ok({ path }) : r;
      },
      importSaved: async ({ path, mode }) => {
        if (typeof path !== 'string' || path.trim() === '') return fail('path: choose a file to import');
        if (mode !== 'merge' && mode !== 'replace') return fail("mode: expected 'merge' or 'replace'");
        const r = await this.store.importFrom(path, mode);
        if (!r.ok) return r;
        const s = r.value;
        ctx.log('info', 'saved work', `imported ${path}: ${s.connectionsAdded} connections added, ${s.connectionsReplaced} replaced; ${s.messagesAdded} messages added, ${s.messagesReplaced} replaced`);
        return ok(savedWorkOf(this.store));
      },
      formatJson: async ({ text }) => {
        if (typeof text !== 'string') return fail('text: expected the JSON to format');
        const r = parseJson(text);
        return r.ok ? ok({ pretty: r.value.pretty, warnings: r.value.warnings }) : fail(r.error);
      },
    };
  }

  handshakeOf(connectionId: string): HandshakeView | undefined {
    const s = this.sessions.get(connectionId);
    if (s) return s.handshakeView();
    const info = this.unusable.get(connectionId);
    return info ? { connectionId, hops: [], timings: {}, checks: [], error: info.error } : undefined;
  }

  connectionStates(): ConnectionInfo[] {
    const order = (id: string): number => Number(id.slice(1));
    return [...this.unusable.values(), ...[...this.sessions.values()].map((s) => s.state)].sort((a, b) => order(a.id) - order(b.id));
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.dispose()));
  }
}
