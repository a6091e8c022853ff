/**
 * The one FramescopeApi the renderer uses: the preload's in the desktop app,
 * the WebSocket bridge in a browser. A browser page opened without the launch
 * token gets no API, and says so instead of failing call by call.
 */
import type { FramescopeApi } from '../../../shared/contract';
import { createBrowserBridge } from './browser-bridge';
import { takeLaunchToken } from './launch-token';

declare global {
  interface Window {
    framescope?: FramescopeApi;
  }
}

function chooseApi(): FramescopeApi | null {
  if (window.framescope) return window.framescope;
  const token = takeLaunchToken(window);
  return token === null ? null : createBrowserBridge(window.location, token);
}

export const api: FramescopeApi | null = chooseApi();
