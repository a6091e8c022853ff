import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { opcodeLabel, unpackFrameBits } from '../../../../shared/frame-bits';
import { formatTime } from '../../format';
import type { FrameRows } from '../../state/frame-rows';

const ROW_HEIGHT = 26;
const OVERSCAN = 8;

interface Props {
  rows: FrameRows;
  /** Row indices to show, in order. */
  view: readonly number[];
  version: number;
  selectedId: number | null;
  onSelect(id: number): void;
}

/**
 * A virtualised frame list: only the rows in view are in the DOM. It follows
 * new rows while the person is at the bottom, and stops following when they
 * scroll up.
 */
export function FrameTable({ rows, view, version, selectedId, onSelect }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const follow = useRef(true);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = scroller.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [version, view.length]);

  const total = view.length;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const items = [];
  for (let i = first; i < last; i++) {
    const row = view[i];
    const id = rows.ids[row];
    const f = unpackFrameBits(rows.bits[row]);
    items.push(
      <div
        key={id}
        role="row"
        data-testid="frame-row"
        data-direction={f.direction}
        data-opcode={f.opcode}
        className={`frame-row ${f.direction} ${f.violation ? 'violation' : ''} ${id === selectedId ? 'selected' : ''}`}
        style={{ transform: `translateY(${i * ROW_HEIGHT}px)` }}
        onClick={() => onSelect(id)}
      >
        <span className="c-time">{formatTime(rows.time[row])}</span>
        <span className="c-dir" data-testid="frame-direction" title={f.direction === 'out' ? 'sent' : 'received'}>
          {f.direction === 'out' ? '↑ out' : '↓ in'}
        </span>
        <span className={`c-op op-${opcodeLabel(f.opcode)}`} data-testid="frame-opcode">{f.violation ? 'violation' : opcodeLabel(f.opcode)}</span>
        <span className="c-fin">{f.fin ? 'FIN' : '—'}{f.rsv1 ? ' R1' : ''}{f.rsv2 ? ' R2' : ''}{f.rsv3 ? ' R3' : ''}</span>
        <span className="c-len" data-testid="frame-length">{rows.length[row]}</span>
        <span className="c-preview" data-testid="frame-preview">{rows.preview[row]}</span>
      </div>,
    );
  }

  return (
    <div className="frame-table" role="table" aria-label="Frames">
      <div className="frame-head" role="row">
        <span className="c-time">Time</span>
        <span className="c-dir">Dir</span>
        <span className="c-op">Opcode</span>
        <span className="c-fin">Flags</span>
        <span className="c-len">Length</span>
        <span className="c-preview">Payload</span>
      </div>
      <div
        className="frame-body"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          setScrollTop(el.scrollTop);
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
        }}
      >
        <div style={{ height: total * ROW_HEIGHT, position: 'relative' }}>{items}</div>
        {total === 0 && <p className="empty">No frames yet. Connect and send a message: every frame on the wire shows up here.</p>}
      </div>
    </div>
  );
}
