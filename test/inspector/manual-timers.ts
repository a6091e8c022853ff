import type { IdleTimers } from '../../src/main/core/capture/idle-work';

/** Timers run by hand: `advance` moves the clock and runs what falls due, immediates included. */
export function manualTimers(): IdleTimers & { advance(ms: number): void; pending(): number } {
  let clock = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const immediates: Array<() => void> = [];
  const runImmediates = (): void => {
    while (immediates.length > 0) immediates.shift()!();
  };
  return {
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: clock + ms, fn });
      return seq;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    setImmediate: (fn) => immediates.push(fn),
    now: () => clock,
    advance(ms) {
      const until = clock + ms;
      for (;;) {
        runImmediates();
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        clock = Math.max(clock, due[1].at);
        due[1].fn();
      }
      clock = until;
      runImmediates();
    },
    pending: () => timers.size + immediates.length,
  };
}
