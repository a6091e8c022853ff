/**
 * The embedded server's socket tap. It keeps the contract of capture/tap.ts — every byte the
 * socket reads (through the instance's `push`) and writes (through `_write` / `_writev`), once,
 * in order, before anyone else handles it — but installs the same three module-level functions
 * on every socket, finding the connection through a symbol, instead of closures per socket.
 * An idle server connection then costs the tap two own properties and no function objects;
 * with ten thousand connections held that is the difference that counts (see bench/server.bench.ts).
 *
 * Incoming bytes are not copied: the target hands them to the decoder synchronously, before
 * `ws` reads them. The decoder unmasks a client frame that lies whole in the read where it lies,
 * zeroing its key so that `ws` reads the same frame (FrameDecoderOptions.unmaskInPlace), and
 * one spread over reads into new memory (`ws` joins those into a buffer of its own); an
 * unmasked client frame is fatal and is never passed on to `ws`. Outgoing
 * bytes are not copied either, as in tap.ts: nobody modifies a buffer after handing it to the
 * socket, which may still be reading it (the script app copies the bytes a script sends, since
 * a script might reuse its array); a corked batch is reported part by part.
 */
import type { Duplex } from 'node:stream';
import { chunkBytes } from '../capture/tap';

type Encoding = BufferEncoding | 'buffer' | undefined;
type WriteCallback = (error?: Error | null) => void;
type Push = (chunk: unknown, encoding?: Encoding) => boolean;
type Write = (chunk: unknown, encoding: Encoding, cb: WriteCallback) => void;
type Writev = (chunks: Array<{ chunk: unknown; encoding: Encoding }>, cb: WriteCallback) => void;

/** What receives the tapped bytes: a server connection. */
export interface ServerTapTarget {
  /** The socket's own push, _write and _writev, called after the target has seen the bytes. */
  tapPush: Push;
  tapWrite: Write;
  tapWritev: Writev | null;
  /** A chunk read from the socket; the target pushes (all or part of) it on with tapPush. */
  tappedRead(socket: Duplex, chunk: Buffer, encoding: Encoding): boolean;
  /** Bytes about to be written to the socket. */
  tappedWrite(bytes: Uint8Array): void;
}

const kTarget = Symbol('framescope.serverTap');

type TappedSocket = Duplex & {
  [kTarget]: ServerTapTarget;
  push: Push;
  _write: Write;
  _writev?: Writev | null;
};

function tappedPush(this: TappedSocket, chunk: unknown, encoding?: Encoding): boolean {
  const target = this[kTarget];
  // End of stream (null) and empty chunks pass straight through.
  if (!(chunk instanceof Uint8Array) || chunk.length === 0) return target.tapPush.call(this, chunk, encoding);
  return target.tappedRead(this, chunk as Buffer, encoding);
}

function tappedWrite(this: TappedSocket, chunk: unknown, encoding: Encoding, cb: WriteCallback): void {
  const target = this[kTarget];
  const bytes = chunkBytes(chunk, encoding, false);
  if (bytes && bytes.length > 0) target.tappedWrite(bytes);
  target.tapWrite.call(this, chunk, encoding, cb);
}

function tappedWritev(this: TappedSocket, chunks: Array<{ chunk: unknown; encoding: Encoding }>, cb: WriteCallback): void {
  const target = this[kTarget];
  // One writev is one hand-over to the handle (ws corks a header and its payload): its parts, in order.
  for (let i = 0; i < chunks.length; i++) {
    const bytes = chunkBytes(chunks[i].chunk, chunks[i].encoding, false);
    if (bytes && bytes.length > 0) target.tappedWrite(bytes);
  }
  target.tapWritev!.call(this, chunks, cb);
}

/**
 * Taps `socket` for `target`. Call from the 'upgrade' handler before `ws` takes the socket.
 * Bytes already read (the request head, and `head`) are the caller's to report.
 */
export function attachServerTap(socket: Duplex, target: ServerTapTarget): void {
  const s = socket as TappedSocket;
  target.tapPush = s.push;
  target.tapWrite = s._write;
  target.tapWritev = typeof s._writev === 'function' ? s._writev : null;
  s[kTarget] = target;
  s.push = tappedPush;
  s._write = tappedWrite;
  if (target.tapWritev) s._writev = tappedWritev;
}
