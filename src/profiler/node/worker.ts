/**
 * A pool worker (bundled as dist/conclens-node-worker.js): a worker thread or a child process
 * of the harness. It loads the user's module itself, then runs one task at a time: the
 * arguments are deserialized (timed), the function called and measured like a serial task,
 * the result serialized (timed) and sent back. At the end of a run the harness collects its
 * GC pauses, event-loop utilization and peak memory.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { isMainThread, parentPort } from 'node:worker_threads';
import type { TaskError } from '../../shared/trace';
import { GcRecorder } from './gc-recorder';
import { cloneFailure, describeError, measuredCall, type UserFunction } from './measured-call';
import type { FromWorker, TaskMessage, ToWorker, WorkerInit } from './protocol';
import { nowNs, peakRssBytes, ThreadProbe } from './thread-probe';
import { exportedFunction, importExports } from './user-module';

const startedNs = nowNs();
const probe = new ThreadProbe();
const gc = new GcRecorder(process.pid, probe.tid);
const stray: TaskError[] = [];
let fn: UserFunction | null = null;

function send(message: FromWorker): void {
  if (parentPort) {
    const transfer = message.type === 'result' && message.payload && message.payload.byteOffset === 0 && message.payload.byteLength === message.payload.buffer.byteLength ? [message.payload.buffer as ArrayBuffer] : [];
    parentPort.postMessage(message, transfer);
  } else {
    process.send?.(message);
  }
}

// A rejection nobody handles or an error thrown from a callback the task left behind would end
// the worker; they are the task's bugs, so they are kept for the report instead.
process.on('unhandledRejection', (reason) => stray.push(describeError(reason)));
process.on('uncaughtException', (error) => stray.push(describeError(error)));
// A child process whose harness is gone (the IPC channel closed) has nobody to report to;
// a thread ends with its harness anyway.
if (isMainThread) process.on('disconnect', () => process.exit(0));

async function load(init: WorkerInit): Promise<void> {
  if (init.sourceMaps) process.setSourceMapsEnabled(true);
  const importStart = nowNs();
  try {
    const found = exportedFunction(await importExports(init.moduleFile, init.moduleFormat), init.functionName, init.moduleFile);
    if (typeof found === 'string') {
      send({ type: 'load-failed', message: found, error: { type: 'TypeError', message: found, traceback: '' } });
      return;
    }
    fn = found;
  } catch (thrown) {
    const error = describeError(thrown);
    send({ type: 'load-failed', message: `${error.type}: ${error.message}`, error });
    return;
  }
  send({ type: 'ready', pid: process.pid, tid: probe.tid, startedNs, importNs: nowNs() - importStart });
}

async function runTask(message: TaskMessage): Promise<void> {
  const receivedNs = nowNs();
  const args = v8.deserialize(message.payload) as unknown[];
  const deserialized = nowNs();
  const outcome = await measuredCall(probe, fn!, args, message.index);
  const serializeStart = nowNs();
  let payload: Uint8Array | null = null;
  try {
    payload = v8.serialize(outcome.result);
  } catch (thrown) {
    const error = cloneFailure(thrown);
    outcome.record.error ??= { ...error, message: `the result cannot be sent back from the worker: ${error.message}` };
  }
  send({ type: 'result', record: outcome.record, receivedNs, argsDeserialize: [receivedNs, deserialized], resultSerialize: [serializeStart, nowNs()], payload });
}

async function collect(): Promise<void> {
  const gcSpans = await gc.take();
  const use = performance.eventLoopUtilization();
  send({
    type: 'stats',
    pid: process.pid,
    tid: probe.tid,
    gcSpans,
    eventLoop: { utilization: use.utilization, activeNs: use.active * 1e6, idleNs: use.idle * 1e6 },
    peakRssBytes: isMainThread ? peakRssBytes() : null,
    stray: stray.splice(0),
  });
}

function onMessage(message: ToWorker): void {
  if (message.type === 'init') void load(message);
  else if (message.type === 'task') void runTask(message);
  else void collect();
}

if (parentPort) parentPort.on('message', onMessage);
else process.on('message', (message) => onMessage(message as ToWorker));
