/**
 * Property: random frame sequences, encoded and then decoded after splitting
 * at random boundaries, come back as the same frames and messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeFrames, toBytes } from '../../src/main/core/protocol/encoder';
import { decode, decodeChunks, frames, messages, normalise, splitAt, toHexString, violations } from './helpers';
import { cutsFrom, deflateParamsArb, itemArb, maskKeysArb, toSpecs } from './streams';

const RUNS = 150;

describe('encode → split → decode', () => {
  for (const from of ['client', 'server'] as const) {
    it(`gives back every frame and message of a valid ${from} stream, however it is split`, () => {
      fc.assert(
        fc.property(
          fc.array(itemArb(true), { minLength: 1, maxLength: 8 }),
          fc.option(deflateParamsArb, { nil: null }),
          maskKeysArb,
          fc.array(fc.nat(), { maxLength: 12 }),
          (items, deflate, keys, seeds) => {
            const specs = toSpecs(items, from, deflate, keys);
            const bytes = encodeFrames(specs);
            const events = decodeChunks(splitAt(bytes, cutsFrom(seeds, bytes.length)), { from, deflate });
            expect(violations(events)).toEqual([]);
            const got = frames(events);
            expect(got).toHaveLength(specs.length);
            got.forEach((f, i) => {
              const s = specs[i];
              expect(f.opcode).toBe(s.opcode);
              expect(f.fin).toBe(s.fin ?? true);
              expect(f.rsv1).toBe(s.rsv1 ?? false);
              expect(f.masked).toBe(from === 'client');
              if (s.mask instanceof Uint8Array) expect(toHexString(f.maskKey as Uint8Array)).toBe(toHexString(s.mask));
              expect(toHexString(f.payload)).toBe(toHexString(toBytes(s.payload)));
            });
            const expected = items.filter((it) => it.kind === 'message');
            const ms = messages(events);
            expect(ms.map((m) => [m.opcode, m.frames, toHexString(m.data)])).toEqual(expected.map((m) => [m.opcode, m.parts, toHexString(m.data)]));
            ms.forEach((m, i) => {
              expect(m.seq).toBe(i);
              if (m.opcode === 1) expect(m.text).toBe(Buffer.from(m.data).toString('utf8'));
            });
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  it('gives the same events for any split of arbitrary (mostly invalid) frames', () => {
    const anyFrame = fc.record({
      opcode: fc.integer({ min: 0, max: 15 }),
      fin: fc.boolean(),
      rsv1: fc.boolean(),
      rsv2: fc.boolean(),
      rsv3: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 140 }),
      mask: fc.oneof(fc.constant('none' as const), fc.uint8Array({ minLength: 4, maxLength: 4 })),
      lengthEncoding: fc.option(fc.constantFrom(16 as const, 64 as const), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 6 }), fc.constantFrom('client' as const, 'server' as const), fc.array(fc.nat(), { maxLength: 10 }), fc.uint8Array({ maxLength: 3 }), (specs, from, seeds, tail) => {
        const bytes = Uint8Array.from(Buffer.concat([...specs.map(encodeFrame), tail]));
        const options = { from, maxPayload: 1000 };
        const whole = decode(bytes, options);
        expect(normalise(decodeChunks(splitAt(bytes, cutsFrom(seeds, bytes.length)), options))).toEqual(normalise(whole));
        // Whatever the bytes, the stream either decodes cleanly or ends in exactly one fatal violation.
        expect(violations(whole).filter((v) => v.fatal).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
