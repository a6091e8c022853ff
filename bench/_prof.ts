import { FrameDecoder } from '/work/main/src/main/core/protocol/decoder';
import { encodeFrame } from '/work/main/src/main/core/protocol/encoder';
const frames: Uint8Array[] = [];
for (let i = 0; i < 200000; i++) frames.push(encodeFrame({ opcode: i % 5 === 0 ? 2 : 1, payload: 'message number ' + i + ' {"a":1} ' + 'x'.repeat(i % 90), mask: 'random' }));
const all = Buffer.concat(frames);
const chunks: Uint8Array[] = [];
for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536));
const mode = process.argv[2] ?? 'full';
for (let r = 0; r < 8; r++) {
  const d = new FrameDecoder({ from: 'client' });
  const t = performance.now();
  let n = 0;
  for (const c of chunks) n += d.push(c).length;
  const dt = performance.now() - t;
  console.log(mode, (200000 / dt / 1000).toFixed(2), 'M frames/s', n);
}
