/** Commands of the client workbench feature. */
import type { ConnectionInfo } from '../records';

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

export interface ClientCommands {
  connect: [ConnectRequest, ConnectionInfo];
  sendText: [SendTextRequest, { bytes: number }];
  closeConnection: [CloseRequest, ConnectionInfo];
}

export const CLIENT_COMMAND_NAMES = ['connect', 'sendText', 'closeConnection'] as const satisfies readonly (keyof ClientCommands)[];
