import { expect, type Page } from '@playwright/test';

/**
 * Clicks "Start server" and returns the URL of the listener it started.
 * The browser host keeps its servers across tests, so this waits for the
 * list to grow by one instead of reading whichever URL is last right now.
 */
export async function startServerFromUi(page: Page): Promise<string> {
  // Count only once main's snapshot has filled the list.
  await expect(page.locator('.app')).toHaveAttribute('data-loaded', 'true');
  const urls = page.getByTestId('server-url');
  const before = await urls.count();
  await page.getByTestId('server-start').click();
  await expect(urls).toHaveCount(before + 1);
  return (await urls.last().textContent())!;
}
