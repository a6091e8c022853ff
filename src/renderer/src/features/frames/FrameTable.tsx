import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { opcodeLabel, unpackFrameBits } from '../../../../shared/frame-bits';
import { formatTime } from '../../format';
import type { FrameRows } from '../../state/frame-rows';
import type { FrameView } from '../../state/frame-view';
import { mergedAt, mergedIndexOfFrame, type TimelineItem, type TimelineLine } from '../../state/log-timeline';
import type { RowLoader } from '../../state/row-loader';
import {
  anchorAt,
  anchorTop,
  atBottom,
  clampVirtualTop,
  countNewRows,
  geometry,
  maxVirtualTop,
  newRowsFrom,
  physicalFromVirtual,
  virtualFromPhysical,
  visibleRange,
  type RowLayout,
  type ScrollAnchor,
} from '../../state/virtual-scroll';
import { formatRowTime, formatSize, TIME_MODES, type TimeMode } from './format';

export const ROW_HEIGHT = 26;
const SCROLL_SYNC_MS = 120;

interface Props {
  view: FrameView;
  rows: FrameRows;
  loader: RowLoader;
  /** Log lines interleaved by time, or null. */
  lines: TimelineLine[] | null;
  unit: 'frames' | 'messages';
  showConnection: boolean;
  selectedId: number | null;
  onSelect(id: number): void;
  timeMode: TimeMode;
  onTimeMode(mode: TimeMode): void;
  /** Highlights the filter's text in previews. */
  highlight: RegExp | null;
  /** Bumped when rows arrive (the app store's version). */
  version: number;
  /** Bumped when rows fetched on demand arrive. */
  loaded: number;
  empty: ReactNode;
}

const TIME_TITLES: Record<TimeMode, string> = { absolute: 'Time', relative: 'Time (since first)', delta: 'Time (Δ previous)' };

function Highlight({ text, re }: { text: string; re: RegExp | null }) {
  if (!re || text === '') return <>{text}</>;
  re.lastIndex = 0;
  const m = re.exec(text);
  if (!m || m[0].length === 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, m.index)}
      <mark>{m[0]}</mark>
      {text.slice(m.index + m[0].length)}
    </>
  );
}

/**
 * The virtualised frame table: only rows on screen are in the DOM, drawn in a
 * layer that stays in view while the scroll area beneath it sets the
 * scrollbar. It follows new rows while the person is at the bottom, pauses
 * when they scroll up and offers "N new" to jump back.
 *
 * While paused, both the position and the "new" count are kept by row id: at
 * its byte budget the capture evicts its oldest rows as fast as new ones
 * arrive, so the row count stays flat and row indices slide.
 */
export function FrameTable(props: Props) {
  const { view, rows, loader, lines, unit, selectedId, onSelect, timeMode } = props;
  const body = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState(400);
  /** Where the paused table reads (unused while following). */
  const [anchor, setAnchor] = useState<ScrollAnchor>({ id: 0, delta: 0 });
  const [follow, setFollow] = useState(true);
  /** One past the newest row id listed when following stopped: rows listed from it on are "new". */
  const [newFrom, setNewFrom] = useState(0);
  const expectedScrollTop = useRef(0);

  const frameCount = view.length;
  const total = lines ? frameCount + lines.length : frameCount;
  const g = geometry(total, ROW_HEIGHT, viewport);
  // Log lines among the frames shift frame rows down; two binary searches map between the two.
  const layout: RowLayout | undefined = lines
    ? {
        listIndexAt: (m) => {
          const item = mergedAt(view, lines, m);
          return item.kind === 'frame' ? item.index : view.lowerBound(item.line.anchor);
        },
        rowOf: (index) => mergedIndexOfFrame(view, lines, index),
      }
    : undefined;
  const top = follow ? maxVirtualTop(g) : clampVirtualTop(g, anchorTop(view, anchor, ROW_HEIGHT, layout));
  const { first, last, offset } = visibleRange(g, top, ROW_HEIGHT, total);

  useLayoutEffect(() => {
    const el = body.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    setViewport(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  // Keep the scrollbar where the virtual offset says (scaled when the list is taller than the DOM allows).
  // Rows are drawn from the virtual offset, not from scrollTop, so only the scrollbar's thumb depends on
  // it; writing scrollTop forces a style and layout pass, so it is written at most every SCROLL_SYNC_MS
  // (a thumb a few frames late is invisible; a forced layout in every frame is not).
  const wantedScrollTop = Math.round(physicalFromVirtual(g, top));
  const scrollSync = useRef<ReturnType<typeof setTimeout> | null>(null);
  const wanted = useRef(wantedScrollTop);
  wanted.current = wantedScrollTop;
  /** The person's scrolls (wheel, scrollbar, keys) so far, and how many of them the last render saw. */
  const personScrolls = useRef(0);
  const renderedScrolls = useRef(0);
  renderedScrolls.current = personScrolls.current;
  useEffect(() => {
    if (wantedScrollTop === expectedScrollTop.current || scrollSync.current !== null) return;
    scrollSync.current = setTimeout(() => {
      scrollSync.current = null;
      requestAnimationFrame(() => {
        const el = body.current;
        // After a scroll of the person's that React has not rendered yet, `wanted` is where the
        // table was before it: writing it would throw them back. The render of their scroll
        // plans the next write (this one's timer is done, so the effect is free to).
        if (!el || renderedScrolls.current !== personScrolls.current || wanted.current === expectedScrollTop.current) return;
        el.scrollTop = wanted.current;
        expectedScrollTop.current = wanted.current;
      });
    }, SCROLL_SYNC_MS);
  });
  useEffect(
    () => () => {
      if (scrollSync.current !== null) clearTimeout(scrollSync.current);
    },
    [],
  );
  // While the list moves under a still pointer, hover effects would be recomputed in every frame.
  const [moving, setMoving] = useState(false);
  const movingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const markMoving = useCallback(() => {
    setMoving(true);
    if (movingTimer.current !== null) clearTimeout(movingTimer.current);
    movingTimer.current = setTimeout(() => setMoving(false), 150);
  }, []);

  const scrollTo = useCallback(
    (next: number) => {
      personScrolls.current++;
      const clamped = clampVirtualTop(g, next);
      if (atBottom(g, clamped, ROW_HEIGHT)) {
        setFollow(true);
        return;
      }
      if (follow) setNewFrom(newRowsFrom(view));
      setFollow(false);
      setAnchor(anchorAt(view, clamped, ROW_HEIGHT, layout));
    },
    // layout is rebuilt with every render, as g is; both stand for the view, the lines and the size.
    [g, follow, view, layout],
  );

  // The wheel moves by real pixels even when positions are scaled.
  useEffect(() => {
    const el = body.current;
    if (!el || !g.scaled) return;
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const unitPx = e.deltaMode === 1 ? ROW_HEIGHT : e.deltaMode === 2 ? g.viewport : 1;
      markMoving();
      scrollTo(top + e.deltaY * unitPx);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [g.scaled, g.viewport, top, scrollTo, markMoving]);

  const onScroll = (): void => {
    const el = body.current;
    if (!el) return;
    // Our own scrollTop writes come back as scroll events; only the person's scrolling counts.
    const at = el.scrollTop;
    if (Math.abs(at - expectedScrollTop.current) <= 1.5) return;
    const clampedByShrink = at < expectedScrollTop.current && at >= el.scrollHeight - el.clientHeight - 1;
    expectedScrollTop.current = Math.round(at);
    // The list got shorter under the scrollbar (a Clear) and the browser pulled scrollTop
    // down to the new end: not the person's scroll, so a paused table stays paused.
    if (clampedByShrink) return;
    markMoving();
    scrollTo(virtualFromPhysical(g, at));
  };

  const itemAt = (m: number): TimelineItem =>
    lines ? mergedAt(view, lines, m) : { kind: 'frame', index: m };

  const moveSelection = (delta: number): void => {
    if (frameCount === 0) return;
    const current = selectedId === null ? -1 : view.indexOf(selectedId);
    const base = current < 0 ? (delta > 0 ? -1 : frameCount) : current;
    const index = Math.min(frameCount - 1, Math.max(0, base + delta));
    onSelect(view.idAt(index));
    const m = lines ? mergedIndexOfFrame(view, lines, index) : index;
    const y = m * ROW_HEIGHT;
    if (y < top) scrollTo(y);
    else if (y + ROW_HEIGHT > top + g.viewport) scrollTo(y + ROW_HEIGHT - g.viewport);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor(g.viewport / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, j: 1, k: -1 };
    if (moves[e.key] !== undefined) {
      e.preventDefault();
      moveSelection(moves[e.key]);
    } else if (e.key === 'Home') {
      e.preventDefault();
      scrollTo(0);
      if (frameCount > 0) onSelect(view.idAt(0));
    } else if (e.key === 'End') {
      e.preventDefault();
      setFollow(true);
    }
  };

  // Rows on screen that this window does not hold are fetched; the rest are marked as drawn.
  const drawRows = (): { items: ReactNode[]; missing: number[] } => {
  const missing: number[] = [];
  const items: ReactNode[] = [];
  let origin = NaN;
  if (timeMode === 'relative' && frameCount > 0) {
    const id0 = view.idAt(0);
    if (rows.has(id0)) origin = rows.time(id0);
    else missing.push(id0);
  }
  for (let m = first; m < last; m++) {
    const item = itemAt(m);
    const y = offset + (m - first) * ROW_HEIGHT;
    if (item.kind === 'log') {
      const l = item.line;
      items.push(
        <div key={follow ? m - first : `l${m}`} role="row" className={`frame-row log-row-inline ${l.kind}`} data-testid="timeline-log" style={{ transform: `translateY(${y}px)` }}>
          <span className="c-time">{formatTime(l.time)}</span>
          <span className="c-log-source">{l.source === 'framescope' ? 'log' : l.source}</span>
          <span className="c-log-text" title={l.text}>{l.text}</span>
        </div>,
      );
      continue;
    }
    const id = view.idAt(item.index);
    if (!rows.has(id)) {
      missing.push(id);
      items.push(
        <div key={follow ? m - first : `p${id}`} role="row" className="frame-row pending" data-testid="frame-row-pending" data-id={id} style={{ transform: `translateY(${y}px)` }}>
          <span className="c-time">#{id}</span>
          <span className="c-preview muted">loading…</span>
        </div>,
      );
      continue;
    }
    rows.touch(id);
    const bits = rows.bits(id);
    const f = unpackFrameBits(bits);
    const time = rows.time(id);
    let previous = NaN;
    if (timeMode === 'delta' && item.index > 0) {
      const prevId = view.idAt(item.index - 1);
      if (rows.has(prevId)) previous = rows.time(prevId);
      else missing.push(prevId);
    }
    const span = unit === 'messages' ? view.messages.get(id) : undefined;
    const length = span ? span.length : rows.length(id);
    const connectionId = rows.connectionOf(id);
    const op = f.violation ? 'violation' : opcodeLabel(f.opcode);
    items.push(
      <div
        // While following a stream every row on screen is new with each batch: keyed by place on
        // screen, a row's elements are kept and only their text changes. While the person scrolls,
        // rows keep their content and only move: keyed by id, nothing but their position changes.
        key={follow ? m - first : id}
        role="row"
        aria-selected={id === selectedId}
        data-testid="frame-row"
        data-id={id}
        data-time={time}
        data-direction={f.direction}
        data-opcode={f.opcode}
        className={`frame-row ${f.direction} ${f.violation ? 'violation' : ''} ${f.opcode >= 8 ? 'control' : ''} ${id === selectedId ? 'selected' : ''}`}
        style={{ transform: `translateY(${y}px)` }}
        onClick={() => onSelect(id)}
      >
        <span className="c-time" title={new Date(time).toISOString()}>{formatRowTime(timeMode, time, origin, previous)}</span>
        {props.showConnection && <span className="c-conn" title={connectionId}>{connectionId}</span>}
        <span className="c-dir" data-testid="frame-direction" title={f.direction === 'out' ? 'sent by Framescope' : 'received by Framescope'}>
          {f.direction === 'out' ? '↑ out' : '↓ in'}
        </span>
        <span className={`c-op op-${op}`} data-testid="frame-opcode">{op}</span>
        <span className="c-fin" title="FIN, RSV1-3, MASK">
          {f.violation ? '' : `${f.fin ? 'FIN' : '—'}${f.rsv1 ? ' R1' : ''}${f.rsv2 ? ' R2' : ''}${f.rsv3 ? ' R3' : ''}${f.masked ? ' M' : ''}`}
          {span && <span className="badge frames-badge" title={`${span.frames} frames${span.complete ? '' : ', still arriving'}`}>×{span.frames}{span.complete ? '' : '…'}</span>}
        </span>
        <span className="c-len" data-testid="frame-length" title={`${length.toLocaleString()} bytes`}>{formatSize(length)}</span>
        <span className="c-preview" data-testid="frame-preview">
          <Highlight text={span?.preview ?? rows.preview(id)} re={props.highlight} />
        </span>
      </div>,
    );
  }
  return { items, missing };
  };

  // Batches arrive ~20 times a second; while the person looks at older rows nothing on screen
  // changes, so the rows are rebuilt only when what they show can have changed.
  const windowKey =
    last > first
      ? `${first}:${last}:${offset}:${view.idAt(first)}:${frameCount > 0 ? view.idAt(Math.min(frameCount, last) - 1) : -1}:${lines?.length ?? -1}`
      : 'empty';
  const drawn = useMemo(
    drawRows,
    // drawRows reads these (and rows' contents, which change only with the version and the loads).
    [windowKey, follow, selectedId, timeMode, unit, props.highlight, props.showConnection, props.loaded, follow ? props.version : 0],
  );
  const { items, missing } = drawn;
  // Before paint: the request for rows on screen goes out in the task that found them missing.
  useLayoutEffect(() => {
    if (missing.length > 0) loader.want(missing);
  });

  const newCount = follow ? 0 : countNewRows(view, newFrom);

  return (
    <div className={`frame-table ${props.showConnection ? 'with-conn' : ''}`} role="table" aria-label="Frames" data-testid="frame-table" data-rows={frameCount}>
      <div className="frame-head" role="row">
        <button
          className="c-time head-button"
          data-testid="time-mode"
          title="Absolute time, time since the first row, or time since the previous row"
          onClick={() => props.onTimeMode(TIME_MODES[(TIME_MODES.indexOf(timeMode) + 1) % TIME_MODES.length])}
        >
          {TIME_TITLES[timeMode]} ⇄
        </button>
        {props.showConnection && <span className="c-conn">Conn</span>}
        <span className="c-dir">Dir</span>
        <span className="c-op">Opcode</span>
        <span className="c-fin">Flags</span>
        <span className="c-len">Length</span>
        <span className="c-preview">Payload</span>
      </div>
      <div
        className="frame-body"
        ref={body}
        tabIndex={0}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        data-testid="frame-body"
        data-follow={follow ? 'true' : 'false'}
        data-pending={missing.length}
      >
        <div className={`frame-layer ${moving ? 'moving' : ''}`}>{items}</div>
        <div className="frame-spacer" style={{ height: Math.max(0, g.physical - g.viewport) }} />
        {total === 0 && <div className="empty frame-empty">{props.empty}</div>}
      </div>
      {newCount > 0 && (
        <button className="new-marker" data-testid="new-marker" onClick={() => setFollow(true)}>
          {newCount.toLocaleString()} new ↓
        </button>
      )}
      {!follow && newCount === 0 && frameCount > 0 && (
        <button className="new-marker quiet" data-testid="follow-button" onClick={() => setFollow(true)} title="Follow new frames (End)">
          Follow ↓
        </button>
      )}
    </div>
  );
}
