import { useEffect, useState } from 'react';
import type { FramescopeApi, HandshakeView } from '../../../../shared/contract';

interface Props {
  api: FramescopeApi;
  connectionId: string;
  /** Changes when the connection's state changes, to refetch. */
  stateKey: string;
}

const ms = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(1)} ms`);

/** The handshake of one connection: raw heads, timings, TLS, negotiated values and the RFC checklist. */
export function HandshakePanel({ api, connectionId, stateKey }: Props) {
  const [view, setView] = useState<HandshakeView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void api.getHandshake({ connectionId }).then((result) => {
      if (!live) return;
      setView(result.ok ? result.value : null);
      setError(result.ok ? null : result.error);
    });
    return () => {
      live = false;
    };
  }, [api, connectionId, stateKey]);

  if (error) return <div className="handshake"><p className="error">{error}</p></div>;
  if (!view) return <div className="handshake">Loading…</div>;
  return (
    <div className="handshake" data-testid="handshake-panel">
      {view.error && <p className="error banner" role="alert" data-testid="handshake-error">{view.error}</p>}
      <div className="handshake-summary">
        <span>Subprotocol: <code>{view.subprotocol ?? '(none)'}</code></span>
        <span>Extensions: <code>{view.extensions ?? '(none)'}</code></span>
        <span>DNS {ms(view.timings.dnsMs)} · TCP {ms(view.timings.connectMs)} · TLS {ms(view.timings.tlsMs)} · upgrade {ms(view.timings.upgradeMs)}</span>
      </div>
      {view.hops.length > 1 && (
        <ol className="hops">
          {view.hops.map((hop, i) => (
            <li key={i}><code>{hop.url}</code> {hop.status ?? ''} {hop.location ? `→ ${hop.location}` : ''}</li>
          ))}
        </ol>
      )}
      <div className="heads">
        <section>
          <h4>Request</h4>
          <pre data-testid="handshake-request">{view.request?.raw ?? '(not sent)'}</pre>
        </section>
        <section>
          <h4>Response</h4>
          <pre data-testid="handshake-response">{view.response ? view.response.raw + (view.response.body ? `\n${view.response.body}` : '') : '(no response)'}</pre>
        </section>
      </div>
      <h4>RFC 6455 checklist</h4>
      <ul className="checklist" data-testid="handshake-checks">
        {view.checks.map((check) => (
          <li key={check.id} className={check.pass ? 'pass' : 'fail'} title={check.rule}>
            <span className="mark">{check.pass ? '✓' : '✗'}</span> <strong>{check.label}</strong> — {check.detail}
            <span className="rule"> ({check.rule})</span>
          </li>
        ))}
      </ul>
      {view.tls && (
        <>
          <h4>TLS</h4>
          <p>
            {view.tls.protocol} · {view.tls.cipher} · ALPN {view.tls.alpn || 'none'} ·{' '}
            {view.tls.authorized ? 'certificate verified' : `not verified: ${view.tls.authorizationError ?? 'verification off'}`}
          </p>
          <ol className="chain">
            {view.tls.chain.map((cert, i) => (
              <li key={i}>
                <strong>{cert.subject}</strong> issued by {cert.issuer}, valid {cert.validFrom} – {cert.validTo}
                <br />
                <code className="fingerprint">{cert.fingerprint256}</code>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
