// Takes the README screenshot: starts the browser host, drives the real UI in
// Chromium (echo server, a client, a few messages) and saves docs/screenshot.png.
// Run after `npm run build`: node scripts/screenshot.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from '@playwright/test';
import { chromiumExecutable } from './chromium-path.mjs';

const out = process.argv[2] ?? 'docs/screenshot.png';
const host = spawn(process.execPath, ['bin/framescope.mjs', 'web', '--port', '0'], {
  env: { ...process.env, FRAMESCOPE_DATA_DIR: mkdtempSync(join(tmpdir(), 'framescope-shot-')) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve) => createInterface({ input: host.stdout }).once('line', resolve));
const browser = await chromium.launch({
  executablePath: chromiumExecutable() ?? undefined,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 }, colorScheme: process.env.SHOT_SCHEME ?? 'light' });
  await page.goto(url);
  await page.getByTestId('server-start').click();
  await page.getByTestId('server-listening').first().waitFor();
  await page.getByRole('button', { name: 'Use' }).first().click();
  await page.getByTestId('client-connect').click();
  await page.getByTestId('connection-state').first().filter({ hasText: 'open' }).waitFor();
  const messages = [
    '{"op":"subscribe","topic":"prices/+"}',
    '{"op":"publish","topic":"prices/eur","payload":{"bid":1.0842,"ask":1.0844}}',
    'alive',
    'The quick brown fox jumps over the lazy dog — ünïcödé ✓',
  ];
  for (const text of messages) {
    await page.getByTestId('composer-text').fill(text);
    await page.getByTestId('composer-send').click();
  }
  await page.getByTestId('frame-row').nth(messages.length * 2 - 1).waitFor();
  await page.getByTestId('frame-row').nth(2).click();
  await page.getByTestId('frame-detail').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
  host.kill('SIGINT');
}
