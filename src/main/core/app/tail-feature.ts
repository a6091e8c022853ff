/**
 * Log tails in the app: each file the person chooses is followed from its end
 * (`tail -F`: appends, truncation, rotation, deletion and re-creation are all
 * reported), and every line is streamed to the windows in the event batches.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CommandHandler, TailCommands, TailInfo, TailRecord } from '../../../shared/contract';
import { fail, ok } from '../../../shared/result';
import { FileTailer, type TailEvent } from '../tail/file-tail';
import type { Feature, WorkspaceContext } from './context';

export type TailHandlers = { [K in keyof TailCommands]: CommandHandler<K> };

const MIN_INTERVAL_MS = 50;
const DEFAULT_INTERVAL_MS = 250;

interface RunningTail {
  info: TailInfo;
  tailer: FileTailer;
}

/** The words shown in the log view for something that happened to a file. */
function describe(event: Exclude<TailEvent, { type: 'lines' }>): string {
  switch (event.type) {
    case 'truncated':
      return `file truncated (was read up to byte ${event.previousPosition}, now ${event.size} bytes): following from the start`;
    case 'rotated':
      return 'file rotated (a new file took its name): following the new file from its start';
    case 'deleted':
      return 'file deleted: lines already shown are kept; waiting for it to come back';
    case 'created':
      return 'file created: following it';
    case 'recreated':
      return 'file re-created: following the new file from its start';
    case 'error':
      return `cannot read the file: ${event.message}`;
  }
}

export class TailFeature implements Feature<TailHandlers> {
  readonly handlers: TailHandlers;
  private readonly tails = new Map<string, RunningTail>();
  private count = 0;

  constructor(private readonly ctx: WorkspaceContext) {
    this.handlers = {
      startTail: async ({ path, intervalMs }) => {
        if (typeof path !== 'string' || path.trim() === '') return fail('path: enter the path of a file to follow');
        const interval = intervalMs ?? DEFAULT_INTERVAL_MS;
        if (!Number.isFinite(interval) || interval < MIN_INTERVAL_MS) {
          return fail(`intervalMs: must be at least ${MIN_INTERVAL_MS} ms, not ${JSON.stringify(intervalMs)}`);
        }
        const full = isAbsolute(path.trim()) ? path.trim() : resolve(path.trim());
        const id = `t${++this.count}`;
        const tail: RunningTail = {
          info: { id, path: full, state: 'following', intervalMs: interval },
          tailer: new FileTailer((event) => this.onEvent(tail, event), { intervalMs: interval, watch: true }),
        };
        this.tails.set(id, tail);
        const state = await tail.tailer.add(full);
        tail.tailer.start();
        this.update(tail, state.error ? { state: 'error', error: state.error } : state.exists ? {} : { state: 'missing' });
        this.ctx.log('info', 'tail', `following ${full}`);
        return ok(tail.info);
      },
      stopTail: async ({ id }) => {
        const tail = this.tails.get(id);
        if (!tail) return fail(`no tail '${id}'`);
        await tail.tailer.stop();
        this.tails.delete(id);
        return ok(this.update(tail, { state: 'stopped' }));
      },
    };
  }

  infos(): TailInfo[] {
    return [...this.tails.values()].map((t) => t.info);
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.tails.values()].map((t) => t.tailer.stop()));
    this.tails.clear();
  }

  private onEvent(tail: RunningTail, event: TailEvent): void {
    const emit = (record: TailRecord): void => this.ctx.hub.emit({ kind: 'tail', record });
    if (event.type === 'lines') {
      for (const line of event.lines) emit({ tailId: tail.info.id, time: event.timestamp, kind: 'line', text: line });
      if (tail.info.state !== 'following') this.update(tail, { state: 'following', error: undefined });
      return;
    }
    emit({ tailId: tail.info.id, time: event.timestamp, kind: event.type, text: describe(event) });
    if (event.type === 'deleted') this.update(tail, { state: 'missing' });
    else if (event.type === 'error') this.update(tail, { state: 'error', error: event.message });
    else this.update(tail, { state: 'following', error: undefined });
  }

  private update(tail: RunningTail, change: Partial<TailInfo>): TailInfo {
    tail.info = { ...tail.info, ...change };
    this.ctx.hub.emit({ kind: 'tailInfo', info: tail.info });
    return tail.info;
  }
}
