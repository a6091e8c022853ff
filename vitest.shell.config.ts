// `npm run test:shell`: the built desktop shell against the Electron stand-in (test/shell), after `npm run build`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/shell/**/*.test.ts'],
    environment: 'node',
    testTimeout: 40_000,
    hookTimeout: 40_000,
  },
});
