/**
 * The `thread` and `process` runs: a fresh pool per run (its start-up is part of the wall, as
 * a program pays it), every task's arguments serialized on the main thread when a worker takes
 * it, the result deserialized when it comes back, both timed; then each worker's GC pauses,
 * event-loop utilization and peak memory. A worker that dies, fails to load the module, or a
 * run that outlives its timeout ends the run with the tasks that were running.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { HarnessConfiguration, HarnessEvent, HarnessTask } from '../harness-protocol';
import type { EventLoopUse, IpcCost, ProcessMemory, TaskError, ThreadStack } from '../../shared/trace';
import { GcIndex } from './gc-recorder';
import { WorkerExit, WorkerLoadFailure, WorkerPool, type Completed, type PoolRuntime } from './pool';
import type { WorkerInit } from './protocol';
import { nowNs, peakRssBytes, resetPeakRss, type ThreadProbe } from './thread-probe';

export type PoolRunOutcome =
  | { ok: true; run: Omit<Extract<HarnessEvent, { type: 'run' }>, 'type' | keyof HarnessConfiguration>; stray: TaskError[] }
  | { ok: false; fault: Extract<HarnessEvent, { type: 'fault' }> };

class RunTimeout extends Error {}

export interface PoolRunOptions {
  workerScript: string;
  init: WorkerInit;
  memoryLimitMb: number | null;
  timeoutSec: number;
}

function exitDescription(error: WorkerExit): string {
  return error.signal ? `killed by ${error.signal}` : `exit code ${error.code}`;
}

function failure(configuration: HarnessConfiguration, error: unknown, pool: WorkerPool, timeoutSec: number): Extract<HarnessEvent, { type: 'fault' }> {
  const where = configuration.kind === 'thread' ? 'worker thread' : 'child process';
  if (error instanceof RunTimeout) {
    const running = pool.running();
    const stacks: ThreadStack[] = running.map((r) => ({ pid: r.pid, tid: null, name: `worker ${r.worker}, task ${r.task}`, frames: [] }));
    const which = running.length ? `task${running.length > 1 ? 's' : ''} ${running.map((r) => r.task).join(', ')} ${running.length > 1 ? 'were' : 'was'} still running` : 'no task was running';
    return {
      type: 'fault',
      fault: 'timeout',
      configuration,
      message: `${configuration.label} did not finish within ${timeoutSec}s (an endless loop, or a promise that never settles): ${which}; every ${where} was stopped.`,
      stacks,
    };
  }
  if (error instanceof WorkerLoadFailure) {
    return { type: 'fault', fault: 'import', configuration, message: `a ${where} could not load the function: ${error.message}`, error: error.error };
  }
  if (error instanceof WorkerExit) {
    const task = error.taskIndex === null ? 'between tasks' : `while running task ${error.taskIndex}`;
    return {
      type: 'fault',
      fault: 'crash',
      configuration,
      message: `${where} ${error.worker} of ${configuration.label} ended ${task} (${exitDescription(error)}): process.exit() in the task, a fatal error or running out of memory${error.detail ? ` (${error.detail})` : ''}; stopped.`,
      error: { type: 'WorkerExit', message: error.message, traceback: error.detail },
    };
  }
  throw error;
}

export async function runPool(configuration: HarnessConfiguration, tasks: unknown[][], probe: ThreadProbe, options: PoolRunOptions): Promise<PoolRunOutcome> {
  const runtime: PoolRuntime = configuration.kind === 'thread' ? 'thread' : 'process';
  if (runtime === 'thread') resetPeakRss();
  const loopBefore = performance.eventLoopUtilization();
  const start = nowNs();
  const pool = new WorkerPool(runtime, configuration.workers, options.workerScript, options.init, options.memoryLimitMb);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RunTimeout()), options.timeoutSec * 1000);
  });
  let completed: { done: Completed; resultDeserializeNs: number }[];
  try {
    pool.start();
    const all = Promise.all(
      tasks.map((args, index) =>
        pool
          .run(index, () => {
            const t0 = nowNs();
            const payload = v8.serialize(args);
            return { payload, serializeNs: nowNs() - t0 };
          })
          .then((done) => {
            const t0 = nowNs();
            if (done.result.payload) v8.deserialize(done.result.payload);
            return { done, resultDeserializeNs: nowNs() - t0 };
          }),
      ),
    );
    completed = await Promise.race([all, timedOut]);
  } catch (error) {
    clearTimeout(timer);
    const fault = failure(configuration, error, pool, options.timeoutSec);
    await pool.terminate();
    return { ok: false, fault };
  }
  const end = nowNs();
  clearTimeout(timer);
  const loopUse = performance.eventLoopUtilization(performance.eventLoopUtilization(), loopBefore);
  const stats = await pool.collect();
  const starts = pool.starts();
  await pool.terminate();

  const gcSpans = stats.flatMap((s) => s.gcSpans);
  const gc = new GcIndex(gcSpans);
  const records: HarnessTask[] = completed.map(({ done, resultDeserializeNs }) => {
    const { result } = done;
    const record = result.record;
    record.gcNs = gc.inside(record.tid, record.start, record.end);
    record.queueWaitNs = Math.max(0, result.receivedNs - start - done.serializeNs);
    record.serialization = {
      argsBytes: done.argsBytes,
      argsSerializeNs: done.serializeNs,
      argsDeserialize: result.argsDeserialize,
      resultBytes: result.payload?.byteLength ?? 0,
      resultSerialize: result.resultSerialize,
      resultDeserializeNs,
    };
    return record;
  });
  const sum = (pick: (s: NonNullable<HarnessTask['serialization']>) => number): number => records.reduce((total, r) => total + pick(r.serialization!), 0);
  const ipc: IpcCost = {
    argsBytes: sum((s) => s.argsBytes),
    argsPickleNs: sum((s) => s.argsSerializeNs),
    argsUnpickleNs: sum((s) => s.argsDeserialize[1] - s.argsDeserialize[0]),
    resultBytes: sum((s) => s.resultBytes),
    resultPickleNs: sum((s) => s.resultSerialize[1] - s.resultSerialize[0]),
    resultUnpickleNs: sum((s) => s.resultDeserializeNs),
  };
  const eventLoops: EventLoopUse[] = [
    { pid: process.pid, tid: probe.tid, worker: null, utilization: loopUse.utilization, activeNs: loopUse.active * 1e6, idleNs: loopUse.idle * 1e6 },
    ...stats.map((s) => ({ pid: s.pid, tid: s.tid, worker: starts.find((w) => w.tid === s.tid)?.worker ?? 0, ...s.eventLoop })),
  ];
  const memory: ProcessMemory[] =
    runtime === 'thread' ? [{ pid: process.pid, peakRssBytes: peakRssBytes() }] : stats.map((s) => ({ pid: s.pid, peakRssBytes: s.peakRssBytes }));
  return {
    ok: true,
    run: { start, end, wallNs: end - start, tasks: records, ipc, memory, eventLoops, gcSpans, workerStarts: starts },
    stray: stats.flatMap((s) => s.stray),
  };
}
