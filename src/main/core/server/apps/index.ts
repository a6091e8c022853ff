/**
 * The apps the embedded server can mount on a route, their option types and validators.
 * A route entry names an app; the server validates the entry's options with `validateAppOptions`
 * and creates the app with `createRouteApp` (or `APP_FACTORIES` directly with checked options).
 */
import type { AppContext, AppFactory, RouteApp } from '../app';
import { type ChatOptions, createChatApp, validateChatOptions } from './chat';
import { type EchoOptions, createEchoApp, validateEchoOptions } from './echo';
import { type LogViewOptions, createLogViewApp, validateLogViewOptions } from './log-view';
import type { OptionsResult } from './options';
import { type PeriodicOptions, createPeriodicApp, validatePeriodicOptions } from './periodic';
import { type PubSubOptions, createPubSubApp, validatePubSubOptions } from './pubsub-app';
import { type ScriptOptions, createScriptApp, validateScriptOptions } from './script';

export type { OptionsResult } from './options';
export type { ChatOptions } from './chat';
export type { EchoOptions } from './echo';
export type { LogViewApp, LogViewOptions } from './log-view';
export type { PeriodicApp, PeriodicOptions } from './periodic';
export type { PubSubApp, PubSubOptions } from './pubsub-app';
export type { ScriptApi, ScriptApp, ScriptConnection, ScriptOptions, ScriptStatus } from './script';

export const APP_NAMES = ['echo', 'chat', 'pubsub', 'log-view', 'periodic', 'script'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** The validated options of each app. */
export interface AppOptionsMap {
  echo: EchoOptions;
  chat: ChatOptions;
  pubsub: PubSubOptions;
  'log-view': LogViewOptions;
  periodic: PeriodicOptions;
  script: ScriptOptions;
}

export type AppOptionsValidator<O> = (input: unknown, path?: string) => OptionsResult<O>;

export const APP_FACTORIES: { readonly [K in AppName]: AppFactory<AppOptionsMap[K]> } = {
  echo: createEchoApp,
  chat: createChatApp,
  pubsub: createPubSubApp,
  'log-view': createLogViewApp,
  periodic: createPeriodicApp,
  script: createScriptApp,
};

export const APP_OPTION_VALIDATORS: { readonly [K in AppName]: AppOptionsValidator<AppOptionsMap[K]> } = {
  echo: validateEchoOptions,
  chat: validateChatOptions,
  pubsub: validatePubSubOptions,
  'log-view': validateLogViewOptions,
  periodic: validatePeriodicOptions,
  script: validateScriptOptions,
};

/** One line per app, for the UI's app picker. */
export const APP_DESCRIPTIONS: { readonly [K in AppName]: string } = {
  echo: 'Sends every message back to its sender, text as text and binary as binary.',
  chat: 'Sends every message to every other client on the route.',
  pubsub: 'Subscribe / unsubscribe / publish with JSON control messages or ["topic", payload].',
  'log-view': 'Tails the chosen log files and pushes new lines to subscribed clients.',
  periodic: 'Pushes a templated message every N ms; optionally only to clients that stay alive.',
  script: 'Runs your JavaScript module: onInit / onReady / onMessage / onClose hooks.',
};

export function isAppName(value: unknown): value is AppName {
  return typeof value === 'string' && (APP_NAMES as readonly string[]).includes(value);
}

/** Checks raw options for `app`; errors name the field under `path` (e.g. "routes[2].options"). */
export function validateAppOptions<K extends AppName>(app: K, input: unknown, path = 'options'): OptionsResult<AppOptionsMap[K]> {
  return (APP_OPTION_VALIDATORS[app] as AppOptionsValidator<AppOptionsMap[K]>)(input, path);
}

/** Validates the options, then creates the app. */
export function createRouteApp<K extends AppName>(
  app: K,
  context: AppContext,
  rawOptions: unknown,
  path = 'options',
): { ok: true; app: RouteApp } | { ok: false; errors: string[] } {
  const checked = validateAppOptions(app, rawOptions, path);
  if (!checked.ok) return checked;
  const factory = APP_FACTORIES[app] as AppFactory<AppOptionsMap[K]>;
  return { ok: true, app: factory(context, checked.value) };
}
