import { expect, test } from '@playwright/test';
import { startBrowserHost, type RunningHost } from './browser-host';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBrowserHost();
});
test.afterAll(async () => host?.stop());

test('starts the echo server from the UI, connects, sends, and sees the frame out and its echo in', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: /Framescope/ })).toBeVisible();

  await page.getByTestId('server-port').fill('0');
  await page.getByTestId('server-start').click();
  const serverUrl = page.getByTestId('server-url');
  await expect(serverUrl).toHaveText(/^ws:\/\/127\.0\.0\.1:\d+\/echo$/);
  const port = Number(/:(\d+)\//.exec((await serverUrl.textContent())!)![1]);
  expect(port).toBeGreaterThan(0);

  await page.getByTestId('client-url').fill(`ws://127.0.0.1:${port}/echo`);
  await page.getByTestId('client-connect').click();
  await expect(page.getByTestId('connection-state').first()).toHaveText('open');

  const message = 'hello from the e2e test ✓';
  await page.getByTestId('composer-text').fill(message);
  await page.getByTestId('composer-send').click();

  const rows = page.getByTestId('frame-row');
  await expect(rows).toHaveCount(2);
  const bytes = String(Buffer.byteLength(message));
  await expect(rows.nth(0)).toHaveAttribute('data-direction', 'out');
  await expect(rows.nth(0).getByTestId('frame-opcode')).toHaveText('text');
  await expect(rows.nth(0).getByTestId('frame-length')).toHaveText(bytes);
  await expect(rows.nth(0).getByTestId('frame-preview')).toHaveText(message);
  await expect(rows.nth(1)).toHaveAttribute('data-direction', 'in');
  await expect(rows.nth(1).getByTestId('frame-opcode')).toHaveText('text');
  await expect(rows.nth(1).getByTestId('frame-length')).toHaveText(bytes);

  // Opening a row fetches the frame from the main side: header bit by bit.
  await rows.nth(0).click();
  await expect(page.getByTestId('frame-detail')).toContainText('MASK');
  expect(errors).toEqual([]);
});

test('shows a refused connection in words and keeps working', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('client-url').fill('ws://127.0.0.1:1/nothing');
  await page.getByTestId('client-connect').click();
  await expect(page.getByTestId('client-error')).toContainText('refused');
  await expect(page.getByTestId('server-start')).toBeEnabled();
});

test('without the launch token the page says where to find it, and the bridge stays shut', async ({ page }) => {
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const response = await page.goto(host.origin + '/');
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId('missing-token')).toContainText('launch token');
  await expect(page.getByTestId('missing-token')).toContainText('framescope web');
  expect(sockets).toEqual([]);
});
