import { expect, test, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserHost, type RunningHost } from './browser-host';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBrowserHost();
});
test.afterAll(async () => host?.stop());

/** Starts the echo server from the UI and connects a client to it; returns the page with the client shown. */
async function connectToEcho(page: Page): Promise<void> {
  await page.goto(host.url);
  await page.getByTestId('server-port').fill('0');
  await page.getByTestId('server-start').click();
  await expect(page.getByTestId('server-listening').first()).toBeVisible();
  await page.getByRole('button', { name: 'Use' }).first().click();
  await page.getByTestId('client-connect').click();
  await expect(page.getByTestId('connection-state').first()).toHaveText('open');
}

async function send(page: Page, text: string, fragments = 1): Promise<void> {
  await page.getByTestId('fragments').fill(String(fragments));
  await page.getByTestId('composer-text').fill(text);
  await page.getByTestId('composer-send').click();
}

test('filters frames by payload, direction and class; folds fragments into messages; shows a frame bit by bit', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await connectToEcho(page);
  const rows = page.getByTestId('frame-row');

  await send(page, '{"op":"subscribe","topic":"prices/eur","ids":[1,2,3]}');
  await send(page, 'alive');
  await send(page, 'one two three four five six', 3);
  await expect(rows).toHaveCount(2 + 2 + 4); // the echo answers the fragmented message in one frame

  // Text anywhere in the payload; a regular expression; a bad one is explained, not thrown.
  const filter = page.getByTestId('frame-filter');
  await filter.fill('SUBSCRIBE');
  await expect(rows).toHaveCount(2);
  await expect(rows.first().getByTestId('frame-preview')).toContainText('subscribe');
  await filter.fill('/^ali(ve|en)$/');
  await expect(rows).toHaveCount(2);
  await filter.fill('/([a-z/');
  await expect(page.getByTestId('filter-error')).toContainText('not a valid regular expression');
  await filter.fill('');
  await expect(rows).toHaveCount(8);

  await page.getByTestId('filter-dir-in').click();
  await expect(rows).toHaveCount(3);
  for (const dir of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-direction')))) expect(dir).toBe('in');
  await page.getByTestId('filter-dir-both').click();

  // Messages: the three fragments are one row, marked ×3.
  await page.getByTestId('unit-messages').click();
  await expect(rows).toHaveCount(6);
  await expect(page.getByText('×3')).toBeVisible();
  await page.getByTestId('unit-frames').click();
  await expect(rows).toHaveCount(8);

  // Control frames: ping and pong, then only them.
  await page.getByRole('tab', { name: 'Ping / Close' }).click();
  await page.getByTestId('ping').click();
  await expect(rows).toHaveCount(10);
  await page.getByTestId('filter-class-control').click({ modifiers: ['Alt'] });
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByTestId('frame-opcode')).toHaveText('ping');
  await expect(rows.nth(1).getByTestId('frame-opcode')).toHaveText('pong');
  await page.getByTestId('filter-class-text').click();
  await page.getByTestId('filter-class-binary').click();
  await page.getByTestId('filter-class-violation').click();
  await expect(rows).toHaveCount(10);

  // The detail pane: header bit by bit, mask key, JSON tree, hexdump with offsets.
  await rows.first().click();
  const detail = page.getByTestId('frame-detail');
  await expect(detail.getByTestId('header-bits')).toContainText('masking key');
  await expect(detail.getByTestId('json-tree')).toContainText('"topic"');
  await detail.getByTestId('payload-tab-hex').click();
  await expect(detail.getByTestId('payload-hex')).toContainText('00000000  7b 22 6f 70');
  // A fragment shows the whole message it belongs to.
  await rows.nth(5).click();
  await expect(detail.getByTestId('message-info')).toContainText('3 frames');
  expect(errors).toEqual([]);
});

test('keyboard: Ctrl+F focuses the filter, Ctrl+L asks before clearing the capture; the theme can be set by hand', async ({ page }) => {
  await connectToEcho(page);
  await send(page, 'to be cleared');
  const rows = page.getByTestId('frame-row');
  await expect(rows).toHaveCount(2);
  await page.getByTestId('frame-body').click();
  await page.keyboard.press('Control+f');
  await expect(page.getByTestId('frame-filter')).toBeFocused();

  // Typing in the Composer: Ctrl+L is not the capture's business there.
  const composer = page.getByTestId('composer-text');
  await composer.fill('');
  await composer.pressSequentially('hello');
  await page.keyboard.press('Control+l');
  await expect(composer).toHaveValue('hello');
  await expect(page.getByTestId('clear-confirm')).toHaveCount(0);
  await expect(rows).toHaveCount(2);

  // In the frames area it asks, says what goes, and keeps the frames when told to.
  await page.getByTestId('frame-body').click();
  await page.keyboard.press('Control+l');
  // clearCapture drops every connection's frames (the echo server's side too), so the question says so.
  await expect(page.getByTestId('clear-confirm')).toContainText(/Clear all \d+ captured frames, of every connection/);
  await expect(page.getByTestId('clear-confirm-no')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('clear-confirm')).toHaveCount(0);
  await expect(rows).toHaveCount(2);

  await page.getByTestId('frame-body').click();
  await page.keyboard.press('Control+l');
  await page.getByTestId('clear-confirm-yes').click();
  await expect(rows).toHaveCount(0);
  await expect(page.getByTestId('frames-notice')).toContainText(/Cleared all \d+ captured frames/);

  // The Clear button asks the same question.
  await send(page, 'again');
  await expect(rows).toHaveCount(2);
  await page.getByTestId('clear-capture').click();
  await expect(page.getByTestId('clear-confirm')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(rows).toHaveCount(2);

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('html')).toHaveCSS('background-color', 'rgb(20, 23, 28)');
  // Remembered in this browser profile.
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);
});

test('the time column reads absolute, since the first row, or since the previous row, and keeps the choice', async ({ page }) => {
  await connectToEcho(page);
  await send(page, 'tick');
  const rows = page.getByTestId('frame-row');
  await expect(rows).toHaveCount(2);
  const time = (i: number) => rows.nth(i).locator('.c-time');
  await expect(time(0)).toHaveText(/^\d\d:\d\d:\d\d\.\d{6}$/);
  await page.getByTestId('time-mode').click();
  await expect(page.getByTestId('time-mode')).toContainText('since first');
  await expect(time(0)).toHaveText('+0 µs');
  await expect(time(1)).toHaveText(/^\+\d+(\.\d+)? (µs|ms|s)$/);
  await page.getByTestId('time-mode').click();
  await expect(time(1)).toHaveText(/^Δ \d+(\.\d+)? (µs|ms|s)$/);
  await page.reload();
  await page.getByTestId('open-all-frames').click();
  await expect(page.getByTestId('time-mode')).toContainText('Δ previous');
});

test('follows new frames, pauses when scrolled up with "N new" to jump back; every connection in one list', async ({ page }) => {
  await connectToEcho(page);
  for (let i = 0; i < 14; i++) await send(page, `message ${i}`);
  const rows = page.getByTestId('frame-row');
  const body = page.getByTestId('frame-body');
  await expect(page.getByTestId('frames-panel')).toHaveAttribute('data-view-rows', '28');
  await expect(body).toHaveAttribute('data-follow', 'true');
  await expect(rows.last().getByTestId('frame-preview')).toHaveText('message 13');

  await body.hover();
  await page.mouse.wheel(0, -2000);
  await expect(body).toHaveAttribute('data-follow', 'false');
  await send(page, 'while you were away');
  await expect(page.getByTestId('new-marker')).toHaveText('2 new ↓');
  await page.getByTestId('new-marker').click();
  await expect(body).toHaveAttribute('data-follow', 'true');
  await expect(rows.last().getByTestId('frame-preview')).toHaveText('while you were away');

  // Both ends of the conversation, with the connection column.
  await page.getByTestId('open-all-frames').click();
  await expect.poll(async () => Number(await page.getByTestId('frames-panel').getAttribute('data-view-rows'))).toBeGreaterThanOrEqual(60);
  await expect(page.locator('.frame-row .c-conn').first()).toBeVisible();
  // The host is shared by this file's tests: the newest client connection is this test's.
  const select = page.getByTestId('filter-connection');
  const clients = await select.locator('option').evaluateAll((options) =>
    options.filter((o) => o.textContent?.includes('ws://')).map((o) => o.getAttribute('value') ?? ''),
  );
  await select.selectOption(clients[clients.length - 1]);
  await expect(page.getByTestId('frames-panel')).toHaveAttribute('data-view-rows', '30');
});

/** Fourteen echoes (28 rows), then the wheel scrolls the table up by `deltaY` pixels, which stops it following. */
async function pausedAfterFourteenEchoes(page: Page, deltaY: number): Promise<Locator> {
  await connectToEcho(page);
  for (let i = 0; i < 14; i++) await send(page, `message ${i}`);
  const body = page.getByTestId('frame-body');
  await expect(page.getByTestId('frames-panel')).toHaveAttribute('data-view-rows', '28');
  await body.hover();
  await page.mouse.wheel(0, -deltaY);
  await expect(body).toHaveAttribute('data-follow', 'false');
  return body;
}

async function clearAndSeeNoRows(page: Page): Promise<void> {
  await page.getByTestId('clear-capture').click();
  await page.getByTestId('clear-confirm-yes').click();
  await expect(page.getByTestId('frame-row')).toHaveCount(0);
}

test('"N new" counts rows by id: rows after a Clear made while scrolled up still count', async ({ page }) => {
  await pausedAfterFourteenEchoes(page, 2000);
  await clearAndSeeNoRows(page);
  // Fewer rows now than when following stopped: a count of rows would say 0 here.
  await send(page, 'after the clear');
  await expect(page.getByTestId('new-marker')).toHaveText('2 new ↓');
  await page.getByTestId('new-marker').click();
  await expect(page.getByTestId('frame-row').last().getByTestId('frame-preview')).toHaveText('after the clear');
});

test('a Clear made while paused near the bottom keeps the table paused: the browser pulling the scrollbar to the new end is not the person scrolling', async ({ page }) => {
  // A little way up, so the scrollbar is still far from the top when the list empties.
  const body = await pausedAfterFourteenEchoes(page, 120);
  let at = -1;
  await expect.poll(async () => {
    const now = await body.evaluate((el) => el.scrollTop);
    const still = now === at;
    at = now;
    return still;
  }).toBe(true);
  expect(at).toBeGreaterThan(100);
  await clearAndSeeNoRows(page);
  await expect.poll(() => body.evaluate((el) => el.scrollTop)).toBe(0);
  await expect(body).toHaveAttribute('data-follow', 'false');
  await send(page, 'after the clear');
  await expect(page.getByTestId('new-marker')).toHaveText('2 new ↓');
});

test('exports HAR and NDJSON for download, and opens a Chrome DevTools HAR offline', async ({ page }) => {
  await connectToEcho(page);
  await send(page, '{"hello":"har"}');
  await expect(page.getByTestId('frame-row')).toHaveCount(2);

  await page.getByTestId('open-export').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^framescope-.*\.har$/);
  const har = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(har.log.entries[0]._resourceType).toBe('websocket');
  expect(har.log.entries[0]._webSocketMessages.map((m: { data: string }) => m.data)).toEqual(['{"hello":"har"}', '{"hello":"har"}']);
  await expect(page.getByTestId('export-status')).toContainText('Downloaded');

  await page.getByTestId('export-ndjson').check();
  const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
  const lines = readFileSync((await ndjson.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: 'frame', opcode: 1, masked: true, flow: 'out' });

  // An unwritable path is explained.
  await page.getByTestId('export-path').fill('/proc/framescope-cannot-write-here/x.har');
  await page.getByTestId('export-save').click();
  await expect(page.getByTestId('export-error')).toContainText('cannot write');

  await page.getByTestId('open-import').click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('import-choose').click();
  await (await chooser).setFiles(join(import.meta.dirname, '../test/inspector/fixtures/chrome-devtools.har'));
  // The imported connection opens: its messages in the table, its handshake with the checklist.
  await expect(page.locator('.connection-head')).toContainText('wss://example.test/live?room=7');
  await expect(page.getByTestId('frame-row')).toHaveCount(4);
  await expect(page.getByTestId('frame-row').nth(2).getByTestId('frame-opcode')).toHaveText('binary');
  await page.getByRole('tab', { name: 'Handshake' }).click();
  await expect(page.getByTestId('handshake-checks')).toContainText('Sec-WebSocket-Accept');
  await expect(page.getByTestId('composer')).toHaveCount(0);
});

test('an export leaves credentials out unless the person ticks "Include secrets"', async ({ page }) => {
  await page.goto(host.url);
  await page.getByTestId('server-port').fill('0');
  await page.getByTestId('server-start').click();
  const port = new URL((await page.getByTestId('server-url').first().textContent())!).port;
  await page.getByTestId('client-url').fill(`ws://ada:pw-s3cret@127.0.0.1:${port}/echo?access_token=tok-123`);
  await page.getByTestId('client-connect').click();
  await expect(page.getByTestId('connection-state').first()).toHaveText('open');
  await send(page, 'secret-free message');
  await expect(page.getByTestId('frame-row')).toHaveCount(2);
  const basic = Buffer.from('ada:pw-s3cret').toString('base64');

  await page.getByTestId('open-export').click();
  const download = async (): Promise<string> => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
    return readFileSync((await file.path())!, 'utf8');
  };
  const redacted = await download();
  expect(redacted).not.toContain(basic);
  expect(redacted).not.toContain('tok-123');
  const entry = JSON.parse(redacted).log.entries[0];
  expect(entry.request.url).toMatch(/\/echo\?access_token=<redacted>$/);
  expect(entry.request.headers).toContainEqual({ name: 'Authorization', value: '<redacted>' });

  // A header the person marks secret (here one every handshake has) is redacted too.
  await page.getByTestId('export-secret-headers').fill('sec-websocket-key');
  const marked = JSON.parse(await download()).log.entries[0];
  expect(marked.request.headers.find((h: { name: string }) => h.name.toLowerCase() === 'sec-websocket-key').value).toBe('<redacted>');
  await page.getByTestId('export-secret-headers').fill('X:Bad');
  await page.getByTestId('export-download').click();
  await expect(page.getByTestId('export-error')).toContainText('"X:Bad" is not a header name');

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.getByTestId('export-popover').screenshot({ path: test.info().outputPath(`export-secrets-${scheme}.png`) });
  }

  await page.getByTestId('export-include-secrets').check();
  await expect(page.getByTestId('export-secret-headers')).toBeDisabled();
  const included = await download();
  expect(included).toContain(basic);
  expect(included).toContain('tok-123');
});

test('log lines sit among the frames on one timeline', async ({ page }) => {
  await connectToEcho(page);
  await send(page, 'before the log line');
  await expect(page.getByTestId('frame-row')).toHaveCount(2);
  await page.getByTestId('interleave-logs').check();
  // Framescope's own log (server started, client connected) precedes the frames.
  await expect(page.getByTestId('timeline-log').first()).toBeVisible();
  const order = await page.locator('[data-testid="timeline-log"], [data-testid="frame-row"]').evaluateAll((els) =>
    els.map((e) => ({ kind: e.getAttribute('data-testid'), y: e.getBoundingClientRect().y })).sort((a, b) => a.y - b.y).map((e) => e.kind),
  );
  expect(order.indexOf('timeline-log')).toBeLessThan(order.indexOf('frame-row'));
});

test('the header bit by bit reads 16-bit and 64-bit payload lengths, and the masking key after them', async ({ page }) => {
  await connectToEcho(page);
  const rows = page.locator('[data-testid="frame-row"][data-direction="out"]');
  await send(page, 'x'.repeat(300));
  await send(page, 'y'.repeat(70_000));
  await expect(rows).toHaveCount(2);
  const detail = page.getByTestId('frame-detail');
  // Legend entries by field: .f-len the 7-bit length, .f-ext the extended length, .f-key the masking key.
  const legend = (field: string) => detail.getByTestId('header-bits').locator(`.bit-legend > div.${field}`);

  await rows.nth(0).click();
  await expect(legend('f-len')).toContainText('126 → 16-bit');
  await expect(legend('f-ext')).toContainText('(16 bits)');
  await expect(legend('f-ext').locator('dd')).toHaveText('300');
  await expect(legend('f-key').locator('dd')).toHaveText(/^[0-9a-f]{2}( [0-9a-f]{2}){3}$/);
  // 2 + 2 + 4 header bytes: two lines of 32 bits.
  await expect(detail.locator('.bit-line')).toHaveCount(2);

  await rows.nth(1).click();
  await expect(legend('f-len')).toContainText('127 → 64-bit');
  await expect(legend('f-ext')).toContainText('(64 bits)');
  await expect(legend('f-ext').locator('dd')).toHaveText('70000');
  // 2 + 8 + 4 header bytes: 112 bits, four lines.
  await expect(detail.locator('.bit-line')).toHaveCount(4);
});

test('the capture budget chosen in the top bar is the main side’s, and stays after a reload', async ({ page }) => {
  await page.goto(host.url);
  const budget = page.getByTestId('capture-budget');
  await expect(budget).toHaveValue(String(512 * 1024 * 1024));
  await budget.selectOption(String(64 * 1024 * 1024));
  // The select shows the store's budget (a controlled value): it reads 64 MiB once the main side's answer is back.
  await expect(budget).toHaveValue(String(64 * 1024 * 1024));
  await page.reload();
  await expect(page.getByTestId('capture-budget')).toHaveValue(String(64 * 1024 * 1024));
  // Back to the default: the host is shared with the other tests of this file.
  await page.getByTestId('capture-budget').selectOption(String(512 * 1024 * 1024));
  await page.reload();
  await expect(page.getByTestId('capture-budget')).toHaveValue(String(512 * 1024 * 1024));
});
