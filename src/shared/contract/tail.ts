/** Commands of the log tails: follow any number of files, like `tail -F`. */

export interface TailInfo {
  id: string;
  path: string;
  state: 'following' | 'missing' | 'error' | 'stopped';
  intervalMs: number;
  error?: string;
}

/** One line, or one thing that happened to the file (truncated, rotated, deleted, …). */
export interface TailRecord {
  tailId: string;
  /** Milliseconds since the epoch, when Framescope read it. */
  time: number;
  kind: 'line' | 'truncated' | 'rotated' | 'deleted' | 'created' | 'recreated' | 'error';
  text: string;
}

export interface TailCommands {
  startTail: [{ path: string; intervalMs?: number }, TailInfo];
  stopTail: [{ id: string }, TailInfo];
}

export const TAIL_COMMAND_NAMES = ['startTail', 'stopTail'] as const satisfies readonly (keyof TailCommands)[];
