/**
 * Random bytes and structured garbage against the parsers that read what a person or a
 * peer hands Framescope: the opening handshake, HAR files, the server config and the saved
 * workbench. Each must answer with a result, an error in words or a value, and never throw
 * or hang. Each property runs FUZZ_RUNS times (200 by default, in its own worker thread;
 * see harness.ts); `FUZZ_RUNS=20000 npx vitest run test/fuzz` runs them longer, and
 * FUZZ_SEED=<seed> replays a failure fast-check reported.
 */
import { describe, expect, it } from 'vitest';
import { fuzz, FUZZ_RUNS, FUZZ_TEST_TIMEOUT_MS } from './harness';

const targets: Record<string, string[]> = {
  'handshake.targets.ts': ['bytesAsRequestAndResponse', 'almostRequests', 'almostResponses'],
  'har.targets.ts': ['textHar', 'jsonHar', 'almostDevToolsHar'],
  'server-config.targets.ts': ['textConfig', 'jsonConfig', 'almostValidConfig'],
  'persistence.targets.ts': ['bytesStore', 'jsonStore', 'almostValidStore'],
};

for (const [file, names] of Object.entries(targets)) {
  describe(`fuzzing ${file.replace('.targets.ts', '')}`, () => {
    for (const name of names) {
      it(`${name}: every input answers with a result, never a throw or a hang`, async () => {
        const outcome = await fuzz(new URL(`./${file}`, import.meta.url), name);
        expect(outcome.runs).toBe(FUZZ_RUNS);
      }, FUZZ_TEST_TIMEOUT_MS);
    }
  });
}
