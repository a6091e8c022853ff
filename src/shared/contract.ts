/**
 * The one contract between main and renderer. Commands are request → tagged
 * result; events stream main → renderer in batches. The preload, main's IPC
 * binding and the browser host's bridge are all typed from these declarations,
 * and the list of command names below is the only thing they iterate over.
 */
import type { Result } from './result';
import type {
  AppName,
  ConnectionInfo,
  FrameDetail,
  LogLine,
  PackedFrames,
  ServerInfo,
} from './records';

export interface StartServerRequest {
  /** Defaults to 127.0.0.1; anything wider is the person's explicit choice. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  routes: Array<{ path: string; app: AppName }>;
}

export interface ConnectRequest {
  url: string;
  subprotocols?: string[];
}

export interface SendTextRequest {
  connectionId: string;
  text: string;
}

export interface CloseRequest {
  connectionId: string;
  code?: number;
  reason?: string;
}

/** name → [request, response]. */
export interface Commands {
  startServer: [StartServerRequest, ServerInfo];
  stopServer: [{ serverId: string }, ServerInfo];
  connect: [ConnectRequest, ConnectionInfo];
  sendText: [SendTextRequest, { bytes: number }];
  closeConnection: [CloseRequest, ConnectionInfo];
  getFrame: [{ id: number }, FrameDetail];
  getSnapshot: [Record<string, never>, Snapshot];
  clearCapture: [Record<string, never>, { cleared: number }];
}

export type CommandName = keyof Commands;
export type CommandRequest<K extends CommandName> = Commands[K][0];
export type CommandResponse<K extends CommandName> = Commands[K][1];

/** Every command, once; bindings iterate this list so none can be forgotten or invented. */
export const COMMAND_NAMES = [
  'startServer',
  'stopServer',
  'connect',
  'sendText',
  'closeConnection',
  'getFrame',
  'getSnapshot',
  'clearCapture',
] as const satisfies readonly CommandName[];

// Compile-time proof that COMMAND_NAMES lists every command.
type MissingCommands = Exclude<CommandName, (typeof COMMAND_NAMES)[number]>;
const everyCommandListed: MissingCommands extends never ? true : MissingCommands = true;
void everyCommandListed;

/** What the renderer needs to draw itself after a (re)load. */
export interface Snapshot {
  servers: ServerInfo[];
  connections: ConnectionInfo[];
  capture: CaptureStats;
}

export interface CaptureStats {
  /** Rows currently held. */
  frames: number;
  /** Rows dropped from the front to stay inside the byte budget. */
  evicted: number;
  bytes: number;
  budgetBytes: number;
}

/**
 * One batch of everything that happened since the previous one. Hosts send at
 * most one batch per window every ~33 ms, never one message per frame.
 */
export interface EventBatch {
  seq: number;
  frames: PackedFrames | null;
  /** Latest state of each connection that changed. */
  connections: ConnectionInfo[];
  servers: ServerInfo[];
  logs: LogLine[];
  capture: CaptureStats;
}

export type CommandHandler<K extends CommandName> = (
  request: CommandRequest<K>,
) => Promise<Result<CommandResponse<K>>>;

/** What main implements, once, for both hosts. */
export type CommandHandlers = { [K in CommandName]: CommandHandler<K> };

/** What the renderer sees: named methods plus one event subscription, nothing generic. */
export type FramescopeApi = { [K in CommandName]: CommandHandler<K> } & {
  /** Subscribe to event batches; returns the unsubscribe function. */
  onEvents(listener: (batch: EventBatch) => void): () => void;
  /** Which host the renderer runs in, for the status bar. */
  readonly host: 'electron' | 'browser';
};

/** IPC channel names, derived from command names so both ends agree. */
export const commandChannel = (name: CommandName): string => `framescope:command:${name}`;
export const EVENTS_CHANNEL = 'framescope:events';
