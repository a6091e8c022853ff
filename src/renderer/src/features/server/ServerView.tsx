import { useEffect, useState } from 'react';
import type { FramescopeApi, ServerConnectionView, SubscriptionsView } from '../../../../shared/contract';
import type { LogLine, ServerInfo } from '../../../../shared/records';
import { ErrorText, Field } from '../../components/controls';
import { formatBytes, formatTime } from '../../format';

interface Props {
  api: FramescopeApi;
  server: ServerInfo;
  logs: LogLine[];
  version: number;
  onOpenConnection(connectionId: string): void;
}

/** Polls a command while the view is shown: connection stats and subscriptions change with every frame. */
function usePolled<T>(load: () => Promise<{ ok: true; value: T } | { ok: false; error: string }>, key: unknown, everyMs = 1000): [T | null, string | null] {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const tick = (): void => {
      void load().then((r) => {
        if (!live) return;
        if (r.ok) setValue(r.value);
        setError(r.ok ? null : r.error);
      });
    };
    tick();
    const timer = setInterval(tick, everyMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [key]);
  return [value, error];
}

/** One listener: its connections with their counters, subscriptions and publishing, and its own log. */
export function ServerView({ api, server, logs, version, onOpenConnection }: Props) {
  const [connections, connError] = usePolled<ServerConnectionView[]>(() => api.listServerConnections({ serverId: server.id }), `${server.id}:${version}`);
  const [subs, subsError] = usePolled<SubscriptionsView>(() => api.getSubscriptions({ serverId: server.id }), `${server.id}:${version}`);
  const [topic, setTopic] = useState('');
  const [payload, setPayload] = useState('');
  const [publishStatus, setPublishStatus] = useState<string | null>(null);
  const [publishError, setPublishError] = useState<string | null>(null);
  const serverLogs = logs.filter((l) => l.source === `server ${server.id}`);

  const publish = async (): Promise<void> => {
    const result = await api.publish({ serverId: server.id, topic, payload });
    setPublishError(result.ok ? null : result.error);
    setPublishStatus(result.ok ? `delivered to ${result.value.delivered} subscriber(s)` : null);
  };

  return (
    <div className="server-view" data-testid="server-view">
      <header className="server-header">
        <h2><code>{server.url}</code></h2>
        <span className={`badge ${server.state}`}>{server.state}</span>
        {server.exposed && <span className="badge warn">reachable from other machines</span>}
        <span className="muted">
          {server.connections ?? 0} open · {server.refusals ?? 0} refused
        </span>
        {server.state === 'listening' && <button onClick={() => void api.stopServer({ serverId: server.id })}>Stop</button>}
      </header>
      <p className="muted">Routes: {server.routes.map((r) => `${r.path} → ${r.app}`).join(' · ')}</p>
      <section>
        <h3>Connections</h3>
        <ErrorText error={connError} />
        <table className="grid" data-testid="server-connections">
          <thead>
            <tr><th>Id</th><th>Remote</th><th>Path</th><th>Protocol</th><th>Since</th><th>Frames in/out</th><th>Bytes in/out</th><th>Subscriptions</th></tr>
          </thead>
          <tbody>
            {(connections ?? []).map((c) => (
              <tr key={c.id} onClick={() => onOpenConnection(c.id)} className="clickable">
                <td><code>{c.id}</code></td>
                <td>{c.remoteAddress}</td>
                <td><code>{c.path}</code></td>
                <td>{c.subprotocol ?? '—'}{c.extensions ? ` · ${c.extensions}` : ''}</td>
                <td>{formatTime(c.connectedAt)}</td>
                <td>{c.framesIn} / {c.framesOut}</td>
                <td>{formatBytes(c.bytesIn)} / {formatBytes(c.bytesOut)}</td>
                <td>{c.subscriptions.join(', ') || '—'}</td>
              </tr>
            ))}
            {connections?.length === 0 && <tr><td colSpan={8} className="muted">No clients connected.</td></tr>}
          </tbody>
        </table>
      </section>
      <section>
        <h3>Subscriptions</h3>
        <ErrorText error={subsError} />
        <table className="grid" data-testid="server-subscriptions">
          <thead><tr><th>Route</th><th>Filter</th><th>Subscribers</th><th>Messages</th></tr></thead>
          <tbody>
            {(subs?.topics ?? []).map((t) => (
              <tr key={`${t.route}:${t.filter}`}>
                <td><code>{t.route}</code></td><td><code>{t.filter}</code></td><td>{t.subscribers.join(', ')}</td><td>{t.messages}</td>
              </tr>
            ))}
            {subs?.topics.length === 0 && <tr><td colSpan={4} className="muted">No subscriptions.</td></tr>}
          </tbody>
        </table>
        <div className="publish-row">
          <Field label="Topic"><input data-testid="publish-topic" value={topic} onChange={(e) => setTopic(e.target.value)} /></Field>
          <Field label="Payload"><input data-testid="publish-payload" value={payload} onChange={(e) => setPayload(e.target.value)} /></Field>
          <button data-testid="publish" className="primary" onClick={() => void publish()}>Publish</button>
        </div>
        <ErrorText error={publishError} />
        {publishStatus && <p className="status">{publishStatus}</p>}
      </section>
      <section>
        <h3>Server log</h3>
        <div className="log-lines" data-testid="server-log">
          {serverLogs.map((l, i) => (
            <div key={i} className={`log-line ${l.level}`}>
              <span className="muted">{formatTime(l.time)}</span> {l.message}
            </div>
          ))}
          {serverLogs.length === 0 && <p className="muted">Nothing logged yet.</p>}
        </div>
      </section>
    </div>
  );
}
