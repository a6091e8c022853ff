/**
 * A stand-in for the `electron` module, just large enough to run the built
 * shell (out/main/index.js) and its preload (out/preload/index.cjs) in plain
 * Node, where Electron's binary cannot be had. Each part is checked with
 * `satisfies` / `implements` against Electron's own declarations, so a renamed
 * method or a changed signature is a type error here rather than a stand-in
 * that quietly drifts from the real API. A shell that starts using an API the
 * stand-in lacks fails at load (a missing export) or at the call.
 *
 * It behaves like Electron where the shell depends on it: the app becomes
 * ready, loadURL refuses a file that is not there, a window runs its preload
 * with a sandboxed preload's require, IPC messages are structured-cloned, and
 * closing the last window emits window-all-closed. Everything the shell hands
 * over (window options, handlers, hooks) is recorded in `standIn` for tests.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';

/** Listener parameters are typed by the caller against Electron's overloads; here they are only stored and called. */
type AnyListener = (...args: never[]) => unknown;
const asEmitterListener = (listener: AnyListener) => listener as unknown as (...args: unknown[]) => void;

type InvokeListener = Parameters<Electron.IpcMain['handle']>[1];
type HeadersReceivedListener = (
  details: Electron.OnHeadersReceivedListenerDetails,
  callback: (response: Electron.HeadersReceivedResponse) => void,
) => void;
type PermissionRequestHandler = NonNullable<Parameters<Electron.Session['setPermissionRequestHandler']>[0]>;
type PermissionCheckHandler = NonNullable<Parameters<Electron.Session['setPermissionCheckHandler']>[0]>;
type WindowOpenHandler = Parameters<Electron.WebContents['setWindowOpenHandler']>[0];

// ---------------------------------------------------------------- app

/** The test passes a temporary directory, so the shell never touches a person's data. */
const userData = process.env.FRAMESCOPE_SHELL_USER_DATA ?? mkdtempSync(join(tmpdir(), 'framescope-shell-'));
const appEvents = new EventEmitter();
let signalQuit: () => void = () => undefined;
const quitRequested = new Promise<void>((resolve) => (signalQuit = resolve));
// Electron is ready after its own start-up, never synchronously.
const ready = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
  appEvents.emit('ready');
});

export const app = {
  whenReady: () => ready,
  getPath(name: Parameters<Electron.App['getPath']>[0]): string {
    if (name !== 'userData') throw new Error(`the stand-in provides only the userData path, not '${name}'`);
    return userData;
  },
  /** Records the request; unlike Electron it does not end the process, so a test can see whether anything keeps it alive. */
  quit(): void {
    signalQuit();
  },
  on(event: string, listener: AnyListener): Electron.App {
    appEvents.on(event, asEmitterListener(listener));
    return app as unknown as Electron.App;
  },
} satisfies Pick<Electron.App, 'whenReady' | 'getPath' | 'quit' | 'on'>;

// ---------------------------------------------------------------- ipcMain

const invokeHandlers = new Map<string, InvokeListener>();

export const ipcMain = {
  handle(channel: string, listener: InvokeListener): void {
    // Electron throws here too: one handler per channel.
    if (invokeHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    invokeHandlers.set(channel, listener);
  },
  removeHandler(channel: string): void {
    invokeHandlers.delete(channel);
  },
} satisfies Pick<Electron.IpcMain, 'handle' | 'removeHandler'>;

/** What a handler reads of its event: the sending WebContents and frame. */
export interface InvokeSender {
  sender: unknown;
  senderFrame: { url: string; parent: unknown } | null;
}

/**
 * ipcRenderer.invoke as Electron carries it: arguments and the answer are
 * structured-cloned across the process boundary, and a missing handler or a
 * thrown error rejects with Electron's wording.
 */
async function invokeMain(channel: string, sender: InvokeSender, args: unknown[]): Promise<unknown> {
  const handler = invokeHandlers.get(channel);
  if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
  // Handlers read only sender and senderFrame; the rest of IpcMainInvokeEvent does not exist here.
  const event = sender as unknown as Electron.IpcMainInvokeEvent;
  try {
    return structuredClone(await handler(event, ...structuredClone(args)));
  } catch (error) {
    throw new Error(`Error invoking remote method '${channel}': ${String(error)}`, { cause: error });
  }
}

// ---------------------------------------------------------------- session

const sessionHooks: {
  headersReceived?: HeadersReceivedListener;
  permissionRequest?: PermissionRequestHandler;
  permissionCheck?: PermissionCheckHandler;
} = {};

const webRequest = {
  onHeadersReceived(
    ...args: [Electron.WebRequestFilter, HeadersReceivedListener | null] | [HeadersReceivedListener | null]
  ): void {
    sessionHooks.headersReceived = (args.length === 2 ? args[1] : args[0]) ?? undefined;
  },
} satisfies Pick<Electron.WebRequest, 'onHeadersReceived'>;

const defaultSession = {
  webRequest,
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    sessionHooks.permissionRequest = handler ?? undefined;
  },
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    sessionHooks.permissionCheck = handler ?? undefined;
  },
} satisfies Pick<Electron.Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> & {
  webRequest: Pick<Electron.WebRequest, 'onHeadersReceived'>;
};

export const session = { defaultSession };

// ---------------------------------------------------------------- windows

const windows: BrowserWindow[] = [];

class StandInWebContents implements Pick<Electron.WebContents, 'setWindowOpenHandler' | 'on' | 'send'> {
  windowOpenHandler?: WindowOpenHandler;
  readonly events = new EventEmitter();
  /** Listeners the window's preload added with ipcRenderer.on. */
  readonly rendererEvents = new EventEmitter();

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }

  on(event: string, listener: AnyListener): Electron.WebContents {
    this.events.on(event, asEmitterListener(listener));
    return this as unknown as Electron.WebContents;
  }

  send(channel: string, ...args: unknown[]): void {
    const cloned = structuredClone(args);
    this.rendererEvents.emit(channel, { sender: null }, ...cloned);
  }
}

/** Modules a sandboxed preload may require besides `electron` (Electron's "Process Sandboxing" tutorial). */
const SANDBOXED_PRELOAD_MODULES = new Set(['events', 'timers', 'url', 'node:events', 'node:timers', 'node:url']);
const nodeRequire = createRequire(import.meta.url);

export class BrowserWindow implements Pick<Electron.BrowserWindow, 'loadURL' | 'show' | 'close' | 'isDestroyed' | 'on' | 'once'> {
  readonly webContents = new StandInWebContents();
  readonly loadedUrls: string[] = [];
  /** What the preload put on the page's `window` through contextBridge. */
  readonly mainWorld: Record<string, unknown> = {};
  /** Every module the preload required. */
  readonly preloadRequires: string[] = [];
  /** Channels the preload invoked, in order. */
  readonly invokedChannels: string[] = [];
  /** Electron logs a preload that fails and shows the page without it; the stand-in keeps the error. */
  preloadError: Error | null = null;
  currentUrl: string | null = null;
  shown = false;
  private destroyed = false;
  private readonly events = new EventEmitter();

  constructor(readonly options: Electron.BrowserWindowConstructorOptions = {}) {
    windows.push(this);
  }

  async loadURL(url: string): Promise<void> {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.loadedUrls.push(url);
    const target = new URL(url);
    if (target.protocol !== 'file:') throw new Error(`the stand-in loads only file: URLs, not '${url}'`);
    // Electron rejects loadURL with this message when the file is not there.
    if (!existsSync(fileURLToPath(target))) throw new Error(`ERR_FILE_NOT_FOUND (-6) loading '${url}'`);
    this.currentUrl = url;
    const preload = this.options.webPreferences?.preload;
    if (preload !== undefined) this.runPreload(preload);
    await new Promise((resolve) => setImmediate(resolve));
    this.events.emit('ready-to-show');
  }

  show(): void {
    this.shown = true;
  }

  /** Closes at once (Electron's is asynchronous); the last window closed emits window-all-closed. */
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.events.emit('closed');
    if (windows.every((win) => win.destroyed)) appEvents.emit('window-all-closed');
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  on(event: string, listener: AnyListener): Electron.BrowserWindow {
    this.events.on(event, asEmitterListener(listener));
    return this as unknown as Electron.BrowserWindow;
  }

  once(event: string, listener: AnyListener): Electron.BrowserWindow {
    this.events.once(event, asEmitterListener(listener));
    return this as unknown as Electron.BrowserWindow;
  }

  /** Invokes a command channel as `frame` of this window would (the preload's ipcRenderer is the main frame). */
  invokeAs(frame: InvokeSender['senderFrame'], channel: string, ...args: unknown[]): Promise<unknown> {
    return invokeMain(channel, { sender: this.webContents, senderFrame: frame }, args);
  }

  /**
   * Runs the preload as a sandboxed renderer does: one CommonJS file whose
   * require gives `electron`'s renderer modules and a few Node built-ins,
   * nothing else (no relative files, no packages).
   */
  private runPreload(path: string): void {
    try {
      if (!isAbsolute(path)) throw new Error(`the preload path must be absolute, got '${path}'`);
      const source = readFileSync(path, 'utf8');
      const electron = rendererModules(this);
      const sandboxedRequire = (id: string): unknown => {
        this.preloadRequires.push(id);
        if (id === 'electron') return electron;
        if (SANDBOXED_PRELOAD_MODULES.has(id)) return nodeRequire(id);
        throw new Error(`Cannot find module '${id}' (a sandboxed preload can require only electron, events, timers and url)`);
      };
      const wrapped = runInThisContext(`(function (exports, require, module) {${source}\n})`, { filename: path }) as (
        ...args: unknown[]
      ) => void;
      const module = { exports: {} };
      wrapped(module.exports, sandboxedRequire, module);
    } catch (error) {
      this.preloadError = error instanceof Error ? error : new Error(String(error));
    }
  }
}

/** contextBridge and ipcRenderer as one window's preload sees them. */
function rendererModules(win: BrowserWindow) {
  const contextBridge = {
    exposeInMainWorld(apiKey: string, api: unknown): void {
      if (apiKey in win.mainWorld) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${apiKey}`);
      // The page gets a frozen copy; functions stay callable across the worlds.
      win.mainWorld[apiKey] = typeof api === 'object' && api !== null ? Object.freeze({ ...api }) : api;
    },
  } satisfies Pick<Electron.ContextBridge, 'exposeInMainWorld'>;

  const ipcRenderer = {
    invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      win.invokedChannels.push(channel);
      return win.invokeAs({ url: win.currentUrl ?? '', parent: null }, channel, ...args);
    },
    on(channel: string, listener: AnyListener): Electron.IpcRenderer {
      win.webContents.rendererEvents.on(channel, asEmitterListener(listener));
      return ipcRenderer as unknown as Electron.IpcRenderer;
    },
    off(channel: string, listener: AnyListener): Electron.IpcRenderer {
      win.webContents.rendererEvents.off(channel, asEmitterListener(listener));
      return ipcRenderer as unknown as Electron.IpcRenderer;
    },
  } satisfies Pick<Electron.IpcRenderer, 'invoke' | 'on' | 'off'>;

  return { contextBridge, ipcRenderer };
}

// ---------------------------------------------------------------- for tests

/** What the shell handed to Electron, for a test to assert and exercise. */
export const standIn = {
  userData,
  quitRequested,
  windows: windows as readonly BrowserWindow[],
  sessionHooks: sessionHooks as Readonly<typeof sessionHooks>,
  invokeChannels: (): string[] => [...invokeHandlers.keys()],
  appListenerCount: (event: string): number => appEvents.listenerCount(event),
};
