/**
 * The JSON lines conclens_harness.py writes on its results descriptor, and the
 * configuration it reads on stdin. Field names match the Python side exactly. The Node
 * harness (src/profiler/node/) speaks the same protocol, with the optional fields marked Node.
 */
import type {
  DaskRunInfo,
  EventLoopUse,
  FaultKind,
  GcSpan,
  GilProbe,
  LockHolding,
  LockOrderEdge,
  NodeInterpreter,
  NodeTaskMeasures,
  PoolKind,
  TaskError,
  ThreadStack,
  WorkerStart,
} from '../shared/trace';

export interface HarnessConfig {
  root: string;
  file: string;
  function: string;
  tasks: string;
  /** null: serial, thread and process, and async for a coroutine function. */
  kinds: PoolKind[] | null;
  workers: number[] | null;
  repeat: number;
  timeoutSec: number;
  /** Working directory of the profiled code. */
  cwd: string;
  dumpDir: string;
  resultsFd: number;
  /** The runner's pid: the keeper ends everything when its parent is no longer this one. */
  parentPid: number;
  startMethod: string | null;
  memoryLimitBytes: number | null;
  /** An existing Dask scheduler for the dask kind; null: a LocalCluster the harness starts. */
  daskScheduler: string | null;
}

export interface HarnessTaskLock {
  file: string;
  line: number;
  acquisitions: number;
  waitNs: number;
  holdNs: number;
  contended: number;
  maxWaitNs: number;
  kind: string;
}

export interface HarnessTask extends NodeTaskMeasures {
  index: number;
  start: number;
  end: number;
  cpu: number;
  runq: number;
  coreStart: number;
  coreEnd: number;
  pid: number;
  tid: number;
  error?: TaskError;
  locks?: HarnessTaskLock[];
  /** [file, line, request, acquired, released] */
  lockSpans?: [string, number, number, number, number][];
  lockEdges?: LockOrderEdge[];
  ipc?: { argsUnpickleNs: number; resultPickleNs: number; resultBytes: number };
  /** async runs: which of the N in-flight slots ran it, and the loop's time on other tasks meanwhile. */
  slot?: number;
  loopBusyNs?: number;
  /** dask runs, already on the harness's clock: submitted, begun and result sent by the worker, result held. */
  dask?: { worker: string; host: string; submittedNs: number; receivedNs: number; sentNs: number; resultNs: number };
}

export interface HarnessConfiguration {
  kind: PoolKind;
  workers: number;
  repetition: number;
  label: string;
}

export type HarnessEvent =
  | {
      type: 'hello';
      pid: number;
      python: string;
      version: string;
      implementation: string;
      freeThreadedBuild: boolean;
      gilEnabled: boolean;
      usableCpus: number;
      procAvailable: boolean;
      startMethod: string;
      /** Node. */
      runtime?: 'node';
      node?: NodeInterpreter;
    }
  | { type: 'tasks'; count: number; module: string; coroutine?: boolean; kinds?: PoolKind[] }
  | ({ type: 'config-start'; timeoutSec: number } & HarnessConfiguration)
  | ({
      type: 'run';
      start: number;
      end: number;
      wallNs: number;
      tasks: HarnessTask[];
      ipc: {
        argsPickleNs: number;
        argsBytes: number;
        argsUnpickleNs: number;
        resultPickleNs: number;
        resultBytes: number;
        resultUnpickleNs: number;
      } | null;
      memory: { pid: number; peakRssBytes: number | null }[];
      /** Thread runs only. */
      gilProbe?: GilProbe | null;
      /** Async runs only: the loop's time on the tasks' own steps. */
      eventLoop?: { busyNs: number } | null;
      /** Dask runs only. */
      dask?: DaskRunInfo | null;
      /** Node. */
      eventLoops?: EventLoopUse[];
      gcSpans?: GcSpan[];
      workerStarts?: WorkerStart[];
    } & HarnessConfiguration)
  | {
      type: 'fault';
      fault: Extract<
        FaultKind,
        'timeout' | 'crash' | 'unpicklable' | 'no-main-guard' | 'import' | 'tasks' | 'memory' | 'cluster' | 'unserializable' | 'rejection' | 'open-handles' | 'not-async'
      >;
      /** Node: a note that stops nothing (the profile still completes). */
      note?: boolean;
      message: string;
      configuration?: HarnessConfiguration;
      skippedKind?: PoolKind;
      stacks?: ThreadStack[];
      lockState?: LockHolding[];
      error?: TaskError | null;
    }
  /** Something the user should know that did not stop the profile. */
  | { type: 'notice'; message: string }
  | { type: 'done' }
  /** From the keeper, last: how the harness ended, and processes the function left running
   *  (killed by the keeper; listed only when the harness itself finished). */
  | { type: 'ended'; code: number | null; signal: string | null; strayProcesses: { pid: number; command: string }[] };

export function parseHarnessEvent(line: string): HarnessEvent {
  const event = JSON.parse(line) as HarnessEvent;
  if (typeof event !== 'object' || event === null || typeof event.type !== 'string') {
    throw new Error(`harness wrote a line that is not an event: ${line.slice(0, 200)}`);
  }
  return event;
}
