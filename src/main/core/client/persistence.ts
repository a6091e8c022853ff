/**
 * Saved connections and saved messages, kept in one versioned JSON file in the data
 * directory:  { "version": 1, "connections": [...], "messages": [...] }.
 *
 * Rules, because this file holds work a person cannot easily recreate:
 * - Writes are atomic: a temporary file in the same directory, fsync, rename over the
 *   old one (rename is atomic within a file system, POSIX rename(2)). A crash leaves the
 *   old file or the new one, never half of each.
 * - A file we cannot understand — unreadable, not JSON, not ours, or written by a newer
 *   Framescope — is reported and NEVER overwritten. Every later save refuses with the
 *   same explanation until the person fixes the file (then load() again) or asks for it
 *   to be moved aside (moveAside()). Silently starting empty would destroy their data on
 *   the next save.
 * - The file may contain credentials (auth settings, proxy URLs), so it is created with
 *   mode 0600 on POSIX systems.
 * - Loading checks the structure; the contents of saved connection options are checked
 *   with validateConnectOptions when they are saved or imported.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pid } from 'node:process';
import { validateConnectOptions, type ConnectOptions } from './connect-options';
import { describeJsonError } from './payload-input';

export const STORE_VERSION = 1;
export const DEFAULT_STORE_FILE = 'workbench.json';

export interface SavedConnection {
  id: string;
  name: string;
  options: ConnectOptions;
  createdAt: string;
  updatedAt: string;
}

/** 'file' and 'binary-file' keep a path (sent as a text or a binary message); the others what was typed. */
export type SavedMessageFormat = 'text' | 'json' | 'hex' | 'base64' | 'template' | 'file' | 'binary-file';
export const SAVED_MESSAGE_FORMATS: readonly SavedMessageFormat[] = ['text', 'json', 'hex', 'base64', 'template', 'file', 'binary-file'];

export interface SavedMessage {
  id: string;
  /** The saved connection it belongs to, or null for messages shared by all. */
  connectionId: string | null;
  name: string;
  format: SavedMessageFormat;
  /** What the person typed, in that format (a file's path for the file formats). */
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoreData {
  version: typeof STORE_VERSION;
  connections: SavedConnection[];
  messages: SavedMessage[];
}

export type StoreResult<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function emptyData(): StoreData {
  return { version: STORE_VERSION, connections: [], messages: [] };
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error)?.message ?? String(err);
}

// ---------------------------------------------------------------------------------------
// Atomic write
// ---------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes `data` to `path` atomically: temp file in the same directory (rename is only
 * atomic within one file system), fsync so the content is on disk before the name
 * points at it, rename, then fsync the directory so the rename itself survives a crash.
 * On Windows a rename can fail briefly with EPERM/EBUSY while a virus scanner holds the
 * target; that is retried a few times.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx', mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, path);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt < 4 && (code === 'EPERM' || code === 'EBUSY' || code === 'EACCES')) {
          await sleep(20 * 2 ** attempt);
          continue;
        }
        throw e;
      }
    }
  } catch (e) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Directories cannot be opened or synced on Windows; the rename is still done.
  }
}

// ---------------------------------------------------------------------------------------
// Validation of the file's structure
// ---------------------------------------------------------------------------------------

function checkString(v: unknown, field: string, errors: string[], allowEmpty = true): v is string {
  if (typeof v !== 'string' || (!allowEmpty && v === '')) {
    errors.push(`${field} must be a ${allowEmpty ? '' : 'non-empty '}string`);
    return false;
  }
  return true;
}

/**
 * Checks a parsed file (store or export). `checkOptions` also runs the connection
 * option validator (imports); loading trusts what this program wrote and checks shape only.
 */
export function validateStoreData(input: unknown, checkOptions: boolean): StoreResult<StoreData> {
  if (!isObj(input)) return { ok: false, error: 'it is not a Framescope workbench file (the top level is not an object)' };
  if (input.version === undefined) return { ok: false, error: "it is not a Framescope workbench file (no 'version' field)" };
  if (typeof input.version !== 'number' || !Number.isInteger(input.version) || input.version < 1) {
    return { ok: false, error: `it has an unknown format version ${JSON.stringify(input.version)}` };
  }
  if (input.version > STORE_VERSION) {
    return { ok: false, error: `it was written by a newer Framescope (file format version ${input.version}; this version reads ${STORE_VERSION})` };
  }
  const errors: string[] = [];
  if (!Array.isArray(input.connections)) errors.push('connections must be a list');
  if (!Array.isArray(input.messages)) errors.push('messages must be a list');
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };

  const connections: SavedConnection[] = [];
  const ids = new Set<string>();
  (input.connections as unknown[]).forEach((c, i) => {
    const f = `connections[${i}]`;
    if (!isObj(c)) {
      errors.push(`${f} must be an object`);
      return;
    }
    const okId = checkString(c.id, `${f}.id`, errors, false);
    checkString(c.name, `${f}.name`, errors);
    checkString(c.createdAt, `${f}.createdAt`, errors);
    checkString(c.updatedAt, `${f}.updatedAt`, errors);
    if (okId && ids.has(c.id as string)) errors.push(`${f}.id '${String(c.id)}' is used twice`);
    if (okId) ids.add(c.id as string);
    let options = c.options as ConnectOptions;
    if (!isObj(c.options) || typeof c.options.url !== 'string') errors.push(`${f}.options must be an object with a url`);
    else if (checkOptions) {
      const v = validateConnectOptions(c.options);
      if (!v.ok) v.errors.forEach((e) => errors.push(`${f}.options.${e.field}: ${e.message}`));
      else options = v.value;
    }
    connections.push({ id: c.id as string, name: c.name as string, options, createdAt: c.createdAt as string, updatedAt: c.updatedAt as string });
  });

  const messages: SavedMessage[] = [];
  const messageIds = new Set<string>();
  (input.messages as unknown[]).forEach((m, i) => {
    const f = `messages[${i}]`;
    if (!isObj(m)) {
      errors.push(`${f} must be an object`);
      return;
    }
    const okId = checkString(m.id, `${f}.id`, errors, false);
    if (okId && messageIds.has(m.id as string)) errors.push(`${f}.id '${String(m.id)}' is used twice`);
    if (okId) messageIds.add(m.id as string);
    if (m.connectionId !== null && typeof m.connectionId !== 'string') errors.push(`${f}.connectionId must be a connection id or null`);
    else if (typeof m.connectionId === 'string' && !ids.has(m.connectionId)) {
      errors.push(`${f}.connectionId '${m.connectionId}' does not match any saved connection`);
    }
    checkString(m.name, `${f}.name`, errors);
    checkString(m.body, `${f}.body`, errors);
    checkString(m.createdAt, `${f}.createdAt`, errors);
    checkString(m.updatedAt, `${f}.updatedAt`, errors);
    if (!SAVED_MESSAGE_FORMATS.includes(m.format as SavedMessageFormat)) {
      errors.push(`${f}.format must be one of ${SAVED_MESSAGE_FORMATS.join(', ')}`);
    }
    messages.push({
      id: m.id as string,
      connectionId: (m.connectionId ?? null) as string | null,
      name: m.name as string,
      format: m.format as SavedMessageFormat,
      body: m.body as string,
      createdAt: m.createdAt as string,
      updatedAt: m.updatedAt as string,
    });
  });
  if (errors.length > 0) {
    const shown = errors.slice(0, 5).join('; ');
    return { ok: false, error: errors.length > 5 ? `${shown}; and ${errors.length - 5} more problems` : shown };
  }
  return { ok: true, value: { version: STORE_VERSION, connections, messages } };
}

/** Reads and parses a workbench/export file; errors name the file and give line/column for bad JSON. */
async function readStoreFile(path: string, checkOptions: boolean): Promise<StoreResult<StoreData> | { ok: false; missing: true; error: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return missing ? { ok: false, missing: true, error: `${path}: no such file` } : { ok: false, error: `cannot read ${path}: ${describeFsError(e)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const why = describeJsonError(text);
    return { ok: false, error: `${path} is not valid JSON: ${why?.error ?? 'it cannot be parsed'}` };
  }
  const checked = validateStoreData(parsed, checkOptions);
  if (!checked.ok) return { ok: false, error: `${path}: ${checked.error}` };
  return checked;
}

function serialize(data: StoreData): string {
  return JSON.stringify(data, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------

export interface WorkbenchStoreOptions {
  /** The data directory (injected: the app's userData, a temp dir in tests). */
  dir: string;
  fileName?: string;
  now?: () => Date;
  newId?: () => string;
}

export interface SaveConnectionInput {
  /** Omit to create; give to update. */
  id?: string;
  name: string;
  /** Anything validateConnectOptions accepts; stored normalized. */
  options: unknown;
}

export interface SaveMessageInput {
  id?: string;
  connectionId: string | null;
  name: string;
  format: SavedMessageFormat;
  body: string;
}

export interface ImportSummary {
  connectionsAdded: number;
  connectionsReplaced: number;
  messagesAdded: number;
  messagesReplaced: number;
}

export class WorkbenchStore {
  readonly path: string;
  private data: StoreData = emptyData();
  private loaded = false;
  private blockedReason: string | null = null;
  /** Operations run one after another, so two quick saves cannot interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: WorkbenchStoreOptions) {
    this.path = join(options.dir, options.fileName ?? DEFAULT_STORE_FILE);
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => randomUUID());
  }

  /** Why saving is disabled, or null. */
  get blocked(): string | null {
    return this.blockedReason;
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * (Re)reads the file. A missing file is an empty store. Anything else that cannot be
   * used blocks saving and is left exactly as it is.
   */
  load(): Promise<StoreResult<StoreData>> {
    return this.run(() => this.loadNow());
  }

  private async loadNow(): Promise<StoreResult<StoreData>> {
    const r = await readStoreFile(this.path, false);
    this.loaded = true;
    if (r.ok) {
      this.data = r.value;
      this.blockedReason = null;
      return { ok: true, value: this.snapshot() };
    }
    if ('missing' in r) {
      this.data = emptyData();
      this.blockedReason = null;
      return { ok: true, value: this.snapshot() };
    }
    this.data = emptyData();
    this.blockedReason = `${r.error}; left untouched`;
    return { ok: false, error: this.blockedReason };
  }

  /** A deep copy of the current contents. */
  snapshot(): StoreData {
    return structuredClone(this.data);
  }

  connections(): SavedConnection[] {
    return structuredClone(this.data.connections);
  }

  /** Messages of one connection, or the shared ones for null. */
  messagesFor(connectionId: string | null): SavedMessage[] {
    return structuredClone(this.data.messages.filter((m) => m.connectionId === connectionId));
  }

  /** Applies a change: validates the result, writes it atomically, then adopts it. */
  private mutate<T>(change: (draft: StoreData) => StoreResult<T>): Promise<StoreResult<T>> {
    return this.run(async () => {
      if (!this.loaded) {
        const l = await this.loadNow();
        if (!l.ok) return this.refuse();
      }
      if (this.blockedReason !== null) return this.refuse();
      const draft = structuredClone(this.data);
      const r = change(draft);
      if (!r.ok) return r;
      const check = validateStoreData(draft, false);
      if (!check.ok) return { ok: false, error: check.error };
      try {
        await mkdir(dirname(this.path), { recursive: true });
        await writeFileAtomic(this.path, serialize(draft));
      } catch (e) {
        return { ok: false, error: `cannot save ${this.path}: ${describeFsError(e)}` };
      }
      this.data = draft;
      return r;
    });
  }

  private refuse(): { ok: false; error: string } {
    return { ok: false, error: `not saved: ${this.blockedReason}. Fix or move the file aside, then reload.` };
  }

  saveConnection(input: SaveConnectionInput): Promise<StoreResult<SavedConnection>> {
    const v = validateConnectOptions(input.options);
    if (!v.ok) return Promise.resolve({ ok: false, error: v.error });
    if (typeof input.name !== 'string' || input.name.trim() === '') return Promise.resolve({ ok: false, error: 'name: a saved connection needs a name' });
    return this.mutate((d) => {
      const stamp = this.now().toISOString();
      const existing = input.id === undefined ? -1 : d.connections.findIndex((c) => c.id === input.id);
      if (input.id !== undefined && existing < 0) return { ok: false, error: `no saved connection has id '${input.id}'` };
      const saved: SavedConnection =
        existing >= 0
          ? { ...d.connections[existing], name: input.name.trim(), options: v.value, updatedAt: stamp }
          : { id: this.newId(), name: input.name.trim(), options: v.value, createdAt: stamp, updatedAt: stamp };
      if (existing >= 0) d.connections[existing] = saved;
      else d.connections.push(saved);
      return { ok: true, value: structuredClone(saved) };
    });
  }

  /** Deletes a connection and the messages saved for it. */
  deleteConnection(id: string): Promise<StoreResult<{ removedMessages: number }>> {
    return this.mutate((d) => {
      const i = d.connections.findIndex((c) => c.id === id);
      if (i < 0) return { ok: false, error: `no saved connection has id '${id}'` };
      d.connections.splice(i, 1);
      const before = d.messages.length;
      d.messages = d.messages.filter((m) => m.connectionId !== id);
      return { ok: true, value: { removedMessages: before - d.messages.length } };
    });
  }

  saveMessage(input: SaveMessageInput): Promise<StoreResult<SavedMessage>> {
    if (typeof input.name !== 'string' || input.name.trim() === '') return Promise.resolve({ ok: false, error: 'name: a saved message needs a name' });
    if (!SAVED_MESSAGE_FORMATS.includes(input.format)) {
      return Promise.resolve({ ok: false, error: `format: '${String(input.format)}' is not one of ${SAVED_MESSAGE_FORMATS.join(', ')}` });
    }
    if (typeof input.body !== 'string') return Promise.resolve({ ok: false, error: 'body: must be text' });
    return this.mutate((d) => {
      if (input.connectionId !== null && !d.connections.some((c) => c.id === input.connectionId)) {
        return { ok: false, error: `connectionId: no saved connection has id '${input.connectionId}'` };
      }
      const stamp = this.now().toISOString();
      const existing = input.id === undefined ? -1 : d.messages.findIndex((m) => m.id === input.id);
      if (input.id !== undefined && existing < 0) return { ok: false, error: `no saved message has id '${input.id}'` };
      const fields = { connectionId: input.connectionId, name: input.name.trim(), format: input.format, body: input.body };
      const saved: SavedMessage =
        existing >= 0 ? { ...d.messages[existing], ...fields, updatedAt: stamp } : { id: this.newId(), ...fields, createdAt: stamp, updatedAt: stamp };
      if (existing >= 0) d.messages[existing] = saved;
      else d.messages.push(saved);
      return { ok: true, value: structuredClone(saved) };
    });
  }

  deleteMessage(id: string): Promise<StoreResult<void>> {
    return this.mutate((d) => {
      const i = d.messages.findIndex((m) => m.id === id);
      if (i < 0) return { ok: false, error: `no saved message has id '${id}'` };
      d.messages.splice(i, 1);
      return { ok: true, value: undefined };
    });
  }

  /**
   * Writes the store (or just some connections and their messages) to `path` in the
   * same format, atomically. A blocked store has nothing trustworthy loaded, so export
   * refuses then too.
   */
  exportTo(path: string, filter?: { connectionIds: string[] }): Promise<StoreResult<{ connections: number; messages: number }>> {
    return this.run(async () => {
      if (!this.loaded) await this.loadNow();
      if (this.blockedReason !== null) return this.refuse();
      let data = this.snapshot();
      if (filter !== undefined) {
        const unknown = filter.connectionIds.filter((id) => !data.connections.some((c) => c.id === id));
        if (unknown.length > 0) return { ok: false, error: `no saved connection has id ${unknown.map((u) => `'${u}'`).join(', ')}` };
        const keep = new Set(filter.connectionIds);
        data = {
          version: STORE_VERSION,
          connections: data.connections.filter((c) => keep.has(c.id)),
          messages: data.messages.filter((m) => m.connectionId !== null && keep.has(m.connectionId)),
        };
      }
      try {
        await writeFileAtomic(path, serialize(data), 0o600);
      } catch (e) {
        return { ok: false, error: `cannot write ${path}: ${describeFsError(e)}` };
      }
      return { ok: true, value: { connections: data.connections.length, messages: data.messages.length } };
    });
  }

  /**
   * Reads an exported file, validates all of it (including every connection's options)
   * and merges it in (same id: the imported entry replaces ours) or replaces the store.
   * Nothing changes unless the whole file is valid.
   */
  async importFrom(path: string, mode: 'merge' | 'replace'): Promise<StoreResult<ImportSummary>> {
    const r = await readStoreFile(path, true);
    if (!r.ok) return { ok: false, error: r.error };
    const incoming = r.value;
    return this.mutate((d) => {
      const summary: ImportSummary = { connectionsAdded: 0, connectionsReplaced: 0, messagesAdded: 0, messagesReplaced: 0 };
      if (mode === 'replace') {
        summary.connectionsAdded = incoming.connections.length;
        summary.messagesAdded = incoming.messages.length;
        d.connections = incoming.connections;
        d.messages = incoming.messages;
        return { ok: true, value: summary };
      }
      for (const c of incoming.connections) {
        const i = d.connections.findIndex((x) => x.id === c.id);
        if (i >= 0) {
          d.connections[i] = c;
          summary.connectionsReplaced++;
        } else {
          d.connections.push(c);
          summary.connectionsAdded++;
        }
      }
      for (const m of incoming.messages) {
        const i = d.messages.findIndex((x) => x.id === m.id);
        if (i >= 0) {
          d.messages[i] = m;
          summary.messagesReplaced++;
        } else {
          d.messages.push(m);
          summary.messagesAdded++;
        }
      }
      return { ok: true, value: summary };
    });
  }

  /**
   * The person's way out of a blocked store: renames the file we could not use to
   * "<name>.unreadable-<time>" next to it (nothing is deleted) and starts empty.
   */
  moveAside(): Promise<StoreResult<{ movedTo: string }>> {
    return this.run(async () => {
      if (this.blockedReason === null) return { ok: false, error: 'the store is not blocked; there is nothing to move aside' };
      const stamp = this.now().toISOString().replace(/[:.]/g, '-');
      const target = `${this.path}.unreadable-${stamp}`;
      try {
        await rename(this.path, target);
      } catch (e) {
        return { ok: false, error: `cannot move ${this.path} aside: ${describeFsError(e)}` };
      }
      this.data = emptyData();
      this.blockedReason = null;
      return { ok: true, value: { movedTo: target } };
    });
  }
}
