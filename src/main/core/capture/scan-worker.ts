/**
 * Entry of the parallel filter scan's worker thread (see parallel-scan.ts):
 * messages in, replies out; the work is ScanMirror's.
 */
import { parentPort } from 'node:worker_threads';
import { ScanMirror, type MirrorMessage } from './scan-mirror';

const port = parentPort;
if (port === null) throw new Error('scan-worker.ts runs as a worker thread');
const mirror = new ScanMirror();
port.on('message', (message: MirrorMessage) => mirror.receive(message, (reply) => port.postMessage(reply)));
