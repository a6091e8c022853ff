/**
 * The Electron shell, kept small enough to read at a glance: one hardened
 * window, the IPC binding, and a batcher that sends event batches to it.
 * Everything else lives in src/main/core and runs in plain Node.
 */
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EVENTS_CHANNEL } from '../shared/contract';
import { Workspace } from './core/app/workspace';
import { EventBatcher } from './core/capture/event-batcher';
import { bindCommands } from './ipc';
import {
  DESKTOP_CONTENT_SECURITY_POLICY,
  isAllowedNavigation,
  isTrustedSender,
  SECURE_WEB_PREFERENCES,
  WINDOW_OPEN_POLICY,
} from './window-security';

const here = fileURLToPath(new URL('.', import.meta.url));

function rendererUrl(): string {
  // electron-vite sets this in `dev`; built apps load the bundled file.
  return process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(here, '../renderer/index.html')).href;
}

async function main(): Promise<void> {
  await app.whenReady();
  const appUrl = rendererUrl();
  // The filter's scan worker is its own bundle entry beside this one (electron.vite.config.ts).
  const workspace = new Workspace({ dataDir: app.getPath('userData'), scanWorkerUrl: new URL('./scan-worker.js', import.meta.url) });

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CONTENT_SECURITY_POLICY] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    title: 'Framescope',
    show: false,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: join(here, '../preload/index.cjs') },
  });
  win.webContents.setWindowOpenHandler(() => WINDOW_OPEN_POLICY);
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, appUrl)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());

  const unbind = bindCommands(ipcMain, workspace.handlers, (event) =>
    event.sender === win.webContents && isTrustedSender(event.senderFrame, appUrl),
  );
  const batcher = new EventBatcher(workspace.store, (batch) => {
    if (!win.isDestroyed()) win.webContents.send(EVENTS_CHANNEL, batch);
  });
  const unsubscribe = workspace.onChange(batcher.accept);

  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    unsubscribe();
    batcher.close();
    unbind();
  });
  await win.loadURL(appUrl);

  app.on('window-all-closed', () => {
    void workspace.dispose().finally(() => app.quit());
  });
}

void main();
