import { useRef, useState } from 'react';
import type { ExportFormat, FramescopeApi } from '../../../../shared/contract';
import { DEFAULT_SECRET_HEADERS } from '../../../../shared/secrets';
import { formatBytes } from '../../format';

interface ExportProps {
  api: FramescopeApi;
  /** Set when the panel shows one connection: export it alone by default. */
  connectionId: string | null;
  onClose(): void;
}

/** "X-One, x-two ,," → ["X-One", "x-two"]; the main side checks that each is a header name. */
function headerNames(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Hands text to the browser as a file download (the browser host has no file dialog of its own). */
function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Export the capture as HAR (Chrome DevTools opens it) or NDJSON (one frame a line, for scripts). */
export function ExportPopover({ api, connectionId, onClose }: ExportProps) {
  const [format, setFormat] = useState<ExportFormat>('har');
  const [scope, setScope] = useState<'connection' | 'all'>(connectionId ? 'connection' : 'all');
  const [control, setControl] = useState(false);
  const [path, setPath] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [includeSecrets, setIncludeSecrets] = useState(false);
  const [secretHeaders, setSecretHeaders] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (toPath: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    setStatus(null);
    const result = await api.exportCapture({
      format,
      path: toPath ? path : undefined,
      connectionIds: scope === 'connection' && connectionId ? [connectionId] : undefined,
      includeControlFrames: control,
      overwrite: toPath ? overwrite : undefined,
      includeSecrets,
      secretHeaders: includeSecrets ? undefined : headerNames(secretHeaders),
    });
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    const v = result.value;
    const what = `${v.records.toLocaleString()} ${format === 'har' ? 'messages' : 'frames'} from ${v.connections} connection${v.connections === 1 ? '' : 's'}, ${formatBytes(v.bytes)}`;
    if (v.text !== undefined) {
      download(v.text, v.fileName, format === 'har' ? 'application/json' : 'application/x-ndjson');
      setStatus(`Downloaded ${v.fileName}: ${what}`);
    } else {
      setStatus(`Wrote ${v.path}: ${what}`);
    }
  };

  return (
    <div className="popover" role="dialog" aria-label="Export" data-testid="export-popover">
      <div className="popover-head">
        <strong>Export</strong>
        <button className="icon" onClick={onClose} title="Close">×</button>
      </div>
      <div className="radio-row">
        <label className="toggle">
          <input type="radio" checked={format === 'har'} onChange={() => setFormat('har')} data-testid="export-har" /> HAR 1.2
          <span className="muted"> (Chrome DevTools, Insomnia…)</span>
        </label>
        <label className="toggle">
          <input type="radio" checked={format === 'ndjson'} onChange={() => setFormat('ndjson')} data-testid="export-ndjson" /> NDJSON
          <span className="muted"> (a frame a line, every header field)</span>
        </label>
      </div>
      {connectionId && (
        <div className="radio-row">
          <label className="toggle">
            <input type="radio" checked={scope === 'connection'} onChange={() => setScope('connection')} /> this connection
          </label>
          <label className="toggle">
            <input type="radio" checked={scope === 'all'} onChange={() => setScope('all')} /> all connections
          </label>
        </div>
      )}
      {format === 'har' && (
        <label className="toggle">
          <input type="checkbox" checked={control} onChange={(e) => setControl(e.target.checked)} /> include close, ping and pong (Chrome leaves them out)
        </label>
      )}
      {format === 'har' ? (
        <fieldset className="secrets" data-testid="export-secrets">
          <legend>Secrets</legend>
          <p className="muted">
            Written as <code>&lt;redacted&gt;</code>: {DEFAULT_SECRET_HEADERS.join(', ')}, user:password@ and access_token in URLs.
          </p>
          <label className="field">
            <span>Also redact these headers (names, separated by commas)</span>
            <input
              data-testid="export-secret-headers"
              placeholder="X-Session, X-Signature"
              value={secretHeaders}
              disabled={includeSecrets}
              onChange={(e) => setSecretHeaders(e.target.value)}
              spellCheck={false}
            />
          </label>
          <label className="toggle">
            <input type="checkbox" checked={includeSecrets} onChange={(e) => setIncludeSecrets(e.target.checked)} data-testid="export-include-secrets" /> Include
            secrets as they are (the file then holds passwords and tokens)
          </label>
        </fieldset>
      ) : (
        <p className="muted">NDJSON holds frames only, no handshake headers.</p>
      )}
      <label className="field">
        <span>Save to a file on the machine running Framescope</span>
        <input
          data-testid="export-path"
          placeholder={`~/capture.${format === 'har' ? 'har' : 'ndjson'}  (a folder works too)`}
          value={path}
          onChange={(e) => setPath(e.target.value)}
          spellCheck={false}
        />
      </label>
      <label className="toggle">
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} data-testid="export-overwrite" /> Replace an existing file
      </label>
      <div className="popover-actions">
        <button className="primary" disabled={busy || path.trim() === ''} onClick={() => void run(true)} data-testid="export-save">
          Save
        </button>
        <button disabled={busy} onClick={() => void run(false)} data-testid="export-download" title="Up to 64 MiB; larger captures need a path">
          Download
        </button>
        {busy && <span className="muted">exporting…</span>}
      </div>
      {status && <p className="status" data-testid="export-status">{status}</p>}
      {error && <p className="error" role="alert" data-testid="export-error">{error}</p>}
    </div>
  );
}

interface ImportProps {
  api: FramescopeApi;
  onImported(connectionIds: string[]): void;
  onClose(): void;
}

/** Open a HAR file (Chrome's export, or Framescope's) as offline connections. */
export function ImportPopover({ api, onImported, onClose }: ImportProps) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const file = useRef<HTMLInputElement>(null);

  const open = async (request: { path?: string; text?: string; name?: string }): Promise<void> => {
    setBusy(true);
    setError(null);
    setStatus(null);
    const result = await api.importHar(request);
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    const v = result.value;
    const skipped = v.skippedEntries > 0 ? ` (${v.skippedEntries} plain HTTP entries skipped)` : '';
    setStatus(`Opened ${v.connections.length} connection${v.connections.length === 1 ? '' : 's'} with ${v.frames.toLocaleString()} messages${skipped}.`);
    if (v.warnings.length > 0) setError(`Warnings: ${v.warnings.join('; ')}`);
    onImported(v.connections.map((c) => c.id));
  };

  return (
    <div className="popover" role="dialog" aria-label="Open a HAR file" data-testid="import-popover">
      <div className="popover-head">
        <strong>Open a HAR file</strong>
        <button className="icon" onClick={onClose} title="Close">×</button>
      </div>
      <p className="muted">Its WebSocket connections open offline, with their messages and handshakes. Chrome: Network → right-click → Save all as HAR.</p>
      <label className="field">
        <span>Path on the machine running Framescope</span>
        <input data-testid="import-path" placeholder="~/Downloads/site.har" value={path} onChange={(e) => setPath(e.target.value)} spellCheck={false} />
      </label>
      <div className="popover-actions">
        <button className="primary" disabled={busy || path.trim() === ''} onClick={() => void open({ path })} data-testid="import-open">
          Open
        </button>
        <button disabled={busy} onClick={() => file.current?.click()} data-testid="import-choose">
          Choose a file…
        </button>
        <input
          ref={file}
          type="file"
          accept=".har,application/json"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const chosen = e.target.files?.[0];
            e.target.value = '';
            if (!chosen) return;
            void chosen.text().then(
              (text) => open({ text, name: chosen.name }),
              (reason: unknown) => setError(`cannot read ${chosen.name}: ${String(reason)}`),
            );
          }}
        />
        {busy && <span className="muted">opening…</span>}
      </div>
      {status && <p className="status" data-testid="import-status">{status}</p>}
      {error && <p className="error" role="alert" data-testid="import-error">{error}</p>}
    </div>
  );
}
