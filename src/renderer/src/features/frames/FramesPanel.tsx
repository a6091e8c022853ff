import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { FrameClass, FramescopeApi } from '../../../../shared/contract';
import { formatBytes, formatTime } from '../../format';
import { useFramesVersion, type AppStore } from '../../state/app-store';
import { FrameView } from '../../state/frame-view';
import { LogTimeline } from '../../state/log-timeline';
import { RowLoader } from '../../state/row-loader';
import { useStoredChoice } from '../../state/stored-choice';
import { ExportPopover, ImportPopover } from './CaptureFiles';
import { TIME_MODES } from './format';
import { FrameTable } from './FrameTable';
import { ALL_CLASSES, buildQuery, EMPTY_FILTER, localMatcher, textCriterion, type FilterState } from './query';

interface Props {
  api: FramescopeApi;
  store: AppStore;
  /** One connection's frames, or null for every connection. */
  connectionId: string | null;
  selectedId: number | null;
  onSelect(id: number): void;
  /** Show a connection (after a HAR import). */
  onOpenConnection?(id: string): void;
}

const TIME_MODE_KEY = 'framescope.timeMode';
const CLASS_LABELS: Record<FrameClass, string> = { text: 'text', binary: 'binary', control: 'control', violation: 'violation' };

/** Input types that take no typing: Ctrl+L on them has no meaning of its own. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/**
 * Is a key press aimed at a field the person types into (the Composer, a URL,
 * a form)? There Ctrl+L must not reach the capture. The frames filter is this
 * panel's own field, so the panel's shortcuts work from it.
 */
function inOtherField(target: EventTarget | null, own: Element | null): boolean {
  if (!(target instanceof HTMLElement) || target === own) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !NON_TEXT_INPUTS.has(target.type);
}

/**
 * The inspector: filter bar, frames or messages, log lines on the same
 * timeline, export and import, and the virtualised table. Filtering runs on
 * the main side (where payloads are) and never on React's render path.
 */
export function FramesPanel({ api, store, connectionId, selectedId, onSelect, onOpenConnection }: Props) {
  const version = useFramesVersion(store);
  const view = useMemo(() => new FrameView(api), [api]);
  const viewVersion = useSyncExternalStore(view.subscribe, view.getVersion);
  const [loaded, setLoaded] = useState(0);
  const loader = useMemo(() => new RowLoader(api, store.rows, () => setLoaded((n) => n + 1)), [api, store]);
  const [, setTimelineVersion] = useState(0);
  const timeline = useMemo(() => new LogTimeline(api, () => setTimelineVersion((n) => n + 1)), [api]);
  const [filter, setFilter] = useState<FilterState>(EMPTY_FILTER);
  const [interleave, setInterleave] = useState(false);
  const [timeMode, setTimeMode] = useStoredChoice(TIME_MODE_KEY, TIME_MODES, 'absolute');
  const [popover, setPopover] = useState<'export' | 'import' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showTime, setShowTime] = useState(false);
  const filterInput = useRef<HTMLInputElement>(null);

  // The range the main side holds follows every event batch, outside React's render.
  useEffect(() => {
    const sync = (): void => {
      const cap = store.capture;
      const nextId = Math.max(cap.nextId ?? store.rows.liveNext, 0);
      const firstId = cap.firstId ?? Math.max(0, nextId - cap.frames);
      if (firstId > view.firstId) {
        store.rows.dropBefore(firstId);
        loader.forgetBefore(firstId);
      }
      view.setRange(firstId, nextId);
    };
    sync();
    return store.subscribeFrames(sync);
  }, [store, view, loader]);

  const built = useMemo(() => buildQuery(filter, connectionId), [filter, connectionId]);
  const queryKey = built.query ? JSON.stringify(built.query) : null;
  // A layout effect, so the scan is asked for in the same task as the keystroke, not a frame later.
  useLayoutEffect(() => {
    if (built.query) view.setQuery(built.query, performance.now());
    // queryKey stands for the query's content; a new object with the same content is the same query.
  }, [queryKey]);

  const text = textCriterion(filter);
  const matcher = useMemo(() => localMatcher(text), [text?.pattern, text?.regex, text?.caseSensitive, text?.flags]);
  const highlight = matcher.re;

  useEffect(() => {
    timeline.setFilter(highlight ? (t) => ((highlight.lastIndex = 0), highlight.test(t)) : null);
    setTimelineVersion((n) => n + 1);
  }, [timeline, highlight]);
  useEffect(() => {
    if (interleave) timeline.update(store.logs, store.tailLines);
  }, [interleave, timeline, store, version]);

  // clearCapture has no scope: it drops every connection's frames, whichever view asked. Since that
  // cannot be undone, the button and Ctrl+L both ask first (when there is anything to lose).
  const [confirmingClear, setConfirmingClear] = useState(false);
  /** Where focus was when the question was asked, to give it back. */
  const focusBeforeClear = useRef<HTMLElement | null>(null);
  const endClearQuestion = (): void => {
    setConfirmingClear(false);
    const before = focusBeforeClear.current;
    focusBeforeClear.current = null;
    if (before?.isConnected) before.focus();
  };
  const clear = async (): Promise<void> => {
    endClearQuestion();
    const result = await api.clearCapture({});
    if (!result.ok) {
      setNotice(result.error);
      return;
    }
    store.clearRows();
    view.setRange(view.nextId, view.nextId);
    setNotice(`Cleared all ${result.value.cleared.toLocaleString()} captured frames.`);
  };
  const askClear = (): void => {
    if (store.capture.frames === 0) {
      void clear();
      return;
    }
    if (!confirmingClear) focusBeforeClear.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setConfirmingClear(true);
  };

  // Ctrl+F focuses the filter, Ctrl+L asks to clear the capture (Cmd on macOS). Ctrl+F works from
  // anywhere; Ctrl+L not while typing elsewhere (in the Composer it would wipe the capture mid-sentence).
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
      const key = e.key.toLowerCase();
      if (key === 'f') {
        e.preventDefault();
        filterInput.current?.focus();
        filterInput.current?.select();
      } else if (key === 'l') {
        if (inOtherField(e.target, filterInput.current)) return;
        e.preventDefault();
        askClear();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });

  const set = <K extends keyof FilterState>(key: K, value: FilterState[K]): void => setFilter((f) => ({ ...f, [key]: value }));
  const toggleClass = (c: FrameClass, only: boolean): void => {
    setFilter((f) => {
      if (only) return { ...f, classes: [c] };
      const has = f.classes.includes(c);
      const next = has ? f.classes.filter((x) => x !== c) : ALL_CLASSES.filter((x) => x === c || f.classes.includes(x));
      // Unchecking the last class would show nothing at all: keep it.
      return next.length === 0 ? f : { ...f, classes: next };
    });
  };
  const selectedTime = selectedId !== null && store.rows.has(selectedId) ? store.rows.time(selectedId) : null;
  const connections = [...store.connections.values()];
  const cap = store.capture;
  const filtered = view.isFiltered;
  // Narrowed by more than the connection this panel shows.
  const narrowed =
    filter.text !== '' || filter.direction !== '' || filter.classes.length < ALL_CLASSES.length || filter.from !== '' || filter.to !== '' || (connectionId === null && filter.connectionId !== '');
  const scanning = view.status === 'scanning';
  const lines = interleave ? timeline.visible : null;
  const connectionInfo = connectionId ? store.connections.get(connectionId) : undefined;

  return (
    <section
      className="frames-panel"
      data-testid="frames-panel"
      data-filter-state={view.status}
      data-filter-query={queryKey ?? ''}
      data-view-rows={view.length}
      data-view-version={viewVersion}
      data-filter-ms={view.doneAt > 0 ? Math.round(view.doneAt - view.queryAt) : ''}
      data-resident={store.rows.resident}
      data-skipped={store.rows.skipped}
      data-preview-bytes={store.rows.previewBytes}
    >
      <div className="filter-bar" role="search">
        <div className="filter-text">
          <input
            ref={filterInput}
            data-testid="frame-filter"
            className={matcher.error ? 'invalid' : ''}
            placeholder="Filter: text or /regex/i  (Ctrl+F)"
            value={filter.text}
            onChange={(e) => set('text', e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') set('text', '');
            }}
            spellCheck={false}
            aria-label="Filter payloads"
          />
          <ToggleButton on={filter.regex} title="Regular expression" testId="filter-regex" onToggle={() => set('regex', !filter.regex)} label=".*" />
          <ToggleButton on={filter.caseSensitive} title="Match case" testId="filter-case" onToggle={() => set('caseSensitive', !filter.caseSensitive)} label="Aa" />
        </div>
        <div className="segmented" role="group" aria-label="Direction">
          {(
            [
              ['', 'both'],
              ['in', '↓ in'],
              ['out', '↑ out'],
            ] as const
          ).map(([value, label]) => (
            <button key={value} className={filter.direction === value ? 'on' : ''} onClick={() => set('direction', value)} data-testid={`filter-dir-${value || 'both'}`}>
              {label}
            </button>
          ))}
        </div>
        <div className="chips" role="group" aria-label="Opcode classes">
          {ALL_CLASSES.map((c) => (
            <button
              key={c}
              className={`chip chip-${c} ${filter.classes.includes(c) ? 'on' : ''}`}
              aria-pressed={filter.classes.includes(c)}
              title={`${CLASS_LABELS[c]} frames (Alt+click: only these)`}
              data-testid={`filter-class-${c}`}
              onClick={(e) => toggleClass(c, e.altKey)}
            >
              {CLASS_LABELS[c]}
            </button>
          ))}
        </div>
        {connectionId === null && (
          <select value={filter.connectionId} onChange={(e) => set('connectionId', e.target.value)} data-testid="filter-connection" aria-label="Connection">
            <option value="">all connections</option>
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id} · {c.url}
              </option>
            ))}
          </select>
        )}
      </div>
      {built.error && (
        <p className="error filter-error" role="alert" data-testid="filter-error">
          {built.error}
        </p>
      )}
      {view.status === 'error' && view.error && (
        <p className="error filter-error" role="alert" data-testid="filter-error">
          {view.error}
        </p>
      )}
      <div className="view-bar">
        <div className="segmented" role="group" aria-label="Rows">
          <button className={filter.unit === 'frames' ? 'on' : ''} onClick={() => set('unit', 'frames')} data-testid="unit-frames">
            Frames
          </button>
          <button className={filter.unit === 'messages' ? 'on' : ''} onClick={() => set('unit', 'messages')} data-testid="unit-messages" title="Fragments folded into their message">
            Messages
          </button>
        </div>
        <label className="toggle inline-toggle" title="Log tails and Framescope's log on the same timeline as the frames">
          <input type="checkbox" checked={interleave} onChange={(e) => setInterleave(e.target.checked)} data-testid="interleave-logs" /> log lines
        </label>
        {!showTime && !filter.from && !filter.to ? (
          <button className="small" onClick={() => setShowTime(true)} data-testid="show-time-range" title="Only frames captured in a time range">
            time range…
          </button>
        ) : (
        <div className="time-range" role="group" aria-label="Time range">
          <input className="time-input" placeholder="from HH:MM:SS" value={filter.from} onChange={(e) => set('from', e.target.value)} data-testid="filter-from" />
          <span className="muted">–</span>
          <input className="time-input" placeholder="to" value={filter.to} onChange={(e) => set('to', e.target.value)} data-testid="filter-to" />
          {selectedTime !== null && (
            <>
              <button className="small" title="Start the range at the selected frame" onClick={() => set('from', formatTime(selectedTime).slice(0, 12))}>
                from sel.
              </button>
              <button className="small" title="End the range at the selected frame" onClick={() => set('to', formatTime(selectedTime).slice(0, 12))}>
                to sel.
              </button>
            </>
          )}
          <button
            className="icon"
            title="Any time"
            onClick={() => {
              setFilter((f) => ({ ...f, from: '', to: '' }));
              setShowTime(false);
            }}
          >
            ×
          </button>
        </div>
        )}
        <span className="view-status" data-testid="view-status">
          <strong>{view.length.toLocaleString()}</strong>{' '}
          {narrowed ? 'matching' : filter.unit === 'messages' ? 'messages' : 'frames'}
          {narrowed && connectionId === null && <> of {cap.frames.toLocaleString()}</>}
          {scanning && (
            <span className="scan-progress" data-testid="scan-progress">
              {' '}
              · scanning {Math.round(view.progress * 100)} %
            </span>
          )}
          {connectionInfo?.role === 'imported' && <span className="badge">imported from {connectionInfo.source}</span>}
        </span>
        {cap.evicted > 0 && (
          <span className="badge warn" data-testid="evicted-count" title={`The capture keeps at most ${formatBytes(cap.budgetBytes)}; the oldest frames were dropped to stay within it`}>
            {cap.evicted.toLocaleString()} evicted
          </span>
        )}
        {store.rows.skipped > 0 && (
          <span
            className="badge warn"
            data-testid="skipped-count"
            title="Frames the live stream did not bring to this window (it opened late or fell behind). They are still in the capture: they load as you scroll, and filters and exports include them."
          >
            {store.rows.skipped.toLocaleString()} skipped · load on scroll
          </span>
        )}
        {loader.error && <span className="error">{loader.error}</span>}
        {notice && (
          <span className="status notice" data-testid="frames-notice">
            {notice}
          </span>
        )}
        <span className="spacer" />
        <button className="small" onClick={() => setPopover(popover === 'import' ? null : 'import')} data-testid="open-import">
          Open HAR…
        </button>
        <button className="small" onClick={() => setPopover(popover === 'export' ? null : 'export')} data-testid="open-export">
          Export…
        </button>
        {confirmingClear ? (
          <span
            className="warning clear-confirm"
            role="alertdialog"
            aria-label="Clear the capture"
            data-testid="clear-confirm"
            onKeyDown={(e) => {
              if (e.key === 'Escape') endClearQuestion();
            }}
          >
            Clear all {cap.frames.toLocaleString()} captured frames{connectionId !== null && ', of every connection, not only this one'}?{' '}
            <button className="small" onClick={() => void clear()} data-testid="clear-confirm-yes">
              Clear all
            </button>{' '}
            {/* The safe answer has focus: Enter right after an accidental Ctrl+L keeps the frames. */}
            <button className="small" onClick={endClearQuestion} autoFocus data-testid="clear-confirm-no">
              Keep
            </button>
          </span>
        ) : (
          <button className="small" onClick={askClear} title="Clear all captured frames, of every connection (Ctrl+L)" data-testid="clear-capture">
            Clear
          </button>
        )}
        {popover === 'export' && <ExportPopover api={api} connectionId={connectionId} onClose={() => setPopover(null)} />}
        {popover === 'import' && (
          <ImportPopover
            api={api}
            onClose={() => setPopover(null)}
            onImported={(ids) => {
              if (ids[0] && onOpenConnection) onOpenConnection(ids[0]);
            }}
          />
        )}
      </div>
      <FrameTable
        view={view}
        rows={store.rows}
        loader={loader}
        lines={lines}
        unit={filter.unit}
        showConnection={connectionId === null}
        selectedId={selectedId}
        onSelect={onSelect}
        timeMode={timeMode}
        onTimeMode={setTimeMode}
        highlight={highlight}
        version={version}
        loaded={loaded}
        empty={
          filtered ? (
            scanning ? 'Scanning…' : 'No frames match the filter.'
          ) : (
            <>No frames yet. Connect and send a message: every frame on the wire shows up here.</>
          )
        }
      />
    </section>
  );
}

function ToggleButton(props: { on: boolean; title: string; testId: string; label: string; onToggle(): void }) {
  return (
    <button className={`toggle-button ${props.on ? 'on' : ''}`} aria-pressed={props.on} title={props.title} data-testid={props.testId} onClick={props.onToggle}>
      {props.label}
    </button>
  );
}
