/**
 * What the workbench puts on the wire, read by a raw TCP peer with its own frame reader
 * (not the decoder under test): fragments, pings, automatic pongs and their absence,
 * closes with valid and invalid codes (one Close frame, never two), and raw frames byte
 * for byte.
 */
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { framesAfterHead, readWireFrames, startRawPeer, switchingProtocols, type RawPeer, type WireFrame } from './peers';
import { bench, value, waitForInfo, type Bench } from './workbench-helpers';

let b: Bench;
let peer: RawPeer;
let serverSocket: net.Socket;
afterEach(async () => {
  await b?.dispose();
  await peer?.stop();
});

/** A server's control frame: FIN, unmasked, at most 125 bytes (RFC 6455 §5.5). */
const frame = (opcode: number, payload: Buffer | string = ''): Buffer => {
  const p = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, p.length]), p]);
};

/**
 * A peer that completes the handshake and then, like a minimal server, answers Pings
 * with Pongs and a Close with a Close (here: with 1002 for codes that must not be sent).
 */
async function connectToPeer(): Promise<string> {
  peer = await startRawPeer((_head, socket, key) => {
    serverSocket = socket;
    socket.write(switchingProtocols(key));
    let seen = 0;
    socket.on('data', () => {
      const frames = framesAfterHead(peer.received[0]);
      for (const f of frames.slice(seen)) {
        // (An oversized ping gets no answer: a pong cannot carry it either, RFC 6455 §5.5.)
        if (f.opcode === 0x9 && f.payload.length <= 125) socket.write(frame(0xa, f.payload));
        if (f.opcode === 0x8) {
          const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1000;
          socket.end(code === 1005 ? frame(0x8, Buffer.from([0x03, 0xea])) : frame(0x8, f.payload));
        }
      }
      seen = frames.length;
    });
  });
  b = bench();
  const c = value(await b.workspace.handlers.connect({ url: `ws://127.0.0.1:${peer.port}/` }));
  expect(c.state).toBe('open');
  return c.id;
}

const wire = (): WireFrame[] => framesAfterHead(peer.received[0]);

describe('on the wire', () => {
  it('fragments a message into continuation frames, every one masked (RFC 6455 §5.4, §5.3)', async () => {
    const id = await connectToPeer();
    value(await b.workspace.handlers.send({ connectionId: id, payload: { kind: 'hex', text: '01 02 03 04 05 06 07' }, fragments: 3 }));
    await expect.poll(() => wire().length).toBe(3);
    expect(wire().map((f) => [f.opcode, f.fin, f.masked, f.payload.toString('hex')])).toEqual([
      [2, false, true, '010203'],
      [0, false, true, '0405'],
      [0, true, true, '0607'],
    ]);
  });

  it('pings with the payload given, answers pings while automatic pong is on, and stays silent when off', async () => {
    const id = await connectToPeer();
    const { rttMs } = value(await b.workspace.handlers.ping({ connectionId: id, payload: { kind: 'text', text: 'are you there' } }));
    expect(rttMs).toBeGreaterThan(0);
    expect(wire()[0]).toMatchObject({ opcode: 9, fin: true, masked: true, payload: Buffer.from('are you there') });

    serverSocket.write(frame(0x9, 'srv-1'));
    await expect.poll(() => wire().find((f) => f.opcode === 0xa)?.payload.toString()).toBe('srv-1');
    value(await b.workspace.handlers.setAutoPong({ connectionId: id, enabled: false }));
    expect(b.latest(id)?.autoPong).toBe(false);
    serverSocket.write(frame(0x9, 'srv-2'));
    await new Promise((r) => setTimeout(r, 150));
    expect(wire().filter((f) => f.opcode === 0xa).map((f) => f.payload.toString())).toEqual(['srv-1']);
  });

  it('sends the chosen close code and reason', async () => {
    const id = await connectToPeer();
    value(await b.workspace.handlers.closeConnection({ connectionId: id, code: 4001, reason: 'bye' }));
    await waitForInfo(b, id, (i) => i.state === 'closed');
    expect(wire().filter((f) => f.opcode === 8).map((f) => f.payload.toString('hex'))).toEqual(['0fa1' + Buffer.from('bye').toString('hex')]);
  });

  it('sends a forbidden code exactly once, and does not echo the peer’s Close with a second one', async () => {
    const id = await connectToPeer();
    value(await b.workspace.handlers.closeConnection({ connectionId: id, code: 1005, allowInvalid: true }));
    const closed = await waitForInfo(b, id, (i) => i.state === 'closed' || i.state === 'failed');
    expect(closed.closeCode).toBe(1002);
    await new Promise((r) => setTimeout(r, 50));
    const closes = wire().filter((f) => f.opcode === 8);
    expect(closes.map((f) => f.payload.toString('hex'))).toEqual(['03ed']);
  });

  it('sends an oversized close reason on purpose, as a 16-bit-length control frame', async () => {
    const id = await connectToPeer();
    value(await b.workspace.handlers.closeConnection({ connectionId: id, code: 1000, reason: 'r'.repeat(130), allowInvalid: true }));
    await expect.poll(() => wire().filter((f) => f.opcode === 8).length).toBe(1);
    const raw = peer.received[0].subarray(peer.received[0].indexOf('\r\n\r\n') + 4);
    expect(raw.subarray(0, 4).toString('hex')).toBe('88fe0084'); // FIN|close, MASK|126, length 132
  });

  it('writes raw frames byte for byte: RSV bits, a chosen mask, invalid UTF-8, an oversized ping, a lying length', async () => {
    const id = await connectToPeer();
    const bits = { fin: true, rsv1: false, rsv2: false, rsv3: false };
    value(
      await b.workspace.handlers.sendRaw({
        connectionId: id,
        frames: [
          // Text with RSV1 and RSV3 and the bytes c3 28 (not UTF-8), masked with 01 02 03 04.
          { ...bits, opcode: 1, rsv1: true, rsv3: true, mask: { keyHex: '01020304' }, payload: { kind: 'hex', text: 'c3 28' } },
          // A 200-byte ping, unmasked: two rules broken (RFC 6455 §5.5 and §5.1).
          { ...bits, opcode: 9, mask: 'none', payload: { kind: 'hex', text: 'ab'.repeat(200) } },
          // Binary that declares 10 bytes and carries 3.
          { ...bits, opcode: 2, mask: 'none', payload: { kind: 'text', text: 'abc' }, declaredLength: 10 },
        ],
      }),
    );
    await expect.poll(() => peer.received[0].length).toBeGreaterThan(0);
    const expected = 'd18201020304c22a' + '897e00c8' + 'ab'.repeat(200) + '820a616263';
    await expect.poll(() => peer.received[0].subarray(peer.received[0].indexOf('\r\n\r\n') + 4).toString('hex')).toBe(expected);
    expect(readWireFrames(Buffer.from(expected.slice(0, 16), 'hex'))[0]).toMatchObject({ rsv1: true, rsv2: false, rsv3: true, masked: true, payload: Buffer.from('c328', 'hex') });
  });
});
