/**
 * Who may talk to the browser host. The host can read local files (log tails)
 * and open sockets on the person's behalf, so any page on the web that guesses
 * the port must be refused. Every request must name this host (Host, against
 * DNS rebinding) and come from no other origin. The bridge, where all the
 * power is, also needs the per-launch token and an Origin: browsers always
 * send Origin on WebSocket upgrades (RFC 6455 §4.1 item 8), so an upgrade
 * without one is a script replaying a stolen token.
 *
 * The token never travels in a cookie: cookies do not keep ports apart
 * (RFC 6265 §8.5), so every other server on 127.0.0.1 the browser visits would
 * receive it. The page and its assets hold no secret and are served without it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';

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

/** What a request asks for: the page and its assets, or the bridge (which needs the token). */
export type AccessKind = 'asset' | 'bridge';

/** Addresses that mean "every interface of this machine" (a wildcard bind). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '::1', '[::1]'];

const withBrackets = (address: string): string => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);

/**
 * The Host values (host:port) this server answers to. A loopback bind answers to every
 * loopback name. A wildcard bind (0.0.0.0, ::) is reached by whichever address the
 * browser dialled, so it also answers to each address of this machine's interfaces as they
 * were when it started (0.0.0.0: the IPv4 ones). Anything else is a name the person's
 * browser was pointed at by someone else: DNS rebinding.
 */
export function allowedHostsFor(host: string, port: number, interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  const hosts = new Set([`${withBrackets(host).toLowerCase()}:${port}`]);
  if (LOOPBACK_NAMES.includes(host) || isWildcardHost(host)) {
    hosts.add(`127.0.0.1:${port}`);
    hosts.add(`localhost:${port}`);
    hosts.add(`[::1]:${port}`);
  }
  if (isWildcardHost(host)) {
    for (const address of Object.values(interfaces).flat()) {
      if (address === undefined || (host === '0.0.0.0' && address.family !== 'IPv4')) continue;
      hosts.add(`${withBrackets(address.address).toLowerCase()}:${port}`);
    }
  }
  return [...hosts];
}

function tokenEquals(candidate: string | null, token: string): boolean {
  if (!candidate) return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenFromRequest(req: IncomingMessage): string | null {
  return new URL(req.url ?? '/', 'http://placeholder').searchParams.get(TOKEN_PARAM);
}

/** The host:port of an http: origin, lower-cased; '' for anything else. */
function originHostOf(origin: string): string {
  try {
    const parsed = new URL(origin);
    return parsed.protocol === 'http:' ? parsed.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

export function checkAccess(req: IncomingMessage, policy: AccessPolicy, kind: AccessKind): AccessDecision {
  const host = req.headers.host;
  // DNS rebinding: a hostile name resolving to 127.0.0.1 still carries its own Host.
  if (!host || !policy.allowedHosts.includes(host.toLowerCase())) {
    return { allowed: false, status: 403, reason: `Host '${host ?? ''}' is not this Framescope host` };
  }
  const origin = req.headers.origin;
  if (origin === undefined) {
    // A same-origin page load may omit Origin; a browser's WebSocket upgrade never does.
    if (kind === 'bridge') return { allowed: false, status: 403, reason: 'a bridge connection needs an Origin header (browsers always send one)' };
  } else if (!policy.allowedHosts.includes(originHostOf(origin))) {
    return { allowed: false, status: 403, reason: `Origin '${origin}' is not allowed` };
  }
  if (kind === 'bridge' && !tokenEquals(tokenFromRequest(req), policy.token)) {
    return { allowed: false, status: 401, reason: 'missing or wrong launch token: open the URL Framescope printed' };
  }
  return { allowed: true };
}
