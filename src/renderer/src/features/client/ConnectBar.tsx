import { useState } from 'react';
import type { FramescopeApi } from '../../../../shared/contract';

interface Props {
  api: FramescopeApi;
  url: string;
  onUrlChange(url: string): void;
}

/** The URL bar: dial any ws:// or wss:// endpoint. */
export function ConnectBar({ api, url, onUrlChange }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const connect = async (): Promise<void> => {
    setBusy(true);
    const result = await api.connect({ url: url.trim() });
    setBusy(false);
    setError(result.ok ? result.value.error ?? null : result.error);
  };

  return (
    <form
      className="connect-bar"
      onSubmit={(event) => {
        event.preventDefault();
        void connect();
      }}
    >
      <input
        data-testid="client-url"
        className="url"
        placeholder="ws://127.0.0.1:8080/path"
        value={url}
        onChange={(e) => onUrlChange(e.target.value)}
        spellCheck={false}
      />
      <button data-testid="client-connect" className="primary" type="submit" disabled={busy}>
        Connect
      </button>
      {error && <p className="error" role="alert" data-testid="client-error">{error}</p>}
    </form>
  );
}
