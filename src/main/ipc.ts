/**
 * Main's IPC binding: one ipcMain.handle per command name from the contract,
 * each checking its sender frame before it reaches the workspace.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { COMMAND_NAMES, commandChannel, type CommandHandlers } from '../shared/contract';
import { fail } from '../shared/result';

export function bindCommands(
  ipcMain: IpcMain,
  handlers: CommandHandlers,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  for (const name of COMMAND_NAMES) {
    const handler = handlers[name] as (request: unknown) => Promise<unknown>;
    ipcMain.handle(commandChannel(name), async (event, request: unknown) => {
      if (!isTrusted(event)) return fail('refused: this IPC call did not come from the Framescope window');
      if (typeof request !== 'object' || request === null) return fail(`command '${name}' needs a request object`);
      try {
        return await handler(request);
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
    });
  }
  return () => {
    for (const name of COMMAND_NAMES) ipcMain.removeHandler(commandChannel(name));
  };
}
