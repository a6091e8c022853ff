/**
 * Small readers for app options coming from the UI or a saved profile (untrusted JSON).
 * Every error names the field with its full path, e.g. "routes[2].options.intervalMs: must be
 * an integer from 10 to 3600000 (got 5)", so the person knows what to fix without reading code.
 */
import { isAbsolute } from 'node:path';

export type OptionsResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}

/** Collects field errors while reading one options object. */
export class OptionsReader {
  readonly errors: string[] = [];
  private readonly obj: Record<string, unknown>;

  /**
   * @param input the raw options; undefined and null mean "no options".
   * @param path where the options live, e.g. "options" or "routes[2].options".
   * @param known the option names this app accepts; others are reported (usually typos).
   */
  constructor(input: unknown, readonly path: string, known: readonly string[]) {
    if (input === undefined || input === null) {
      this.obj = {};
    } else if (typeof input !== 'object' || Array.isArray(input)) {
      this.obj = {};
      this.errors.push(`${path}: must be an object (got ${describe(input)})`);
    } else {
      this.obj = input as Record<string, unknown>;
      for (const key of Object.keys(this.obj)) {
        if (!known.includes(key)) {
          const expected = known.length ? `expected ${known.join(', ')}` : 'this app takes no options';
          this.errors.push(`${path}.${key}: unknown option; ${expected}`);
        }
      }
    }
  }

  field(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  fail(key: string, message: string): void {
    this.errors.push(`${this.field(key)}: ${message}`);
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const v = this.obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `must be an integer from ${min} to ${max} (got ${describe(v)})`);
      return fallback;
    }
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false (got ${describe(v)})`);
      return fallback;
    }
    return v;
  }

  string(key: string, fallback: string | undefined, opts: { nonEmpty?: boolean; maxLength?: number } = {}): string | undefined {
    const v = this.obj[key];
    if (v === undefined) {
      if (fallback === undefined) this.fail(key, 'is required');
      return fallback;
    }
    if (typeof v !== 'string') {
      this.fail(key, `must be a string (got ${describe(v)})`);
      return fallback;
    }
    if (opts.nonEmpty && v.length === 0) {
      this.fail(key, 'must not be empty');
      return fallback;
    }
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      this.fail(key, `must be at most ${opts.maxLength} characters (got ${v.length})`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${describe(v)})`);
      return fallback;
    }
    return v as T;
  }

  /** An absolute file path; relative paths would depend on the server's working directory. */
  absolutePath(key: string, value: unknown, field = this.field(key)): string | undefined {
    if (typeof value !== 'string' || value.length === 0) {
      this.errors.push(`${field}: must be a non-empty file path (got ${describe(value)})`);
      return undefined;
    }
    if (value.includes('\u0000')) {
      this.errors.push(`${field}: must not contain the NUL character`);
      return undefined;
    }
    if (!isAbsolute(value)) {
      this.errors.push(`${field}: must be an absolute path (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  result<T>(value: T): OptionsResult<T> {
    return this.errors.length ? { ok: false, errors: [...this.errors] } : { ok: true, value };
  }
}
