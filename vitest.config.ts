import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/shell runs the built bundles, so it runs after the build (vitest.shell.config.ts).
    exclude: [...configDefaults.exclude, 'test/shell/**'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
