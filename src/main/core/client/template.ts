/**
 * Message templates: text with `{{variable}}` placeholders filled in at send time, so a
 * periodic sender (ntopng's poll(ms), RRR's "alive") or a repeated manual send can carry
 * a sequence number, a time stamp or a fresh id.
 *
 * Variables:
 *   {{counter}}            per-connection sequence number, 1, 2, 3, …
 *   {{timestamp}}          milliseconds since the Unix epoch
 *   {{iso}}                the same instant as ISO 8601 UTC (2024-05-01T12:00:00.000Z)
 *   {{random}}             a float in [0, 1)
 *   {{randomInt:MIN:MAX}}  an integer in [MIN, MAX], both inclusive
 *   {{uuid}}               a random (version 4) UUID, RFC 9562 §5.4
 * Spaces inside the braces are allowed: `{{ counter }}`.
 * `\{{` writes a literal `{{` (only that exact sequence is an escape; other backslashes
 * are ordinary text, so JSON escapes are left alone).
 *
 * Compiling is separate from rendering so the editor can report a bad template once,
 * before any message is sent, and a periodic sender never fails half-way.
 */
import { randomUUID } from 'node:crypto';
import { describePosition, positionAt, type TextPosition } from './payload-input';

export type TemplateVariable =
  | { name: 'counter' }
  | { name: 'timestamp' }
  | { name: 'iso' }
  | { name: 'random' }
  | { name: 'randomInt'; min: number; max: number }
  | { name: 'uuid' };

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'variable'; variable: TemplateVariable; source: string; position: TextPosition };

export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** Variable names used, in order of first use (for showing "uses: counter, iso"). */
  readonly variables: readonly TemplateVariable['name'][];
  /** True when the template has no variables: it renders to a constant. */
  readonly isConstant: boolean;
}

export type TemplateResult<T> = { ok: true; value: T } | { ok: false; error: string; position?: TextPosition };

export const KNOWN_VARIABLES = ['counter', 'timestamp', 'iso', 'random', 'randomInt:MIN:MAX', 'uuid'] as const;

const NO_ARG_NAMES = new Set(['counter', 'timestamp', 'iso', 'random', 'uuid']);

function parseVariable(inner: string): { ok: true; variable: TemplateVariable } | { ok: false; reason: string; hint?: string } {
  const [name, ...args] = inner.split(':');
  if (NO_ARG_NAMES.has(name)) {
    if (args.length > 0) return { ok: false, reason: `'${name}' takes no arguments` };
    return { ok: true, variable: { name } as TemplateVariable };
  }
  if (name === 'randomInt') {
    if (args.length !== 2) return { ok: false, reason: `'randomInt' needs two integer arguments, like {{randomInt:1:100}}` };
    const nums = args.map((a) => a.trim());
    for (const a of nums) {
      if (!/^-?\d+$/.test(a) || !Number.isSafeInteger(Number(a))) {
        return { ok: false, reason: `'randomInt' argument '${a}' is not an integer` };
      }
    }
    const [min, max] = nums.map(Number);
    if (min > max) return { ok: false, reason: `'randomInt' minimum ${min} is greater than maximum ${max}` };
    return { ok: true, variable: { name: 'randomInt', min, max } };
  }
  const known = KNOWN_VARIABLES.map((k) => k.split(':')[0]);
  const near = known.find((k) => k.toLowerCase() === name.toLowerCase());
  const hint = near !== undefined ? `did you mean '${near}'?` : `known variables: ${KNOWN_VARIABLES.join(', ')}`;
  return { ok: false, reason: `unknown variable '${name}'`, hint };
}

export function compileTemplate(source: string): TemplateResult<CompiledTemplate> {
  const parts: TemplatePart[] = [];
  const variables: TemplateVariable['name'][] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('\\{{', i)) {
      text += '{{';
      i += 3;
      continue;
    }
    if (!source.startsWith('{{', i)) {
      text += source[i];
      i++;
      continue;
    }
    const open = i;
    const close = source.indexOf('}}', i + 2);
    const position = positionAt(source, open);
    if (close < 0) {
      return {
        ok: false,
        error: `'{{' at ${describePosition(source, position)} is never closed with '}}' (write '\\{{' for a literal '{{')`,
        position,
      };
    }
    const inner = source.slice(open + 2, close).trim();
    const parsed = parseVariable(inner);
    if (!parsed.ok) {
      const hint = parsed.hint !== undefined ? `; ${parsed.hint}` : '';
      return { ok: false, error: `${parsed.reason} at ${describePosition(source, position)}${hint}`, position };
    }
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'variable', variable: parsed.variable, source: source.slice(open, close + 2), position });
    if (!variables.includes(parsed.variable.name)) variables.push(parsed.variable.name);
    i = close + 2;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { ok: true, value: { source, parts, variables, isConstant: variables.length === 0 } };
}

/** Where randomness and time come from; injected so tests are deterministic. */
export interface TemplateEnvironment {
  now(): number;
  /** A float in [0, 1). */
  random(): number;
  uuid(): string;
}

export const systemTemplateEnvironment: TemplateEnvironment = {
  now: () => Date.now(),
  random: () => Math.random(),
  uuid: () => randomUUID(),
};

/**
 * The per-connection sequence. It advances once per rendered message that uses
 * {{counter}} — so two {{counter}}s in one message agree, and messages without it do
 * not leave gaps in the numbering.
 */
export class TemplateCounter {
  private nextValue: number;
  constructor(private readonly start = 1) {
    if (!Number.isSafeInteger(start)) throw new RangeError(`counter start must be an integer, got ${start}`);
    this.nextValue = start;
  }
  /** The value the next message will get. */
  peek(): number {
    return this.nextValue;
  }
  take(): number {
    return this.nextValue++;
  }
  reset(to: number = this.start): void {
    if (!Number.isSafeInteger(to)) throw new RangeError(`counter value must be an integer, got ${to}`);
    this.nextValue = to;
  }
}

/** State that lives as long as one client connection (or one saved-connection session). */
export interface TemplateState {
  counter: TemplateCounter;
}

export function createTemplateState(counterStart = 1): TemplateState {
  return { counter: new TemplateCounter(counterStart) };
}

export function renderTemplate(template: CompiledTemplate, state: TemplateState, env: TemplateEnvironment = systemTemplateEnvironment): string {
  if (template.isConstant) return template.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  // One instant per message, so {{timestamp}} and {{iso}} in the same message agree.
  const now = env.now();
  const counter = template.variables.includes('counter') ? state.counter.take() : 0;
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const v = part.variable;
    switch (v.name) {
      case 'counter':
        out += String(counter);
        break;
      case 'timestamp':
        out += String(now);
        break;
      case 'iso':
        out += new Date(now).toISOString();
        break;
      case 'random':
        out += String(env.random());
        break;
      case 'randomInt': {
        // Clamp guards an environment whose random() can return exactly 1.
        const span = v.max - v.min + 1;
        out += String(v.min + Math.min(span - 1, Math.floor(env.random() * span)));
        break;
      }
      case 'uuid':
        out += env.uuid();
        break;
    }
  }
  return out;
}

/** Compile and render in one step, for one-off sends. */
export function renderTemplateSource(source: string, state: TemplateState, env?: TemplateEnvironment): TemplateResult<string> {
  const compiled = compileTemplate(source);
  if (!compiled.ok) return compiled;
  return { ok: true, value: renderTemplate(compiled.value, state, env) };
}
