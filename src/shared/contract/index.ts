/**
 * The one contract between main and renderer. Commands are request → tagged
 * result; events stream main → renderer in batches. The preload, main's IPC
 * binding and the browser host's bridge are all typed from these declarations,
 * and the list of command names below is the only thing they iterate over.
 */
import type { Result } from '../result';
import type { ConnectionInfo, LogLine, PackedFrames, ServerInfo } from '../records';
import { CAPTURE_COMMAND_NAMES, type CaptureCommands, type CaptureStats } from './capture';
import { CLIENT_COMMAND_NAMES, type ClientCommands } from './client';
import { SERVER_COMMAND_NAMES, type ServerCommands } from './server';
import { TAIL_COMMAND_NAMES, type TailCommands, type TailInfo, type TailRecord } from './tail';

export type * from './capture';
export type * from './client';
export type * from './server';
export type * from './tail';

/**
 * name → [request, response]. Each feature declares its own commands in its
 * own module (so features can grow side by side); this is their union.
 */
export interface Commands extends ServerCommands, ClientCommands, CaptureCommands, TailCommands {}

export type CommandName = keyof Commands;
export type CommandRequest<K extends CommandName> = Commands[K][0];
export type CommandResponse<K extends CommandName> = Commands[K][1];

/** Every command, once; bindings iterate this list so none can be forgotten or invented. */
export const COMMAND_NAMES = [
  ...SERVER_COMMAND_NAMES,
  ...CLIENT_COMMAND_NAMES,
  ...CAPTURE_COMMAND_NAMES,
  ...TAIL_COMMAND_NAMES,
] as const satisfies readonly CommandName[];

// Compile-time proof that COMMAND_NAMES lists every command.
type MissingCommands = Exclude<CommandName, (typeof COMMAND_NAMES)[number]>;
const everyCommandListed: MissingCommands extends never ? true : MissingCommands = true;
void everyCommandListed;

/**
 * One batch of everything that happened since the previous one. Hosts send at
 * most one batch per window every ~50 ms, never one message per frame.
 */
export interface EventBatch {
  seq: number;
  frames: PackedFrames | null;
  /** Latest state of each connection that changed. */
  connections: ConnectionInfo[];
  servers: ServerInfo[];
  logs: LogLine[];
  /** Lines and file events from the log tails, in order. */
  tail: TailRecord[];
  /** Latest state of each tail that changed. */
  tails: TailInfo[];
  capture: CaptureStats;
  /**
   * Frames the stream skipped for this window so far (it opened late, or fell
   * behind): still in the store, fetched on demand. Absent when none were.
   */
  skipped?: number;
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
