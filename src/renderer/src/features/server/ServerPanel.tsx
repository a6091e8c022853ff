import { useState } from 'react';
import type { FramescopeApi } from '../../../../shared/contract';
import type { ServerInfo } from '../../../../shared/records';

interface Props {
  api: FramescopeApi;
  servers: ServerInfo[];
  onUseUrl(url: string): void;
}

/** Start and stop the embedded server with an echo route. */
export function ServerPanel({ api, servers, onUseUrl }: Props) {
  const [port, setPort] = useState('0');
  const [path, setPath] = useState('/echo');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async (): Promise<void> => {
    const portNumber = Number(port.trim() === '' ? '0' : port);
    if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
      setError(`port must be a whole number from 0 to 65535 (0 picks a free one), not '${port}'`);
      return;
    }
    setBusy(true);
    const result = await api.startServer({ host: '127.0.0.1', port: portNumber, routes: [{ path, app: 'echo' }] });
    setBusy(false);
    setError(result.ok ? null : result.error);
  };

  const listening = servers.filter((s) => s.state === 'listening');
  return (
    <section className="panel" aria-label="Embedded server">
      <h2>Local server</h2>
      <div className="field-row">
        <label>
          Host
          <input value="127.0.0.1" readOnly title="Servers bind to loopback only" />
        </label>
        <label>
          Port
          <input data-testid="server-port" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" title="0 picks a free port" />
        </label>
      </div>
      <label>
        Echo route
        <input data-testid="server-path" value={path} onChange={(e) => setPath(e.target.value)} />
      </label>
      <button data-testid="server-start" className="primary" disabled={busy} onClick={() => void start()}>
        Start echo server
      </button>
      {error && <p className="error" role="alert">{error}</p>}
      <ul className="server-list">
        {listening.map((server) => (
          <li key={server.id} data-testid="server-listening">
            <span className="dot ok" />
            <code data-testid="server-url">{server.url}{server.routes[0]?.path ?? ''}</code>
            <div className="server-actions">
              <button onClick={() => onUseUrl(`${server.url}${server.routes[0]?.path ?? '/'}`)}>Use</button>
              <button onClick={() => void api.stopServer({ serverId: server.id })}>Stop</button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
