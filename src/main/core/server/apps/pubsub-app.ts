/**
 * pubsub: clients subscribe to topic filters and publish to topics with JSON control messages
 * (see parseControlMessage in ../pubsub.ts), NaviServer's `ws::subscribe` / `ws::multicast`
 * made available over the wire.
 *
 * One registry per route, not per server: each route is its own namespace, so two routes
 * (e.g. /team-a and /team-b) are independent the way NaviServer's several chat URLs have
 * "different subscriber lists", and a route can be removed without touching another's
 * subscriptions. A prefix or filter route shares one registry across all the paths it covers.
 *
 * Replies to the sender (with `acks`, the default):
 *   {"ok":true,"op":"subscribe","topic":F}          {"ok":true,"op":"unsubscribe","topic":F}
 *   {"ok":true,"op":"publish","topic":T,"delivered":n}   (object form only; the Clown.Hub array
 *                                                         form is fire-and-forget)
 * Deliveries:  {"topic":T,"payload":P}  or  [T, P]  — the shape the publisher used.
 * A bad control message gets {"error":"…","op":…} and the connection stays open: a test console
 * must let a person see their mistake and try again.
 */
import type { AppConnection, AppContext, RouteApp } from '../app';
import {
  type PubSubSnapshot,
  type PublishOptions,
  SubscriptionRegistry,
  formatControlError,
  formatDelivery,
  parseControlMessage,
} from '../pubsub';
import { OptionsReader, type OptionsResult } from './options';

export interface PubSubOptions {
  /** Acknowledge subscribe / unsubscribe / object-form publish to the sender (default true). */
  acks: boolean;
}

export function validatePubSubOptions(input: unknown, path = 'options'): OptionsResult<PubSubOptions> {
  const r = new OptionsReader(input, path, ['acks']);
  const acks = r.boolean('acks', true);
  return r.result({ acks });
}

export interface PubSubApp extends RouteApp {
  readonly registry: SubscriptionRegistry<AppConnection>;
  /** For the UI's subscriptions view. */
  snapshot(): PubSubSnapshot;
  /**
   * Publishes from outside (the console's "publish" button); returns how many connections it
   * was sent to, or an error sentence for an invalid topic.
   */
  publish(topic: string, payload: unknown, options?: PublishOptions & { form?: 'object' | 'array' }): number | { error: string };
}

/** Sends without letting one broken connection stop a fan-out to the others. */
export function sendSafely(context: AppContext, conn: AppConnection, data: string | Uint8Array, binary = false): boolean {
  try {
    conn.send(data, { binary });
    return true;
  } catch (e) {
    context.log('warn', `could not send to ${conn.id}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

export function createPubSubApp(context: AppContext, options: PubSubOptions): PubSubApp {
  const acks = options?.acks ?? true;
  const registry = new SubscriptionRegistry<AppConnection>();

  const deliver = (topic: string, payload: unknown, form: 'object' | 'array', exclude?: PublishOptions['exclude']) => {
    const result = registry.publish(topic, { exclude });
    if (!result.ok) return result;
    const text = formatDelivery(topic, payload, form);
    let delivered = 0;
    for (const conn of result.recipients) if (sendSafely(context, conn, text)) delivered++;
    return { ok: true as const, delivered };
  };

  return {
    registry,
    snapshot: () => registry.snapshot(),

    publish(topic, payload, opts = {}) {
      const r = deliver(topic, payload, opts.form ?? 'object', opts.exclude);
      return r.ok ? r.delivered : { error: r.error };
    },

    onMessage(conn, data, isBinary) {
      const parsed = parseControlMessage(data, isBinary);
      if (!parsed.ok) {
        sendSafely(context, conn, formatControlError(parsed.error));
        return;
      }
      const msg = parsed.message;
      const ack = (extra: Record<string, unknown> = {}) => {
        if (acks) sendSafely(context, conn, JSON.stringify({ ok: true, op: msg.op, topic: msg.topic, ...extra }));
      };
      switch (msg.op) {
        case 'subscribe': {
          const r = registry.subscribe(conn, msg.topic);
          if (!r.ok) sendSafely(context, conn, formatControlError({ error: r.error, op: msg.op }));
          else ack();
          return;
        }
        case 'unsubscribe': {
          if (registry.unsubscribe(conn.id, msg.topic)) ack();
          else sendSafely(context, conn, formatControlError({ error: `not subscribed to '${msg.topic}'`, op: msg.op }));
          return;
        }
        case 'publish': {
          const r = deliver(msg.topic, msg.payload, msg.form, msg.excludeSelf ? conn.id : undefined);
          if (!r.ok) sendSafely(context, conn, formatControlError({ error: r.error, op: msg.op }));
          else if (msg.form === 'object') ack({ delivered: r.delivered });
          return;
        }
      }
    },

    onClose(conn) {
      registry.removeConnection(conn.id);
    },
  };
}
