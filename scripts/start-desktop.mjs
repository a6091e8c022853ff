// npm start: find Electron's binary (since Electron 42 it is fetched on first
// start, not at npm install), then build and start the app with
// `electron-vite preview`; arguments after `npm start --` go to electron-vite.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { electronInstallScript, installedElectronBinary } from './electron-binary.mjs';

const require = createRequire(import.meta.url);

function stop(message) {
  console.error(`Framescope: ${message}`);
  process.exit(1);
}

function electronBinary() {
  // A binary named here (an Electron installed elsewhere, or a test's
  // stand-in) is used as it is, and nothing is downloaded.
  const named = process.env.FRAMESCOPE_ELECTRON_BINARY;
  if (named) {
    if (!existsSync(named)) stop(`FRAMESCOPE_ELECTRON_BINARY names ${named}, which does not exist.`);
    return named;
  }
  const installed = installedElectronBinary();
  if (installed) return installed;
  console.error("Framescope: fetching Electron's binary (once, on first start)…");
  // Electron's download step prints a stack trace when it fails; keep that
  // to ourselves and say in one line what happened, and what to do.
  const download = spawnSync(process.execPath, [electronInstallScript], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  const binary = download.status === 0 ? installedElectronBinary() : null;
  if (!binary) {
    const cause = (download.stderr ?? '').split('\n').find((line) => line.trim() !== '')?.trim();
    stop(
      `Electron's binary is not installed, and fetching it failed${cause ? ` (${cause})` : ''}.\n` +
        "Check the network route to Electron's download host, or run Framescope in a browser instead:\n" +
        '  npm run web',
    );
  }
  return binary;
}

// electron-vite's package exports only its API, so its CLI is found through the bin entry of its manifest.
const electronVitePackage = require.resolve('electron-vite/package.json');
const electronViteCli = join(dirname(electronVitePackage), require(electronVitePackage).bin['electron-vite']);
const result = spawnSync(process.execPath, [electronViteCli, 'preview', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, ELECTRON_EXEC_PATH: electronBinary() },
});
process.exit(result.status ?? 1);
