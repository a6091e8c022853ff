/**
 * periodic: pushes a message built from a template to every connection every `intervalMs`
 * (RRR's websocket example: "the Perl5 script sends a message back to the client every two
 * seconds"; ntopng's clients `poll(ms)` for the same effect from the other side).
 *
 * Each connection has its own timer, started when it opens, so the first push arrives
 * `intervalMs` after connecting and `{{counter}}` counts that connection's pushes: 1, 2, 3, …
 *
 * Alive (RRR: "the client sends 'alive' messages periodically … if a browser is disconnected,
 * the script eventually detects that no messages is being sent from the browser, and it stops
 * generating messages"): with `aliveTimeoutMs` > 0, a connection that has sent nothing — any
 * message counts, its content is ignored — for that long gets no more pushes. The connection
 * stays open; the next message it sends resumes the pushes at the following tick, and the
 * counter continues where it stopped (so a gap in timestamps, not in counters, shows the
 * pause). Opening the connection counts as activity. Pauses and resumptions go to the server log.
 */
import type { AppConnection, AppContext, RouteApp } from '../app';
import { OptionsReader, type OptionsResult } from './options';

export const TEMPLATE_VARIABLES = ['counter', 'timestamp', 'iso', 'connection'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string | number>;

export const DEFAULT_PERIODIC_TEMPLATE = '{"counter":{{counter}},"time":"{{iso}}","connection":"{{connection}}"}';

export interface PeriodicOptions {
  /** Default 2000 (RRR's example pushes every two seconds). */
  intervalMs: number;
  /** Text with {{counter}}, {{timestamp}} (ms since the epoch), {{iso}} (ISO 8601), {{connection}}. */
  template: string;
  /** 0 (default): always push. Otherwise stop pushing after this long without a message from the client. */
  aliveTimeoutMs: number;
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

type TemplatePart = string | { variable: TemplateVariable };

/** Splits a template into literal text and variables, or explains the first unknown variable. */
export function compileTemplate(template: string): { ok: true; parts: TemplatePart[] } | { ok: false; error: string } {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1];
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      return { ok: false, error: `unknown variable {{${name}}}; known: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}` };
    }
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push({ variable: name as TemplateVariable });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return { ok: true, parts };
}

export function renderTemplate(template: string | readonly TemplatePart[], values: TemplateValues): string {
  const parts = typeof template === 'string' ? compileTemplate(template) : { ok: true as const, parts: template };
  if (!parts.ok) throw new Error(parts.error); // programmer error: templates are validated first
  let out = '';
  for (const p of parts.parts) out += typeof p === 'string' ? p : String(values[p.variable]);
  return out;
}

export function validatePeriodicOptions(input: unknown, path = 'options'): OptionsResult<PeriodicOptions> {
  const r = new OptionsReader(input, path, ['intervalMs', 'template', 'aliveTimeoutMs']);
  // 10 ms floor: every push is captured and shown; faster would flood the console, not test it.
  const intervalMs = r.integer('intervalMs', 2000, 10, 86_400_000);
  const template = r.string('template', DEFAULT_PERIODIC_TEMPLATE, { maxLength: 1024 * 1024 }) ?? DEFAULT_PERIODIC_TEMPLATE;
  const compiled = compileTemplate(template);
  if (!compiled.ok) r.fail('template', compiled.error);
  const aliveTimeoutMs = r.integer('aliveTimeoutMs', 0, 0, 86_400_000);
  return r.result({ intervalMs, template, aliveTimeoutMs });
}

interface ConnectionState {
  readonly conn: AppConnection;
  readonly timer: NodeJS.Timeout;
  counter: number;
  lastSeen: number;
  paused: boolean;
}

export interface PeriodicApp extends RouteApp {
  /** For the UI: which connections are currently paused for not being alive. */
  pausedConnections(): string[];
}

export function createPeriodicApp(context: AppContext, options: PeriodicOptions): PeriodicApp {
  const compiled = compileTemplate(options.template);
  if (!compiled.ok) throw new Error(`periodic: ${compiled.error}`); // validated before; a bug if reached
  const parts = compiled.parts;
  const { intervalMs, aliveTimeoutMs } = options;
  const states = new Map<string, ConnectionState>();

  const tick = (s: ConnectionState) => {
    const now = Date.now();
    // The server's lastMessageAt and our own record of onMessage: whichever is newer.
    const lastSeen = Math.max(s.lastSeen, s.conn.lastMessageAt || 0);
    if (aliveTimeoutMs > 0 && now - lastSeen >= aliveTimeoutMs) {
      if (!s.paused) {
        s.paused = true;
        context.log('info', `periodic: ${s.conn.id} sent nothing for ${now - lastSeen} ms; pausing pushes until it sends again`);
      }
      return;
    }
    s.counter++;
    const text = renderTemplate(parts, { counter: s.counter, timestamp: now, iso: new Date(now).toISOString(), connection: s.conn.id });
    try {
      s.conn.send(text);
    } catch (e) {
      context.log('warn', `periodic: could not send to ${s.conn.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const stop = (id: string) => {
    const s = states.get(id);
    if (!s) return;
    clearInterval(s.timer);
    states.delete(id);
  };

  return {
    pausedConnections: () => [...states.values()].filter((s) => s.paused).map((s) => s.conn.id),

    onOpen(conn) {
      stop(conn.id);
      const s: ConnectionState = {
        conn,
        counter: 0,
        lastSeen: Date.now(),
        paused: false,
        timer: setInterval(() => tick(s), intervalMs),
      };
      states.set(conn.id, s);
    },

    onMessage(conn) {
      const s = states.get(conn.id);
      if (!s) return;
      s.lastSeen = Date.now();
      if (s.paused) {
        s.paused = false;
        context.log('info', `periodic: ${conn.id} is alive again; resuming pushes`);
      }
    },

    onClose(conn) {
      stop(conn.id);
    },

    dispose() {
      for (const id of [...states.keys()]) stop(id);
    },
  };
}
