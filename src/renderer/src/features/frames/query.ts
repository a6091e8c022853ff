/** The filter bar's state, and the FrameQuery it stands for. */
import type { FrameClass, FrameQuery, TextCriterion } from '../../../../shared/contract';
import { FRAME_CLASSES } from '../../../../shared/contract/capture';
import { parseTimeInput } from './format';

export interface FilterState {
  text: string;
  regex: boolean;
  caseSensitive: boolean;
  direction: '' | 'in' | 'out';
  classes: readonly FrameClass[];
  connectionId: string;
  from: string;
  to: string;
  unit: 'frames' | 'messages';
}

export const ALL_CLASSES = FRAME_CLASSES;

export const EMPTY_FILTER: FilterState = {
  text: '',
  regex: false,
  caseSensitive: false,
  direction: '',
  classes: ALL_CLASSES,
  connectionId: '',
  from: '',
  to: '',
  unit: 'frames',
};

/**
 * "/pattern/flags" typed into the box: the pattern and its flags, or null for text that only looks
 * like it. Flags must be a set of i m s u v g y (g and y, which mean nothing to a filter, are dropped),
 * so a path such as "/api/users" ("users" is not a flag set) stays plain text.
 */
function slashedRegex(text: string): { pattern: string; flags: string } | null {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(text);
  if (!m || !/^[gimsuvy]*$/.test(m[2]) || new Set(m[2]).size !== m[2].length) return null;
  return { pattern: m[1], flags: m[2].replace(/[gy]/g, '') };
}

/**
 * The text criterion: "/pattern/flags" is a regular expression whatever the toggle says. Its i
 * flag makes it case-insensitive; without one the case toggle decides, as it does for the rest.
 */
export function textCriterion(state: Pick<FilterState, 'text' | 'regex' | 'caseSensitive'>): TextCriterion | undefined {
  if (state.text === '') return undefined;
  const slashed = slashedRegex(state.text);
  if (slashed) {
    const flags = slashed.flags.replace('i', '');
    return { pattern: slashed.pattern, regex: true, caseSensitive: state.caseSensitive && !slashed.flags.includes('i'), flags: flags || undefined };
  }
  return { pattern: state.text, regex: state.regex, caseSensitive: state.caseSensitive };
}

/** Compiles the text criterion here as well: a bad regex is reported at once, and lines and previews are highlighted. */
export function localMatcher(criterion: TextCriterion | undefined): { re: RegExp | null; error: string | null } {
  if (!criterion) return { re: null, error: null };
  const flags = `g${criterion.caseSensitive ? '' : 'i'}${criterion.flags ?? ''}`;
  try {
    const source = criterion.regex ? criterion.pattern : criterion.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return { re: new RegExp(source, flags), error: null };
  } catch (error) {
    return { re: null, error: `not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
}

export function buildQuery(state: FilterState, scopeConnectionId: string | null): { query: FrameQuery | null; error: string | null } {
  const text = textCriterion(state);
  const local = localMatcher(text);
  if (local.error) return { query: null, error: local.error };
  const from = parseTimeInput(state.from);
  if (!from.ok) return { query: null, error: `from: ${from.error}` };
  const to = parseTimeInput(state.to);
  if (!to.ok) return { query: null, error: `to: ${to.error}` };
  if (from.value !== undefined && to.value !== undefined && from.value > to.value) return { query: null, error: 'the time range starts after it ends' };
  const query: FrameQuery = { unit: state.unit };
  if (state.direction) query.direction = state.direction;
  if (state.classes.length < ALL_CLASSES.length) query.classes = [...state.classes];
  const connection = scopeConnectionId ?? (state.connectionId || null);
  if (connection) query.connectionIds = [connection];
  if (from.value !== undefined) query.fromTime = from.value;
  if (to.value !== undefined) query.toTime = to.value;
  if (text) query.text = text;
  return { query, error: null };
}
