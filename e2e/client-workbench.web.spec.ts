import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrowserHost, type RunningHost } from './browser-host';
import { startServerFromUi } from './server-ui';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBrowserHost();
});
test.afterAll(async () => host?.stop());

/** Starts an echo server from the UI and returns its ws:// URL. */
async function startEchoServer(page: Page, subprotocols?: string): Promise<string> {
  if (subprotocols) {
    await page.getByRole('button', { name: '+ policy and limits' }).click();
    await page.getByLabel('Subprotocols (preference order)').fill(subprotocols);
  }
  const url = await startServerFromUi(page);
  expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/echo$/);
  return url;
}

async function connect(page: Page, url: string): Promise<void> {
  await page.getByTestId('client-url').fill(url);
  await page.getByTestId('client-connect').click();
  await expect(page.locator('.connection-head')).toContainText('open');
}

/** A fresh page with a client connected to a new echo server. */
async function openEchoConnection(page: Page): Promise<void> {
  await page.goto(host.url);
  await connect(page, await startEchoServer(page));
}

test('custom headers and a subprotocol reach the server, and the handshake panel shows them with the RFC checklist', async ({ page }) => {
  await page.goto(host.url);
  const url = await startEchoServer(page, 'chat.v2, chat.v1');
  await page.getByTestId('client-options-toggle').click();
  const headers = page.getByTestId('client-headers');
  await headers.getByRole('button', { name: '+ add' }).click();
  await headers.getByPlaceholder('Header-Name').fill('X-Framescope-Test');
  await headers.getByPlaceholder('value').fill('42');
  await page.getByTestId('client-subprotocols').fill('chat.v1');
  await connect(page, url);
  await expect(page.locator('.connection-head')).toContainText('chat.v1');

  await page.getByRole('tab', { name: 'Handshake' }).click();
  await expect(page.getByTestId('handshake-request')).toContainText('X-Framescope-Test: 42');
  await expect(page.getByTestId('handshake-request')).toContainText('Sec-WebSocket-Protocol: chat.v1');
  await expect(page.getByTestId('handshake-response')).toContainText('101');
  const checks = page.getByTestId('handshake-checks');
  await expect(checks.locator('li.pass').first()).toBeVisible();
  await expect(checks.locator('li.fail')).toHaveCount(0);
});

test('binary as hex: invalid input points at the bad character; valid input goes out as a binary frame', async ({ page }) => {
  await openEchoConnection(page);
  await page.getByRole('tab', { name: 'Hex' }).click();
  await page.getByTestId('composer-text').fill('de ad zz');
  await sendRefused(page, /invalid hex digit 'z'/);

  await page.getByTestId('composer-text').fill('de ad be ef');
  await sendAndSeeBinaryEcho(page, 'de ad be ef');
});

test('a file goes out as the person chose: a non-UTF-8 file as text is refused in words, as binary it is sent', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-e2e-file-'));
  const file = join(dir, 'latin1.bin');
  writeFileSync(file, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  await openEchoConnection(page);
  await page.getByRole('tab', { name: 'File' }).click();
  await page.getByTestId('composer-text').fill(file);
  await expect(page.getByTestId('file-as')).toHaveValue('text');
  await sendRefused(page, /is not UTF-8 text \(invalid byte 0xe9 at offset 3\)/);
  await page.getByTestId('file-as').selectOption('binary');
  await sendAndSeeBinaryEcho(page, '63 61 66 e9');
});

/** Send is refused with `message` shown, and nothing goes out. */
async function sendRefused(page: Page, message: RegExp): Promise<void> {
  await page.getByTestId('composer-send').click();
  await expect(page.getByRole('alert').filter({ hasText: message })).toBeVisible();
  await expect(page.getByTestId('frame-row')).toHaveCount(0);
}

/** Send goes out as one binary frame with this preview, and the echo server sends a binary frame back. */
async function sendAndSeeBinaryEcho(page: Page, preview: string): Promise<void> {
  await page.getByTestId('composer-send').click();
  const rows = page.getByTestId('frame-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByTestId('frame-opcode')).toHaveText('binary');
  await expect(rows.nth(0).getByTestId('frame-preview')).toHaveText(preview);
  await expect(rows.nth(1).getByTestId('frame-opcode')).toHaveText('binary');
}

test('a message sent as three fragments appears as three frames on the wire', async ({ page }) => {
  await openEchoConnection(page);
  await page.getByTestId('composer-text').fill('abcdefghi');
  await page.getByTestId('fragments').fill('3');
  await page.getByTestId('composer-send').click();
  const out = page.locator('[data-testid="frame-row"][data-direction="out"]');
  await expect(out).toHaveCount(3);
  await expect(out.nth(0).getByTestId('frame-opcode')).toHaveText('text');
  await expect(out.nth(1).getByTestId('frame-opcode')).toHaveText('cont');
  await expect(out.nth(2).getByTestId('frame-opcode')).toHaveText('cont');
  await expect(page.locator('[data-testid="frame-row"][data-direction="in"]').first().getByTestId('frame-preview')).toHaveText('abcdefghi');
});

test('a raw frame with RSV2 set is written as is, and the server closes with 1002', async ({ page }) => {
  await openEchoConnection(page);
  await page.getByRole('tab', { name: 'Raw frame' }).click();
  await page.getByText('RSV2', { exact: true }).click();
  await page.getByTestId('composer-text').fill('rule breaker');
  await page.getByTestId('composer-send').click();
  await expect(page.getByTestId('composer-status')).toContainText('as is');
  const closeRow = page.locator('[data-testid="frame-row"][data-direction="in"][data-opcode="8"]');
  await expect(closeRow).toBeVisible();
  await expect(closeRow.getByTestId('frame-preview')).toContainText('1002');
  await expect(page.locator('.connection-head')).toContainText('closed');
});

test('a ping measures its round trip', async ({ page }) => {
  await openEchoConnection(page);
  await page.getByRole('tab', { name: 'Ping / Close' }).click();
  await page.getByTestId('ping').click();
  await expect(page.getByTestId('composer-status')).toContainText(/pong after \d+(\.\d+)? ms/);
  await expect(page.locator('[data-testid="frame-row"][data-opcode="9"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="frame-row"][data-opcode="10"]')).toHaveCount(1);
});

test('JSON: invalid JSON is refused with its line and column; Format pretty-prints without rounding numbers', async ({ page }) => {
  await openEchoConnection(page);
  await page.getByRole('tab', { name: 'JSON' }).click();
  await page.getByTestId('composer-text').fill('{"id": 12345678901234567890,\n "ok": tru}');
  await page.getByTestId('format-json').click();
  await expect(page.getByRole('alert').filter({ hasText: /line 2, column \d+/ })).toBeVisible();
  await page.getByTestId('composer-text').fill('{"id":12345678901234567890,"tags":["a","b"]}');
  await page.getByTestId('format-json').click();
  await expect(page.getByTestId('composer-text')).toHaveValue('{\n  "id": 12345678901234567890,\n  "tags": [\n    "a",\n    "b"\n  ]\n}');
  await page.getByTestId('composer-send').click();
  await expect(page.locator('[data-testid="frame-row"][data-direction="in"]')).toHaveCount(1);
});
