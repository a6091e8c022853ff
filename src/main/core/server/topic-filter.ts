/**
 * MQTT-style topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7), used by the
 * pub/sub registry, the log-view app's file subscriptions and the 'filter' routes
 * ("as in RRR: a topic filter with + and # on any non-empty path").
 *
 *   - Levels are separated by '/'. Empty levels are legal ("a//b" has three levels,
 *     "/a" has two: "" and "a").
 *   - '+' matches exactly one level, including an empty one ("a/+" matches "a/" but not "a").
 *   - '#' matches the parent level and any number of child levels ("a/#" matches "a",
 *     "a/b", "a/b/c"); it must be the last level of the filter.
 *   - Both wildcards must occupy a whole level: "a+/b" and "a/b#" are invalid.
 *   - Topic names (what is published) contain no wildcards.
 *
 * Pure functions, no I/O. An invalid filter is a value with an explanation, never an exception.
 */

export const TOPIC_LEVEL_SEPARATOR = '/';
export const SINGLE_LEVEL_WILDCARD = '+';
export const MULTI_LEVEL_WILDCARD = '#';
/** MQTT 3.1.1 §1.5.3: UTF-8 strings are length-prefixed with 16 bits. */
export const MAX_TOPIC_BYTES = 65_535;

export type TopicResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface CompiledTopicFilter {
  readonly filter: string;
  readonly levels: readonly string[];
  /** True when the filter contains '+' or '#'; a filter without wildcards matches only itself. */
  readonly hasWildcards: boolean;
  matches(topic: string): boolean;
}

function quote(s: string): string {
  return s.length > 60 ? `'${s.slice(0, 57)}…'` : `'${s}'`;
}

function checkCommon(kind: 'topic filter' | 'topic name', value: string): string | undefined {
  if (value.length === 0) return `a ${kind} must not be empty`;
  // MQTT 3.1.1 §4.7.3: topic names and filters must not include the null character.
  if (value.includes('\u0000')) return `a ${kind} must not contain the NUL character (U+0000)`;
  if (Buffer.byteLength(value, 'utf8') > MAX_TOPIC_BYTES) {
    return `a ${kind} must not be longer than ${MAX_TOPIC_BYTES} bytes of UTF-8`;
  }
  return undefined;
}

/** Undefined when `filter` is a valid topic filter, otherwise a sentence saying what is wrong. */
export function validateTopicFilter(filter: string): string | undefined {
  if (typeof filter !== 'string') return 'a topic filter must be a string';
  const common = checkCommon('topic filter', filter);
  if (common) return common;
  const levels = filter.split(TOPIC_LEVEL_SEPARATOR);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === MULTI_LEVEL_WILDCARD) {
      // MQTT 3.1.1 §4.7.1.2: '#' must be the last character of the filter.
      if (i !== levels.length - 1) return `'#' must be the last level (in ${quote(filter)})`;
    } else if (level.includes(MULTI_LEVEL_WILDCARD)) {
      return `'#' must occupy a whole level, as in 'a/#' (found ${quote(level)} in ${quote(filter)})`;
    } else if (level !== SINGLE_LEVEL_WILDCARD && level.includes(SINGLE_LEVEL_WILDCARD)) {
      // MQTT 3.1.1 §4.7.1.3: '+' must occupy an entire level.
      return `'+' must occupy a whole level, as in 'a/+/b' (found ${quote(level)} in ${quote(filter)})`;
    }
  }
  return undefined;
}

/** Undefined when `topic` can be published to, otherwise a sentence saying what is wrong. */
export function validateTopicName(topic: string): string | undefined {
  if (typeof topic !== 'string') return 'a topic name must be a string';
  const common = checkCommon('topic name', topic);
  if (common) return common;
  // MQTT 3.1.1 §4.7.1.1: wildcards are for subscriptions only.
  if (topic.includes(SINGLE_LEVEL_WILDCARD) || topic.includes(MULTI_LEVEL_WILDCARD)) {
    return `a topic name must not contain the wildcards '+' or '#'; use them when subscribing (in ${quote(topic)})`;
  }
  return undefined;
}

export function hasWildcards(filter: string): boolean {
  return filter.includes(SINGLE_LEVEL_WILDCARD) || filter.includes(MULTI_LEVEL_WILDCARD);
}

/** Level-wise match of already split levels; `filterLevels` must come from a valid filter. */
export function matchLevels(filterLevels: readonly string[], topicLevels: readonly string[]): boolean {
  // MQTT 3.1.1 §4.7.2: filters starting with a wildcard do not match topics starting with '$'
  // (those are reserved for the server, e.g. "$SYS/...").
  const first = filterLevels[0];
  if ((first === SINGLE_LEVEL_WILDCARD || first === MULTI_LEVEL_WILDCARD) && topicLevels[0]?.startsWith('$')) {
    return false;
  }
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    // '#' also matches the parent level: "a/#" matches "a" (MQTT 3.1.1 §4.7.1.2).
    if (level === MULTI_LEVEL_WILDCARD) return true;
    if (i >= topicLevels.length) return false;
    if (level !== SINGLE_LEVEL_WILDCARD && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

export function parseTopicFilter(filter: string): TopicResult<CompiledTopicFilter> {
  const error = validateTopicFilter(filter);
  if (error !== undefined) return { ok: false, error };
  const levels = Object.freeze(filter.split(TOPIC_LEVEL_SEPARATOR));
  const wildcard = hasWildcards(filter);
  return {
    ok: true,
    value: {
      filter,
      levels,
      hasWildcards: wildcard,
      matches: wildcard
        ? (topic: string) => matchLevels(levels, topic.split(TOPIC_LEVEL_SEPARATOR))
        : (topic: string) => topic === filter,
    },
  };
}

/**
 * Does `topic` match `filter`? An invalid filter matches nothing (validate it first when
 * the person needs to know why). The topic is compared as given: a topic containing
 * wildcard characters is not rejected here, it can only match them literally or by wildcard.
 */
export function matchTopic(filter: string, topic: string): boolean {
  if (typeof filter !== 'string' || typeof topic !== 'string') return false;
  if (validateTopicFilter(filter) !== undefined) return false;
  if (topic.length === 0) return false;
  return matchLevels(filter.split(TOPIC_LEVEL_SEPARATOR), topic.split(TOPIC_LEVEL_SEPARATOR));
}

// Rank of one level when ordering filters by specificity: a literal level says more than
// '+', a filter that ends here says more than one that continues with '#' (which would
// also match longer topics).
function levelRank(level: string | undefined): number {
  if (level === undefined) return 1;
  if (level === MULTI_LEVEL_WILDCARD) return 0;
  if (level === SINGLE_LEVEL_WILDCARD) return 2;
  return 3;
}

/**
 * Orders two valid filters from most to least specific: compared level by level, a literal
 * beats '+', '+' beats the end of the filter, the end beats '#'. Negative when `a` is more
 * specific. Two different filters that match the same topic never compare equal, so this
 * picks one winner deterministically (used for route precedence).
 */
export function compareFilterSpecificity(a: string, b: string): number {
  const la = a.split(TOPIC_LEVEL_SEPARATOR);
  const lb = b.split(TOPIC_LEVEL_SEPARATOR);
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const ra = levelRank(la[i]);
    const rb = levelRank(lb[i]);
    if (ra !== rb) return rb - ra;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
