/** A collapsible JSON tree: native <details>, so it needs no state and is keyboard-accessible. */

/** Children shown per object or array before "… N more" (a million-item array stays cheap to open). */
const MAX_CHILDREN = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function Scalar({ value }: { value: Json }) {
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === 'string') return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>;
  return <span className="json-boolean">{String(value)}</span>;
}

function Node({ name, value, depth }: { name: string | null; value: Json; depth: number }) {
  const label = name === null ? null : <span className="json-key">{name}: </span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div className="json-leaf">
        {label}
        <Scalar value={value} />
      </div>
    );
  }
  // Only the children shown are turned into entries: opening a million-item array costs MAX_CHILDREN.
  const count = Array.isArray(value) ? value.length : Object.keys(value).length;
  const entries: Array<[string, Json]> = Array.isArray(value)
    ? value.slice(0, MAX_CHILDREN).map((v, i) => [String(i), v])
    : Object.entries(value).slice(0, MAX_CHILDREN);
  const summary = Array.isArray(value) ? `[${count}]` : `{${count}}`;
  if (count === 0) {
    return (
      <div className="json-leaf">
        {label}
        <span className="muted">{Array.isArray(value) ? '[]' : '{}'}</span>
      </div>
    );
  }
  return (
    <details className="json-node" open={depth < 2}>
      <summary>
        {label}
        <span className="muted">{summary}</span>
      </summary>
      {entries.map(([k, v]) => (
        <Node key={k} name={Array.isArray(value) ? k : JSON.stringify(k)} value={v} depth={depth + 1} />
      ))}
      {count > MAX_CHILDREN && <div className="muted">… {(count - MAX_CHILDREN).toLocaleString()} more</div>}
    </details>
  );
}

/** Parses text as JSON: the value, or null when it is not JSON (plain text is common and fine). */
export function parseJson(text: string | undefined): { value: Json } | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    return { value: JSON.parse(t) as Json };
  } catch {
    return null;
  }
}

export function JsonTree({ value }: { value: Json }) {
  return (
    <div className="json-tree" data-testid="json-tree">
      <Node name={null} value={value} depth={0} />
    </div>
  );
}
