/**
 * The embedded server's socket tap. It keeps the contract of capture/tap.ts — every byte the
 * socket reads (through the instance's `push`) and writes (through `_write` / `_writev`), once,
 * in order, before anyone else handles it — but installs the same three module-level functions
 * on every socket, finding the connection through a symbol, instead of closures per socket.
 * An idle server connection then costs the tap two own properties and no function objects;
 * with ten thousand connections held that is the difference that counts (see bench/server.bench.ts).
 *
 * Incoming bytes are not copied: the target hands them to the decoder synchronously, before
 * `ws` reads them, and the decoder copies what it keeps of client frames (they are masked, so
 * their payloads are unmasked into new memory; an unmasked client frame is fatal and is never
 * passed on to `ws`, which is the only code that modifies received bytes in place). Outgoing
 * bytes are copied as tap.ts copies them, because an app may reuse a buffer it sent.
 */
import type { Duplex } from 'node:stream';

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

function bytesOf(chunk: unknown, encoding: Encoding): Uint8Array | null {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding && encoding !== 'buffer' ? encoding : 'utf8');
  // A real copy: Buffer#slice would be a view of the caller's memory.
  if (chunk instanceof Uint8Array) return Uint8Array.prototype.slice.call(chunk);
  return null;
}

/** A buffer nobody modifies (a frame encoded once for many sockets): seen without a copy. */
let immutableChunk: Uint8Array | null = null;

/**
 * Writes `bytes`, which the caller promises never to modify, to a tapped socket: the tap then
 * need not copy them (a broadcast frame written to a thousand sockets is copied zero times).
 */
export function writeImmutable(socket: Duplex, bytes: Uint8Array): void {
  immutableChunk = bytes;
  try {
    socket.write(bytes);
  } finally {
    immutableChunk = null;
  }
}

function tappedWrite(this: TappedSocket, chunk: unknown, encoding: Encoding, cb: WriteCallback): void {
  const target = this[kTarget];
  // _write runs synchronously inside write() unless the socket is busy; a buffered chunk is
  // written later, when the mark is gone, and is then copied like any other.
  const bytes = chunk === immutableChunk && chunk !== null ? (chunk as Uint8Array) : bytesOf(chunk, encoding);
  if (bytes && bytes.length > 0) target.tappedWrite(bytes);
  target.tapWrite.call(this, chunk, encoding, cb);
}

function tappedWritev(this: TappedSocket, chunks: Array<{ chunk: unknown; encoding: Encoding }>, cb: WriteCallback): void {
  const target = this[kTarget];
  // One writev is one hand-over to the handle (ws corks a header and its payload): one chunk.
  const parts: Uint8Array[] = [];
  for (const c of chunks) {
    if (typeof c.chunk === 'string') parts.push(Buffer.from(c.chunk, c.encoding && c.encoding !== 'buffer' ? c.encoding : 'utf8'));
    else if (c.chunk instanceof Uint8Array) parts.push(c.chunk);
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length > 0) target.tappedWrite(bytes);
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
