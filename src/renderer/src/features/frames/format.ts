/** Formatting for the inspector: sizes in human units, times absolute or relative. */
import { formatBytes, formatTime } from '../../format';

export type TimeMode = 'absolute' | 'relative' | 'delta';
/** In the order the table's time header cycles through them. */
export const TIME_MODES: readonly TimeMode[] = ['absolute', 'relative', 'delta'];

/** Payload sizes: exact bytes below 1 KiB (the column's unit), KiB/MiB/GiB above. */
export function formatSize(n: number): string {
  return n < 1024 ? String(n) : formatBytes(n);
}

/** A duration in the unit that reads best: µs, ms, s, min, h. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  if (a < 1) return `${sign}${Math.round(a * 1000)} µs`;
  if (a < 1000) return `${sign}${a.toFixed(a < 10 ? 3 : a < 100 ? 2 : 1)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(3)} s`;
  if (a < 3_600_000) return `${sign}${Math.floor(a / 60_000)} min ${((a % 60_000) / 1000).toFixed(1)} s`;
  return `${sign}${Math.floor(a / 3_600_000)} h ${Math.floor((a % 3_600_000) / 60_000)} min`;
}

export function formatRowTime(mode: TimeMode, time: number, origin: number, previous: number): string {
  if (!Number.isFinite(time)) return '';
  if (mode === 'absolute') return formatTime(time);
  if (mode === 'relative') return Number.isFinite(origin) ? `+${formatDuration(time - origin)}` : formatTime(time);
  return Number.isFinite(previous) ? `Δ ${formatDuration(time - previous)}` : formatTime(time);
}

/** Parses a time the person typed for the range filter: ISO, "HH:MM[:SS[.mmm]]" (today), or empty. */
export function parseTimeInput(text: string, today = new Date()): { ok: true; value: number | undefined } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(t);
  if (clock) {
    const [, h, m, s, frac] = clock;
    if (+h > 23 || +m > 59 || (s !== undefined && +s > 59)) return { ok: false, error: `'${t}' is not a time of day` };
    const d = new Date(today);
    d.setHours(+h, +m, s === undefined ? 0 : +s, 0);
    const fraction = frac === undefined ? 0 : Number(`0.${frac}`) * 1000;
    return { ok: true, value: d.getTime() + fraction };
  }
  const parsed = Date.parse(t);
  if (Number.isNaN(parsed)) return { ok: false, error: `'${t}' is not a time: use HH:MM:SS.mmm or an ISO date` };
  return { ok: true, value: parsed };
}
