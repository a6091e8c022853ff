import { useState } from 'react';
import type { FramescopeApi, RouteConfig, StartServerRequest } from '../../../../shared/contract';
import type { AppName } from '../../../../shared/records';
import { ErrorText, Field, Select, Toggle } from '../../components/controls';

const APPS: ReadonlyArray<readonly [AppName, string]> = [
  ['echo', 'echo'],
  ['chat', 'chat'],
  ['pubsub', 'pub/sub'],
  ['log-view', 'log-view'],
  ['periodic', 'periodic'],
  ['script', 'script'],
];

const OPTION_HINTS: Record<AppName, string> = {
  echo: '',
  chat: '',
  pubsub: '',
  'log-view': '{"files": ["/var/log/app.log"], "intervalMs": 1000}',
  periodic: '{"intervalMs": 2000, "template": "tick {{counter}} {{iso}}", "aliveTimeoutMs": 10000}',
  script: '{"file": "/path/to/handlers.mjs"}',
};

interface RouteDraft {
  match: 'exact' | 'prefix' | 'filter';
  path: string;
  app: AppName;
  options: string;
  maxConnections: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Start a listener: host, port, TLS, routes with their apps, handshake policy and limits. */
export function ServerForm({ api, onStarted }: { api: FramescopeApi; onStarted(serverId: string): void }) {
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('0');
  const [tls, setTls] = useState<'none' | 'self-signed' | 'files'>('none');
  const [certFile, setCertFile] = useState('');
  const [keyFile, setKeyFile] = useState('');
  const [caFile, setCaFile] = useState('');
  const [routes, setRoutes] = useState<RouteDraft[]>([{ match: 'exact', path: '/echo', app: 'echo', options: '', maxConnections: '' }]);
  const [showPolicy, setShowPolicy] = useState(false);
  const [origins, setOrigins] = useState('');
  const [subprotocols, setSubprotocols] = useState('');
  const [credKind, setCredKind] = useState<'none' | 'basic' | 'bearer'>('none');
  const [user, setUser] = useState('');
  const [secret, setSecret] = useState('');
  const [maxConnections, setMaxConnections] = useState('');
  const [heartbeat, setHeartbeat] = useState('');
  const [deadPeer, setDeadPeer] = useState('');
  const [maxPayload, setMaxPayload] = useState('');
  const [deflate, setDeflate] = useState(false);
  const [clientCert, setClientCert] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));
  const list = (s: string): string[] | undefined => {
    const items = s.split(',').map((x) => x.trim()).filter(Boolean);
    return items.length ? items : undefined;
  };

  const start = async (): Promise<void> => {
    const routeConfigs: RouteConfig[] = [];
    for (const [i, r] of routes.entries()) {
      let options: Record<string, unknown> | undefined;
      if (r.options.trim() !== '') {
        try {
          options = JSON.parse(r.options) as Record<string, unknown>;
        } catch (e) {
          setError(`route ${i + 1} options: not valid JSON (${(e as Error).message})`);
          return;
        }
      }
      routeConfigs.push({ match: r.match, path: r.path, app: r.app, options, maxConnections: num(r.maxConnections) });
    }
    const request: StartServerRequest = {
      host: host.trim(),
      port: Number(port.trim() === '' ? '0' : port),
      tls: tls === 'none' ? undefined : tls === 'self-signed' ? { mode: 'self-signed' } : { mode: 'files', certFile, keyFile, caFile: caFile || undefined },
      routes: routeConfigs,
      policy: {
        originAllowList: list(origins),
        subprotocols: list(subprotocols),
        credentials: credKind === 'basic' ? { kind: 'basic', username: user, password: secret } : credKind === 'bearer' ? { kind: 'bearer', token: secret } : undefined,
        maxConnections: num(maxConnections),
        heartbeatMs: num(heartbeat),
        deadPeerTimeoutMs: num(deadPeer),
        maxPayload: num(maxPayload),
        deflate: deflate ? {} : false,
        requireClientCertificate: clientCert || undefined,
      },
    };
    setBusy(true);
    const result = await api.startServer(request);
    setBusy(false);
    setError(result.ok ? null : result.error);
    if (result.ok) onStarted(result.value.id);
  };

  const updateRoute = (i: number, change: Partial<RouteDraft>): void =>
    setRoutes(routes.map((r, k) => (k === i ? { ...r, ...change } : r)));

  return (
    <section className="panel server-form" aria-label="New server">
      <h2>Local server</h2>
      <div className="field-row">
        <Field label="Host">
          <input data-testid="server-host" value={host} onChange={(e) => setHost(e.target.value)} />
        </Field>
        <Field label="Port (0 = any)">
          <input data-testid="server-port" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" />
        </Field>
      </div>
      {!LOOPBACK.has(host.trim()) && (
        <p className="warning" role="alert">Listening on {host} lets other machines connect to this test server.</p>
      )}
      <Field label="Transport">
        <Select value={tls} options={[['none', 'ws:// (plain)'], ['self-signed', 'wss:// self-signed for localhost'], ['files', 'wss:// with my certificate']] as const} onChange={setTls} testId="server-tls" />
      </Field>
      {tls === 'files' && (
        <>
          <Field label="Certificate (PEM)"><input value={certFile} onChange={(e) => setCertFile(e.target.value)} /></Field>
          <Field label="Key (PEM)"><input value={keyFile} onChange={(e) => setKeyFile(e.target.value)} /></Field>
          <Field label="CA (PEM, optional)"><input value={caFile} onChange={(e) => setCaFile(e.target.value)} /></Field>
        </>
      )}
      <h3>Routes</h3>
      {routes.map((r, i) => (
        <div className="route" key={i}>
          <div className="route-row">
            <Select value={r.match} options={[['exact', '='], ['prefix', 'prefix'], ['filter', 'filter +/#']] as const} onChange={(v) => updateRoute(i, { match: v })} />
            <input data-testid="server-path" value={r.path} onChange={(e) => updateRoute(i, { path: e.target.value })} spellCheck={false} />
            <Select value={r.app} options={APPS} onChange={(v) => updateRoute(i, { app: v })} testId="server-app" />
            <button type="button" className="icon" title="Remove route" onClick={() => setRoutes(routes.filter((_, k) => k !== i))}>×</button>
          </div>
          {OPTION_HINTS[r.app] && (
            <textarea className="options" placeholder={OPTION_HINTS[r.app]} value={r.options} onChange={(e) => updateRoute(i, { options: e.target.value })} spellCheck={false} />
          )}
        </div>
      ))}
      <button type="button" className="link" onClick={() => setRoutes([...routes, { match: 'exact', path: '/', app: 'echo', options: '', maxConnections: '' }])}>
        + add route
      </button>
      <button type="button" className="link" onClick={() => setShowPolicy(!showPolicy)}>
        {showPolicy ? '− policy and limits' : '+ policy and limits'}
      </button>
      {showPolicy && (
        <div className="policy">
          <Field label="Allowed Origins (comma separated; empty = any)"><input value={origins} onChange={(e) => setOrigins(e.target.value)} /></Field>
          <Field label="Subprotocols (preference order)"><input value={subprotocols} onChange={(e) => setSubprotocols(e.target.value)} /></Field>
          <Field label="Required credentials">
            <Select value={credKind} options={[['none', 'none'], ['basic', 'Basic'], ['bearer', 'Bearer']] as const} onChange={setCredKind} />
          </Field>
          {credKind === 'basic' && <Field label="Username"><input value={user} onChange={(e) => setUser(e.target.value)} /></Field>}
          {credKind !== 'none' && <Field label={credKind === 'basic' ? 'Password' : 'Token'}><input value={secret} onChange={(e) => setSecret(e.target.value)} /></Field>}
          <Field label="Max connections (503 beyond)"><input data-testid="server-max-connections" value={maxConnections} onChange={(e) => setMaxConnections(e.target.value)} /></Field>
          <Field label="Max message bytes (1009 beyond)"><input value={maxPayload} onChange={(e) => setMaxPayload(e.target.value)} /></Field>
          <Field label="Heartbeat ping every (ms)"><input value={heartbeat} onChange={(e) => setHeartbeat(e.target.value)} /></Field>
          <Field label="Dead peer after (ms)"><input value={deadPeer} onChange={(e) => setDeadPeer(e.target.value)} /></Field>
          <Toggle label="permessage-deflate" checked={deflate} onChange={setDeflate} />
          {tls !== 'none' && <Toggle label="Require a client certificate" checked={clientCert} onChange={setClientCert} />}
        </div>
      )}
      <button data-testid="server-start" className="primary" disabled={busy} onClick={() => void start()}>
        {busy ? 'Starting…' : 'Start server'}
      </button>
      <ErrorText error={error} />
    </section>
  );
}
