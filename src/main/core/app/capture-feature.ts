/** The capture commands: open one row, clear, and what a reloaded renderer needs. */
import type { CaptureCommands, CommandHandler, HandshakeView, Snapshot } from '../../../shared/contract';
import { fail, ok } from '../../../shared/result';
import type { Feature, WorkspaceContext } from './context';
import { frameDetail } from './frame-detail';

export type CaptureHandlers = { [K in keyof CaptureCommands]: CommandHandler<K> };

export class CaptureFeature implements Feature<CaptureHandlers> {
  readonly handlers: CaptureHandlers;

  constructor(
    ctx: WorkspaceContext,
    snapshot: () => Omit<Snapshot, 'capture'>,
    handshakeOf: (connectionId: string) => HandshakeView | undefined,
  ) {
    const { store } = ctx;
    this.handlers = {
      getHandshake: async ({ connectionId }) => {
        const view = handshakeOf(connectionId);
        return view ? ok(view) : fail(`no connection '${connectionId}'`);
      },
      getFrame: async ({ id }) => {
        const row = store.get(id);
        if (!row) {
          return fail(id < store.firstId ? `frame #${id} was evicted to stay within the capture budget` : `no frame #${id}`);
        }
        return ok(frameDetail(row));
      },
      getSnapshot: async () => ok({ ...snapshot(), capture: store.stats() }),
      clearCapture: async () => ok({ cleared: store.clear() }),
    };
  }

  async dispose(): Promise<void> {}
}
