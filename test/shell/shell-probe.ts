/**
 * Runs the built desktop shell (out/main/index.js, out/preload/index.cjs)
 * against the Electron stand-in, as a person's session would go: the app
 * starts, the page uses the bridge, the window closes. It writes what it saw
 * to the JSON file named by FRAMESCOPE_SHELL_REPORT, and desktop-shell.test.ts
 * asserts on that. It runs as a process of its own (node --import tsx) so that
 * whether the process then exits by itself shows whether the shell left
 * anything open.
 */
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { connect as connectTcp } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { commandChannel, EVENTS_CHANNEL, type EventBatch, type FramescopeApi } from '../../src/shared/contract';
import { app as standInApp, standIn, type BrowserWindow } from './electron-stand-in';

export interface ShellReport {
  /** Steps that threw, by name, with the message. */
  errors: Record<string, string>;
  window?: {
    count: number;
    options: unknown;
    loadedUrls: string[];
    shown: boolean;
    preloadError: string | null;
    preloadRequires: string[];
    mainWorldKeys: string[];
  };
  ipcChannels?: string[];
  hooks?: {
    csp: { installed: boolean; responseHeaders?: Record<string, unknown> };
    permissionRequest: { installed: boolean; granted?: Record<string, boolean> };
    permissionCheck: { installed: boolean; granted?: Record<string, boolean> };
    navigation: { listeners: number; prevented: Record<string, boolean> };
    webview: { listeners: number; prevented: boolean };
    windowOpen: { installed: boolean; answer?: unknown };
  };
  bridge?: {
    keys: string[];
    types: Record<string, string>;
    host: unknown;
    /** For each command method: the channel its call reached, and whether the answer was a Result. */
    calls: Record<string, { channel: string | undefined; result: 'ok' | 'fail' | 'not a Result' | 'rejected'; error?: string }>;
  };
  roundTrip?: {
    started: unknown;
    echoed: string;
    listed: unknown;
    stopped: unknown;
    peerClose: number;
    channels: string[];
    serverStatesSeen: string[];
    eventListeners: { subscribed: number; unsubscribed: number };
  };
  foreignFrames?: { iframe: unknown; otherDocument: unknown };
  dispose?: {
    windowAllClosedListeners: number;
    quit: boolean;
    before?: { server: unknown; client: unknown; tail: unknown };
    /** As in roundTrip. */
    peerClose?: number;
    /** 'accepting', or the error connecting gave (ECONNREFUSED once the server is gone). */
    portAfter?: string;
  };
  /** Set only when the process was still alive a while after quit, with what kept it. */
  lingering?: string[];
}

const reportPath = process.env.FRAMESCOPE_SHELL_REPORT;
if (!reportPath) throw new Error('FRAMESCOPE_SHELL_REPORT must name the report file');
const report: ShellReport = { errors: {} };
const save = (): void => writeFileSync(reportPath, JSON.stringify(report, null, 2));

const FOREIGN_URL = 'https://example.com/';
const PERMISSIONS = ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal'] as const;

let currentStep = '';
// A step awaiting something that can never happen ends the process with 13 (an unsettled top-level await): say which.
process.on('exit', (code) => {
  if (code !== 13) return;
  report.errors[currentStep] = 'never finished: it awaited something that nothing left running could settle';
  save();
});

async function step(name: string, run: () => Promise<void> | void): Promise<void> {
  currentStep = name;
  try {
    await run();
  } catch (error) {
    report.errors[name] = error instanceof Error ? error.message : String(error);
  }
}

async function until<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The promise's value, or `fallback` once `ms` have passed, so a step that waits in vain still reports. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);
}

function openPeer(url: string): Promise<{ peer: WebSocket; closed: Promise<number> }> {
  const peer = new WebSocket(url);
  const closed = new Promise<number>((resolveClose) => peer.once('close', (code) => resolveClose(code)));
  return new Promise((resolveOpen, reject) => {
    peer.once('open', () => resolveOpen({ peer, closed }));
    peer.once('error', reject);
  });
}

function portState(port: number): Promise<string> {
  return new Promise((resolvePort) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort('accepting');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolvePort(error.code ?? error.message));
  });
}

function valueOf<T>(result: unknown, what: string): T {
  const r = result as { ok?: boolean; value?: T; error?: string } | null;
  if (r?.ok !== true) throw new Error(`${what} failed: ${JSON.stringify(result)}`);
  return r.value as T;
}

/** Leaves one of everything open through the bridge: a listening server with a peer, a client connection and a tail. */
async function openOneOfEach(bridge: FramescopeApi) {
  const server = await bridge.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] });
  const { url, port } = valueOf<{ url: string; port: number }>(server, 'startServer');
  const { closed } = await openPeer(`${url}/echo`);
  const client = await bridge.connect({ url: `${url}/echo` });
  const logFile = join(standIn.userData, 'tailed.log');
  writeFileSync(logFile, 'first line\n');
  const tail = await bridge.startTail({ path: logFile, intervalMs: 50 });
  return { before: { server, client, tail }, port, peerClosed: closed };
}

// The shell imports 'electron'; the hook makes that the very module imported above.
register('./electron-resolve-hook.mjs', import.meta.url, {
  data: { standInUrl: new URL('./electron-stand-in.ts', import.meta.url).href },
});
const electron = (await import('electron')) as unknown as { app: unknown };
if (electron.app !== standInApp) throw new Error("'electron' did not resolve to the stand-in module");

let win: BrowserWindow | undefined;
let api: FramescopeApi | undefined;

await step('start', async () => {
  await import(pathToFileURL(resolve('out/main/index.js')).href);
  // The shell installs window-all-closed last, once its window has loaded.
  await until('the shell to finish starting', () => standIn.appListenerCount('window-all-closed') > 0, 15_000);
  win = standIn.windows[0];
  report.window = {
    count: standIn.windows.length,
    options: win.options,
    loadedUrls: win.loadedUrls,
    shown: win.shown,
    preloadError: win.preloadError?.message ?? null,
    preloadRequires: win.preloadRequires,
    mainWorldKeys: Object.keys(win.mainWorld),
  };
  report.ipcChannels = standIn.invokeChannels();
  api = win.mainWorld.framescope as FramescopeApi | undefined;
  if (win.preloadError) throw new Error(`the preload failed: ${win.preloadError.message}`);
});

await step('hooks', () => {
  if (!win) throw new Error('no window');
  const contents = win.webContents;
  const appUrl = win.currentUrl ?? '';
  const { headersReceived, permissionRequest, permissionCheck } = standIn.sessionHooks;
  const hooks: ShellReport['hooks'] = {
    csp: { installed: !!headersReceived },
    permissionRequest: { installed: !!permissionRequest },
    permissionCheck: { installed: !!permissionCheck },
    navigation: { listeners: contents.events.listenerCount('will-navigate'), prevented: {} },
    webview: { listeners: contents.events.listenerCount('will-attach-webview'), prevented: false },
    windowOpen: { installed: !!contents.windowOpenHandler },
  };
  headersReceived?.(
    { responseHeaders: { 'Content-Type': ['text/html'] }, url: appUrl } as unknown as Electron.OnHeadersReceivedListenerDetails,
    (response) => (hooks.csp.responseHeaders = response.responseHeaders),
  );
  const granted = (hooks.permissionRequest.granted = {} as Record<string, boolean>);
  const checked = (hooks.permissionCheck.granted = {} as Record<string, boolean>);
  for (const permission of PERMISSIONS) {
    permissionRequest?.(contents as unknown as Electron.WebContents, permission, (allowed) => (granted[permission] = allowed), {
      requestingUrl: appUrl,
    } as Electron.PermissionRequest);
    if (permissionCheck) checked[permission] = permissionCheck(null, permission, 'file://', {} as Electron.PermissionCheckHandlerHandlerDetails);
  }
  for (const url of [FOREIGN_URL, 'file:///etc/passwd', appUrl]) {
    let prevented = false;
    contents.events.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
    hooks.navigation.prevented[url] = prevented;
  }
  contents.events.emit('will-attach-webview', { preventDefault: () => (hooks.webview.prevented = true) });
  hooks.windowOpen.answer = contents.windowOpenHandler?.({ url: FOREIGN_URL } as Electron.HandlerDetails);
  report.hooks = hooks;
});

await step('bridge', async () => {
  if (!win || !api) throw new Error('the preload exposed no framescope API');
  const bridge = api as unknown as Record<string, unknown>;
  const calls: NonNullable<ShellReport['bridge']>['calls'] = {};
  for (const [key, value] of Object.entries(bridge)) {
    if (typeof value !== 'function' || key === 'onEvents') continue;
    // An empty request: every command must answer it with a Result (most with a clear error), never a rejection.
    const before = win.invokedChannels.length;
    const channel = (): string | undefined => win?.invokedChannels[before];
    try {
      const answer = (await (value as (request: unknown) => Promise<unknown>)({})) as { ok?: unknown; error?: unknown } | null;
      if (answer?.ok === true) calls[key] = { channel: channel(), result: 'ok' };
      else if (answer?.ok === false && typeof answer.error === 'string') calls[key] = { channel: channel(), result: 'fail', error: answer.error };
      else calls[key] = { channel: channel(), result: 'not a Result', error: JSON.stringify(answer) };
    } catch (error) {
      calls[key] = { channel: channel(), result: 'rejected', error: error instanceof Error ? error.message : String(error) };
    }
  }
  report.bridge = {
    keys: Object.keys(bridge),
    types: Object.fromEntries(Object.entries(bridge).map(([key, value]) => [key, typeof value])),
    host: bridge.host,
    calls,
  };
});

await step('round trip', async () => {
  if (!win || !api) throw new Error('no bridge');
  const batches: EventBatch[] = [];
  const unsubscribe = api.onEvents((batch) => batches.push(batch));
  const subscribed = win.webContents.rendererEvents.listenerCount(EVENTS_CHANNEL);
  const firstChannel = win.invokedChannels.length;

  const started = await api.startServer({ port: 0, routes: [{ path: '/echo', app: 'echo' }] });
  const server = valueOf<{ id: string; url: string }>(started, 'startServer');
  const { peer, closed } = await openPeer(`${server.url}/echo`);
  const echoed = new Promise<string>((r) => peer.once('message', (data) => r(String(data))));
  peer.send('hello through the shell');
  const echo = await within(echoed, 5_000, '(no echo within 5 s)');
  const listed = await api.listServerConnections({ serverId: server.id });
  const stopped = await api.stopServer({ serverId: server.id });
  const states = (): string[] => batches.flatMap((b) => b.servers.filter((s) => s.id === server.id).map((s) => s.state));
  await until('the stopped server in an event batch', () => states().includes('stopped'), 5_000).catch(() => undefined);
  unsubscribe();
  report.roundTrip = {
    started,
    echoed: echo,
    listed,
    stopped,
    peerClose: await within(closed, 5_000, -1),
    channels: win.invokedChannels.slice(firstChannel),
    serverStatesSeen: [...new Set(states())],
    eventListeners: { subscribed, unsubscribed: win.webContents.rendererEvents.listenerCount(EVENTS_CHANNEL) },
  };
});

await step('foreign frames', async () => {
  if (!win) throw new Error('no window');
  const channel = commandChannel('getSnapshot');
  report.foreignFrames = {
    iframe: await win.invokeAs({ url: win.currentUrl ?? '', parent: {} }, channel, {}),
    otherDocument: await win.invokeAs({ url: FOREIGN_URL, parent: null }, channel, {}),
  };
});

await step('dispose', async () => {
  if (!win) throw new Error('no window');
  const opened = api ? await openOneOfEach(api) : null;
  const windowAllClosedListeners = standIn.appListenerCount('window-all-closed');
  win.close();
  const quit = await within(standIn.quitRequested.then(() => true), 10_000, false);
  report.dispose = {
    windowAllClosedListeners,
    quit,
    ...(opened && { before: opened.before, peerClose: await within(opened.peerClosed, 5_000, -1), portAfter: await portState(opened.port) }),
  };
  if (!opened) throw new Error('no bridge to open anything through');
});

save();
// Nothing should keep the process alive now. If something does, say what, and end.
setTimeout(() => {
  report.lingering = process.getActiveResourcesInfo();
  save();
  process.exit(3);
}, 3_000).unref();
