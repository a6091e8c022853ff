/**
 * fast-check arbitraries for valid WebSocket streams (RFC 6455 framing,
 * optionally RFC 7692 compression), used by the property and differential
 * tests.
 */
import fc from 'fast-check';
import type { Direction } from '../../src/main/core/protocol/constants';
import { Opcode } from '../../src/main/core/protocol/constants';
import { createDeflateState, deflateMessage, fragment, type FrameSpec } from '../../src/main/core/protocol/encoder';
import type { PermessageDeflateParams } from '../../src/main/core/protocol/permessage-deflate-params';

export interface MessageItem {
  kind: 'message';
  opcode: typeof Opcode.Text | typeof Opcode.Binary;
  data: Uint8Array;
  parts: number;
  compressed: boolean;
  /** A ping or pong between the first and second fragment (RFC 6455 §5.4). */
  interleaved: Uint8Array | null;
}

export interface ControlItem {
  kind: 'control';
  opcode: typeof Opcode.Ping | typeof Opcode.Pong;
  data: Uint8Array;
}

export type Item = MessageItem | ControlItem;

const patterned = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) & 0xff);

/** Mostly short payloads, some around the 126 boundary, rarely beyond 65535. */
const binaryPayload = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.integer({ min: 120, max: 300 }).map(patterned) },
  { weight: 1, arbitrary: fc.integer({ min: 65530, max: 65540 }).map(patterned) },
);
/** Code points of every UTF-8 length, surrogates excluded (fc.string's unit 'binary' is slow). */
export const codePointArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 0x7f }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x7ff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x800, max: 0xffff }).map((c) => (c >= 0xd800 && c <= 0xdfff ? c - 0x800 : c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
);

export const utf8Arb = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.array(codePointArb, { maxLength }).map((cps) => Uint8Array.from(Buffer.from(String.fromCodePoint(...cps), 'utf8')));

const textPayload = fc.oneof({ weight: 8, arbitrary: utf8Arb(30) }, { weight: 2, arbitrary: utf8Arb(90) });

const controlPayload = fc.uint8Array({ maxLength: 125 });

export const itemArb = (compression: boolean): fc.Arbitrary<Item> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('message' as const),
        opcode: fc.constantFrom(Opcode.Text, Opcode.Binary),
        parts: fc.integer({ min: 1, max: 4 }),
        compressed: compression ? fc.boolean() : fc.constant(false),
        interleaved: fc.option(controlPayload, { nil: null }),
      }).chain((m) =>
        (m.opcode === Opcode.Text ? textPayload : binaryPayload).map(
          (data): MessageItem => ({ kind: 'message', opcode: m.opcode, data, parts: m.parts, compressed: m.compressed, interleaved: m.parts > 1 ? m.interleaved : null }),
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('control' as const), opcode: fc.constantFrom(Opcode.Ping, Opcode.Pong), data: controlPayload }),
    },
  );

export const deflateParamsArb: fc.Arbitrary<PermessageDeflateParams> = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  // zlib compresses with at least 9 window bits (see deflateMessage()).
  serverMaxWindowBits: fc.integer({ min: 9, max: 15 }),
  clientMaxWindowBits: fc.integer({ min: 9, max: 15 }),
});

/** The frames a sender in `from` would put on the wire for these items. */
export function toSpecs(items: Item[], from: Direction, deflate: PermessageDeflateParams | null, maskKeys: Uint8Array[]): FrameSpec[] {
  const deflater = deflate ? createDeflateState(deflate, from) : null;
  let k = 0;
  const mask = (): Uint8Array | 'none' => (from === 'client' ? maskKeys[k++ % maskKeys.length] : 'none');
  const specs: FrameSpec[] = [];
  for (const item of items) {
    if (item.kind === 'control') {
      specs.push({ opcode: item.opcode, payload: item.data, mask: mask() });
      continue;
    }
    const compressed = item.compressed && deflater !== null;
    const payload = compressed ? deflateMessage(item.data, deflater) : item.data;
    const parts = fragment(payload, item.parts, { opcode: item.opcode, rsv1: compressed }).map((s) => ({ ...s, mask: mask() }));
    if (item.interleaved !== null) parts.splice(1, 0, { opcode: Opcode.Ping, payload: item.interleaved, mask: mask() });
    specs.push(...parts);
  }
  return specs;
}

export const maskKeysArb = fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 4 });

/** Cut points for splitting a stream of `length` bytes. */
export function cutsFrom(seeds: number[], length: number): number[] {
  if (length < 2) return [];
  return [...new Set(seeds.map((s) => 1 + (s % (length - 1))))].sort((a, b) => a - b);
}
