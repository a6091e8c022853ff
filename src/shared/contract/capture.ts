/** Commands of the capture and inspector feature. */
import type { ConnectionInfo, FrameDetail, PackedFrames, ServerInfo } from '../records';
import type { HandshakeView } from './client';
import type { TailInfo } from './tail';

/** What the renderer needs to draw itself after a (re)load. */
export interface Snapshot {
  servers: ServerInfo[];
  connections: ConnectionInfo[];
  tails: TailInfo[];
  capture: CaptureStats;
}

export interface CaptureStats {
  /** Rows currently held. */
  frames: number;
  /** Rows dropped from the front to stay inside the byte budget. */
  evicted: number;
  bytes: number;
  budgetBytes: number;
  /**
   * Id of the oldest row held and one past the newest. Optional for producers
   * that predate them; a consumer can derive them from the ids it received
   * (firstId = nextId - frames).
   */
  firstId?: number;
  nextId?: number;
}

/**
 * Opcode classes for the filter. A continuation frame belongs to the class of
 * the message it continues (RFC 6455 §5.4); reserved opcodes are violations.
 */
export type FrameClass = 'text' | 'binary' | 'control' | 'violation';

export const FRAME_CLASSES: readonly FrameClass[] = ['text', 'binary', 'control', 'violation'];

export interface TextCriterion {
  pattern: string;
  /** A JavaScript regular expression (without slashes) rather than plain text. */
  regex: boolean;
  caseSensitive: boolean;
  /** Regex only: further flags typed as /pattern/flags (m, s, u). */
  flags?: string;
}

/**
 * What the frame table shows. Every field narrows; an empty query in `frames`
 * unit is every row held. Text is matched against the whole payload (the
 * inflated one for compressed messages), never only a preview.
 */
export interface FrameQuery {
  /**
   * frames: one row per frame. messages: one row per data message (its first
   * frame stands for it; continuation frames are folded into it), control
   * frames and violations as they are.
   */
  unit: 'frames' | 'messages';
  direction?: 'in' | 'out';
  /** Absent or empty: every class. */
  classes?: FrameClass[];
  /** Absent or empty: every connection. */
  connectionIds?: string[];
  /** Milliseconds since the epoch, inclusive. */
  fromTime?: number;
  toTime?: number;
  text?: TextCriterion;
}

export interface FilterRequest {
  query: FrameQuery;
  /** Scan ids from here (clipped to the oldest row held). */
  fromId: number;
  /** Scan up to here (exclusive); absent: up to the newest row. */
  toId?: number;
  /**
   * A later request with the same key stops an earlier one that is still
   * scanning (a person typing a filter): it answers `cancelled`.
   */
  cancelKey?: string;
  /** Stop after about this much scanning and answer with what is done (default 400 ms). */
  budgetMs?: number;
}

/** A fragmented message among the matches (messages unit): what its first row stands for. */
export interface MessageSpan {
  headId: number;
  lastId: number;
  frames: number;
  /** Sum of the frames' payload lengths as on the wire. */
  length: number;
  /** Inflated length of a compressed message, once it is complete. */
  inflatedLength?: number;
  complete: boolean;
  /** Preview of the whole message once complete (the head frame's own preview shows only its part). */
  preview?: string;
}

export interface FilterResult {
  /** Where the scan started (the oldest row held if the request asked for less). */
  fromId: number;
  /** One past the last id examined; ask again from here for the rest. */
  scannedTo: number;
  /** Base64 bitmap: bit k (LSB first within each byte) set when id fromId + k matches. */
  matchBits: string;
  matched: number;
  /** True when scannedTo reached the requested end (or the newest row). */
  done: boolean;
  /** A later request with the same cancelKey superseded this one; nothing in it is meaningful. */
  cancelled?: boolean;
  /**
   * Messages unit: ids before fromId that match now because their message
   * completed inside this range (a fragmented message is judged whole).
   */
  lateMatches?: number[];
  /** Messages unit: fragmented messages touched by this range. */
  messages?: MessageSpan[];
  firstId: number;
  nextId: number;
  /** Rows scanned per millisecond, for the status line. */
  rate?: number;
}

/** Smallest and largest capture budgets a person may choose. */
export const MIN_CAPTURE_BUDGET_BYTES = 16 * 1024 * 1024;
export const MAX_CAPTURE_BUDGET_BYTES = 64 * 1024 * 1024 * 1024;

/** Rows for the table that the event stream did not deliver (skipped, or scrolled back to). */
export interface RowsRequest {
  /** A contiguous range… */
  fromId?: number;
  count?: number;
  /** …or these ids (at most 2 000). */
  ids?: number[];
}

/** PackedFrames; when `ids` is present, row i has id ids[i] instead of firstId + i. */
export type RowsPage = PackedFrames & { ids?: number[] };

export type ExportFormat = 'har' | 'ndjson';

export interface ExportRequest {
  format: ExportFormat;
  /** Write here (absolute, or relative to the home directory). Absent: answer with the text (small captures only). */
  path?: string;
  /** Only these connections; absent or empty: all. */
  connectionIds?: string[];
  /** HAR: also write close, ping and pong frames (Chrome does not). */
  includeControlFrames?: boolean;
  /** Replace a file already at `path`. Without it such an export is refused and the file is left as it was. */
  overwrite?: boolean;
  /**
   * Write Authorization, Cookie, API keys and URL credentials as they are. Without it they
   * become "<redacted>" (shared/secrets.ts lists what counts).
   */
  includeSecrets?: boolean;
  /** More header names to redact, beside the ones redacted by default. */
  secretHeaders?: string[];
}

export interface ExportResult {
  path?: string;
  /** The exported text when no path was given. */
  text?: string;
  fileName: string;
  bytes: number;
  connections: number;
  /** Frames (NDJSON) or messages (HAR) written. */
  records: number;
}

export interface ImportRequest {
  /** A HAR file on the machine running Framescope… */
  path?: string;
  /** …or its text (the browser host's file picker). */
  text?: string;
  /** Shown as the source of the imported connections. */
  name?: string;
}

export interface ImportResult {
  connections: ConnectionInfo[];
  frames: number;
  skippedEntries: number;
  warnings: string[];
}

export interface CaptureCommands {
  /** The handshake of any connection, client or server side. */
  getHandshake: [{ connectionId: string }, HandshakeView];
  /** One row, header and payload; payloads beyond maxPayloadBytes (default 1 MiB) are cut. */
  getFrame: [{ id: number; maxPayloadBytes?: number }, FrameDetail];
  getSnapshot: [Record<string, never>, Snapshot];
  clearCapture: [Record<string, never>, { cleared: number }];
  /** Scan rows against a query on the main side, where the payloads are. */
  filterFrames: [FilterRequest, FilterResult];
  getRows: [RowsRequest, RowsPage | null];
  /** For each time, the id of the first row captured after it (a log line sits before that row). */
  locateTimes: [{ times: number[] }, { ids: number[] }];
  exportCapture: [ExportRequest, ExportResult];
  importHar: [ImportRequest, ImportResult];
  /** The capture's byte budget; lowering it evicts the oldest frames at once (counted as evicted). */
  setCaptureBudget: [{ bytes: number }, CaptureStats];
}

export const CAPTURE_COMMAND_NAMES = [
  'getHandshake',
  'getFrame',
  'getSnapshot',
  'clearCapture',
  'filterFrames',
  'getRows',
  'locateTimes',
  'exportCapture',
  'importHar',
  'setCaptureBudget',
] as const satisfies readonly (keyof CaptureCommands)[];
