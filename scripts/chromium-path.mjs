// Which Chromium the e2e suite drives: Debian's /usr/bin/chromium when present,
// else Playwright's own build if it was installed, else none.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export function chromiumExecutable() {
  if (process.env.FRAMESCOPE_CHROMIUM && existsSync(process.env.FRAMESCOPE_CHROMIUM)) return process.env.FRAMESCOPE_CHROMIUM;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  try {
    const bundled = chromium.executablePath();
    if (bundled && existsSync(bundled)) return bundled;
  } catch {
    // Playwright throws when its browser was never downloaded.
  }
  return null;
}
