/**
 * Fetches rows the table is about to draw but this window does not hold (the
 * event stream skipped them, or they were dropped to stay within a bound):
 * contiguous runs as ranges, scattered ids (a sparse filter) as id lists, one
 * request in flight, the newest wanted rows first.
 */
import type { FramescopeApi } from '../../../shared/contract';
import type { FrameRows } from './frame-rows';

type RowsApi = Pick<FramescopeApi, 'getRows'>;

/** Rows fetched around a wanted range, so a slow scroll does not ask again for every line. */
const RANGE_PADDING = 256;
const MAX_IDS = 2000;

export class RowLoader {
  private wanted: number[] = [];
  private busy = false;
  /** Ids asked for that the main side no longer had: not asked for again. */
  private readonly gone = new Set<number>();
  error: string | null = null;

  constructor(
    private readonly api: RowsApi,
    private readonly rows: FrameRows,
    private readonly onLoaded: () => void,
  ) {}

  /** The ids on screen that are missing here; replaces any earlier wish (only the screen matters). */
  want(ids: number[]): void {
    this.wanted = ids.filter((id) => !this.gone.has(id));
    if (!this.busy && this.wanted.length > 0) void this.run();
  }

  forgetBefore(firstId: number): void {
    for (const id of this.gone) if (id < firstId) this.gone.delete(id);
  }

  private async run(): Promise<void> {
    this.busy = true;
    try {
      while (this.wanted.length > 0) {
        const ids = this.wanted.filter((id) => !this.rows.has(id));
        this.wanted = [];
        if (ids.length === 0) break;
        ids.sort((a, b) => a - b);
        const span = ids[ids.length - 1] - ids[0] + 1;
        // A dense run (the unfiltered list) is one range; a sparse one (filtered) is a list of ids.
        const request =
          span <= ids.length * 4
            ? { fromId: Math.max(0, ids[0] - RANGE_PADDING), count: span + 2 * RANGE_PADDING }
            : { ids: ids.slice(-MAX_IDS) };
        const result = await this.api.getRows(request);
        if (!result.ok) {
          this.error = result.error;
          break;
        }
        this.error = null;
        if (result.value) this.rows.store(result.value);
        for (const id of ids) if (!this.rows.has(id)) this.gone.add(id);
        this.onLoaded();
      }
    } finally {
      this.busy = false;
    }
  }
}
