import { useState } from 'react';
import type { FramescopeApi } from '../../../../shared/contract';
import type { ConnectionInfo } from '../../../../shared/records';

interface Props {
  api: FramescopeApi;
  connection: ConnectionInfo | undefined;
}

/** Send a text message on the selected connection (Ctrl+Enter sends). */
export function Composer({ api, connection }: Props) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const open = connection?.state === 'open';

  const send = async (): Promise<void> => {
    if (!connection || !open) return;
    const result = await api.sendText({ connectionId: connection.id, text });
    setError(result.ok ? null : result.error);
  };

  return (
    <div className="composer">
      <textarea
        data-testid="composer-text"
        placeholder={open ? 'Message text — Ctrl+Enter sends' : 'Connect to send messages'}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void send();
          }
        }}
        spellCheck={false}
      />
      <div className="composer-actions">
        <button data-testid="composer-send" className="primary" disabled={!open} onClick={() => void send()}>
          Send text
        </button>
        <button disabled={!open} onClick={() => connection && void api.closeConnection({ connectionId: connection.id, code: 1000 })}>
          Close
        </button>
        {error && <span className="error" role="alert">{error}</span>}
      </div>
    </div>
  );
}
