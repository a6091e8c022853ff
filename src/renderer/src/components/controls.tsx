/** Small form controls shared by the feature panels. */
import { useId, type ReactNode } from 'react';

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field" title={hint}>
      <span>{label}</span>
      {children}
    </label>
  );
}

export function Toggle({
  label,
  checked,
  onChange,
  testId,
}: {
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
  testId?: string;
}) {
  const id = useId();
  return (
    <span className="toggle">
      <input id={id} type="checkbox" checked={checked} data-testid={testId} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </span>
  );
}

export function Select<T extends string>({
  value,
  options,
  onChange,
  testId,
}: {
  value: T;
  options: ReadonlyArray<readonly [NoInfer<T>, string]>;
  onChange(value: NoInfer<T>): void;
  testId?: string;
}) {
  return (
    <select value={value} data-testid={testId} onChange={(e) => onChange(e.target.value as T)}>
      {options.map(([v, label]) => (
        <option key={v} value={v}>
          {label}
        </option>
      ))}
    </select>
  );
}

/** Rows of name/value pairs: query parameters, headers. */
export function PairsEditor({
  rows,
  onChange,
  namePlaceholder,
  valuePlaceholder,
  testId,
}: {
  rows: Array<[string, string]>;
  onChange(rows: Array<[string, string]>): void;
  namePlaceholder: string;
  valuePlaceholder: string;
  testId?: string;
}) {
  const update = (i: number, j: 0 | 1, value: string): void => {
    const next = rows.map((r) => [...r] as [string, string]);
    next[i][j] = value;
    onChange(next);
  };
  return (
    <div className="pairs" data-testid={testId}>
      {rows.map(([name, value], i) => (
        <div className="pair" key={i}>
          <input placeholder={namePlaceholder} value={name} onChange={(e) => update(i, 0, e.target.value)} spellCheck={false} />
          <input placeholder={valuePlaceholder} value={value} onChange={(e) => update(i, 1, e.target.value)} spellCheck={false} />
          <button type="button" className="icon" title="Remove" onClick={() => onChange(rows.filter((_, k) => k !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => onChange([...rows, ['', '']])}>
        + add
      </button>
    </div>
  );
}

export function Tabs<T extends string>({
  value,
  tabs,
  onChange,
}: {
  value: T;
  tabs: ReadonlyArray<readonly [NoInfer<T>, string]>;
  onChange(value: NoInfer<T>): void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map(([key, label]) => (
        <button key={key} role="tab" aria-selected={value === key} className={value === key ? 'active' : ''} onClick={() => onChange(key)}>
          {label}
        </button>
      ))}
    </div>
  );
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}
