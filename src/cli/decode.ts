/**
 * framescope decode [--from client|server] [--deflate "permessage-deflate; …"]
 *                   [--max-payload BYTES] FILE|-
 *
 * Reads the raw bytes one side sent after the opening handshake and prints
 * one NDJSON record per frame, message and violation. The input is streamed:
 * memory use follows the largest frame, not the file.
 *
 * Exit codes: 0 when the stream was decoded, violations included (they are
 * findings about the input and are printed as records, like any other; a
 * truncated or malformed capture is exactly what one decodes to inspect);
 * 1 when the input cannot be read; 2 for bad arguments.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Direction } from '../main/core/protocol/constants';
import { DEFAULT_MAX_PAYLOAD, FrameDecoder, type DecodeEvent } from '../main/core/protocol/decoder';
import { parsePermessageDeflate } from '../main/core/protocol/extensions';
import type { PermessageDeflateParams } from '../main/core/protocol/permessage-deflate-params';
import { toRecord } from '../main/core/protocol/records';

export interface DecodeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

const USAGE = `Usage: framescope decode [--from client|server] [--deflate "permessage-deflate; …"] [--max-payload BYTES] FILE|-

Decodes the raw frames one side of a WebSocket connection sent (the bytes
after the handshake) and prints one JSON line per frame, message and
protocol violation. FILE "-" reads standard input.

  --from client|server  who sent the bytes (client frames are masked); by
                        default guessed from the first frame's MASK bit
  --deflate VALUE       the negotiated Sec-WebSocket-Extensions value for
                        permessage-deflate, to inflate compressed messages
  --max-payload BYTES   largest message accepted (default ${DEFAULT_MAX_PAYLOAD})
  -h, --help            this text
`;

interface DecodeArgs {
  from: Direction | null;
  deflate: PermessageDeflateParams | null;
  maxPayload: number;
  input: string;
}

function parse(argv: string[]): { ok: true; value: DecodeArgs } | { ok: false; error: string } | { ok: 'help' } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        from: { type: 'string' },
        deflate: { type: 'string' },
        'max-payload': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: 'help' };
  if (values.from !== undefined && values.from !== 'client' && values.from !== 'server') {
    return { ok: false, error: `--from must be "client" or "server", got "${values.from}"` };
  }
  let deflate: PermessageDeflateParams | null = null;
  if (values.deflate !== undefined) {
    const p = parsePermessageDeflate(values.deflate);
    if (!p.ok) return { ok: false, error: `--deflate: ${p.error}` };
    deflate = p.value;
  }
  let maxPayload = DEFAULT_MAX_PAYLOAD;
  if (values['max-payload'] !== undefined) {
    const v = values['max-payload'];
    if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) return { ok: false, error: `--max-payload must be a whole number of bytes, got "${v}"` };
    maxPayload = Number(v);
  }
  if (positionals.length !== 1) {
    return { ok: false, error: positionals.length === 0 ? 'missing FILE (use "-" for standard input)' : `expected one FILE, got ${positionals.length}` };
  }
  return { ok: true, value: { from: values.from ?? null, deflate, maxPayload, input: positionals[0] } };
}

export async function runDecode(argv: string[], io: DecodeIo): Promise<number> {
  const args = parse(argv);
  if (args.ok === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!args.ok) {
    io.stderr.write(`framescope decode: ${args.error}\n\n${USAGE}`);
    return 2;
  }
  const { from, deflate, maxPayload, input } = args.value;
  const source: NodeJS.ReadableStream = input === '-' ? io.stdin : createReadStream(input);
  const name = input === '-' ? 'standard input' : input;

  let decoder: FrameDecoder | null = null;
  const makeDecoder = (direction: Direction): FrameDecoder => new FrameDecoder({ from: direction, deflate, maxPayload });
  if (from !== null) decoder = makeDecoder(from);
  // Until the sender is known (no --from), the first byte waits here.
  let head: Uint8Array = new Uint8Array(0);

  try {
    for await (const data of source) {
      let chunk = typeof data === 'string' ? Buffer.from(data) : (data as Uint8Array);
      if (chunk.length === 0) continue;
      if (decoder === null) {
        chunk = Buffer.concat([head, chunk]);
        if (chunk.length < 2) {
          head = chunk;
          continue;
        }
        decoder = makeDecoder(guessSender(chunk, io.stderr));
      }
      await emit(decoder.push(chunk), io.stdout);
      // After a fatal violation a real endpoint stops reading; so do we.
      if (decoder.halted) break;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.stderr.write(`framescope decode: cannot read ${name}: ${e.code ? `${e.code}: ` : ''}${describe(e)}\n`);
    return 1;
  } finally {
    if (source !== io.stdin) (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
  if (decoder === null && head.length > 0) {
    // A 1-byte stream is too short to tell who sent it, and truncated either way.
    decoder = makeDecoder('client');
    await emit(decoder.push(head), io.stdout);
  }
  if (decoder !== null) await emit(decoder.end(), io.stdout);
  return 0;
}

/**
 * RFC 6455 §5.1: clients mask every frame and servers none, so the first
 * frame's MASK bit names the sender.
 */
function guessSender(firstBytes: Uint8Array, stderr: NodeJS.WritableStream): Direction {
  const guessed: Direction = (firstBytes[1] & 0x80) !== 0 ? 'client' : 'server';
  stderr.write(`framescope decode: --from not given; the first frame is ${guessed === 'client' ? 'masked' : 'not masked'}, decoding as ${guessed}\n`);
  return guessed;
}

function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return e.message;
  }
}

/** Writes one JSON line per event, honouring back-pressure. */
async function emit(events: DecodeEvent[], out: NodeJS.WritableStream): Promise<void> {
  if (events.length === 0) return;
  let text = '';
  for (const e of events) text += JSON.stringify(toRecord(e)) + '\n';
  if (!out.write(text)) await once(out, 'drain');
}
