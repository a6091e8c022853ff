/** Commands of the capture and inspector feature. */
import type { ConnectionInfo, FrameDetail, ServerInfo } from '../records';
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
}

export interface CaptureCommands {
  /** The handshake of any connection, client or server side. */
  getHandshake: [{ connectionId: string }, HandshakeView];
  getFrame: [{ id: number }, FrameDetail];
  getSnapshot: [Record<string, never>, Snapshot];
  clearCapture: [Record<string, never>, { cleared: number }];
}

export const CAPTURE_COMMAND_NAMES = ['getHandshake', 'getFrame', 'getSnapshot', 'clearCapture'] as const satisfies readonly (keyof CaptureCommands)[];
