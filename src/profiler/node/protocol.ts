/**
 * What the Node harness reads beyond harness-protocol.ts's HarnessConfig, and the messages
 * between the harness and its pool workers. Worker messages travel by postMessage (threads)
 * or by the IPC channel with V8 serialization (child processes), so they carry Uint8Arrays.
 */
import type { HarnessConfig, HarnessTask } from '../harness-protocol';
import type { GcSpan, TaskError } from '../../shared/trace';

export type ModuleFormat = 'esm' | 'commonjs';

export interface NodeHarnessConfig extends HarnessConfig {
  /** What to import: the user's file, or the temporary module TypeScript was transpiled into. */
  moduleFile: string;
  moduleFormat: ModuleFormat;
  transpiled: boolean;
  /** The pool worker and watchdog bundles, next to the harness bundle. */
  workerScript: string;
  watchdogScript: string;
  /** Removed by the harness if the process that started it dies first. */
  ownedDirs: string[];
}

/** What a worker needs to load the function: sent first, to threads and processes alike. */
export interface WorkerInit {
  type: 'init';
  moduleFile: string;
  moduleFormat: ModuleFormat;
  functionName: string;
  sourceMaps: boolean;
}

export interface TaskMessage {
  type: 'task';
  index: number;
  /** v8.serialize of the argument list. */
  payload: Uint8Array;
}

export type ToWorker = WorkerInit | TaskMessage | { type: 'collect' };

export interface WorkerReady {
  type: 'ready';
  pid: number;
  tid: number;
  /** When the worker's code began to run, and how long importing the module took. */
  startedNs: number;
  importNs: number;
}

export interface WorkerResult {
  type: 'result';
  record: HarnessTask;
  /** When the task message arrived, and its arguments' deserialization. */
  receivedNs: number;
  argsDeserialize: [number, number];
  resultSerialize: [number, number];
  /** v8.serialize of the result; null when it could not be serialized (see record.error). */
  payload: Uint8Array | null;
}

export interface WorkerStats {
  type: 'stats';
  pid: number;
  tid: number;
  gcSpans: GcSpan[];
  /** performance.eventLoopUtilization() since the worker started. */
  eventLoop: { utilization: number; activeNs: number; idleNs: number };
  peakRssBytes: number | null;
  /** Unhandled rejections and uncaught exceptions outside the tasks' own calls. */
  stray: TaskError[];
}

export type FromWorker = WorkerReady | WorkerResult | WorkerStats | { type: 'load-failed'; error: TaskError; message: string };
