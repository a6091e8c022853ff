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

const commands = Object.fromEntries(
  COMMAND_NAMES.map((name) => [name, (request: unknown) => ipcRenderer.invoke(commandChannel(name), request)]),
) as unknown as CommandHandlers;

const api: FramescopeApi = {
  ...commands,
  host: 'electron',
  onEvents(listener: (batch: EventBatch) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, batch: EventBatch): void => listener(batch);
    ipcRenderer.on(EVENTS_CHANNEL, wrapped);
    return () => {
      ipcRenderer.off(EVENTS_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('framescope', api);
