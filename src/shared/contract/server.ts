/** Commands of the embedded server feature. */
import type { AppName, ServerInfo } from '../records';

export interface StartServerRequest {
  /** Defaults to 127.0.0.1; anything wider is the person's explicit choice. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  routes: Array<{ path: string; app: AppName }>;
}

export interface ServerCommands {
  startServer: [StartServerRequest, ServerInfo];
  stopServer: [{ serverId: string }, ServerInfo];
}

export const SERVER_COMMAND_NAMES = ['startServer', 'stopServer'] as const satisfies readonly (keyof ServerCommands)[];
