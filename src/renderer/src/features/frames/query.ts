/** The filter bar's state, and the FrameQuery it stands for. */
import type { FrameClass, FrameQuery, TextCriterion } from '../../../../shared/contract';
import { parseTimeInput } from './format';

export interface FilterState {
  text: string;
  regex: boolean;
  caseSensitive: boolean;
  direction: '' | 'in' | 'out';
  classes: FrameClass[];
  connectionId: string;
  from: string;
  to: string;
  unit: 'frames' | 'messages';
}

export const ALL_CLASSES: FrameClass[] = ['text', 'binary', 'control', 'violation'];

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

/** The text criterion: "/pattern/flags" is a regular expression whatever the toggle says. */
export function textCriterion(state: Pick<FilterState, 'text' | 'regex' | 'caseSensitive'>): TextCriterion | undefined {
  if (state.text === '') return undefined;
  const slashed = /^\/(.+)\/([a-z]*)$/s.exec(state.text);
  if (slashed) {
    return { pattern: slashed[1], regex: true, caseSensitive: !slashed[2].includes('i'), flags: slashed[2].replace('i', '') || undefined };
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
  if (state.classes.length < ALL_CLASSES.length) query.classes = state.classes;
  const connection = scopeConnectionId ?? (state.connectionId || null);
  if (connection) query.connectionIds = [connection];
  if (from.value !== undefined) query.fromTime = from.value;
  if (to.value !== undefined) query.toTime = to.value;
  if (text) query.text = text;
  return { query, error: null };
}
