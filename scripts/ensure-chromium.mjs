// Fails early, with the fix, when no Chromium is available for the e2e suite.
import { chromiumExecutable } from './chromium-path.mjs';

const path = chromiumExecutable();
if (!path) {
  console.error(
    'No Chromium for the end-to-end tests.\n' +
      'Install one of:\n' +
      '  sudo apt-get install -y chromium      (Debian/Ubuntu: /usr/bin/chromium)\n' +
      '  npx playwright install chromium       (Playwright\'s own build)\n' +
      'or set FRAMESCOPE_CHROMIUM to a Chromium binary.',
  );
  process.exit(1);
}
console.log(`e2e: using Chromium at ${path}`);
