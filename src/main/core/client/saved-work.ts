/**
 * The contract's view of saved work (SavedConnection / SavedMessage of
 * src/shared/contract/client.ts) over the versioned workbench file (persistence.ts).
 * The file keeps a little more (timestamps; a message's format and body as typed); this
 * module maps between the two and turns the store's refusals into errors in words.
 */
import type { PayloadInput, SavedConnection, SavedMessage, SavedWork } from '../../../shared/contract/client';
import type { SavedMessage as StoredMessage, SavedMessageFormat, WorkbenchStore } from './persistence';

export type SavedResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function payloadOf(message: StoredMessage): PayloadInput {
  switch (message.format) {
    case 'json':
      return { kind: 'json', text: message.body };
    case 'hex':
      return { kind: 'hex', text: message.body };
    case 'base64':
      return { kind: 'base64', text: message.body };
    case 'file':
      return { kind: 'file', path: message.body };
    case 'binary-file':
      return { kind: 'file', path: message.body, binary: true };
    // A template is text whose {{variables}} are expanded when it is sent.
    case 'template':
    case 'text':
      return { kind: 'text', text: message.body };
  }
}

export function storedFormOf(payload: PayloadInput): SavedResult<{ format: SavedMessageFormat; body: string }> {
  if (typeof payload !== 'object' || payload === null) return { ok: false, error: 'payload: expected { kind, text } or { kind: "file", path }' };
  switch (payload.kind) {
    case 'text':
    case 'json':
    case 'hex':
    case 'base64':
      if (typeof payload.text !== 'string') return { ok: false, error: `payload.text: expected text` };
      return { ok: true, value: { format: payload.kind, body: payload.text } };
    case 'file':
      if (typeof payload.path !== 'string' || payload.path.trim() === '') return { ok: false, error: 'payload.path: choose a file' };
      return { ok: true, value: { format: payload.binary === true ? 'binary-file' : 'file', body: payload.path } };
    default:
      return { ok: false, error: `payload.kind: expected text, json, hex, base64 or file` };
  }
}

/** What loadSaved and every change return: the whole saved work, or why it is unavailable. */
export function savedWorkOf(store: WorkbenchStore): SavedWork {
  if (store.blocked !== null) return { connections: [], messages: [], problem: store.blocked };
  const data = store.snapshot();
  return {
    connections: data.connections.map((c): SavedConnection => ({ id: c.id, name: c.name, options: c.options })),
    messages: data.messages.map((m): SavedMessage => {
      const out: SavedMessage = { id: m.id, name: m.name, payload: payloadOf(m) };
      if (m.connectionId !== null) out.connectionId = m.connectionId;
      return out;
    }),
  };
}

const exists = (list: Array<{ id: string }>, id: unknown): id is string => typeof id === 'string' && id !== '' && list.some((x) => x.id === id);

/** Saves or updates (by id) a connection; an unknown or empty id creates a new one. */
export async function saveConnection(store: WorkbenchStore, input: SavedConnection): Promise<SavedResult<SavedWork>> {
  if (typeof input !== 'object' || input === null) return { ok: false, error: 'expected { id, name, options }' };
  const id = exists(store.connections(), input.id) ? input.id : undefined;
  const r = await store.saveConnection({ id, name: input.name, options: input.options });
  return r.ok ? { ok: true, value: savedWorkOf(store) } : r;
}

export async function saveMessage(store: WorkbenchStore, input: SavedMessage): Promise<SavedResult<SavedWork>> {
  if (typeof input !== 'object' || input === null) return { ok: false, error: 'expected { id, name, payload }' };
  const form = storedFormOf(input.payload);
  if (!form.ok) return form;
  const id = exists(store.snapshot().messages, input.id) ? input.id : undefined;
  const r = await store.saveMessage({ id, connectionId: input.connectionId ?? null, name: input.name, ...form.value });
  return r.ok ? { ok: true, value: savedWorkOf(store) } : r;
}

export async function deleteSaved(store: WorkbenchStore, kind: 'connection' | 'message', id: string): Promise<SavedResult<SavedWork>> {
  if (kind !== 'connection' && kind !== 'message') return { ok: false, error: "kind: expected 'connection' or 'message'" };
  const r = kind === 'connection' ? await store.deleteConnection(id) : await store.deleteMessage(id);
  return r.ok ? { ok: true, value: savedWorkOf(store) } : r;
}
