/**
 * The desktop window loads out/renderer/index.html from file://, where the shell's
 * onHeadersReceived hook does not apply: the page's own meta tag is its only Content
 * Security Policy. This checks the page as built (not the source, which a build step
 * could change) against the policy the shell declares, as Chromium parses it.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { DESKTOP_CONTENT_SECURITY_POLICY } from '../src/main/window-security';

test('the built renderer page carries exactly the desktop Content Security Policy', async ({ page }) => {
  const html = readFileSync('out/renderer/index.html', 'utf8');
  // Runs in the page; the DOM types are not in this (Node) project's scope.
  type Meta = { httpEquiv: string; content: string };
  type Parser = new () => { parseFromString(text: string, type: string): { querySelectorAll(selector: string): Iterable<Meta> } };
  const policies = await page.evaluate((text) => {
    const { DOMParser } = globalThis as unknown as { DOMParser: Parser };
    const doc = new DOMParser().parseFromString(text, 'text/html');
    return [...doc.querySelectorAll('meta')].filter((m) => m.httpEquiv.toLowerCase() === 'content-security-policy').map((m) => m.content);
  }, html);
  expect(policies).toEqual([DESKTOP_CONTENT_SECURITY_POLICY]);
});
