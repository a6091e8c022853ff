import { readFileSync } from 'node:fs';
import { FrameDecoder } from '../src/main/core/protocol/decoder';
const all = readFileSync(process.env.F ?? '/tmp/fs-proto/small.bin');
const chunks: Uint8Array[] = [];
for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536));
const res: number[] = [];
for (let r = 0; r < 15; r++) {
  const d = new FrameDecoder({ from: 'client' });
  const t = process.cpuUsage();
  let n = 0;
  for (const c of chunks) n += d.push(c).length;
  const u = process.cpuUsage(t);
  res.push(200000 / ((u.user + u.system) / 1e6) / 1e6);
}
res.sort((a, b) => b - a);
console.log('best', res[0].toFixed(2), 'median', res[7].toFixed(2), 'M frames/s (cpu time)');
