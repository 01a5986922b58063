/**
 * Joins what the harness measured inside the processes with what the sampler saw from
 * outside, into the versioned trace. Pure apart from reading the host's CPU model.
 */
import os from 'node:os';
import type {
  CoreSample,
  DaskTaskCost,
  Fault,
  LockOrderEdge,
  LockSpan,
  LockStats,
  NodeTaskMeasures,
  PoolKind,
  ProfileTrace,
  Run,
  TaskDecomposition,
  TaskSpan,
} from '../shared/trace';
import { TRACE_VERSION } from '../shared/trace';
import type { HarnessEvent, HarnessTask } from './harness-protocol';
import { dedupeEdges, findCycles } from './lock-order';
import { ThreadState, type SamplerResult, type ThreadSamples } from './sampler';
import { decideNodeVerdict, nodeVerdictInput } from './node/verdict';
import { decideVerdict, verdictInputFromTrace } from './verdict';
import { weighAsync } from './verdict-async';
import { weighDask } from './verdict-dask';

export interface TraceInputs {
  options: {
    file: string;
    function: string;
    tasks: string;
    kinds: PoolKind[];
    workers?: number[];
    repeat: number;
    timeoutSec: number;
    memoryLimitBytes?: number;
    /** Default: python. */
    language?: ProfileTrace['target']['language'];
  };
  events: HarnessEvent[];
  faults: Fault[];
  sampler: SamplerResult | null;
  output: { stdout: string; stderr: string; droppedBytes: number };
}

type RunEvent = Extract<HarnessEvent, { type: 'run' }>;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function firstAtOrAfter(times: number[], value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (times[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Counts the sampled states of one thread inside a task's window. */
function statesDuring(samples: ThreadSamples | undefined, start: number, end: number): number[] {
  const counts = [0, 0, 0, 0, 0, 0];
  if (!samples) return counts;
  for (let i = firstAtOrAfter(samples.times, start); i < samples.times.length && samples.times[i] <= end; i++) {
    counts[samples.states[i]]++;
  }
  return counts;
}

function decompose(task: HarnessTask, sampler: SamplerResult | null, gilEnabled: boolean, syscallsSampled: boolean): TaskDecomposition {
  const wall = task.end - task.start;
  // The CPU and runqueue counters are read just outside the wall-clock window, so for tasks of
  // a few microseconds (or a preemption between the reads) they can exceed it: clamp to it.
  const cpuNs = Math.min(task.cpu, wall);
  const runqNs = Math.min(Math.max(0, task.runq), wall - cpuNs);
  const blockedNs = Math.max(0, wall - cpuNs - runqNs);
  const lockWaitNs = (task.locks ?? []).reduce((sum, lock) => sum + lock.waitNs, 0);
  // Measured exactly, so the sampled states share only what is left of the blocked time.
  const loopBusyNs = task.loopBusyNs === undefined ? undefined : Math.min(task.loopBusyNs, Math.max(0, blockedNs - lockWaitNs));
  const loopBusy = loopBusyNs === undefined ? {} : { loopBusyNs };
  const counts = statesDuring(sampler?.threads.get(task.tid), task.start, task.end);
  const samples = counts.reduce((a, b) => a + b, 0);
  if (samples === 0 || !syscallsSampled) {
    return { cpuNs, runqNs, blockedNs, lockWaitNs, gilWaitNs: null, ioNs: null, sleepNs: null, samples, ...loopBusy };
  }
  const share = (state: ThreadState): number => (counts[state] / samples) * wall;
  const futexNs = share(ThreadState.Futex);
  let gilWaitNs = gilEnabled ? Math.max(0, futexNs - lockWaitNs) : 0;
  let ioNs = share(ThreadState.Io) + share(ThreadState.Disk);
  let sleepNs = share(ThreadState.Sleep);
  // Sampling estimates can exceed what the clocks say was blocked: scale them to fit.
  const measured = lockWaitNs + (loopBusyNs ?? 0);
  const estimated = gilWaitNs + ioNs + sleepNs + measured;
  if (estimated > blockedNs && estimated > 0) {
    const room = Math.max(0, blockedNs - measured);
    const scale = room / (gilWaitNs + ioNs + sleepNs || 1);
    gilWaitNs *= scale;
    ioNs *= scale;
    sleepNs *= scale;
  }
  return { cpuNs, runqNs, blockedNs, lockWaitNs, gilWaitNs, ioNs, sleepNs, samples, ...loopBusy };
}

/**
 * A Dask task's scheduler latency counts from when it could have started: submitted, and the
 * worker thread that ran it done with its previous task (queueing behind other tasks is not
 * the cluster's cost, it is the pool being full).
 */
function daskCosts(tasks: HarnessTask[]): Map<HarnessTask, DaskTaskCost> {
  const costs = new Map<HarnessTask, DaskTaskCost>();
  const byThread = new Map<string, HarnessTask[]>();
  for (const task of tasks) {
    if (!task.dask) continue;
    const key = `${task.dask.worker}/${task.pid}/${task.tid}`;
    byThread.set(key, [...(byThread.get(key) ?? []), task]);
  }
  for (const sameThread of byThread.values()) {
    sameThread.sort((a, b) => a.dask!.receivedNs - b.dask!.receivedNs);
    let freeAt = -Infinity;
    for (const task of sameThread) {
      const d = task.dask!;
      costs.set(task, {
        worker: d.worker,
        host: d.host,
        submittedNs: d.submittedNs,
        schedulerLatencyNs: Math.max(0, d.receivedNs - Math.max(d.submittedNs, freeAt)),
        resultLatencyNs: Math.max(0, d.resultNs - d.sentNs),
      });
      freeAt = d.sentNs;
    }
  }
  return costs;
}

function sumNullable(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

function buildRun(event: RunEvent, sampler: SamplerResult | null, gilEnabled: boolean, syscallsSampled: boolean): Run {
  const workerOf = new Map<string, number>();
  const ordered = [...event.tasks].sort((a, b) => a.start - b.start);
  for (const task of ordered) {
    const key = `${task.pid}/${task.tid}`;
    if (!workerOf.has(key)) workerOf.set(key, workerOf.size);
  }
  const dask = daskCosts(event.tasks);
  const tasks: TaskSpan[] = event.tasks.map((task) => ({
    index: task.index,
    pid: task.pid,
    tid: task.tid,
    // Tasks in flight on one event loop share a thread: their worker is the slot they ran in.
    worker: task.slot ?? workerOf.get(`${task.pid}/${task.tid}`) ?? 0,
    startNs: task.start,
    endNs: task.end,
    coreStart: task.coreStart,
    coreEnd: task.coreEnd,
    decomposition: decompose(task, sampler, gilEnabled, syscallsSampled),
    ...(task.error ? { error: task.error } : {}),
    ...(dask.has(task) ? { dask: dask.get(task) } : {}),
    ...nodeTaskFields(task),
  }));
  const lockSpans: LockSpan[] = event.tasks.flatMap((task) =>
    (task.lockSpans ?? []).map(([file, line, requestNs, acquiredNs, releasedNs]) => ({
      site: { file, line },
      pid: task.pid,
      tid: task.tid,
      requestNs,
      acquiredNs,
      releasedNs,
    })),
  );
  const lastFinish = new Map<number, number>();
  for (const task of tasks) lastFinish.set(task.worker, Math.max(lastFinish.get(task.worker) ?? 0, task.endNs));
  const finishes = [...lastFinish.values()];
  const coreSamples: CoreSample[] = (sampler?.cores ?? []).filter((s) => s.timeNs >= event.start && s.timeNs <= event.end);
  return {
    kind: event.kind,
    workers: event.workers,
    repetition: event.repetition,
    startNs: event.start,
    endNs: event.end,
    wallNs: event.wallNs,
    speedup: null,
    tasks,
    totals: {
      taskWallNs: tasks.reduce((sum, t) => sum + (t.endNs - t.startNs), 0),
      cpuNs: tasks.reduce((sum, t) => sum + t.decomposition.cpuNs, 0),
      runqNs: tasks.reduce((sum, t) => sum + t.decomposition.runqNs, 0),
      lockWaitNs: tasks.reduce((sum, t) => sum + t.decomposition.lockWaitNs, 0),
      gilWaitNs: sumNullable(tasks.map((t) => t.decomposition.gilWaitNs)),
      ioNs: sumNullable(tasks.map((t) => t.decomposition.ioNs)),
      sleepNs: sumNullable(tasks.map((t) => t.decomposition.sleepNs)),
      errors: tasks.filter((t) => t.error).length,
      finishSpreadNs: finishes.length > 1 ? Math.max(...finishes) - Math.min(...finishes) : 0,
    },
    lockSpans,
    coreSamples,
    memory: event.memory,
    ipc: event.ipc
      ? {
          argsBytes: event.ipc.argsBytes,
          resultBytes: event.ipc.resultBytes,
          argsPickleNs: event.ipc.argsPickleNs,
          argsUnpickleNs: event.ipc.argsUnpickleNs,
          resultPickleNs: event.ipc.resultPickleNs,
          resultUnpickleNs: event.ipc.resultUnpickleNs,
        }
      : null,
    ...(event.gilProbe
      ? { gilProbe: { samples: event.gilProbe.samples, medianOvershootNs: event.gilProbe.medianOvershootNs, p90OvershootNs: event.gilProbe.p90OvershootNs } }
      : {}),
    ...(event.eventLoop ? { eventLoop: { busyNs: event.eventLoop.busyNs, utilization: event.wallNs > 0 ? Math.min(1, event.eventLoop.busyNs / event.wallNs) : 0 } } : {}),
    ...(event.eventLoops ? { eventLoops: event.eventLoops } : {}),
    ...(event.gcSpans ? { gcSpans: event.gcSpans } : {}),
    ...(event.workerStarts ? { workerStarts: event.workerStarts } : {}),
    ...(event.dask ? { dask: event.dask } : {}),
  };
}

const NODE_MEASURES: readonly (keyof NodeTaskMeasures)[] = ['queueWaitNs', 'gcNs', 'onLoopNs', 'serialization', 'heapUsedBytes', 'rssBytes'];

/** What the Node harness measured per task beyond the decomposition (nothing for Python). */
function nodeTaskFields(task: HarnessTask): NodeTaskMeasures {
  return Object.fromEntries(NODE_MEASURES.filter((key) => task[key] !== undefined).map((key) => [key, task[key]]));
}

function buildLockTable(events: RunEvent[]): LockStats[] {
  const table = new Map<string, LockStats>();
  for (const run of events) {
    for (const task of run.tasks) {
      for (const lock of task.locks ?? []) {
        const key = `${lock.file}:${lock.line}`;
        const stats = table.get(key) ?? {
          site: { file: lock.file, line: lock.line },
          kind: lock.kind,
          acquisitions: 0,
          contended: 0,
          waitNs: 0,
          holdNs: 0,
          maxWaitNs: 0,
          waitNsByKind: { serial: 0, thread: 0, process: 0 },
        };
        stats.acquisitions += lock.acquisitions;
        stats.contended += lock.contended;
        stats.waitNs += lock.waitNs;
        stats.holdNs += lock.holdNs;
        stats.maxWaitNs = Math.max(stats.maxWaitNs, lock.maxWaitNs);
        stats.waitNsByKind[run.kind] = (stats.waitNsByKind[run.kind] ?? 0) + lock.waitNs;
        table.set(key, stats);
      }
    }
  }
  return [...table.values()].sort((a, b) => b.waitNs - a.waitNs);
}

export function buildTrace(inputs: TraceInputs): ProfileTrace {
  const { options, events, sampler } = inputs;
  const hello = events.find((e): e is Extract<HarnessEvent, { type: 'hello' }> => e.type === 'hello');
  const tasksEvent = events.find((e): e is Extract<HarnessEvent, { type: 'tasks' }> => e.type === 'tasks');
  const runEvents = events.filter((e): e is RunEvent => e.type === 'run');
  const gilEnabled = hello?.gilEnabled ?? true;
  const unavailable = [...(sampler?.unavailable ?? [])];
  if (!sampler) unavailable.push('thread-state sampling was turned off: GIL wait, I/O and sleep are not split');
  // Without the syscall file the sampler falls back to wait channels: still a split.
  const syscallsSampled = sampler !== null && sampler.available;
  if (hello && !hello.procAvailable) unavailable.push('runqueue wait and cores per task (no /proc/thread-self)');
  if (runEvents.some((r) => r.dask && !r.dask.local)) {
    unavailable.push('thread states of the workers of an existing Dask cluster (the profiler did not start them, so it cannot sample them): their GIL wait, I/O and sleep are not split');
  }

  const runs = runEvents.map((event) => buildRun(event, sampler, gilEnabled, syscallsSampled));
  const faults = [...inputs.faults];
  setSpeedups(runs, faults);

  const edges: LockOrderEdge[] = dedupeEdges(runEvents.flatMap((run) => run.tasks.flatMap((task) => task.lockEdges ?? [])));
  const memoryErrors = runs.flatMap((r) => r.tasks).filter((t) => t.error?.type === 'MemoryError').length;
  if (memoryErrors > 0) {
    faults.push({
      fault: 'memory',
      fatal: false,
      message: `${memoryErrors} task(s) ran out of memory${options.memoryLimitBytes ? ` under the ${Math.round(options.memoryLimitBytes / 2 ** 20)} MiB limit` : ''} (MemoryError).`,
    });
  }

  for (const run of runs) {
    const retried = run.dask?.retriedTasks ?? [];
    if (retried.length === 0) continue;
    faults.push({
      fault: 'cluster',
      fatal: false,
      configuration: { kind: run.kind, workers: run.workers, repetition: run.repetition },
      message: `dask x${run.workers}: a worker died with task${retried.length > 1 ? 's' : ''} ${retried.join(', ')} assigned to it (running or queued there); Dask ran ${retried.length > 1 ? 'them' : 'it'} again on another worker and ${retried.length > 1 ? 'they' : 'it'} completed (retried, so the run's wall time includes the lost attempt and the worker's restart).`,
    });
  }

  const trace: ProfileTrace = {
    version: TRACE_VERSION,
    createdAt: new Date().toISOString(),
    target: {
      file: options.file,
      function: options.function,
      language: options.language ?? 'python',
      ...(hello?.runtime || (options.language && options.language !== 'python') ? { runtime: hello?.runtime ?? 'node' } : {}),
      ...(hello?.node ? { node: hello.node } : {}),
      module: tasksEvent?.module ?? '',
      tasksExpression: options.tasks,
      taskCount: tasksEvent?.count ?? 0,
      interpreter: hello?.python ?? '',
      interpreterVersion: hello?.version ?? '',
      gilEnabled,
      freeThreadedBuild: hello?.freeThreadedBuild ?? false,
      ...(tasksEvent?.coroutine ? { coroutine: true } : {}),
    },
    host: {
      platform: process.platform,
      cpusUsable: hello?.usableCpus ?? os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      startMethod: hello?.startMethod ?? '',
    },
    configuration: {
      kinds: options.kinds,
      workers: options.workers ?? [...new Set(runs.filter((r) => r.kind !== 'serial').map((r) => r.workers))],
      repeat: options.repeat,
      timeoutSec: options.timeoutSec,
      memoryLimitBytes: options.memoryLimitBytes ?? null,
    },
    sampler: {
      available: sampler?.available ?? false,
      hz: sampler?.hz ?? 0,
      coreHz: sampler?.coreHz ?? 0,
      unavailable,
      samples: sampler?.samples ?? 0,
      cpuMs: sampler?.cpuMs ?? 0,
    },
    runs,
    locks: buildLockTable(runEvents),
    lockOrder: { edges, cycles: findCycles(edges) },
    verdict: null,
    faults,
    output: inputs.output,
  };
  if (runs.some((r) => r.kind !== 'serial' && r.speedup !== null)) {
    trace.verdict =
      trace.target.runtime === 'node'
        ? decideNodeVerdict(nodeVerdictInput(trace))
        : weighDask(weighAsync(decideVerdict(verdictInputFromTrace(trace)), trace), trace);
  }
  return trace;
}

const failedTasks = (run: Run): string =>
  run.tasks
    .filter((t) => t.error)
    .map((t) => t.index)
    .sort((a, b) => a - b)
    .join(',');

const firstError = (run: Run): string => {
  const error = run.tasks.find((t) => t.error)?.error;
  if (!error) return '';
  const message = error.message.split('\n')[0].slice(0, 200);
  return message ? `${error.type}: ${message}` : error.type;
};

const labelOf = (run: Run): string => (run.kind === 'serial' ? 'serial' : `${run.kind} x${run.workers}`);

/**
 * A speedup compares the same work: only runs in which exactly the tasks that failed serially
 * failed (usually none) get one, and none at all when every serial task failed. A pool run
 * whose tasks failed where serial ones did not (MemoryError with two at once under a memory
 * limit) finished early because it did less, and would look fast.
 */
function setSpeedups(runs: Run[], faults: Fault[]): void {
  const serial = runs.filter((r) => r.kind === 'serial');
  if (runs.length > 0 && runs.every((r) => r.totals.errors === r.tasks.length)) {
    faults.push({ fault: 'tasks', fatal: true, message: `Every task of every run raised an exception (first: ${firstError(runs[0])}): nothing was timed doing its work, so there is no speedup and no verdict.` });
    return;
  }
  if (serial.length === 0) return;
  if (serial[0].totals.errors === serial[0].tasks.length) {
    faults.push({ fault: 'tasks', fatal: true, message: `Every task of the serial run raised an exception (first: ${firstError(serial[0])}): without a baseline that did the work there is no speedup and no verdict.` });
    return;
  }
  const baseline = failedTasks(serial[0]);
  const comparable = runs.filter((r) => failedTasks(r) === baseline);
  const serialMedian = median(comparable.filter((r) => r.kind === 'serial').map((r) => r.wallNs));
  for (const run of comparable) run.speedup = serialMedian / run.wallNs;
  const excluded = new Map<string, Run>();
  for (const run of runs) if (!comparable.includes(run)) excluded.set(labelOf(run), run);
  if (excluded.size === 0) return;
  const which = [...excluded].map(([label, run]) => `${label} (${run.totals.errors} of ${run.tasks.length}${run.totals.errors ? `, first: ${firstError(run)}` : ''})`).join(', ');
  const differently = baseline ? 'not the ones that failed serially' : 'while every serial task succeeded';
  const pooled = runs.filter((r) => r.kind !== 'serial');
  if (pooled.length > 0 && pooled.every((r) => !comparable.includes(r))) {
    faults.push({ fault: 'tasks', fatal: true, message: `No pool run did the serial run's work: tasks failed in ${which}, ${differently}; so there is no speedup and no verdict.` });
  } else {
    faults.push({ fault: 'tasks', fatal: false, message: `No speedup from ${which}: tasks failed there, ${differently}, so those runs did different work.` });
  }
}
