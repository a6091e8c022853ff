import { useEffect, useMemo, useState } from 'react';
import type { FramescopeApi } from '../../shared/contract';
import { ConnectBar } from './features/client/ConnectBar';
import { Composer } from './features/client/Composer';
import { FrameDetailPane } from './features/frames/FrameDetail';
import { FrameTable } from './features/frames/FrameTable';
import { ServerPanel } from './features/server/ServerPanel';
import { formatBytes } from './format';
import { useStoreVersion, type AppStore } from './state/app-store';

interface Props {
  api: FramescopeApi;
  store: AppStore;
}

export function App({ api, store }: Props) {
  const version = useStoreVersion(store);
  const [url, setUrl] = useState('');
  const [selectedFrame, setSelectedFrame] = useState<number | null>(null);
  useEffect(() => store.start(), [store]);

  const servers = [...store.servers.values()];
  const connections = [...store.connections.values()];
  const selected = store.selectedConnectionId ? store.connections.get(store.selectedConnectionId) : undefined;
  const view = useMemo(
    () => (store.selectedConnectionId ? store.rows.rowsOf(store.selectedConnectionId) : []),
    [store, store.selectedConnectionId, version],
  );

  return (
    <div className="app">
      <header className="topbar">
        <h1>
          <span className="logo">◧</span> Framescope
        </h1>
        <span className="host-badge">{api.host === 'electron' ? 'desktop' : 'browser host'}</span>
        <span className="stats" data-testid="capture-stats">
          {store.capture.frames.toLocaleString()} frames · {formatBytes(store.capture.bytes)}
          {store.capture.evicted > 0 && ` · ${store.capture.evicted.toLocaleString()} evicted`}
        </span>
      </header>
      <aside className="sidebar">
        <ServerPanel api={api} servers={servers} onUseUrl={setUrl} />
        <section className="panel" aria-label="Connections">
          <h2>Connections</h2>
          {connections.length === 0 && <p className="hint">None yet.</p>}
          <ul className="connection-list">
            {connections.map((c) => (
              <li key={c.id}>
                <button
                  data-testid="connection-tab"
                  className={c.id === store.selectedConnectionId ? 'active' : ''}
                  onClick={() => store.select(c.id)}
                  title={c.error ?? c.url}
                >
                  <span className={`dot ${c.state}`} />
                  <span className="role">{c.role === 'client' ? 'client' : 'server'}</span>
                  <span className="conn-url">{c.url}</span>
                  <span className="state" data-testid="connection-state">{c.state}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      </aside>
      <main className="workspace">
        <ConnectBar api={api} url={url} onUrlChange={setUrl} />
        {selected?.error && <p className="error banner" role="alert">{selected.error}</p>}
        <FrameTable rows={store.rows} view={view} version={version} selectedId={selectedFrame} onSelect={setSelectedFrame} />
        <Composer api={api} connection={selected} />
      </main>
      <FrameDetailPane api={api} id={selectedFrame} />
    </div>
  );
}
