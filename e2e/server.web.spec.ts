import { expect, test } from '@playwright/test';
import { startBrowserHost, type RunningHost } from './browser-host';
import { startServerFromUi } from './server-ui';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBrowserHost();
});
test.afterAll(async () => host?.stop());

test('pub/sub: a client subscribes, the person publishes from the server view, the client receives it', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('server-path').fill('/bus');
  await page.getByTestId('server-app').selectOption('pubsub');
  const url = await startServerFromUi(page);
  await expect(page.getByTestId('server-view')).toBeVisible();

  await page.getByTestId('client-url').fill(url);
  await page.getByTestId('client-connect').click();
  await expect(page.locator('.connection-head')).toContainText('open');
  await page.getByTestId('composer-text').fill('{"op":"subscribe","topic":"prices/+"}');
  await page.getByTestId('composer-send').click();
  await expect(page.locator('[data-testid="frame-row"][data-direction="in"]')).not.toHaveCount(0);

  await page.getByTestId('server-listening').last().getByRole('button').first().click();
  await expect(page.getByTestId('server-subscriptions')).toContainText('prices/+');
  await page.getByTestId('publish-topic').fill('prices/eur');
  await page.getByTestId('publish-payload').fill('1.0842');
  await page.getByTestId('publish').click();
  await expect(page.getByText('delivered to 1 subscriber(s)')).toBeVisible();

  await page.getByTestId('connection-tab').first().click();
  await expect(page.locator('[data-testid="frame-row"][data-direction="in"]').last().getByTestId('frame-preview')).toContainText('prices/eur');
});

test('at the connection cap the next client is refused with 503, in words', async ({ page }) => {
  await page.goto(host.url);
  await page.getByRole('button', { name: '+ policy and limits' }).click();
  await page.getByTestId('server-max-connections').fill('1');
  const url = await startServerFromUi(page);
  await page.getByTestId('client-url').fill(url);
  await page.getByTestId('client-connect').click();
  await expect(page.locator('.connection-head')).toContainText('open');
  await page.getByTestId('client-connect').click();
  await expect(page.getByTestId('client-error')).toContainText(/503|connection limit/i);
  await expect(page.getByTestId('server-start')).toBeEnabled();
});

test('log tails: follow a file, see appended lines, filter them', async ({ page }) => {
  const { mkdtempSync, writeFileSync, appendFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'fs-e2e-tail-')), 'app.log');
  writeFileSync(file, 'before\n');
  await page.goto(host.url);
  await page.getByTestId('open-logs').click();
  await page.getByTestId('tail-path').fill(file);
  await page.getByTestId('tail-start').click();
  await expect(page.getByTestId('tail-tab')).toHaveCount(1);
  appendFileSync(file, 'GET /orders 200\nPOST /orders 500\n');
  await expect(page.getByTestId('log-line')).toHaveCount(2);
  await page.getByTestId('log-filter').fill('/ 5\\d\\d$/');
  await expect(page.getByTestId('log-line')).toHaveCount(1);
  await expect(page.getByTestId('log-line')).toContainText('POST /orders 500');
});
