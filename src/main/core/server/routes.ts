/**
 * The embedded server's route table: which app answers an upgrade on which request path.
 *
 *   exact   "/echo"         only that path
 *   prefix  "/chat"         "/chat" and everything below it ("/chat/room1"), never "/chatter";
 *                           "/" covers every path. A trailing slash is ignored ("/chat/" = "/chat").
 *   filter  "/sensors/+"    an MQTT topic filter over the path, as RRR's
 *                           `http_server_websocket_topic_filters` does: the path minus its leading
 *                           '/' is the topic, so "#" accepts every path and "+/ws" accepts
 *                           "/anything/ws". The leading '/' of the filter is optional. As in RRR,
 *                           the empty path "/" matches no filter ("the endpoint in the URL may
 *                           not be empty").
 *
 * Precedence, whatever the order of the table: an exact route wins; otherwise the most specific
 * matching filter (compared level by level: a literal level beats '+', '+' beats '#');
 * otherwise the longest matching prefix. Paths are compared as received (no percent-decoding,
 * no case folding), without the query string.
 */
import { type AppName, type AppOptionsMap, APP_NAMES, type OptionsResult, isAppName, validateAppOptions } from './apps/index';
import { TOPIC_LEVEL_SEPARATOR, compareFilterSpecificity, matchLevels, validateTopicFilter } from './topic-filter';

export const ROUTE_MATCHES = ['exact', 'prefix', 'filter'] as const;
export type RouteMatch = (typeof ROUTE_MATCHES)[number];

/** The part of a route that decides which paths it takes. */
export interface RouteLike {
  readonly match: RouteMatch;
  readonly path: string;
}

/** A validated route: the options are the app's checked options. */
export type RouteEntry = {
  [K in AppName]: { match: RouteMatch; path: string; app: K; options: AppOptionsMap[K]; maxConnections?: number };
}[AppName];

/** Largest per-route or per-server connection cap accepted (far beyond what one process holds). */
export const MAX_CONNECTION_CAP = 1_000_000;

export interface ResolvedRoute<R> {
  route: R;
  /** Position in the table. */
  index: number;
}

/** "/chat/" and "/chat" are the same prefix; "/" stays "/". */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** A filter route's path as a topic filter: without one leading '/'. */
export function routeFilterOf(path: string): string {
  return path.startsWith(TOPIC_LEVEL_SEPARATOR) ? path.slice(1) : path;
}

/** A request path as a topic (without one leading '/'), or undefined for the empty path. */
export function pathToTopic(path: string): string | undefined {
  const topic = path.startsWith(TOPIC_LEVEL_SEPARATOR) ? path.slice(1) : path;
  return topic === '' ? undefined : topic;
}

export function matchPrefix(prefix: string, path: string): boolean {
  const p = normalizePrefix(prefix);
  if (p === '/') return path.startsWith('/');
  return path === p || path.startsWith(`${p}/`);
}

/** Does `route` take `path`? */
export function matchRoute(route: RouteLike, path: string): boolean {
  switch (route.match) {
    case 'exact':
      return route.path === path;
    case 'prefix':
      return matchPrefix(route.path, path);
    case 'filter': {
      const topic = pathToTopic(path);
      const filter = routeFilterOf(route.path);
      if (topic === undefined || validateTopicFilter(filter) !== undefined) return false;
      return matchLevels(filter.split(TOPIC_LEVEL_SEPARATOR), topic.split(TOPIC_LEVEL_SEPARATOR));
    }
  }
}

/** The route that answers `path`, by the precedence above; undefined when none does (a 404). */
export function resolveRoute<R extends RouteLike>(table: readonly R[], path: string): ResolvedRoute<R> | undefined {
  let filterBest: ResolvedRoute<R> | undefined;
  let prefixBest: ResolvedRoute<R> | undefined;
  for (let index = 0; index < table.length; index++) {
    const route = table[index];
    if (!matchRoute(route, path)) continue;
    if (route.match === 'exact') return { route, index };
    if (route.match === 'filter') {
      if (!filterBest || compareFilterSpecificity(routeFilterOf(route.path), routeFilterOf(filterBest.route.path)) < 0) {
        filterBest = { route, index };
      }
    } else if (!prefixBest || normalizePrefix(route.path).length > normalizePrefix(prefixBest.route.path).length) {
      prefixBest = { route, index };
    }
  }
  return filterBest ?? prefixBest;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const ROUTE_FIELDS = ['match', 'path', 'app', 'options', 'maxConnections'];
// Control characters and spaces cannot appear in a request-target (RFC 9112 §3.2).
const BAD_PATH_CHARS = /[\u0000-\u0020\u007f]/;

function pathError(match: RouteMatch, path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (BAD_PATH_CHARS.test(path)) return 'must not contain spaces or control characters';
  if (path.includes('?')) return 'must not contain a query string (\'?\'): routes match the path only';
  if (match === 'filter') {
    const filter = routeFilterOf(path);
    if (filter === '') return "a filter must not be empty; '#' matches every non-empty path";
    return validateTopicFilter(filter);
  }
  if (!path.startsWith('/')) return `must start with '/' (got ${JSON.stringify(path)})`;
  if (path.includes('#')) return "must not contain '#' (use a filter route for wildcards)";
  return undefined;
}

/** The key two routes collide on: the same match kind taking the same paths. */
function routeKey(match: RouteMatch, path: string): string {
  if (match === 'prefix') return `prefix ${normalizePrefix(path)}`;
  if (match === 'filter') return `filter ${routeFilterOf(path)}`;
  return `exact ${path}`;
}

/**
 * Checks a route list from the UI or a saved profile. `match` defaults to 'exact';
 * `maxConnections`, when given, caps the route (a 503 beyond it). Every error names its field, e.g.
 * "routes[2].path: '#' must be the last level (in 'a/#/b')" or
 * "routes[0].options.intervalMs: must be an integer from 10 to 86400000 (got 5)".
 */
export function validateRoutes(input: unknown, path = 'routes'): OptionsResult<RouteEntry[]> {
  const errors: string[] = [];
  if (!Array.isArray(input)) return { ok: false, errors: [`${path}: must be a list of routes`] };
  const routes: RouteEntry[] = [];
  const seen = new Map<string, number>();
  input.forEach((raw, i) => {
    const at = `${path}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push(`${at}: must be an object with match, path, app and options`);
      return;
    }
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!ROUTE_FIELDS.includes(key)) errors.push(`${at}.${key}: unknown field; expected ${ROUTE_FIELDS.join(', ')}`);
    }
    let ok = true;
    const match = r.match ?? 'exact';
    if (typeof match !== 'string' || !(ROUTE_MATCHES as readonly string[]).includes(match)) {
      errors.push(`${at}.match: must be one of ${ROUTE_MATCHES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(match ?? null)})`);
      ok = false;
    }
    const p = r.path;
    if (typeof p !== 'string') {
      errors.push(`${at}.path: must be a string (got ${JSON.stringify(p ?? null)})`);
      ok = false;
    } else if (ok) {
      const bad = pathError(match as RouteMatch, p);
      if (bad) {
        errors.push(`${at}.path: ${bad}`);
        ok = false;
      } else {
        const key = routeKey(match as RouteMatch, p);
        const first = seen.get(key);
        if (first !== undefined) {
          errors.push(`${at}.path: duplicate of ${path}[${first}] (${match} ${JSON.stringify(p)}); one of them would never be used`);
          ok = false;
        } else {
          seen.set(key, i);
        }
      }
    }
    const cap = r.maxConnections;
    if (cap !== undefined && (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 1 || cap > MAX_CONNECTION_CAP)) {
      errors.push(`${at}.maxConnections: must be a whole number from 1 to ${MAX_CONNECTION_CAP} (got ${JSON.stringify(cap)})`);
      ok = false;
    }
    const app = r.app;
    if (!isAppName(app)) {
      errors.push(`${at}.app: must be one of ${APP_NAMES.map((a) => `'${a}'`).join(', ')} (got ${JSON.stringify(app ?? null)})`);
      return;
    }
    const options = validateAppOptions(app, r.options, `${at}.options`);
    if (!options.ok) {
      errors.push(...options.errors);
      return;
    }
    if (ok) {
      const entry = { match: match as RouteMatch, path: p as string, app, options: options.value } as RouteEntry;
      if (cap !== undefined) entry.maxConnections = cap as number;
      routes.push(entry);
    }
  });
  return errors.length ? { ok: false, errors } : { ok: true, value: routes };
}
