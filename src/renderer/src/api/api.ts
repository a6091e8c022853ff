/**
 * The one FramescopeApi the renderer uses: the preload's in the desktop app,
 * the WebSocket bridge in a browser.
 */
import type { FramescopeApi } from '../../../shared/contract';
import { createBrowserBridge } from './browser-bridge';

declare global {
  interface Window {
    framescope?: FramescopeApi;
  }
}

export const api: FramescopeApi = window.framescope ?? createBrowserBridge(window.location);
