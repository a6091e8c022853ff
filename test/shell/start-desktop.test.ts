/**
 * npm start's wiring (scripts/start-desktop.mjs), run with a fake Electron
 * binary named by FRAMESCOPE_ELECTRON_BINARY, so nothing is downloaded: what
 * reaches `electron-vite preview`, and through it the binary. Needs the built
 * app (package.json's main), like the rest of test/shell.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installedElectronBinary } from '../../scripts/electron-binary.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

interface Recorded {
  argv: string[];
  cwd: string;
  /** The command line of the process that started the binary (Linux's /proc), or null where there is no /proc. */
  parent: string[] | null;
}

/** A stand-in for Electron's binary: it writes down how it was started, then exits with `exitCode`. */
function fakeElectron(dir: string, exitCode: number): { binary: string; record: string } {
  const binary = join(dir, 'electron');
  const record = join(dir, 'record.json');
  writeFileSync(
    binary,
    `#!${process.execPath}
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const cmdline = '/proc/' + process.ppid + '/cmdline';
const parent = existsSync(cmdline) ? readFileSync(cmdline, 'utf8').split('\\0').filter(Boolean) : null;
writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), parent }));
process.exit(${exitCode});
`,
  );
  chmodSync(binary, 0o755);
  return { binary, record };
}

function runStart(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['scripts/start-desktop.mjs', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    }),
  );
}

/** A loopback port that was just free: nothing answers there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

describe('npm start (scripts/start-desktop.mjs)', () => {
  it('runs `electron-vite preview` with the named binary, which starts the built app from the project root', async () => {
    const { binary, record } = fakeElectron(mkdtempSync(join(tmpdir(), 'framescope-start-')), 7);
    // --skipBuild: test:shell runs after the build; `--` passes what follows on to Electron.
    const run = await runStart(['--skipBuild', '--', '--enable-logging'], { FRAMESCOPE_ELECTRON_BINARY: binary });
    const output = run.stdout + run.stderr;

    expect(existsSync(record), output).toBe(true);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as Recorded;
    // Electron reads package.json in the directory it is given: its main is the built shell.
    expect(seen.argv).toEqual(['.', '--enable-logging']);
    expect(seen.cwd).toBe(root);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/index.js');
    expect(existsSync(join(root, pkg.main))).toBe(true);
    const electronVitePackage = require.resolve('electron-vite/package.json');
    const electronViteCli = join(dirname(electronVitePackage), (require(electronVitePackage) as { bin: Record<string, string> }).bin['electron-vite']);
    expect(seen.parent).toEqual([process.execPath, electronViteCli, 'preview', '--skipBuild', '--', '--enable-logging']);
    // npm start ends with the app's own exit status, and never went looking for Electron's download.
    expect(run.code).toBe(7);
    expect(output).not.toMatch(/download|fetch/i);
  });

  it('refuses a FRAMESCOPE_ELECTRON_BINARY that does not exist, in one line', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'framescope-start-')), 'no-electron-here');
    const run = await runStart([], { FRAMESCOPE_ELECTRON_BINARY: missing });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`Framescope: FRAMESCOPE_ELECTRON_BINARY names ${missing}, which does not exist.\n`);
    expect(run.stdout).toBe('');
  });

  // Where the binary is installed, npm start has nothing to fetch: this case cannot arise there.
  it.skipIf(installedElectronBinary() !== null)(
    'says what failed and what to do, with no stack trace, when the binary is missing and cannot be fetched',
    async () => {
      // Electron's download step reads its mirror and cache from these; nothing answers at the mirror.
      const mirror = `http://127.0.0.1:${await closedPort()}/`;
      const run = await runStart([], {
        FRAMESCOPE_ELECTRON_BINARY: '',
        ELECTRON_MIRROR: mirror,
        npm_config_electron_mirror: mirror,
        electron_config_cache: mkdtempSync(join(tmpdir(), 'framescope-electron-cache-')),
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          "^Framescope: fetching Electron's binary \\(once, on first start\\)…\n" +
            "Framescope: Electron's binary is not installed, and fetching it failed \\([^\\n]+\\)\\.\n" +
            "Check the network route to Electron's download host, or run Framescope in a browser instead:\n" +
            '  npm run web\n$',
        ),
      );
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
  );
});
