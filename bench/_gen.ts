import { writeFileSync } from 'node:fs';
import { encodeFrame } from '../src/main/core/protocol/encoder';
const words = ['alpha', 'beta', 'gamma', 'delta', '{"op":"sub","topic":"prices"}', 'héllo', 'wörld', '✓', 'ping', '42'];
let x = 42; const rand = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
const frames: Uint8Array[] = [];
for (let i = 0; i < 200000; i++) { let s = ''; const size = 8 + Math.floor(rand() * 120); while (s.length < size) s += words[Math.floor(rand() * words.length)] + ' '; frames.push(encodeFrame({ opcode: rand() < 0.8 ? 1 : 2, payload: s.slice(0, size), mask: 'random' })); }
writeFileSync('/tmp/fs-proto/small.bin', Buffer.concat(frames));
