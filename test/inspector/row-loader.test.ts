import { describe, expect, it } from 'vitest';
import type { RowsPage, RowsRequest } from '../../src/shared/contract';
import { fail, ok, type Result } from '../../src/shared/result';
import { FrameRows } from '../../src/renderer/src/state/frame-rows';
import { RowLoader } from '../../src/renderer/src/state/row-loader';
import { readyPreviews } from '../../src/shared/preview';

/** A main side holding rows [firstId, nextId), answering getRows as capture-feature does. */
function mainSide(firstId: number, nextId: number) {
  const requests: RowsRequest[] = [];
  const gates: Array<() => void> = [];
  let held = true;
  let failing: string | null = null;
  const page = (ids: number[]): RowsPage | null => {
    const present = ids.filter((id) => id >= firstId && id < nextId);
    if (present.length === 0) return null;
    return {
      firstId: present[0],
      count: present.length,
      ids: present,
      connection: new Uint32Array(present.length),
      connectionIds: ['c1'],
      time: Float64Array.from(present, (id) => 1000 + id),
      bits: new Uint32Array(present.length).fill(0x81),
      length: Float64Array.from(present, (id) => id % 100),
      ...readyPreviews(present.map((id) => `row ${id}`)),
    };
  };
  const api = {
    async getRows(request: RowsRequest): Promise<Result<RowsPage | null>> {
      requests.push(request);
      // Held requests wait until released: lets a test look at what is in flight.
      if (held) await new Promise<void>((resolve) => gates.push(resolve));
      if (failing !== null) return fail(failing);
      if (request.ids) return ok(page(request.ids));
      const from = request.fromId ?? 0;
      return ok(page(Array.from({ length: request.count ?? 0 }, (_, k) => from + k)));
    },
  };
  return {
    api,
    requests,
    release: async (): Promise<void> => {
      gates.shift()?.();
      // Let the loader's await chain run.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
    answerAtOnce: () => {
      held = false;
      for (const g of gates.splice(0)) g();
    },
    failWith: (error: string | null) => (failing = error),
  };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('fetching rows the table draws but this window does not hold', () => {
  it('asks for a contiguous run as one padded range, stores it and says so', async () => {
    const main = mainSide(0, 100_000);
    const rows = new FrameRows();
    let loaded = 0;
    const loader = new RowLoader(main.api, rows, () => loaded++);
    main.answerAtOnce();
    loader.want([5000, 5001, 5002, 5003]);
    await settle();
    expect(main.requests).toEqual([{ fromId: 5000 - 256, count: 4 + 512 }]);
    expect([5000, 5003, 4744, 5259].map((id) => rows.has(id))).toEqual([true, true, true, true]);
    expect(rows.preview(5002)).toBe('row 5002');
    expect(loaded).toBe(1);
    expect(loader.error).toBeNull();
  });

  it('asks for scattered ids (a sparse filter) as a list of ids, not a huge range', async () => {
    const main = mainSide(0, 1_000_000);
    const rows = new FrameRows();
    const loader = new RowLoader(main.api, rows, () => undefined);
    main.answerAtOnce();
    loader.want([900_000, 10, 500_123]);
    await settle();
    expect(main.requests).toEqual([{ ids: [10, 500_123, 900_000] }]);
    expect(rows.has(500_123) && rows.has(10) && rows.has(900_000)).toBe(true);
  });

  it('keeps one request in flight; a newer wish replaces the older one, and rows held meanwhile are not asked for', async () => {
    const main = mainSide(0, 1_000_000);
    const rows = new FrameRows();
    const loader = new RowLoader(main.api, rows, () => undefined);
    loader.want([10, 20_000]);
    loader.want([30, 40_000]);
    await settle();
    // The first wish went out; the second is queued, not sent beside it.
    expect(main.requests).toEqual([{ ids: [10, 20_000] }]);
    loader.want([50, 60_000, 20_000]);
    await main.release();
    await settle();
    // Only the latest wish, and not 20 000, which the first answer brought.
    expect(main.requests[1]).toEqual({ ids: [50, 60_000] });
    await main.release();
    expect(rows.has(30)).toBe(false);
    expect(rows.has(50) && rows.has(60_000)).toBe(true);
  });

  it('does not ask again for rows the main side no longer has (evicted)', async () => {
    const main = mainSide(1000, 2000);
    const rows = new FrameRows();
    const loader = new RowLoader(main.api, rows, () => undefined);
    main.answerAtOnce();
    loader.want([10, 50_000]);
    await settle();
    expect(main.requests).toHaveLength(1);
    loader.want([10, 50_000]);
    await settle();
    expect(main.requests).toHaveLength(1);
    // Forgetting them (the window moved past them) lets them be asked for again.
    loader.forgetBefore(100_000);
    loader.want([10]);
    await settle();
    expect(main.requests).toHaveLength(2);
  });

  it('keeps the error to show and clears it when a later request gets through', async () => {
    const main = mainSide(0, 10_000);
    const rows = new FrameRows();
    const loader = new RowLoader(main.api, rows, () => undefined);
    main.answerAtOnce();
    main.failWith('the connection to the Framescope host was lost');
    loader.want([5]);
    await settle();
    expect(loader.error).toBe('the connection to the Framescope host was lost');
    expect(rows.has(5)).toBe(false);
    main.failWith(null);
    loader.want([5]);
    await settle();
    expect(loader.error).toBeNull();
    expect(rows.has(5)).toBe(true);
  });
});
