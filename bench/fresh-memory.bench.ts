/**
 * What keeping bytes costs on this machine: writing into memory the process
 * has never touched (every page a first-touch page fault) against writing
 * the same amount into memory it already has, in alternating rounds.
 *
 *   npm run bench:fresh-memory
 *   BENCH_ROUNDS=9 BENCH_MIB=128 npm run bench:fresh-memory
 *
 * Why it is a benchmark of its own: a capture keeps every payload it shows,
 * so while a capture grows, what it keeps needs memory the process has not
 * used yet, where bare `ws` reuses the same few buffers. On most machines a
 * first-touch page fault costs well under a microsecond per 4 KiB page; in
 * the VM this project is developed in it costs over 10 µs, which caps what
 * bench:capture can reach for large messages whatever the capture does
 * (see the README's capture figures).
 *
 * Arms, each writing BENCH_MIB MiB (default 64) with Uint8Array#fill:
 *  - kept <size>: new Uint8Arrays of <size> bytes, all kept until the round
 *    ends, as a capture keeps payloads. The allocator hands out again what
 *    the previous round freed where it kept it (small and medium arrays come
 *    from the heap it keeps), so those rounds show the cost of allocating
 *    rather than of new pages; the single array of the whole size is mapped
 *    afresh every round (glibc maps allocations this big on their own and
 *    unmaps them on free), so it shows what new pages cost;
 *  - reused: one array of the whole size, touched once before timing, then
 *    filled again: the same bytes written into memory already faulted in.
 * Each kept arm's ratio is its time over the reused arm's time in the same
 * round (median over rounds); `usPerFreshPage` is the extra time per 4 KiB
 * page. Minor page faults per page written are printed beside it: 1.00 means
 * every page was new to the process, 0 that none was.
 *
 * The last stdout line is one JSON object:
 *   {"mib","rounds","reusedMs","cases":[{"size","ms","ratio","usPerFreshPage","faultsPerPage"}]}
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MIB = Number(process.env.BENCH_MIB ?? 64);
const TOTAL = MIB * 1024 * 1024;
const PAGE = 4096;
const PAGES = TOTAL / PAGE;
const SIZES = [1024, 16 * 1024, 1024 * 1024, TOTAL];

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const faults = (): number => process.resourceUsage().minorPageFault;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sizeLabel = (n: number): string => (n >= 1 << 20 ? `${n >> 20} MiB` : `${n >> 10} KiB`);

interface Timing {
  ms: number;
  faults: number;
}

/** Fills TOTAL bytes of new arrays of `size` bytes, keeping every one until done. */
function kept(size: number): Timing {
  const keep: Uint8Array[] = [];
  const f0 = faults();
  const t0 = now();
  for (let at = 0; at < TOTAL; at += size) {
    const bytes = new Uint8Array(size);
    bytes.fill(at & 0xff);
    keep.push(bytes);
  }
  const ms = now() - t0;
  const f = faults() - f0;
  if (keep.length !== TOTAL / size) throw new Error('kept fewer arrays than written');
  return { ms, faults: f };
}

/** Fills TOTAL bytes that were touched once already. */
function reused(region: Uint8Array, value: number): Timing {
  const f0 = faults();
  const t0 = now();
  region.fill(value);
  return { ms: now() - t0, faults: faults() - f0 };
}

function main(): void {
  console.log(`fresh memory: ${MIB} MiB written into new memory vs memory already touched, ${ROUNDS} rounds, node ${process.version}\n`);
  const region = new Uint8Array(TOTAL);
  region.fill(1);
  // One unmeasured pass of each arm, for the JIT.
  for (const size of SIZES) kept(size);
  gc();
  const reusedMs: number[] = [];
  const perSize = new Map<number, { ms: number[]; ratio: number[]; faults: number[] }>();
  for (const size of SIZES) perSize.set(size, { ms: [], ratio: [], faults: [] });
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? SIZES : [...SIZES].reverse();
    const base = reused(region, round + 2);
    reusedMs.push(base.ms);
    for (const size of order) {
      gc();
      const t = kept(size);
      const r = perSize.get(size)!;
      r.ms.push(t.ms);
      r.ratio.push(t.ms / base.ms);
      r.faults.push(t.faults / PAGES);
    }
    gc();
  }
  const base = median(reusedMs);
  console.log(`  reused        ${base.toFixed(1).padStart(7)} ms`);
  const cases = SIZES.map((size) => {
    const r = perSize.get(size)!;
    const ms = median(r.ms);
    const usPerFreshPage = ((ms - base) * 1000) / PAGES;
    const faultsPerPage = median(r.faults);
    console.log(
      `  kept ${sizeLabel(size).padEnd(7)} ${ms.toFixed(1).padStart(7)} ms  ratio ${median(r.ratio).toFixed(1).padStart(5)}×` +
        `  ${usPerFreshPage.toFixed(2)} µs more per 4 KiB page  (${faultsPerPage.toFixed(2)} page faults per page)`,
    );
    return {
      size,
      ms: Number(ms.toFixed(1)),
      ratio: Number(median(r.ratio).toFixed(2)),
      usPerFreshPage: Number(usPerFreshPage.toFixed(2)),
      faultsPerPage: Number(faultsPerPage.toFixed(2)),
    };
  });
  console.log(JSON.stringify({ mib: MIB, rounds: ROUNDS, reusedMs: Number(base.toFixed(1)), cases }));
}

main();
