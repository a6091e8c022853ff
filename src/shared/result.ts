/**
 * Results cross the main/renderer boundary as tagged unions, never as thrown
 * errors: Electron passes only `message` from an error thrown in an IPC handler,
 * and the browser bridge would have to invent a wire form for exceptions anyway.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: string): Result<T> => ({ ok: false, error });
