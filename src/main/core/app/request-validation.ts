/**
 * Requests arrive from the renderer, which main does not trust: each is
 * checked here and a bad one gets an error naming the field.
 */
import type { ConnectRequest, StartServerRequest } from '../../../shared/contract';
import type { AppName } from '../../../shared/records';
import { fail, ok, type Result } from '../../../shared/result';

const APP_NAMES: readonly AppName[] = ['echo', 'chat', 'pubsub', 'log-view', 'periodic', 'script'];

export function validateStartServerRequest(
  input: StartServerRequest,
): Result<{ host: string; port: number; routes: Array<{ path: string; app: AppName }> }> {
  const host = input.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') return fail('host: must be a host name or address');
  const port = input.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return fail(`port: must be a whole number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(port)}`);
  }
  if (!Array.isArray(input.routes) || input.routes.length === 0) return fail('routes: at least one route is needed');
  const routes: Array<{ path: string; app: AppName }> = [];
  for (const [i, route] of input.routes.entries()) {
    if (typeof route?.path !== 'string' || !route.path.startsWith('/')) {
      return fail(`routes[${i}].path: must start with '/', not ${JSON.stringify(route?.path)}`);
    }
    if (!APP_NAMES.includes(route.app)) {
      return fail(`routes[${i}].app: must be one of ${APP_NAMES.join(', ')}, not ${JSON.stringify(route.app)}`);
    }
    routes.push({ path: route.path, app: route.app });
  }
  return ok({ host, port, routes });
}

export function validateConnectRequest(input: ConnectRequest): Result<ConnectRequest> {
  if (typeof input.url !== 'string' || input.url.trim() === '') return fail('url: enter a ws:// or wss:// URL');
  if (input.subprotocols !== undefined) {
    if (!Array.isArray(input.subprotocols) || input.subprotocols.some((p) => typeof p !== 'string' || p === '')) {
      return fail('subprotocols: must be a list of non-empty names');
    }
  }
  return ok({ url: input.url.trim(), subprotocols: input.subprotocols });
}
