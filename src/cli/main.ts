/**
 * framescope — the command line. Each subcommand lives in its own module and
 * returns an exit code; this file only dispatches.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const HELP = `framescope — a WebSocket test console

Usage:
  framescope web [--host H] [--port P]    serve the app to a browser; prints the URL (with its token) first
  framescope decode [--from client|server] [--deflate "permessage-deflate; …"] FILE|-
                                          decode a raw one-direction frame stream to NDJSON
  framescope connect URL [-H 'Name: value']… [--send TEXT]… [--close CODE[:REASON]] …  (all options: connect --help)
                                          connect as a client: the handshake and every frame as NDJSON; stdin's lines are sent
  framescope serve --port P [--host H] [--tls] [--route PATH=APP]… [--max-connections N] [--config FILE]
                                          run the embedded server headless; events as NDJSON; Ctrl+C closes clients with 1001
  framescope --help                       this text
  framescope --version                    the version

The desktop app starts with \`npm start\` from a checkout.
`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout.write(HELP);
      return 0;
    case '--version':
    case '-v':
      io.stdout.write(`${version()}\n`);
      return 0;
    // Subcommands load lazily: `decode` should not pay for the web host.
    case 'web':
      return (await import('./web')).runWeb(rest, io);
    case 'decode':
      return (await import('./decode')).runDecode(rest, io);
    case 'serve':
      return (await import('./serve')).runServe(rest, io);
    case 'connect':
      return (await import('./connect')).runConnect(rest, io);
    default:
      io.stderr.write(`framescope: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}
