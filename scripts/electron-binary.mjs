// Where Electron's binary is, found without require('electron'): since
// Electron 42 requiring the package downloads the binary when it is missing.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('electron/package.json'));

/** Electron's own download step (install.js), which exits at once when the binary is there. */
export const electronInstallScript = join(packageDir, 'install.js');

/** The installed binary's path, or null where it has not been fetched. */
export function installedElectronBinary() {
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}
