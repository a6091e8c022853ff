/**
 * framescope web: the browser host. The first line on stdout is the URL to
 * open, token included; it runs until SIGINT/SIGTERM.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Workspace } from '../main/core/app/workspace';
import { startWebHost } from '../main/web/web-host';
import type { CliIo } from './main';

const RENDERER_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

export function defaultDataDir(): string {
  return process.env.FRAMESCOPE_DATA_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'framescope');
}

export async function runWeb(argv: string[], io: CliIo): Promise<number> {
  let values: { host?: string; port?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { host: { type: 'string' }, port: { type: 'string' } } }));
  } catch (error) {
    io.stderr.write(`framescope web: ${(error as Error).message}\n`);
    return 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`framescope web: --port must be a whole number from 0 to 65535, not '${values.port}'\n`);
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    io.stderr.write(`framescope web: the renderer is not built (${RENDERER_DIR} has no index.html); run 'npm run build' first\n`);
    return 1;
  }
  const dataDir = defaultDataDir();
  mkdirSync(dataDir, { recursive: true });
  const workspace = new Workspace({ dataDir });
  let webHost;
  try {
    webHost = await startWebHost({ workspace, rendererDir: RENDERER_DIR, host, port });
  } catch (error) {
    io.stderr.write(`framescope web: cannot listen on ${host}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`${webHost.url}\n`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    io.stderr.write(`warning: listening on ${host}, not only on this machine's loopback; anyone with the token can use it\n`);
  }
  io.stderr.write('Framescope browser host is running; press Ctrl+C to stop.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await webHost.close();
  await workspace.dispose();
  return 0;
}
