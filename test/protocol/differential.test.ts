/**
 * Differential test: on random valid streams, the messages this decoder
 * assembles equal what ws's own Receiver emits for the same bytes,
 * compressed streams included (ws's PerMessageDeflate as the extension).
 */
import type { EventEmitter } from 'node:events';
import fc from 'fast-check';
import * as ws from 'ws';
import { describe, expect, it } from 'vitest';
import type { Direction } from '../../src/main/core/protocol/constants';
import type { DecodeEvent } from '../../src/main/core/protocol/decoder';
import { encodeFrames } from '../../src/main/core/protocol/encoder';
import type { PermessageDeflateParams } from '../../src/main/core/protocol/permessage-deflate-params';
import { decodeChunks, splitAt, toHexString, violations } from './helpers';
import { cutsFrom, deflateParamsArb, itemArb, maskKeysArb, toSpecs, type Item } from './streams';

// ws exports these (wrapper.mjs) but @types/ws does not declare them.
interface WsReceiver extends EventEmitter {
  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean;
}
interface WsPerMessageDeflate {
  params: Record<string, boolean | number> | null;
  cleanup(): void;
}
const internals = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number; extensions?: Record<string, unknown> }) => WsReceiver;
  PerMessageDeflate: (new (options: { isServer: boolean; maxPayload: number }) => WsPerMessageDeflate) & { extensionName: string };
};

type Observed = Array<[kind: string, hex: string]>;

/** What ws's Receiver (on the receiving side of `from`'s frames) emits for these chunks. */
async function wsReceive(chunks: Uint8Array[], from: Direction, deflate: PermessageDeflateParams | null): Promise<Observed> {
  const isServer = from === 'client'; // the receiver of client frames is the server
  const extensions: Record<string, unknown> = {};
  let pmd: WsPerMessageDeflate | null = null;
  if (deflate) {
    pmd = new internals.PerMessageDeflate({ isServer, maxPayload: 0 });
    // The negotiated parameters as ws keeps them after accept().
    pmd.params = {
      server_no_context_takeover: deflate.serverNoContextTakeover,
      client_no_context_takeover: deflate.clientNoContextTakeover,
      server_max_window_bits: deflate.serverMaxWindowBits,
      client_max_window_bits: deflate.clientMaxWindowBits,
    };
    extensions[internals.PerMessageDeflate.extensionName] = pmd;
  }
  const receiver = new internals.Receiver({ isServer, maxPayload: 0, extensions });
  const seen: Observed = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => seen.push([isBinary ? 'binary' : 'text', data.toString('hex')]));
  receiver.on('ping', (data: Buffer) => seen.push(['ping', data.toString('hex')]));
  receiver.on('pong', (data: Buffer) => seen.push(['pong', data.toString('hex')]));
  try {
    // ws unmasks in place: hand it copies. Each write's callback runs once the
    // chunk is fully processed, inflation (asynchronous in ws) included.
    for (const c of chunks) {
      await new Promise<void>((resolve, reject) => {
        receiver.write(Buffer.from(c), (err) => (err ? reject(err) : resolve()));
      });
    }
  } finally {
    pmd?.cleanup();
  }
  return seen;
}

/** The same, from this decoder: messages plus the pings and pongs. */
function ourReceive(chunks: Uint8Array[], from: Direction, deflate: PermessageDeflateParams | null): Observed {
  return observed(decodeChunks(chunks, { from, deflate }));
}

function observed(events: DecodeEvent[]): Observed {
  expect(violations(events)).toEqual([]);
  const seen: Observed = [];
  for (const e of events) {
    if (e.type === 'message') seen.push([e.opcode === 1 ? 'text' : 'binary', toHexString(e.data)]);
    else if (e.type === 'frame' && (e.opcode === 9 || e.opcode === 10)) seen.push([e.opcode === 9 ? 'ping' : 'pong', toHexString(e.payload)]);
  }
  return seen;
}

/** Random valid streams of `from`'s frames, cut into random chunks, checked by `check` (60 runs). */
function forRandomStreams(
  from: Direction,
  compressed: boolean,
  check: (chunks: Uint8Array[], items: Item[], deflate: PermessageDeflateParams | null) => Promise<void>,
): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.array(itemArb(compressed), { minLength: 1, maxLength: 8 }),
      compressed ? deflateParamsArb : fc.constant(null),
      maskKeysArb,
      fc.array(fc.nat(), { maxLength: 6 }),
      async (items, deflate, keys, seeds) => {
        const bytes = encodeFrames(toSpecs(items, from, deflate, keys));
        await check(splitAt(bytes, cutsFrom(seeds, bytes.length)), items, deflate);
      },
    ),
    { numRuns: 60 },
  );
}

describe('differential: FrameDecoder vs ws Receiver', () => {
  for (const from of ['client', 'server'] as const) {
    for (const compressed of [false, true]) {
      it(`assembles the same messages as ws from random ${compressed ? 'compressed ' : ''}${from} streams`, async () => {
        await forRandomStreams(from, compressed, async (chunks, items, deflate) => {
          const ours = ourReceive(chunks, from, deflate);
          const theirs = await wsReceive(chunks, from, deflate);
          expect(ours).toEqual(theirs);
          expect(ours.filter(([k]) => k === 'text' || k === 'binary')).toHaveLength(items.filter((i) => i.kind === 'message').length);
        });
      });
    }
  }

  for (const compressed of [false, true]) {
    it(`leaves the chunks it unmasked in place meaning the same to ws (unmaskInPlace, ${compressed ? 'compressed' : 'uncompressed'})`, async () => {
      await forRandomStreams('client', compressed, async (chunks, _items, deflate) => {
        const theirs = await wsReceive(chunks, 'client', deflate);
        // The embedded server's order: our decoder gets each chunk first, ws then reads it as rewritten.
        const rewritten = chunks.map((c) => Uint8Array.from(c));
        const events = decodeChunks(rewritten, { from: 'client', deflate, unmaskInPlace: true });
        expect(observed(events)).toEqual(ourReceive(chunks, 'client', deflate));
        expect(await wsReceive(rewritten, 'client', deflate)).toEqual(theirs);
      });
    });
  }
});
