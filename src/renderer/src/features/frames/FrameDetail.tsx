import { useEffect, useState } from 'react';
import type { FramescopeApi } from '../../../../shared/contract';
import type { FrameDetail as Detail } from '../../../../shared/records';

interface Props {
  api: FramescopeApi;
  id: number | null;
}

function hexdump(hex: string): string {
  const lines: string[] = [];
  for (let offset = 0; offset < hex.length / 2; offset += 16) {
    const bytes = hex.slice(offset * 2, offset * 2 + 32).match(/../g) ?? [];
    const ascii = bytes.map((b) => {
      const c = parseInt(b, 16);
      return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    });
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${bytes.join(' ').padEnd(47)}  ${ascii.join('')}`);
  }
  return lines.join('\n');
}

/** The selected frame, fetched from the main-side store: header fields and payload. */
export function FrameDetailPane({ api, id }: Props) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (id === null) return;
    let live = true;
    void api.getFrame({ id }).then((result) => {
      if (!live) return;
      setDetail(result.ok ? result.value : null);
      setError(result.ok ? null : result.error);
    });
    return () => {
      live = false;
    };
  }, [api, id]);

  if (id === null) return <aside className="detail empty">Select a frame to see its header bit by bit.</aside>;
  if (error) return <aside className="detail"><p className="error">{error}</p></aside>;
  if (!detail) return <aside className="detail">Loading…</aside>;
  return (
    <aside className="detail" data-testid="frame-detail">
      <h3>
        #{detail.id} {detail.violation ? 'violation' : detail.opcodeName} · {detail.direction === 'out' ? 'sent' : 'received'}
      </h3>
      {detail.violation && (
        <div className="violation-box">
          <strong>{detail.violation.code}</strong> → close {detail.violation.closeCode}
          <p>{detail.violation.message}</p>
          <p className="rule">{detail.violation.rule}</p>
        </div>
      )}
      <dl className="bits">
        <dt>FIN</dt><dd>{detail.fin ? 1 : 0}</dd>
        <dt>RSV1 RSV2 RSV3</dt><dd>{+detail.rsv1} {+detail.rsv2} {+detail.rsv3}</dd>
        <dt>Opcode</dt><dd>0x{detail.opcode.toString(16)} ({detail.opcodeName})</dd>
        <dt>MASK</dt><dd>{detail.masked ? `1 (key ${detail.maskKeyHex})` : 0}</dd>
        <dt>Payload length</dt><dd>{detail.length} ({detail.lengthEncoding}-bit encoding)</dd>
        <dt>Stream offset</dt><dd>{detail.offset}</dd>
        {detail.closeCode !== undefined && (<><dt>Close</dt><dd>{detail.closeCode} {detail.closeReason}</dd></>)}
      </dl>
      {detail.text !== undefined && (<><h4>Text</h4><pre className="text">{detail.text}</pre></>)}
      <h4>Header</h4>
      <pre className="hex">{hexdump(detail.headerHex)}</pre>
      <h4>Payload</h4>
      <pre className="hex">{hexdump(detail.payloadHex) || '(empty)'}</pre>
    </aside>
  );
}
