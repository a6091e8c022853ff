/**
 * The inspector benchmarks' capture: JSON market messages on two connections,
 * appended the way the capture pipeline appends them, and the filter queries a
 * person types over them. Shared by bench:inspector (in Chromium) and
 * bench:filter (the main side's scan alone, in Node).
 */
import type { Workspace } from '../../src/main/core/app/workspace';
import { packFrameBits } from '../../src/shared/frame-bits';

/** What a person types: words, and regular expressions over JSON messages (/…/i). */
export const QUERIES = [
  'cancel',
  'trader42',
  '/"side":"(buy|sell)","qty":1\\d\\d,/i',
  '/"seq":\\d*4242,/',
  '/prices\\/(eur|chf)/i',
  '/"bid":1\\.09\\d\\d/',
  '/^\\{"seq":12\\d{4},/',
  '/"user":"trader1\\d"/',
  'ERROR',
  '/order-\\d+7"/',
  '/"qty":(99|100)\\d,/',
  'prices/gbp',
  '/fill|reject/i',
  '/"ask":1\\.08[0-4]/',
  '/status":"(open|closed)"/',
  '/\\d{7}/',
];

// ---------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------

const TOPICS = ['eur', 'usd', 'gbp', 'chf', 'jpy', 'aud', 'cad', 'nok'];
const SIDES = ['buy', 'sell', 'fill', 'cancel', 'reject'];
const STATUSES = ['open', 'closed', 'pending', 'error'];

export function payloadText(seq: number): string {
  const topic = TOPICS[seq % TOPICS.length];
  const side = SIDES[(seq * 7) % SIDES.length];
  const bid = (1.05 + ((seq * 13) % 600) / 10_000).toFixed(4);
  const ask = (1.0801 + ((seq * 17) % 700) / 10_000).toFixed(4);
  return `{"seq":${seq},"topic":"prices/${topic}","bid":${bid},"ask":${ask},"side":"${side}","qty":${(seq * 31) % 1000},"user":"trader${seq % 97}","order":"order-${seq * 3}","status":"${STATUSES[seq % 4]}"}`;
}

const BITS_OUT = packFrameBits({ opcode: 1, fin: true, rsv1: false, rsv2: false, rsv3: false, masked: true, direction: 'out', violation: false, lengthEncoding: 16 });
const BITS_IN = packFrameBits({ opcode: 1, fin: true, rsv1: false, rsv2: false, rsv3: false, masked: false, direction: 'in', violation: false, lengthEncoding: 16 });

/** Appends frames as the capture pipeline does: payloads carved from shared 256 KiB slabs. */
export class Feeder {
  private slab = new Uint8Array(256 * 1024);
  private at = 0;
  seq = 0;
  payloadChars = 0;
  constructor(private readonly workspace: Workspace) {}

  append(time: number): void {
    const text = payloadText(this.seq);
    const n = text.length;
    if (this.at + n > this.slab.length) {
      this.slab = new Uint8Array(256 * 1024);
      this.at = 0;
    }
    for (let k = 0; k < n; k++) this.slab[this.at + k] = text.charCodeAt(k);
    const payload = this.slab.subarray(this.at, this.at + n);
    this.at = (this.at + n + 7) & ~7;
    const out = this.seq % 2 === 0;
    this.workspace.store.append({
      connectionId: out ? 'c1' : 's1-c1',
      time,
      bits: out ? BITS_OUT : BITS_IN,
      length: n,
      offset: this.seq * 140,
      header: null,
      payload,
      maskKey: out ? 0x3a1f9c07 : undefined,
    });
    this.payloadChars += n;
    this.seq++;
  }
}

