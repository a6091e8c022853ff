/** `framescope decode`, driven through runDecode with in-memory streams and temp files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runDecode } from '../../src/cli/decode';
import { Opcode } from '../../src/main/core/protocol/constants';
import { closePayload, createDeflateState, deflateMessage, encodeFrames } from '../../src/main/core/protocol/encoder';
import { DEFLATE, hex } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'framescope-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function run(argv: string[], stdinBytes?: Uint8Array): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = new PassThrough();
  if (stdinBytes) {
    // Arrive in small pieces, as from a pipe.
    for (let i = 0; i < stdinBytes.length; i += 3) stdin.write(stdinBytes.subarray(i, i + 3));
  }
  stdin.end();
  const code = await runDecode(argv, { stdout, stderr, stdin });
  const lines = stdout.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, stderr: stderr.text };
}

const clientStream = encodeFrames([
  { opcode: Opcode.Text, payload: 'Hello', mask: hex('37 fa 21 3d') },
  { opcode: Opcode.Binary, fin: false, payload: hex('01 02'), mask: 'random' },
  { opcode: Opcode.Ping, payload: 'p', mask: 'random' },
  { opcode: Opcode.Continuation, payload: hex('03'), mask: 'random' },
  { opcode: Opcode.Close, payload: closePayload(1000, 'done'), mask: 'random' },
]);

describe('framescope decode', () => {
  it('decodes a file of client frames to one JSON line per frame and message', async () => {
    const file = join(dir, 'client.bin');
    writeFileSync(file, clientStream);
    const { code, lines, stderr } = await run(['--from', 'client', file]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(lines.map((l) => `${l.type}:${l.opcodeName ?? l.opcode}`)).toEqual(['frame:text', 'message:1', 'frame:binary', 'frame:ping', 'frame:continuation', 'message:2', 'frame:close']);
    expect(lines[0]).toMatchObject({ direction: 'client', offset: 0, masked: true, maskKey: '37fa213d', length: 5, lengthEncoding: 7, payloadHex: '48656c6c6f' });
    expect(lines[1]).toMatchObject({ type: 'message', text: 'Hello', frames: 1 });
    expect(lines[5]).toMatchObject({ type: 'message', payloadHex: '010203', frames: 2 });
    expect(lines[6]).toMatchObject({ closeCode: 1000, closeReason: 'done' });
  });

  it('reads standard input for "-" and inflates with --deflate', async () => {
    const state = createDeflateState(DEFLATE, 'server');
    const bytes = encodeFrames([
      { opcode: Opcode.Text, rsv1: true, payload: deflateMessage('compressed hello', state) },
      { opcode: Opcode.Text, rsv1: true, payload: deflateMessage('compressed hello', state) },
    ]);
    const { code, lines } = await run(['--from', 'server', '--deflate', 'permessage-deflate; client_max_window_bits=10', '-'], bytes);
    expect(code).toBe(0);
    expect(lines.filter((l) => l.type === 'message')).toMatchObject([
      { text: 'compressed hello', compressed: true },
      { text: 'compressed hello', compressed: true },
    ]);
  });

  it('guesses the sender from the first MASK bit when --from is missing, and says so', async () => {
    const { code, lines, stderr } = await run(['-'], clientStream);
    expect(code).toBe(0);
    expect(stderr).toMatch(/decoding as client/);
    expect(lines[0]).toMatchObject({ direction: 'client' });
  });

  it('guesses the sender even when the first chunk holds a single byte', async () => {
    const stdin = new PassThrough();
    const stdout = new Sink();
    const stderr = new Sink();
    const done = runDecode(['-'], { stdout, stderr, stdin });
    stdin.write(hex('81'));
    await new Promise((r) => setTimeout(r, 10));
    stdin.end(hex('01 61'));
    expect(await done).toBe(0);
    expect(stderr.text).toMatch(/decoding as server/);
    expect(stdout.text).toContain('"text":"a"');
  });

  it('prints violations as records and still exits 0', async () => {
    const { code, lines } = await run(['--from', 'server', '-'], hex('81 01 61 83 00 81 01 62'));
    expect(code).toBe(0);
    expect(lines.map((l) => l.type)).toEqual(['frame', 'message', 'violation']);
    expect(lines[2]).toMatchObject({ code: 'WS_ERR_INVALID_OPCODE', closeCode: 1002, offset: 3, rule: expect.stringContaining('RFC 6455 §5.2') });
  });

  it('reports a truncated capture at the end', async () => {
    const { code, lines } = await run(['--from', 'server', '-'], hex('81 05 48 65'));
    expect(code).toBe(0);
    expect(lines).toMatchObject([{ type: 'violation', code: 'WS_ERR_TRUNCATED_FRAME', offset: 0 }]);
  });

  it('exits 1 with a clear message for a missing file', async () => {
    const { code, lines, stderr } = await run(['--from', 'client', join(dir, 'nope.bin')]);
    expect(code).toBe(1);
    expect(lines).toEqual([]);
    expect(stderr).toMatch(/cannot read .*nope\.bin: ENOENT: no such file/);
  });

  it('exits 1 for a directory', async () => {
    const { code, stderr } = await run(['--from', 'client', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/EISDIR: is a directory/);
  });

  it('exits 2 for a bad flag, a bad --from, a bad --deflate and a missing FILE', async () => {
    for (const argv of [['--bogus', '-'], ['--from', 'middle', '-'], ['--deflate', 'permessage-deflate; client_max_window_bits=99', '-'], [], ['a', 'b']]) {
      const { code, stderr, lines } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toMatch(/^framescope decode: .+\n\nUsage: framescope decode/);
      expect(lines).toEqual([]);
    }
  });

  it('prints usage for --help', async () => {
    const stdout = new Sink();
    const code = await runDecode(['--help'], { stdout, stderr: new Sink(), stdin: new PassThrough() });
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/^Usage: framescope decode/);
  });
});
