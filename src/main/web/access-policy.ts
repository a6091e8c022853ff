/**
 * Who may talk to the browser host. The host can read local files (log tails)
 * and open sockets on the person's behalf, so any page on the web that guesses
 * the port must be refused: every request needs the per-launch token, and
 * browser requests from a foreign Origin (or a rebinding Host) are refused even
 * with it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'framescope_token';
export const TOKEN_PARAM = 'token';

export function newLaunchToken(): string {
  return randomBytes(24).toString('base64url');
}

export type AccessDecision = { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

export interface AccessPolicy {
  token: string;
  /** The host:port pairs this server answers to, e.g. "127.0.0.1:5173", "localhost:5173". */
  allowedHosts: string[];
}

export function allowedHostsFor(host: string, port: number): string[] {
  const hosts = new Set([`${host}:${port}`]);
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
    hosts.add(`127.0.0.1:${port}`);
    hosts.add(`localhost:${port}`);
    hosts.add(`[::1]:${port}`);
  }
  return [...hosts];
}

function tokenEquals(candidate: string | undefined, token: string): boolean {
  if (!candidate) return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const fromQuery = url.searchParams.get(TOKEN_PARAM);
  if (fromQuery) return fromQuery;
  const cookie = req.headers.cookie;
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
}

export function checkAccess(req: IncomingMessage, policy: AccessPolicy): AccessDecision {
  const host = req.headers.host;
  // DNS rebinding: a hostile name resolving to 127.0.0.1 still carries its own Host.
  if (!host || !policy.allowedHosts.includes(host.toLowerCase())) {
    return { allowed: false, status: 403, reason: `Host '${host ?? ''}' is not this Framescope host` };
  }
  const origin = req.headers.origin;
  // Browsers send Origin on WebSocket upgrades and cross-origin requests; a
  // same-origin page load may omit it. Anything present must be our own origin.
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      const parsed = new URL(origin);
      originHost = parsed.protocol === 'http:' ? parsed.host : '';
    } catch {
      originHost = '';
    }
    if (!policy.allowedHosts.includes(originHost.toLowerCase())) {
      return { allowed: false, status: 403, reason: `Origin '${origin}' is not allowed` };
    }
  } else if (origin === 'null') {
    return { allowed: false, status: 403, reason: "Origin 'null' is not allowed" };
  }
  if (!tokenEquals(tokenFromRequest(req), policy.token)) {
    return { allowed: false, status: 401, reason: 'missing or wrong launch token: open the URL Framescope printed' };
  }
  return { allowed: true };
}
