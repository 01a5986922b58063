/**
 * The profile trace: what `conclens profile` and the editor command produce, what the
 * timeline webview draws. Versioned; schema/trace.schema.json describes the same shape and
 * the unit tests keep the two in step. Times are nanoseconds on CLOCK_MONOTONIC (Python's
 * perf_counter_ns and Node's hrtime share it), serialised as numbers.
 */

export const TRACE_VERSION = 1;

/** File name ending of saved traces; package.json `customEditors` opens them in the timeline. */
export const TRACE_FILE_SUFFIX = '.conclens-trace.json';

/**
/**
 * `async`: up to N calls in flight on one event loop (a Python coroutine function, or a Node
 * function). For Node, `thread` is a `worker_threads` pool and `process` a `child_process`
 * pool. `dask` (Python only): a Dask cluster of N worker threads (a local one, or the workers
 * of an existing scheduler).
 */
export type PoolKind = 'serial' | 'thread' | 'process' | 'async' | 'dask';

export const POOL_KINDS: readonly PoolKind[] = ['serial', 'thread', 'process', 'async', 'dask'];

/** The runtime that ran the function; absent in traces written before Node was profiled (Python). */
export type Runtime = 'python' | 'node';

export type Bottleneck =
  | 'gil'
  | 'cpu'
  | 'io'
  | 'lock'
  | 'ipc'
  | 'overhead'
  | 'imbalance'
  | 'oversubscription'
  | 'memory'
  /** Node: garbage-collection pauses take a large share of task time. */
  | 'gc'
  /** Dask: tasks wait for the scheduler longer than they compute. */
  | 'scheduler'
  | 'none';

export interface SourceSite {
  /** Relative to the workspace root. */
  file: string;
  line: number;
}

export interface TaskError {
  type: string;
  message: string;
  traceback: string;
}

/** Where a task's wall time went. `blocked = wall - cpu - runq`, split by the sampler. */
export interface TaskDecomposition {
  cpuNs: number;
  runqNs: number;
  blockedNs: number;
  lockWaitNs: number;
  /** Futex-blocked time not explained by instrumented locks; null when not sampled. */
  gilWaitNs: number | null;
  ioNs: number | null;
  sleepNs: number | null;
  /** Samples of this task's thread the split is based on (0: not sampled). */
  samples: number;
  /**
   * `async` runs (both runtimes): time the event loop spent running other tasks' steps (Node:
   * callbacks) while this one was suspended (part of `blockedNs`; this task may have been
   * ready and waiting for the loop).
   */
  loopBusyNs?: number;
}

/** What a Dask cluster added around one task's call (times on the profiler's clock). */
export interface DaskTaskCost {
  /** Worker address, e.g. tcp://127.0.0.1:40123. */
  worker: string;
  host: string;
  submittedNs: number;
  /**
   * From the moment the task could start (submitted, and its worker thread free) to the worker
   * beginning it: the scheduler's round trip, with the task's arguments on board.
   */
  schedulerLatencyNs: number;
  /** From the worker having pickled the result to the profiler holding it. */
  resultLatencyNs: number;
}

/** Node: what moving a task's arguments to its worker and its result back cost. */
export interface TaskSerialization {
  argsBytes: number;
  /** v8.serialize of the arguments on the harness's main thread. */
  argsSerializeNs: number;
  /** In the worker, right before the call: [start, end] on the trace's clock. */
  argsDeserialize: [number, number];
  resultBytes: number;
  /** In the worker, right after the call. */
  resultSerialize: [number, number];
  resultDeserializeNs: number;
}

/** What the Node harness measures per task beyond the decomposition (absent for Python). */
export interface NodeTaskMeasures {
  /** Submitted to started (waiting for a free worker or slot, and the transfer). */
  queueWaitNs?: number;
  /** Garbage-collection pauses of the task's thread inside the task (part of its CPU time). */
  gcNs?: number;
  /** `async` runs: time the task's own callbacks ran on the event loop (split into CPU and runqueue). */
  onLoopNs?: number;
  /** Thread and process runs. */
  serialization?: TaskSerialization;
  /** The thread's V8 heap and the process's RSS when the task ended. */
  heapUsedBytes?: number;
  rssBytes?: number;
}

export interface TaskSpan extends NodeTaskMeasures {
  index: number;
  pid: number;
  tid: number;
  /** Pool worker; for `async` runs the in-flight slot that ran the task. */
  worker: number;
  startNs: number;
  endNs: number;
  coreStart: number;
  coreEnd: number;
  decomposition: TaskDecomposition;
  error?: TaskError;
  /** `dask` runs. */
  dask?: DaskTaskCost;
}

/** Node: one garbage-collection pause of a thread. */
export interface GcSpan {
  pid: number;
  tid: number;
  startNs: number;
  endNs: number;
  /** V8's kind: minor (scavenge), major (mark-compact), incremental, weakcb. */
  kind: string;
}

/** Node: how busy one thread's event loop was during a run (`performance.eventLoopUtilization`). */
export interface EventLoopUse {
  pid: number;
  tid: number;
  /** Pool worker index; null for the harness's main thread. */
  worker: number | null;
  utilization: number;
  activeNs: number;
  idleNs: number;
}

/** Node: one pool worker's start-up, on the trace's clock. */
export interface WorkerStart {
  pid: number;
  tid: number;
  worker: number;
  /** When the harness asked for it, and when it had loaded the module and was ready. */
  spawnNs: number;
  readyNs: number;
  /** Of which importing the module. */
  importNs: number;
}

export interface LockSpan {
  site: SourceSite;
  pid: number;
  tid: number;
  requestNs: number;
  acquiredNs: number;
  releasedNs: number;
}

export interface CoreSample {
  timeNs: number;
  /** Busy share per core (user+system+irq+softirq), 0..1, over the interval ending here. */
  busy: number[];
  /** Steal share per core (virtual machines). */
  steal: number[];
}

export interface ProcessMemory {
  pid: number;
  peakRssBytes: number | null;
}

/** Per run. For Node the pickle fields hold v8 serialization (structured clone) of the same parts. */
export interface IpcCost {
  argsBytes: number;
  resultBytes: number;
  argsPickleNs: number;
  argsUnpickleNs: number;
  resultPickleNs: number;
  resultUnpickleNs: number;
}

export interface RunTotals {
  taskWallNs: number;
  cpuNs: number;
  runqNs: number;
  lockWaitNs: number;
  gilWaitNs: number | null;
  ioNs: number | null;
  sleepNs: number | null;
  errors: number;
  /** Time from the first task start to the last task end, per worker, spread: max-min finish. */
  finishSpreadNs: number;
}

/**
 * A thread that sleeps 1 ms in a loop during a thread run: waking needs the GIL, so how much
 * each sleep overshoots measures GIL hold by others, with or without `/proc`.
 */
export interface GilProbe {
  samples: number;
  medianOvershootNs: number;
  p90OvershootNs: number;
}

/** A Dask worker of a run: lanes are grouped by `host` and named by `address`. */
export interface DaskWorker {
  address: string;
  host: string;
  pid: number;
  nthreads: number;
  /**
   * Added to this worker's clock readings to put them on the profiler's: 0 on the same host
   * (same boot, same CLOCK_MONOTONIC), else measured at start from the fastest of a few round
   * trips, within ±`clockUncertaintyNs`.
   */
  clockOffsetNs: number;
  clockUncertaintyNs: number;
}

export interface DaskRunInfo {
  scheduler: string;
  /** A LocalCluster the profiler started (and stopped), or an existing cluster. */
  local: boolean;
  /** Time to start this run's new local workers until they had registered; null: none started. */
  startupNs: number | null;
  workers: DaskWorker[];
  /** Tasks whose worker died while running them and that Dask ran again elsewhere. */
  retriedTasks: number[];
}

export interface Run {
  kind: PoolKind;
  workers: number;
  repetition: number;
  startNs: number;
  endNs: number;
  wallNs: number;
  /** Serial median wall over this run's wall. */
  speedup: number | null;
  tasks: TaskSpan[];
  totals: RunTotals;
  lockSpans: LockSpan[];
  coreSamples: CoreSample[];
  memory: ProcessMemory[];
  ipc: IpcCost | null;
  /** Thread runs (absent from traces written before it existed). */
  gilProbe?: GilProbe | null;
  /**
   * `async` runs (both runtimes): wall time the loop spent running the tasks' own steps
   * (Python) or callbacks (Node), and its share of the run.
   */
  eventLoop?: { busyNs: number; utilization: number };
  /** Node: libuv event-loop utilization of the main thread and of each worker, whatever ran on it. */
  eventLoops?: EventLoopUse[];
  /** Node: every garbage-collection pause of the threads that ran tasks. */
  gcSpans?: GcSpan[];
  /** Node pool runs: when each worker was asked for and ready (start-up is part of the wall). */
  workerStarts?: WorkerStart[];
  /** `dask` runs. */
  dask?: DaskRunInfo;
}

export interface LockStats {
  site: SourceSite;
  kind: string;
  acquisitions: number;
  contended: number;
  /** Every contended acquisition's wait is measured. */
  waitNs: number;
  /**
   * Past a task's first 256 acquisitions of a lock, one uncontended acquisition in 16 is
   * timed and the hold time is scaled up from those (the rest only counted): exact for
   * locks taken a few hundred times, an estimate for hot ones.
   */
  holdNs: number;
  maxWaitNs: number;
  /** Wait per pool kind, to tell "serialises threads" from "private copy per process". */
  waitNsByKind: Record<'serial' | 'thread' | 'process', number> & Partial<Record<PoolKind, number>>;
}

export interface StackFrame {
  file: string;
  line: number;
  function: string;
}

export interface LockOrderEdge {
  from: SourceSite;
  to: SourceSite;
  pid: number;
  tid: number;
  stack: StackFrame[];
}

export interface LockOrderCycle {
  sites: SourceSite[];
  /** One edge per step of the cycle, each with the stack that took that order. */
  edges: LockOrderEdge[];
}

export interface ThreadStack {
  pid: number;
  tid: number | null;
  name: string;
  frames: StackFrame[];
}

export interface LockHolding {
  site: SourceSite;
  kind: string;
  pid: number;
  holderTid: number | null;
  waiterTids: number[];
}

export type FaultKind =
  | 'timeout'
  | 'crash'
  | 'unpicklable'
  | 'no-main-guard'
  | 'import'
  | 'tasks'
  | 'memory'
  | 'harness'
  | 'cancelled'
  | 'output'
  | 'unserializable'
  | 'rejection'
  | 'open-handles'
  | 'not-async'
  /** Dask: not installed, scheduler unreachable, a worker lost. */
  | 'cluster';

export interface Fault {
  fault: FaultKind;
  message: string;
  /** True when the profile stopped (or skipped a pool kind) because of it. */
  fatal: boolean;
  configuration?: { kind: PoolKind; workers: number; repetition: number };
  skippedKind?: PoolKind;
  stacks?: ThreadStack[];
  lockState?: LockHolding[];
  detail?: string;
}

export interface Verdict {
  recommendation: PoolKind;
  workers: number;
  bottleneck: Bottleneck;
  confidence: 'high' | 'medium' | 'low';
  summary: string;
  /** Median speedup per configuration, "thread x2" → 1.9, for tables and the CodeLens. */
  speedups: Record<string, number>;
  withinNoise: boolean;
  /** Dask runs: what N machines like the measured one would give, from a stated model. */
  clusterEstimate?: ClusterEstimate;
}

export interface ClusterEstimate {
  /** The model in one sentence (what scales, what does not). */
  model: string;
  /** Per-task cluster cost the estimate charges: scheduler latency, transfer and serialization. */
  perTaskCostNs: number;
  points: { machines: number; workers: number; speedup: number }[];
}

export interface SamplerInfo {
  available: boolean;
  hz: number;
  coreHz: number;
  /** What could not be measured and why (no /proc, no permission to read syscalls…). */
  unavailable: string[];
  samples: number;
  /** CPU time the sampler itself used (the runner's process), so its cost is on record.
   *  Optional: traces from before it was recorded lack it. */
  cpuMs?: number;
}

export interface NodeInterpreter {
  v8: string;
  /** How the module was loaded: as the project loads it (package.json `type`, extension). */
  moduleFormat: 'esm' | 'commonjs';
  /** TypeScript: transpiled with esbuild into a temporary module with a source map. */
  transpiled: boolean;
}

export interface ProfileTrace {
  version: typeof TRACE_VERSION;
  createdAt: string;
  target: {
    file: string;
    function: string;
    language: 'python' | 'javascript' | 'typescript';
    /** Absent: Python (traces from before Node was profiled). */
    runtime?: Runtime;
    /** Node: the interpreter beyond its path and version. */
    node?: NodeInterpreter;
    module: string;
    tasksExpression: string;
    taskCount: number;
    interpreter: string;
    interpreterVersion: string;
    gilEnabled: boolean;
    freeThreadedBuild: boolean;
    /** An `async def`: run on an event loop rather than called. */
    coroutine?: boolean;
  };
  host: { platform: string; cpusUsable: number; cpuModel: string; startMethod: string };
  configuration: { kinds: PoolKind[]; workers: number[]; repeat: number; timeoutSec: number; memoryLimitBytes: number | null };
  sampler: SamplerInfo;
  runs: Run[];
  locks: LockStats[];
  lockOrder: { edges: LockOrderEdge[]; cycles: LockOrderCycle[] };
  verdict: Verdict | null;
  faults: Fault[];
  output: { stdout: string; stderr: string; droppedBytes: number };
}
