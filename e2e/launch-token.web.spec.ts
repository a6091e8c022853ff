/**
 * The browser host's launch token never reaches another origin: a second HTTP
 * server on 127.0.0.1 (another port, so another origin, but the same cookie
 * jar: RFC 6265 §8.5), visited by the same browser after it opened the app,
 * records every header it receives, and none carries the token.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { startBrowserHost, type RunningHost } from './browser-host';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

let host: RunningHost;
let other: Server;
let otherOrigin: string;
const seen: Seen[] = [];

test.beforeAll(async () => {
  host = await startBrowserHost();
  other = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/pixel')) {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg"/>');
      return;
    }
    // A page that also makes the browser ask for a subresource and call back with fetch.
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>other</title><img src="/pixel.svg"><script>fetch('/fetched', { credentials: 'include' })</script>`);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await host?.stop();
  await new Promise((resolve) => other?.close(resolve));
});

test('the token leaves the address bar, sets no cookie and reaches no other local server', async ({ page, context }) => {
  await page.goto(host.url);
  await expect(page.locator('.app')).toHaveAttribute('data-loaded', 'true');
  // Out of the address bar, and so out of history, bookmarks and screenshots.
  expect(page.url()).toBe(`${host.origin}/`);
  expect(page.url()).not.toContain(host.token);

  // The app's own page navigates away (a link, a typed script): Referer would carry its URL.
  await Promise.all([page.waitForURL(`${otherOrigin}/from-app`), page.evaluate((url) => ((globalThis as unknown as { location: { href: string } }).location.href = url), `${otherOrigin}/from-app`)]);
  // A new tab of the same browser visiting the other server: cookies for 127.0.0.1 would go along.
  const second = await context.newPage();
  await second.goto(`${otherOrigin}/new-tab`);
  await expect.poll(() => seen.filter((s) => s.url === '/fetched').length).toBe(2);
  await expect.poll(() => seen.filter((s) => s.url === '/pixel.svg').length).toBeGreaterThanOrEqual(1);

  expect(seen.map((s) => s.url)).toEqual(expect.arrayContaining(['/from-app', '/new-tab', '/fetched', '/pixel.svg']));
  for (const request of seen) {
    expect(request.headers.cookie, `${request.method} ${request.url}`).toBeUndefined();
    expect(JSON.stringify(request), `${request.method} ${request.url}`).not.toContain(host.token);
  }
  const fromApp = seen.find((s) => s.url === '/from-app')!;
  expect(fromApp.headers.referer).toBeUndefined();
  expect(await context.cookies()).toEqual([]);

  // Back in the app's tab, the page finds its token again (this tab's storage) and works.
  await page.goBack();
  expect(page.url()).toBe(`${host.origin}/`);
  await expect(page.locator('.app')).toHaveAttribute('data-loaded', 'true');
  await page.getByTestId('server-port').fill('0');
  await page.getByTestId('server-start').click();
  await expect(page.getByTestId('server-url')).toHaveText(/^ws:\/\/127\.0\.0\.1:\d+\/echo$/);
});

test('a new tab opened on the app without the token does not get it from the first tab', async ({ page, context }) => {
  await page.goto(host.url);
  await expect(page.locator('.app')).toHaveAttribute('data-loaded', 'true');
  const second = await context.newPage();
  await second.goto(`${host.origin}/`);
  await expect(second.getByTestId('missing-token')).toBeVisible();
});
