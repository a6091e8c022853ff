import { useEffect, useState } from 'react';
import type { FramescopeApi } from '../../shared/contract';
import { Tabs } from './components/controls';
import { Composer } from './features/client/Composer';
import { ConnectForm, EMPTY_DRAFT, type ConnectDraft } from './features/client/ConnectForm';
import { CaptureStatsBadge } from './features/frames/CaptureStatsBadge';
import { FrameDetailPane } from './features/frames/FrameDetail';
import { FramesPanel } from './features/frames/FramesPanel';
import { ThemeToggle } from './features/frames/ThemeToggle';
import { HandshakePanel } from './features/handshake/HandshakePanel';
import { LogsView } from './features/logs/LogsView';
import { ServerForm } from './features/server/ServerForm';
import { ServerView } from './features/server/ServerView';
import { useStoreVersion, type AppStore } from './state/app-store';

interface Props {
  api: FramescopeApi;
  store: AppStore;
}

export function App({ api, store }: Props) {
  const version = useStoreVersion(store);
  const [draft, setDraft] = useState<ConnectDraft>(EMPTY_DRAFT);
  const [selectedFrame, setSelectedFrame] = useState<number | null>(null);
  const [pane, setPane] = useState<'frames' | 'handshake'>('frames');
  useEffect(() => store.start(), [store]);

  const servers = [...store.servers.values()];
  const connections = [...store.connections.values()];
  const view = store.view;
  const connection = view?.kind === 'connection' ? store.connections.get(view.id) : undefined;
  const server = view?.kind === 'server' ? store.servers.get(view.id) : undefined;

  return (
    <div className="app" data-loaded={store.loaded}>
      <header className="topbar">
        <h1>
          <span className="logo">◧</span> Framescope
        </h1>
        <span className="host-badge">{api.host === 'electron' ? 'desktop' : 'browser host'}</span>
        <CaptureStatsBadge api={api} store={store} />
        <ThemeToggle />
      </header>
      <aside className="sidebar">
        <ServerForm api={api} onStarted={(id) => store.show({ kind: 'server', id })} />
        <section className="panel" aria-label="Servers">
          <h2>Servers</h2>
          {servers.length === 0 && <p className="hint">None running.</p>}
          <ul className="server-list">
            {servers.map((s) => (
              <li key={s.id} data-testid={s.state === 'listening' ? 'server-listening' : 'server-stopped'}>
                <button className={`list-item ${view?.kind === 'server' && view.id === s.id ? 'active' : ''}`} onClick={() => store.show({ kind: 'server', id: s.id })}>
                  <span className={`dot ${s.state === 'listening' ? 'ok' : s.state}`} />
                  <code data-testid="server-url">{s.url}{s.routes[0]?.path ?? ''}</code>
                </button>
                {s.state === 'listening' && (
                  <button className="small" onClick={() => setDraft({ ...draft, url: `${s.url}${s.routes[0]?.path ?? '/'}` })}>Use</button>
                )}
              </li>
            ))}
          </ul>
        </section>
        <section className="panel" aria-label="All frames">
          <button
            data-testid="open-all-frames"
            className={`list-item ${view?.kind === 'frames' ? 'active' : ''}`}
            onClick={() => store.show({ kind: 'frames', id: 'all' })}
          >
            All frames, every connection
          </button>
        </section>
        <section className="panel" aria-label="Logs">
          <button
            data-testid="open-logs"
            className={`list-item ${view?.kind === 'logs' ? 'active' : ''}`}
            onClick={() => store.show({ kind: 'logs', id: 'logs' })}
          >
            Log tails{store.tails.size > 0 ? ` (${store.tails.size})` : ''} and Framescope's log
          </button>
        </section>
        <section className="panel" aria-label="Connections">
          <h2>Connections</h2>
          {connections.length === 0 && <p className="hint">None yet.</p>}
          <ul className="connection-list">
            {connections.map((c) => (
              <li key={c.id}>
                <button
                  data-testid="connection-tab"
                  className={c.id === store.selectedConnectionId ? 'active' : ''}
                  onClick={() => store.show({ kind: 'connection', id: c.id })}
                  title={c.error ?? c.url}
                >
                  <span className={`dot ${c.state}`} />
                  <span className="role">{c.role === 'client' ? 'client' : c.id}</span>
                  <span className="conn-url">{c.url}</span>
                  <span className="state" data-testid="connection-state">{c.state}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      </aside>
      <main className="workspace">
        <ConnectForm api={api} draft={draft} onDraftChange={setDraft} onConnected={(id) => store.show({ kind: 'connection', id })} />
        {server && (
          <ServerView api={api} server={server} logs={store.logs} version={version} onOpenConnection={(id) => store.show({ kind: 'connection', id })} />
        )}
        {connection && (
          <>
            <div className="connection-head">
              <span className={`dot ${connection.state}`} />
              <code>{connection.url}</code>
              <span className="muted">{connection.role === 'client' ? 'client' : `server connection ${connection.id}`} · {connection.state}</span>
              {connection.subprotocol && <span className="badge">{connection.subprotocol}</span>}
              {connection.extensions && <span className="badge">{connection.extensions}</span>}
              {connection.attempt !== undefined && connection.attempt > 1 && <span className="badge warn">attempt {connection.attempt}</span>}
              <Tabs value={pane} tabs={[['frames', 'Frames'], ['handshake', 'Handshake']] as const} onChange={setPane} />
            </div>
            {connection.error && <p className="error banner" role="alert">{connection.error}</p>}
            {pane === 'frames' ? (
              <FramesPanel
                key={`frames-${connection.id}`}
                api={api}
                store={store}
                connectionId={connection.id}
                selectedId={selectedFrame}
                onSelect={setSelectedFrame}
                onOpenConnection={(id) => store.show({ kind: 'connection', id })}
              />
            ) : (
              <HandshakePanel api={api} connectionId={connection.id} stateKey={connection.state} />
            )}
            {connection.role !== 'imported' && <Composer key={connection.id} api={api} connection={connection} />}
          </>
        )}
        {view?.kind === 'logs' && <LogsView api={api} store={store} version={version} />}
        {view?.kind === 'frames' && (
          <FramesPanel
            key="all"
            api={api}
            store={store}
            connectionId={null}
            selectedId={selectedFrame}
            onSelect={setSelectedFrame}
            onOpenConnection={(id) => store.show({ kind: 'connection', id })}
          />
        )}
        {!server && !connection && view?.kind !== 'logs' && view?.kind !== 'frames' && (
          <div className="welcome">
            <h2>Test any WebSocket endpoint, frame by frame</h2>
            <p>Dial a <code>ws://</code> or <code>wss://</code> URL above, or start a local server on the left and connect to it.</p>
          </div>
        )}
      </main>
      <FrameDetailPane api={api} id={selectedFrame} onSelect={setSelectedFrame} />
    </div>
  );
}
