import { useEffect, useState } from 'react';
import type { FramescopeApi, PayloadInput, RawFrameSpec, SavedMessage } from '../../../../shared/contract';
import type { ConnectionInfo } from '../../../../shared/records';
import type { Result } from '../../../../shared/result';
import { ErrorText, Field, Select, Tabs, Toggle } from '../../components/controls';

type Mode = 'text' | 'json' | 'hex' | 'base64' | 'file' | 'raw' | 'control' | 'auto';

const OPCODES: ReadonlyArray<readonly [string, string]> = Array.from({ length: 16 }, (_, op) => {
  const names: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
  return [String(op), `0x${op.toString(16)} ${names[op] ?? '(reserved)'}`] as const;
});

interface Props {
  api: FramescopeApi;
  connection: ConnectionInfo;
}

/** How a file goes out: the same explicit choice on either side (the APIs' defaults differ: a client's file is text, a server's binary). */
type FileAs = 'text' | 'binary';

function payloadOf(mode: Mode, text: string, fileAs: FileAs): PayloadInput {
  switch (mode) {
    case 'json':
      return { kind: 'json', text };
    case 'hex':
      return { kind: 'hex', text };
    case 'base64':
      return { kind: 'base64', text };
    case 'file':
      return { kind: 'file', path: text.trim(), binary: fileAs === 'binary' };
    default:
      return { kind: 'text', text };
  }
}

/**
 * Everything a person can send on one connection: data messages in any form,
 * fragmented or not, raw frames that may break the rules, control frames, and
 * periodic sends. Works for client connections and server-side connections.
 */
export function Composer({ api, connection }: Props) {
  const isClient = connection.role === 'client';
  const open = connection.state === 'open';
  const [mode, setMode] = useState<Mode>('text');
  const [text, setText] = useState('');
  const [fileAs, setFileAs] = useState<FileAs>('text');
  const [fragments, setFragments] = useState('1');
  const [template, setTemplate] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [raw, setRaw] = useState({ opcode: '1', fin: true, rsv1: false, rsv2: false, rsv3: false, mask: isClient ? 'random' : 'none', keyHex: '', payloadKind: 'text' as 'text' | 'hex', declared: '', encoding: 'auto' });
  const [closeCode, setCloseCode] = useState('1000');
  const [closeReason, setCloseReason] = useState('');
  const [allowInvalid, setAllowInvalid] = useState(false);
  const [pingText, setPingText] = useState('');
  const [interval, setIntervalMs] = useState('1000');
  const [count, setCount] = useState('10');
  const [periodicRunning, setPeriodicRunning] = useState(false);
  const [saved, setSaved] = useState<SavedMessage[]>([]);

  useEffect(() => {
    if (!isClient) return;
    void api.loadSaved({}).then((r) => r.ok && setSaved(r.value.messages));
  }, [api, isClient]);

  const report = (result: Result<unknown>, success: string): void => {
    setError(result.ok ? null : result.error);
    setStatus(result.ok ? success : null);
  };

  const send = async (): Promise<void> => {
    if (!open) return;
    if (mode === 'raw') return sendRaw();
    const payload = payloadOf(mode, text, fileAs);
    if (isClient) {
      const result = await api.send({ connectionId: connection.id, payload, fragments: Number(fragments) || 1, template });
      report(result, result.ok ? `sent ${result.value.bytes} bytes in ${result.value.frames} frame(s)` : '');
    } else {
      const result = await api.serverSend({ connectionId: connection.id, payload });
      report(result, result.ok ? `sent ${result.value.bytes} bytes` : '');
    }
  };

  const sendRaw = async (): Promise<void> => {
    const frame: RawFrameSpec = {
      opcode: Number(raw.opcode),
      fin: raw.fin,
      rsv1: raw.rsv1,
      rsv2: raw.rsv2,
      rsv3: raw.rsv3,
      mask: raw.mask === 'key' ? { keyHex: raw.keyHex } : (raw.mask as 'none' | 'random'),
      payload: raw.payloadKind === 'hex' ? { kind: 'hex', text } : { kind: 'text', text },
      declaredLength: raw.declared.trim() === '' ? undefined : Number(raw.declared),
      lengthEncoding: raw.encoding === 'auto' ? undefined : (Number(raw.encoding) as 7 | 16 | 64),
    };
    const result = isClient
      ? await api.sendRaw({ connectionId: connection.id, frames: [frame] })
      : await api.serverSendRaw({ connectionId: connection.id, frames: [frame] });
    report(result, result.ok ? `wrote ${result.value.bytes} bytes as is` : '');
  };

  const ping = async (): Promise<void> => {
    const payload: PayloadInput = { kind: 'text', text: pingText };
    const result = isClient
      ? await api.ping({ connectionId: connection.id, payload })
      : await api.serverPing({ connectionId: connection.id, payload });
    report(result, result.ok ? `pong after ${result.value.rttMs.toFixed(2)} ms` : '');
  };

  const close = async (): Promise<void> => {
    const code = closeCode.trim() === '' ? undefined : Number(closeCode);
    const result = isClient
      ? await api.closeConnection({ connectionId: connection.id, code, reason: closeReason, allowInvalid })
      : await api.serverClose({ connectionId: connection.id, code, reason: closeReason });
    report(result, 'close frame sent');
  };

  const togglePeriodic = async (): Promise<void> => {
    if (periodicRunning) {
      const result = await api.stopPeriodic({ connectionId: connection.id });
      setPeriodicRunning(false);
      report(result, result.ok ? `periodic send stopped after ${result.value.sent}` : '');
      return;
    }
    const result = await api.startPeriodic({ connectionId: connection.id, intervalMs: Number(interval), message: text, count: Number(count) });
    setPeriodicRunning(result.ok && result.value.running);
    report(result, 'periodic send running');
  };

  const saveMessage = async (): Promise<void> => {
    const result = await api.saveMessage({ id: '', name: text.slice(0, 40) || 'message', payload: payloadOf(mode === 'raw' ? 'text' : mode, text, fileAs) });
    if (result.ok) setSaved(result.value.messages);
    report(result, 'saved');
  };

  const modes: ReadonlyArray<readonly [Mode, string]> = [
    ['text', 'Text'],
    ['json', 'JSON'],
    ['hex', 'Hex'],
    ['base64', 'Base64'],
    ['file', 'File'],
    ['raw', 'Raw frame'],
    ['control', 'Ping / Close'],
    ...(isClient ? ([['auto', 'Periodic']] as const) : []),
  ];

  return (
    <div className="composer" data-testid="composer">
      <Tabs value={mode} tabs={modes} onChange={setMode} />
      {mode !== 'control' && (
        <textarea
          data-testid="composer-text"
          placeholder={
            !open
              ? 'Connect to send messages'
              : mode === 'file'
                ? '/path/to/payload.bin'
                : mode === 'hex'
                  ? '81 05 48 65 6c 6c 6f'
                  : mode === 'auto'
                    ? 'alive {{counter}} at {{iso}}'
                    : 'Message — Ctrl+Enter sends'
          }
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
      )}
      {mode === 'file' && (
        <Field label="Send the file as">
          <Select
            value={fileAs}
            options={[['text', 'a text message (must be UTF-8)'], ['binary', 'a binary message (any bytes)']] as const}
            onChange={setFileAs}
            testId="file-as"
          />
        </Field>
      )}
      {mode === 'raw' && (
        <div className="raw-grid" data-testid="raw-crafter">
          <Field label="Opcode"><Select value={raw.opcode} options={OPCODES} onChange={(v) => setRaw({ ...raw, opcode: v })} testId="raw-opcode" /></Field>
          <div className="bits-row">
            <Toggle label="FIN" checked={raw.fin} onChange={(v) => setRaw({ ...raw, fin: v })} />
            <Toggle label="RSV1" checked={raw.rsv1} onChange={(v) => setRaw({ ...raw, rsv1: v })} testId="raw-rsv1" />
            <Toggle label="RSV2" checked={raw.rsv2} onChange={(v) => setRaw({ ...raw, rsv2: v })} />
            <Toggle label="RSV3" checked={raw.rsv3} onChange={(v) => setRaw({ ...raw, rsv3: v })} />
          </div>
          <Field label="Mask">
            <Select value={raw.mask} options={[['none', 'none'], ['random', 'random key'], ['key', 'this key']] as const} onChange={(v) => setRaw({ ...raw, mask: v })} />
          </Field>
          {raw.mask === 'key' && <Field label="Key (8 hex digits)"><input value={raw.keyHex} onChange={(e) => setRaw({ ...raw, keyHex: e.target.value })} /></Field>}
          <Field label="Payload as">
            <Select value={raw.payloadKind} options={[['text', 'UTF-8 text'], ['hex', 'hex bytes (e.g. invalid UTF-8: c3 28)']] as const} onChange={(v) => setRaw({ ...raw, payloadKind: v })} />
          </Field>
          <Field label="Declared length (empty = real)"><input value={raw.declared} onChange={(e) => setRaw({ ...raw, declared: e.target.value })} /></Field>
          <Field label="Length encoding">
            <Select value={raw.encoding} options={[['auto', 'minimal'], ['7', '7-bit'], ['16', '16-bit'], ['64', '64-bit']] as const} onChange={(v) => setRaw({ ...raw, encoding: v })} />
          </Field>
        </div>
      )}
      {mode === 'control' && (
        <div className="control-grid">
          <div className="control-row">
            <input placeholder="ping payload" value={pingText} onChange={(e) => setPingText(e.target.value)} />
            <button data-testid="ping" disabled={!open} onClick={() => void ping()}>Ping</button>
            {isClient && (
              <Toggle
                label="Auto-pong"
                checked={connection.autoPong ?? true}
                onChange={(enabled) => void api.setAutoPong({ connectionId: connection.id, enabled }).then((r) => report(r, enabled ? 'auto-pong on' : 'auto-pong off'))}
              />
            )}
          </div>
          <div className="control-row">
            <input data-testid="close-code" placeholder="code" value={closeCode} onChange={(e) => setCloseCode(e.target.value)} className="narrow" />
            <input placeholder="reason" value={closeReason} onChange={(e) => setCloseReason(e.target.value)} />
            {isClient && <Toggle label="allow invalid (RFC 6455 §7.4)" checked={allowInvalid} onChange={setAllowInvalid} />}
            <button data-testid="close" disabled={!open} onClick={() => void close()}>Close</button>
            {!isClient && (
              <button disabled={!open} onClick={() => void api.serverTerminate({ connectionId: connection.id }).then((r) => report(r, 'terminated'))}>
                Terminate
              </button>
            )}
          </div>
        </div>
      )}
      {mode === 'auto' && (
        <div className="control-row">
          <Field label="Every (ms)"><input value={interval} onChange={(e) => setIntervalMs(e.target.value)} className="narrow" /></Field>
          <Field label="Count (0 = until stopped)"><input value={count} onChange={(e) => setCount(e.target.value)} className="narrow" /></Field>
          <button className="primary" disabled={!open} onClick={() => void togglePeriodic()}>
            {periodicRunning ? 'Stop' : 'Start periodic send'}
          </button>
        </div>
      )}
      {mode !== 'control' && mode !== 'auto' && (
        <div className="composer-actions">
          <button data-testid="composer-send" className="primary" disabled={!open} onClick={() => void send()}>
            {mode === 'raw' ? 'Write frame' : 'Send'}
          </button>
          {mode === 'json' && (
            <button
              data-testid="format-json"
              onClick={() =>
                void api.formatJson({ text }).then((r) => {
                  if (r.ok) setText(r.value.pretty);
                  report(r, r.ok ? (r.value.warnings.join('; ') || 'valid JSON') : '');
                })
              }
            >
              Format
            </button>
          )}
          {isClient && mode !== 'raw' && (
            <>
              <Field label="Fragments"><input data-testid="fragments" value={fragments} onChange={(e) => setFragments(e.target.value)} className="narrow" /></Field>
              <Toggle label="Template {{counter}} {{timestamp}} {{random}}" checked={template} onChange={setTemplate} />
              <button onClick={() => void saveMessage()}>Save message</button>
              {saved.length > 0 && (
                <select
                  value=""
                  onChange={(e) => {
                    const message = saved.find((m) => m.id === e.target.value);
                    if (!message) return;
                    const p = message.payload;
                    setMode(p.kind === 'file' ? 'file' : p.kind);
                    setText(p.kind === 'file' ? p.path : p.text);
                    if (p.kind === 'file') setFileAs(p.binary === true ? 'binary' : 'text');
                  }}
                >
                  <option value="">Saved messages…</option>
                  {saved.map((m) => (
                    <option key={m.id} value={m.id}>{m.name}</option>
                  ))}
                </select>
              )}
            </>
          )}
        </div>
      )}
      <ErrorText error={error} />
      {status && <p className="status" data-testid="composer-status">{status}</p>}
    </div>
  );
}
