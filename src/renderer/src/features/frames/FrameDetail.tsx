import { useEffect, useMemo, useState } from 'react';
import type { FramescopeApi } from '../../../../shared/contract';
import type { FrameDetail as Detail } from '../../../../shared/records';
import { formatBytes, formatTime } from '../../format';
import { formatDuration } from './format';
import { HeaderBits } from './HeaderBits';
import { JsonTree, parseJson } from './JsonTree';

interface Props {
  api: FramescopeApi;
  id: number | null;
  /** Jump to another row (the first or last frame of a message). */
  onSelect?(id: number): void;
}

/** Bytes of hexdump drawn at first; more on request (a 16 MiB frame is 1 M lines). */
const HEX_PAGE = 16 * 1024;
const FETCH_LIMIT = 1024 * 1024;

export function hexdump(hex: string, maxBytes = Infinity): string {
  const lines: string[] = [];
  const bytes = Math.min(hex.length / 2, maxBytes);
  for (let offset = 0; offset < bytes; offset += 16) {
    const row = hex.slice(offset * 2, Math.min(offset + 16, bytes) * 2).match(/../g) ?? [];
    const ascii = row.map((b) => {
      const c = parseInt(b, 16);
      return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    });
    const left = row.slice(0, 8).join(' ');
    const right = row.slice(8).join(' ');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii.join('')}|`);
  }
  return lines.join('\n');
}

type PayloadTab = 'text' | 'json' | 'hex';

/** The selected frame, fetched from the main-side store: header bit by bit, payload as text, JSON and hex. */
export function FrameDetailPane({ api, id, onSelect }: Props) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<PayloadTab | null>(null);
  const [hexBytes, setHexBytes] = useState(HEX_PAGE);

  useEffect(() => {
    if (id === null) return;
    let live = true;
    setHexBytes(HEX_PAGE);
    void api.getFrame({ id, maxPayloadBytes: FETCH_LIMIT }).then((result) => {
      if (!live) return;
      setDetail(result.ok ? result.value : null);
      setError(result.ok ? null : result.error);
    });
    return () => {
      live = false;
    };
  }, [api, id]);

  const text = detail?.messageText ?? detail?.text;
  const json = useMemo(() => parseJson(text), [text]);
  // The pane re-renders with the app (a log tail can change it many times a second): a page of hexdump is built once.
  const payloadDump = useMemo(() => (detail ? hexdump(detail.payloadHex, hexBytes) : ''), [detail, hexBytes]);

  if (id === null) {
    return (
      <aside className="detail empty">
        <p>Select a frame to see its header bit by bit, its payload as text, JSON and hex, and what it means.</p>
        <p className="muted shortcuts">
          <kbd>Ctrl</kbd>+<kbd>F</kbd> filter · <kbd>Ctrl</kbd>+<kbd>L</kbd> clear · <kbd>↑</kbd>/<kbd>↓</kbd> move · <kbd>End</kbd> follow ·{' '}
          <kbd>Ctrl</kbd>+<kbd>Enter</kbd> send
        </p>
      </aside>
    );
  }
  if (error) {
    return (
      <aside className="detail" data-testid="frame-detail-error">
        <p className="error">{error}</p>
      </aside>
    );
  }
  if (!detail || detail.id !== id) return <aside className="detail">Loading…</aside>;

  const shownTab: PayloadTab = tab ?? (json ? 'json' : text !== undefined ? 'text' : 'hex');
  const m = detail.message;
  const cut = detail.payloadShown !== undefined && detail.payloadShown < detail.length;

  return (
    <aside className="detail" data-testid="frame-detail">
      <h3>
        #{detail.id} {detail.kind === 'violation' ? 'violation' : detail.opcodeName} · {detail.direction === 'out' ? 'sent ↑' : 'received ↓'}
      </h3>
      <p className="detail-sub muted">
        {detail.connectionId} · {formatTime(detail.time)} · {new Date(detail.time).toLocaleDateString()}
      </p>
      {detail.violation && (
        <div className="violation-box" data-testid="violation-box">
          <strong>{detail.violation.code}</strong> → close {detail.violation.closeCode}
          {detail.violation.section && <span className="badge">{detail.violation.section}</span>}
          <p>{detail.violation.message}</p>
          {detail.violation.explanation && <p>{detail.violation.explanation}</p>}
          <p className="rule">{detail.violation.rule}</p>
        </div>
      )}
      {detail.kind === 'frame' && (
        <>
          <h4>Header</h4>
          <HeaderBits headerHex={detail.headerHex} />
          <dl className="bits">
            <dt>Opcode</dt>
            <dd>
              0x{detail.opcode.toString(16)} {detail.opcodeName}
            </dd>
            <dt>MASK</dt>
            <dd>{detail.masked ? `1 · key ${detail.maskKeyHex}` : '0 · not masked'}</dd>
            <dt>Payload length</dt>
            <dd>
              {detail.length.toLocaleString()} B{detail.length >= 1024 ? ` (${formatBytes(detail.length)})` : ''} · {detail.lengthEncoding}-bit encoding
            </dd>
            <dt>Stream offset</dt>
            <dd>{detail.offset.toLocaleString()}</dd>
            {detail.closeCode !== undefined && (
              <>
                <dt>Close code</dt>
                <dd data-testid="detail-close-code">
                  {detail.closeCode} {detail.closeCodeName}
                  {detail.closeReason ? ` · "${detail.closeReason}"` : ''}
                  {detail.closeCodeMeaning && <span className="muted"> — {detail.closeCodeMeaning}</span>}
                </dd>
              </>
            )}
            {m && (
              <>
                <dt>Message</dt>
                <dd data-testid="message-info">
                  {m.frames} frame{m.frames > 1 ? 's' : ''} (
                  <button className="link inline" onClick={() => onSelect?.(m.headId)}>#{m.headId}</button>
                  {m.lastId !== m.headId && (
                    <>
                      {' … '}
                      <button className="link inline" onClick={() => onSelect?.(m.lastId)}>#{m.lastId}</button>
                    </>
                  )}
                  ){m.complete ? '' : ', still arriving'}
                </dd>
                {m.compressed && (
                  <>
                    <dt>Compressed</dt>
                    <dd data-testid="compression">
                      {formatBytes(m.wireLength)} on the wire
                      {m.inflatedLength !== undefined
                        ? ` → ${formatBytes(m.inflatedLength)} inflated (${m.inflatedLength > 0 ? Math.round((m.wireLength / m.inflatedLength) * 100) : 100} %)`
                        : ' · inflated size known once complete'}
                    </dd>
                  </>
                )}
                {!m.compressed && (
                  <>
                    <dt>Message size</dt>
                    <dd>{formatBytes(m.wireLength)}</dd>
                  </>
                )}
              </>
            )}
          </dl>
          <h4 className="payload-head">
            Payload{detail.messageText !== undefined && m && m.frames > 1 ? ' (whole message)' : ''}
            <span className="tabs small-tabs" role="tablist">
              {(['text', 'json', 'hex'] as const).map((t) => (
                <button
                  key={t}
                  role="tab"
                  aria-selected={shownTab === t}
                  className={shownTab === t ? 'active' : ''}
                  disabled={(t === 'json' && !json) || (t === 'text' && text === undefined)}
                  onClick={() => setTab(t)}
                  data-testid={`payload-tab-${t}`}
                >
                  {t === 'json' ? 'JSON' : t === 'hex' ? 'Hex' : 'Text'}
                </button>
              ))}
            </span>
          </h4>
          {cut && <p className="muted">Showing the first {formatBytes(detail.payloadShown ?? 0)} of {formatBytes(detail.length)}.</p>}
          {shownTab === 'json' && json && <JsonTree value={json.value} />}
          {shownTab === 'text' && text !== undefined && <pre className="text" data-testid="payload-text">{text}</pre>}
          {shownTab === 'hex' && (
            <>
              <pre className="hex" data-testid="payload-hex">{payloadDump || '(empty)'}</pre>
              {detail.payloadHex.length / 2 > hexBytes && (
                <button className="small" onClick={() => setHexBytes((n) => n * 8)}>
                  Show more ({formatBytes(detail.payloadHex.length / 2 - hexBytes)} left)
                </button>
              )}
            </>
          )}
          <h4>Header bytes</h4>
          <pre className="hex">{hexdump(detail.headerHex)}</pre>
          <p className="muted timing">
            Captured {formatTime(detail.time)} ({formatDuration(Date.now() - detail.time)} ago)
          </p>
        </>
      )}
    </aside>
  );
}
