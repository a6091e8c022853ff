/**
 * The preload: a narrow, typed API built from the contract's command names.
 * Each method calls one fixed channel; there is no generic invoke, and onEvents
 * returns its own unsubscribe function.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  COMMAND_NAMES,
  commandChannel,
  EVENTS_CHANNEL,
  type CommandHandlers,
  type EventBatch,
  type FramescopeApi,
} from '../shared/contract';
import { isPackedFrames, withOwnBuffers } from '../shared/packed-columns';

const commands = Object.fromEntries(
  COMMAND_NAMES.map((name) => [
    name,
    async (request: unknown) => {
      const result = (await ipcRenderer.invoke(commandChannel(name), request)) as { ok?: boolean; value?: unknown } | null;
      // A page of rows gets each column in a buffer of its own (see packed-columns.ts); every other reply goes through as it came.
      return result?.ok === true && isPackedFrames(result.value) ? { ...result, value: withOwnBuffers(result.value) } : result;
    },
  ]),
) as unknown as CommandHandlers;

const api: FramescopeApi = {
  ...commands,
  host: 'electron',
  onEvents(listener: (batch: EventBatch) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, batch: EventBatch): void => listener(batch.frames ? { ...batch, frames: withOwnBuffers(batch.frames) } : batch);
    ipcRenderer.on(EVENTS_CHANNEL, wrapped);
    return () => {
      ipcRenderer.off(EVENTS_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('framescope', api);
