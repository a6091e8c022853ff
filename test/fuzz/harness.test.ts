import { describe, expect, it } from 'vitest';
import { fuzz } from './harness';

const file = new URL('./harness-check.targets.ts', import.meta.url);

describe('the fuzz harness', () => {
  it('fails on a throw, with the shrunk input and the error', async () => {
    await expect(fuzz(file, 'throwsAbove100')).rejects.toThrow(/Counterexample: \[101\][\s\S]*boom at 101/);
  });

  it('fails on a synchronous endless loop, naming the input, instead of hanging', async () => {
    await expect(fuzz(file, 'spinsAbove100', { hangMs: 1000 })).rejects.toThrow(/got no answer within 1000 ms \(a hang\)\. The input: \d{3,}/);
  });

  it('fails on an answer that is not a result, or a failure without words', async () => {
    await expect(fuzz(file, 'answersWithoutResult')).rejects.toThrow(/expected a result value/);
    await expect(fuzz(file, 'failsWithoutWords')).rejects.toThrow(/a failure without words/);
  });
});
