import { useState } from 'react';
import type { ConnectRequest, FramescopeApi } from '../../../../shared/contract';
import { ErrorText, Field, PairsEditor, Select, Toggle } from '../../components/controls';

export interface ConnectDraft {
  url: string;
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  subprotocols: string;
  authKind: 'none' | 'basic' | 'bearer';
  username: string;
  password: string;
  token: string;
  origin: string;
  deflate: boolean;
  clientMaxWindowBits: string;
  clientNoContextTakeover: boolean;
  serverNoContextTakeover: boolean;
  handshakeTimeoutMs: string;
  followRedirects: boolean;
  verifyTls: boolean;
  caFile: string;
  certFile: string;
  keyFile: string;
  pfxFile: string;
  passphrase: string;
  serverName: string;
  proxyMode: 'env' | 'none' | 'url';
  proxyUrl: string;
  autoPong: boolean;
  reconnect: boolean;
  reconnectAttempts: string;
}

export const EMPTY_DRAFT: ConnectDraft = {
  url: '',
  query: [],
  headers: [],
  subprotocols: '',
  authKind: 'none',
  username: '',
  password: '',
  token: '',
  origin: '',
  deflate: false,
  clientMaxWindowBits: '',
  clientNoContextTakeover: false,
  serverNoContextTakeover: false,
  handshakeTimeoutMs: '10000',
  followRedirects: false,
  verifyTls: true,
  caFile: '',
  certFile: '',
  keyFile: '',
  pfxFile: '',
  passphrase: '',
  serverName: '',
  proxyMode: 'env',
  proxyUrl: '',
  autoPong: true,
  reconnect: false,
  reconnectAttempts: '5',
};

const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** The draft as the contract's ConnectRequest; main validates it and names bad fields. */
export function toConnectRequest(d: ConnectDraft): ConnectRequest {
  const auth: ConnectRequest['auth'] =
    d.authKind === 'basic'
      ? { kind: 'basic', username: d.username, password: d.password }
      : d.authKind === 'bearer'
        ? { kind: 'bearer', token: d.token }
        : { kind: 'none' };
  return {
    url: d.url.trim(),
    query: d.query.filter(([name]) => name.trim() !== ''),
    headers: d.headers.filter(([name]) => name.trim() !== ''),
    subprotocols: d.subprotocols.split(',').map((p) => p.trim()).filter(Boolean),
    auth,
    origin: opt(d.origin),
    deflate: d.deflate
      ? {
          clientMaxWindowBits: d.clientMaxWindowBits.trim() === '' ? true : Number(d.clientMaxWindowBits),
          clientNoContextTakeover: d.clientNoContextTakeover || undefined,
          serverNoContextTakeover: d.serverNoContextTakeover || undefined,
        }
      : false,
    handshakeTimeoutMs: Number(d.handshakeTimeoutMs || '10000'),
    followRedirects: d.followRedirects,
    tls: {
      verify: d.verifyTls,
      caFile: opt(d.caFile),
      certFile: opt(d.certFile),
      keyFile: opt(d.keyFile),
      pfxFile: opt(d.pfxFile),
      passphrase: opt(d.passphrase),
      serverName: opt(d.serverName),
    },
    proxy: d.proxyMode === 'env' ? 'env' : d.proxyMode === 'none' ? null : d.proxyUrl.trim(),
    autoPong: d.autoPong,
    reconnect: { enabled: d.reconnect, maxAttempts: Number(d.reconnectAttempts || '0'), initialDelayMs: 500, maxDelayMs: 30_000 },
  };
}

interface Props {
  api: FramescopeApi;
  draft: ConnectDraft;
  onDraftChange(draft: ConnectDraft): void;
  onConnected(connectionId: string): void;
}

/** The URL bar and every connection option a person may need, folded away until asked for. */
export function ConnectForm({ api, draft, onDraftChange, onConnected }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [showOptions, setShowOptions] = useState(false);
  const set = <K extends keyof ConnectDraft>(key: K, value: ConnectDraft[K]): void => onDraftChange({ ...draft, [key]: value });

  const connect = async (): Promise<void> => {
    setBusy(true);
    const result = await api.connect(toConnectRequest(draft));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setError(result.value.error ?? null);
    onConnected(result.value.id);
  };

  const save = async (): Promise<void> => {
    const name = draft.url.trim() || 'connection';
    const result = await api.saveConnection({ id: '', name, options: toConnectRequest(draft) });
    setError(result.ok ? (result.value.problem ?? null) : result.error);
  };

  return (
    <form
      className="connect-form"
      onSubmit={(event) => {
        event.preventDefault();
        void connect();
      }}
    >
      <div className="connect-bar">
        <input
          data-testid="client-url"
          className="url"
          placeholder="ws://127.0.0.1:8080/path  or  wss://user:password@example.com/socket"
          value={draft.url}
          onChange={(e) => set('url', e.target.value)}
          spellCheck={false}
        />
        <button type="button" data-testid="client-options-toggle" onClick={() => setShowOptions(!showOptions)}>
          {showOptions ? 'Hide options' : 'Options'}
        </button>
        <button type="button" onClick={() => void save()} title="Save this connection">
          Save
        </button>
        <button data-testid="client-connect" className="primary" type="submit" disabled={busy}>
          {busy ? 'Connecting…' : 'Connect'}
        </button>
      </div>
      <ErrorText error={error} />
      {error && <span hidden data-testid="client-error">{error}</span>}
      {showOptions && (
        <div className="options-grid" data-testid="client-options">
          <fieldset>
            <legend>Query parameters</legend>
            <PairsEditor rows={draft.query} onChange={(rows) => set('query', rows)} namePlaceholder="name" valuePlaceholder="value" />
          </fieldset>
          <fieldset>
            <legend>Headers</legend>
            <PairsEditor rows={draft.headers} onChange={(rows) => set('headers', rows)} namePlaceholder="Header-Name" valuePlaceholder="value" testId="client-headers" />
          </fieldset>
          <fieldset>
            <legend>Handshake</legend>
            <Field label="Subprotocols (comma separated)">
              <input data-testid="client-subprotocols" value={draft.subprotocols} onChange={(e) => set('subprotocols', e.target.value)} />
            </Field>
            <Field label="Origin">
              <input value={draft.origin} placeholder="(none)" onChange={(e) => set('origin', e.target.value)} />
            </Field>
            <Field label="Handshake timeout (ms)">
              <input value={draft.handshakeTimeoutMs} inputMode="numeric" onChange={(e) => set('handshakeTimeoutMs', e.target.value)} />
            </Field>
            <Toggle label="Follow redirects (each hop shown)" checked={draft.followRedirects} onChange={(v) => set('followRedirects', v)} />
          </fieldset>
          <fieldset>
            <legend>Authentication</legend>
            <Select
              value={draft.authKind}
              options={[['none', 'None (or user:password@ in the URL)'], ['basic', 'Basic'], ['bearer', 'Bearer token']] as const}
              onChange={(v) => set('authKind', v)}
            />
            {draft.authKind === 'basic' && (
              <>
                <Field label="Username"><input value={draft.username} onChange={(e) => set('username', e.target.value)} /></Field>
                <Field label="Password"><input type="password" value={draft.password} onChange={(e) => set('password', e.target.value)} /></Field>
              </>
            )}
            {draft.authKind === 'bearer' && (
              <Field label="Token"><input value={draft.token} onChange={(e) => set('token', e.target.value)} /></Field>
            )}
          </fieldset>
          <fieldset>
            <legend>Compression (RFC 7692)</legend>
            <Toggle label="Offer permessage-deflate" checked={draft.deflate} onChange={(v) => set('deflate', v)} testId="client-deflate" />
            {draft.deflate && (
              <>
                <Field label="client_max_window_bits (8–15, empty = any)">
                  <input value={draft.clientMaxWindowBits} onChange={(e) => set('clientMaxWindowBits', e.target.value)} />
                </Field>
                <Toggle label="client_no_context_takeover" checked={draft.clientNoContextTakeover} onChange={(v) => set('clientNoContextTakeover', v)} />
                <Toggle label="server_no_context_takeover" checked={draft.serverNoContextTakeover} onChange={(v) => set('serverNoContextTakeover', v)} />
              </>
            )}
          </fieldset>
          <fieldset>
            <legend>TLS (wss://)</legend>
            <Toggle label="Verify the server certificate" checked={draft.verifyTls} onChange={(v) => set('verifyTls', v)} />
            <Field label="CA file (PEM)"><input value={draft.caFile} placeholder="/path/to/ca.pem" onChange={(e) => set('caFile', e.target.value)} /></Field>
            <Field label="Client certificate (PEM)"><input value={draft.certFile} onChange={(e) => set('certFile', e.target.value)} /></Field>
            <Field label="Client key (PEM)"><input value={draft.keyFile} onChange={(e) => set('keyFile', e.target.value)} /></Field>
            <Field label="…or PFX / PKCS#12"><input value={draft.pfxFile} onChange={(e) => set('pfxFile', e.target.value)} /></Field>
            <Field label="Passphrase"><input type="password" value={draft.passphrase} onChange={(e) => set('passphrase', e.target.value)} /></Field>
            <Field label="Server name (SNI) override"><input value={draft.serverName} onChange={(e) => set('serverName', e.target.value)} /></Field>
          </fieldset>
          <fieldset>
            <legend>Proxy and behaviour</legend>
            <Select
              value={draft.proxyMode}
              options={[['env', 'Proxy from HTTPS_PROXY / NO_PROXY'], ['none', 'No proxy'], ['url', 'This proxy (HTTP CONNECT)']] as const}
              onChange={(v) => set('proxyMode', v)}
            />
            {draft.proxyMode === 'url' && (
              <Field label="Proxy URL"><input value={draft.proxyUrl} placeholder="http://user:pass@proxy:3128" onChange={(e) => set('proxyUrl', e.target.value)} /></Field>
            )}
            <Toggle label="Answer pings automatically" checked={draft.autoPong} onChange={(v) => set('autoPong', v)} />
            <Toggle label="Reconnect with backoff" checked={draft.reconnect} onChange={(v) => set('reconnect', v)} />
            {draft.reconnect && (
              <Field label="Attempts (0 = unlimited)"><input value={draft.reconnectAttempts} onChange={(e) => set('reconnectAttempts', e.target.value)} /></Field>
            )}
          </fieldset>
        </div>
      )}
    </form>
  );
}
