// npm start: make sure Electron's binary is there (since Electron 42 it is
// fetched on first start, not at npm install), then build and start the app.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// A binary named here (an Electron installed elsewhere, or a test's stand-in)
// is used as it is, and nothing is downloaded.
let electronPath = process.env.FRAMESCOPE_ELECTRON_BINARY;
if (electronPath && !existsSync(electronPath)) {
  console.error(`Framescope: FRAMESCOPE_ELECTRON_BINARY names ${electronPath}, which does not exist.`);
  process.exit(1);
}
if (!electronPath) try {
  // Requiring the package downloads the binary when it is missing.
  electronPath = require('electron');
} catch (error) {
  console.error(
    `Framescope: Electron's binary is not installed and could not be downloaded (${error.message}).\n` +
      'Check the network route to Electron\'s download host, or run Framescope in a browser instead:\n' +
      '  npm run web',
  );
  process.exit(1);
}
// electron-vite's package exports only its API, so its CLI is found through the bin entry of its manifest.
const electronVitePackage = require.resolve('electron-vite/package.json');
const electronViteCli = join(dirname(electronVitePackage), require(electronVitePackage).bin['electron-vite']);
const result = spawnSync(process.execPath, [electronViteCli, 'preview', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, ELECTRON_EXEC_PATH: electronPath },
});
process.exit(result.status ?? 1);
