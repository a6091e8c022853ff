/**
 * The subscription registry of the embedded server's pub/sub apps, and the parser of the
 * control messages clients send to it. No I/O: `publish` answers *who* should receive a
 * message; the app does the sending.
 *
 * Models:
 *   - NaviServer's websocket module: `ws::subscribe`, `ws::unsubscribe`,
 *     `ws::multicast ?-exclude value? subscription msg` (the exclude is how a chat sends to
 *     everybody but the author).
 *   - MQTT topic filters (see topic-filter.ts) for what a subscription matches.
 *   - Clown.Hub's `["topic", payload]` messages (websocket-realtime-protocol-article.md) as a
 *     second, terser way to publish.
 */
import {
  type CompiledTopicFilter,
  TOPIC_LEVEL_SEPARATOR,
  matchLevels,
  parseTopicFilter,
  validateTopicFilter,
  validateTopicName,
} from './topic-filter';

export interface Subscriber {
  readonly id: string;
}

export type SubscribeResult = { ok: true; added: boolean } | { ok: false; error: string };

export interface PublishOptions {
  /** Connection id(s) that must not receive the message (NaviServer `ws::multicast -exclude`). */
  exclude?: string | Iterable<string>;
}

export type PublishResult<C> = { ok: true; recipients: C[] } | { ok: false; error: string };

export interface PubSubSnapshot {
  /** One entry per filter somebody is subscribed to, sorted by filter. */
  topics: Array<{ filter: string; subscribers: string[]; messages: number }>;
  /** Message counts per published topic (bounded, most recently first-seen kept). */
  published: Array<{ topic: string; messages: number }>;
  /** Increases on every change, so a poller can skip unchanged snapshots. */
  version: number;
}

interface FilterEntry<C> {
  readonly compiled: CompiledTopicFilter;
  readonly subscribers: Map<string, C>;
  messages: number;
}

/** Bounded so that clients publishing to ever-new topics cannot grow memory without limit. */
export const MAX_COUNTED_TOPICS = 10_000;

export class SubscriptionRegistry<C extends Subscriber = Subscriber> {
  private readonly filters = new Map<string, FilterEntry<C>>();
  /** Filters without wildcards can only match the identical topic: found by lookup, not by scan. */
  private readonly wildcardFilters = new Set<FilterEntry<C>>();
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly topicCounts = new Map<string, number>();
  private changeVersion = 0;

  constructor(private readonly maxCountedTopics = MAX_COUNTED_TOPICS) {}

  subscribe(conn: C, filter: string): SubscribeResult {
    const parsed = parseTopicFilter(filter);
    if (!parsed.ok) return parsed;
    let entry = this.filters.get(filter);
    if (!entry) {
      entry = { compiled: parsed.value, subscribers: new Map(), messages: 0 };
      this.filters.set(filter, entry);
      if (parsed.value.hasWildcards) this.wildcardFilters.add(entry);
    }
    const added = !entry.subscribers.has(conn.id);
    // Keep the newest object for the id: a connection re-subscribing after a reconnect with a
    // reused id must not be delivered to through its dead predecessor.
    entry.subscribers.set(conn.id, conn);
    let mine = this.byConnection.get(conn.id);
    if (!mine) this.byConnection.set(conn.id, (mine = new Set()));
    mine.add(filter);
    if (added) this.changeVersion++;
    return { ok: true, added };
  }

  /** False when the connection was not subscribed to exactly this filter. */
  unsubscribe(connectionId: string, filter: string): boolean {
    const entry = this.filters.get(filter);
    if (!entry || !entry.subscribers.delete(connectionId)) return false;
    if (entry.subscribers.size === 0) this.dropFilter(filter, entry);
    const mine = this.byConnection.get(connectionId);
    mine?.delete(filter);
    if (mine && mine.size === 0) this.byConnection.delete(connectionId);
    this.changeVersion++;
    return true;
  }

  /** Everything a closed connection was subscribed to goes away; returns those filters. */
  removeConnection(connectionId: string): string[] {
    const mine = this.byConnection.get(connectionId);
    if (!mine) return [];
    const removed = [...mine];
    for (const filter of removed) {
      const entry = this.filters.get(filter);
      if (!entry) continue;
      entry.subscribers.delete(connectionId);
      if (entry.subscribers.size === 0) this.dropFilter(filter, entry);
    }
    this.byConnection.delete(connectionId);
    this.changeVersion++;
    return removed;
  }

  /**
   * Who receives a message published to `topic`: every connection with at least one matching
   * filter, once even when several of its filters match, minus the excluded ones. Counts the
   * message for the topic and for every matching filter.
   */
  publish(topic: string, options: PublishOptions = {}): PublishResult<C> {
    const error = validateTopicName(topic);
    if (error !== undefined) return { ok: false, error };
    const excluded = new Set(typeof options.exclude === 'string' ? [options.exclude] : (options.exclude ?? []));
    const recipients = new Map<string, C>();
    const take = (entry: FilterEntry<C>) => {
      entry.messages++;
      for (const [id, conn] of entry.subscribers) {
        if (!excluded.has(id) && !recipients.has(id)) recipients.set(id, conn);
      }
    };
    const exact = this.filters.get(topic);
    if (exact && !exact.compiled.hasWildcards) take(exact);
    if (this.wildcardFilters.size) {
      const levels = topic.split(TOPIC_LEVEL_SEPARATOR);
      for (const entry of this.wildcardFilters) {
        if (matchLevels(entry.compiled.levels, levels)) take(entry);
      }
    }
    this.countTopic(topic);
    this.changeVersion++;
    return { ok: true, recipients: [...recipients.values()] };
  }

  /** Connection ids subscribed to exactly this filter (not those whose filters would match it). */
  subscribersOf(filter: string): string[] {
    return [...(this.filters.get(filter)?.subscribers.keys() ?? [])];
  }

  filtersOf(connectionId: string): string[] {
    return [...(this.byConnection.get(connectionId) ?? [])];
  }

  isSubscribed(connectionId: string, filter: string): boolean {
    return this.filters.get(filter)?.subscribers.has(connectionId) ?? false;
  }

  /** How many messages were published to `topic` (0 when unknown or evicted). */
  messagesOn(topic: string): number {
    return this.topicCounts.get(topic) ?? 0;
  }

  get version(): number {
    return this.changeVersion;
  }

  snapshot(): PubSubSnapshot {
    const topics = [...this.filters.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([filter, entry]) => ({ filter, subscribers: [...entry.subscribers.keys()].sort(), messages: entry.messages }));
    const published = [...this.topicCounts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, messages]) => ({ topic, messages }));
    return { topics, published, version: this.changeVersion };
  }

  private dropFilter(filter: string, entry: FilterEntry<C>): void {
    this.filters.delete(filter);
    this.wildcardFilters.delete(entry);
  }

  private countTopic(topic: string): void {
    const n = this.topicCounts.get(topic);
    if (n !== undefined) {
      this.topicCounts.set(topic, n + 1);
      return;
    }
    if (this.topicCounts.size >= this.maxCountedTopics) {
      // Map iteration order is insertion order: evict the topic first seen longest ago.
      const oldest = this.topicCounts.keys().next().value;
      if (oldest !== undefined) this.topicCounts.delete(oldest);
    }
    this.topicCounts.set(topic, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Control messages
// ---------------------------------------------------------------------------------------------

/**
 * `form` remembers how a publish was written so deliveries keep that shape: a Clown.Hub
 * client that publishes `["t", p]` expects to receive `["t", p]`.
 */
export type ControlMessage =
  | { op: 'subscribe'; topic: string }
  | { op: 'unsubscribe'; topic: string }
  | { op: 'publish'; topic: string; payload: unknown; form: 'object' | 'array'; excludeSelf: boolean };

/** What the server sends back for a control message it cannot act on. */
export interface ControlError {
  error: string;
  /** The op the client asked for, when it could be read. */
  op: string | null;
}

export type ControlParseResult = { ok: true; message: ControlMessage } | { ok: false; error: ControlError };

export const CONTROL_OPS = ['subscribe', 'unsubscribe', 'publish'] as const;
const KNOWN_FIELDS = new Set(['op', 'topic', 'payload', 'excludeSelf']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(error: string, op: string | null = null): ControlParseResult {
  return { ok: false, error: { error, op } };
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/**
 * Reads one client message as a control message. Accepted forms:
 *   {"op":"subscribe","topic":"sensors/+/temp"}
 *   {"op":"unsubscribe","topic":"sensors/+/temp"}
 *   {"op":"publish","topic":"sensors/kitchen/temp","payload":21.5}      (optional "excludeSelf":true)
 *   ["sensors/kitchen/temp", 21.5]                                       (Clown.Hub: a publish)
 * Anything else gives an error value worded for a person; this never throws.
 */
export function parseControlMessage(data: string | Uint8Array, isBinary = false): ControlParseResult {
  if (isBinary) {
    return fail('control messages are JSON text; a binary message cannot be a subscribe, unsubscribe or publish');
  }
  let text: string;
  if (typeof data === 'string') {
    text = data;
  } else {
    try {
      text = utf8.decode(data);
    } catch {
      return fail('the message is not valid UTF-8 text');
    }
  }
  if (text.trim().length === 0) return fail('the message is empty; expected a JSON object such as {"op":"subscribe","topic":"a/#"}');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return fail(`the message is not valid JSON (${detail}); expected an object such as {"op":"subscribe","topic":"a/#"} or ["topic", payload]`);
  }

  if (Array.isArray(value)) {
    if (value.length !== 2) {
      return fail(`a topic message is ["topic", payload] with exactly 2 elements; this one has ${value.length}`, 'publish');
    }
    const [topic, payload] = value as [unknown, unknown];
    if (typeof topic !== 'string') return fail(`the first element of ["topic", payload] must be a string, not ${typeName(topic)}`, 'publish');
    const bad = validateTopicName(topic);
    if (bad) return fail(bad, 'publish');
    return { ok: true, message: { op: 'publish', topic, payload, form: 'array', excludeSelf: false } };
  }

  if (typeof value !== 'object' || value === null) {
    return fail(`expected a JSON object such as {"op":"subscribe","topic":"a/#"} or ["topic", payload], got ${typeName(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const op = obj.op;
  if (op === undefined) return fail(`the message has no "op"; expected one of ${CONTROL_OPS.join(', ')}`);
  if (typeof op !== 'string') return fail(`"op" must be a string, not ${typeName(op)}`);
  if (!(CONTROL_OPS as readonly string[]).includes(op)) {
    return fail(`unknown op '${op}'; expected one of ${CONTROL_OPS.join(', ')}`, op);
  }
  const unknown = Object.keys(obj).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length) return fail(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`, op);
  const topic = obj.topic;
  if (topic === undefined) return fail(`${op} needs a "topic"`, op);
  if (typeof topic !== 'string') return fail(`"topic" must be a string, not ${typeName(topic)}`, op);

  if (op === 'publish') {
    const bad = validateTopicName(topic);
    if (bad) return fail(bad, op);
    if (!('payload' in obj)) return fail('publish needs a "payload" (any JSON value, null included)', op);
    const excludeSelf = obj.excludeSelf ?? false;
    if (typeof excludeSelf !== 'boolean') return fail(`"excludeSelf" must be true or false, not ${typeName(excludeSelf)}`, op);
    return { ok: true, message: { op, topic, payload: obj.payload, form: 'object', excludeSelf } };
  }
  if ('payload' in obj) return fail(`${op} takes no "payload"`, op);
  if ('excludeSelf' in obj) return fail(`"excludeSelf" belongs to publish, not ${op}`, op);
  const bad = validateTopicFilter(topic);
  if (bad) return fail(bad, op);
  return { ok: true, message: { op: op as 'subscribe' | 'unsubscribe', topic } };
}

/** The text subscribers receive for a publish, in the shape it was published in. */
export function formatDelivery(topic: string, payload: unknown, form: 'object' | 'array' = 'object'): string {
  // JSON cannot carry undefined; a payload-less delivery says null rather than dropping the key.
  const p = payload === undefined ? null : payload;
  return form === 'array' ? JSON.stringify([topic, p]) : JSON.stringify({ topic, payload: p });
}

export function formatControlError(error: ControlError): string {
  return JSON.stringify(error);
}
