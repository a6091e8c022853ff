import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRawFrames, fragmentRanges, resolvePayload, validateFragmentCount } from '../../src/main/core/client/outgoing';
import { parseCloseArgument } from '../../src/main/core/client/prepare';
import { createTemplateState } from '../../src/main/core/client/template';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('resolvePayload', () => {
  it('turns each kind into the bytes and opcode of one message', async () => {
    const ok = async (input: Parameters<typeof resolvePayload>[0]) => {
      const r = await resolvePayload(input);
      if (!r.ok) throw new Error(r.error);
      return [hex(r.value.bytes), r.value.binary];
    };
    expect(await ok({ kind: 'text', text: 'hé' })).toEqual(['68c3a9', false]);
    expect(await ok({ kind: 'json', text: '[1, 2]' })).toEqual([Buffer.from('[1, 2]').toString('hex'), false]); // sent as typed
    expect(await ok({ kind: 'hex', text: '0x00 ff' })).toEqual(['00ff', true]);
    expect(await ok({ kind: 'base64', text: 'AP8=' })).toEqual(['00ff', true]);
  });

  it('expands templates only when asked, and numbers messages per state', async () => {
    const state = createTemplateState();
    const env = { now: () => 1_700_000_000_000, random: () => 0.25, uuid: () => 'u' };
    const r1 = await resolvePayload({ kind: 'json', text: '{"n":{{counter}},"t":{{timestamp}}}' }, { template: { state, env } });
    const r2 = await resolvePayload({ kind: 'text', text: '{{counter}}/{{random}}' }, { template: { state, env } });
    expect(r1.ok && Buffer.from(r1.value.bytes).toString()).toBe('{"n":1,"t":1700000000000}');
    expect(r2.ok && Buffer.from(r2.value.bytes).toString()).toBe('2/0.25');
    const literal = await resolvePayload({ kind: 'text', text: '{{counter}}' });
    expect(literal.ok && Buffer.from(literal.value.bytes).toString()).toBe('{{counter}}');
  });

  it('points at the bad character', async () => {
    expect(await resolvePayload({ kind: 'hex', text: '01 2x' })).toEqual({ ok: false, error: "hex: invalid hex digit 'x' at column 5" });
    expect(await resolvePayload({ kind: 'base64', text: 'ab\ncd!' })).toEqual({ ok: false, error: "base64: invalid base64 character '!' at line 2, column 3" });
    expect(await resolvePayload({ kind: 'json', text: "{'a': 1}" })).toEqual({ ok: false, error: "JSON: unexpected ''' at column 2: expected a member name in double quotes (JSON strings use double quotes)" });
    expect(await resolvePayload({ kind: 'kind?' } as never)).toEqual({ ok: false, error: 'payload: unknown kind "kind?" (text, json, hex, base64 or file)' });
  });

  it('reads files, and refuses a non-UTF-8 file as text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-out-'));
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x61, 0xe9, 0x62]));
    expect(await resolvePayload({ kind: 'file', path: join(dir, 'latin1.txt') })).toEqual({
      ok: false,
      error: `file ${join(dir, 'latin1.txt')} is not UTF-8 text (invalid byte 0xe9 at offset 1); send it as binary, since a text message must be UTF-8 (RFC 6455 §5.6)`,
    });
    const binary = await resolvePayload({ kind: 'file', path: join(dir, 'latin1.txt'), binary: true });
    expect(binary.ok && hex(binary.value.bytes)).toBe('61e962');
    expect(await resolvePayload({ kind: 'file', path: dir })).toEqual({ ok: false, error: `file ${dir} is a directory, not a file` });
    expect(await resolvePayload({ kind: 'file', path: '/dev/null' })).toEqual({ ok: false, error: 'file /dev/null is not a regular file' });
  });
});

describe('fragments', () => {
  it('splits into sizes that differ by at most one byte (RFC 6455 §5.4)', () => {
    expect(fragmentRanges(8, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 8],
    ]);
    expect(fragmentRanges(1, 3)).toEqual([
      [0, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(validateFragmentCount(undefined)).toEqual({ ok: true, value: 1 });
    expect(validateFragmentCount(2.5)).toMatchObject({ ok: false });
  });
});

describe('encodeRawFrames', () => {
  const bits = { fin: true, rsv1: false, rsv2: false, rsv3: false };

  it('encodes exactly what is asked, and notes every rule it breaks', async () => {
    const r = await encodeRawFrames(
      [
        { ...bits, opcode: 0x3, mask: 'none', payload: { kind: 'hex', text: 'c328' } },
        { ...bits, opcode: 0x1, fin: false, rsv2: true, mask: { keyHex: 'ffffffff' }, payload: { kind: 'hex', text: 'c328' }, lengthEncoding: 64 },
      ],
      'client',
    );
    if (!r.ok) throw new Error(r.error);
    expect(hex(r.value.bytes)).toBe('8302c328' + '21ff0000000000000002ffffffff3cd7');
    expect(r.value.notes).toEqual([
      'frames[0] (reserved-0x3): opcode 3 is reserved (RFC 6455 §5.2)',
      'frames[0] (reserved-0x3): not masked; a client must mask every frame (RFC 6455 §5.1)',
      'frames[1] (text): RSV bits set (RFC 6455 §5.2: only an extension may set them)',
      'frames[1] (text): 64-bit length encoding for 2 is not minimal (RFC 6455 §5.2)',
      'frames[1] (text): the text payload is not valid UTF-8 (RFC 6455 §8.1)',
    ]);
  });

  it('refuses what cannot be encoded, naming the frame', async () => {
    expect(await encodeRawFrames([], 'client')).toEqual({ ok: false, error: 'frames: give at least one frame' });
    expect(await encodeRawFrames([{ ...bits, opcode: 1, mask: 'none', payload: { kind: 'text', text: '' }, lengthEncoding: 16, declaredLength: 70_000 }], 'client')).toEqual({
      ok: false,
      error: 'frames[0]: length 70000 does not fit the 16-bit length field (at most 65535)',
    });
    expect(await encodeRawFrames([{ ...bits, opcode: 1, mask: 'none', payload: { kind: 'hex', text: 'zz' } }], 'client')).toEqual({
      ok: false,
      error: "frames[0].payload: hex: invalid hex digit 'z' at column 1",
    });
  });
});

describe('--close CODE[:REASON]', () => {
  it('parses a code and an optional reason, which may contain colons', () => {
    expect(parseCloseArgument('1000')).toEqual({ ok: true, code: 1000, reason: '' });
    expect(parseCloseArgument('4001:going: away')).toEqual({ ok: true, code: 4001, reason: 'going: away' });
    expect(parseCloseArgument('1005')).toEqual({ ok: true, code: 1005, reason: '' }); // sent on purpose, with a warning
    expect(parseCloseArgument('70000')).toMatchObject({ ok: false, error: expect.stringMatching(/cannot be sent as a close code/) });
  });
});
