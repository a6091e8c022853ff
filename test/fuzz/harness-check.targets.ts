/** Targets that misbehave on purpose, so the harness's own test can see it catch each kind. */
import fc from 'fast-check';
import type { FuzzTarget } from './harness';

export const throwsAbove100: FuzzTarget<number> = {
  arbitrary: fc.integer(),
  run: (n) => {
    if (n > 100) throw new Error(`boom at ${n}`);
    return { ok: true, value: n };
  },
};

export const spinsAbove100: FuzzTarget<number> = {
  arbitrary: fc.integer(),
  run: (n) => {
    // A synchronous endless loop: only terminating the thread stops it.
    while (n > 100) n++;
    return { ok: true, value: n };
  },
};

export const failsWithoutWords: FuzzTarget<number> = {
  arbitrary: fc.integer(),
  run: () => ({ ok: false, error: ' ' }),
};

export const answersWithoutResult: FuzzTarget<number> = {
  arbitrary: fc.integer(),
  run: (n) => n,
};
