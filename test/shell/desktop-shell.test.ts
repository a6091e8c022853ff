/**
 * The built desktop shell, proven without Electron's binary. shell-probe.ts
 * runs out/main/index.js and out/preload/index.cjs against the Electron
 * stand-in, in a process of its own; these tests assert what it saw, and that
 * the process ended by itself once its window closed. Needs `npm run build`
 * first (npm test runs it right after the build, as `npm run test:shell`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_CONTENT_SECURITY_POLICY, SECURE_WEB_PREFERENCES } from '../../src/main/window-security';
import { COMMAND_NAMES, commandChannel } from '../../src/shared/contract';
import type { ShellReport } from './shell-probe';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = (path: string): string => join(root, 'out', path);
const PROBE_TIMEOUT_MS = 30_000;

/**
 * The renderer's whole view of main, listed here and nowhere else: adding or
 * removing a command changes this list, on purpose.
 */
const EXPOSED_SURFACE = [
  'startServer',
  'stopServer',
  'listServerConnections',
  'serverSend',
  'serverSendRaw',
  'serverPing',
  'serverClose',
  'serverTerminate',
  'getSubscriptions',
  'publish',
  'connect',
  'sendText',
  'send',
  'sendRaw',
  'ping',
  'setAutoPong',
  'closeConnection',
  'startPeriodic',
  'stopPeriodic',
  'loadSaved',
  'saveConnection',
  'saveMessage',
  'deleteSaved',
  'exportSaved',
  'importSaved',
  'formatJson',
  'getHandshake',
  'getFrame',
  'getSnapshot',
  'clearCapture',
  'filterFrames',
  'getRows',
  'locateTimes',
  'exportCapture',
  'importHar',
  'setCaptureBudget',
  'startTail',
  'stopTail',
  'host',
  'onEvents',
];

interface ProbeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  report: ShellReport;
}

async function runProbe(): Promise<ProbeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'framescope-shell-test-'));
  const userData = join(dir, 'userData');
  mkdirSync(userData);
  const reportPath = join(dir, 'report.json');
  const env: NodeJS.ProcessEnv = { ...process.env, FRAMESCOPE_SHELL_USER_DATA: userData, FRAMESCOPE_SHELL_REPORT: reportPath };
  // electron-vite's dev server URL would replace the built renderer.
  delete env.ELECTRON_RENDERER_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/shell/shell-probe.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.once('close', (c, s) => done([c, s])));
  clearTimeout(killer);
  const report = existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, 'utf8')) as ShellReport)
    : { errors: { probe: `wrote no report (exit ${code ?? signal}): ${output}` } };
  return { code, signal, output, report };
}

let run: ProbeRun;
let report: ShellReport;

beforeAll(async () => {
  for (const path of ['main/index.js', 'preload/index.cjs', 'renderer/index.html']) {
    if (!existsSync(built(path))) throw new Error(`out/${path} is missing: run \`npm run build\` first`);
  }
  run = await runProbe();
  report = run.report;
}, PROBE_TIMEOUT_MS + 5_000);

describe('the built desktop shell against the Electron stand-in', () => {
  it('starts, serves the page and closes with no step failing', () => {
    expect(report.errors, run.output).toEqual({});
  });

  it('opens one hidden window with the secure web preferences and the built sandboxed preload', () => {
    const window = report.window!;
    expect(window.count).toBe(1);
    const options = window.options as Electron.BrowserWindowConstructorOptions;
    expect(options.show).toBe(false);
    expect(options.webPreferences).toEqual({ ...SECURE_WEB_PREFERENCES, preload: built('preload/index.cjs') });
    expect(existsSync(options.webPreferences!.preload!)).toBe(true);
    // It ran as a sandboxed preload runs: one file that requires nothing but electron.
    expect(window.preloadError).toBeNull();
    expect(window.preloadRequires).toEqual(['electron']);
    expect(window.mainWorldKeys).toEqual(['framescope']);
  });

  it("loads the built renderer's index.html, whose scripts and styles exist, and shows the window", () => {
    const page = built('renderer/index.html');
    expect(report.window!.loadedUrls).toEqual([pathToFileURL(page).href]);
    const html = readFileSync(page, 'utf8');
    const assets = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((ref) => !ref.startsWith('data:'));
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      // A root-relative or absolute path would resolve to nothing under file://.
      expect(asset, 'renderer assets are referenced relative to index.html').toMatch(/^\.\//);
      expect(existsSync(fileURLToPath(new URL(asset, pathToFileURL(page)))), asset).toBe(true);
    }
    expect(report.window!.shown).toBe(true);
  });

  it('binds an IPC handler to every command in COMMAND_NAMES, and to nothing else', () => {
    expect([...report.ipcChannels!].sort()).toEqual(COMMAND_NAMES.map(commandChannel).sort());
  });

  it('sends its Content-Security-Policy with every response, keeping the other headers', () => {
    const { csp } = report.hooks!;
    expect(csp.installed).toBe(true);
    expect(csp.responseHeaders).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [DESKTOP_CONTENT_SECURITY_POLICY] });
  });

  it('denies every permission request and every permission check', () => {
    const { permissionRequest, permissionCheck } = report.hooks!;
    expect(permissionRequest.installed).toBe(true);
    expect(permissionCheck.installed).toBe(true);
    for (const granted of [permissionRequest.granted!, permissionCheck.granted!]) {
      expect(Object.keys(granted)).toHaveLength(5);
      expect(Object.values(granted).every((allowed) => allowed === false)).toBe(true);
    }
  });

  it('refuses navigation away from the app document, webview tags and window.open', () => {
    const { navigation, webview, windowOpen } = report.hooks!;
    const appUrl = report.window!.loadedUrls[0];
    expect(navigation.listeners).toBe(1);
    expect(navigation.prevented).toEqual({ 'https://example.com/': true, 'file:///etc/passwd': true, [appUrl]: false });
    expect(webview).toEqual({ listeners: 1, prevented: true });
    expect(windowOpen).toEqual({ installed: true, answer: { action: 'deny' } });
  });

  it('refuses commands from an iframe or from another document', () => {
    const refused = { ok: false, error: expect.stringMatching(/^refused: /) };
    expect(report.foreignFrames).toEqual({ iframe: refused, otherDocument: refused });
  });
});

describe('the preload', () => {
  it("exposes exactly the contract's methods, host and onEvents", () => {
    const bridge = report.bridge!;
    expect([...bridge.keys].sort()).toEqual([...EXPOSED_SURFACE].sort());
    expect(bridge.host).toBe('electron');
    for (const key of EXPOSED_SURFACE.filter((k) => k !== 'host')) expect(bridge.types[key], key).toBe('function');
  });

  it('sends each command to its own channel and hands back the Result main answered', () => {
    const calls = report.bridge!.calls;
    expect(Object.keys(calls).sort()).toEqual(EXPOSED_SURFACE.filter((k) => k !== 'host' && k !== 'onEvents').sort());
    for (const [name, call] of Object.entries(calls)) {
      expect({ name, ...call }).toMatchObject({ channel: `framescope:command:${name}`, result: expect.stringMatching(/^(ok|fail)$/) });
    }
    // An empty request is answered with an error that names what is missing.
    expect(calls.startServer).toMatchObject({ result: 'fail', error: expect.stringMatching(/^port: /) });
  });
});

describe('a round trip through IPC into the workspace', () => {
  it('starts the echo server, lists the connection of a real peer, and stops the server', () => {
    const trip = report.roundTrip!;
    expect(trip.channels).toEqual(['startServer', 'listServerConnections', 'stopServer'].map((name) => `framescope:command:${name}`));
    expect(trip.started).toMatchObject({ ok: true, value: { host: '127.0.0.1', state: 'listening', url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/) } });
    const serverId = (trip.started as { value: { id: string } }).value.id;
    expect(trip.echoed).toBe('hello through the shell');
    expect(trip.listed).toMatchObject({ ok: true, value: [{ serverId, path: '/echo', framesIn: 1, framesOut: 1 }] });
    expect((trip.listed as { value: unknown[] }).value).toHaveLength(1);
    expect(trip.stopped).toMatchObject({ ok: true, value: { id: serverId, state: 'stopped' } });
    // RFC 6455 §7.4.1: 1001, the server is going away.
    expect(trip.peerClose).toBe(1001);
  });

  it('delivers event batches through onEvents until it unsubscribes', () => {
    const trip = report.roundTrip!;
    expect(trip.serverStatesSeen).toContain('stopped');
    expect(trip.eventListeners).toEqual({ subscribed: 1, unsubscribed: 0 });
  });
});

describe('closing the last window', () => {
  it('disposes the workspace and quits: servers, peers, clients and tails are gone', () => {
    const dispose = report.dispose!;
    expect(dispose.before).toMatchObject({
      server: { ok: true, value: { state: 'listening' } },
      client: { ok: true, value: { state: 'open' } },
      tail: { ok: true, value: { state: 'following' } },
    });
    expect(dispose.windowAllClosedListeners).toBe(1);
    expect(dispose.quit).toBe(true);
    expect(dispose.peerClose).toBe(1001);
    expect(dispose.portAfter).toBe('ECONNREFUSED');
  });

  it('leaves no handle open: the process ends by itself', () => {
    expect(report.lingering, 'what still kept the process alive 3 s after quit').toBeUndefined();
    expect({ code: run.code, signal: run.signal }, run.output).toEqual({ code: 0, signal: null });
  });
});
