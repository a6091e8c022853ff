/**
 * Exports of the capture: HAR 1.2 with Chrome's `_webSocketMessages` (what
 * DevTools exports and imports, see har.ts) and NDJSON with one frame per line
 * and every header field (the record shapes of `framescope decode`).
 *
 * A capture may hold a million frames, so both are written as a stream of
 * text chunks (the caller sends them to a file or keeps them), a slice at a
 * time, yielding between slices so capture and the UI keep running.
 */
import { Buffer } from 'node:buffer';
import type { HandshakeView } from '../../../shared/contract';
import { FIN_BIT, INBOUND_BIT, MASKED_BIT, OPCODE_BITS, RSV1_BIT, RSV2_BIT, RSV3_BIT, VIOLATION_BIT, lengthEncodingOf } from '../../../shared/frame-bits';
import type { ConnectionInfo, ConnectionRole, FlowDirection, ServerInfo } from '../../../shared/records';
import { opcodeName, VIOLATIONS, type Direction } from '../protocol/constants';
import { headerLength, minimalLengthEncoding } from '../protocol/encoder';
import { toHex, type FrameRecord, type ViolationRecord } from '../protocol/records';
import { maskKeyBytes } from './capture-store';
import { connectionMask, payloadOf, type ScanColumns, type ScannableStore } from './frame-filter';
import type { Redactor } from '../../../shared/secrets';
import { buildHar, buildHarEntry, type HarConnectionInput, type HarMessage } from './har';

export interface ExportContext {
  store: ScannableStore;
  connections: readonly ConnectionInfo[];
  servers: readonly ServerInfo[];
  handshakeOf(connectionId: string): HandshakeView | undefined;
  creator: { name: string; version: string };
}

export interface ExportOptions {
  connectionIds?: readonly string[];
  includeControlFrames?: boolean;
  /** HAR: how secrets in headers and URLs are written (absent: redacted). NDJSON holds frames only, no headers. */
  secrets?: Redactor;
  /** How to yield between slices (default setImmediate). */
  yieldTo?: () => Promise<void>;
}

export type ChunkSink = (text: string) => void | Promise<void>;

export interface ExportSummary {
  connections: number;
  records: number;
}

const SLICE_ROWS = 8192;
const yieldImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An NDJSON line: the decoder's record plus where and when it was captured. */
export type CapturedFrameRecord = FrameRecord & { id: number; connectionId: string; time: number; flow: FlowDirection; inflatedLength?: number; text?: string };
export type CapturedViolationRecord = ViolationRecord & { id: number; connectionId: string; time: number; flow: FlowDirection };

/** Who sent a frame (RFC 6455 §5.1: clients mask, servers do not) from the connection's role. */
function senderOf(role: ConnectionRole | undefined, flow: FlowDirection, masked: boolean): Direction {
  if (role === undefined) return masked ? 'client' : 'server';
  // Framescope's side is the client for client and imported (browser) connections.
  const weAreClient = role !== 'server';
  return (flow === 'out') === weAreClient ? 'client' : 'server';
}

function allowedSet(cols: ScanColumns, ids: readonly string[] | undefined): Uint8Array | null {
  return connectionMask(cols, ids && ids.length > 0 ? new Set(ids) : null);
}

/** NDJSON: one line per captured frame or violation, oldest first. */
export async function writeNdjson(ctx: ExportContext, options: ExportOptions, sink: ChunkSink): Promise<ExportSummary> {
  const yieldTo = options.yieldTo ?? yieldImmediate;
  const roles = new Map(ctx.connections.map((c) => [c.id, c.role]));
  const seen = new Set<string>();
  let records = 0;
  let cols = ctx.store.scanColumns();
  let id = cols.firstId;
  const end = cols.nextId;
  while (id < end) {
    cols = ctx.store.scanColumns();
    if (id < cols.firstId) id = cols.firstId;
    const allowed = allowedSet(cols, options.connectionIds);
    const sliceEnd = Math.min(end, id + SLICE_ROWS);
    const lines: string[] = [];
    for (; id < sliceEnd; id++) {
      const slot = id & cols.mask;
      const conn = cols.connIndex[slot];
      if (allowed !== null && allowed[conn] !== 1) continue;
      const connectionId = cols.connectionIds[conn];
      seen.add(connectionId);
      const bits = cols.bits[slot];
      const flow: FlowDirection = bits & INBOUND_BIT ? 'in' : 'out';
      const masked = (bits & MASKED_BIT) !== 0;
      const sender = senderOf(roles.get(connectionId), flow, masked);
      const extras = cols.extras.get(id);
      const base = { id, connectionId, time: cols.times[slot], flow };
      if (bits & VIOLATION_BIT) {
        const v = extras?.violation;
        const known = v ? (VIOLATIONS as Record<string, { fatal: boolean }>)[v.code] : undefined;
        const record: CapturedViolationRecord = {
          ...base,
          type: 'violation',
          direction: sender,
          offset: cols.offsets[slot],
          frameOffset: cols.offsets[slot],
          code: v?.code ?? 'unknown',
          closeCode: v?.closeCode ?? 1002,
          rule: v?.rule ?? '',
          message: v?.message ?? 'protocol violation',
          fatal: known?.fatal ?? true,
        };
        lines.push(JSON.stringify(record));
        records++;
        continue;
      }
      const opcode = bits & OPCODE_BITS;
      const length = cols.lengths[slot];
      const encoding = lengthEncodingOf(bits) ?? minimalLengthEncoding(length);
      const key = masked ? cols.maskKeys[slot] : undefined;
      const record: CapturedFrameRecord = {
        ...base,
        type: 'frame',
        direction: sender,
        offset: cols.offsets[slot],
        fin: (bits & FIN_BIT) !== 0,
        rsv1: (bits & RSV1_BIT) !== 0,
        rsv2: (bits & RSV2_BIT) !== 0,
        rsv3: (bits & RSV3_BIT) !== 0,
        opcode,
        opcodeName: opcodeName(opcode),
        masked,
        maskKey: key === undefined ? null : toHex(maskKeyBytes(key)),
        length,
        lengthEncoding: encoding,
        headerLength: headerLength(encoding, masked),
        payloadHex: toHex(payloadOf(cols, slot)),
      };
      if (opcode === 0x8) {
        record.closeCode = extras?.closeCode ?? null;
        record.closeReason = extras?.closeReason ?? null;
      }
      if (extras?.inflated) {
        record.inflatedLength = extras.inflated.length;
        record.text = Buffer.from(extras.inflated.buffer, extras.inflated.byteOffset, extras.inflated.length).toString('utf8');
      }
      lines.push(JSON.stringify(record));
      records++;
    }
    if (lines.length > 0) await sink(`${lines.join('\n')}\n`);
    if (id < end) await yieldTo();
  }
  return { connections: seen.size, records };
}

/** Per connection, the ids of its rows in order (4 bytes a row), from one pass over the store. */
function rowsByConnection(cols: ScanColumns, allowed: Uint8Array | null): Map<number, Uint32Array> {
  const counts = new Map<number, number>();
  for (let id = cols.firstId; id < cols.nextId; id++) {
    const conn = cols.connIndex[id & cols.mask];
    if (allowed === null || allowed[conn] === 1) counts.set(conn, (counts.get(conn) ?? 0) + 1);
  }
  const out = new Map<number, Uint32Array>();
  const fill = new Map<number, number>();
  for (const [conn, n] of counts) {
    out.set(conn, new Uint32Array(n));
    fill.set(conn, 0);
  }
  for (let id = cols.firstId; id < cols.nextId; id++) {
    const conn = cols.connIndex[id & cols.mask];
    const ids = out.get(conn);
    if (ids === undefined) continue;
    const k = fill.get(conn)!;
    // Offsets from firstId keep ids in 32 bits however long Framescope has been running.
    ids[k] = id - cols.firstId;
    fill.set(conn, k + 1);
  }
  return out;
}

function connectionInput(ctx: ExportContext, connectionId: string, firstTime: number): HarConnectionInput {
  const info = ctx.connections.find((c) => c.id === connectionId);
  const handshake = ctx.handshakeOf(connectionId);
  let url = handshake?.request?.url ?? info?.url ?? '';
  if (info?.role === 'server') {
    const server = ctx.servers.find((s) => s.id === info.serverId);
    if (server) url = `${server.url}${info.url.startsWith('/') ? info.url : `/${info.url}`}`;
  }
  if (!/^wss?:\/\//i.test(url)) url = `ws://unknown.invalid/${encodeURIComponent(connectionId)}`;
  const t = handshake?.timings ?? {};
  const input: HarConnectionInput = {
    url,
    startedAt: info?.openedAt ?? firstTime,
    request: {
      method: handshake?.request?.method ?? 'GET',
      httpVersion: handshake?.request?.httpVersion ?? 'HTTP/1.1',
      headers: handshake?.request?.headers ?? [],
    },
    response: handshake?.response
      ? {
          status: handshake.response.status,
          statusText: handshake.response.statusText,
          httpVersion: handshake.response.httpVersion,
          headers: handshake.response.headers,
          body: handshake.response.body !== undefined ? { text: handshake.response.body, mimeType: 'text/plain' } : undefined,
        }
      : info?.role === 'imported' || info === undefined
        ? { status: 101, statusText: 'Switching Protocols', headers: [] }
        : null,
    timings: {
      dns: t.dnsMs ?? -1,
      connect: t.connectMs ?? -1,
      ssl: t.tlsMs ?? -1,
      wait: t.upgradeMs ?? 0,
    },
    connectionId,
    messages: [],
  };
  if (info?.role === 'client' && info.remoteAddress) input.serverIPAddress = info.remoteAddress;
  if (info?.error) input.error = info.error;
  return input;
}

/**
 * HAR 1.2: one entry per connection, its messages assembled from frames
 * (fragments joined, the inflated text of compressed messages), errors for
 * violations. Written entry by entry, messages a slice at a time.
 */
export async function writeHar(ctx: ExportContext, options: ExportOptions, sink: ChunkSink): Promise<ExportSummary> {
  const yieldTo = options.yieldTo ?? yieldImmediate;
  const writeOptions = { creator: ctx.creator, includeControlFrames: options.includeControlFrames === true, secrets: options.secrets };
  const skeleton = JSON.stringify(buildHar([], writeOptions), null, 2);
  const [docHead, docTail] = splitAt(skeleton, '"entries": []', '"entries": [', ']');
  await sink(docHead);
  const cols0 = ctx.store.scanColumns();
  const base = cols0.firstId;
  const byConnection = rowsByConnection(cols0, allowedSet(cols0, options.connectionIds));
  let records = 0;
  let entries = 0;
  for (const [conn, offsets] of byConnection) {
    const connectionId = cols0.connectionIds[conn];
    const firstSlot = (base + offsets[0]) & cols0.mask;
    const entry = buildHarEntry(connectionInput(ctx, connectionId, cols0.times[firstSlot]), writeOptions);
    const entryText = indent(JSON.stringify(entry, null, 2), '    ');
    const [entryHead, entryTail] = splitAt(entryText, '"_webSocketMessages": []', '"_webSocketMessages": [', ']');
    await sink(`${entries > 0 ? ',' : ''}\n    ${entryHead}`);
    let first = true;
    const assembler = new MessageAssembler();
    for (let k = 0; k < offsets.length; ) {
      const cols = ctx.store.scanColumns();
      const sliceEnd = Math.min(offsets.length, k + SLICE_ROWS);
      const messages: HarMessage[] = [];
      for (; k < sliceEnd; k++) {
        const id = base + offsets[k];
        if (id < cols.firstId) continue; // evicted while the export ran
        const message = assembler.push(cols, id);
        if (message) messages.push(message);
      }
      if (k === offsets.length) messages.push(...assembler.flush(cols));
      const converted = buildHarEntry({ url: 'ws://x/', startedAt: 0, request: { headers: [] }, messages }, writeOptions)._webSocketMessages;
      if (converted.length > 0) {
        await sink(`${first ? '\n' : ',\n'}${converted.map((m) => `        ${JSON.stringify(m)}`).join(',\n')}`);
        first = false;
        records += converted.length;
      }
      if (k < offsets.length) await yieldTo();
    }
    await sink(`${first ? '' : '\n      '}${entryTail}`);
    entries++;
  }
  await sink(`${entries > 0 ? '\n  ' : ''}${docTail}\n`);
  return { connections: entries, records };
}

/** Splits a JSON text at a placeholder: the part up to and including `open`, and from `close` on. */
function splitAt(text: string, placeholder: string, open: string, close: string): [string, string] {
  const at = text.indexOf(placeholder);
  if (at < 0) throw new Error(`export: no ${placeholder} in the skeleton`);
  return [text.slice(0, at) + open, close + text.slice(at + placeholder.length)];
}

function indent(text: string, by: string): string {
  return text.replace(/\n/g, `\n${by}`);
}

/** Frames of one connection in, messages out: fragments joined per direction (RFC 6455 §5.4). */
class MessageAssembler {
  private readonly open = new Map<FlowDirection, { opcode: number; compressed: boolean; parts: Uint8Array[] }>();

  push(cols: ScanColumns, id: number): HarMessage | null {
    const slot = id & cols.mask;
    const bits = cols.bits[slot];
    const flow: FlowDirection = bits & INBOUND_BIT ? 'in' : 'out';
    const type = flow === 'out' ? 'send' : 'receive';
    const time = cols.times[slot] / 1000;
    const extras = cols.extras.get(id);
    if (bits & VIOLATION_BIT) {
      const v = extras?.violation;
      return { type: 'error', time, opcode: -1, data: v ? `${v.code}: ${v.message}` : 'protocol violation' };
    }
    const opcode = bits & OPCODE_BITS;
    const payload = payloadOf(cols, slot) ?? new Uint8Array(0);
    if (opcode >= 0x8) return { type, time, opcode, data: payload.slice() };
    const fin = (bits & FIN_BIT) !== 0;
    let m = this.open.get(flow);
    if (opcode !== 0) {
      m = { opcode, compressed: (bits & RSV1_BIT) !== 0, parts: [] };
      this.open.set(flow, m);
    } else if (!m) {
      // A continuation whose first frame is gone (evicted): what is left of it, as binary.
      m = { opcode: 0x2, compressed: false, parts: [] };
      this.open.set(flow, m);
    }
    m.parts.push(payload);
    if (!fin) return null;
    this.open.delete(flow);
    if (m.compressed && !extras?.inflated) {
      // Without its inflated text (inflation failed, or passed the payload limit) all there is
      // are DEFLATE bytes (RFC 7692 §7.2.2): written as what they are, not as the message.
      return { type: 'error', time, opcode: -1, data: `a compressed message that could not be inflated (${m.parts.reduce((n, p) => n + p.length, 0)} bytes of DEFLATE data, not exported)` };
    }
    const bytes = m.compressed ? extras!.inflated! : Buffer.concat(m.parts);
    if (m.opcode === 0x1) return { type, time, opcode: 1, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') };
    return { type, time, opcode: m.opcode, data: Uint8Array.prototype.slice.call(bytes) };
  }

  /** A message still missing its last frame when the capture ends: written as far as it went. */
  flush(cols: ScanColumns): HarMessage[] {
    const out: HarMessage[] = [];
    const time = cols.times[(cols.nextId - 1) & cols.mask] / 1000;
    for (const [flow, m] of this.open) {
      // A compressed message cannot be inflated without its last frame; it is left out.
      if (m.parts.length === 0 || m.compressed) continue;
      const bytes = Buffer.concat(m.parts);
      out.push({ type: flow === 'out' ? 'send' : 'receive', time, opcode: m.opcode, data: m.opcode === 1 ? bytes.toString('utf8') : new Uint8Array(bytes) });
    }
    this.open.clear();
    return out;
  }
}
