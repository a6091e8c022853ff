/**
 * framescope serve: the same server headless, events as NDJSON on stdout, 1001 for every client
 * on SIGINT and exit 0; a bad command line or config names the field and exits 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runServe } from '../../src/cli/serve';
import type { ServerEvent } from '../../src/main/core/server/embedded-server';
import { eventually } from './app-fakes';
import { rawRequest, upgradeRequest } from './raw-client';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fs-serve-'));

function io(signal?: AbortSignal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return {
    io: { stdout, stderr, stdin: new PassThrough(), signal },
    events: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ServerEvent),
    stderr: () => err,
  };
}

async function run(argv: string[]) {
  const t = io();
  const code = await runServe(argv, t.io);
  return { code, stderr: t.stderr() };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('framescope serve', () => {
  it('serves, writes every event as NDJSON, refuses beyond --max-connections, and closes clients with 1001 when stopped', async () => {
    const stop = new AbortController();
    const t = io(stop.signal);
    const exit = runServe(['--port', '0', '--route', '/echo=echo', '--route', 'room/+=chat', '--max-connections', '1'], t.io);
    const listening = await eventually(() => t.events().find((e): e is Extract<ServerEvent, { type: 'listening' }> => e.type === 'listening'));
    expect(listening.routes).toEqual([
      { match: 'exact', path: '/echo', app: 'echo' },
      { match: 'filter', path: 'room/+', app: 'chat' },
    ]);
    const ws = await open(`${listening.url}/echo`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const echoed = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send('over the wire');
    expect(await echoed).toBe('over the wire');
    expect((await rawRequest(listening.port, upgradeRequest('/room/1', listening.port))).status).toBe(503);

    stop.abort();
    expect(await exit).toBe(0);
    expect(await closed).toBe(1001);
    const events = t.events();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['listening', 'open', 'frame', 'refused', 'close', 'stopped']));
    const frames = events.filter((e): e is Extract<ServerEvent, { type: 'frame' }> => e.type === 'frame');
    expect(frames.slice(0, 2)).toMatchObject([
      { direction: 'in', opcode: 1, fin: true, masked: true, text: 'over the wire' },
      { direction: 'out', opcode: 1, fin: true, masked: false, text: 'over the wire' },
    ]);
    expect(frames.find((f) => f.opcode === 8 && f.direction === 'out')).toMatchObject({ closeCode: 1001, closeReason: 'server stopping' });
    expect(events.find((e) => e.type === 'refused')).toMatchObject({ status: 503, method: 'GET', target: '/room/1' });
    expect(events.at(-1)?.type).toBe('stopped');
    expect(t.stderr()).toMatch(/^framescope serve: listening on ws:\/\/127\.0\.0\.1:\d+; Ctrl\+C stops it\n$/);
  });

  it('exits 2 with a message naming the flag or the config field', async () => {
    expect(await run(['--port', 'abc', '--route', '/e=echo'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--port: must be a whole number from 0 to 65535 (got "abc")') });
    expect(await run(['--route', '/e=echo'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--port: required (0 picks a free port)') });
    expect(await run(['--port', '0', '--route', 'nonsense'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--route "nonsense": expected PATH=APP, e.g. /echo=echo') });
    expect(await run(['--port', '0', '--route', '/e=telnet'])).toMatchObject({
      code: 2,
      stderr: "framescope serve: --route \"/e=telnet\".app: must be one of 'echo', 'chat', 'pubsub', 'log-view', 'periodic', 'script' (got \"telnet\")\n",
    });
    expect(await run(['--port', '0', '--route', '/e=echo', '--max-connections', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--max-connections: must be a whole number from 1 to 1000000 (got 0)') });
    expect(await run(['--port', '0', '--colour'])).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--colour'") });

    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ port: 0, routes: [{ path: '/logs', app: 'log-view', options: { files: [] } }], policy: { heartbeatMs: -1 } }));
    const bad = await run(['--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `framescope serve: ${config}: policy.heartbeatMs: must be a whole number from 10 to 86400000, or 0 for off (got -1)\n` +
        `framescope serve: ${config}: routes[0].options.files: must name at least one file\n`,
    );
    writeFileSync(config, '{"port": 0,');
    expect(await run(['--config', config])).toMatchObject({ code: 2, stderr: expect.stringContaining(`--config ${config}: not valid JSON: `) });
    expect(await run(['--config', join(dir, 'missing.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    const tls = join(dir, 'tls.json');
    writeFileSync(tls, JSON.stringify({ port: 0, tls: { mode: 'files', certFile: 'nope.pem', keyFile: 'nope.key' }, routes: [{ path: '/e', app: 'echo' }] }));
    expect(await run(['--config', tls])).toMatchObject({ code: 2, stderr: `framescope serve: Cannot start the server: tls.certFile: cannot read ${join(dir, 'nope.pem')}: no such file\n` });
    const help = io();
    expect(await runServe(['--help'], help.io)).toBe(0);
  });

  it('reads a config file, relative paths relative to it, with --tls and flags overriding it', async () => {
    const config = join(dir, 'serve.json');
    writeFileSync(join(dir, 'server.log'), '');
    writeFileSync(config, JSON.stringify({ port: 1, host: '127.0.0.1', routes: [{ path: '/logs', app: 'log-view', options: { files: ['server.log'], intervalMs: 50 } }], policy: { subprotocols: ['v1'] } }));
    const stop = new AbortController();
    const t = io(stop.signal);
    const exit = runServe(['--config', config, '--port', '0', '--tls'], t.io);
    const listening = await eventually(() => t.events().find((e): e is Extract<ServerEvent, { type: 'listening' }> => e.type === 'listening'));
    expect(listening).toMatchObject({ tls: true, url: expect.stringMatching(/^wss:\/\//) });
    const ws = new WebSocket(`${listening.url}/logs`, ['v1'], { rejectUnauthorized: false });
    const hello = await new Promise<{ files: Array<{ path: string }> }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
    expect(hello.files[0].path).toBe(join(dir, 'server.log'));
    expect(ws.protocol).toBe('v1');
    stop.abort();
    expect(await exit).toBe(0);
  });

  it('stops on SIGINT: every client gets 1001 and the process exits 0', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/framescope.mjs'), 'serve', '--port', '0', '--route', '/echo=echo'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = await eventually(() => {
      const line = out.split('\n')[0];
      return line ? (JSON.parse(line) as Extract<ServerEvent, { type: 'listening' }>) : undefined;
    }, 15_000);
    const ws = await open(`${listening.url}/echo`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await closed).toBe(1001);
    expect(await exited).toBe(0);
    expect(out.trim().split('\n').at(-1)).toMatch(/^\{"type":"stopped",/);
  });
});
