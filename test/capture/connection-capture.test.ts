import { describe, expect, it } from 'vitest';
import { frameDetail } from '../../src/main/core/app/frame-detail';
import { CaptureStore } from '../../src/main/core/capture/capture-store';
import { ConnectionCapture } from '../../src/main/core/capture/connection-capture';
import type { FrameEvent } from '../../src/main/core/protocol/decoder';
import { encodeFrame } from '../../src/main/core/protocol/encoder';
import { packFrameBits, unpackFrameBits } from '../../src/shared/frame-bits';
import { previewsOf, previewText } from '../../src/shared/preview';

const REQUEST = Buffer.from(
  'GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);
const RESPONSE = Buffer.from(
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
);
const hex = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('hex') : '');

/** A server-side capture past its handshake. */
function serverCapture() {
  const store = new CaptureStore(1 << 30);
  const capture = new ConnectionCapture(store, 's1-c1', 'server');
  capture.push('in', REQUEST, 0);
  capture.push('out', RESPONSE, 0);
  const rows = () => {
    const out = [];
    for (let id = store.firstId; id < store.nextId; id++) {
      const row = store.get(id)!;
      out.push({ ...unpackFrameBits(row.bits), time: row.time, offset: row.offset, length: row.length, payload: hex(row.payload) });
    }
    return out;
  };
  return { store, capture, rows };
}

const text = (s: string) => encodeFrame({ opcode: 1, payload: s });
const masked = (s: string) => encodeFrame({ opcode: 1, payload: s, mask: [1, 2, 3, 4] });
const afterMicrotasks = () => new Promise<void>((r) => setTimeout(r, 0));

describe('ConnectionCapture', () => {
  it('records outgoing frames sent one chunk each with the time of each chunk', async () => {
    const { capture, rows } = serverCapture();
    capture.push('out', text('a'), 10);
    capture.push('out', text('bb'), 11);
    capture.push('out', text('ccc'), 12);
    await afterMicrotasks();
    expect(rows().map((r) => [r.direction, r.time, r.offset, r.length, r.payload])).toEqual([
      ['out', 10, 0, 1, '61'],
      ['out', 11, 3, 2, '6262'],
      ['out', 12, 7, 3, '636363'],
    ]);
  });

  it('gives a frame split over outgoing chunks the time of the chunk that completed it', async () => {
    const { capture, rows } = serverCapture();
    const frame = text('hello');
    capture.push('out', frame.subarray(0, 1), 20);
    capture.push('out', frame.subarray(1, 4), 21);
    capture.push('out', Buffer.concat([frame.subarray(4), text('x')]), 22);
    await afterMicrotasks();
    expect(rows().map((r) => [r.time, r.payload])).toEqual([
      [22, '68656c6c6f'],
      [22, '78'],
    ]);
  });

  it('keeps an outgoing payload written apart from its header as the bytes sent, not a copy', async () => {
    // ws corks a frame's header and payload into one writev; the tap reports the two parts.
    const { store, capture, rows } = serverCapture();
    const payload = Buffer.from('payload bytes');
    capture.push('out', encodeFrame({ opcode: 2, payload: new Uint8Array(0) }).subarray(0, 1), 30);
    capture.push('out', Uint8Array.of(payload.length), 30);
    capture.push('out', payload, 31);
    capture.push('out', text('next'), 32);
    await afterMicrotasks();
    expect(rows().map((r) => [r.time, r.offset, r.payload])).toEqual([
      [31, 0, hex(payload)],
      [32, 15, hex(Buffer.from('next'))],
    ]);
    const kept = store.get(store.firstId)!.payload!;
    expect(kept.buffer).toBe(payload.buffer);
    expect(kept.byteOffset).toBe(payload.byteOffset);
  });

  it('decodes incoming masked frames before anyone unmasks the chunk in place, and keeps its own copy', () => {
    // ws unmasks a received payload in the very chunk it read (see tap.ts), after the capture saw it.
    const { store, capture, rows } = serverCapture();
    const frame = masked('secret');
    const chunk = Buffer.concat([frame, frame.subarray(0, 3)]);
    capture.push('in', chunk, 40);
    // ws then rewrites the complete frame's bytes; the start of the next frame it leaves alone
    // until that frame is complete, and one spread over two reads it joins into a buffer of its own.
    chunk.fill(0, 0, frame.length);
    capture.push('in', frame.subarray(3), 41);
    expect(rows().map((r) => [r.direction, r.time, r.payload])).toEqual([
      ['in', 40, hex(Buffer.from('secret'))],
      ['in', 41, hex(Buffer.from('secret'))],
    ]);
    expect(store.get(store.firstId)!.payload!.buffer).not.toBe(chunk.buffer);
  });

  it('keeps rows in the order their chunks were captured across directions', () => {
    const { capture, rows } = serverCapture();
    capture.push('out', text('1'), 1);
    capture.push('in', masked('2'), 2);
    capture.push('out', text('3'), 3);
    capture.end(4);
    expect(rows().map((r) => [r.direction, r.time, r.payload])).toEqual([
      ['out', 1, '31'],
      ['in', 2, '32'],
      ['out', 3, '33'],
    ]);
  });

  it('keeps the mask key and the length encoding the wire used, for the detail pane', () => {
    const { store, capture } = serverCapture();
    const payload = 'x'.repeat(200);
    const wire = encodeFrame({ opcode: 1, payload, mask: [0xde, 0xad, 0xbe, 0xef], lengthEncoding: 64 });
    capture.push('in', wire, 5);
    const frame = store.get(store.nextId - 1)!;
    expect(unpackFrameBits(frame.bits)).toMatchObject({ masked: true, lengthEncoding: 64, direction: 'in' });
    const detail = frameDetail(frame);
    expect(detail).toMatchObject({ maskKeyHex: 'deadbeef', lengthEncoding: 64, length: 200, text: payload });
    expect(detail.headerHex).toBe(hex(wire.subarray(0, 2 + 8 + 4)));
  });

  it('keeps a close frame’s code and reason', async () => {
    const { store, capture } = serverCapture();
    capture.push('out', encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]) }), 1);
    await afterMicrotasks();
    const detail = frameDetail(store.get(store.nextId - 1)!);
    expect(detail).toMatchObject({ opcodeName: expect.any(String), closeCode: 1000, closeReason: 'bye', lengthEncoding: 7, maskKeyHex: null });
    expect(previewsOf(store.pack(0, 10)!)).toEqual(['1000 bye']);
  });
  it('packs the same bits word as packFrameBits for every frame it records', async () => {
    // connection-capture packs frame bits itself (its hot path); this keeps it in step with the shared layout.
    const store = new CaptureStore(1 << 30);
    const events: Array<{ event: FrameEvent; direction: 'in' | 'out' }> = [];
    const capture = new ConnectionCapture(store, 's1-c1', 'server', {
      onEvent: (event, direction) => {
        if (event.type === 'frame') events.push({ event, direction });
      },
    });
    capture.push('in', REQUEST, 0);
    capture.push('out', RESPONSE, 0);
    const key = [9, 8, 7, 6];
    capture.push('in', encodeFrame({ opcode: 1, fin: false, payload: 'he', mask: key }), 1);
    capture.push('in', encodeFrame({ opcode: 9, payload: 'p', mask: key }), 2);
    capture.push('in', encodeFrame({ opcode: 0, payload: 'llo', mask: key, lengthEncoding: 16 }), 3);
    capture.push('in', encodeFrame({ opcode: 2, payload: new Uint8Array(70_000), mask: key }), 4);
    capture.push('out', encodeFrame({ opcode: 2, payload: new Uint8Array(300), lengthEncoding: 64 }), 5);
    capture.push('out', encodeFrame({ opcode: 10, payload: 'p' }), 6);
    capture.push('out', encodeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }), 7);
    capture.end(8);
    await afterMicrotasks();
    expect(events.map(({ event }) => [event.opcode, event.fin, event.masked, event.lengthEncoding])).toEqual([
      [1, false, true, 7],
      [9, true, true, 7],
      [0, true, true, 16],
      [2, true, true, 64],
      [2, true, false, 64],
      [10, true, false, 7],
      [8, true, false, 7],
    ]);
    // (The non-minimal length encodings also add violation rows, which this does not compare.)
    const recorded = [];
    for (let id = store.firstId; id < store.nextId; id++) if (!unpackFrameBits(store.get(id)!.bits).violation) recorded.push(store.get(id)!.bits);
    expect(recorded).toEqual(events.map(({ event, direction }) => packFrameBits({ ...event, direction, violation: false })));
  });
});

describe('CaptureStore notifications', () => {
  it('notifies once per burst of appends and again after the microtasks ran', async () => {
    const store = new CaptureStore(1 << 20);
    const calls: number[] = [];
    store.onAppend((lastId) => calls.push(lastId));
    const row = { connectionId: 'c', time: 0, bits: 1, length: 0, offset: 0, header: null, payload: null };
    store.append(row);
    store.append(row);
    store.append(row);
    expect(calls).toEqual([0]);
    await Promise.resolve();
    store.append(row);
    expect(calls).toEqual([0, 3]);
  });
});

describe('previewText', () => {
  it('cuts text at 80 characters and marks cut text, however it is encoded', () => {
    expect(previewText(Buffer.from('a'.repeat(80)), false)).toBe('a'.repeat(80));
    expect(previewText(Buffer.from('a'.repeat(81)), false)).toBe(`${'a'.repeat(80)}…`);
    expect(previewText(Buffer.from(`${'a'.repeat(79)}\t`), false)).toBe(`${'a'.repeat(79)} `);
    expect(previewText(Buffer.from('héllo\u0001'), false)).toBe('héllo ');
    expect(previewText(Buffer.from('é'.repeat(60)), false)).toBe(`${'é'.repeat(48)}…`);
  });

  it('shows at most 24 bytes of binary, then an ellipsis', () => {
    expect(previewText(new Uint8Array(24).fill(0xab), true)).toBe(Array(24).fill('ab').join(' '));
    expect(previewText(new Uint8Array(25), true)).toBe(`${Array(24).fill('00').join(' ')} …`);
    expect(previewText(new Uint8Array(0), true)).toBe('');
  });
});
