import { useState } from 'react';
import type { FramescopeApi } from '../../../../shared/contract';
import { formatBytes } from '../../format';
import { useFramesVersion, type AppStore } from '../../state/app-store';

const MiB = 1024 * 1024;
const BUDGETS = [64 * MiB, 128 * MiB, 256 * MiB, 512 * MiB, 1024 * MiB, 2048 * MiB, 4096 * MiB];

/**
 * The capture's size in the top bar: frames held, bytes of the budget, and
 * what was evicted or not streamed to this window. It follows the frames
 * channel, so a busy stream re-renders it and not the whole app.
 */
export function CaptureStatsBadge({ api, store }: { api: FramescopeApi; store: AppStore }) {
  useFramesVersion(store);
  const [error, setError] = useState<string | null>(null);
  const c = store.capture;
  const budgets = BUDGETS.includes(c.budgetBytes) || c.budgetBytes === 0 ? BUDGETS : [...BUDGETS, c.budgetBytes].sort((a, b) => a - b);
  return (
    <span className="stats" data-testid="capture-stats">
      {c.frames.toLocaleString()} frames · {formatBytes(c.bytes)} of{' '}
      <select
        className="budget-select"
        data-testid="capture-budget"
        title="Capture budget: past it, the oldest frames are evicted (and counted)"
        value={c.budgetBytes}
        onChange={(e) => {
          void api.setCaptureBudget({ bytes: Number(e.target.value) }).then((r) => setError(r.ok ? null : r.error));
        }}
      >
        {c.budgetBytes === 0 && <option value={0}>…</option>}
        {budgets.map((b) => (
          <option key={b} value={b}>
            {formatBytes(b)}
          </option>
        ))}
      </select>
      {error && <span className="error"> {error}</span>}
      {c.evicted > 0 && (
        <span className="warning" title="The oldest frames were dropped to stay within the capture budget">
          {' '}
          · {c.evicted.toLocaleString()} evicted
        </span>
      )}
      {store.rows.skipped > 0 && (
        <span className="muted" title="Frames the live stream did not bring to this window; they load as you scroll">
          {' '}
          · {store.rows.skipped.toLocaleString()} skipped
        </span>
      )}
    </span>
  );
}
