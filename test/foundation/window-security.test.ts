import { describe, expect, it } from 'vitest';
import {
  DESKTOP_CONTENT_SECURITY_POLICY,
  isAllowedNavigation,
  isTrustedSender,
  SECURE_WEB_PREFERENCES,
  WINDOW_OPEN_POLICY,
} from '../../src/main/window-security';
import { readFileSync } from 'node:fs';

const APP = 'file:///opt/framescope/out/renderer/index.html';

describe('Electron window security settings', () => {
  it('isolates and sandboxes the renderer with no Node integration', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('denies window.open', () => {
    expect(WINDOW_OPEN_POLICY).toEqual({ action: 'deny' });
  });

  it('has a strict CSP: scripts only from the app, no objects, no base or form targets', () => {
    expect(DESKTOP_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(DESKTOP_CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe/);
    expect(DESKTOP_CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(DESKTOP_CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
  });

  it('ships exactly the same CSP in the renderer page as a meta tag (the built page: e2e/desktop-csp.web.spec.ts)', () => {
    const html = readFileSync('src/renderer/index.html', 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(DESKTOP_CONTENT_SECURITY_POLICY);
  });

  it('refuses navigation anywhere but the app document', () => {
    expect(isAllowedNavigation(APP, APP)).toBe(true);
    expect(isAllowedNavigation('https://example.com/', APP)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', APP)).toBe(false);
    expect(isAllowedNavigation('not a url', APP)).toBe(false);
  });

  it('trusts IPC only from the main frame showing the app document', () => {
    expect(isTrustedSender({ url: APP, parent: null }, APP)).toBe(true);
    expect(isTrustedSender({ url: APP, parent: {} }, APP)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null }, APP)).toBe(false);
    expect(isTrustedSender(null, APP)).toBe(false);
  });
});
