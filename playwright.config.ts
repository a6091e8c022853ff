import { defineConfig } from '@playwright/test';
// @ts-expect-error a plain .mjs helper shared with scripts/ensure-chromium.mjs
import { chromiumExecutable } from './scripts/chromium-path.mjs';

const executablePath = (chromiumExecutable as () => string | null)() ?? undefined;

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    trace: 'off',
    launchOptions: {
      executablePath,
      // As root (CI here) Chromium needs --no-sandbox; the network flags stop it
      // dialling Google services this machine cannot reach.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'browser-host', testMatch: /.*\.web\.spec\.ts/ },
    { name: 'electron', testMatch: /.*\.electron\.spec\.ts/ },
  ],
});
