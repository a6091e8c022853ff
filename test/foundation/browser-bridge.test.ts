import { afterEach, describe, expect, it } from 'vitest';
import { createBrowserBridge } from '../../src/renderer/src/api/browser-bridge';
import { encodeReply } from '../../src/shared/bridge-protocol';
import { readyPreviews } from '../../src/shared/preview';

/** Just enough of the DOM WebSocket for the bridge: the test plays the host. */
class FakeSocket extends EventTarget {
  static OPEN = 1;
  static last: FakeSocket | null = null;
  readyState = 0;
  binaryType = 'blob';
  sent: string[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = FakeSocket.OPEN;
      this.dispatchEvent(new Event('open'));
    });
  }
  send(data: string): void {
    this.sent.push(data);
  }
  reply(data: string | ArrayBuffer): void {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
}

const realWebSocket = globalThis.WebSocket;
afterEach(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket = realWebSocket;
});

const location = { protocol: 'http:', host: '127.0.0.1:5000' };

describe("the renderer's browser bridge", () => {
  it('answers a call whose reply arrives damaged with an error, and keeps serving the next call', async () => {
    (globalThis as { WebSocket?: unknown }).WebSocket = FakeSocket;
    const api = createBrowserBridge(location, 't0k');
    const socket = FakeSocket.last!;
    expect(socket.url).toBe('ws://127.0.0.1:5000/bridge?token=t0k');

    const first = api.getRows({ fromId: 0, count: 10 });
    await new Promise((r) => setTimeout(r, 0));
    const call = JSON.parse(socket.sent[0]) as { id: number; command: string };
    expect(call.command).toBe('getRows');
    const wire = encodeReply({
      type: 'result',
      id: call.id,
      result: {
        ok: true,
        value: { firstId: 0, count: 2, connection: new Uint32Array(2), connectionIds: ['c1'], time: new Float64Array(2), bits: new Uint32Array(2), length: new Float64Array(2), ...readyPreviews(['a', 'b']) },
      },
    }) as Uint8Array;
    // Cut short on the way: the call fails in words instead of waiting forever.
    socket.reply(wire.slice(0, wire.length - 8).buffer);
    const result = await first;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/reply from the Framescope host could not be read.*cut short/);

    const second = api.getRows({ fromId: 0, count: 10 });
    await new Promise((r) => setTimeout(r, 0));
    const next = JSON.parse(socket.sent[1]) as { id: number };
    socket.reply(encodeReply({ type: 'result', id: next.id, result: { ok: false, error: 'no rows' } }) as string);
    expect(await second).toEqual({ ok: false, error: 'no rows' });
  });
});
