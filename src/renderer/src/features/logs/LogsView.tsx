import { useEffect, useMemo, useRef, useState } from 'react';
import type { FramescopeApi, TailRecord } from '../../../../shared/contract';
import { ErrorText, Field, Toggle } from '../../components/controls';
import { formatTime } from '../../format';
import type { AppStore } from '../../state/app-store';

interface Props {
  api: FramescopeApi;
  store: AppStore;
  version: number;
}

const OWN_LOG = 'framescope';
const ROW_HEIGHT = 20;

interface Line {
  time: number;
  kind: string;
  text: string;
}

/** Compile what the person typed as a filter: /regex/flags or plain text; errors are shown, not thrown. */
function compileFilter(input: string): { test(text: string): boolean; error?: string } {
  const trimmed = input.trim();
  if (trimmed === '') return { test: () => true };
  const regex = /^\/(.*)\/([a-z]*)$/.exec(trimmed);
  if (regex) {
    try {
      const re = new RegExp(regex[1], regex[2].replace('g', ''));
      return { test: (text) => re.test(text) };
    } catch (error) {
      return { test: () => true, error: `not a valid regular expression: ${(error as Error).message}` };
    }
  }
  const needle = trimmed.toLowerCase();
  return { test: (text) => text.toLowerCase().includes(needle) };
}

function Highlighted({ text, term }: { text: string; term: string }) {
  if (!term) return <>{text}</>;
  const parts = text.split(new RegExp(`(${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`, 'gi'));
  return <>{parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : part))}</>;
}

/** Tail any number of files, plus Framescope's own log: follow, pause, filter, highlight. */
export function LogsView({ api, store, version }: Props) {
  const [path, setPath] = useState('');
  const [interval, setIntervalMs] = useState('250');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string>(OWN_LOG);
  const [filter, setFilter] = useState('');
  const [highlight, setHighlight] = useState('');
  const [follow, setFollow] = useState(true);
  const [paused, setPaused] = useState<Line[] | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);

  const tails = [...store.tails.values()];
  const live: Line[] = useMemo(() => {
    if (selected === OWN_LOG) return store.logs.map((l) => ({ time: l.time, kind: l.level, text: `[${l.source}] ${l.message}` }));
    return (store.tailLines.get(selected) ?? []).map((r: TailRecord) => ({ time: r.time, kind: r.kind, text: r.text }));
    // version: the arrays grow in place.
  }, [store, selected, version]);
  const compiled = useMemo(() => compileFilter(filter), [filter]);
  const lines = useMemo(() => (paused ?? live).filter((l) => compiled.test(l.text)), [paused, live, compiled]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    const el = scroller.current;
    if (el && follow && !paused) el.scrollTop = el.scrollHeight;
  }, [lines.length, follow, paused]);

  const start = async (): Promise<void> => {
    const result = await api.startTail({ path, intervalMs: Number(interval) });
    setError(result.ok ? null : result.error);
    if (result.ok) {
      setSelected(result.value.id);
      setPath('');
    }
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - 10);
  const last = Math.min(lines.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + 10);
  const current = store.tails.get(selected);

  return (
    <div className="logs-view" data-testid="logs-view">
      <form
        className="tail-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <Field label="Follow a file">
          <input data-testid="tail-path" placeholder="/var/log/app.log" value={path} onChange={(e) => setPath(e.target.value)} spellCheck={false} />
        </Field>
        <Field label="Refresh (ms)">
          <input className="narrow" value={interval} onChange={(e) => setIntervalMs(e.target.value)} />
        </Field>
        <button className="primary" data-testid="tail-start" type="submit">Tail</button>
      </form>
      <ErrorText error={error} />
      <div className="tabs" role="tablist">
        <button className={selected === OWN_LOG ? 'active' : ''} onClick={() => setSelected(OWN_LOG)}>Framescope log</button>
        {tails.map((t) => (
          <button key={t.id} className={selected === t.id ? 'active' : ''} onClick={() => setSelected(t.id)} title={t.path} data-testid="tail-tab">
            <span className={`dot ${t.state === 'following' ? 'ok' : t.state === 'stopped' ? '' : 'failed'}`} /> {t.path.split('/').pop()}
          </button>
        ))}
      </div>
      <div className="log-toolbar">
        <input data-testid="log-filter" placeholder="filter: text or /regex/i" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <input placeholder="highlight" value={highlight} onChange={(e) => setHighlight(e.target.value)} />
        <Toggle label="Follow" checked={follow} onChange={setFollow} />
        <button data-testid="log-pause" onClick={() => setPaused(paused ? null : live.slice())}>{paused ? 'Resume' : 'Pause'}</button>
        {current && current.state !== 'stopped' && <button onClick={() => void api.stopTail({ id: current.id })}>Stop tail</button>}
        <span className="muted">{current ? `${current.path} · ${current.state}${current.error ? `: ${current.error}` : ''}` : ''} · {lines.length.toLocaleString()} lines</span>
      </div>
      <ErrorText error={compiled.error} />
      <div className="log-scroll" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="log-lines">
        <div style={{ height: lines.length * ROW_HEIGHT, position: 'relative' }}>
          {lines.slice(first, last).map((line, i) => (
            <div
              key={first + i}
              className={`log-row ${line.kind}`}
              data-testid="log-line"
              data-kind={line.kind}
              style={{ transform: `translateY(${(first + i) * ROW_HEIGHT}px)` }}
            >
              <span className="muted">{formatTime(line.time)}</span> <Highlighted text={line.text} term={highlight} />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
