/**
 * framescope connect URL [options] — a WebSocket client for scripts and terminals.
 *
 * stdout is NDJSON only: first the handshake
 *   {"type":"handshake","request":{"method","url","headers"},"response":{"status","headers"},"checks":[…]}
 * then every frame, message and violation on the wire in both directions, as the
 * records of `framescope decode` (protocol/records.ts). A failed handshake or connection
 * prints {"type":"error","message",…} — with the status, headers and body of a refused
 * handshake — and exits 1. Human notes (proxy, redirects, the ping's round trip) go to
 * stderr.
 *
 * Secrets (Authorization, Cookie, API-key headers, URL credentials; shared/secrets.ts) are
 * written as "<redacted>" on stdout and in --record unless --include-secrets is given;
 * --secret-header NAME marks more headers secret.
 *
 * Order of work: connect; send each --send / --send-hex in the order given; --ping;
 * then each line of stdin as a text message (stdin is read when it is not a terminal,
 * or when nothing else was given to send); after stdin ends, wait --wait ms; close with
 * --close (default 1000) and wait for the server's Close.
 * Exit status: 0 after an orderly close, 1 if the connection failed or ended abnormally,
 * 2 for a usage error.
 */
import { stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { secretsRedactor, type Redactor } from '../shared/secrets';
import type { HandshakeView } from '../shared/contract/client';
import type { ConnectionInfo, FlowDirection } from '../shared/records';
import { buildHar, serializeHar, type HarMessage } from '../main/core/capture/har';
import { CaptureStore } from '../main/core/capture/capture-store';
import { ClientSession, CLOSE_WAIT_MS } from '../main/core/client/client-session';
import type { OutgoingMessage } from '../main/core/client/outgoing';
import { parseHex } from '../main/core/client/payload-input';
import { writeFileAtomic } from '../main/core/client/persistence';
import { parseCloseArgument, prepareConnection } from '../main/core/client/prepare';
import type { DecodeEvent } from '../main/core/protocol/decoder';
import { toRecord } from '../main/core/protocol/records';
import type { CliIo } from './main';

const USAGE = `Usage: framescope connect URL [-H 'Name: value']… [--subprotocol P]… [--insecure]
         [--ca FILE] [--cert FILE --key FILE] [--proxy URL] [--send TEXT]… [--send-hex HEX]…
         [--ping [PAYLOAD]] [--close CODE[:REASON]] [--wait MS] [--record FILE.har]
         [--secret-header NAME]… [--include-secrets]

Prints the handshake and every frame as NDJSON on stdout; lines on stdin are sent as text messages.
--wait MS keeps the connection open MS milliseconds after the last message, for the answers
(default 0: close at once; a server may then drop answers still in flight).
Authorization, Cookie, Set-Cookie, API-key headers and URL credentials are written as
"<redacted>" (on stdout and in --record); --secret-header NAME hides more headers,
--include-secrets writes them all as they are.
`;

/** The capture store only feeds the decoders here; a small budget is plenty. */
const CLI_CAPTURE_BUDGET = 16 * 1024 * 1024;

interface Parsed {
  url: string;
  headers: Array<[string, string]>;
  subprotocols: string[];
  insecure: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  proxy?: string;
  sends: OutgoingMessage[];
  ping?: string;
  close: { code: number; reason: string };
  waitMs: number;
  record?: string;
  secrets: Redactor;
}

/**
 * `--ping` takes an optional payload, which parseArgs cannot express: a bare `--ping`
 * (followed by nothing, an option, or the URL) becomes `--ping=`. `--ping=TEXT` is
 * always explicit.
 */
function normalizePing(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--ping') {
      out.push(argv[i]);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('-') || /^(wss?|https?):\/\//i.test(next)) out.push('--ping=');
    else {
      out.push(`--ping=${next}`);
      i++;
    }
  }
  return out;
}

function parse(argv: string[]): { ok: true; value: Parsed } | { ok: false; error: string } | { ok: 'help' } {
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizePing(argv),
      allowPositionals: true,
      tokens: true,
      options: {
        header: { type: 'string', short: 'H', multiple: true },
        subprotocol: { type: 'string', multiple: true },
        insecure: { type: 'boolean' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        proxy: { type: 'string' },
        send: { type: 'string', multiple: true },
        'send-hex': { type: 'string', multiple: true },
        ping: { type: 'string' },
        close: { type: 'string' },
        wait: { type: 'string' },
        record: { type: 'string' },
        'secret-header': { type: 'string', multiple: true },
        'include-secrets': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { ok: 'help' };
  if (positionals.length !== 1) return { ok: false, error: positionals.length === 0 ? 'give the URL to connect to' : `one URL, not ${positionals.length}: ${positionals.join(' ')}` };
  const headers: Array<[string, string]> = [];
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) return { ok: false, error: `-H '${h}': write a header as 'Name: value'` };
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  // Sends go out in the order they were given, text and hex interleaved.
  const sends: OutgoingMessage[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (token.name === 'send') sends.push({ bytes: new TextEncoder().encode(token.value), binary: false, warnings: [] });
    if (token.name === 'send-hex') {
      const bytes = parseHex(token.value);
      if (!bytes.ok) return { ok: false, error: `--send-hex '${token.value}': ${bytes.error}` };
      sends.push({ bytes: bytes.value, binary: true, warnings: [] });
    }
  }
  let close = { code: 1000, reason: '' };
  if (values.close !== undefined) {
    const c = parseCloseArgument(values.close);
    if (!c.ok) return { ok: false, error: c.error };
    close = { code: c.code, reason: c.reason };
  }
  let waitMs = 0;
  if (values.wait !== undefined) {
    waitMs = Number(values.wait);
    if (!/^\d+$/.test(values.wait) || !Number.isSafeInteger(waitMs)) return { ok: false, error: `--wait: '${values.wait}' is not a whole number of milliseconds` };
  }
  if ((values.cert === undefined) !== (values.key === undefined)) return { ok: false, error: '--cert and --key go together (a client certificate needs its private key)' };
  const secrets = secretsRedactor({ includeSecrets: values['include-secrets'] === true, secretHeaders: values['secret-header'] });
  if (!secrets.ok) return { ok: false, error: secrets.error.replace(/^secretHeaders/, '--secret-header') };
  return {
    ok: true,
    value: {
      url: positionals[0],
      headers,
      subprotocols: values.subprotocol ?? [],
      insecure: values.insecure === true,
      ca: values.ca,
      cert: values.cert,
      key: values.key,
      proxy: values.proxy,
      sends,
      ping: values.ping,
      close,
      waitMs,
      record: values.record,
      secrets: secrets.value,
    },
  };
}

function handshakeRecord(view: HandshakeView, secrets: Redactor): Record<string, unknown> {
  const record: Record<string, unknown> = {
    type: 'handshake',
    request: view.request ? { method: view.request.method, url: secrets.url(view.request.url), headers: secrets.headers(view.request.headers) } : null,
    response: view.response ? { status: view.response.status, headers: secrets.headers(view.response.headers) } : null,
    // A check's detail may quote the request target, query included.
    checks: view.checks.map((check) => ({ ...check, detail: secrets.url(check.detail) })),
  };
  if (view.subprotocol !== undefined) record.subprotocol = view.subprotocol;
  if (view.extensions !== undefined) record.extensions = view.extensions;
  if (view.hops.length > 1) record.hops = view.hops.map((hop) => ({ ...hop, url: secrets.url(hop.url) }));
  return record;
}

function errorRecord(message: string, secrets: Redactor, view?: HandshakeView): Record<string, unknown> {
  const record: Record<string, unknown> = { type: 'error', message: secrets.text(message) };
  const r = view?.response;
  if (r && r.status !== 101) {
    record.status = r.status;
    record.statusText = r.statusText;
    record.headers = secrets.headers(r.headers);
    record.body = r.body ?? '';
  }
  return record;
}

export async function runConnect(argv: string[], io: CliIo): Promise<number> {
  const parsed = parse(argv);
  if (parsed.ok === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!parsed.ok) {
    io.stderr.write(`framescope connect: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const args = parsed.value;
  const emit = (record: unknown): void => {
    io.stdout.write(`${JSON.stringify(record)}\n`);
  };
  // Notes name URLs; their credentials (an access_token in the query) stay out of them too.
  const note = (text: string): void => {
    io.stderr.write(`framescope: ${args.secrets.text(text)}\n`);
  };

  const prepared = await prepareConnection({
    url: args.url,
    headers: args.headers,
    subprotocols: args.subprotocols,
    tls: { verify: !args.insecure, caFile: args.ca, certFile: args.cert, keyFile: args.key },
    proxy: args.proxy ?? 'env',
  });
  if (!prepared.ok) {
    emit(errorRecord(prepared.error, args.secrets));
    return 2;
  }
  for (const warning of prepared.value.warnings) note(warning);

  // Frames can arrive in the same packet as the 101, before the handshake is printed.
  let queue: unknown[] | null = [];
  const messages: HarMessage[] = [];
  const onEvent = (event: DecodeEvent, direction: FlowDirection): void => {
    const record = toRecord(event);
    if (queue) queue.push(record);
    else emit(record);
    if (args.record === undefined) return;
    const time = Date.now() / 1000;
    const type = direction === 'out' ? 'send' : 'receive';
    if (event.type === 'message') messages.push({ type, time, opcode: event.opcode, data: event.text ?? event.data });
    else if (event.type === 'violation') messages.push({ type: 'error', time, opcode: -1, data: event.message });
  };
  let settleClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (settleClosed = resolve));
  let last: ConnectionInfo | undefined;
  const session = new ClientSession('cli', prepared.value, {
    store: new CaptureStore(CLI_CAPTURE_BUDGET),
    publish: (info) => {
      last = info;
      if (info.state === 'closed' || info.state === 'failed') settleClosed();
    },
    log: (_level, message) => note(message),
    env: process.env,
    onEvent,
  });

  const startedAt = Date.now();
  const writeHar = async (): Promise<void> => {
    if (args.record === undefined) return;
    const view = session.handshakeView();
    const t = view.timings;
    const har = buildHar(
      [
        {
          url: prepared.value.url,
          startedAt,
          request: { method: view.request?.method, httpVersion: view.request?.httpVersion, headers: view.request?.headers ?? prepared.value.headers },
          response: view.response
            ? {
                status: view.response.status,
                statusText: view.response.statusText,
                httpVersion: view.response.httpVersion,
                headers: view.response.headers,
                body: view.response.body !== undefined ? { text: view.response.body, mimeType: view.response.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? 'text/plain' } : undefined,
              }
            : null,
          // HAR 1.2: ssl is part of connect; wait is the upgrade's answer time.
          timings: { dns: t.dnsMs ?? -1, connect: t.connectMs === undefined ? -1 : t.connectMs + (t.tlsMs ?? 0), ssl: t.tlsMs ?? -1, send: 0, wait: t.upgradeMs ?? 0, receive: 0 },
          error: view.error,
          messages,
        },
      ],
      { creator: { name: 'Framescope', version: 'cli' }, secrets: args.secrets },
    );
    try {
      await writeRecord(args.record, serializeHar(har));
    } catch (error) {
      note(`cannot write ${args.record}: ${(error as Error).message}`);
    }
  };

  const info = await session.connect();
  if (info.state !== 'open') {
    queue = null;
    emit(errorRecord(info.error ?? `could not connect to ${prepared.value.url}`, args.secrets, session.handshakeView()));
    await writeHar();
    return 1;
  }
  emit(handshakeRecord(session.handshakeView(), args.secrets));
  for (const record of queue) emit(record);
  queue = null;

  let failed = false;
  const isOpen = (): boolean => last?.state === 'open';
  try {
    for (const message of args.sends) {
      if (!isOpen()) break;
      session.sendMessage(message);
    }
    if (args.ping !== undefined && isOpen()) {
      try {
        const rtt = await session.ping(new TextEncoder().encode(args.ping));
        note(`pong after ${rtt.toFixed(3)} ms`);
      } catch (error) {
        failed = true;
        emit(errorRecord(`ping: ${(error as Error).message}`, args.secrets));
      }
    }
    const readStdin = !(io.stdin as { isTTY?: boolean }).isTTY || (args.sends.length === 0 && args.ping === undefined);
    if (readStdin && isOpen()) await sendStdinLines(io.stdin, session, closed, isOpen);
    if (isOpen() && args.waitMs > 0) await Promise.race([closed, delay(args.waitMs)]);
  } catch (error) {
    failed = true;
    emit(errorRecord((error as Error).message, args.secrets));
  }
  if (isOpen()) {
    const r = session.close({ code: args.close.code, reason: args.close.reason, allowInvalid: true });
    if (!r.ok) emit(errorRecord(r.error, args.secrets));
  }
  await Promise.race([closed, delay(CLOSE_WAIT_MS + 500)]);
  await writeHar();
  if (last?.state === 'failed') {
    emit(errorRecord(last.error ?? 'the connection failed', args.secrets));
    return 1;
  }
  return failed ? 1 : 0;
}

/**
 * --record's file is private (0600), like the app's exports: written beside the target and
 * renamed over it, so a file that was there goes with its mode and anyone holding it open.
 * A device or a pipe (/dev/stderr) is written into as it is.
 */
async function writeRecord(path: string, text: string): Promise<void> {
  const existing = await stat(path).catch(() => null);
  if (existing !== null && !existing.isFile()) await writeFile(path, text);
  else await writeFileAtomic(path, text, 0o600);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

/** Sends each line of stdin as a text message until stdin ends or the connection closes. */
async function sendStdinLines(stdin: NodeJS.ReadableStream, session: ClientSession, closed: Promise<void>, isOpen: () => boolean): Promise<void> {
  const lines = createInterface({ input: stdin, terminal: false, crlfDelay: Infinity });
  const done = new Promise<void>((resolve) => lines.once('close', resolve));
  lines.on('line', (line) => {
    if (isOpen()) session.sendText(line);
  });
  const ended = await Promise.race([done.then(() => true), closed.then(() => false)]);
  lines.close();
  // The connection ended first: nothing more will be sent, and a stdin still open
  // (a pipe from a long-running producer) must not keep the process alive.
  if (!ended) (stdin as { destroy?: () => void }).destroy?.();
}
