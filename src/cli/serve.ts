/**
 * framescope serve: the embedded server without a window. Every event (listening, handshakes,
 * refusals, frames, violations, closes, log lines) is one JSON object per line on stdout;
 * SIGINT or SIGTERM closes every client with 1001 ("going away", RFC 6455 §7.4.1) and exits 0.
 * A bad command line or config file gets a message naming the field and exit code 2.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CaptureStore } from '../main/core/capture/capture-store';
import { APP_NAMES } from '../main/core/server/apps/index';
import { validateServerConfig } from '../main/core/server/config';
import { EmbeddedServer, type ServerEvent } from '../main/core/server/embedded-server';
import { fail, ok, type Result } from '../shared/result';
import type { CliIo } from './main';

export const SERVE_HELP = `framescope serve — the embedded WebSocket server, headless

Usage:
  framescope serve --port P [--host H] [--tls] [--route PATH=APP]… [--max-connections N] [--config FILE]

  --port P               0 picks a free port (the "listening" event says which)
  --host H               default 127.0.0.1; a wider address lets other machines connect
  --tls                  wss:// with a self-signed certificate for localhost
  --route PATH=APP       APP is one of ${APP_NAMES.join(', ')}; repeatable.
                         PATH is matched exactly, or as a topic filter when it contains + or #;
                         write prefix:PATH=APP or filter:PATH=APP to say so. Replaces the config's routes.
  --max-connections N    cap on open connections; beyond it upgrades get 503 with Retry-After
  --config FILE          JSON with host, port, tls, routes (with app options) and policy, as the
                         console's startServer takes; relative paths in it are relative to FILE.
                         Command-line options override it.

Output: one JSON object per line on stdout, the first one {"type":"listening","url":…,"port":…},
then open, refused, frame, violation, close, log and finally stopped. Ctrl+C closes every client with 1001 and exits 0. Bad options: exit 2.
`;

export interface ServeIo extends CliIo {
  /** Stops the server like SIGINT does (for running it inside another program or a test). */
  signal?: AbortSignal;
}

/** Capture kept in memory while serving headless: frames are printed, so a small window suffices. */
const HEADLESS_CAPTURE_BYTES = 32 * 1024 * 1024;

type Json = Record<string, unknown>;

function parseRoute(spec: string): { ok: true; value: Json } | { ok: false; error: string } {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0 || eq === spec.length - 1) return { ok: false, error: `--route ${JSON.stringify(spec)}: expected PATH=APP, e.g. /echo=echo` };
  let path = spec.slice(0, eq);
  const app = spec.slice(eq + 1);
  let match: string;
  const explicit = /^(exact|prefix|filter):(.*)$/.exec(path);
  if (explicit) {
    match = explicit[1];
    path = explicit[2];
  } else {
    match = /[+#]/.test(path) ? 'filter' : 'exact';
  }
  return { ok: true, value: { match, path, app } };
}

/** Relative file paths in a config file are relative to the file, not to the working directory. */
function resolvePaths(config: Json, base: string): void {
  const abs = (p: unknown) => (typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(base, p) : p);
  const tls = config.tls as Json | undefined;
  if (tls && typeof tls === 'object') for (const k of ['certFile', 'keyFile', 'caFile']) if (k in tls) tls[k] = abs(tls[k]);
  if (Array.isArray(config.routes)) {
    for (const route of config.routes as Json[]) {
      const options = route?.options as Json | undefined;
      if (!options || typeof options !== 'object') continue;
      if ('file' in options) options.file = abs(options.file);
      if (Array.isArray(options.files)) options.files = options.files.map(abs);
    }
  }
}

/** A --config file's text as the request object (paths resolved against the file), or why not. */
export function readConfigText(text: string, file: string): Result<Json> {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    return fail(`--config ${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return fail(`--config ${file}: must hold a JSON object with port and routes`);
  resolvePaths(config as Json, dirname(file));
  return ok(config as Json);
}

export async function runServe(argv: string[], io: ServeIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`framescope serve: ${message}\n(see framescope serve --help)\n`);
    return 2;
  };
  let values: { port?: string; host?: string; tls?: boolean; route?: string[]; 'max-connections'?: string; config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        tls: { type: 'boolean' },
        route: { type: 'string', multiple: true },
        'max-connections': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }

  let request: Json = {};
  if (values.config !== undefined) {
    const file = resolve(values.config);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return usage(`--config: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const config = readConfigText(text, file);
    if (!config.ok) return usage(config.error);
    request = config.value;
  }

  // Which fields came from the command line, so errors can name the flag instead.
  const fromFlag = new Map<string, string>();
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (values.port.trim() === '' || !Number.isInteger(port)) return usage(`--port: must be a whole number from 0 to 65535 (got ${JSON.stringify(values.port)})`);
    request.port = port;
    fromFlag.set('port', '--port');
  } else if (request.port === undefined) {
    return usage('--port: required (0 picks a free port)');
  }
  if (values.host !== undefined) {
    request.host = values.host;
    fromFlag.set('host', '--host');
  }
  if (values.tls && !request.tls) request.tls = { mode: 'self-signed' };
  if (values.route?.length) {
    const routes: Json[] = [];
    for (const [i, spec] of values.route.entries()) {
      const parsed = parseRoute(spec);
      if (!parsed.ok) return usage(parsed.error);
      routes.push(parsed.value);
      fromFlag.set(`routes[${i}]`, `--route ${JSON.stringify(spec)}`);
    }
    request.routes = routes;
  }
  if (values['max-connections'] !== undefined) {
    const n = Number(values['max-connections']);
    if (values['max-connections'].trim() === '' || !Number.isInteger(n)) return usage(`--max-connections: must be a whole number (got ${JSON.stringify(values['max-connections'])})`);
    const policy = (typeof request.policy === 'object' && request.policy !== null ? request.policy : {}) as Json;
    request.policy = { ...policy, maxConnections: n };
    fromFlag.set('policy.maxConnections', '--max-connections');
  }
  if (request.routes === undefined) return usage('--route: at least one route is needed, e.g. --route /echo=echo');

  const checked = validateServerConfig(request);
  if (!checked.ok) {
    const renamed = checked.errors.map((e) => {
      for (const [field, flag] of fromFlag) if (e.startsWith(`${field}:`) || e.startsWith(`${field}.`)) return `${flag}${e.slice(field.length)}`;
      return values.config !== undefined ? `${values.config}: ${e}` : e;
    });
    io.stderr.write(renamed.map((e) => `framescope serve: ${e}\n`).join(''));
    return 2;
  }

  // The first line is always the 'listening' event (with the URL and the port picked); what
  // happened while starting (a script loading, files opened) follows it.
  let early: ServerEvent[] | null = [];
  const write = (event: ServerEvent) => {
    if (early !== null && event.type !== 'listening') {
      early.push(event);
      return;
    }
    io.stdout.write(`${JSON.stringify(event)}\n`);
    if (early !== null) {
      const queued = early;
      early = null;
      for (const e of queued) io.stdout.write(`${JSON.stringify(e)}\n`);
    }
  };
  const server = new EmbeddedServer('s1', checked.value, {
    store: new CaptureStore(HEADLESS_CAPTURE_BYTES),
    publishServer: () => {},
    publishConnection: () => {},
    // Log lines reach stdout as 'log' events; nothing else to do with them here.
    log: () => {},
    onEvent: write,
  });
  let info;
  try {
    info = await server.start();
  } catch (error) {
    const message = (error as Error).message;
    for (const e of early ?? []) io.stdout.write(`${JSON.stringify(e)}\n`);
    io.stderr.write(`framescope serve: ${message}\n`);
    // A file named in the config that cannot be used is a bad config; a busy port is not.
    return /: (tls\.|routes\[)/.test(message) ? 2 : 1;
  }
  io.stderr.write(`framescope serve: listening on ${info.url}; Ctrl+C stops it\n`);
  if (info.warning) io.stderr.write(`warning: ${info.warning}\n`);

  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  await server.stop();
  return 0;
}
