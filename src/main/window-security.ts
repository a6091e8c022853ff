/**
 * The Electron window's security settings, as data, so a unit test can assert
 * them without starting Electron. Typed against Electron's own declarations.
 */
import type { WebPreferences } from 'electron';

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const satisfies WebPreferences;

/**
 * Exactly the meta tag in src/renderer/index.html, the only way a policy reaches the
 * file:// page the app loads (onHeadersReceived does not apply to file://); an e2e test
 * checks the built page against it. The shell also sends it as a header (dev server).
 * No frame-ancestors: a meta tag cannot carry it (CSP3 §6.4.2), and Chromium reports it
 * ignored; the browser host sends it as a header of its own (web-host.ts).
 */
export const DESKTOP_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/** window.open and target=_blank never create a window. */
export const WINDOW_OPEN_POLICY = { action: 'deny' } as const;

/**
 * The renderer never navigates: the only document it may show is the one it
 * was loaded with. Any other URL (a link, a drag-dropped file, a redirect) is
 * refused.
 */
export function isAllowedNavigation(targetUrl: string, appUrl: string): boolean {
  try {
    const target = new URL(targetUrl);
    const app = new URL(appUrl);
    return target.origin === app.origin && target.pathname === app.pathname;
  } catch {
    return false;
  }
}

/**
 * IPC senders are checked: only the main frame of our own window, showing our
 * own document, may call commands.
 */
export function isTrustedSender(
  sender: { url: string; parent: unknown } | null | undefined,
  appUrl: string,
): boolean {
  // A frame with a parent is an iframe: never trusted, whatever it shows.
  if (!sender || sender.parent !== null) return false;
  return isAllowedNavigation(sender.url, appUrl);
}
