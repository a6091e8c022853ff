/**
 * HTTP proxies for client connections: deciding whether to use one, and opening a
 * tunnel through it with CONNECT (RFC 9110 §9.3.6). A WebSocket needs a tunnel, not a
 * forwarding proxy, because the connection stays open after the 101 response.
 *
 * Environment variables follow curl (lib/url.c detect_proxy, lib/noproxy.c):
 *   ws://   ws_proxy, WS_PROXY, then http_proxy, HTTP_PROXY, then all_proxy, ALL_PROXY
 *   wss://  wss_proxy, WSS_PROXY, then https_proxy, HTTPS_PROXY, then all_proxy, ALL_PROXY
 *   bypass  no_proxy, then NO_PROXY
 * The lowercase spelling wins when both are set (curl checks it first). An empty value
 * counts as unset.
 *
 * Where this deliberately differs from curl, and why:
 * - curl never reads uppercase HTTP_PROXY ("httpoxy": in a CGI environment a request's
 *   `Proxy:` header becomes HTTP_PROXY). Framescope is a desktop program, not a CGI
 *   script, and many systems set only the uppercase names, so HTTP_PROXY is honoured
 *   after http_proxy.
 * - Loopback targets (localhost, *.localhost, 127.0.0.0/8, ::1) never use a proxy taken
 *   from the environment, as in Chrome and Go: a corporate proxy cannot reach the
 *   person's own machine, and the local test server would become unusable. An explicit
 *   proxy setting is always used, loopback or not.
 * - NO_PROXY entries may carry a port ("host:8080", "[::1]:9000") and match only that
 *   port; "*.example.com" is read like ".example.com". curl supports neither, but Go and
 *   Node do and people write them.
 * - A proxy URL without a port uses its scheme's default (80 / 443) as WHATWG URL
 *   parsing gives it; curl would assume 1080. Write the port to be unambiguous.
 * - NO_PROXY from the environment applies only to a proxy from the environment; an
 *   explicit proxy setting is the person's choice for this connection.
 */
import { env as processEnv } from 'node:process';
import net from 'node:net';
import tls from 'node:tls';
import { basicAuthorization } from './auth';

export type ProxySetting = string | 'env' | null | undefined;

export type ProxyResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ProxyChoice {
  /** The proxy URL, with its credentials if it had any (needed for Proxy-Authorization). */
  url: string;
  /** The same URL without credentials, for display and logs. */
  displayUrl: string;
  /** "settings" or the name of the environment variable it came from. */
  source: string;
}

export interface ProxyDecision {
  /** null: connect directly. */
  proxy: ProxyChoice | null;
  /** Why, in words: "HTTPS_PROXY is set", "example.com matches NO_PROXY entry '.example.com'". */
  reason: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

function getenv(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Which variables, in order, curl consults for a scheme (see module comment). */
export function proxyEnvVariables(scheme: 'ws' | 'wss'): string[] {
  return scheme === 'ws'
    ? ['ws_proxy', 'WS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']
    : ['wss_proxy', 'WSS_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'];
}

/** Parses a proxy URL; a bare "host:port" means http:// as in curl. */
export function parseProxyUrl(raw: string): ProxyResult<URL> {
  const text = raw.trim();
  if (text === '') return { ok: false, error: 'the proxy URL is empty' };
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, error: `'${raw}' is not a valid proxy URL` };
  }
  if (url.protocol.startsWith('socks')) {
    return { ok: false, error: `'${raw}' is a SOCKS proxy; only HTTP proxies (http:// or https://, using CONNECT) are supported` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, error: `'${raw}' has scheme '${url.protocol.slice(0, -1)}'; a proxy URL must be http:// or https://` };
  }
  if (url.hostname === '') return { ok: false, error: `'${raw}' has no host` };
  return { ok: true, value: url };
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** RFC 6761 §6.3 (localhost names) and the loopback address blocks (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host).toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** Splits a NO_PROXY entry into host pattern and optional port. */
function splitEntry(entry: string): { host: string; port?: number } {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close > 0) {
      const rest = entry.slice(close + 1);
      const port = /^:(\d+)$/.exec(rest);
      return { host: entry.slice(1, close), port: port ? Number(port[1]) : undefined };
    }
  }
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = entry.split(':');
    if (/^\d+$/.test(port)) return { host, port: Number(port) };
  }
  return { host: entry };
}

/**
 * Does `host` (a name or an IP literal, IPv6 with or without brackets) on `port` match
 * a NO_PROXY list? Returns the matching entry, or undefined. Rules (curl lib/noproxy.c
 * plus the port and "*." extensions described above):
 * - entries are separated by commas and/or blanks; "*" matches everything;
 * - names match case-insensitively, exactly or as a dot-aligned suffix, so
 *   "example.com" and ".example.com" both match "api.example.com" but not
 *   "badexample.com"; trailing dots are ignored;
 * - IP entries match IP targets exactly or by CIDR prefix ("10.0.0.0/8"); no DNS is
 *   done, so a name never matches an IP entry.
 */
export function matchNoProxy(host: string, port: number, noProxy: string): string | undefined {
  const target = stripBrackets(host).toLowerCase().replace(/\.$/, '');
  const targetIp = net.isIP(target);
  for (const entry of noProxy.split(/[\s,]+/)) {
    if (entry === '') continue;
    if (entry === '*') return entry;
    const { host: pattern, port: entryPort } = splitEntry(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    const slash = pattern.indexOf('/');
    const ipPart = slash >= 0 ? pattern.slice(0, slash) : pattern;
    const ipKind = net.isIP(ipPart);
    if (ipKind !== 0) {
      if (targetIp === 0) continue;
      const family = ipKind === 4 ? 'ipv4' : 'ipv6';
      const list = new net.BlockList();
      if (slash >= 0) {
        const bits = Number(pattern.slice(slash + 1));
        if (!Number.isInteger(bits) || bits < 0 || bits > (ipKind === 4 ? 32 : 128)) continue;
        list.addSubnet(ipPart, bits, family);
      } else {
        list.addAddress(ipPart, family);
      }
      if (list.check(target, targetIp === 4 ? 'ipv4' : 'ipv6')) return entry;
      continue;
    }
    if (targetIp !== 0) continue;
    let name = pattern.toLowerCase().replace(/\.$/, '');
    if (name.startsWith('*.')) name = name.slice(2);
    else if (name.startsWith('.')) name = name.slice(1);
    if (name === '') continue;
    if (target === name || target.endsWith(`.${name}`)) return entry;
  }
  return undefined;
}

function defaultPort(scheme: 'ws' | 'wss'): number {
  return scheme === 'wss' ? 443 : 80;
}

/**
 * Decides how to reach `target` (a ws:// or wss:// URL; http/https are read as ws/wss).
 * `setting`: a proxy URL (always used), "env" (curl's environment rules above), or
 * null/undefined (direct).
 */
export function resolveProxy(target: string | URL, setting: ProxySetting, env: Env = processEnv): ProxyResult<ProxyDecision> {
  let url: URL;
  try {
    url = new URL(String(target));
  } catch {
    return { ok: false, error: `'${String(target)}' is not a valid URL` };
  }
  const proto = url.protocol.slice(0, -1);
  const scheme = proto === 'wss' || proto === 'https' ? 'wss' : proto === 'ws' || proto === 'http' ? 'ws' : undefined;
  if (scheme === undefined) return { ok: false, error: `'${url.href}' is not a ws:// or wss:// URL` };

  if (setting === null || setting === undefined) return { ok: true, value: { proxy: null, reason: 'no proxy is configured' } };

  if (setting !== 'env') {
    const parsed = parseProxyUrl(setting);
    if (!parsed.ok) return { ok: false, error: `proxy: ${parsed.error}` };
    return {
      ok: true,
      value: {
        proxy: { url: parsed.value.href, displayUrl: withoutCredentials(parsed.value), source: 'settings' },
        reason: 'a proxy is set for this connection',
      },
    };
  }

  const names = proxyEnvVariables(scheme);
  let source: string | undefined;
  let raw: string | undefined;
  for (const name of names) {
    raw = getenv(env, name);
    if (raw !== undefined) {
      source = name;
      break;
    }
  }
  if (source === undefined || raw === undefined) {
    return { ok: true, value: { proxy: null, reason: `none of ${names.join(', ')} is set` } };
  }
  const host = url.hostname;
  const port = url.port === '' ? defaultPort(scheme) : Number(url.port);
  if (isLoopbackHost(host)) {
    return { ok: true, value: { proxy: null, reason: `${stripBrackets(host)} is a loopback address; ${source} is not used for it` } };
  }
  const noProxyName = getenv(env, 'no_proxy') !== undefined ? 'no_proxy' : 'NO_PROXY';
  const noProxy = getenv(env, noProxyName);
  if (noProxy !== undefined) {
    const entry = matchNoProxy(host, port, noProxy);
    if (entry !== undefined) {
      return { ok: true, value: { proxy: null, reason: `${stripBrackets(host)} matches ${noProxyName} entry '${entry}'` } };
    }
  }
  const parsed = parseProxyUrl(raw);
  if (!parsed.ok) return { ok: false, error: `${source}: ${parsed.error}` };
  return {
    ok: true,
    value: {
      proxy: { url: parsed.value.href, displayUrl: withoutCredentials(parsed.value), source },
      reason: `${source} is set`,
    },
  };
}

// ---------------------------------------------------------------------------------------
// CONNECT
// ---------------------------------------------------------------------------------------

export type ProxyErrorCode =
  | 'PROXY_INVALID' // bad proxy URL or request headers
  | 'PROXY_UNREACHABLE' // TCP/TLS connection to the proxy failed
  | 'PROXY_TIMEOUT'
  | 'PROXY_REFUSED' // the proxy answered CONNECT with a non-2xx status
  | 'PROXY_CLOSED' // the proxy closed before answering
  | 'PROXY_BAD_RESPONSE' // the answer is not HTTP
  | 'PROXY_ABORTED';

export class ProxyConnectError extends Error {
  override readonly name = 'ProxyConnectError';
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    readonly details: {
      proxy?: string;
      status?: number;
      statusText?: string;
      headers?: Array<[string, string]>;
      /** The start of the response body, if the proxy sent one with its refusal. */
      body?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message);
  }
}

export interface ProxyConnectOptions {
  /** Covers connecting to the proxy and waiting for its answer. */
  timeoutMs: number;
  /** Extra CONNECT request headers. A Proxy-Authorization here wins over URL credentials. */
  headers?: Array<[string, string]> | Record<string, string>;
  /** TLS options for an https:// proxy (the connection to the proxy, not to the target). */
  proxyTls?: tls.ConnectionOptions;
  signal?: AbortSignal;
}

/** The answer head is small; a proxy that sends more without a blank line is not speaking HTTP. */
const MAX_RESPONSE_HEAD = 16 * 1024;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 §5.6.2

function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
      return 'host not found (ENOTFOUND)';
    case 'EHOSTUNREACH':
      return 'host unreachable (EHOSTUNREACH)';
    case 'ENETUNREACH':
      return 'network unreachable (ENETUNREACH)';
    case 'ECONNRESET':
      return 'connection reset (ECONNRESET)';
    default:
      return e?.message ?? String(err);
  }
}

/**
 * Opens a TCP (or TLS, for an https:// proxy) connection to the proxy, asks it to
 * CONNECT to targetHost:targetPort and resolves with the socket once the proxy answers
 * 2xx (RFC 9110 §9.3.6: any 2xx means the tunnel is open). The socket carries no
 * listeners of ours and holds any early bytes in its buffer; hand it to `ws` via `createConnection` (wrapped in
 * tls.connect({ socket, servername }) for wss://).
 *
 * Rejects with a ProxyConnectError whose message says what happened:
 * refused (status, reason, Proxy-Authenticate), unreachable, timeout, closed.
 */
export function connectThroughProxy(proxyUrl: string, targetHost: string, targetPort: number, options: ProxyConnectOptions): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const parsed = parseProxyUrl(proxyUrl);
    if (!parsed.ok) {
      reject(new ProxyConnectError('PROXY_INVALID', parsed.error));
      return;
    }
    const proxy = parsed.value;
    const display = withoutCredentials(proxy).replace(/\/$/, '');
    if (!Number.isInteger(targetPort) || targetPort < 1 || targetPort > 65535) {
      reject(new ProxyConnectError('PROXY_INVALID', `target port ${targetPort} is not in 1..65535`, { proxy: display }));
      return;
    }
    // RFC 9110 §9.3.6 / §7.2: CONNECT uses authority-form; IPv6 literals need brackets (RFC 3986 §3.2.2).
    const bareTarget = stripBrackets(targetHost);
    const authority = `${net.isIPv6(bareTarget) ? `[${bareTarget}]` : bareTarget}:${targetPort}`;

    const headers: Array<[string, string]> = Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {});
    for (const [name, value] of headers) {
      if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) {
        reject(new ProxyConnectError('PROXY_INVALID', `CONNECT header '${name}' has an invalid name or a line break in its value`, { proxy: display }));
        return;
      }
    }
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    const hasProxyAuth = headers.some(([n]) => n.toLowerCase() === 'proxy-authorization');
    if (!hasProxyAuth && (proxy.username !== '' || proxy.password !== '')) {
      let user: string;
      let pass: string;
      try {
        user = decodeURIComponent(proxy.username);
        pass = decodeURIComponent(proxy.password);
      } catch {
        reject(new ProxyConnectError('PROXY_INVALID', 'the proxy URL credentials have an invalid percent-escape', { proxy: display }));
        return;
      }
      // RFC 9110 §11.7.1: Proxy-Authorization, here with the Basic scheme (RFC 7617).
      const basic = basicAuthorization(user, pass);
      if (!basic.ok) {
        reject(new ProxyConnectError('PROXY_INVALID', `proxy credentials: ${basic.error}`, { proxy: display }));
        return;
      }
      lines.push(`Proxy-Authorization: ${basic.value}`);
    }
    for (const [name, value] of headers) lines.push(`${name}: ${value}`);
    const request = lines.join('\r\n') + '\r\n\r\n';

    const host = stripBrackets(proxy.hostname);
    const isTls = proxy.protocol === 'https:';
    const port = proxy.port === '' ? (isTls ? 443 : 80) : Number(proxy.port);
    const socket: net.Socket = isTls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...options.proxyTls })
      : net.connect({ host, port });

    let connected = false;
    let settled = false;
    let head: Buffer = Buffer.alloc(0);

    const cleanup = () => {
      clearTimeout(timer);
      socket.removeListener(isTls ? 'secureConnect' : 'connect', onConnect);
      socket.removeListener('readable', onReadable);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: ProxyConnectError) => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onConnect = () => {
      connected = true;
      socket.write(request);
    };
    const onError = (err: Error) => {
      if (!connected) {
        fail(new ProxyConnectError('PROXY_UNREACHABLE', `cannot reach proxy ${display}: ${describeNetError(err)}`, { proxy: display, cause: err }));
      } else {
        fail(new ProxyConnectError('PROXY_CLOSED', `connection to proxy ${display} failed while waiting for its CONNECT answer: ${describeNetError(err)}`, { proxy: display, cause: err }));
      }
    };
    const onClose = () => {
      fail(
        connected
          ? new ProxyConnectError('PROXY_CLOSED', `proxy ${display} closed the connection without answering CONNECT ${authority}`, { proxy: display })
          : new ProxyConnectError('PROXY_UNREACHABLE', `cannot reach proxy ${display}: connection closed`, { proxy: display }),
      );
    };
    const onAbort = () => fail(new ProxyConnectError('PROXY_ABORTED', `CONNECT through ${display} was cancelled`, { proxy: display }));
    // 'readable' + read() rather than 'data': once the listener is removed the stream is
    // neither flowing nor explicitly paused, so bytes stay buffered until the next owner
    // (ws's HTTP client) attaches its own listener. A 'data' listener would leave the
    // socket flowing (bytes lost) or explicitly paused (the next owner never resumes it).
    const onReadable = () => {
      let chunk: Buffer | null;
      let end = -1;
      while (end < 0 && (chunk = socket.read() as Buffer | null) !== null) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        end = head.indexOf('\r\n\r\n');
      }
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) {
          fail(new ProxyConnectError('PROXY_BAD_RESPONSE', `proxy ${display} sent more than ${MAX_RESPONSE_HEAD} bytes without ending its response head`, { proxy: display }));
        }
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + 4);
      const [statusLine, ...headerLines] = text.split('\r\n');
      const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(statusLine);
      if (m === null) {
        fail(new ProxyConnectError('PROXY_BAD_RESPONSE', `proxy ${display} answered CONNECT with '${statusLine.slice(0, 80)}', which is not an HTTP status line`, { proxy: display }));
        return;
      }
      const status = Number(m[1]);
      const statusText = m[2] ?? '';
      const respHeaders: Array<[string, string]> = [];
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) respHeaders.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
      }
      if (status >= 200 && status < 300) {
        settled = true;
        cleanup();
        // A proxy should not send tunnel bytes before we do, but if it did they belong to the target.
        if (rest.length > 0) socket.unshift(rest);
        resolve(socket);
        return;
      }
      const authenticate = respHeaders.filter(([n]) => n.toLowerCase() === 'proxy-authenticate').map(([, v]) => v);
      let hint = '';
      if (status === 407) {
        hint = hasProxyAuth || proxy.username !== '' ? '; the proxy rejected the credentials' : '; put user:password@ in the proxy URL';
        if (authenticate.length > 0) hint += ` (Proxy-Authenticate: ${authenticate.join(', ')})`;
      }
      fail(
        new ProxyConnectError('PROXY_REFUSED', `proxy ${display} refused CONNECT ${authority}: ${status}${statusText ? ` ${statusText}` : ''}${hint}`, {
          proxy: display,
          status,
          statusText,
          headers: respHeaders,
          body: rest.subarray(0, 512).toString('utf8'),
        }),
      );
    };

    const timer = setTimeout(() => {
      fail(
        connected
          ? new ProxyConnectError('PROXY_TIMEOUT', `proxy ${display} did not answer CONNECT ${authority} within ${options.timeoutMs} ms`, { proxy: display })
          : new ProxyConnectError('PROXY_TIMEOUT', `could not connect to proxy ${display} within ${options.timeoutMs} ms`, { proxy: display }),
      );
    }, options.timeoutMs);

    socket.once(isTls ? 'secureConnect' : 'connect', onConnect);
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (options.signal !== undefined) {
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
