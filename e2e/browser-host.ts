/**
 * Starts `framescope web` the way a person does, with a fresh data directory
 * and an ephemeral port, and waits for its ready marker: the URL on the first
 * line of stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface RunningHost {
  url: string;
  origin: string;
  token: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startBrowserHost(): Promise<RunningHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'framescope-e2e-'));
  const child = spawn(process.execPath, ['bin/framescope.mjs', 'web', '--port', '0'], {
    env: { ...process.env, FRAMESCOPE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`framescope web printed no URL in 30 s\n${stderr}`)), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`framescope web exited with ${code}\n${stderr}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}
