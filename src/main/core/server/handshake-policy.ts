/**
 * Whether the embedded server accepts an upgrade request, and what it answers when it does
 * not. No I/O: the request head goes in, a decision with every check made comes out, so the
 * console can show why a handshake was refused and tests can check each answer directly.
 *
 * In order, stopping at the first failure:
 *   1. RFC 6455 §4.2.1 (checkUpgradeRequest): 400, 405 for a method other than GET, 426 with
 *      Sec-WebSocket-Version: 13 for another version.
 *   2. A route takes the path (routes.ts): 404.
 *   3. The Origin is on the allow-list: 403 (RFC 6455 §4.2.2 item 4, §10.2).
 *   4. Credentials: 401 with WWW-Authenticate (RFC 9110 §11.6.1; Basic RFC 7617, Bearer
 *      RFC 6750).
 *   5. Connection caps, the server's then the route's: 503 with Retry-After (ntopng: "Otherwise
 *      a 503 code is returned and the client will try to use standard AJAX requests";
 *      RFC 9110 §15.6.4, §10.2.3).
 *   6. Sec-WebSocket-Protocol and Sec-WebSocket-Extensions are well-formed: 400.
 * The app's own onInit runs after these (it needs the connection id) and refuses with 403.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseBasicAuthorization } from '../client/auth';
import { isToken, parseExtensions } from '../protocol/extensions';
import {
  type HandshakeAnswer,
  type HandshakeCheck,
  type HeaderList,
  checkUpgradeRequest,
  headerValue,
  listTokens,
} from '../protocol/handshake';
import { type ResolvedPolicy, normalizeOrigin } from './config';
import { type RouteLike, resolveRoute } from './routes';

export interface UpgradeAttempt {
  method: string;
  /** The request-target as received. */
  target: string;
  httpVersion: string;
  headers: HeaderList;
}

export interface CapRoute extends RouteLike {
  readonly maxConnections?: number;
}

/** Open connections now; absent when re-checking an accepted handshake for display. */
export interface OpenCounts<R> {
  server: number;
  route(route: R): number;
}

export type UpgradeDecision<R> =
  | {
      ok: true;
      route: R;
      path: string;
      query: string;
      /** The subprotocol to answer with (RFC 6455 §4.2.2 /subprotocol/), or null for none. */
      subprotocol: string | null;
      checks: HandshakeCheck[];
    }
  | {
      ok: false;
      answer: HandshakeAnswer;
      failed: HandshakeCheck;
      checks: HandshakeCheck[];
      route?: R;
    };

/** Splits a request-target into path and query, without decoding (routes compare raw paths). */
export function splitTarget(target: string): { path: string; query: string } {
  let rest = target;
  // RFC 9112 §3.2.2 absolute-form: "ws://host/path?q" — the path starts after the authority.
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (abs) rest = rest.slice(abs[0].length) || '/';
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  return q < 0 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

/** Constant-time comparison of two secrets of any length (hashing first evens the lengths). */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const REALM = 'realm="Framescope"';

/** The answer to a refused handshake: its body is the failed check, in words. */
export function refusalAnswer(status: number, reason: string, failed: HandshakeCheck, headers: HeaderList = []): HandshakeAnswer {
  return { status, reason, headers, body: `${failed.label}: ${failed.detail}\n` };
}

/** Which subprotocol to answer with: the server's preference order, or the client's first offer. */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[]): string | null {
  if (offered.length === 0) return null;
  // With no list configured the server speaks whatever is asked for, as `ws` does by default:
  // a test console should not refuse a client for wanting a subprotocol.
  if (supported.length === 0) return offered[0];
  return supported.find((p) => offered.includes(p)) ?? null;
}

function describeRoute(route: RouteLike): string {
  return `${route.match} ${route.path}`;
}

/**
 * Decides an upgrade. `counts` undefined re-creates the checks of a handshake that was accepted
 * (for the handshake view), where the caps are reported as having been met at the time.
 */
export function decideUpgrade<R extends CapRoute>(
  attempt: UpgradeAttempt,
  routes: readonly R[],
  policy: ResolvedPolicy,
  counts?: OpenCounts<R>,
): UpgradeDecision<R> {
  const verdict = checkUpgradeRequest({ method: attempt.method, target: attempt.target, httpVersion: attempt.httpVersion, headers: attempt.headers });
  const checks: HandshakeCheck[] = [...verdict.checks];
  if (!verdict.ok) return { ok: false, answer: { ...verdict.answer, body: `${verdict.answer.body}\n` }, failed: verdict.failed!, checks };

  const headers = attempt.headers;
  const add = (id: string, label: string, pass: boolean, detail: string, rule: string): HandshakeCheck => {
    const check = { id, label, pass, detail, rule };
    checks.push(check);
    return check;
  };

  // 2. Route.
  const { path, query } = splitTarget(attempt.target);
  const resolved = resolveRoute(routes, path);
  const routeCheck = add(
    'route',
    'A route takes the path',
    resolved !== undefined,
    resolved ? `${path} → ${describeRoute(resolved.route)}` : `no route takes ${path}; routes: ${routes.map(describeRoute).join(', ')}`,
    'Framescope routes (exact, prefix, or an RRR-style topic filter)',
  );
  if (!resolved) return { ok: false, answer: refusalAnswer(404, 'Not Found', routeCheck), failed: routeCheck, checks };
  const route = resolved.route;

  // 3. Origin. RFC 6455 §10.2: the Origin header protects against scripts on other sites; a
  // server that is not meant for every page checks it. Without an allow-list any origin passes.
  if (policy.originAllowList.length > 0) {
    const origin = headerValue(headers, 'origin');
    const normalized = origin === undefined ? undefined : normalizeOrigin(origin);
    const allowed = normalized !== undefined && policy.originAllowList.includes(normalized);
    const check = add(
      'origin',
      'Origin is on the allow-list',
      allowed,
      origin === undefined
        ? `no Origin header; this server accepts only ${policy.originAllowList.join(', ')}`
        : allowed
          ? origin
          : `Origin ${origin} is not one of ${policy.originAllowList.join(', ')}`,
      'RFC 6455 §4.2.2 item 4, §10.2',
    );
    if (!allowed) return { ok: false, answer: refusalAnswer(403, 'Forbidden', check), failed: check, checks, route };
  }

  // 4. Credentials.
  const cred = policy.credentials;
  if (cred) {
    const authorization = headerValue(headers, 'authorization');
    let pass = false;
    let detail: string;
    if (cred.kind === 'basic') {
      if (authorization === undefined) detail = 'no Authorization header; Basic credentials are required';
      else {
        const parsed = parseBasicAuthorization(authorization);
        if (!parsed.ok) detail = `the Authorization header is ${parsed.error}`;
        else {
          // Both compared, so the time taken does not tell which one was wrong.
          const userOk = sameSecret(parsed.value.username, cred.username);
          const passOk = sameSecret(parsed.value.password, cred.password);
          pass = userOk && passOk;
          detail = pass ? `Basic, user ${parsed.value.username}` : `wrong username or password for user ${parsed.value.username}`;
        }
      }
    } else {
      const fromHeader = authorization !== undefined ? /^\s*bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
      // RFC 6750 §2.3: the token may travel as the access_token query parameter; browsers cannot
      // set headers on a WebSocket.
      const fromQuery = new URLSearchParams(query).get('access_token') ?? undefined;
      const token = fromHeader ?? fromQuery;
      if (token === undefined) {
        detail = authorization !== undefined ? 'the Authorization header is not "Bearer <token>"' : 'no bearer token (Authorization: Bearer <token>, or ?access_token=)';
      } else {
        pass = sameSecret(token, cred.token);
        detail = pass ? `Bearer token (${fromHeader !== undefined ? 'Authorization header' : 'access_token parameter'})` : 'the bearer token is wrong';
      }
    }
    const check = add('credentials', 'Credentials are valid', pass, detail, cred.kind === 'basic' ? 'RFC 7617 §2; RFC 9110 §11.6.1' : 'RFC 6750 §2, §3');
    if (!pass) {
      const challenge = cred.kind === 'basic' ? `Basic ${REALM}, charset="UTF-8"` : `Bearer ${REALM}${authorization !== undefined || detail.includes('wrong') ? ', error="invalid_token"' : ''}`;
      return { ok: false, answer: refusalAnswer(401, 'Unauthorized', check, [['WWW-Authenticate', challenge]]), failed: check, checks, route };
    }
  }

  // 5. Caps (ntopng's SERVER_MAX_WEBSOCKET_THREADS, per server and per route).
  const caps = [
    { id: 'server-cap', label: "Below the server's connection cap", cap: policy.maxConnections, open: counts?.server, where: '', holder: 'the server' },
    { id: 'route-cap', label: "Below the route's connection cap", cap: route.maxConnections ?? null, open: counts?.route(route), where: ` on ${route.path}`, holder: route.path },
  ];
  for (const { id, label, cap, open, where, holder } of caps) {
    if (cap === null) continue;
    const pass = open === undefined || open < cap;
    const check = add(
      id,
      label,
      pass,
      open === undefined
        ? `within the cap of ${cap} when accepted`
        : pass
          ? `${open} of ${cap} open${where}`
          : `${holder} holds its cap of ${cap} connections; retry after ${policy.retryAfterSeconds} s`,
      'ntopng (503 at the cap); RFC 9110 §15.6.4, §10.2.3',
    );
    if (!pass) {
      const answer = refusalAnswer(503, 'Service Unavailable', check, [['Retry-After', String(policy.retryAfterSeconds)]]);
      return { ok: false, answer, failed: check, checks, route };
    }
  }

  // 6. Subprotocol: RFC 6455 §4.1 item 10 / §11.3.4: a list of distinct tokens.
  const protocolHeader = headerValue(headers, 'sec-websocket-protocol');
  const offered = listTokens(protocolHeader);
  const badToken = offered.find((p) => !isToken(p));
  const duplicate = offered.find((p, i) => offered.indexOf(p) !== i);
  const emptyHeader = protocolHeader !== undefined && offered.length === 0;
  const protocolOk = badToken === undefined && duplicate === undefined && !emptyHeader;
  const subprotocol = protocolOk ? selectSubprotocol(offered, policy.subprotocols) : null;
  const protocolCheck = add(
    'subprotocol',
    'Sec-WebSocket-Protocol lists distinct tokens',
    protocolOk,
    !protocolOk
      ? emptyHeader
        ? 'the Sec-WebSocket-Protocol header is empty'
        : badToken !== undefined
          ? `${JSON.stringify(badToken)} is not a token`
          : `${JSON.stringify(duplicate)} is offered twice`
      : offered.length === 0
        ? 'none offered'
        : subprotocol
          ? `selected ${subprotocol} from ${offered.join(', ')}`
          : `none of ${offered.join(', ')} is supported (${policy.subprotocols.join(', ')}); answering without a subprotocol`,
    'RFC 6455 §4.1 item 10, §4.2.2 /subprotocol/, §11.3.4',
  );
  if (!protocolOk) return { ok: false, answer: refusalAnswer(400, 'Bad Request', protocolCheck), failed: protocolCheck, checks, route };

  if (policy.deflate) {
    const extensions = headerValue(headers, 'sec-websocket-extensions');
    const parsed = extensions === undefined ? null : parseExtensions(extensions);
    const pass = parsed === null || parsed.ok;
    const check = add(
      'extensions',
      'Sec-WebSocket-Extensions is well-formed',
      pass,
      parsed === null ? 'none offered' : parsed.ok ? extensions! : parsed.error,
      'RFC 6455 §9.1; RFC 7692 §5',
    );
    if (!pass) return { ok: false, answer: refusalAnswer(400, 'Bad Request', check), failed: check, checks, route };
  }

  return { ok: true, route, path, query, subprotocol, checks };
}

/** One line for the server log: "503 Service Unavailable: Below the server's connection cap: …". */
export function summarizeRefusal(answer: HandshakeAnswer, failed: HandshakeCheck): string {
  return `${answer.status} ${answer.reason}: ${failed.label}: ${failed.detail}`;
}
